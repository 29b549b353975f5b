package hardening

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// bin is the sentinel-check binary built once for the package's tests.
var bin string

var prebuilt = flag.String("hardening.bin", "", "test this sentinel-check binary instead of building one")

func TestMain(m *testing.M) {
	flag.Parse()
	if *prebuilt != "" {
		bin = *prebuilt
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "sentinel-check-hardening-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "sentinel-check")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	build := exec.Command(goTool, "build", "-o", bin, "github.com/sentinel-check/sentinel-check/cmd/sentinel-check")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building sentinel-check: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

// runBin runs the binary with args in dir and a minimal environment plus
// env; it fails the test when the binary does not finish within limit.
func runBin(t *testing.T, dir string, env []string, limit time.Duration, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TZ=UTC"}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(limit + 60*time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("sentinel-check %v did not finish within %v; stderr:\n%s", args, limit, errb.String())
	}
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}
