// Package engine runs a check: it opens the sources, collects and
// de-duplicates the events of the window, classifies them, runs the checks
// and assembles the report. It prints nothing.
package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/internal/dedup"
	"github.com/sentinel-check/sentinel-check/internal/english"
	"github.com/sentinel-check/sentinel-check/policyhcl"
	"github.com/sentinel-check/sentinel-check/report"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// Version is the tool's version: set at build time with -ldflags
// "-X github.com/sentinel-check/sentinel-check/internal/engine.Version=…",
// else the module version that `go install …@vX.Y.Z` (or a build in a
// clone of the repository) records, else 0.1.0-dev.
var Version = devVersion

const devVersion = "0.1.0-dev"

func init() {
	if Version != devVersion {
		return
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		Version = moduleVersion(bi.Main.Version, Version)
	}
}

// moduleVersion is the version a module version of the build gives
// ("v1.2.3" is 1.2.3), or def when it has none ("", "(devel)").
func moduleVersion(v, def string) string {
	if v == "" || v == "(devel)" {
		return def
	}
	return strings.TrimPrefix(v, "v")
}

// InformationURI is the tool's home page.
const InformationURI = "https://github.com/sentinel-check/sentinel-check"

// Options configure one run.
type Options struct {
	Policy     *policyhcl.Policy
	CloudTrail []cloudtrail.Source // at least one
	Sessions   []SessionSource     // none: no broker identity can be tracked
	Start, End time.Time
	// Profiles limits the report to these profiles (globs); empty = all.
	Profiles []string
	BaseDir  string
	// SkipUnreadable turns a source that cannot be read into an SC2002
	// finding instead of a failed run.
	SkipUnreadable bool
	Query          cloudtrail.Query // regions, accounts; Start/End are set from the window
	Category       string           // SARIF automationDetails.id
	// FailOn is the --fail-on severity: it decides the report's verdict.
	FailOn checks.Severity
	// Diagnostics are the policy's warnings, shown in the report.
	Diagnostics hcl.Diagnostics
	// EventBuffer is the memory, in bytes, for the assume-role events
	// read before they are written to TempDir (0: dedup.DefaultBudget).
	EventBuffer int
	// TempDir is where the events past EventBuffer are written ("": the
	// system's temporary folder).
	TempDir string
	// Progress, when set, reports the final pass over the events once some
	// were written to TempDir (a long one merges their files).
	Progress cloudtrail.Progress
}

// SessionSource is a store of session records and the session_table it
// serves ("" = every table).
type SessionSource struct {
	Table string
	Store sessions.Store
}

// SourceError is a source that could not be read: exit code 3.
type SourceError struct {
	Source string
	Err    error
}

func (e *SourceError) Error() string {
	return fmt.Sprintf("cannot read %s: %v", e.Source, e.Err)
}
func (e *SourceError) Unwrap() error { return e.Err }

// UsageError is a bad flag or a missing input: exit code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// PolicyError carries the policy's error diagnostics: exit code 2.
type PolicyError struct {
	Diags hcl.Diagnostics
	Files map[string]*hcl.File
}

func (e *PolicyError) Error() string { return e.Diags.Error() }

// LoadPolicy reads policy files and folders, checking check labels against
// the registry. Errors come back as a *PolicyError.
func LoadPolicy(paths []string) (*policyhcl.Policy, hcl.Diagnostics, error) {
	pol, diags := policyhcl.Load(paths, checks.PolicyOptions())
	if diags.HasErrors() {
		var files map[string]*hcl.File
		if pol != nil {
			files = pol.HCLFiles
		}
		return pol, diags, &PolicyError{Diags: diags, Files: files}
	}
	return pol, diags, nil
}

// Run performs a check and returns its result.
func Run(ctx context.Context, o Options) (*report.Result, error) {
	if o.Policy == nil {
		return nil, &UsageError{errors.New("no policy loaded")}
	}
	if len(o.CloudTrail) == 0 {
		return nil, &UsageError{errors.New("no CloudTrail source: pass --cloudtrail PATH, s3://BUCKET/PREFIX, lookup: or athena://WORKGROUP/DATABASE.TABLE, or add a cloudtrail block to the policy")}
	}
	keep, err := profileFilter(o.Profiles, o.Policy)
	if err != nil {
		return nil, err
	}
	window := classify.Window{Start: o.Start.UTC(), End: o.End.UTC()}
	q := o.Query
	q.Start, q.End = window.Start, window.End
	q.Regions = cloudtrail.WithGlobalRegion(q.Regions)
	// The accounts of the profiles reported: a source that can tell it
	// lacks one of them says so.
	q.Needed = o.Policy.ProfileAccountIDs(keep)

	// The events are kept (on disk past o.EventBuffer bytes, so memory
	// does not grow with the trail) until every source is read; the
	// session records load meanwhile, and then each event that is no
	// duplicate is classified.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// rctx stops the CloudTrail sources once the session records or the
	// events' temporary files failed: the run fails on them, and an S3 or
	// Athena read could go on for long.
	rctx, rcancel := context.WithCancelCause(ctx)
	defer rcancel(nil)
	type loaded struct {
		recs     classify.Records
		stats    []sessions.Stats
		problems []string
		err      error
	}
	col := newCollector(ctx, window, o.TempDir, o.EventBuffer)
	col.stop = func(err error) {
		rcancel(err)
		cancel() // the session records too: the run fails
	}
	defer col.close()
	sessDone := make(chan loaded, 1)
	go func() {
		var l loaded
		l.recs, l.stats, l.err = loadSessions(sctx, o, window, &l.problems)
		if l.err != nil {
			rcancel(l.err)
		}
		sessDone <- l
	}()

	var problems []string
	var coverage []string // what the sources did not cover (SC2002)
	var ctStats []cloudtrail.Stats
	var srcErr error
	for _, src := range o.CloudTrail {
		st, err := src.Read(rctx, q, col.add)
		if st.Source == "" {
			st.Source = src.Name()
		}
		if rctx.Err() != nil && ctx.Err() == nil {
			// The session records or the temporary files failed: their
			// error is the run's, with the source's own if it had failed
			// too.
			if err != nil && !errors.Is(err, context.Canceled) {
				srcErr = sourceError(src.Name(), err)
			}
			break
		}
		if err != nil {
			if !o.SkipUnreadable || ctx.Err() != nil {
				// The run fails: stop the session records, and report
				// theirs too if they had failed on their own.
				cancel()
				if sl := <-sessDone; sl.err != nil && !errors.Is(sl.err, context.Canceled) {
					return nil, errors.Join(sourceError(src.Name(), err), sl.err)
				}
				return nil, sourceError(src.Name(), err)
			}
			st.Unreadable++
			st.Skipped = append(st.Skipped, cloudtrail.Skip{Item: src.Name(), Reason: err.Error()})
		}
		if st.Unreadable > 0 {
			problems = append(problems, fmt.Sprintf("%s: %d unreadable", st.Source, st.Unreadable))
		}
		// An assume-role record whose fields cannot be used may be an
		// untracked session: it is missing evidence, like an unreadable file.
		if err == nil && st.RecordsSkipped > 0 {
			if !o.SkipUnreadable {
				return nil, unusableRecords(st)
			}
			problems = append(problems, fmt.Sprintf("%s: %s", st.Source, english.Count(st.RecordsSkipped, "unusable assume-role record", "unusable assume-role records")))
		}
		for _, w := range st.Warnings {
			coverage = append(coverage, st.Source+": "+w)
		}
		ctStats = append(ctStats, st)
	}
	sl := <-sessDone
	if err := col.failure(); err != nil {
		// The temporary files failed: the sources and the session records
		// were stopped, and only their own failures are worth a word.
		errs := []error{srcErr, tempError(o.TempDir, err)}
		if !errors.Is(sl.err, context.Canceled) {
			errs = append(errs, sl.err)
		}
		return nil, errors.Join(errs...)
	}
	if sl.err != nil {
		if srcErr != nil {
			return nil, errors.Join(srcErr, sl.err)
		}
		return nil, sl.err
	}
	sessStats := sl.stats
	problems = append(problems, sl.problems...)
	if w := accountCoverage(q.Needed, ctStats); w != "" {
		coverage = append(coverage, w)
	}
	coverage = append(coverage, cloudtrail.DeliveryGaps(q.Needed, ctStats, o.Start, o.End)...)
	coverage = append(coverage, cloudtrail.RegionFolderGaps(ctStats)...)
	cl := classify.NewClassifier(o.Policy, window, sl.recs, len(o.Sessions) > 0, enabledSelectors(o.Policy)...)
	err = col.finish(cl, o.Progress)
	if testFinished != nil {
		testFinished(col)
	}
	if err != nil {
		return nil, errors.Join(srcErr, tempError(o.TempDir, err))
	}
	a := cl.Analysis()
	var orphans []string
	if w := emptySessionStores(sessStats, a, keep); w != "" {
		orphans = append(orphans, w)
	}
	findings := runChecks(o.Policy, a, checks.Context{SourceProblems: problems, Coverage: coverage, Sessions: orphans})

	res := &report.Result{
		Tool:          report.Tool{Name: "sentinel-check", Version: Version, InformationURI: InformationURI},
		Window:        window,
		BaseDir:       o.BaseDir,
		PolicySources: o.Policy.Sources,
		Rules:         ruleMetas(o.Policy),
		Category:      o.Category,
		FailOn:        o.FailOn,
		Diagnostics:   o.Diagnostics,
	}
	for _, p := range a.Profiles {
		if !keep(p.Profile.Name) {
			continue
		}
		res.Profiles = append(res.Profiles, profileReport(p))
	}
	for _, f := range findings {
		if f.Profile == "" || keep(f.Profile) {
			res.Findings = append(res.Findings, f)
		}
	}
	checks.SortFindings(res.Findings)
	res.Sources = report.Sources{CloudTrail: ctStats, Sessions: sessStats}
	res.Sources.Totals = totals(ctStats, sessStats, col)
	res.Summary = summary(res)
	return res, nil
}

// tempError is the error of the collector: its temporary files could not
// be written or read (what to do about it is said), or ctx ended.
func tempError(dir string, err error) error {
	var pe *fs.PathError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case !errors.As(err, &pe):
		return fmt.Errorf("cannot de-duplicate the assume-role events: %w", err)
	}
	if dir == "" {
		dir = os.TempDir()
	}
	return fmt.Errorf("cannot keep the assume-role events in temporary files (--temp-dir %s): %w; make sure the folder exists "+
		"and has free space, or pass --temp-dir DIR (or set TMPDIR) to use another one, or a larger --event-buffer (up to 1GiB) to keep more of them in memory", dir, err)
}

func sourceError(name string, err error) error {
	var se *SourceError
	if errors.As(err, &se) {
		return se
	}
	var ce *cloudtrail.SourceError
	if errors.As(err, &ce) {
		return &SourceError{Source: ce.Source, Err: ce.Err}
	}
	var sse *sessions.SourceError
	if errors.As(err, &sse) {
		src := sse.Source
		if sse.Line > 0 {
			src += ":" + strconv.Itoa(sse.Line)
		}
		return &SourceError{Source: src, Err: sse.Err}
	}
	return &SourceError{Source: name, Err: err}
}

// recordItemRE matches the Skipped items of single records: "file:
// Records[3]", "file: Events[0]", "file: record [2]", "file: the record",
// "lookup page event 4", "athena query row 7".
var recordItemRE = regexp.MustCompile(`(: (Records|Events)\[\d+\]|: record \[\d+\]|: the record| event \d+| row \d+)$`)

// unusableRecords is the error for a source whose assume-role records could
// not all be used: it names the first such record.
func unusableRecords(st cloudtrail.Stats) error {
	what := fmt.Sprintf("%d assume-role records could not be used and may be untracked sessions", st.RecordsSkipped)
	if st.RecordsSkipped == 1 {
		what = "1 assume-role record could not be used and may be an untracked session"
	}
	const fix = "fix the records, or pass --skip-unreadable to report them as SC2002 and check the rest"
	for _, sk := range st.Skipped {
		if recordItemRE.MatchString(sk.Item) {
			return &SourceError{Source: sk.Item, Err: fmt.Errorf("%s; %s; %s", sk.Reason, what, fix)}
		}
	}
	return &SourceError{Source: st.Source, Err: fmt.Errorf("%s; %s", what, fix)}
}

// collector takes events from concurrent sources: it removes duplicates
// by eventID and applies the window, counting both, and classifies each
// event kept. Events are held in a dedup.Set under their digest (see
// digest) until every source is read: in memory up to a budget, on disk
// past it, so that memory does not grow with the trail.
type collector struct {
	ctx    context.Context // ends the merges
	window classify.Window
	mu     sync.Mutex
	set    *dedup.Set
	dir    string // the temporary folder and the budget of set, for the
	budget int    // second pass (see finish)
	buf    []byte
	// runs and levels are set's Runs and Levels before finish closes it.
	runs, levels int
	err          error       // the first error of the set: the run fails with it
	stop         func(error) // called with it, to stop the sources
	salt         [32]byte    // random, so that no trail can choose its digests
	total        int64
	dups         int64
	outside      int64
	failed       int64
	kept         int64
}

// newCollector returns a collector whose events past budget bytes (0: the
// default) go to a temporary folder in dir ("" = the system's).
func newCollector(ctx context.Context, w classify.Window, dir string, budget int) *collector {
	c := &collector{ctx: ctx, window: w, set: dedup.New(dir, budget), dir: dir, budget: budget, stop: func(error) {}}
	rand.Read(c.salt[:]) // never fails (crypto/rand crashes the program instead)
	return c
}

// digest is the 16-byte prefix of SHA-256(salt, event), where event is id
// (the eventID; in the second pass of finish, the sharedEventID) and every
// field that classifying reads (name, time, target role, source identity,
// error), each with its length; fields only shown (the caller, the region,
// the issued key), which one source may fill and another leave empty, are
// not part of it. Copies of one event (several trails, overlapping files)
// are equal and counted once; two records that share an id but say
// different things are both classified, so the verdict never depends on
// which copy is read first. The salt keeps a crafted trail from choosing
// ids whose digests collide.
func (c *collector) digest(id string, ev *cloudtrail.Event) dedup.Key {
	var buf [512]byte
	b := append(buf[:0], c.salt[:]...)
	for _, f := range [...]string{id, ev.EventName, ev.RoleArn, ev.SourceIdentity, ev.ErrorCode} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	b = binary.AppendVarint(b, ev.EventTime.Unix())
	b = binary.AppendUvarint(b, uint64(ev.EventTime.Nanosecond()))
	sum := sha256.Sum256(b)
	return dedup.Key(sum[:16])
}

// add takes an event from a source. Events without an id are never
// duplicates.
func (c *collector) add(ev cloudtrail.Event) {
	var key dedup.Key
	if ev.EventID != "" {
		key = c.digest(ev.EventID, &ev)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total++
	if c.err != nil {
		return
	}
	// The event's place in the order of reading comes first: the second
	// pass of finish keeps the copy read first.
	c.buf = binary.BigEndian.AppendUint64(c.buf[:0], uint64(c.total))
	c.buf, _ = ev.AppendBinary(c.buf) // never fails
	if err := c.set.Add(c.ctx, key, ev.EventID == "", c.buf); err != nil {
		c.err = err
		c.stop(err)
	}
}

// finish counts the duplicates and the events outside the window, and
// gives cl the others (nil: count them only), once every source is read.
// p, when set, reports the pass when it reads events from disk.
//
// Copies are one event in two passes. The first takes the copies of each
// eventID (several trails, overlapping files) as one, which keeps the
// sharedEventID that any of them has (the smallest, when they differ): a
// source may leave it out. The second takes the events with a
// sharedEventID as one per id: the caller's and the role's account each
// log a cross-account call, with an eventID of their own; it is one
// session, and the copy read first is the one kept (its eventID, caller
// and region are shown).
func (c *collector) finish(cl *classify.Classifier, p cloudtrail.Progress) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	if p == nil || c.set.Runs() == 0 {
		p = cloudtrail.NopProgress{}
	}
	p.Start("merging and classifying the assume-role events", "events")
	p.Grow(c.set.Len())
	defer p.Finish()
	use := func(ev *cloudtrail.Event) {
		if ev.EventTime.Before(c.window.Start) || !ev.EventTime.Before(c.window.End) {
			c.outside++
			return
		}
		if ev.Failed() {
			c.failed++
		}
		c.kept++
		if testUsed != nil {
			testUsed(*ev)
		}
		if cl != nil {
			cl.Add(*ev)
		}
	}
	shared := dedup.New(c.dir, c.budget)
	defer shared.Close()
	// ev is the event of the copies of a key read so far, and seq its
	// place in the order of reading.
	var ev, dup cloudtrail.Event
	var seq uint64
	// The first pass uses the events without a sharedEventID and keeps
	// the others for the second.
	toShared := func() error {
		if ev.EventID == "" || ev.SharedEventID == "" {
			use(&ev)
			return nil
		}
		c.buf = binary.BigEndian.AppendUint64(c.buf[:0], seq)
		c.buf, _ = ev.AppendBinary(c.buf) // never fails
		return shared.Add(c.ctx, c.digest("shared:"+ev.SharedEventID, &ev), false, c.buf)
	}
	var n int64 // read by the first pass since the last report
	// groups reads the copies of each key of set into ev (the first) and
	// dup (each other one, which onDup sees with its place in the order
	// of reading), and calls then once they are read.
	groups := func(set *dedup.Set, then func() error, onDup func(uint64)) error {
		held := false          // ev holds a key's event that then has not had
		report := set == c.set // only the first pass is reported
		err := set.Each(c.ctx, func(rec []byte, isDup bool) error {
			if report {
				if n++; n == 4096 {
					p.Add(n, 0)
					n = 0
				}
			}
			if !isDup {
				if held {
					if err := then(); err != nil {
						return err
					}
				}
				var err error
				seq, err = readEvent(&ev, rec)
				held = err == nil
				return err
			}
			c.dups++
			s, err := readEvent(&dup, rec)
			if err == nil {
				onDup(s)
			}
			return err
		})
		if err == nil && held {
			err = then()
		}
		return err
	}
	// First pass: a copy without the sharedEventID takes the one another
	// copy has (the smallest).
	err := groups(c.set, toShared, func(uint64) {
		if s := dup.SharedEventID; s != "" && (ev.SharedEventID == "" || s < ev.SharedEventID) {
			ev.SharedEventID = s
		}
	})
	if err != nil {
		return err
	}
	p.Add(n, 0)
	c.runs, c.levels = c.set.Runs(), c.set.Levels()
	c.set.Close() // the second pass needs neither its files nor its buffer
	// Second pass: of the copies of a sharedEventID, the one read first is
	// used (they come in the first pass's order, not the order of reading).
	return groups(shared, func() error {
		use(&ev)
		return nil
	}, func(s uint64) {
		if s < seq {
			ev, seq = dup, s
		}
	})
}

// readEvent decodes a record of the collector's sets: the event's place in
// the order of reading, then the event.
func readEvent(ev *cloudtrail.Event, rec []byte) (uint64, error) {
	if len(rec) < 8 {
		return 0, errors.New("reading an event back: the record is cut short")
	}
	if err := ev.UnmarshalBinary(rec[8:]); err != nil {
		return 0, fmt.Errorf("reading an event back: %w", err)
	}
	return binary.BigEndian.Uint64(rec), nil
}

// testUsed, when set, sees every event finish classifies (tests).
var testUsed func(cloudtrail.Event)

// testFinished, when set, sees the collector once finish returned (tests).
var testFinished func(*collector)

// failure is the error that stopped add, if any.
func (c *collector) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// close removes the collector's temporary files.
func (c *collector) close() { c.set.Close() }

// loadSessions reads the session stores (records of the policy's profiles
// around the window) into one index of every store's records, for the
// sessions whose rule names no session_table (and those no rule matched):
// the stores of --sessions, or every session_table block's, as one store,
// as a broker that keeps a table per region would have them. A table that
// a rule names, when there are several, also gets an index of its own,
// built in the same read. The records of several stores are indexed
// together (see sessions.IndexBuilder for which version of an id is
// used).
//
// A store that cannot be read whole fails the run, and so does a record
// that cannot be used (it may be the revocation of a session). With
// --skip-unreadable either is a problem reported as SC2002 instead; an
// unreadable store then leaves every index that holds its records with no
// records at all, so that every broker identity matched against them is
// orphaned: a partial read could keep an earlier version of a record whose
// later one was not read, and the run can only look worse, never
// compliant.
func loadSessions(ctx context.Context, o Options, w classify.Window, problems *[]string) (classify.Records, []sessions.Stats, error) {
	recs := classify.Records{Tables: map[string]*sessions.Index{}}
	if len(o.Sessions) == 0 {
		return recs, nil, nil
	}
	q := sessions.Query{Start: w.Start, End: w.End}
	for _, p := range o.Policy.Profiles {
		q.Profiles = append(q.Profiles, p.Name)
	}
	var tables []string
	for _, s := range o.Sessions {
		if !slices.Contains(tables, s.Table) {
			tables = append(tables, s.Table)
		}
	}
	named := map[string]bool{}
	for _, r := range o.Policy.Rules {
		named[r.SessionTable] = r.SessionTable != ""
	}
	// own: the table has an index of its own besides the one of all.
	own := func(t string) bool { return len(tables) > 1 && named[t] }
	all := new(sessions.IndexBuilder)
	builders := map[string]*sessions.IndexBuilder{}
	failed := map[string]bool{}
	// failedAt is the problem of the first store that failed, which also
	// says what its failure leaves unused (one problem per source).
	firstFailed, failedAt := false, 0
	var stats []sessions.Stats
	// slots are the ids each store added first, in the builder it fed.
	type slots struct {
		b        *sessions.IndexBuilder
		from, to int
	}
	var spans []slots
	for _, s := range o.Sessions {
		b := all
		if own(s.Table) {
			if b = builders[s.Table]; b == nil {
				b = new(sessions.IndexBuilder)
				b.Tee(all)
				builders[s.Table] = b
			}
		}
		before := b.Len()
		st, err := s.Store.Load(ctx, q, b)
		if st.Source == "" {
			st.Source = s.Store.Name()
		}
		if err != nil {
			if !o.SkipUnreadable || ctx.Err() != nil {
				return recs, append(stats, st), sourceError(s.Store.Name(), err)
			}
			if !firstFailed {
				firstFailed, failedAt = true, len(*problems)
			}
			failed[s.Table] = true
			// What the store read before the error is not used: skipped.
			st.RecordsSkipped += max(st.Records, int64(b.Len()-before))
			st.Records = 0
			reason := err.Error()
			if se := (*sessions.SourceError)(nil); errors.As(err, &se) && se.Source == st.Source {
				reason = se.Err.Error() // the store is named once, beside it
				if se.Line > 0 {
					reason = fmt.Sprintf("line %d: %s", se.Line, reason)
				}
			}
			st.Skipped = append(st.Skipped, sessions.Skip{Item: st.Source, Reason: reason})
			stats = append(stats, st)
			spans = append(spans, slots{})
			*problems = append(*problems, fmt.Sprintf("%s: unreadable session records (%s)", st.Source, reason))
			continue
		}
		stats = append(stats, st)
		spans = append(spans, slots{b, before, b.Len()})
		if st.RecordsUnusable > 0 {
			if !o.SkipUnreadable {
				return recs, stats, unusableSessionRecords(st)
			}
			*problems = append(*problems, fmt.Sprintf("%s: %s", st.Source, english.Count(st.RecordsUnusable, "unusable session record", "unusable session records")))
		}
	}
	// The records of an id that a version that could not be used left out
	// (see IndexBuilder.Poison) are skipped, not used, whichever store
	// read that version.
	for i, sp := range spans {
		if sp.b != nil {
			n := int64(sp.b.LeftOut(sp.from, sp.to, all))
			stats[i].Records -= n
			stats[i].RecordsSkipped += n
		}
	}
	const partial = "one of their stores could not be read whole, and a partial read may miss a revocation"
	for _, t := range tables {
		if b := builders[t]; b != nil {
			if failed[t] {
				if n := b.Len(); n > 0 {
					(*problems)[failedAt] += fmt.Sprintf("; the records of session table %s are not used by the rules that name it (%s read): %s", t, english.Count(n, "record", "records"), partial)
				}
				b = new(sessions.IndexBuilder)
			}
			// With every store read whole, all holds every version;
			// else only what makes a record less live is taken from it
			// (a partial read could hold a version that a revocation
			// after the break would have beaten).
			b.AdoptVersions(all, len(failed) == 0)
			recs.Tables[t] = b.Index()
		}
	}
	if len(failed) > 0 {
		if n := all.Len(); n > 0 {
			name := "the --sessions records"
			if tables[0] != "" {
				name = "the records of the session tables (" + strings.Join(tables, ", ") + ")"
				if len(tables) > 1 {
					name += ", matched together for the rules that name none,"
				}
			}
			(*problems)[failedAt] += fmt.Sprintf("; %s are not used (%s read): %s", name, english.Count(n, "record", "records"), partial)
		}
		all = new(sessions.IndexBuilder)
		// A store whose records no index keeps counts them skipped:
		// read, and not used.
		for i, s := range o.Sessions {
			if !own(s.Table) || failed[s.Table] {
				stats[i].RecordsSkipped += stats[i].Records
				stats[i].Records = 0
			}
		}
	}
	recs.Default = all.Index()
	for _, t := range tables {
		if _, ok := recs.Tables[t]; !ok && t != "" {
			recs.Tables[t] = recs.Default
		}
	}
	return recs, stats, nil
}

// unusableSessionRecords is the error for a store with records that could
// not be used: it names the first one.
func unusableSessionRecords(st sessions.Stats) error {
	what := english.Count(st.RecordsUnusable, "session record", "session records") + " could not be used and may hide a revocation or an expiry"
	const fix = "fix the records, or pass --skip-unreadable to report them as SC2002 and check the rest"
	if f := st.FirstUnusable; f != nil {
		return &SourceError{Source: f.Item, Err: fmt.Errorf("%s; %s; %s", f.Reason, what, fix)}
	}
	return &SourceError{Source: st.Source, Err: fmt.Errorf("%s; %s", what, fix)}
}

// runChecks runs every enabled check with its settings from the policy.
func runChecks(pol *policyhcl.Policy, a *classify.Analysis, data checks.Context) []checks.Finding {
	var out []checks.Finding
	for _, c := range checks.All() {
		m := c.Meta()
		enabled, sev, minc := settings(pol, m)
		if !enabled {
			continue
		}
		ctx := data
		ctx.Analysis, ctx.MinCompliance = a, minc
		for _, f := range c.Run(&ctx) {
			f.CheckID, f.Check, f.Severity = m.ID, m.Name, sev
			out = append(out, f)
		}
	}
	return out
}

// enabledSelectors are the selectors of the checks the policy enables.
func enabledSelectors(pol *policyhcl.Policy) []classify.Selector {
	return checks.Selectors(func(m checks.Meta) bool {
		enabled, _, _ := settings(pol, m)
		return enabled
	})
}

// settings reads a check's block: enabled, severity in force, min_compliance.
func settings(pol *policyhcl.Policy, m checks.Meta) (bool, checks.Severity, float64) {
	enabled, sev, minc := true, m.DefaultSeverity, 100.0
	if cc := pol.CheckConfig(m.ID, m.Name); cc != nil && !m.Fixed { // a fixed check's block is warned about and changes nothing
		if cc.Enabled != nil {
			enabled = *cc.Enabled
		}
		if cc.Severity != "" {
			sev = checks.Severity(cc.Severity)
		}
		if cc.MinCompliance != nil {
			minc = *cc.MinCompliance
		}
	}
	return enabled, sev, minc
}

// ruleMetas lists every check's metadata with the severity in force.
func ruleMetas(pol *policyhcl.Policy) []checks.Meta {
	var out []checks.Meta
	for _, c := range checks.All() {
		m := c.Meta()
		if pol != nil {
			var enabled bool
			enabled, m.DefaultSeverity, _ = settings(pol, m)
			m.Disabled = !enabled
		}
		out = append(out, m)
	}
	return out
}

// RuleMetas is ruleMetas for callers outside a run (validate).
func RuleMetas(pol *policyhcl.Policy) []checks.Meta { return ruleMetas(pol) }

// profileFilter keeps the profiles that match one of globs (all when there
// are none). A glob that is not valid, or that matches no profile of the
// policy, is a usage error: a mistyped --profile must not turn a gate green
// by checking nothing.
func profileFilter(globs []string, pol *policyhcl.Policy) (func(string) bool, error) {
	if len(globs) == 0 {
		return func(string) bool { return true }, nil
	}
	var gs []policyhcl.Glob
	for _, g := range globs {
		pg, err := policyhcl.NewGlob(g)
		if err != nil {
			return nil, &UsageError{fmt.Errorf("--profile %q is not a valid pattern: %w", g, err)}
		}
		matched := false
		for _, p := range pol.Profiles {
			if pg.Match(p.Name) {
				matched = true
				break
			}
		}
		if !matched {
			names := make([]string, len(pol.Profiles))
			for i, p := range pol.Profiles {
				names[i] = p.Name
			}
			return nil, &UsageError{fmt.Errorf("--profile %q matches no profile of the policy; its profiles are: %s", g, strings.Join(names, ", "))}
		}
		gs = append(gs, pg)
	}
	return func(name string) bool { return policyhcl.MatchAny(gs, name) }, nil
}

func profileReport(p *classify.Profile) report.ProfileReport {
	pr := report.ProfileReport{
		Profile:        p.Profile.Name,
		Required:       p.Required,
		Sessions:       p.Sessions,
		Tracked:        p.Tracked,
		Untracked:      p.Sessions - p.Tracked,
		ComplianceRate: p.ComplianceRate(),
		HasGap:         p.HasGap,
		ByCategory:     map[string]int{},
		DeniedAttempts: p.Failed,
		Roles:          []string{},
	}
	for _, g := range p.Profile.RoleArns {
		pr.Roles = append(pr.Roles, g.Pattern)
	}
	for _, c := range classify.Categories {
		pr.ByCategory[c] = p.ByCategory[c]
	}
	pr.FirstEvent, pr.LastEvent = p.First, p.Last
	return pr
}

func totals(ct []cloudtrail.Stats, ss []sessions.Stats, c *collector) report.SourceTotals {
	var sum cloudtrail.Stats
	for _, s := range ct {
		s.Skipped = nil // only the counts are added up
		sum.Add(s)
	}
	t := report.SourceTotals{
		Files: sum.Files, FilesSkipped: sum.FilesSkipped, Pages: sum.Pages,
		Records: sum.Records, RecordsSkipped: sum.RecordsSkipped, Unreadable: sum.Unreadable,
	}
	for _, s := range ss {
		t.SessionRecords += s.Records
		t.SessionRecordsSkipped += s.RecordsSkipped
	}
	t.AssumeRoleEvents = c.total
	t.Duplicates = c.dups
	t.OutsideWindow = c.outside
	t.Failed = c.failed
	t.Sessions = c.kept - c.failed
	return t
}

func summary(r *report.Result) report.Summary {
	s := report.Summary{Findings: len(r.Findings)}
	for i := range r.Profiles {
		p := &r.Profiles[i]
		if p.Required {
			s.RequiredProfiles++
			// Fully compliant needs evidence: sessions, all tracked, and no
			// warning or error about it or about the run (its verdict is PASS).
			if r.ProfileVerdict(p) == report.VerdictPass {
				s.FullyCompliantProfiles++
			}
		}
		if p.HasGap {
			s.ProfilesWithGaps++
		}
	}
	return s
}

// MaxSeverity is the most severe finding's severity ("" when none).
func MaxSeverity(fs []checks.Finding) checks.Severity {
	var max checks.Severity
	for _, f := range fs {
		if f.Severity.Rank() > max.Rank() {
			max = f.Severity
		}
	}
	return max
}

// emptySessionStores says when no session store was given, or the stores
// were read whole and held no record at all (none skipped, none unreadable: that is said apart) while
// sessions with a broker identity, of reported profiles whose rules can
// demand a tracked session, were orphaned for it: the likely cause is the
// wrong table, region or export.
func emptySessionStores(stats []sessions.Stats, a *classify.Analysis, keep func(string) bool) string {
	orphaned := 0
	for _, p := range a.Profiles {
		if keep(p.Profile.Name) && len(a.Policy.RulesRequiringSession(p.Profile.Name)) > 0 {
			orphaned += p.ByCategory[classify.CategoryOrphaned]
		}
	}
	if orphaned == 0 {
		return ""
	}
	if len(stats) == 0 {
		// No --sessions and no session_table block: nothing could track
		// a session, which a forgotten flag is likelier to cause than a
		// broker that keeps no records.
		return fmt.Sprintf("no session records were read (no --sessions and no session_table block), so the %s with a broker identity %s orphaned; pass --sessions FILE or --sessions dynamodb://TABLE, or add a session_table block to the policy",
			english.Count(orphaned, "session", "sessions"), english.Plural(orphaned, "was", "were"))
	}
	names := make([]string, 0, len(stats))
	for _, st := range stats {
		if st.Records > 0 || st.RecordsSkipped > 0 || len(st.Skipped) > 0 {
			return ""
		}
		names = append(names, st.Source)
	}
	return fmt.Sprintf("the session %s %s held no record, so the %s with a broker identity %s orphaned; check the table's name and region, or the export",
		english.Plural(len(names), "store", "stores"), strings.Join(names, ", "), english.Count(orphaned, "session", "sessions"), english.Plural(orphaned, "was", "were"))
}

// accountCoverage says which accounts the reported profiles' role ARNs
// name that no source holds the logs of: a session opened inside an
// account is logged there, so without them those profiles are judged on
// part of their sessions. It judges only when every source can tell the
// accounts it holds (local files can by their CloudTrail names, when
// every one has such a name).
func accountCoverage(needed []string, stats []cloudtrail.Stats) string {
	if len(needed) == 0 || len(stats) == 0 {
		return ""
	}
	held := map[string]bool{}
	var holds []string
	for _, st := range stats {
		if !st.AccountsKnown {
			return ""
		}
		for _, a := range st.Accounts {
			held[a] = true
		}
		what := "none"
		if len(st.Accounts) > 0 {
			what = strings.Join(st.Accounts, ", ")
		}
		if st.Kind == "lookup" {
			what += " (LookupEvents returns only the credentials' account's events)"
		}
		holds = append(holds, st.Source+" holds "+what)
	}
	var missing []string
	for _, a := range needed {
		if !held[a] {
			missing = append(missing, a)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	slices.Sort(missing)
	return fmt.Sprintf("no source holds the logs of %s %s, which the reported profiles' role ARNs name (%s): sessions opened inside them are not seen, so their profiles are judged on part of their sessions; read the organisation trail (s3://, athena://) or add a source for each account, or restrict the report with --profile",
		english.Plural(len(missing), "account", "accounts"), strings.Join(missing, ", "), strings.Join(holds, "; "))
}
