// Package testsvc starts the local stand-ins for AWS services that tests
// run against: dynalite for DynamoDB and s3rver for S3, both Node.js
// packages installed at the repository root by `npm ci`. The real AWS SDK
// clients talk to them through an endpoint override.
//
// A missing service fails the test (it is never skipped): run `npm ci` at
// the repository root. To reuse servers that are already running, set
// SENTINEL_TEST_DYNAMODB_ENDPOINT or SENTINEL_TEST_S3_ENDPOINT to their URL.
package testsvc

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Environment variables naming already-running servers to reuse.
const (
	EnvDynamoDBEndpoint = "SENTINEL_TEST_DYNAMODB_ENDPOINT"
	EnvS3Endpoint       = "SENTINEL_TEST_S3_ENDPOINT"
)

// startTimeout bounds how long a server may take to start listening.
const startTimeout = 30 * time.Second

// RepoRoot is the directory holding go.mod, found by walking up from the
// working directory (a package's directory under go test).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testsvc: cannot get the working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testsvc: no go.mod above the working directory; run the tests inside the repository")
		}
		dir = parent
	}
}

// Dynalite starts a dynalite DynamoDB server on 127.0.0.1 for the test and
// returns its endpoint URL; it is stopped when the test ends. Tables are
// created ACTIVE at once. With SENTINEL_TEST_DYNAMODB_ENDPOINT set, that
// server is used instead (tests must then use table names of their own).
func Dynalite(t testing.TB) (endpoint string) {
	t.Helper()
	if ep := os.Getenv(EnvDynamoDBEndpoint); ep != "" {
		return ep
	}
	script := nodeScript(t, "dynalite", filepath.Join("node_modules", "dynalite", "cli.js"))
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("testsvc: no free port for dynalite: %v", err)
		}
		ep, err := start(t, "dynalite", []string{script,
			"--host", "127.0.0.1", "--port", strconv.Itoa(port),
			"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0",
		}, regexp.MustCompile(`Dynalite listening at: (http://\S+)`))
		if err == nil {
			// dynalite prints the --host it was given.
			return ep
		}
		lastErr = err // most likely the port was taken in between: retry
	}
	t.Fatalf("testsvc: %v", lastErr)
	return ""
}

// S3rver starts an s3rver S3 server on 127.0.0.1, storing its buckets in a
// temporary directory, and returns its endpoint URL; it is stopped when the
// test ends. S3 clients need path-style addressing (s3.Options.UsePathStyle).
// With SENTINEL_TEST_S3_ENDPOINT set, that server is used instead.
func S3rver(t testing.TB) (endpoint string) {
	t.Helper()
	if ep := os.Getenv(EnvS3Endpoint); ep != "" {
		return ep
	}
	script := nodeScript(t, "s3rver", filepath.Join("node_modules", "s3rver", "bin", "s3rver.js"))
	ep, err := start(t, "s3rver", []string{script,
		"--address", "127.0.0.1", "--port", "0", "--directory", t.TempDir(), "--silent",
	}, regexp.MustCompile(`S3rver listening on ([0-9.]+:[0-9]+)`))
	if err != nil {
		t.Fatalf("testsvc: %v", err)
	}
	return "http://" + ep
}

// AWSConfig is an SDK configuration for a local server: static credentials
// test/test, region us-east-1, the endpoint as BaseEndpoint and at most 3
// attempts per call, so a broken server fails fast. Nothing is read from
// the environment or ~/.aws.
func AWSConfig(t testing.TB, endpoint string) aws.Config {
	t.Helper()
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 3,
		RetryMode:        aws.RetryModeStandard,
	}
}

// nodeScript checks that node and the package are installed and returns
// the script's absolute path.
func nodeScript(t testing.TB, pkg, rel string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("testsvc: node is not on PATH; install Node.js (18 or later) and run `npm ci` at the repository root to get %s", pkg)
	}
	script := filepath.Join(RepoRoot(t), rel)
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("testsvc: %s is not installed (%s missing); run `npm ci` at the repository root", pkg, rel)
	}
	return script
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs node with args, waits until a line of its standard output
// matches ready and returns the first group of that match. The process is
// killed when the test ends.
func start(t testing.TB, name string, args []string, ready *regexp.Regexp) (string, error) {
	t.Helper()
	cmd := exec.Command("node", args...)
	cmd.Dir = RepoRoot(t)
	setDeathSignal(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("cannot start %s: %w", name, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout) // keep the pipe drained
	}()

	select {
	case ep := <-found:
		t.Cleanup(stop)
		return ep, nil
	case <-exited:
		return "", fmt.Errorf("%s exited before it was ready (%v): %s", name, waitErr, bytes.TrimSpace(stderr.Bytes()))
	case <-time.After(startTimeout):
		stop()
		return "", fmt.Errorf("%s did not start listening within %s: %s", name, startTimeout, bytes.TrimSpace(stderr.Bytes()))
	}
}

// lockedBuffer is a bytes.Buffer safe for the process writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 {
		return len(p), nil // enough to explain a failure
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}
