package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	ctapi "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"golang.org/x/time/rate"

	"github.com/sentinel-check/sentinel-check/internal/awsattempt"
)

// Defaults of LookupOptions.
const (
	// DefaultLookupRate is LookupEvents' documented limit: 2 requests per
	// second per account and region.
	DefaultLookupRate = 2.0
	// DefaultLookupAttempts bounds the attempts of one request (the first
	// one and its retries on throttling or transient errors).
	DefaultLookupAttempts = 8
	DefaultLookupBackoff  = time.Second
	DefaultLookupMaxWait  = 20 * time.Second
	// LookupPageSize is the most events LookupEvents returns in a page.
	LookupPageSize = 50
	// LookupRetention is how far back LookupEvents can see.
	LookupRetention = 90 * 24 * time.Hour
)

// lookupGrace lets a window of exactly 90 days (--since 90d, computed a
// moment before the read starts) pass the retention check.
const lookupGrace = 10 * time.Minute

// LookupAPI is the part of the CloudTrail client the LookupEvents source
// uses; *cloudtrail.Client (service/cloudtrail) implements it.
type LookupAPI interface {
	LookupEvents(ctx context.Context, in *ctapi.LookupEventsInput, optFns ...func(*ctapi.Options)) (*ctapi.LookupEventsOutput, error)
}

// LookupOptions tune the LookupEvents source. The zero value is ready to use.
type LookupOptions struct {
	// Rate is the most requests per second sent to one region, shared by
	// that region's streams; 0 means DefaultLookupRate (the API's limit).
	Rate float64
	// MaxAttempts bounds the attempts of one request (retries on
	// ThrottlingException and transient errors included); 0 means
	// DefaultLookupAttempts.
	MaxAttempts int
	// Backoff is the base of the exponential backoff between attempts and
	// MaxBackoff its cap; 0 means DefaultLookupBackoff and DefaultLookupMaxWait.
	Backoff, MaxBackoff time.Duration
	// EventNames are read, one stream each per region; empty means
	// AssumeRoleEventNames.
	EventNames []string
	// ListRegions resolves the region "all" (every region enabled in the
	// account, see ListEnabledRegions); nil makes "all" an error.
	ListRegions func(ctx context.Context) ([]string, error)
	// SkipUnreadable counts a page whose events cannot be decoded instead of
	// failing the read.
	SkipUnreadable bool
	// Progress receives the pages read and their events; nil reports nothing.
	Progress Progress
	// Now is the clock for the 90-day retention check (nil = time.Now).
	Now func() time.Time
	// Coverage, when set, is a warning about the regions read that Read
	// puts in Stats.Warnings (the regions were a default, not a choice).
	Coverage string
	// CallerAccount returns the account whose events LookupEvents returns
	// (the credentials' account, sts:GetCallerIdentity); nil: not known.
	// Read puts it in Stats.Accounts.
	CallerAccount func(ctx context.Context) (string, error)
}

// NewLookupSource reads assume-role events with the CloudTrail LookupEvents
// API: for every region and every event name one stream of pages, filtered
// by the server on the single attribute EventName, over the window
// (StartTime, EndTime), 50 events a page, following NextToken. Regions are
// read in parallel; a region's streams share one limiter of opts.Rate
// requests per second (the API allows 2 per account and region), so
// throttling stays the exception; a ThrottlingException is retried with
// exponential backoff and jitter by the SDK's retryer, configured here
// (every attempt waits for the limiter, and is counted in Stats.Requests
// and, after the first, Stats.Retries). A NextToken seen twice in a stream
// fails the read instead of looping.
//
// client returns the client for a region (its requests must be signed for
// that region). regions may hold "all", resolved with opts.ListRegions.
// LookupEvents only holds the last 90 days: a window that starts earlier
// fails the read with an error that says so.
func NewLookupSource(client func(region string) LookupAPI, regions []string, opts LookupOptions) Source {
	if opts.Rate <= 0 {
		opts.Rate = DefaultLookupRate
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultLookupAttempts
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultLookupBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultLookupMaxWait
	}
	if len(opts.EventNames) == 0 {
		opts.EventNames = AssumeRoleEventNames
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &lookupSource{client: client, regions: slices.Clone(regions), opts: opts}
}

type lookupSource struct {
	client  func(region string) LookupAPI
	regions []string
	opts    LookupOptions
}

// callerAccount notes in st the one account LookupEvents reads, the
// credentials' own, when the check needs accounts (Query.Needed) to compare
// it with.
func (s *lookupSource) callerAccount(ctx context.Context, q Query, st *Stats) {
	if len(q.Needed) == 0 || s.opts.CallerAccount == nil {
		return
	}
	acct, err := s.opts.CallerAccount(ctx)
	if err != nil {
		if ctx.Err() == nil {
			st.Warnings = append(st.Warnings, fmt.Sprintf("the account LookupEvents reads could not be told (sts:GetCallerIdentity failed: %v), so it was not compared with the accounts the policy's role ARNs name (%s): LookupEvents returns only the events of the credentials' account",
				err, strings.Join(sortedUnique(q.Needed), ", ")))
		}
		return
	}
	st.Accounts, st.AccountsKnown = []string{acct}, true
}

func (s *lookupSource) Name() string {
	if len(s.regions) == 0 {
		return "lookup:"
	}
	return "lookup:" + strings.Join(s.regions, ",")
}

// lookupRun is the state of one Read.
type lookupRun struct {
	s    *lookupSource
	q    Query
	prog Progress
	emit func(Event)

	requests atomic.Int64
	retries  atomic.Int64

	mu sync.Mutex
	st Stats
}

// Read reads every (region, event name) stream of the window.
func (s *lookupSource) Read(ctx context.Context, q Query, emit func(Event)) (Stats, error) {
	r := &lookupRun{s: s, q: q, prog: progressOr(s.opts.Progress), emit: emit}
	r.st = Stats{Source: s.Name(), Kind: "lookup"}
	if s.opts.Coverage != "" {
		r.st.Warnings = append(r.st.Warnings, s.opts.Coverage)
	}
	s.callerAccount(ctx, q, &r.st)
	r.prog.Start(s.Name(), "pages")
	defer r.prog.Finish()
	err := r.read(ctx)
	r.mu.Lock()
	st := r.st
	r.mu.Unlock()
	st.Requests, st.Retries = r.requests.Load(), r.retries.Load()
	sort.SliceStable(st.Skipped, func(i, j int) bool { return st.Skipped[i].Item < st.Skipped[j].Item })
	if err != nil && ctx.Err() != nil && !errors.As(err, new(*SourceError)) {
		return st, fmt.Errorf("reading %s: %w", s.Name(), ctx.Err())
	}
	return st, err
}

func (r *lookupRun) read(ctx context.Context) error {
	if err := r.checkRetention(); err != nil {
		return err
	}
	regions, err := r.regions(ctx)
	if err != nil {
		return err
	}
	type stream struct{ region, name string }
	var streams []stream
	limiters := map[string]*rate.Limiter{}
	retryers := map[string]aws.Retryer{}
	for _, reg := range regions {
		limiters[reg] = rate.NewLimiter(rate.Limit(r.s.opts.Rate), 1)
		retryers[reg] = r.retryer()
		for _, n := range r.s.opts.EventNames {
			streams = append(streams, stream{reg, n})
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	for _, st := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := r.stream(ctx, st.region, st.name, limiters[st.region], retryers[st.region])
			if err == nil {
				return
			}
			errMu.Lock()
			defer errMu.Unlock()
			// The first real failure wins over the cancellations it causes.
			if firstErr == nil || (errors.Is(firstErr, context.Canceled) && !errors.Is(err, context.Canceled)) {
				firstErr = err
			}
			cancel()
		}()
	}
	wg.Wait()
	return firstErr
}

// checkRetention fails a window that LookupEvents cannot cover whole.
func (r *lookupRun) checkRetention() error {
	if r.q.Start.IsZero() {
		return nil
	}
	now := r.s.opts.Now()
	oldest := now.Add(-LookupRetention)
	if r.q.Start.Before(oldest.Add(-lookupGrace)) {
		days := int(now.Sub(r.q.Start).Hours() / 24)
		return &SourceError{Source: r.s.Name(), Err: fmt.Errorf(
			"LookupEvents only holds the last 90 days of events, but the window starts %s (%d days ago): "+
				"shorten the window (--since 90d or less), or read the trail's log files with --cloudtrail s3://BUCKET/PREFIX "+
				"or athena://WORKGROUP/DATABASE.TABLE", r.q.Start.UTC().Format(time.RFC3339), days)}
	}
	if r.q.Start.Before(oldest.Add(lookupEdge)) {
		// Pages come newest first, at 2 a second: by the time the
		// oldest are asked for, events at the window's start may have
		// aged out of the 90 days.
		r.st.Warnings = append(r.st.Warnings, fmt.Sprintf(
			"the window starts %s, within %s of the 90 days LookupEvents keeps: events at its start may age out before their pages are read; start the window later (--since 89d) or read the trail's log files (s3:// or athena://)",
			r.q.Start.UTC().Format(time.RFC3339), lookupEdge))
	}
	return nil
}

// lookupEdge is how close to LookupEvents' 90-day limit a window may start
// before a coverage warning says that its first events may age out while
// the pages are read.
const lookupEdge = time.Hour

// regions resolves "all" and applies the query's region filter.
func (r *lookupRun) regions(ctx context.Context) ([]string, error) {
	var regions []string
	for _, reg := range r.s.regions {
		if reg != "all" {
			regions = append(regions, reg)
			continue
		}
		if r.s.opts.ListRegions == nil {
			return nil, &SourceError{Source: r.s.Name(), Err: errors.New(`the region "all" cannot be resolved here; name the regions with --region`)}
		}
		all, err := r.s.opts.ListRegions(ctx)
		if err != nil {
			return nil, err
		}
		regions = append(regions, all...)
	}
	slices.Sort(regions)
	regions = slices.Compact(regions)
	f := newFilter(r.q.Regions)
	// A region the source names (not "all", not a global endpoint's, which
	// every list holds) must be read: --region may not drop it silently.
	for _, reg := range r.s.regions {
		if reg != "all" && !isGlobalRegion(reg) && f.active() && !f.keep(reg) {
			return nil, &SourceError{Source: r.s.Name(), Err: fmt.Errorf("the source names the region %s, which --region %s leaves out; make them agree (name the regions in one place)",
				reg, strings.Join(r.q.Regions, ", "))}
		}
	}
	kept := slices.DeleteFunc(slices.Clone(regions), func(reg string) bool { return !f.keep(reg) })
	// The regions of the global endpoints are in both lists whenever
	// either narrows the read (WithGlobalRegion): when both name other
	// regions, they must also agree on one of those.
	notGlobal := func(r string) bool { return !isGlobalRegion(r) }
	if f.active() && !slices.ContainsFunc(kept, notGlobal) && slices.ContainsFunc(regions, notGlobal) && slices.ContainsFunc(r.q.Regions, notGlobal) {
		kept = nil
	}
	if len(kept) == 0 {
		if len(regions) == 0 {
			return nil, &SourceError{Source: r.s.Name(), Err: errors.New("no region to read: pass --region REGION (repeatable) or --region all")}
		}
		return nil, &SourceError{Source: r.s.Name(), Err: fmt.Errorf("none of the regions %s is among --region %s; make them agree",
			strings.Join(regions, ", "), strings.Join(r.q.Regions, ", "))}
	}
	return kept, nil
}

// retryer is the SDK's standard retryer as LookupEvents needs it: bounded
// attempts, exponential backoff with jitter, and no client-side retry
// quota (the limiter paces every attempt instead).
func (r *lookupRun) retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = r.s.opts.MaxAttempts
		o.MaxBackoff = r.s.opts.MaxBackoff
		o.Backoff = jitterBackoff{base: r.s.opts.Backoff, max: r.s.opts.MaxBackoff}
		o.RateLimiter = ratelimit.None
	})
}

// jitterBackoff waits base×2^(attempt-1), capped at max, times a random
// factor in [0.5, 1): never zero, so a throttled region gets a real pause.
type jitterBackoff struct{ base, max time.Duration }

func (j jitterBackoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	d := j.base
	for i := 1; i < attempt && d < j.max; i++ {
		d *= 2
	}
	d = min(d, j.max)
	return time.Duration(float64(d) * (0.5 + rand.Float64()/2)), nil
}

// stream reads the pages of one (region, event name) pair.
func (r *lookupRun) stream(ctx context.Context, region, name string, lim *rate.Limiter, retryer aws.Retryer) error {
	client := r.s.client(region)
	source := "lookup:" + region
	in := &ctapi.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}},
		MaxResults:       aws.Int32(LookupPageSize),
	}
	if !r.q.Start.IsZero() {
		in.StartTime = aws.Time(r.q.Start)
	}
	if !r.q.End.IsZero() {
		in.EndTime = aws.Time(r.q.End)
	}
	seen := map[string]int{}
	for page := 1; ; page++ {
		out, err := client.LookupEvents(ctx, in, r.callOptions(lim, retryer))
		if err != nil {
			return AWSError(AWSCall{Source: source, Action: "cloudtrail:LookupEvents", Resource: "the LookupEvents API", Region: region}, err)
		}
		origin := fmt.Sprintf("%s %s page %d", source, name, page)
		if err := r.page(origin, out.Events); err != nil {
			return err
		}
		if out.NextToken == nil || *out.NextToken == "" {
			return nil
		}
		tok := *out.NextToken
		if first, dup := seen[tok]; dup {
			return &SourceError{Source: source, Err: fmt.Errorf(
				"LookupEvents returned the NextToken of page %d again after page %d (%s events); following it would loop forever: "+
					"run again later, or read the trail's log files with s3:// or athena://", first, page, name)}
		}
		seen[tok] = page
		in.NextToken = aws.String(tok)
	}
}

// callOptions configures one LookupEvents call: the region's retryer, and
// before every attempt the region's limiter and the request counters.
func (r *lookupRun) callOptions(lim *rate.Limiter, retryer aws.Retryer) func(*ctapi.Options) {
	n := 0
	hook := awsattempt.Hook(func(ctx context.Context) error {
		if err := waitFor(ctx, lim); err != nil {
			return err
		}
		n++
		r.requests.Add(1)
		if n > 1 {
			r.retries.Add(1)
		}
		return nil
	})
	return func(o *ctapi.Options) {
		o.Retryer = retryer
		o.RetryMaxAttempts = 0
		o.APIOptions = append(o.APIOptions, hook)
	}
}

// waitFor waits for the limiter's next slot or the end of ctx, whichever
// comes first (rate.Limiter.Wait fails at once when the slot lies past
// ctx's deadline, with an error that is not the context's).
func waitFor(ctx context.Context, lim *rate.Limiter) error {
	r := lim.Reserve()
	d := r.Delay()
	if d == 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	}
}

// page decodes the events of one page and emits them; a page is used whole
// or not at all.
func (r *lookupRun) page(origin string, events []cttypes.Event) error {
	st := Stats{Pages: 1}
	var evs []Event
	var bad error
	for i, e := range events {
		st.Records++
		if e.CloudTrailEvent == nil {
			bad = fmt.Errorf("event %d (%s) has no CloudTrailEvent", i+1, clip(aws.ToString(e.EventId)))
			break
		}
		ev, ok, err := DecodeRecord([]byte(*e.CloudTrailEvent))
		var fe *FieldError
		switch {
		case errors.As(err, &fe):
			st.RecordsSkipped++
			st.Skipped = append(st.Skipped, Skip{Item: fmt.Sprintf("%s event %d", origin, i+1), Reason: err.Error()})
			continue
		case err != nil:
			bad = fmt.Errorf("event %d (%s): CloudTrailEvent: %w", i+1, clip(aws.ToString(e.EventId)), err)
		case !ok:
			continue // not an assume-role call: counted as a record only
		}
		if bad != nil {
			break
		}
		ev.Origin = origin
		st.AssumeRole++
		evs = append(evs, ev)
	}
	if bad != nil {
		if !r.s.opts.SkipUnreadable {
			return &SourceError{Source: origin, Err: bad}
		}
		r.mu.Lock()
		r.st.Pages++
		r.st.Unreadable++
		r.st.Skipped = append(r.st.Skipped, Skip{Item: origin, Reason: "unreadable: " + bad.Error()})
		r.mu.Unlock()
		r.prog.Add(1, 0)
		return nil
	}
	for _, ev := range evs {
		r.emit(ev)
	}
	r.mu.Lock()
	r.st.Add(st)
	r.mu.Unlock()
	r.prog.Add(1, st.Records)
	return nil
}

// AccountRegionsAPI is the part of the Account client ListEnabledRegions
// uses; *account.Client (service/account) implements it.
type AccountRegionsAPI interface {
	ListRegions(ctx context.Context, in *account.ListRegionsInput, optFns ...func(*account.Options)) (*account.ListRegionsOutput, error)
}

// ListEnabledRegions lists the regions enabled in the account (opted in or
// enabled by default) with account:ListRegions, sorted.
func ListEnabledRegions(ctx context.Context, api AccountRegionsAPI) ([]string, error) {
	in := &account.ListRegionsInput{
		MaxResults:              aws.Int32(50),
		RegionOptStatusContains: []accounttypes.RegionOptStatus{accounttypes.RegionOptStatusEnabled, accounttypes.RegionOptStatusEnabledByDefault},
	}
	var out []string
	seen := map[string]bool{}
	for {
		page, err := api.ListRegions(ctx, in)
		if err != nil {
			return nil, AWSError(AWSCall{Source: "lookup:all", Action: "account:ListRegions", Resource: "the account's regions"}, err)
		}
		for _, reg := range page.Regions {
			if name := aws.ToString(reg.RegionName); name != "" {
				out = append(out, name)
			}
		}
		if page.NextToken == nil || *page.NextToken == "" {
			break
		}
		if seen[*page.NextToken] {
			return nil, &SourceError{Source: "lookup:all", Err: errors.New("account:ListRegions returned the same NextToken twice; the listing would never end")}
		}
		seen[*page.NextToken] = true
		in.NextToken = page.NextToken
	}
	if len(out) == 0 {
		return nil, &SourceError{Source: "lookup:all", Err: errors.New("account:ListRegions found no enabled region; name the regions with --region")}
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}
