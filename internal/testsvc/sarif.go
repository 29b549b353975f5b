package testsvc

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// SARIFIssue is one problem the SARIF multitool reports.
type SARIFIssue struct {
	Level, Rule, Text string
}

// SARIFMultitool returns the SARIF multitool that npm installs at the
// repository root. A missing or non-executable tool fails the test: SARIF
// that GitHub rejects must never pass unnoticed.
func SARIFMultitool(t testing.TB) string {
	t.Helper()
	pkg, exe := map[string]string{
		"linux": "sarif-multitool-linux", "darwin": "sarif-multitool-darwin", "windows": "sarif-multitool-win32",
	}[runtime.GOOS], "Sarif.Multitool"
	if pkg == "" {
		t.Fatalf("the SARIF multitool has no build for %s", runtime.GOOS)
	}
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	root := RepoRoot(t)
	bin := filepath.Join(root, "node_modules", "@microsoft", pkg, exe)
	if st, err := os.Stat(bin); err != nil || (runtime.GOOS != "windows" && st.Mode()&0o111 == 0) {
		t.Fatalf("the SARIF multitool is missing or not executable at %s: run `npm ci` in %s (and chmod +x it, as scripts/test.sh does)", bin, root)
	}
	return bin
}

var validatorLine = regexp.MustCompile(`: (error|warning|note) ([A-Z]+[0-9]+): (.*)$`)

// ValidateSARIF runs `Sarif.Multitool validate --rule-kind "Sarif;Gh"`
// (GitHub's ingestion rules included) on file and returns what it reports,
// from its console and from its output log. The tool exits 0 even when the
// log has errors, so both are read.
func ValidateSARIF(t testing.TB, file string) []SARIFIssue {
	t.Helper()
	out := filepath.Join(t.TempDir(), "validation.sarif")
	cmd := exec.Command(SARIFMultitool(t), "validate", "--rule-kind", "Sarif;Gh", "--max-file-size-in-kb", "512000", "--output", out, file)
	// A .NET single-file app: without libicu it needs invariant globalization.
	cmd.Env = append(os.Environ(), "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1", "DOTNET_CLI_TELEMETRY_OPTOUT=1")
	console, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("SARIF multitool on %s: %v\n%s", file, err, console)
	}
	var issues []SARIFIssue
	for _, line := range strings.Split(string(console), "\n") {
		if m := validatorLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			issues = append(issues, SARIFIssue{Level: m[1], Rule: m[2], Text: m[3]})
		} else if strings.Contains(line, ": error ") {
			issues = append(issues, SARIFIssue{Level: "error", Rule: "console", Text: line})
		}
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("SARIF multitool wrote no log for %s: %v\n%s", file, err, console)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				Level string `json:"level"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(raw, &log); err != nil {
		t.Fatalf("read the multitool's log: %v", err)
	}
	logged, shown := 0, 0
	for _, run := range log.Runs {
		for _, r := range run.Results {
			if r.Level == "" || r.Level == "error" || r.Level == "warning" { // SARIF's default level is warning
				logged++
			}
		}
	}
	for _, is := range issues {
		if is.Level == "error" || is.Level == "warning" {
			shown++
		}
	}
	if logged > shown {
		issues = append(issues, SARIFIssue{Level: "error", Rule: "log",
			Text: fmt.Sprintf("the validation log has %d errors and warnings, the console showed %d:\n%s", logged, shown, raw)})
	}
	return issues
}

// RequireValidSARIF fails the test on every error and warning the
// multitool reports for file, and logs its notes.
func RequireValidSARIF(t testing.TB, file string) {
	t.Helper()
	for _, is := range ValidateSARIF(t, file) {
		if is.Level == "note" {
			t.Logf("%s: note %s: %s", filepath.Base(file), is.Rule, is.Text)
			continue
		}
		t.Errorf("%s: %s %s: %s", filepath.Base(file), is.Level, is.Rule, is.Text)
	}
}

// SARIFErrors counts the errors among issues.
func SARIFErrors(issues []SARIFIssue) int {
	n := 0
	for _, is := range issues {
		if is.Level == "error" {
			n++
		}
	}
	return n
}
