package testsvc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.Contains(string(b), "module github.com/sentinel-check/sentinel-check") {
		t.Fatalf("RepoRoot = %s: not the module root (%v)", root, err)
	}
}

func TestDynalite(t *testing.T) {
	t.Setenv(EnvDynamoDBEndpoint, "")
	ep := Dynalite(t)
	if !strings.HasPrefix(ep, "http://127.0.0.1:") {
		t.Fatalf("endpoint = %q, want http://127.0.0.1:PORT", ep)
	}
	c := dynamodb.NewFromConfig(AWSConfig(t, ep))
	if _, err := c.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables against dynalite: %v", err)
	}
}

func TestS3rver(t *testing.T) {
	t.Setenv(EnvS3Endpoint, "")
	ep := S3rver(t)
	if !strings.HasPrefix(ep, "http://127.0.0.1:") {
		t.Fatalf("endpoint = %q, want http://127.0.0.1:PORT", ep)
	}
	resp, err := http.Get(ep + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "ListAllMyBucketsResult") {
		t.Fatalf("GET / = %d %s, want a bucket listing", resp.StatusCode, body)
	}
}

func TestEnvOverride(t *testing.T) {
	t.Setenv(EnvDynamoDBEndpoint, "http://127.0.0.1:1")
	t.Setenv(EnvS3Endpoint, "http://127.0.0.1:2")
	if got := Dynalite(t); got != "http://127.0.0.1:1" {
		t.Errorf("Dynalite = %q, want the endpoint from %s", got, EnvDynamoDBEndpoint)
	}
	if got := S3rver(t); got != "http://127.0.0.1:2" {
		t.Errorf("S3rver = %q, want the endpoint from %s", got, EnvS3Endpoint)
	}
}

func TestAWSConfig(t *testing.T) {
	cfg := AWSConfig(t, "http://127.0.0.1:9")
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "test" || cfg.Region != "us-east-1" || *cfg.BaseEndpoint != "http://127.0.0.1:9" || cfg.RetryMaxAttempts != 3 {
		t.Fatalf("config = %+v, creds %+v, %v", cfg, creds, err)
	}
}

// fatalTB records Fatalf instead of failing the real test.
type fatalTB struct {
	testing.TB
	msg     string
	skipped bool
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fatalTB) Skip(...any)          { f.skipped = true; runtime.Goexit() }
func (f *fatalTB) Skipf(string, ...any) { f.skipped = true; runtime.Goexit() }
func (f *fatalTB) SkipNow()             { f.skipped = true; runtime.Goexit() }

// A missing service fails loudly with the command that installs it.
func TestMissingPackageFails(t *testing.T) {
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		nodeScript(f, "nothere", filepath.Join("node_modules", "nothere", "cli.js"))
	}()
	<-done
	if f.skipped || !strings.Contains(f.msg, "run `npm ci` at the repository root") || !strings.Contains(f.msg, "nothere") {
		t.Fatalf("missing package: skipped=%v message %q, want a failure saying to run npm ci", f.skipped, f.msg)
	}
}
