// Package cloudtrail reads CloudTrail activity from its sources (log files,
// S3, the LookupEvents API, Athena) and decodes the STS assume-role calls that
// sentinel-check classifies.
package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/awsregion"
	"github.com/sentinel-check/sentinel-check/internal/english"
)

// The event names that open a role session.
const (
	EventSourceSTS                 = "sts.amazonaws.com"
	EventAssumeRole                = "AssumeRole"
	EventAssumeRoleWithSAML        = "AssumeRoleWithSAML"
	EventAssumeRoleWithWebIdentity = "AssumeRoleWithWebIdentity"
)

// AssumeRoleEventNames lists the event names that open a role session.
var AssumeRoleEventNames = []string{EventAssumeRole, EventAssumeRoleWithSAML, EventAssumeRoleWithWebIdentity}

// IsAssumeRole reports whether an eventSource/eventName pair is a role session.
func IsAssumeRole(source, name string) bool {
	if source != EventSourceSTS {
		return false
	}
	switch name {
	case EventAssumeRole, EventAssumeRoleWithSAML, EventAssumeRoleWithWebIdentity:
		return true
	}
	return false
}

// Where the SourceIdentity of an event came from.
const (
	SourceIdentityFromRequest = "request" // requestParameters.sourceIdentity
	SourceIdentityFromCaller  = "caller"  // userIdentity.sessionContext.sourceIdentity (role chaining)
)

// Event is one decoded sts:AssumeRole* call. Values are untrusted input
// copied from CloudTrail: formatters must escape them.
type Event struct {
	EventID string `json:"eventID"`
	// SharedEventID is the id CloudTrail gives both copies of a call it
	// logs in two accounts (a cross-account AssumeRole: the caller's and
	// the role's), each with an eventID of its own; "" for others.
	SharedEventID      string    `json:"sharedEventID,omitempty"`
	EventName          string    `json:"eventName"`
	EventTime          time.Time `json:"eventTime"`
	AWSRegion          string    `json:"awsRegion,omitempty"`
	RecipientAccountID string    `json:"recipientAccountId,omitempty"`
	// RoleArn is the target role: requestParameters.roleArn. For a failed
	// call without it, the role that errorMessage names ("… on resource:
	// arn:aws:iam::…:role/x"), or "".
	RoleArn         string `json:"roleArn,omitempty"`
	RoleSessionName string `json:"roleSessionName,omitempty"`
	// SourceIdentity is requestParameters.sourceIdentity or, when absent, the
	// caller's userIdentity.sessionContext.sourceIdentity.
	SourceIdentity     string `json:"sourceIdentity,omitempty"`
	SourceIdentityFrom string `json:"sourceIdentityFrom,omitempty"`
	CallerArn          string `json:"callerArn,omitempty"`
	SourceIPAddress    string `json:"sourceIPAddress,omitempty"`
	UserAgent          string `json:"userAgent,omitempty"`
	AssumedRoleArn     string `json:"assumedRoleArn,omitempty"`
	// AccessKeyID is the issued key id, already shortened (ASIA…WXYZ) by the
	// decoder: a full key id never leaves it.
	AccessKeyID string `json:"accessKeyId,omitempty"`
	ErrorCode   string `json:"errorCode,omitempty"`
	// Origin names where the event was read (file path, S3 key, API page).
	Origin string `json:"-"`
}

// Failed reports whether the call was refused (it opened no session).
func (e *Event) Failed() bool { return e.ErrorCode != "" }

// ShortenKeyID keeps the first four and the last four characters of an
// access key id so that it can be correlated but never used.
func ShortenKeyID(id string) string {
	if id == "" {
		return ""
	}
	if len(id) <= 8 {
		return "…"
	}
	return id[:4] + "…" + id[len(id)-4:]
}

// Query narrows what a source reads. Sources may read more (the window is
// applied again when events are collected) but never less.
type Query struct {
	Start, End time.Time
	Regions    []string // empty = all
	Accounts   []string // empty = all
	// Needed are the accounts whose logs the check depends on (the
	// reported profiles' literal role ARN accounts). A source that must ask
	// which accounts it reads (LookupEvents) asks only when there are any;
	// the caller compares them with Stats.Accounts.
	Needed []string
}

// Stats counts what a source read and skipped: nothing is dropped silently.
type Stats struct {
	Source         string `json:"source"`
	Kind           string `json:"kind"` // files | s3 | lookup | athena
	Files          int64  `json:"files"`
	FilesSkipped   int64  `json:"files_skipped"`
	Pages          int64  `json:"pages"`
	Bytes          int64  `json:"bytes"`
	Records        int64  `json:"records"`
	RecordsSkipped int64  `json:"records_skipped"`
	// AssumeRole counts the assume-role records decoded (before dedup and window).
	AssumeRole int64 `json:"assume_role_records"`
	Requests   int64 `json:"requests,omitempty"`
	Retries    int64 `json:"retries,omitempty"`
	Unreadable int64 `json:"unreadable"`
	// Warnings say what the source could not cover (regions it did not
	// read); each becomes an SC2002 finding.
	// Accounts are the accounts whose logs the source can hold, when it
	// can tell (AccountsKnown): the S3 trail's account folders read, the
	// account LookupEvents reads, an Athena table's projected accounts. The
	// caller compares those of every source with the accounts it needs.
	Accounts      []string `json:"-"`
	AccountsKnown bool     `json:"-"`
	// Delivered holds, per account, the UTC days (YYYY-MM-DD, in order)
	// on which its log files were delivered, by their CloudTrail names,
	// when the source can tell (DeliveredKnown): local files and S3 whose
	// log files all have such names (see DeliveryGaps).
	Delivered      map[string][]string `json:"-"`
	DeliveredKnown bool                `json:"-"`
	Warnings       []string            `json:"warnings,omitempty"`
	// Layouts are the folders of CloudTrail's layout that the source's
	// paths or prefix name, and the accounts' CloudTrail folders it found
	// with their region folders, for the caller to tell the region folders
	// no source reads (RegionFolderGaps).
	Layouts      []Layout `json:"-"`
	BytesScanned int64    `json:"bytes_scanned,omitempty"` // Athena
	QueryID      string   `json:"query_id,omitempty"`      // Athena
	// Skipped lists why files or records were passed over (digest files,
	// non-CloudTrail JSON, unreadable sources when skipping was asked for).
	Skipped []Skip `json:"skipped,omitempty"`
}

// Skip records one passed-over item with the reason.
type Skip struct {
	Item   string `json:"item"`
	Reason string `json:"reason"`
}

// Add folds o into s.
func (s *Stats) Add(o Stats) {
	s.Files += o.Files
	s.FilesSkipped += o.FilesSkipped
	s.Pages += o.Pages
	s.Bytes += o.Bytes
	s.Records += o.Records
	s.RecordsSkipped += o.RecordsSkipped
	s.AssumeRole += o.AssumeRole
	s.Requests += o.Requests
	s.Retries += o.Retries
	s.Unreadable += o.Unreadable
	s.BytesScanned += o.BytesScanned
	s.Skipped = append(s.Skipped, o.Skipped...)
}

// Source is one place CloudTrail events come from. Read calls emit for
// every assume-role event it decodes (successful or failed, possibly
// duplicated, possibly outside the window); emit may be called from several
// goroutines at once. A source that cannot be read whole returns an error
// that names it (see SourceError).
type Source interface {
	Name() string
	Read(ctx context.Context, q Query, emit func(Event)) (Stats, error)
}

// SourceError is an unreadable source: a file, an object, a page, an API.
type SourceError struct {
	Source string // what could not be read, e.g. a path or s3://bucket/key
	Err    error
	// read is what a document that failed held before the error, when it
	// is kept (FileOptions.SkipUnreadable; see readBefore).
	read *docPart
}

// docPart is the records of a document read before it failed: their
// counts and the assume-role events among them.
type docPart struct {
	stats  Stats
	events []Event
}

// readBefore hands emit the events that err's document held before it
// failed, and returns their records' counts (no file, no bytes: the file
// counts as unreadable), with a phrase that says so for its skip reason.
// Zero, "" when err kept none: a truncated file's complete records are
// still evidence (an untracked session among them is still a finding).
func readBefore(err error, emit func(Event)) (Stats, string) {
	var se *SourceError
	if !errors.As(err, &se) || se.read == nil || se.read.stats.Records == 0 {
		return Stats{}, ""
	}
	for _, ev := range se.read.events {
		emit(ev)
	}
	st := se.read.stats
	st.Files, st.Bytes = 0, 0
	return st, fmt.Sprintf("; its %s before the error %s checked", english.Count(st.Records, "record", "records"), english.Plural(int(min(st.Records, 2)), "was", "were"))
}

func (e *SourceError) Error() string { return e.Source + ": " + e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// GlobalEndpointRegion is where CloudTrail logs the calls to STS's global
// endpoint (sts.amazonaws.com), whatever region the caller works in; the
// other partitions have their own (see globalRegionOf).
const GlobalEndpointRegion = "us-east-1"

// globalRegionOf is the region of the partition of region r where calls to
// that partition's global STS endpoint are logged (us-east-1 for a region
// of no known partition).
func globalRegionOf(r string) string {
	if g := awsregion.GlobalRegion(r); g != "" {
		return g
	}
	switch {
	case strings.HasPrefix(r, "us-gov-"):
		return "us-gov-west-1"
	case strings.HasPrefix(r, "cn-"):
		return "cn-north-1"
	}
	return GlobalEndpointRegion
}

// isGlobalRegion reports whether r is where some partition logs its global
// endpoint's calls.
func isGlobalRegion(r string) bool { return globalRegionOf(r) == r }

// WithGlobalRegion returns regions with the global endpoint's region of
// each of their partitions added, when they narrow the read (not empty, no
// "all") and lack it: a region filter must not drop the assume-role calls
// made through the global endpoint, which older SDKs and the CLI use by
// default. regions itself is not changed.
func WithGlobalRegion(regions []string) []string {
	if len(regions) == 0 || slices.Contains(regions, "all") {
		return regions
	}
	out := slices.Clip(regions)
	for _, r := range regions {
		if g := globalRegionOf(r); !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// Layout is a folder or prefix a source reads, as CloudTrail's layout
// places it, or an account's CloudTrail folder it found there.
type Layout struct {
	// Store is "s3://BUCKET/" for a prefix, "" for a local folder.
	Store string
	// Trail is the path up to and including CloudTrail/ when the folder
	// is inside an account's CloudTrail folder, else the folder itself
	// (ending in "/"); local paths are absolute, without their leading
	// "/", and have AWSLogs where a copy left it out.
	Trail string
	// Region is the region folder the path names ("" when it names none:
	// every region under Trail is read).
	Region string
	// Folder names Trail to the user: a path or an s3:// URL.
	Folder string
	// Regions are the region folders found in the CloudTrail folder
	// Trail (nil: not listed).
	Regions []string
	// Keeps, when set, tells the accounts whose folders below Trail the
	// source reads (an account filter); nil: every account's.
	Keeps func(account string) bool
}

// layoutOf is the Layout of a prefix or folder path that parses as l.
func layoutOf(store, path string, l s3Layout) Layout {
	if l.trail && l.account != "" {
		t := l.root
		if l.org != "" {
			t += l.org + "/"
		}
		return Layout{Store: store, Trail: t + l.account + "/CloudTrail/", Region: l.region}
	}
	var segs []string
	for _, s := range strings.Split(path, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	t := strings.Join(segs, "/")
	if t != "" {
		t += "/"
	}
	return Layout{Store: store, Trail: t}
}

// regionNameRE is the form of a region's name (eu-west-1, us-isob-east-1,
// eusc-de-east-1), a region launched after this build included.
var regionNameRE = regexp.MustCompile(`^[a-z]{2,4}(-[a-z0-9]+)+-[0-9]{1,2}$`)

// isRegionName tells whether a folder's name is a region's.
func isRegionName(name string) bool { return awsregion.Known(name) || regionNameRE.MatchString(name) }

// trailAccount is the account of a CloudTrail folder's path.
func trailAccount(trail string) string {
	segs := strings.Split(strings.TrimSuffix(trail, "/"), "/")
	if len(segs) < 2 {
		return ""
	}
	return segs[len(segs)-2]
}

// RegionFolderGaps tells which region folders of the CloudTrail folders
// that the sources read or found no source reads. A path or prefix that
// names one region folder reads that region only: a session opened
// through another region's STS endpoint is logged in that region's
// folder, and one opened through the global endpoint (sts.amazonaws.com,
// the default of older SDKs and the AWS CLI) in us-east-1's (its
// partition's global region), whatever the caller's region. A CloudTrail
// folder without that global region's folder is told too: a trail that is
// not multi-region, or a copy that left it out, lacks those sessions. A
// region folder is read when a source reads it, or reads a folder above
// it whole.
func RegionFolderGaps(stats []Stats) []string {
	var all []Layout
	for _, st := range stats {
		all = append(all, st.Layouts...)
	}
	read := func(store, trail, region string) bool {
		return slices.ContainsFunc(all, func(o Layout) bool {
			return o.Regions == nil && o.Store == store && (o.Region == "" && strings.HasPrefix(trail, o.Trail) || o.Region == region && o.Trail == trail) &&
				(o.Keeps == nil || o.Keeps(trailAccount(trail)))
		})
	}
	type folder struct {
		name    string
		regions []string
	}
	var keys []string
	folders := map[string]*folder{}
	for _, l := range all {
		if !strings.HasSuffix(l.Trail, "/CloudTrail/") || l.Region == "" && l.Regions == nil {
			continue // above an account's CloudTrail folder: what it holds is found below
		}
		k := l.Store + "\x00" + l.Trail
		f := folders[k]
		if f == nil {
			f = &folder{name: l.Folder}
			folders[k] = f
			keys = append(keys, k)
		}
		if f.name == "" {
			f.name = l.Folder
		}
		for _, r := range append(slices.Clone(l.Regions), l.Region) {
			// Only folders named as regions (a sync tool's .stfolder is
			// none), including one launched after this build.
			if isRegionName(r) && !slices.Contains(f.regions, r) {
				f.regions = append(f.regions, r)
			}
		}
	}
	var gaps []string
	for _, k := range keys {
		f := folders[k]
		store, trail, _ := strings.Cut(k, "\x00")
		slices.Sort(f.regions)
		var unread, globals []string
		for _, r := range f.regions {
			if !read(store, trail, r) {
				unread = append(unread, r)
			}
			if g := globalRegionOf(r); !slices.Contains(globals, g) && awsregion.Known(r) {
				globals = append(globals, g)
			}
		}
		if len(unread) > 0 {
			gaps = append(gaps, fmt.Sprintf("%s: the region %s %s %s not read (the paths given name other region folders): sessions opened through %s STS endpoints are not checked; give the CloudTrail folder, or add %s",
				f.name, english.Plural(len(unread), "folder", "folders"), strings.Join(unread, ", "), english.Plural(len(unread), "is", "are"), english.Plural(len(unread), "its", "their"), english.Plural(len(unread), "it", "them")))
		}
		for _, g := range globals {
			if !slices.Contains(f.regions, g) {
				gaps = append(gaps, fmt.Sprintf("%s has no %s folder, where CloudTrail logs the sessions opened through STS's global endpoint (sts.amazonaws.com, the default of older SDKs and the AWS CLI) whatever their region: a trail that is not multi-region, or a copy that left the folder out, lacks them; read a multi-region trail",
					f.name, g))
			}
		}
	}
	return gaps
}
