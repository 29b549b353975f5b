//go:build unix

package hardening

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

// A signal while the reports are written (here to a named pipe nobody
// reads) ends the run at once with 130 or 143, also when the check was
// started with SIGINT ignored: a shell starts background commands so, and
// the Action runs the check in the background to pass a cancellation on.
func TestSignalWhileWritingReports(t *testing.T) {
	root := testsvc.RepoRoot(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "report.sarif")
			if err := mkfifo(fifo); err != nil {
				t.Skipf("cannot make a named pipe: %v", err)
			}
			// trap '' INT: the binary starts with SIGINT ignored, as a
			// background command of a non-interactive shell does.
			cmd := exec.Command("bash", "-c", `trap '' INT; exec "$0" "$@"`, bin, "check",
				"--policy", "examples/policy.hcl", "--sessions", "examples/sessions.jsonl",
				"--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z",
				"--format", "sarif="+fifo)
			cmd.Dir = root
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TZ=UTC"}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			time.Sleep(2 * time.Second) // the check runs, then blocks opening the pipe
			_ = cmd.Process.Signal(tc.sig)
			select {
			case err := <-done:
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
					t.Fatalf("exit: %v, want code %d", err, tc.code)
				}
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("%v while writing the reports did not end the run", tc.sig)
			}
		})
	}
}

// A reader that quits before the report is written (| head, | true) ends
// the run as SIGPIPE ends any program (exit status 141 in a shell), as
// the README's exit codes say: not as a source error (3).
func TestClosedStdoutPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // nobody reads: the first write fails
	dir := t.TempDir()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "check", "--policy", "examples/policy.hcl",
		"--sessions", "examples/sessions.jsonl", "--cloudtrail", "examples/cloudtrail",
		"--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z", "--format", "sarif")
	cmd.Dir = testsvc.RepoRoot(t)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TZ=UTC"}
	cmd.Stdout, cmd.Stderr = w, &stderr
	err = cmd.Run()
	w.Close()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the run ended with %v; want it killed by SIGPIPE", err)
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGPIPE {
		t.Fatalf("the run ended with %v (stderr %q); want it killed by SIGPIPE", err, stderr.String())
	}
}
