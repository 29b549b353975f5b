package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/account"
	ctapi "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/smithy-go"

	"github.com/sentinel-check/sentinel-check/cloudtrail/cloudtrailtest"
	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

var (
	lookupStart = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	lookupEnd   = time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	lookupNow   = time.Date(2026, 3, 13, 8, 0, 0, 0, time.UTC)
)

// lookupFixture is the records the LookupEvents tests serve and the ids of
// the assume-role events of the window in each region.
//
//	us-east-1: 120 AssumeRole and 10 AssumeRoleWithSAML in the window, 5
//	           AssumeRole before it, 20 s3:GetObject calls
//	eu-west-1: 30 AssumeRoleWithWebIdentity, 3 refused AssumeRole calls
//
// Pages of 50: us-east-1 3 (AssumeRole) + 1 (SAML) + 1 (web identity,
// empty); eu-west-1 1 + 1 (empty) + 1: 8 requests in all.
func lookupFixture() (recs []cloudtrailtest.Record, want map[string][]string) {
	want = map[string][]string{}
	add := func(a cloudtrailtest.Assume, inWindow bool) {
		r := a.Record()
		recs = append(recs, r)
		if inWindow {
			want[a.Region] = append(want[a.Region], r["eventID"].(string))
		}
	}
	for i := range 120 {
		add(cloudtrailtest.Assume{Time: lookupStart.Add(time.Duration(i) * 20 * time.Minute), Account: "111122223333", Region: "us-east-1",
			Role: "arn:aws:iam::111122223333:role/ProdAdmin", Session: fmt.Sprintf("s%d", i), Identity: fmt.Sprintf("sentinel:u%d:direct:%08x", i%7, i)}, true)
	}
	for i := range 10 {
		add(cloudtrailtest.Assume{Time: lookupStart.Add(time.Duration(i)*time.Hour + 7*time.Minute), Name: EventAssumeRoleWithSAML, Account: "111122223333",
			Region: "us-east-1", Role: "arn:aws:iam::111122223333:role/Support", Session: fmt.Sprintf("saml%d", i)}, true)
	}
	for i := range 5 {
		add(cloudtrailtest.Assume{Time: lookupStart.Add(-time.Duration(i+1) * time.Hour), Account: "111122223333", Region: "us-east-1",
			Role: "arn:aws:iam::111122223333:role/ProdAdmin", Session: fmt.Sprintf("old%d", i)}, false)
	}
	for i := range 20 {
		recs = append(recs, cloudtrailtest.Noise(lookupStart.Add(time.Duration(i)*time.Hour), "111122223333", "us-east-1"))
	}
	for i := range 30 {
		add(cloudtrailtest.Assume{Time: lookupStart.Add(time.Duration(i)*time.Hour + 3*time.Minute), Name: EventAssumeRoleWithWebIdentity,
			Account: "444455556666", Region: "eu-west-1", Role: "arn:aws:iam::444455556666:role/GitHubDeploy", Session: fmt.Sprintf("gha%d", i)}, true)
	}
	for i := range 3 {
		add(cloudtrailtest.Assume{Time: lookupStart.Add(time.Duration(i)*time.Hour + 9*time.Minute), Account: "444455556666", Region: "eu-west-1",
			Role: "arn:aws:iam::444455556666:role/Admin", Session: fmt.Sprintf("denied%d", i), ErrorCode: "AccessDenied"}, true)
	}
	return recs, want
}

// lookupClients returns real CloudTrail clients for srv, one per region.
func lookupClients(t *testing.T, url string) func(region string) LookupAPI {
	cfg := testsvc.AWSConfig(t, url)
	var mu sync.Mutex
	clients := map[string]LookupAPI{}
	return func(region string) LookupAPI {
		mu.Lock()
		defer mu.Unlock()
		if c, ok := clients[region]; ok {
			return c
		}
		c := ctapi.NewFromConfig(cfg, func(o *ctapi.Options) { o.Region = region })
		clients[region] = c
		return c
	}
}

type awsCollected struct {
	mu  sync.Mutex
	evs []Event
}

func (c *awsCollected) emit(e Event) {
	c.mu.Lock()
	c.evs = append(c.evs, e)
	c.mu.Unlock()
}

func (c *awsCollected) ids(region string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.evs {
		if region == "" || e.AWSRegion == region {
			out = append(out, e.EventID)
		}
	}
	slices.Sort(out)
	return out
}

func awsSorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func readLookup(t *testing.T, srv *cloudtrailtest.LookupServer, regions []string, opts LookupOptions) (*awsCollected, Stats, error, time.Duration) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return lookupNow }
	}
	src := NewLookupSource(lookupClients(t, srv.URL), regions, opts)
	var c awsCollected
	begin := time.Now()
	st, err := src.Read(context.Background(), Query{Start: lookupStart, End: lookupEnd}, c.emit)
	return &c, st, err, time.Since(begin)
}

func TestLookupEventsPagesUnderTheLimiter(t *testing.T) {
	recs, want := lookupFixture()
	srv := cloudtrailtest.NewLookupServer(t, recs, cloudtrailtest.LookupServerOptions{})
	got, st, err, elapsed := readLookup(t, srv, []string{"us-east-1", "eu-west-1"}, LookupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		if g, w := got.ids(region), awsSorted(want[region]); !slices.Equal(g, w) {
			t.Errorf("%s: read %d events, want %d (the window's assume-role calls)", region, len(g), len(w))
		}
	}
	reqs := srv.Requests()
	if st.Retries > 0 {
		// A loaded machine can break a loopback connection now and then
		// (two at once were seen with two test runs sharing 2 CPUs); the
		// SDK retries it. What must never happen is a throttle (checked
		// below), a page read twice or a request not counted.
		t.Logf("%d requests retried after a transport error", st.Retries)
	}
	if st.Requests != 8+st.Retries || int64(len(reqs)) != st.Requests || st.Pages != 8 {
		t.Errorf("requests: stats %d, server %d, pages %d, retries %d; want 8 pages of 50 and one request each", st.Requests, len(reqs), st.Pages, st.Retries)
	}
	if n := srv.Throttled(); n != 0 {
		t.Errorf("%d requests throttled; the limiter must keep every region within 2 requests/s", n)
	}
	if st.Records != 163 || st.AssumeRole != 163 || st.RecordsSkipped != 0 || st.Kind != "lookup" {
		t.Errorf("stats = %+v, want 163 records, all assume-role", st)
	}
	perRegion := map[string][]time.Time{}
	names := map[string]int{}
	for _, r := range reqs {
		perRegion[r.Region] = append(perRegion[r.Region], r.At)
		names[r.Region+" "+r.EventName]++
	}
	// The per-region counts assume no transport retry.
	if st.Retries == 0 && (len(perRegion["us-east-1"]) != 5 || len(perRegion["eu-west-1"]) != 3) {
		t.Errorf("requests per region = us-east-1 %d, eu-west-1 %d; want 5 and 3", len(perRegion["us-east-1"]), len(perRegion["eu-west-1"]))
	}
	if st.Retries == 0 && (names["us-east-1 AssumeRole"] != 3 || names["us-east-1 AssumeRoleWithSAML"] != 1 || names["eu-west-1 AssumeRoleWithWebIdentity"] != 1) {
		t.Errorf("requests by region and event name = %v", names)
	}
	for region, ts := range perRegion {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		// n requests at 2 per second span at least (n-1)/2 seconds (less
		// 0.3 s: a loaded machine may delay the first one after its slot).
		n := len(ts)
		if span, floor := ts[n-1].Sub(ts[0]), time.Duration(n-1)*500*time.Millisecond-300*time.Millisecond; span < floor {
			t.Errorf("%s: %d requests within %v; at 2 per second they span at least %v", region, n, span, floor)
		}
	}
	// Five requests in us-east-1 at 2/s take at least 2 s.
	if elapsed < 1900*time.Millisecond {
		t.Errorf("read took %v; 5 requests in one region at 2/s take at least 2s", elapsed)
	}
	t.Logf("LookupEvents: %d events, %d requests, %v (floor 2.0s: 5 requests in us-east-1 at 2/s)", len(got.ids("")), st.Requests, elapsed.Round(10*time.Millisecond))
}

func TestLookupEventsServerThrottlesWithoutTheLimiter(t *testing.T) {
	// The server's throttling is real: with the limiter opened up, the
	// three streams of a region outrun its 2 requests/s, and the SDK's
	// retryer (configured by the source) recovers.
	recs, want := lookupFixture()
	srv := cloudtrailtest.NewLookupServer(t, recs, cloudtrailtest.LookupServerOptions{})
	got, st, err, _ := readLookup(t, srv, []string{"us-east-1"}, LookupOptions{
		Rate: 1000, MaxAttempts: 30, Backoff: 20 * time.Millisecond, MaxBackoff: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.ids(""), awsSorted(want["us-east-1"])) {
		t.Errorf("read %d events, want %d", len(got.ids("")), len(want["us-east-1"]))
	}
	thr := srv.Throttled()
	if thr == 0 {
		t.Fatal("no request was throttled without the limiter; the server's rate check does not work")
	}
	// Every throttled request was retried (a transient network error on a
	// loaded machine may add a retry of its own).
	if st.Retries < int64(thr) || st.Requests != int64(len(srv.Requests())) || st.Pages != 5 {
		t.Errorf("stats: %d requests, %d retries, %d pages; server saw %d requests, %d throttled, want 5 pages",
			st.Requests, st.Retries, st.Pages, len(srv.Requests()), thr)
	}
}

func TestLookupEventsRetriesThrottling(t *testing.T) {
	recs, want := lookupFixture()
	srv := cloudtrailtest.NewLookupServer(t, recs, cloudtrailtest.LookupServerOptions{ThrottleFirst: 2})
	got, st, err, _ := readLookup(t, srv, []string{"eu-west-1"}, LookupOptions{Backoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.ids(""), awsSorted(want["eu-west-1"])) {
		t.Errorf("read %d events, want %d", len(got.ids("")), len(want["eu-west-1"]))
	}
	extra := int64(transportRetries(t, srv))
	if srv.Throttled() != 2 || st.Retries != 2+extra || st.Requests != 5+extra || st.Pages != 3 {
		t.Errorf("server throttled %d; stats %d requests, %d retries, %d pages; want 2 throttled and retried, 5 requests, 3 pages (and %d transport retries)",
			srv.Throttled(), st.Requests, st.Retries, st.Pages, extra)
	}
}

func TestLookupEventsThrottlingExhausted(t *testing.T) {
	recs, _ := lookupFixture()
	srv := cloudtrailtest.NewLookupServer(t, recs, cloudtrailtest.LookupServerOptions{ThrottleFirst: 1000})
	_, st, err, _ := readLookup(t, srv, []string{"us-east-1"}, LookupOptions{
		EventNames: []string{EventAssumeRole}, MaxAttempts: 3, Rate: 50, Backoff: 10 * time.Millisecond,
	})
	var se *SourceError
	if !errors.As(err, &se) || se.Source != "lookup:us-east-1" {
		t.Fatalf("err = %v, want a *SourceError for lookup:us-east-1", err)
	}
	for _, want := range []string{"throttling cloudtrail:LookupEvents in us-east-1", "after 3 attempts", "ThrottlingException", "run again later"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
		t.Errorf("the SDK's error is not reachable with errors.As: %v", err)
	}
	if st.Requests != 3 || st.Retries != 2 {
		t.Errorf("stats: %d requests, %d retries; want 3 attempts, 2 of them retries", st.Requests, st.Retries)
	}
}

func TestLookupEventsRepeatedNextToken(t *testing.T) {
	recs, _ := lookupFixture()
	srv := cloudtrailtest.NewLookupServer(t, recs, cloudtrailtest.LookupServerOptions{RepeatToken: true})
	_, _, err, _ := readLookup(t, srv, []string{"us-east-1"}, LookupOptions{EventNames: []string{EventAssumeRole}})
	if err == nil {
		t.Fatal("a NextToken that comes back was followed without end")
	}
	for _, want := range []string{"lookup:us-east-1", "NextToken of page 1 again after page 2", "loop"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n, extra := len(srv.Requests()), transportRetries(t, srv); n != 2+extra {
		t.Errorf("%d requests (%d retried after a transport error), want 2: the second page repeats the first token", n, extra)
	}
}

// transportRetries counts the requests the server answered but the client
// sent again although they were not throttled: a loaded machine breaks a
// loopback connection now and then (the client reads "use of closed
// network connection" in the middle of a response), and the SDK retries
// it. It allows one such retry in a test, logged, and fails on more.
func transportRetries(t *testing.T, srv *cloudtrailtest.LookupServer) int {
	t.Helper()
	type key struct{ region, name, token string }
	sent := map[key]int{}
	extra := 0
	for _, r := range srv.Requests() {
		k := key{r.Region, r.EventName, r.Token}
		if sent[k] > 0 && !r.Throttled {
			extra++
		}
		if !r.Throttled {
			sent[k]++
		}
	}
	if extra > 0 {
		t.Logf("%d requests answered and sent again (a transport error on the client's side)", extra)
	}
	if extra > 1 {
		t.Errorf("%d requests were answered and sent again; one transport error is tolerated", extra)
	}
	return extra
}

func TestLookupEventsAccessDenied(t *testing.T) {
	recs, _ := lookupFixture()
	srv := cloudtrailtest.NewLookupServer(t, recs, cloudtrailtest.LookupServerOptions{DenyAccess: true})
	_, st, err, _ := readLookup(t, srv, []string{"us-east-1"}, LookupOptions{})
	var se *SourceError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *SourceError", err)
	}
	for _, want := range []string{"access denied", "AccessDeniedException", "lacks the IAM permission cloudtrail:LookupEvents", "in us-east-1", DocsIAM} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if st.Retries != 0 {
		t.Errorf("an access denial was retried %d times", st.Retries)
	}
}

func TestLookupEventsRetention(t *testing.T) {
	recs, _ := lookupFixture()
	srv := cloudtrailtest.NewLookupServer(t, recs, cloudtrailtest.LookupServerOptions{})
	_, _, err, _ := readLookup(t, srv, []string{"us-east-1"}, LookupOptions{Now: func() time.Time { return lookupStart.AddDate(0, 0, 100) }})
	if err == nil {
		t.Fatal("a window older than 90 days was read without a word")
	}
	for _, want := range []string{"only holds the last 90 days", "100 days ago", "--since 90d", "s3://", "athena://"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for a window the API cannot cover", n)
	}
	// A window of exactly 90 days (--since 90d) is read, with a coverage
	// warning: pages come newest first, so the oldest events may age out
	// before they are asked for. A window starting an hour later has none.
	for _, tc := range []struct {
		age  time.Duration
		warn bool
	}{{LookupRetention + time.Minute, true}, {LookupRetention - 59*time.Minute, true}, {LookupRetention - time.Hour - time.Minute, false}} {
		_, st, err, _ := readLookup(t, srv, []string{"eu-west-1"}, LookupOptions{
			EventNames: []string{EventAssumeRole},
			Now:        func() time.Time { return lookupStart.Add(tc.age) },
		})
		if err != nil {
			t.Errorf("a window starting %v ago: %v", tc.age, err)
			continue
		}
		warned := len(st.Warnings) == 1 && strings.Contains(st.Warnings[0], "may age out before their pages are read")
		if warned != tc.warn {
			t.Errorf("a window starting %v ago: warnings %q, want a warning: %v", tc.age, st.Warnings, tc.warn)
		}
	}
}

func TestLookupEventsAllRegions(t *testing.T) {
	recs, want := lookupFixture()
	srv := cloudtrailtest.NewLookupServer(t, recs, cloudtrailtest.LookupServerOptions{EnabledRegions: []string{"us-east-1", "eu-west-1"}})
	acct := account.NewFromConfig(testsvc.AWSConfig(t, srv.URL))
	got, st, err, _ := readLookup(t, srv, []string{"all"}, LookupOptions{
		ListRegions: func(ctx context.Context) ([]string, error) { return ListEnabledRegions(ctx, acct) },
	})
	if err != nil {
		t.Fatal(err)
	}
	all := awsSorted(append(slices.Clone(want["us-east-1"]), want["eu-west-1"]...))
	if !slices.Equal(got.ids(""), all) || st.Pages != 8 {
		t.Errorf("read %d events in %d pages, want %d in 8", len(got.ids("")), st.Pages, len(all))
	}
	if st.Source != "lookup:all" {
		t.Errorf("source = %q, want lookup:all", st.Source)
	}

	denied := cloudtrailtest.NewLookupServer(t, nil, cloudtrailtest.LookupServerOptions{DenyAccess: true})
	_, err = ListEnabledRegions(context.Background(), account.NewFromConfig(testsvc.AWSConfig(t, denied.URL)))
	if err == nil || !strings.Contains(err.Error(), "account:ListRegions") {
		t.Errorf("ListEnabledRegions denied: %v, want a message naming account:ListRegions", err)
	}
}

func TestLookupEventsRegionFilter(t *testing.T) {
	recs, want := lookupFixture()
	srv := cloudtrailtest.NewLookupServer(t, recs, cloudtrailtest.LookupServerOptions{})
	src := NewLookupSource(lookupClients(t, srv.URL), []string{"us-east-1", "eu-west-1"}, LookupOptions{Now: func() time.Time { return lookupNow }})
	var c awsCollected
	_, err := src.Read(context.Background(), Query{Start: lookupStart, End: lookupEnd, Regions: []string{"eu-west-1"}}, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.ids(""), awsSorted(want["eu-west-1"])) {
		t.Errorf("read %d events, want eu-west-1's %d", len(c.ids("")), len(want["eu-west-1"]))
	}
	_, err = src.Read(context.Background(), Query{Start: lookupStart, End: lookupEnd, Regions: []string{"ap-south-1"}}, c.emit)
	if err == nil || !strings.Contains(err.Error(), "ap-south-1") {
		t.Errorf("disjoint regions: %v, want an error naming them", err)
	}
	// With the global endpoint's region added to both lists (as the engine
	// does), lists that agree on no other region are still refused.
	global := NewLookupSource(lookupClients(t, srv.URL), WithGlobalRegion([]string{"eu-west-1"}), LookupOptions{Now: func() time.Time { return lookupNow }})
	_, err = global.Read(context.Background(), Query{Start: lookupStart, End: lookupEnd, Regions: WithGlobalRegion([]string{"ap-south-1"})}, c.emit)
	if err == nil || !strings.Contains(err.Error(), "ap-south-1") {
		t.Errorf("disjoint regions but us-east-1: %v, want an error naming them", err)
	}
	// A region the source names is never dropped by --region: lookup:eu-west-1
	// with --region us-east-1 read only us-east-1 and passed.
	_, err = global.Read(context.Background(), Query{Start: lookupStart, End: lookupEnd, Regions: WithGlobalRegion([]string{"us-east-1"})}, c.emit)
	if err == nil || !strings.Contains(err.Error(), "names the region eu-west-1, which --region us-east-1 leaves out") {
		t.Errorf("a named region left out by --region: %v, want an error naming it", err)
	}
	empty := NewLookupSource(lookupClients(t, srv.URL), nil, LookupOptions{Now: func() time.Time { return lookupNow }})
	if _, err := empty.Read(context.Background(), Query{Start: lookupStart, End: lookupEnd}, c.emit); err == nil || !strings.Contains(err.Error(), "--region") {
		t.Errorf("no region: %v, want an error asking for --region", err)
	}
}

func TestLookupEventsCorruptEvent(t *testing.T) {
	recs, want := lookupFixture()
	bad := want["eu-west-1"][0]
	srv := cloudtrailtest.NewLookupServer(t, recs, cloudtrailtest.LookupServerOptions{CorruptEvent: bad})
	_, _, err, _ := readLookup(t, srv, []string{"eu-west-1"}, LookupOptions{})
	var se *SourceError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Source, "lookup:eu-west-1 AssumeRoleWithWebIdentity page 1") ||
		!strings.Contains(err.Error(), "CloudTrailEvent") {
		t.Fatalf("err = %v, want a *SourceError naming the page and CloudTrailEvent", err)
	}

	got, st, err, _ := readLookup(t, srv, []string{"eu-west-1"}, LookupOptions{SkipUnreadable: true})
	if err != nil {
		t.Fatal(err)
	}
	// The bad page held the 30 web-identity events; the 3 refused calls remain.
	if st.Unreadable != 1 || len(st.Skipped) != 1 || len(got.ids("")) != 3 {
		t.Errorf("skipping: %d unreadable, skipped %v, %d events; want 1 page skipped and 3 events", st.Unreadable, st.Skipped, len(got.ids("")))
	}
}

func TestLookupEventsCancel(t *testing.T) {
	recs, _ := lookupFixture()
	srv := cloudtrailtest.NewLookupServer(t, recs, cloudtrailtest.LookupServerOptions{})
	src := NewLookupSource(lookupClients(t, srv.URL), []string{"us-east-1"}, LookupOptions{Rate: 0.2, Now: func() time.Time { return lookupNow }})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	begin := time.Now()
	_, err := src.Read(ctx, Query{Start: lookupStart, End: lookupEnd}, func(Event) {})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("cancelled read returned after %v", d)
	}
}

func TestJitterBackoff(t *testing.T) {
	j := jitterBackoff{base: 100 * time.Millisecond, max: time.Second}
	for attempt, hi := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 9: time.Second} {
		for range 50 {
			d, _ := j.BackoffDelay(attempt, nil)
			if d < hi/2 || d >= hi {
				t.Fatalf("attempt %d: delay %v outside [%v, %v)", attempt, d, hi/2, hi)
			}
		}
	}
}

// BenchmarkLookupEventsPaging measures the LookupEvents path against its
// floor: 1000 AssumeRole events in one region are 20 pages of 50, and at 2
// requests per second the 20 requests cannot take less than 9.5 s.
//
//	go test ./cloudtrail -run '^$' -bench LookupEventsPaging -benchtime 1x
func BenchmarkLookupEventsPaging(b *testing.B) {
	var recs []cloudtrailtest.Record
	for i := range 1000 {
		recs = append(recs, cloudtrailtest.Assume{Time: lookupStart.Add(time.Duration(i) * time.Minute), Account: "111122223333",
			Region: "us-east-1", Role: "arn:aws:iam::111122223333:role/ProdAdmin", Session: fmt.Sprint(i)}.Record())
	}
	srv := cloudtrailtest.NewLookupServer(b, recs, cloudtrailtest.LookupServerOptions{})
	cfg := testsvc.AWSConfig(b, srv.URL)
	client := ctapi.NewFromConfig(cfg)
	for b.Loop() {
		src := NewLookupSource(func(string) LookupAPI { return client }, []string{"us-east-1"},
			LookupOptions{EventNames: []string{EventAssumeRole}, Now: func() time.Time { return lookupNow }})
		begin := time.Now()
		st, err := src.Read(context.Background(), Query{Start: lookupStart, End: lookupEnd}, func(Event) {})
		if err != nil {
			b.Fatal(err)
		}
		floor := time.Duration(st.Requests-1) * time.Second / 2
		b.ReportMetric(float64(st.Requests), "requests/op")
		b.ReportMetric(float64(st.AssumeRole), "events/op")
		b.ReportMetric(floor.Seconds(), "floor-s/op")
		b.ReportMetric(time.Since(begin).Seconds(), "wall-s/op")
		if srv.Throttled() > 0 {
			b.Fatalf("%d requests throttled", srv.Throttled())
		}
	}
}
