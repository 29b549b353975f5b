//go:build unix

package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// mainArgsEnv, when set in this test binary's environment, makes
// TestMain run the command with the JSON list of arguments it holds,
// as the real binary would, instead of the tests.
const mainArgsEnv = "SENTINEL_CHECK_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(mainArgsEnv); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			panic(err)
		}
		os.Exit(Command{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}.Main(args))
	}
	os.Exit(m.Run())
}

// A reader that quits before the report is written (| head, | true) ends
// the run as SIGPIPE ends any program (exit status 141 in a shell), as
// the README's exit codes say: not as a source error (3).
func TestClosedStdoutPipe(t *testing.T) {
	args, _ := json.Marshal([]string{"sentinel-check", "check", "--policy", "../../examples/policy.hcl",
		"--sessions", "../../examples/sessions.jsonl", "--cloudtrail", "../../examples/cloudtrail",
		"--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z", "--format", "sarif"})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // nobody reads: the first write fails
	var stderr strings.Builder
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+string(args))
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
