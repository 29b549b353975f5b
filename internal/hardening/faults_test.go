package hardening

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sentinel-check/sentinel-check/cloudtrail/cloudtrailtest"
	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

// Fault injection: the real SDK clients of the binary talk to dynalite,
// s3rver and the LookupEvents test server through a faultProxy. Whatever
// goes wrong, the outcome is one of: retried (the run sees every event),
// or exit 3 with an error naming the source; never exit 0 with evidence
// missing. With --skip-unreadable an unreadable source is an SC2002
// finding that counts what was skipped.

const (
	faultAccount = "111122223333"
	faultRegion  = "us-east-1"
	faultBucket  = "trail-bucket"
	faultTable   = "sentinel-sessions"
	prodAdmin    = "arn:aws:iam::111122223333:role/ProdAdmin"
)

const faultPolicy = `profile "prod" {
  role_arns = ["arn:aws:iam::111122223333:role/Prod*"]
}
rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod"]
}
`

// faultData is the evidence: tracked sessions, and one untracked session
// that only the last object or page holds. Losing it silently would turn
// exit 1 into a wrong exit 0.
type faultData struct {
	base      time.Time
	tracked   []cloudtrailtest.Record
	untracked cloudtrailtest.Record
	records   []sessRec
}

func newFaultData(n int) faultData {
	d := faultData{base: time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Minute)}
	for i := range n {
		si := fmt.Sprintf("sentinel:alice:direct:%08x", i)
		at := d.base.Add(time.Duration(i) * time.Second)
		d.tracked = append(d.tracked, cloudtrailtest.Assume{Time: at, Account: faultAccount, Role: prodAdmin, Session: fmt.Sprintf("s%d", i), Identity: si}.Record())
		d.records = append(d.records, liveRec(fmt.Sprintf("rec-%d", i), "alice", "prod", si, at.Add(-time.Minute), time.Hour))
	}
	d.untracked = cloudtrailtest.Assume{Time: d.base.Add(time.Hour), Account: faultAccount, Role: prodAdmin, Session: "direct"}.Record()
	return d
}

func (d faultData) sessions() int { return len(d.tracked) + 1 }

// s3rverKey is s3rver's built-in key pair (it checks signatures); the other
// stand-ins take any key.
const s3rverKey = "S3RVER"

// awsEnv points the SDK's default chain at the proxies and nowhere else.
func awsEnv(dir string, endpoints map[string]string) []string {
	env := []string{"AWS_ACCESS_KEY_ID=" + s3rverKey, "AWS_SECRET_ACCESS_KEY=" + s3rverKey, "AWS_REGION=" + faultRegion,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "no-config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED=true"}
	for svc, ep := range endpoints {
		env = append(env, "AWS_ENDPOINT_URL_"+svc+"="+ep)
	}
	return env
}

// faultCase is one fault and what must come of it.
type faultCase struct {
	name   string
	inject func(p *faultProxy)
	args   []string
	// exit is the code wanted: 1 when the fault is retried away (the
	// untracked session is found), 3 when the source cannot be read.
	exit int
	// want are parts of the one-line error (exit 3).
	want []string
	// skipUnreadable runs again with --skip-unreadable and wants an SC2002
	// finding and this many unreadable items.
	skipUnreadable int64
	// retried wants the proxy to have seen the operation more than once.
	retried string
	// env adds to the environment, e.g. AWS_MAX_ATTEMPTS.
	env []string
	// repeatToken makes the LookupEvents server repeat its first NextToken.
	repeatToken bool
}

// checkFault runs one case and asserts its outcome.
func checkFault(t *testing.T, tc faultCase, p *faultProxy, dir string, env []string, args []string, d faultData) {
	t.Helper()
	out := filepath.Join(dir, "out.json")
	run := func(extra ...string) (result, *report) {
		all := append(append(append([]string{}, args...), "--format", "json="+out), tc.args...)
		all = append(all, extra...)
		r := runBin(t, dir, append(append([]string{}, env...), tc.env...), 90*time.Second, all...)
		rep := readReport(t, out)
		return r, rep
	}
	tc.inject(p)
	r, rep := run()
	t.Logf("exit %d in %v; proxy saw %d requests; stderr: %s", r.code, r.elapsed.Round(time.Millisecond), len(p.requests()), strings.TrimSpace(r.stderr))
	if r.code == 0 {
		t.Fatalf("WRONG COMPLIANT: exit 0 although the untracked session %v is in the source; proxy log:\n%s", d.untracked["eventID"], strings.Join(p.requests(), "\n"))
	}
	if r.code != tc.exit {
		t.Fatalf("exit code %d, want %d; stderr:\n%s\nproxy log:\n%s", r.code, tc.exit, r.stderr, strings.Join(p.requests(), "\n"))
	}
	switch tc.exit {
	case 1:
		if rep == nil || rep.Sources.Totals.Sessions != int64(d.sessions()) || len(rep.Profiles) != 1 || rep.Profiles[0].Tracked != len(d.tracked) {
			t.Errorf("retried run: the report does not hold all %d sessions, %d of them tracked: %+v", d.sessions(), len(d.tracked), rep)
		}
	case 3:
		oneLine(t, r.stderr, tc.want...)
	}
	if tc.retried != "" && p.count(tc.retried) < 2 {
		t.Errorf("%s was not retried: %q", tc.retried, p.requests())
	}
	if tc.skipUnreadable > 0 {
		p.mu.Lock()
		p.faults, p.rewrite, p.serve = nil, nil, nil
		p.mu.Unlock()
		tc.inject(p)
		r, rep = run("--skip-unreadable")
		if r.code == 3 || rep == nil {
			t.Fatalf("--skip-unreadable: exit code %d, no report; stderr:\n%s", r.code, r.stderr)
		}
		if rep.Sources.Totals.Unreadable != tc.skipUnreadable || !rep.has("SC2002") {
			t.Errorf("--skip-unreadable: %d unreadable, SC2002 %v; want %d and an SC2002 finding", rep.Sources.Totals.Unreadable, rep.has("SC2002"), tc.skipUnreadable)
		}
		for _, f := range rep.Findings {
			if f.ID == "SC2002" {
				t.Logf("--skip-unreadable: exit %d, SC2002: %s", r.code, f.Message)
			}
		}
	}
}

// oneLine asserts that stderr is one line holding every want.
func oneLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	line := strings.TrimSuffix(stderr, "\n")
	if line == "" || strings.ContainsAny(line, "\n\r") {
		t.Errorf("the error is not one line:\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("the error does not say %q:\n%s", w, line)
		}
	}
}

func s3Error(status int, code, msg string) fault {
	return fault{kind: answer, status: status, header: map[string]string{"Content-Type": "application/xml"},
		body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + msg + `</Message><RequestId>r</RequestId></Error>`}
}

func jsonError(status int, typ, msg string) fault {
	return fault{kind: answer, status: status, header: map[string]string{"Content-Type": "application/x-amz-json-1.0"},
		body: `{"__type":"` + typ + `","message":"` + msg + `"}`}
}

func with(f fault, op string, times int) fault { f.op, f.times = op, times; return f }

// TestFaultsS3 runs the S3 source against s3rver through the proxy.
func TestFaultsS3(t *testing.T) {
	ep := testsvc.S3rver(t)
	d := newFaultData(2)
	cfg := testsvc.AWSConfig(t, ep)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(s3rverKey, s3rverKey, "")
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(faultBucket)}); err != nil {
		t.Fatal(err)
	}
	keyA := cloudtrailtest.Key("", faultAccount, faultRegion, d.base.Add(5*time.Minute), "AAAAAAAAAAAAAAAA")
	keyB := cloudtrailtest.Key("", faultAccount, faultRegion, d.base.Add(65*time.Minute), "BBBBBBBBBBBBBBBB")
	put := func(key string, body []byte) {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(faultBucket), Key: aws.String(key), Body: strings.NewReader(string(body))}); err != nil {
			t.Fatal(err)
		}
	}
	put(keyA, cloudtrailtest.LogFile(t, d.tracked...))
	put(keyB, cloudtrailtest.LogFile(t, d.untracked))
	// s3rver 3.7 shows a folder in a delimited listing only when the folder
	// itself holds an object: add the console's folder markers.
	for i, c := range keyA {
		if c == '/' {
			put(keyA[:i+1], nil)
		}
	}
	objB := "s3://" + faultBucket + "/" + keyB

	cases := []faultCase{
		{name: "no fault", inject: func(*faultProxy) {}, exit: 1},
		{name: "500s on GetObject, then success", inject: func(p *faultProxy) {
			p.inject(with(s3Error(500, "InternalError", "We encountered an internal error."), "GetObject", 2))
		},
			exit: 1, retried: "GetObject"},
		{name: "a burst of SlowDown on listing", inject: func(p *faultProxy) {
			p.inject(with(s3Error(503, "SlowDown", "Please reduce your request rate."), "ListObjectsV2", 2))
		},
			exit: 1, retried: "ListObjectsV2"},
		{name: "connection dropped before the listing answers", inject: func(p *faultProxy) { p.inject(fault{op: "ListObjectsV2", times: 1, kind: dropBeforeResponse}) },
			exit: 1, retried: "ListObjectsV2"},
		{name: "connection dropped in the middle of an object", inject: func(p *faultProxy) { p.inject(fault{op: "GetObject", times: 1, kind: dropMidBody}) },
			exit: 1, retried: "GetObject"},
		{name: "500s on GetObject for good", inject: func(p *faultProxy) {
			p.inject(with(s3Error(500, "InternalError", "We encountered an internal error."), "GetObject", 0))
		},
			exit: 3, want: []string{"s3://" + faultBucket + "/AWSLogs/"}, skipUnreadable: 2},
		{name: "a server that never answers (--aws-timeout 1s)", inject: func(p *faultProxy) { p.inject(fault{op: "GetObject", kind: hang}) },
			args: []string{"--aws-timeout", "1s"}, exit: 3, want: []string{"s3://" + faultBucket + "/AWSLogs/", "timeout"}},
		{name: "a download that stalls once (--aws-timeout 1s)", inject: func(p *faultProxy) { p.inject(fault{op: "GetObject", times: 1, kind: stallMidBody}) },
			args: []string{"--aws-timeout", "1s"}, exit: 1, retried: "GetObject"},
		{name: "downloads that always stall (--aws-timeout 1s)", inject: func(p *faultProxy) { p.inject(fault{op: "GetObject", kind: stallMidBody}) },
			args: []string{"--aws-timeout", "1s"}, exit: 3, want: []string{"s3://" + faultBucket + "/AWSLogs/", "broke off 3 times", "sent nothing for 1s"}, skipUnreadable: 2},
		{name: "an object deleted between list and get", inject: func(p *faultProxy) {
			put(keyB, cloudtrailtest.LogFile(t, d.untracked))
			deleted := false
			p.rewrite = func(op string, r *http.Request, status int, body []byte) []byte {
				if op == "ListObjectsV2" && !deleted && strings.Contains(string(body), keyB) {
					deleted = true
					if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(faultBucket), Key: aws.String(keyB)}); err != nil {
						t.Error(err)
					}
				}
				return body
			}
		}, exit: 3, want: []string{objB, "deleted between listing and reading"}, skipUnreadable: 1},
		{name: "a listing that repeats its continuation token", inject: func(p *faultProxy) {
			var looped []byte
			p.rewrite = func(op string, r *http.Request, status int, body []byte) []byte {
				if op == "ListObjectsV2" && r.URL.Query().Get("delimiter") == "" && looped == nil {
					looped = []byte(strings.Replace(string(body), "<IsTruncated>false</IsTruncated>", "<IsTruncated>true</IsTruncated><NextContinuationToken>loop</NextContinuationToken>", 1))
					return looped
				}
				return body
			}
			p.serve = func(op string, r *http.Request) (int, []byte, bool) {
				if r.URL.Query().Get("continuation-token") == "loop" {
					return 200, looped, true
				}
				return 0, nil, false
			}
		}, exit: 3, want: []string{"s3://" + faultBucket + "/AWSLogs/", "same continuation token twice"}},
		{name: "access denied on GetObject", inject: func(p *faultProxy) { p.inject(with(s3Error(403, "AccessDenied", "Access Denied"), "GetObject", 0)) },
			exit: 3, want: []string{"s3://" + faultBucket + "/AWSLogs/", "s3:GetObject"}, skipUnreadable: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newFaultProxy(t, ep)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "policy.hcl"), []byte(faultPolicy))
			writeJSON(t, filepath.Join(dir, "sessions.json"), d.records)
			args := []string{"check", "--policy", "policy.hcl", "--cloudtrail", "s3://" + faultBucket + "/", "--sessions", "sessions.json", "--since", "2d"}
			checkFault(t, tc, p, dir, awsEnv(dir, map[string]string{"S3": p.URL}), args, d)
		})
	}
}

func cloudTrailError(status int, typ, msg string) fault {
	return fault{kind: answer, status: status, header: map[string]string{"Content-Type": "application/x-amz-json-1.1"},
		body: `{"__type":"` + typ + `","message":"` + msg + `"}`}
}

// TestFaultsLookupEvents runs the LookupEvents source against the test
// server through the proxy. 60 tracked sessions and the untracked one make
// two pages of AssumeRole events.
func TestFaultsLookupEvents(t *testing.T) {
	d := newFaultData(60)
	records := append(append([]cloudtrailtest.Record{}, d.tracked...), d.untracked)
	cases := []faultCase{
		{name: "no fault", inject: func(*faultProxy) {}, exit: 1},
		{name: "500s, then success", inject: func(p *faultProxy) {
			p.inject(with(cloudTrailError(500, "InternalFailure", "internal error"), "LookupEvents", 2))
		},
			exit: 1, retried: "LookupEvents"},
		{name: "a burst of throttling", inject: func(p *faultProxy) {
			p.inject(with(cloudTrailError(400, "ThrottlingException", "Rate exceeded"), "LookupEvents", 4))
		},
			exit: 1, retried: "LookupEvents"},
		{name: "connection dropped before the answer", inject: func(p *faultProxy) { p.inject(fault{op: "LookupEvents", times: 1, kind: dropBeforeResponse}) },
			exit: 1, retried: "LookupEvents"},
		{name: "connection dropped in the middle of a page", inject: func(p *faultProxy) { p.inject(fault{op: "LookupEvents", times: 1, kind: dropMidBody}) },
			exit: 1, retried: "LookupEvents"},
		{name: "a page that stalls once (--aws-timeout 1s)", inject: func(p *faultProxy) { p.inject(fault{op: "LookupEvents", times: 1, kind: stallMidBody}) },
			args: []string{"--aws-timeout", "1s"}, exit: 1, retried: "LookupEvents"},
		{name: "a server that never answers (--aws-timeout 1s, AWS_MAX_ATTEMPTS=2)", inject: func(p *faultProxy) { p.inject(fault{op: "LookupEvents", kind: hang}) },
			args: []string{"--aws-timeout", "1s"}, env: []string{"AWS_MAX_ATTEMPTS=2"}, exit: 3, want: []string{"lookup:us-east-1", "no answer in time"}},
		{name: "500s for good (AWS_MAX_ATTEMPTS=2)", inject: func(p *faultProxy) {
			p.inject(with(cloudTrailError(500, "InternalFailure", "internal error"), "LookupEvents", 0))
		}, env: []string{"AWS_MAX_ATTEMPTS=2"}, exit: 3, want: []string{"lookup:us-east-1", "cloudtrail:LookupEvents"}, skipUnreadable: 1},
		{name: "a NextToken that repeats", inject: func(*faultProxy) {}, repeatToken: true,
			exit: 3, want: []string{"lookup:us-east-1", "NextToken of page 1 again"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := cloudtrailtest.NewLookupServer(t, records, cloudtrailtest.LookupServerOptions{Rate: 50, Burst: 50, RepeatToken: tc.repeatToken})
			p := newFaultProxy(t, srv.URL)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "policy.hcl"), []byte(faultPolicy))
			writeJSON(t, filepath.Join(dir, "sessions.json"), d.records)
			args := []string{"check", "--policy", "policy.hcl", "--cloudtrail", "lookup:", "--sessions", "sessions.json", "--since", "2d"}
			checkFault(t, tc, p, dir, awsEnv(dir, map[string]string{"CLOUDTRAIL": p.URL}), args, d)
		})
	}
}

// TestFaultsDynamoDB reads session records from dynalite through the
// proxy; the trail is a local file. Records that go missing would make
// tracked sessions look orphaned: every fault must be retried away or
// fail the run.
func TestFaultsDynamoDB(t *testing.T) {
	ep := testsvc.Dynalite(t)
	d := newFaultData(3)
	ctx := context.Background()
	c := dynamodb.NewFromConfig(testsvc.AWSConfig(t, ep))
	createSessionTable(t, c)
	for _, r := range d.records {
		item := map[string]ddbtypes.AttributeValue{}
		b, _ := json.Marshal(r)
		var m map[string]string
		json.Unmarshal(b, &m)
		for k, v := range m {
			item[k] = &ddbtypes.AttributeValueMemberS{Value: v}
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(faultTable), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	trail := cloudtrailtest.LogFile(t, append(append([]cloudtrailtest.Record{}, d.tracked...), d.untracked)...)
	src := "dynamodb://" + faultTable
	cases := []faultCase{
		{name: "no fault", inject: func(*faultProxy) {}, exit: 1},
		{name: "500s on Scan, then success", inject: func(p *faultProxy) {
			p.inject(with(jsonError(500, "InternalServerError", "internal error"), "Scan", 2))
		},
			exit: 1, retried: "Scan"},
		{name: "throttling on Scan", inject: func(p *faultProxy) {
			p.inject(with(jsonError(400, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded."), "Scan", 2))
		}, exit: 1, retried: "Scan"},
		{name: "connection dropped before the answer", inject: func(p *faultProxy) { p.inject(fault{op: "Scan", times: 1, kind: dropBeforeResponse}) },
			exit: 1, retried: "Scan"},
		{name: "connection dropped in the middle of a page", inject: func(p *faultProxy) { p.inject(fault{op: "Scan", times: 1, kind: dropMidBody}) },
			exit: 1, retried: "Scan"},
		{name: "a server that never answers (--aws-timeout 1s)", inject: func(p *faultProxy) { p.inject(fault{op: "Scan", kind: hang}) },
			args: []string{"--aws-timeout", "1s"}, exit: 3, want: []string{src, "timeout"}},
		{name: "500s for good", inject: func(p *faultProxy) {
			p.inject(with(jsonError(500, "InternalServerError", "internal error"), "Scan", 0))
		},
			exit: 3, want: []string{"cannot read " + src + ": dynamodb:Scan"}},
		{name: "a LastEvaluatedKey that repeats", inject: func(p *faultProxy) {
			p.rewrite = func(op string, r *http.Request, status int, body []byte) []byte {
				var page map[string]any
				if op != "Scan" || json.Unmarshal(body, &page) != nil {
					return body
				}
				// The key of the page's first item, then the key the
				// request started from again (a key of the segment).
				var req struct{ ExclusiveStartKey map[string]any }
				b, _ := io.ReadAll(r.Body)
				_ = json.Unmarshal(b, &req)
				switch items, _ := page["Items"].([]any); {
				case req.ExclusiveStartKey != nil:
					page["LastEvaluatedKey"] = req.ExclusiveStartKey
				case len(items) > 0:
					first, _ := items[0].(map[string]any)
					page["LastEvaluatedKey"] = map[string]any{"id": first["id"]}
				}
				out, _ := json.Marshal(page)
				return out
			}
		}, exit: 3, want: []string{src, "LastEvaluatedKey"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newFaultProxy(t, ep)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "policy.hcl"), []byte(faultPolicy))
			writeFile(t, filepath.Join(dir, "trail", "t.json.gz"), trail)
			args := []string{"check", "--policy", "policy.hcl", "--cloudtrail", "trail", "--sessions", src, "--since", "2d"}
			checkFault(t, tc, p, dir, awsEnv(dir, map[string]string{"DYNAMODB": p.URL}), args, d)
		})
	}
}

// createSessionTable creates the broker's table with its gsi-profile and
// gsi-status indexes.
func createSessionTable(t *testing.T, c *dynamodb.Client) {
	t.Helper()
	s := func(v string) *string { return aws.String(v) }
	_, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: s(faultTable),
		KeySchema: []ddbtypes.KeySchemaElement{{AttributeName: s("id"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: s("id"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: s("profile"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: s("created_at"), AttributeType: ddbtypes.ScalarAttributeTypeS},
			{AttributeName: s("status"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		GlobalSecondaryIndexes: []ddbtypes.GlobalSecondaryIndex{{
			IndexName:  s("gsi-profile"),
			KeySchema:  []ddbtypes.KeySchemaElement{{AttributeName: s("profile"), KeyType: ddbtypes.KeyTypeHash}, {AttributeName: s("created_at"), KeyType: ddbtypes.KeyTypeRange}},
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll},
		}, {
			IndexName:  s("gsi-status"),
			KeySchema:  []ddbtypes.KeySchemaElement{{AttributeName: s("status"), KeyType: ddbtypes.KeyTypeHash}, {AttributeName: s("created_at"), KeyType: ddbtypes.KeyTypeRange}},
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll},
		}},
		BillingMode: ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
}
