package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/athenatest"
	"github.com/sentinel-check/sentinel-check/internal/engine"
)

func TestAthenaDDLCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Command{Stdout: &stdout, Stderr: &stderr}.Main([]string{"sentinel-check", "athena-ddl",
		"--bucket", "acme-org-trail", "--prefix", "trails/org", "--org-id", "o-a1b2c3d4e5", "--database", "security",
		"--account", "111122223333", "--account", "444455556666", "--region", "eu-west-1", "--region", "us-east-1",
		"--start-date", "2025/01/01"})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want, err := cloudtrail.AthenaDDL(cloudtrail.DDLOptions{Bucket: "acme-org-trail", Prefix: "trails/org", Database: "security",
		Table: cloudtrail.DefaultAthenaTable, Organisation: true, OrgID: "o-a1b2c3d4e5",
		Accounts: []string{"111122223333", "444455556666"}, Regions: []string{"eu-west-1", "us-east-1"}, StartDate: "2025/01/01"})
	if err != nil {
		t.Fatal(err)
	}
	if stdout.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", stdout.String(), want)
	}
	if !strings.Contains(stdout.String(), "'s3://acme-org-trail/trails/org/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}'") {
		t.Errorf("location template missing:\n%s", stdout.String())
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--bucket", "acme"}, "no account"},
		{[]string{"--account", "111122223333"}, "no bucket"},
		{[]string{"--bucket", "acme", "--account", "111122223333", "--region", "eu-west-1'"}, "not an AWS region"},
		{[]string{"--bucket", "acme", "--account", "111122223333", "extra"}, `unexpected argument "extra"`},
		{[]string{"--bucket", "acme", "--account", "111122223333", "--organisation"}, "--organisation needs --org-id"},
	} {
		stdout.Reset()
		stderr.Reset()
		code := Command{Stdout: &stdout, Stderr: &stderr}.Main(append([]string{"sentinel-check", "athena-ddl"}, tt.args...))
		if code != ExitUsage || !strings.Contains(stderr.String(), tt.want) || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 saying %q", tt.args, code, stderr.String(), stdout.String(), tt.want)
		}
	}
	// The global STS endpoint's region is always in the projection: its
	// rows would be invisible to every query otherwise.
	stdout.Reset()
	if code := (Command{Stdout: &stdout, Stderr: &stderr}).Main([]string{"sentinel-check", "athena-ddl",
		"--bucket", "acme", "--account", "111122223333", "--region", "eu-west-1"}); code != ExitOK ||
		!strings.Contains(stdout.String(), "'projection.region.values' = 'eu-west-1,us-east-1'") {
		t.Errorf("exit %d; the region projection lacks us-east-1:\n%s", code, stdout.String())
	}
}

// A FAILED Athena query exits 3 with Athena's reason.
func TestCheckAthenaFailedQueryExits3(t *testing.T) {
	srv := athenatest.New(t, athenatest.Options{Fail: "HIVE_BAD_DATA: Error parsing field value for field 12"})
	env := &engine.Env{LoadAWS: func(context.Context, string) (aws.Config, error) {
		return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
			BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1}, nil
	}}
	var stdout, stderr bytes.Buffer
	now := func() time.Time { return time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC) }
	code := Command{Stdout: &stdout, Stderr: &stderr, Env: env, Now: now}.Main([]string{"sentinel-check", "check",
		"--policy", "../../cloudtrail/testdata/athena/policy.hcl",
		"--cloudtrail", "athena://primary/org_trail.cloudtrail_logs?output=s3://results-bucket/q/",
		"--since", "2026-12-31T12:00:00Z", "--until", "2027-01-01T12:00:00Z"})
	if code != ExitSource {
		t.Fatalf("exit %d, want %d; stderr %s", code, ExitSource, stderr.String())
	}
	for _, want := range []string{"athena://primary/org_trail.cloudtrail_logs", "failed: HIVE_BAD_DATA: Error parsing field value for field 12"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q does not say %q", stderr.String(), want)
		}
	}
}
