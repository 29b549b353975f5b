package cloudtrail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/sentinel-check/sentinel-check/internal/athenatest"
)

// The trail under testdata/athena/trail is a CloudTrail bucket in both
// layouts (organisation and account) with edge cases around a window that
// crosses the year end; see testdata/athena/README.md.
const athenaTrail = "testdata/athena/trail"

var athenaWindow = Query{Start: utc("2026-12-31T12:00:00Z"), End: utc("2027-01-01T12:00:00Z")}

func athenaTable(t testing.TB) *athenatest.Table {
	t.Helper()
	rows, err := athenatest.LoadTrail(athenaTrail)
	if err != nil {
		t.Fatal(err)
	}
	return &athenatest.Table{Database: "org_trail", Name: "cloudtrail_logs", Rows: rows,
		Partitions: map[string]string{"timestamp": "timestamp", "region": "region", "account": "account"}}
}

// athenaClient is the real SDK client pointed at the loopback server.
func athenaClient(endpoint string) *athena.Client {
	return athena.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 2,
	})
}

func fastAthena(o AthenaOptions) AthenaOptions {
	if o.Database == "" {
		o.Database, o.Table = "org_trail", "cloudtrail_logs"
	}
	if o.WorkGroup == "" {
		o.WorkGroup = "security"
	}
	o.PollInitial, o.PollMax = time.Millisecond, 4*time.Millisecond
	return o
}

// collect reads a source and returns its events sorted by id and time.
func collect(t *testing.T, src Source, q Query) ([]Event, Stats, error) {
	t.Helper()
	var mu sync.Mutex
	var evs []Event
	st, err := src.Read(context.Background(), q, func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		ev.Origin = ""
		evs = append(evs, ev)
	})
	athenaSortEvents(evs)
	return evs, st, err
}

func athenaSortEvents(evs []Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].EventID != evs[j].EventID {
			return evs[i].EventID < evs[j].EventID
		}
		return evs[i].EventTime.Before(evs[j].EventTime)
	})
}

// inWindow keeps the events the engine keeps: those of [Start, End) that
// match the query's accounts and regions.
func inWindow(evs []Event, q Query) []Event {
	var out []Event
	for _, ev := range evs {
		if ev.EventTime.Before(q.Start) || !ev.EventTime.Before(q.End) {
			continue
		}
		if len(q.Accounts) > 0 && !contains(q.Accounts, ev.RecipientAccountID) {
			continue
		}
		if !allRegions(q.Regions) && !contains(q.Regions, ev.AWSRegion) {
			continue
		}
		out = append(out, ev)
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func ids(evs []Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.EventID
	}
	return out
}

// The Athena source, reading the trail through the loopback server,
// yields exactly the events the file source reads from the same files, for
// the window and the account and region filters.
func TestAthenaSourceMatchesFileSource(t *testing.T) {
	fileEvents, fileStats, err := collect(t, NewFileSource([]string{athenaTrail}, FileOptions{}), Query{})
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, r := range athenaTable(t).Rows {
		total += int64(len(r.Raw))
	}
	tests := []struct {
		name    string
		q       Query
		want    []string
		skipped int64
	}{
		{
			name: "whole organisation",
			q:    athenaWindow,
			want: []string{"e01-1a2b", "e01-1a2b", "e03-start", "e04-chain", "e05-denied", "e06-oidc", "e07-hostile",
				"e08-late", "e11-saml", "e12-dev", "e12-dev", "e13-audit"},
			skipped: 2, // the record without an eventID and the successful one without a roleArn
		},
		{
			name: "one account and region",
			q:    with(athenaWindow, []string{"444455556666"}, []string{"eu-west-1"}),
			want: []string{"e11-saml", "e12-dev", "e12-dev"},
		},
		{
			name:    "two accounts, us-east-1 only",
			q:       with(athenaWindow, []string{"111122223333", "444455556666"}, []string{"us-east-1"}),
			want:    []string{"e01-1a2b", "e01-1a2b", "e03-start", "e04-chain", "e05-denied", "e06-oidc", "e07-hostile", "e08-late"},
			skipped: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := athenaTable(t)
			srv := athenatest.New(t, athenatest.Options{Table: table, QueuedPolls: 2, RunningPolls: 2, PageRows: 3})
			src := newAthenaSource(athenaClient(srv.URL), fastAthena(AthenaOptions{OutputLocation: "s3://athena-results/sentinel/"}))
			got, st, err := collect(t, src, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			want := inWindow(fileEvents, tt.q)
			if g, w := ids(inWindow(got, tt.q)), ids(want); !reflect.DeepEqual(g, w) {
				t.Fatalf("event ids in the window:\nathena %v\nfiles  %v", g, w)
			}
			if !reflect.DeepEqual(ids(want), tt.want) {
				t.Fatalf("the file source's ids changed: %v, want %v (fix the test data or the test)", ids(want), tt.want)
			}
			if g := inWindow(got, tt.q); !reflect.DeepEqual(g, want) {
				for i := range g {
					if !reflect.DeepEqual(g[i], want[i]) {
						t.Errorf("event %s differs:\nathena %+v\nfiles  %+v", g[i].EventID, g[i], want[i])
					}
				}
			}
			// Whatever else the query returns is a real event of the trail
			// (the second of slack before the window).
			for _, ev := range got {
				if !containsEvent(fileEvents, ev) {
					t.Errorf("athena returned %+v, which the file source does not read", ev)
				}
			}
			if st.Kind != "athena" || st.Source != "athena://security/org_trail.cloudtrail_logs" || st.QueryID == "" {
				t.Errorf("stats: kind %q source %q query id %q", st.Kind, st.Source, st.QueryID)
			}
			if st.AssumeRole != int64(len(got)) || st.Records != st.AssumeRole+st.RecordsSkipped {
				t.Errorf("stats: %d records, %d assume-role, %d skipped; %d events", st.Records, st.AssumeRole, st.RecordsSkipped, len(got))
			}
			if st.RecordsSkipped != tt.skipped || int64(len(st.Skipped)) != tt.skipped {
				t.Errorf("skipped %d rows (%v), want %d", st.RecordsSkipped, st.Skipped, tt.skipped)
			}
			if wantPages := (st.Records + 1 + 2) / 3; st.Pages != wantPages {
				t.Errorf("pages = %d, want %d for %d rows and a header, 3 a page", st.Pages, wantPages, st.Records)
			}
			if st.BytesScanned <= 0 || st.BytesScanned >= total {
				t.Errorf("bytes scanned = %d, want some but not all of the table's %d (the partitions prune)", st.BytesScanned, total)
			}
			calls := srv.Calls()
			if n := int64(len(calls)); st.Requests != n {
				t.Errorf("requests = %d, the server saw %d: %v", st.Requests, n, calls)
			}
			started := srv.Started()
			if len(started) != 1 || started[0].WorkGroup != "security" || started[0].Database != "org_trail" || started[0].OutputLocation != "s3://athena-results/sentinel/" {
				t.Errorf("started %+v", started)
			}
		})
	}
	// The file source skips the same two records.
	if fileStats.RecordsSkipped != 2 {
		t.Errorf("the file source skipped %d records, want 2", fileStats.RecordsSkipped)
	}
}

func with(q Query, accounts, regions []string) Query {
	q.Accounts, q.Regions = accounts, regions
	return q
}

func containsEvent(evs []Event, ev Event) bool {
	for _, e := range evs {
		if reflect.DeepEqual(e, ev) {
			return true
		}
	}
	return false
}

// Values read back from Athena are what CloudTrail recorded: the role
// chaining identity, the role of a refused call from its message, hostile
// strings unchanged, and only the shortened access key id.
func TestAthenaSourceRowValues(t *testing.T) {
	srv := athenatest.New(t, athenatest.Options{Table: athenaTable(t)})
	var raw strings.Builder
	src := newAthenaSource(athenaClient(srv.URL), fastAthena(AthenaOptions{}))
	got, st, err := collect(t, src, athenaWindow)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Event{}
	for _, ev := range got {
		byID[ev.EventID] = ev
		b, _ := json.Marshal(ev)
		raw.Write(b)
	}
	b, _ := json.Marshal(st)
	raw.Write(b)
	if e := byID["e04-chain"]; e.SourceIdentity != "sentinel:bob:direct:0badc0de" || e.SourceIdentityFrom != SourceIdentityFromCaller {
		t.Errorf("role chaining: %+v", e)
	}
	if e := byID["e01-1a2b"]; e.SourceIdentity != "sentinel:alice:direct:0000000a" || e.SourceIdentityFrom != SourceIdentityFromRequest ||
		e.AccessKeyID != "ASIA…DFGH" || e.AssumedRoleArn != "arn:aws:sts::111122223333:assumed-role/ProdAdmin/s-e01-1a2b" {
		t.Errorf("request identity: %+v", e)
	}
	if e := byID["e05-denied"]; e.ErrorCode != "AccessDenied" || e.RoleArn != "arn:aws:iam::111122223333:role/ProdAdmin" {
		t.Errorf("refused call: %+v", e)
	}
	if e := byID["e07-hostile"]; e.RoleSessionName != "o'; DROP TABLE x; --" || e.SourceIdentity != `jenkins'42" -- x` ||
		e.UserAgent != "curl/8.5 \"quoted\"\n<script>alert(1)</script> é\u2028" {
		t.Errorf("hostile values: %+v", e)
	}
	if e := byID["e06-oidc"]; e.EventName != EventAssumeRoleWithWebIdentity || e.CallerArn != "" || e.RoleSessionName != "GitHubActions" {
		t.Errorf("web identity: %+v", e)
	}
	if e := byID["e13-audit"]; e.AccessKeyID != "…" {
		t.Errorf("a short key id must not be kept: %q", e.AccessKeyID)
	}
	for _, secret := range []string{"ASIAQWERTYUIOPASDFGH", "QWERTYUIOP", "IQoJb3JpZ2lu"} {
		if strings.Contains(raw.String(), secret) {
			t.Errorf("%q leaked into the events or stats", secret)
		}
	}
}

func TestAthenaSourceFailures(t *testing.T) {
	tests := []struct {
		name  string
		opts  athenatest.Options
		table func(*athenatest.Table)
		src   AthenaOptions
		q     Query
		want  []string // substrings of the error
	}{
		{
			name: "failed query",
			opts: athenatest.Options{Fail: "HIVE_CURSOR_ERROR: Row is not a valid JSON Object - JSONException: Unterminated string at 201 [character 202 line 1]"},
			want: []string{"athena://security/org_trail.cloudtrail_logs", "athena query 5e1f0001-", "failed: HIVE_CURSOR_ERROR: Row is not a valid JSON Object"},
		},
		{
			name: "failed on a missing permission",
			opts: athenatest.Options{Fail: "Insufficient permissions to execute the query. User: arn:aws:sts::111122223333:assumed-role/ci/runner is not authorized to perform: glue:GetTable on resource: arn:aws:glue:us-east-1:111122223333:table/org_trail/cloudtrail_logs"},
			want: []string{"lacks the IAM permission glue:GetTable", "docs/athena.md"},
		},
		{
			name:  "table without sourceidentity",
			table: func(t *athenatest.Table) { t.NoSourceIdentity = true },
			want:  []string{"COLUMN_NOT_FOUND", "useridentity.sessioncontext.sourceidentity", "no sourceidentity field", "athena-ddl"},
		},
		{
			name:  "table without the account partition",
			table: func(t *athenatest.Table) { delete(t.Partitions, "account") },
			q:     with(athenaWindow, []string{"111122223333"}, nil),
			want:  []string{"Column 'account' cannot be resolved", "account_column="},
		},
		{
			name: "unknown table",
			src:  AthenaOptions{Database: "org_trail", Table: "cloudtrail"},
			want: []string{"TABLE_NOT_FOUND", "check DATABASE.TABLE"},
		},
		{
			name: "cancelled",
			opts: athenatest.Options{Cancel: true},
			want: []string{"athena query 5e1f0001-", "was cancelled (Query cancelled by the workgroup's data usage control)"},
		},
		{
			name: "start denied",
			opts: athenatest.Options{Deny: map[string]bool{"StartQueryExecution": true}},
			want: []string{"access denied", "athena:StartQueryExecution", `workgroup "security"`},
		},
		{
			name: "results denied",
			opts: athenatest.Options{Deny: map[string]bool{"GetQueryResults": true}},
			want: []string{"access denied", "athena:GetQueryResults"},
		},
		{
			name: "no output location",
			opts: athenatest.Options{RequireOutput: true},
			want: []string{"No output location provided", "output_location", "?output=s3://"},
		},
		{
			name: "hostile account",
			q:    with(athenaWindow, []string{"1' OR '1'='1"}, nil),
			want: []string{`account "1' OR '1'='1" is not an AWS account id`},
		},
		{
			name: "result without a needed column",
			opts: athenatest.Options{Exec: func(string) (*athenatest.Result, error) {
				return &athenatest.Result{Columns: []string{"eventid", "sharedeventid", "eventtime"}}, nil
			}},
			want: []string{`column "eventsource" is missing from the result metadata`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := athenaTable(t)
			if tt.table != nil {
				tt.table(table)
			}
			tt.opts.Table = table
			srv := athenatest.New(t, tt.opts)
			q := tt.q
			if q.Start.IsZero() {
				q = athenaWindow
			}
			n := 0
			_, err := newAthenaSource(athenaClient(srv.URL), fastAthena(tt.src)).Read(context.Background(), q, func(Event) { n++ })
			if err == nil {
				t.Fatalf("want an error; %d events", n)
			}
			var se *SourceError
			if !errors.As(err, &se) || se.Source != "athena://security/"+firstNonEmpty(tt.src.Database, "org_trail")+"."+firstNonEmpty(tt.src.Table, "cloudtrail_logs") {
				t.Errorf("error %T %v is not a SourceError naming the source", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
			if n != 0 {
				t.Errorf("%d events emitted before the failure", n)
			}
		})
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// A row that is not an assume-role call (a table or engine that ignores
// part of the filter) is counted as skipped, never classified.
func TestAthenaSourceSkipsForeignRows(t *testing.T) {
	cols := make([]string, len(athenaColumns))
	for i, c := range athenaColumns {
		cols[i] = c.alias
	}
	row := func(id, source, name, t string) []*string {
		r := make([]*string, len(cols))
		for i, c := range cols {
			var v *string
			switch c {
			case "eventid":
				v = &id
			case "eventsource":
				v = &source
			case "eventname":
				v = &name
			case "eventtime":
				v = &t
			case "role_arn":
				s := "arn:aws:iam::111122223333:role/ProdAdmin"
				v = &s
			}
			r[i] = v
		}
		return r
	}
	srv := athenatest.New(t, athenatest.Options{Exec: func(string) (*athenatest.Result, error) {
		return &athenatest.Result{Columns: cols, Rows: [][]*string{
			row("ok", "sts.amazonaws.com", "AssumeRole", "2027-01-01T00:00:00Z"),
			row("s3", "s3.amazonaws.com", "GetObject", "2027-01-01T00:00:00Z"),
			row("badtime", "sts.amazonaws.com", "AssumeRole", "yesterday"),
		}}, nil
	}})
	got, st, err := collect(t, newAthenaSource(athenaClient(srv.URL), fastAthena(AthenaOptions{})), athenaWindow)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids(got), []string{"ok"}) || st.Records != 3 || st.RecordsSkipped != 2 || len(st.Skipped) != 2 {
		t.Fatalf("events %v, stats %+v", ids(got), st)
	}
	if !strings.Contains(st.Skipped[0].Reason, "not an sts assume-role call") || !strings.Contains(st.Skipped[1].Reason, "eventTime") {
		t.Errorf("reasons: %+v", st.Skipped)
	}
	if !strings.HasPrefix(st.Skipped[0].Item, "athena://security/org_trail.cloudtrail_logs query 5e1f0001-") || !strings.HasSuffix(st.Skipped[0].Item, " row 2") {
		t.Errorf("item: %q", st.Skipped[0].Item)
	}
}

// Cancelling the context while the query runs stops it in Athena.
func TestAthenaSourceStopsOnCancel(t *testing.T) {
	srv := athenatest.New(t, athenatest.Options{Table: athenaTable(t), Hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	polls := 0
	src := newAthenaSource(athenaClient(srv.URL), fastAthena(AthenaOptions{}))
	done := make(chan error, 1)
	go func() {
		_, err := src.Read(ctx, athenaWindow, func(Event) {})
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for polls < 3 && time.Now().Before(deadline) {
		polls = 0
		for _, c := range srv.Calls() {
			if c == "GetQueryExecution" {
				polls++
			}
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "was stopped") {
		t.Fatalf("error = %v", err)
	}
	started := srv.Calls()
	if stopped := srv.Stopped(); len(stopped) != 1 || !strings.HasPrefix(stopped[0], "5e1f0001-") {
		t.Errorf("StopQueryExecution calls: %v (calls %v)", stopped, started)
	}
}

// GetQueryExecution is polled with a doubling delay up to PollMax.
func TestAthenaSourceBackoff(t *testing.T) {
	srv := athenatest.New(t, athenatest.Options{Table: athenaTable(t), QueuedPolls: 3, RunningPolls: 3})
	o := fastAthena(AthenaOptions{})
	o.PollInitial, o.PollMax = 10*time.Millisecond, 40*time.Millisecond
	begin := time.Now()
	if _, _, err := collect(t, newAthenaSource(athenaClient(srv.URL), o), athenaWindow); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(begin)
	polls := 0
	for _, c := range srv.Calls() {
		if c == "GetQueryExecution" {
			polls++
		}
	}
	// 3 QUEUED, 3 RUNNING, then SUCCEEDED: 7 polls after 10+20+40×5 ms.
	if polls != 7 {
		t.Errorf("%d polls, want 7", polls)
	}
	if min := 230 * time.Millisecond; elapsed < min {
		t.Errorf("took %v, want at least %v of backoff", elapsed, min)
	}
}

func TestAthenaSourceDefaults(t *testing.T) {
	s := newAthenaSource(nil, AthenaOptions{Database: "d", Table: "t"})
	if s.opts.PollInitial != 100*time.Millisecond || s.opts.PollMax != 5*time.Second || s.opts.PageSize != 1000 ||
		*s.opts.Partitions != DefaultAthenaPartitions || s.Name() != "athena:///d.t" {
		t.Errorf("defaults: %+v name %q", s.opts, s.Name())
	}
	// The policy's accounts and regions apply when the query names none.
	srv := athenatest.New(t, athenatest.Options{Table: athenaTable(t)})
	src := newAthenaSource(athenaClient(srv.URL), fastAthena(AthenaOptions{Accounts: []string{"444455556666"}, Regions: []string{"us-west-2"}}))
	got, _, err := collect(t, src, athenaWindow)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids(got), []string{"e13-audit"}) {
		t.Errorf("ids %v", ids(got))
	}
	if sql := srv.Started()[0].SQL; !strings.Contains(sql, `"account" IN ('444455556666')`) || !strings.Contains(sql, `"region" IN ('us-west-2')`) {
		t.Errorf("SQL:\n%s", sql)
	}
}

// The testdata README describes every file of the trail.
func TestAthenaTrailDocumented(t *testing.T) {
	readme, err := os.ReadFile("testdata/athena/README.md")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(athenaTrail, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.Contains(string(readme), d.Name()) {
			return fmt.Errorf("%s is not described in testdata/athena/README.md", path)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// sameToken is an Athena client whose result pages all name the same next
// page.
type sameToken struct{ athenaAPI }

func (s sameToken) GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, opts ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error) {
	in.NextToken = nil
	out, err := s.athenaAPI.GetQueryResults(ctx, in, opts...)
	if out != nil {
		out.NextToken = aws.String("same")
	}
	return out, err
}

// A NextToken seen twice fails the read instead of asking for the same
// page for ever.
func TestAthenaSourceRepeatedNextToken(t *testing.T) {
	srv := athenatest.New(t, athenatest.Options{Table: athenaTable(t)})
	src := newAthenaSource(sameToken{athenaClient(srv.URL)}, fastAthena(AthenaOptions{}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := src.Read(ctx, athenaWindow, func(Event) {})
	var se *SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "returned the same NextToken twice") {
		t.Fatalf("error = %v, want a source error about the repeated NextToken", err)
	}
}

// The table's partition projection bounds what any query can find: the
// accounts and regions its enums list and the days of its date range. What
// the check needs beyond them is a coverage warning, and a table whose
// metadata cannot be read says that it was not checked.
func TestAthenaProjectionCoverage(t *testing.T) {
	props := map[string]string{
		"projection.enabled":          "true",
		"projection.account.type":     "enum",
		"projection.account.values":   "111122223333,444455556666",
		"projection.region.type":      "enum",
		"projection.region.values":    "us-east-1, eu-west-1",
		"projection.timestamp.type":   "date",
		"projection.timestamp.format": "yyyy/MM/dd",
		"projection.timestamp.range":  "2025/01/01,NOW",
	}
	start := time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		props map[string]string
		q     Query
		deny  bool
		want  []string // substrings, one per warning
	}{
		{"everything covered", props, Query{Start: start.AddDate(0, 0, 5), End: start.AddDate(0, 0, 6), Regions: []string{"eu-west-1", "us-east-1"}, Needed: []string{"111122223333"}}, false, nil},
		{"regions, accounts and days left out", props,
			Query{Start: start, End: start.AddDate(0, 0, 6), Regions: []string{"eu-central-1", "us-east-1"}, Accounts: []string{"777788889999"}, Needed: []string{"111122223333", "999999999999"}}, false,
			[]string{`"region" partition (partition projection) lists no region eu-central-1: their logs`,
				"the table holds logs of 1 other region (eu-west-1), which the regions asked for (eu-central-1, us-east-1) leave out: sessions opened through its STS endpoints are not checked; add them with --region (or --region all)",
				`"account" partition (partition projection) lists no account 777788889999, which --account asks for`,
				`"timestamp" partition (partition projection) starts on 2025-01-01, after the window's start (2024-12-30T00:00:00Z)`}},
		// Regions the table holds that --region leaves out are not
		// checked, as with S3's region folders.
		{"regions the table holds left out by --region", props, Query{Start: start.AddDate(0, 0, 5), End: start.AddDate(0, 0, 6), Regions: []string{"us-east-1"}, Needed: []string{"111122223333"}}, false,
			[]string{"the table holds logs of 1 other region (eu-west-1), which the regions asked for (us-east-1) leave out"}},
		{"every region asked for: the commercial ones", props, Query{Start: start.AddDate(0, 0, 5), End: start.AddDate(0, 0, 6)}, false,
			[]string{"lists no regions af-south-1, ap-east-1"}},
		{"the documentation's table: one account and region in the template, a range from NOW-1YEARS", map[string]string{
			"projection.enabled":          "true",
			"projection.timestamp.type":   "date",
			"projection.timestamp.format": "yyyy/MM/dd",
			"projection.timestamp.range":  "NOW-1YEARS,NOW",
			"storage.location.template":   "s3://b/AWSLogs/111122223333/CloudTrail/us-east-1/${timestamp}",
		}, Query{Start: time.Now().AddDate(-2, 0, 0), End: time.Now().AddDate(-2, 0, 1), Regions: []string{"eu-west-1", "us-east-1"}, Needed: []string{"111122223333", "444455556666"}}, false,
			[]string{"location template (storage.location.template) holds only us-east-1 and no region eu-west-1",
				`"timestamp" partition (partition projection) starts on ` + time.Now().UTC().AddDate(-1, 0, 0).Format("2006-01-02")}},
		{"the documentation's table of one other region", map[string]string{"projection.enabled": "true", "storage.location.template": "s3://b/AWSLogs/111122223333/CloudTrail/eu-west-1/${timestamp}"},
			Query{Start: start.AddDate(0, 0, 5), End: start.AddDate(0, 0, 6), Regions: []string{"eu-west-1", "us-east-1"}}, false,
			[]string{"holds only eu-west-1 and no region us-east-1: their logs are not in the table, and sessions opened through their STS endpoints are not checked; recreate the table with `sentinel-check athena-ddl` (docs/athena.md) (us-east-1, where calls to STS's global endpoint are logged, is read whatever --region says)"}},
		{"a range that ends", map[string]string{"projection.enabled": "true", "projection.timestamp.type": "date", "projection.timestamp.format": "yyyy/MM/dd", "projection.timestamp.range": "2020/01/01,2024/12/31"},
			Query{Start: start.AddDate(0, 0, 5), End: start.AddDate(0, 0, 6)}, false,
			[]string{`"timestamp" partition (partition projection) ends on 2024-12-31, before the window's end (2025-01-05T00:00:00Z)`}},
		// The query also reads the day after the window's end, which holds
		// the log files of its last minutes.
		{"a range that ends on the window's last day", map[string]string{"projection.enabled": "true", "projection.timestamp.type": "date", "projection.timestamp.format": "yyyy/MM/dd", "projection.timestamp.range": "2020/01/01,2025/01/04"},
			Query{Start: start.AddDate(0, 0, 5), End: start.AddDate(0, 0, 6)}, false,
			[]string{`"timestamp" partition (partition projection) ends on 2025-01-04, the window's last day (it ends 2025-01-05T00:00:00Z): the log files of its last minutes, delivered the day after, are not in the table`}},
		{"a range that ends on the day after the window", map[string]string{"projection.enabled": "true", "projection.timestamp.type": "date", "projection.timestamp.format": "yyyy/MM/dd", "projection.timestamp.range": "2020/01/01,2025/01/05"},
			Query{Start: start.AddDate(0, 0, 5), End: start.AddDate(0, 0, 6)}, false, nil},
		{"an organisation's template with columns", map[string]string{"projection.enabled": "true", "storage.location.template": "s3://b/p/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}"},
			Query{Start: start, End: start.AddDate(0, 0, 1), Needed: []string{"999999999999"}}, false, nil},
		{"no projection: partitions not known", map[string]string{"classification": "cloudtrail"}, Query{Start: start, End: start.AddDate(0, 0, 6), Needed: []string{"999999999999"}}, false, nil},
		{"metadata denied", props, Query{Start: start.AddDate(0, 0, 5), End: start.AddDate(0, 0, 6)}, true,
			[]string{"were not checked: athena:GetTableMetadata failed: access denied (AccessDeniedException"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := athenatest.New(t, athenatest.Options{
				Table: &athenatest.Table{Database: "db", Name: "tbl", Partitions: map[string]string{"timestamp": "timestamp", "region": "region", "account": "account"}, Properties: tc.props},
				Deny:  map[string]bool{"GetTableMetadata": tc.deny},
			})
			src := newAthenaSource(athenaClient(srv.URL), AthenaOptions{Database: "db", Table: "tbl", PollInitial: time.Millisecond})
			st, err := src.Read(context.Background(), tc.q, func(Event) {})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Warnings) != len(tc.want) {
				t.Fatalf("warnings %q, want %d", st.Warnings, len(tc.want))
			}
			// The accounts the table holds (of those asked for), for the
			// engine to compare with the policy's.
			wantAccounts, known := map[string][]string{
				"everything covered":                           {"111122223333", "444455556666"},
				"regions, accounts and days left out":          {},
				"every region asked for: the commercial ones":  {"111122223333", "444455556666"},
				"regions the table holds left out by --region": {"111122223333", "444455556666"},
				"the documentation's table: one account and region in the template, a range from NOW-1YEARS": {"111122223333"},
				"the documentation's table of one other region":                                              {"111122223333"},
			}[tc.name]
			if known != st.AccountsKnown || known && strings.Join(st.Accounts, ",") != strings.Join(wantAccounts, ",") {
				t.Errorf("accounts held %v (known %v), want %v (known %v)", st.Accounts, st.AccountsKnown, wantAccounts, known)
			}
			for i, w := range tc.want {
				if !strings.Contains(st.Warnings[i], w) {
					t.Errorf("warning %q, want it to hold %q", st.Warnings[i], w)
				}
			}
		})
	}
}

// A result row with fewer cells than the columns it is read by is skipped
// and counted, not read with NULLs for the missing cells: that could drop
// a chained session's SourceIdentity, or make a refused call a session.
func TestAthenaShortRow(t *testing.T) {
	var cols []string
	for _, c := range athenaColumns {
		if c.alias != "errorcode" {
			cols = append(cols, c.alias)
		}
	}
	cols = append(cols, "errorcode") // found by name, last
	row := func(vals map[string]string, cells int) []*string {
		r := make([]*string, len(cols))
		for i, c := range cols {
			if v, ok := vals[c]; ok {
				r[i] = &v
			}
		}
		return r[:cells]
	}
	base := map[string]string{"eventsource": "sts.amazonaws.com", "eventname": "AssumeRole", "eventtime": "2026-11-17T10:00:00Z",
		"role_arn": "arn:aws:iam::111122223333:role/ProdAdmin", "caller_arn": "arn:aws:sts::111122223333:assumed-role/Broker/x"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := maps.Clone(m)
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	srv := athenatest.New(t, athenatest.Options{Exec: func(string) (*athenatest.Result, error) {
		return &athenatest.Result{Columns: cols, Rows: [][]*string{
			row(with(base, "eventid", "whole", "caller_source_identity", "sentinel:bob:direct:0badc0de"), len(cols)),
			row(with(base, "eventid", "chained", "caller_source_identity", "sentinel:bob:direct:0badc0de"), 11),
			row(with(base, "eventid", "denied", "errorcode", "AccessDenied"), len(cols)-1),
		}}, nil
	}})
	got, st, err := collect(t, newAthenaSource(athenaClient(srv.URL), fastAthena(AthenaOptions{})), athenaWindow)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].EventID != "whole" || st.Records != 3 || st.RecordsSkipped != 2 {
		t.Fatalf("events %d, stats %+v: want the whole row only, and both short rows counted as skipped", len(got), st)
	}
	for _, sk := range st.Skipped {
		if !strings.Contains(sk.Reason, "cells, and column") {
			t.Errorf("skip %+v: want the missing cells named", sk)
		}
	}
}
