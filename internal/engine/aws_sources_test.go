package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/cloudtrail/cloudtrailtest"
	"github.com/sentinel-check/sentinel-check/internal/testsvc"
	"github.com/sentinel-check/sentinel-check/policyhcl"
	"github.com/sentinel-check/sentinel-check/report"
)

const awsScenarioPolicy = `
profile "prod-admin" {
  role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin"]
}

profile "ci-deploy" {
  role_arns = ["arn:aws:iam::444455556666:role/GitHubDeploy"]
}

rule "prod-through-the-broker" {
  effect   = "require_server"
  profiles = ["prod-*"]
}

rule "ci" {
  effect   = "allow"
  profiles = ["ci-deploy"]
}
`

// awsScenario is an organisation's activity over five days, recent enough
// for LookupEvents (which only holds 90 days): production sessions with and
// without the broker's identity, refused calls, a role no profile covers,
// deployments from GitHub Actions, noise; in an account trail and an
// organisation trail, two regions, log files delivered a few minutes after
// their events (so the window's last minutes are in the next day's folder).
// It returns the S3 objects, every record, and the window.
func awsScenario(t *testing.T) (objs map[string][]byte, records []cloudtrailtest.Record, start, end time.Time) {
	day0 := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -6)
	start, end = day0.Add(24*time.Hour+12*time.Hour), day0.Add(4*24*time.Hour)
	objs = map[string][]byte{}
	type folder struct{ org, account, region string }
	folders := []folder{{"", "111122223333", "us-east-1"}, {"", "111122223333", "eu-west-1"}, {"o-abcdefghij", "444455556666", "eu-west-1"}}
	n := 0
	for _, f := range folders {
		for day := range 6 {
			for hour := 0; hour < 24; hour += 5 {
				delivered := day0.AddDate(0, 0, day).Add(time.Duration(hour)*time.Hour + 7*time.Minute)
				if hour == 20 {
					delivered = delivered.Add(3*time.Hour + 55*time.Minute) // 00:02 the next day
				}
				var recs []cloudtrailtest.Record
				for k := range 3 {
					n++
					at := delivered.Add(-time.Duration(3*k+4) * time.Minute)
					a := cloudtrailtest.Assume{Time: at, Account: f.account, Region: f.region, Session: fmt.Sprintf("s%d", n)}
					switch {
					case f.account == "444455556666":
						a.Name, a.Role = cloudtrail.EventAssumeRoleWithWebIdentity, "arn:aws:iam::444455556666:role/GitHubDeploy"
					case n%11 == 0:
						a.Role = "arn:aws:iam::111122223333:role/Forgotten"
					case n%7 == 0:
						a.Role, a.ErrorCode = "arn:aws:iam::111122223333:role/ProdAdmin", "AccessDenied"
					case n%5 == 0:
						a.Role = "arn:aws:iam::111122223333:role/ProdAdmin" // straight from a laptop
					default:
						a.Role, a.Identity = "arn:aws:iam::111122223333:role/ProdAdmin", fmt.Sprintf("sentinel:alice:direct:%08x", n)
					}
					recs = append(recs, a.Record())
				}
				recs = append(recs, cloudtrailtest.Noise(delivered.Add(-time.Minute), f.account, f.region))
				records = append(records, recs...)
				objs[cloudtrailtest.Key(f.org, f.account, f.region, delivered, fmt.Sprintf("u%d", n))] = cloudtrailtest.LogFile(t, recs...)
			}
			digestAt := day0.AddDate(0, 0, day).Add(time.Hour)
			objs[cloudtrailtest.DigestKey(f.org, f.account, f.region, digestAt)] = cloudtrailtest.DigestFile(f.account, digestAt)
		}
	}
	// The organisation trail is multi-region: 444455556666 has a us-east-1
	// folder, of global service events.
	for day := range 6 {
		delivered := day0.AddDate(0, 0, day).Add(10*time.Hour + 7*time.Minute)
		rec := cloudtrailtest.Noise(delivered.Add(-time.Minute), "444455556666", "us-east-1")
		records = append(records, rec)
		objs[cloudtrailtest.Key("o-abcdefghij", "444455556666", "us-east-1", delivered, fmt.Sprintf("g%d", day))] = cloudtrailtest.LogFile(t, rec)
	}
	return objs, records, start, end
}

// awsRunJSON runs the check on one source and returns the JSON report
// without its sources section.
func awsRunJSON(t *testing.T, src cloudtrail.Source, start, end time.Time, q cloudtrail.Query) (map[string]any, cloudtrail.Stats) {
	t.Helper()
	pol, diags := policyhcl.LoadSources(map[string][]byte{"policy.hcl": []byte(awsScenarioPolicy)}, policyhcl.Options{KnownChecks: checks.Names()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	res, err := Run(context.Background(), Options{Policy: pol, CloudTrail: []cloudtrail.Source{src}, Start: start, End: end, Query: q})
	if err != nil {
		t.Fatalf("%s: %v", src.Name(), err)
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
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "sources")
	return doc, res.Sources.CloudTrail[0]
}

func s3rverEnv(endpoint string) *Env {
	return &Env{LoadAWS: func(ctx context.Context, region string) (aws.Config, error) {
		return aws.Config{
			Region:           "us-east-1",
			Credentials:      credentials.NewStaticCredentialsProvider("S3RVER", "S3RVER", ""), // s3rver's built-in key pair
			BaseEndpoint:     aws.String(endpoint),
			RetryMaxAttempts: 3,
		}, nil
	}}
}

// The same activity read from a folder, from S3 and from LookupEvents gives
// the same report.
func TestAWSSourcesGiveTheSameReport(t *testing.T) {
	objs, records, start, end := awsScenario(t)
	ctx := context.Background()

	// A folder.
	dir := t.TempDir()
	for k, v := range objs {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(k)), string(v))
	}
	fileSrc, err := OpenCloudTrail(ctx, dir, nil, &Env{})
	if err != nil {
		t.Fatal(err)
	}
	want, fileStats := awsRunJSON(t, fileSrc, start, end, cloudtrail.Query{})

	// S3 (s3rver), through the engine's opener and the SDK's default client.
	endpoint := testsvc.S3rver(t)
	env := s3rverEnv(endpoint)
	cfg, _ := env.AWS(ctx)
	upload := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	if _, err := upload.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("org-trail")}); err != nil {
		t.Fatal(err)
	}
	// s3rver 3.7.1 reports a folder in a delimited listing only when the
	// folder directly holds an object: add the console's folder markers.
	keys := map[string]bool{}
	for k := range objs {
		keys[k] = true
		for i, c := range k {
			if c == '/' {
				keys[k[:i+1]] = true
			}
		}
	}
	for k := range keys {
		if _, err := upload.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("org-trail"), Key: aws.String(k), Body: bytes.NewReader(objs[k])}); err != nil {
			t.Fatal(err)
		}
	}
	s3Src, err := OpenCloudTrail(ctx, "s3://org-trail/", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	gotS3, s3Stats := awsRunJSON(t, s3Src, start, end, cloudtrail.Query{})

	// LookupEvents (a loopback server speaking its protocol).
	srv := cloudtrailtest.NewLookupServer(t, records, cloudtrailtest.LookupServerOptions{})
	lookupEnv := &Env{Regions: []string{"us-east-1", "eu-west-1"}, LoadAWS: func(ctx context.Context, region string) (aws.Config, error) {
		return testsvc.AWSConfig(t, srv.URL), nil
	}}
	lookupSrc, err := OpenCloudTrail(ctx, "lookup:", nil, lookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	gotLookup, lookupStats := awsRunJSON(t, lookupSrc, start, end, cloudtrail.Query{Regions: lookupEnv.Regions})
	lookupWall := time.Since(began)
	// The loopback server returns both accounts' events, where LookupEvents
	// returns only the credentials' account's (111122223333 here): the
	// report says that 444455556666's sessions are not seen. Past that
	// warning, the report is the folder's.
	dropCoverage(t, gotLookup, want, "no source holds the logs of account 444455556666, which the reported profiles' role ARNs name (SOURCE holds 111122223333 (LookupEvents returns only the credentials' account's events))")

	// The comparison means something: sessions, gaps and several checks.
	profiles, _ := want["profiles"].([]any)
	findings, _ := want["findings"].([]any)
	if len(profiles) != 2 || len(findings) < 2 || !strings.Contains(fmt.Sprint(profiles), "denied_attempts:11") {
		t.Fatalf("the scenario is too thin: %d profiles, %d findings\n%v", len(profiles), len(findings), want)
	}
	for name, got := range map[string]map[string]any{"s3": gotS3, "lookup": gotLookup} {
		if !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", "  ")
			w, _ := json.MarshalIndent(want, "", "  ")
			t.Errorf("%s report differs from the folder's:\n%s\nwant:\n%s", name, g, w)
		}
	}
	if srv.Throttled() != 0 {
		t.Errorf("%d LookupEvents requests throttled", srv.Throttled())
	}
	logFiles := int64(0)
	for k := range objs {
		if strings.HasSuffix(k, ".json.gz") && !strings.Contains(k, "CloudTrail-Digest") {
			logFiles++
		}
	}
	// Both read only the log files the window's days can hold: S3 lists
	// only those day folders, the folder walk passes over the others by
	// the delivery time in their names.
	if s3Stats.Files >= logFiles || s3Stats.Files == 0 {
		t.Errorf("S3 read %d log files of the %d in the trail; want only the window's days", s3Stats.Files, logFiles)
	}
	if fileStats.Files != s3Stats.Files || fileStats.Files+fileStats.FilesSkipped < logFiles {
		t.Errorf("the folder source read %d log files and passed over %d; want the %d that S3 read, of the %d in the trail", fileStats.Files, fileStats.FilesSkipped, s3Stats.Files, logFiles)
	}
	t.Logf("%d records in %d log files; window %s..%s", len(records), logFiles, start.Format(time.RFC3339), end.Format(time.RFC3339))
	t.Logf("folder: %d files (%d skipped), %d assume-role records", fileStats.Files, fileStats.FilesSkipped, fileStats.AssumeRole)
	t.Logf("s3:     %d requests (%d objects read, %d skipped), %d assume-role records", s3Stats.Requests, s3Stats.Files, s3Stats.FilesSkipped, s3Stats.AssumeRole)
	t.Logf("lookup: %d requests (%d pages, %d retries), %d assume-role records, %v", lookupStats.Requests, lookupStats.Pages, lookupStats.Retries, lookupStats.AssumeRole, lookupWall.Round(10*time.Millisecond))
}

func TestOpenLookupRegions(t *testing.T) {
	env := func(regions ...string) *Env {
		return &Env{Regions: regions, LoadAWS: func(ctx context.Context, region string) (aws.Config, error) {
			return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}, nil
		}}
	}
	block := &policyhcl.CloudTrailConfig{Source: "lookup:", Regions: []string{"ap-south-1"}}
	for _, tc := range []struct {
		spec string
		cfg  *policyhcl.CloudTrailConfig
		env  *Env
		want string
	}{
		{"lookup:", nil, env("eu-west-1", "us-east-1"), "lookup:eu-west-1,us-east-1"},
		// us-east-1 is always read too: calls to STS's global endpoint
		// are logged there.
		{"lookup:eu-central-1, eu-west-3", nil, env(), "lookup:eu-central-1,eu-west-3,us-east-1"},
		{"lookup:eu-central-1", nil, env("eu-central-1", "us-east-1"), "lookup:eu-central-1,us-east-1"},
		{"lookup:", block, env(), "lookup:ap-south-1,us-east-1"},
		{"lookup:", block, env("all"), "lookup:all"},
		{"lookup:", nil, env(), "lookup:us-east-1"},
	} {
		src, err := OpenCloudTrail(context.Background(), tc.spec, tc.cfg, tc.env)
		if err != nil || src.Name() != tc.want {
			t.Errorf("%q: %v %v, want %s", tc.spec, src, err, tc.want)
		}
	}
	// --region filters what is read: leaving out a region the source
	// names is a usage error, before anything is read.
	if _, err := OpenCloudTrail(context.Background(), "lookup:eu-central-1, eu-west-3", nil, env("eu-west-1")); !errors.As(err, new(*UsageError)) ||
		!strings.Contains(err.Error(), "names the region eu-central-1, which --region eu-west-1 leaves out") {
		t.Errorf("lookup:eu-central-1, eu-west-3 with --region eu-west-1: %v, want a usage error", err)
	}
	// Nor may --region ask for a region that the source does not read: it
	// would be read by nothing, and nothing would say so.
	for _, tc := range []struct {
		spec    string
		regions []string
	}{
		{"lookup:us-east-1", []string{"eu-west-1"}},
		{"lookup:eu-central-1", []string{"eu-central-1", "eu-west-1"}},
	} {
		if _, err := OpenCloudTrail(context.Background(), tc.spec, nil, env(tc.regions...)); !errors.As(err, new(*UsageError)) ||
			!strings.Contains(err.Error(), "asks for the region eu-west-1, which "+tc.spec+" does not read") {
			t.Errorf("%s with --region %v: %v, want a usage error", tc.spec, tc.regions, err)
		}
	}
	// --region all asks for every region; a block's regions ask as
	// --region does.
	if _, err := OpenCloudTrail(context.Background(), "lookup:us-east-1", nil, env("all")); !errors.As(err, new(*UsageError)) ||
		!strings.Contains(err.Error(), "--region all asks for the region all, which lookup:us-east-1 does not read") {
		t.Errorf("lookup:us-east-1 with --region all: %v, want a usage error", err)
	}
	blk := &policyhcl.CloudTrailConfig{Source: "lookup:us-east-1", Regions: []string{"eu-west-1"}}
	if _, err := OpenCloudTrail(context.Background(), blk.Source, blk, env()); !errors.As(err, new(*UsageError)) ||
		!strings.Contains(err.Error(), "the cloudtrail block's regions eu-west-1 asks for the region eu-west-1, which lookup:us-east-1 does not read") {
		t.Errorf("a lookup:us-east-1 block with regions = [eu-west-1]: %v, want a usage error", err)
	}
	// A region no partition has is a usage error too: it would read nothing.
	for _, spec := range []string{"lookup:eu-west-1,eu-wset-1", "lookup:EU-WEST-1"} {
		if _, err := OpenCloudTrail(context.Background(), spec, nil, env()); !errors.As(err, new(*UsageError)) ||
			!strings.Contains(err.Error(), `did you mean "eu-west-1"?`) {
			t.Errorf("%s: %v, want a usage error suggesting eu-west-1", spec, err)
		}
	}
	if _, err := OpenCloudTrail(context.Background(), "s3:///AWSLogs", nil, env()); !errors.As(err, new(*UsageError)) {
		t.Errorf("s3:///AWSLogs: %v, want a usage error", err)
	}
}

// An access denial is a source error (exit code 3) naming the IAM action.
func TestAWSAccessDeniedIsASourceError(t *testing.T) {
	_, records, start, end := awsScenario(t)
	srv := cloudtrailtest.NewLookupServer(t, records, cloudtrailtest.LookupServerOptions{DenyAccess: true})
	src, err := OpenCloudTrail(context.Background(), "lookup:eu-west-1", nil, &Env{LoadAWS: func(ctx context.Context, region string) (aws.Config, error) {
		return testsvc.AWSConfig(t, srv.URL), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	pol, diags := policyhcl.LoadSources(map[string][]byte{"policy.hcl": []byte(awsScenarioPolicy)}, policyhcl.Options{KnownChecks: checks.Names()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	_, err = Run(context.Background(), Options{Policy: pol, CloudTrail: []cloudtrail.Source{src}, Start: start, End: end})
	var se *SourceError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Source, "lookup:") || !strings.Contains(err.Error(), "lacks the IAM permission cloudtrail:LookupEvents") {
		t.Errorf("err = %v, want a *SourceError for a LookupEvents region naming cloudtrail:LookupEvents", err)
	}
}

// LookupEvents read in the AWS configuration's region only (no --region)
// says, as SC2002, that other regions' STS endpoints were not read; with
// the regions named it does not.
func TestLookupDefaultRegionCoverage(t *testing.T) {
	_, records, start, end := awsScenario(t)
	srv := cloudtrailtest.NewLookupServer(t, records, cloudtrailtest.LookupServerOptions{})
	load := func(ctx context.Context, region string) (aws.Config, error) {
		cfg := testsvc.AWSConfig(t, srv.URL)
		cfg.Region = "eu-west-1"
		return cfg, nil
	}
	for _, tc := range []struct {
		env  *Env
		want bool
	}{
		{&Env{LoadAWS: load}, true},
		{&Env{LoadAWS: load, Regions: []string{"eu-west-1", "us-east-1"}}, false},
	} {
		src, err := OpenCloudTrail(context.Background(), "lookup:", nil, tc.env)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := awsRunJSON(t, src, start, end, cloudtrail.Query{Regions: tc.env.Regions})
		found := false
		for _, f := range doc["findings"].([]any) {
			m := f.(map[string]any)
			found = found || m["id"] == "SC2002" && strings.Contains(m["message"].(string), "only eu-west-1 and us-east-1 were read")
		}
		if found != tc.want {
			t.Errorf("regions %v: SC2002 about the regions not read = %v, want %v\n%v", tc.env.Regions, found, tc.want, doc["findings"])
		}
	}
}

// dropCoverage removes from a JSON report the one SC2002 warning whose
// message holds msg, its counts from the summary, and its effect on the
// profiles' verdicts (a warning about the run shows FINDINGS for a profile
// that would pass or not need tracking, as in want).
func dropCoverage(t *testing.T, doc, want map[string]any, msg string) {
	t.Helper()
	findings, _ := doc["findings"].([]any)
	kept := []any{}
	for _, f := range findings {
		m, _ := f.(map[string]any)
		if m["check"] == "no-data" && strings.Contains(fmt.Sprint(m["message"]), msg) {
			continue
		}
		kept = append(kept, f)
	}
	if len(kept) != len(findings)-1 {
		t.Fatalf("findings %v: want one SC2002 warning saying %q", findings, msg)
	}
	doc["findings"] = kept
	summary, _ := doc["summary"].(map[string]any)
	for _, k := range []string{"findings", "warnings"} {
		n, _ := summary[k].(float64)
		summary[k] = n - 1
	}
	got, _ := doc["profiles"].([]any)
	exp, _ := want["profiles"].([]any)
	for i := range min(len(got), len(exp)) {
		g, _ := got[i].(map[string]any)
		w, _ := exp[i].(map[string]any)
		if v := w["verdict"]; (v == "NOT REQUIRED" || v == "PASS") && g["verdict"] == "FINDINGS" {
			g["verdict"] = v
		}
	}
}

// LookupEvents returns only the credentials' account's events: a policy
// whose role ARNs name other accounts gets a coverage warning naming them
// (the account from sts:GetCallerIdentity, over the same loopback server).
func TestLookupAccountCoverage(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, policy, account, want string
	}{
		{"one account, the caller's", `profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }`, "111122223333", ""},
		{"another account", "profile \"prod\" { role_arns = [\"arn:aws:iam::111122223333:role/Prod\"] }\nprofile \"ci\" { role_arns = [\"arn:aws:iam::444455556666:role/CI\", \"arn:aws:iam::*:role/Any\"] }", "111122223333",
			"no source holds the logs of account 444455556666, which the reported profiles' role ARNs name (lookup:us-east-1 holds 111122223333 (LookupEvents returns only the credentials' account's events)): sessions opened inside them are not seen"},
		{"caller unknown", `profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }`, "-",
			"the account LookupEvents reads could not be told (sts:GetCallerIdentity failed: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol, diags := policyhcl.LoadSources(map[string][]byte{"policy.hcl": []byte(tc.policy)}, policyhcl.Options{KnownChecks: checks.Names()})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			srv := cloudtrailtest.NewLookupServer(t, nil, cloudtrailtest.LookupServerOptions{Account: tc.account})
			env := &Env{Regions: []string{"us-east-1"}, LoadAWS: func(ctx context.Context, region string) (aws.Config, error) {
				return testsvc.AWSConfig(t, srv.URL), nil
			}}
			src, err := OpenCloudTrail(ctx, "lookup:", nil, env)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(ctx, Options{Policy: pol, CloudTrail: []cloudtrail.Source{src}, Start: start, End: start.Add(time.Hour), Query: cloudtrail.Query{Regions: env.Regions}})
			if err != nil {
				t.Fatal(err)
			}
			var coverage string
			for _, f := range res.Findings {
				if f.CheckID == "SC2002" && f.Profile == "" {
					coverage = f.Message
				}
			}
			if tc.want == "" && (strings.Contains(coverage, "no source holds") || strings.Contains(coverage, "GetCallerIdentity")) || tc.want != "" && !strings.Contains(coverage, tc.want) {
				t.Errorf("run-level SC2002: %q, want it to say %q", coverage, tc.want)
			}
		})
	}
}

// The account LookupEvents reads is asked of STS in a region it reads, whose
// partition the credentials belong to (GovCloud keys are refused by a
// commercial region's STS), not in the AWS configuration's region.
func TestLookupCallerAccountInThePartitionRead(t *testing.T) {
	scope := regexp.MustCompile(`Credential=[^/,]+/[0-9]{8}/([^/,]+)/([^/,]+)/`)
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		m := scope.FindStringSubmatch(r.Header.Get("Authorization"))
		mu.Lock()
		seen = append(seen, m[2]+"@"+m[1])
		mu.Unlock()
		if strings.Contains(string(b), "Action=GetCallerIdentity") {
			if m[1] != "us-gov-west-1" { // a commercial region's STS refuses GovCloud keys
				w.WriteHeader(403)
				io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>x</RequestId></ErrorResponse>`)
				return
			}
			io.WriteString(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Account>111122223333</Account><Arn>arn:aws-us-gov:iam::111122223333:user/x</Arn><UserId>U</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>`)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Events":[]}`)
	}))
	defer srv.Close()
	pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(`profile "prod" { role_arns = ["arn:aws-us-gov:iam::111122223333:role/Prod"] }`)}, policyhcl.Options{KnownChecks: checks.Names()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	env := &Env{LoadAWS: func(ctx context.Context, region string) (aws.Config, error) {
		return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIA", "s", ""), BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1}, nil
	}}
	ctx := context.Background()
	src, err := OpenCloudTrail(ctx, "lookup:us-gov-west-1", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-2 * time.Hour)
	res, err := Run(ctx, Options{Policy: pol, CloudTrail: []cloudtrail.Source{src}, Start: start, End: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if strings.Contains(f.Message, "GetCallerIdentity") {
			t.Errorf("SC2002: %s (requests, service@region: %v)", f.Message, seen)
		}
	}
}

// The accounts the profiles need are compared with what all the sources
// hold together: one trail per account is full coverage, and a source that
// cannot tell (local files) leaves the question unjudged.
func TestAccountCoverageAcrossSources(t *testing.T) {
	s3a := cloudtrail.Stats{Source: "s3://trail-a/", Kind: "s3", Accounts: []string{"111122223333"}, AccountsKnown: true}
	s3b := cloudtrail.Stats{Source: "s3://trail-b/", Kind: "s3", Accounts: []string{"444455556666"}, AccountsKnown: true}
	lookup := cloudtrail.Stats{Source: "lookup:us-east-1", Kind: "lookup", Accounts: []string{"111122223333"}, AccountsKnown: true}
	files := cloudtrail.Stats{Source: "logs/", Kind: "files"}
	needed := []string{"111122223333", "444455556666"}
	for _, tc := range []struct {
		name  string
		stats []cloudtrail.Stats
		want  string
	}{
		{"a trail per account", []cloudtrail.Stats{s3a, s3b}, ""},
		{"one trail", []cloudtrail.Stats{s3a}, "no source holds the logs of account 444455556666, which the reported profiles' role ARNs name (s3://trail-a/ holds 111122223333)"},
		{"LookupEvents and a trail of the other account", []cloudtrail.Stats{lookup, s3b}, ""},
		{"LookupEvents alone", []cloudtrail.Stats{lookup}, "(lookup:us-east-1 holds 111122223333 (LookupEvents returns only the credentials' account's events))"},
		{"local files cannot tell", []cloudtrail.Stats{s3a, files}, ""},
		{"a filter that keeps nothing", []cloudtrail.Stats{{Source: "athena://wg/db.t", Kind: "athena", AccountsKnown: true}}, "no source holds the logs of accounts 111122223333, 444455556666, which the reported profiles' role ARNs name (athena://wg/db.t holds none)"},
	} {
		got := accountCoverage(needed, tc.stats)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := accountCoverage(nil, []cloudtrail.Stats{s3a}); got != "" {
		t.Errorf("no account needed: %q", got)
	}
}

// A folder knows the accounts its log files' CloudTrail names give, as the
// S3 source knows the account folders it reads: a copy that holds one
// account's logs says that the other account's sessions are not seen,
// whether it keeps the layout or not. A log file whose name gives no
// account makes the accounts unknown: no such warning.
func TestFolderAccountCoverage(t *testing.T) {
	objs, _, start, end := awsScenario(t)
	const msg = "no source holds the logs of account 444455556666, which the reported profiles' role ARNs name (SOURCE holds 111122223333)"
	write := func(dir, rel string, data []byte) {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(rel)), string(data))
	}
	layout, flat, renamed := t.TempDir(), t.TempDir(), t.TempDir()
	renamedOne := false
	for k, v := range objs {
		if !strings.Contains(k, "/111122223333/") {
			continue
		}
		write(layout, k, v)
		write(flat, path.Base(k), v)
		if !renamedOne {
			write(renamed, "events.json.gz", v)
			renamedOne = true
		}
		write(renamed, path.Base(k), v)
	}
	for _, tc := range []struct {
		name, dir string
		warned    bool
	}{
		{"layout", layout, true},
		{"flat copy", flat, true},
		{"a file without CloudTrail's name", renamed, false},
	} {
		src, err := OpenCloudTrail(context.Background(), tc.dir, nil, &Env{})
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := awsRunJSON(t, src, start, end, cloudtrail.Query{})
		warned := strings.Contains(fmt.Sprint(doc["findings"]), msg)
		if warned != tc.warned {
			t.Errorf("%s: warned %v, want %v: %v", tc.name, warned, tc.warned, doc["findings"])
		}
	}
}

// A copy that holds some days of the window is judged with a warning that
// names the days missing (SC2002), from a folder as from S3's listing; a
// copy of every day is not.
func TestFolderDeliveryGaps(t *testing.T) {
	objs, _, start, end := awsScenario(t)
	keep := start.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1).Format("/2006/01/02/")
	full, partial := t.TempDir(), t.TempDir()
	for k, v := range objs {
		writeFile(t, filepath.Join(full, filepath.FromSlash(k)), string(v))
		if strings.Contains(k, keep) {
			writeFile(t, filepath.Join(partial, filepath.FromSlash(k)), string(v))
		}
	}
	for _, tc := range []struct {
		name, dir string
		want      string
	}{
		{"every day", full, ""},
		{"one day", partial, "no log file of account 111122223333 was delivered on " + start.UTC().Truncate(24*time.Hour).AddDate(0, 0, 2).Format(time.DateOnly) + ", whole day of the window"},
	} {
		src, err := OpenCloudTrail(context.Background(), tc.dir, nil, &Env{})
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := awsRunJSON(t, src, start, end, cloudtrail.Query{})
		got := fmt.Sprint(doc["findings"])
		if tc.want == "" && strings.Contains(got, "no log file of account") || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: findings %v; want %q", tc.name, got, tc.want)
		}
	}
}
