package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/athenatest"
	"github.com/sentinel-check/sentinel-check/policyhcl"
	"github.com/sentinel-check/sentinel-check/report"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// The scenario lives with the Athena source's test data: a CloudTrail
// bucket in both layouts, a policy and session records.
const athenaData = "../../cloudtrail/testdata/athena"

var (
	athenaStart = time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)
	athenaEnd   = time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
)

func athenaServer(t *testing.T, o athenatest.Options) *athenatest.Server {
	t.Helper()
	rows, err := athenatest.LoadTrail(athenaData + "/trail")
	if err != nil {
		t.Fatal(err)
	}
	if o.Table == nil {
		o.Table = &athenatest.Table{Database: "org_trail", Name: "cloudtrail_logs", Rows: rows,
			Partitions: map[string]string{"timestamp": "timestamp", "region": "region", "account": "account"}}
	}
	return athenatest.New(t, o)
}

// athenaEnv points the AWS SDK at the loopback server.
func athenaEnv(endpoint string) *Env {
	return &Env{LoadAWS: func(ctx context.Context, region string) (aws.Config, error) {
		return aws.Config{
			Region:           "eu-west-1",
			Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
			BaseEndpoint:     aws.String(endpoint),
			RetryMaxAttempts: 2,
		}, nil
	}}
}

// runJSON runs the check on one CloudTrail source and returns the JSON
// report without its sources, and the sources apart. The trail holds two
// unusable assume-role records, so the run counts them (SkipUnreadable)
// rather than failing; the source's name in the findings is replaced by
// SOURCE.
func runJSON(t *testing.T, src cloudtrail.Source) (map[string]any, map[string]any) {
	t.Helper()
	pol, _, err := LoadPolicy([]string{athenaData + "/policy.hcl"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{
		Policy:     pol,
		CloudTrail: []cloudtrail.Source{src},
		Sessions:   []SessionSource{{Store: sessions.NewFileStore(athenaData + "/sessions.json")}},
		Start:      athenaStart, End: athenaEnd, BaseDir: athenaData,
		SkipUnreadable: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Findings {
		res.Findings[i].Message = strings.ReplaceAll(res.Findings[i].Message, src.Name(), "SOURCE")
	}
	format, ok := report.Lookup("json")
	if !ok {
		t.Fatal("no json format")
	}
	var buf bytes.Buffer
	if err := format(&buf, res); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	srcs, _ := m["sources"].(map[string]any)
	delete(m, "sources")
	return m, srcs
}

// The same scenario read through Athena gives the same report as read from
// the files, apart from the sources block.
func TestAthenaReportEqualsFileReport(t *testing.T) {
	fileReport, _ := runJSON(t, cloudtrail.NewFileSource([]string{athenaData + "/trail"}, cloudtrail.FileOptions{}))

	srv := athenaServer(t, athenatest.Options{QueuedPolls: 1, RunningPolls: 2, PageRows: 4})
	env := athenaEnv(srv.URL)
	src, err := OpenCloudTrail(context.Background(), "athena://security/org_trail.cloudtrail_logs?output=s3://athena-results/sentinel/", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	athenaReport, sources := runJSON(t, src)

	a, _ := json.MarshalIndent(athenaReport, "", " ")
	f, _ := json.MarshalIndent(fileReport, "", " ")
	if !bytes.Equal(a, f) {
		t.Fatalf("the reports differ\n--- athena\n%s\n--- files\n%s", a, f)
	}
	// The report is not trivially empty: it has findings and sessions.
	if fs, _ := fileReport["findings"].([]any); len(fs) < 4 {
		t.Fatalf("only %d findings; the scenario lost its content:\n%s", len(fs), f)
	}
	if !strings.Contains(string(f), "SOURCE: 2 unusable assume-role records") {
		t.Errorf("the unusable records are not reported:\n%s", f)
	}
	ct, _ := sources["cloudtrail"].([]any)
	if len(ct) != 1 {
		t.Fatalf("sources: %v", sources)
	}
	st := ct[0].(map[string]any)
	if st["kind"] != "athena" || st["source"] != "athena://security/org_trail.cloudtrail_logs" ||
		!strings.HasPrefix(st["query_id"].(string), "5e1f0001-") || st["bytes_scanned"].(float64) <= 0 {
		t.Errorf("athena source stats: %v", st)
	}
	if started := srv.Started(); len(started) != 1 || started[0].OutputLocation != "s3://athena-results/sentinel/" || started[0].WorkGroup != "security" {
		t.Errorf("started: %+v", started)
	}
}

// Without SkipUnreadable, the unusable records fail the run from either
// source, naming the first one.
func TestAthenaUnusableRowsFailTheRun(t *testing.T) {
	srv := athenaServer(t, athenatest.Options{})
	athenaSrc, err := OpenCloudTrail(context.Background(), "athena://primary/org_trail.cloudtrail_logs", nil, athenaEnv(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	pol, _, err := LoadPolicy([]string{athenaData + "/policy.hcl"})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []cloudtrail.Source{cloudtrail.NewFileSource([]string{athenaData + "/trail"}, cloudtrail.FileOptions{}), athenaSrc} {
		_, err = Run(context.Background(), Options{Policy: pol, CloudTrail: []cloudtrail.Source{src}, Start: athenaStart, End: athenaEnd})
		var se *SourceError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "eventID is missing; 2 assume-role records could not be used") {
			t.Errorf("%s: error %v", src.Name(), err)
		}
	}
}

// A FAILED query fails the run as a source error carrying Athena's reason.
func TestAthenaFailedQuery(t *testing.T) {
	srv := athenaServer(t, athenatest.Options{Fail: "HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://trail/AWSLogs/x.json.gz: Access Denied"})
	src, err := OpenCloudTrail(context.Background(), "athena://primary/org_trail.cloudtrail_logs", nil, athenaEnv(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	pol, _, err := LoadPolicy([]string{athenaData + "/policy.hcl"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Options{Policy: pol, CloudTrail: []cloudtrail.Source{src}, Start: athenaStart, End: athenaEnd})
	var se *SourceError
	if !errors.As(err, &se) {
		t.Fatalf("error %T %v, want a *SourceError", err, err)
	}
	for _, want := range []string{"athena://primary/org_trail.cloudtrail_logs", "HIVE_CANNOT_OPEN_SPLIT", "s3:GetObject"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// The cloudtrail block's output_location, accounts and regions reach the
// query; the Athena region can be set in the source.
func TestOpenAthenaPolicyBlock(t *testing.T) {
	srv := athenaServer(t, athenatest.Options{})
	cfg := &policyhcl.CloudTrailConfig{Source: "athena://wg/org_trail.cloudtrail_logs", OutputLocation: "s3://results/q/",
		Accounts: []string{"444455556666"}, Regions: []string{"eu-west-1"}}
	src, err := OpenCloudTrail(context.Background(), cfg.Source+"?region=us-east-2&account_column=acct", cfg, athenaEnv(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = src.Read(context.Background(), cloudtrail.Query{Start: athenaStart, End: athenaEnd}, func(cloudtrail.Event) {})
	started := srv.Started()
	if len(started) != 1 {
		t.Fatalf("started %v", started)
	}
	for _, want := range []string{`"acct" IN ('444455556666')`, `"region" IN ('eu-west-1', 'us-east-1')`, "awsregion IN ('eu-west-1', 'us-east-1')", "recipientaccountid IN ('444455556666')"} {
		if !strings.Contains(started[0].SQL, want) {
			t.Errorf("SQL lacks %s:\n%s", want, started[0].SQL)
		}
	}
	if started[0].OutputLocation != "s3://results/q/" || started[0].WorkGroup != "wg" {
		t.Errorf("started %+v", started[0])
	}
}

func TestParseAthenaSpec(t *testing.T) {
	good := []struct {
		spec                string
		wg, db, table, out  string
		region              string
		ts, regCol, account string
	}{
		{spec: "athena://primary/security.cloudtrail_logs", wg: "primary", db: "security", table: "cloudtrail_logs", ts: "timestamp", regCol: "region", account: "account"},
		{spec: "athena:///db.t", db: "db", table: "t", ts: "timestamp", regCol: "region", account: "account"},
		{spec: "athena://sec-ops.v2/db.t?output=s3://res-bucket/athena/&region=eu-central-1", wg: "sec-ops.v2", db: "db", table: "t",
			out: "s3://res-bucket/athena/", region: "eu-central-1", ts: "timestamp", regCol: "region", account: "account"},
		{spec: "athena://wg/db.t?timestamp_column=dt&region_column=&account_column=", wg: "wg", db: "db", table: "t", ts: "dt"},
	}
	for _, g := range good {
		as, err := parseAthenaSpec(g.spec)
		if err != nil {
			t.Errorf("%s: %v", g.spec, err)
			continue
		}
		o := as.opts
		if o.WorkGroup != g.wg || o.Database != g.db || o.Table != g.table || o.OutputLocation != g.out || as.region != g.region ||
			o.Partitions.Timestamp != g.ts || o.Partitions.Region != g.regCol || o.Partitions.Account != g.account {
			t.Errorf("%s: %+v %+v region %q", g.spec, o, *o.Partitions, as.region)
		}
	}
	bad := []struct{ spec, want string }{
		{"athena://primary", "use athena://WORKGROUP/DATABASE.TABLE"},
		{"athena://primary/table", "use athena://WORKGROUP/DATABASE.TABLE"},
		{"athena://primary/a.b.c", "use athena://WORKGROUP/DATABASE.TABLE"},
		{`athena://primary/db.t"; DROP TABLE x`, "is not a plain name"},
		{"athena://pri mary/db.t", "not an Athena workgroup name"},
		{"athena://wg/db-1.t", `database "db-1"`},
		{"athena://wg/db.t?output=/tmp/x", "not an S3 location"},
		{"athena://wg/db.t?region=mars", "not an AWS region"},
		{"athena://wg/db.t?timestamp_column=a'b", "not a plain column name"},
		{"athena://wg/db.t?workgroup=x", `unknown option "workgroup"`},
		{"athena://wg/db.t?output=s3://a-b/x&output=s3://a-b/y", "given 2 times"},
	}
	for _, b := range bad {
		_, err := parseAthenaSpec(b.spec)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: error %v, want %q", b.spec, err, b.want)
		}
	}
}

// Bad accounts, regions and output locations are usage errors (exit 2),
// found before any AWS call.
func TestOpenAthenaUsageErrors(t *testing.T) {
	noAWS := &Env{LoadAWS: func(context.Context, string) (aws.Config, error) {
		t.Fatal("the AWS configuration was loaded")
		return aws.Config{}, nil
	}}
	tests := []struct {
		name string
		cfg  *policyhcl.CloudTrailConfig
		env  *Env
		want string
	}{
		{"account flag", nil, &Env{Accounts: []string{"1111'22223333"}, LoadAWS: noAWS.LoadAWS}, "not an AWS account id"},
		{"region flag", nil, &Env{Regions: []string{"eu-west-1' OR 1=1"}, LoadAWS: noAWS.LoadAWS}, "not an AWS region name"},
		{"block account", &policyhcl.CloudTrailConfig{Accounts: []string{"abc"}}, noAWS, "not an AWS account id"},
		{"block output", &policyhcl.CloudTrailConfig{OutputLocation: "results/"}, noAWS, "output_location \"results/\" is not an S3 location"},
		{"conflicting outputs", &policyhcl.CloudTrailConfig{OutputLocation: "s3://b-1/x/"}, noAWS, "differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := "athena://wg/db.t"
			if tt.name == "conflicting outputs" {
				spec += "?output=s3://b-2/y/"
			}
			_, err := OpenCloudTrail(context.Background(), spec, tt.cfg, tt.env)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a usage error saying %q", err, tt.want)
			}
		})
	}
}

// Athena compares eventtime as text: a row whose time the bounds cannot
// judge (missing, or not RFC 3339 with a zone) is read whatever it holds,
// and the bounds leave room for the largest offset the decoder reads, so
// Athena and the files agree on them: the query used to leave out an
// event written with a +23:00 offset, and a record without eventTime,
// where the file source reported the one and failed on the other.
func TestAthenaEventTimesTheBoundsCannotJudge(t *testing.T) {
	record := func(id, eventTime string) string {
		tm := ""
		if eventTime != "" {
			tm = `"eventTime":"` + eventTime + `",`
		}
		return `{"eventVersion":"1.08","eventID":"` + id + `",` + tm + `"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","recipientAccountId":"111122223333",` +
			`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Prod","roleSessionName":"s"},"responseElements":{}}`
	}
	pol := prodPolicy(t)
	for _, tc := range []struct {
		name, eventTime string
		err             string // "": the event is read, denied (no rule)
	}{
		{"offset +23:00", "2027-01-02T10:00:00+23:00", ""}, // 2027-01-01T11:00Z
		{"offset -24:59", "2026-12-30T11:01:00-24:59", ""}, // 2026-12-31T12:00Z
		{"missing", "", "eventTime is missing"},
		{"no zone", "2027-01-01T08:00:00", "not an RFC 3339 time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, src := range fileAndAthena(t, record("z1", tc.eventTime)) {
				res, err := Run(context.Background(), Options{Policy: pol, CloudTrail: []cloudtrail.Source{src}, Start: athenaStart, End: athenaEnd})
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Errorf("%s: error %v, want %q", src.Name(), err, tc.err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", src.Name(), err)
				}
				if len(res.Findings) != 1 || res.Findings[0].CheckID != "SC1003" || len(res.Findings[0].Events) != 1 || res.Findings[0].Events[0] != "z1" {
					t.Errorf("%s: findings %+v, want SC1003 for z1", src.Name(), res.Findings)
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Without a region in the AWS configuration, an Athena source asks for its
// workgroup's region, and an S3 source finds its bucket through us-east-1,
// instead of failing with the SDK's endpoint error ("Invalid region: region
// was not a valid DNS name").
func TestSourcesWithoutRegion(t *testing.T) {
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.CompareAndSwap(nil, r.Header.Get("Authorization"))
		http.Error(w, "<Error><Code>AccessDenied</Code></Error>", http.StatusForbidden)
	}))
	defer srv.Close()
	env := &Env{LoadAWS: func(context.Context, string) (aws.Config, error) {
		return aws.Config{Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
			BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1}, nil
	}}
	_, err := OpenCloudTrail(context.Background(), "athena://wg/db.t", nil, env)
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "athena://wg/db.t needs the region of its workgroup: add ?region=REGION") {
		t.Errorf("athena: error %v, want a usage error asking for the region", err)
	}
	if _, err := OpenCloudTrail(context.Background(), "athena://wg/db.t?region=eu-west-1", nil, env); err != nil {
		t.Errorf("athena with ?region=: %v", err)
	}
	src, err := OpenCloudTrail(context.Background(), "s3://bucket/AWSLogs/", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Read(context.Background(), cloudtrail.Query{Start: athenaStart, End: athenaEnd}, func(cloudtrail.Event) {})
	if err == nil || strings.Contains(err.Error(), "Invalid region") {
		t.Errorf("s3: error %v", err)
	}
	if a, _ := auth.Load().(string); !strings.Contains(a, "/us-east-1/s3/aws4_request") {
		t.Errorf("s3: the request was signed %q, want for us-east-1", a)
	}
}

// With --region and --account, a record without awsRegion or
// recipientAccountId is still read from Athena, as the file and S3 sources
// read it from the folder it is in: the query's filter on those columns
// keeps NULL.
func TestAthenaFiltersKeepRecordsWithoutRegionOrAccount(t *testing.T) {
	rec := `{"eventVersion":"1.08","eventID":"n1","eventTime":"2027-01-01T11:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",` +
		`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Prod","roleSessionName":"s"},"responseElements":{}}`
	pol := prodPolicy(t)
	trail := t.TempDir()
	writeFile(t, trail+"/AWSLogs/111122223333/CloudTrail/eu-west-1/2027/01/01/111122223333_CloudTrail_eu-west-1_20270101T1105Z_a.json", `{"Records":[`+rec+`]}`)
	rows, err := athenatest.LoadTrail(trail)
	if err != nil {
		t.Fatal(err)
	}
	for name, parts := range map[string]map[string]string{
		"partitioned":     {"timestamp": "timestamp", "region": "region", "account": "account"},
		"not partitioned": {"timestamp": "timestamp"},
	} {
		srv := athenatest.New(t, athenatest.Options{Table: &athenatest.Table{Database: "db", Name: "tbl", Rows: rows, Partitions: parts}})
		spec := "athena://primary/db.tbl"
		if name == "not partitioned" {
			spec += "?region_column=&account_column="
		}
		src, err := OpenCloudTrail(context.Background(), spec, nil, athenaEnv(srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), Options{Policy: pol, CloudTrail: []cloudtrail.Source{src}, Start: athenaStart, End: athenaEnd,
			Query: cloudtrail.Query{Regions: []string{"eu-west-1"}, Accounts: []string{"111122223333"}}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(res.Findings) != 1 || res.Findings[0].CheckID != "SC1003" || len(res.Findings[0].Events) != 1 || res.Findings[0].Events[0] != "n1" {
			t.Errorf("%s: findings %+v, want SC1003 for n1", name, res.Findings)
		}
	}
}

// prodPolicy is a policy of one profile, prod, and no rule.
func prodPolicy(t *testing.T) *policyhcl.Policy {
	t.Helper()
	polFile := t.TempDir() + "/policy.hcl"
	writeFile(t, polFile, `profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }`)
	pol, _, err := LoadPolicy([]string{polFile})
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

// An Athena table whose partition projection leaves out an account of the
// policy's profiles cannot hold their sessions: the check says so (SC2002)
// instead of finding nothing there.
func TestAthenaTableWithoutThePolicysAccount(t *testing.T) {
	pol := prodPolicy(t)
	srv := athenatest.New(t, athenatest.Options{Table: &athenatest.Table{Database: "db", Name: "tbl",
		Partitions: map[string]string{"timestamp": "timestamp", "region": "region", "account": "account"},
		Properties: map[string]string{"projection.enabled": "true", "projection.account.type": "enum", "projection.account.values": "444455556666"}}})
	src, err := OpenCloudTrail(context.Background(), "athena://primary/db.tbl", nil, athenaEnv(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Policy: pol, CloudTrail: []cloudtrail.Source{src}, Start: athenaStart, End: athenaEnd})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range res.Findings {
		found = found || f.CheckID == "SC2002" && strings.Contains(f.Message, `no source holds the logs of account 111122223333, which the reported profiles' role ARNs name (athena://primary/db.tbl holds 444455556666)`)
	}
	if !found {
		t.Errorf("findings %+v: want SC2002 naming account 111122223333, which the table cannot hold", res.Findings)
	}
}

// A record that does not name its service or call (eventSource null,
// eventName missing) may be an assume-role call: it fails the run from a
// log file, and from an Athena table of the same file (the query's filter
// does not leave it out).
func TestAthenaRecordWithoutEventName(t *testing.T) {
	pol := prodPolicy(t)
	const tail = `"eventTime":"2027-01-01T11:00:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333",` +
		`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Prod","roleSessionName":"s"},"responseElements":{}}`
	for name, rec := range map[string]string{
		"eventName missing": `{"eventVersion":"1.08","eventID":"z1","eventSource":"sts.amazonaws.com",` + tail,
		"eventSource null":  `{"eventVersion":"1.08","eventID":"z1","eventSource":null,"eventName":"AssumeRole",` + tail,
	} {
		t.Run(name, func(t *testing.T) {
			for _, src := range fileAndAthena(t, rec) {
				res, err := Run(context.Background(), Options{Policy: pol, CloudTrail: []cloudtrail.Source{src}, Start: athenaStart, End: athenaEnd})
				if err == nil {
					st := res.Sources.CloudTrail[0]
					t.Errorf("%s: the run passed (%d findings, %d records, %d skipped), want it to fail on the record", src.Name(), len(res.Findings), st.Records, st.RecordsSkipped)
				}
			}
		})
	}
}

// fileAndAthena writes one log file of record in a trail folder and returns
// two sources of it: the folder, and an Athena table loaded from it.
func fileAndAthena(t *testing.T, record string) []cloudtrail.Source {
	t.Helper()
	trail := t.TempDir()
	writeFile(t, trail+"/AWSLogs/111122223333/CloudTrail/us-east-1/2027/01/01/111122223333_CloudTrail_us-east-1_20270101T1105Z_a.json", `{"Records":[`+record+`]}`)
	rows, err := athenatest.LoadTrail(trail)
	if err != nil {
		t.Fatal(err)
	}
	srv := athenatest.New(t, athenatest.Options{Table: &athenatest.Table{Database: "db", Name: "tbl", Rows: rows,
		Partitions: map[string]string{"timestamp": "timestamp", "region": "region", "account": "account"}}})
	asrc, err := OpenCloudTrail(context.Background(), "athena://primary/db.tbl", nil, athenaEnv(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return []cloudtrail.Source{cloudtrail.NewFileSource([]string{trail}, cloudtrail.FileOptions{}), asrc}
}
