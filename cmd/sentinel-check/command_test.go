package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/internal/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// run executes the CLI from the repository root, as the README does.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	c := Command{Stdout: &out, Stderr: &errb, Now: func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }}
	code = c.Main(append([]string{"sentinel-check"}, args...))
	return code, out.String(), errb.String()
}

func chdirRoot(t *testing.T) {
	t.Helper()
	wd, _ := os.Getwd()
	t.Chdir(filepath.Join(wd, "..", ".."))
}

var exampleArgs = []string{"check", "--policy", "examples/policy.hcl", "--sessions", "examples/sessions.jsonl",
	"--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z", "--base-dir", "."}

// golden compares got with testdata/NAME, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("cmd", "sentinel-check", "testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/sentinel-check -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run go test ./cmd/sentinel-check -update and review the diff):\n%s", name, got)
	}
}

// versionRE hides the version so goldens survive releases.
var versionRE = regexp.MustCompile(`"(semanticVersion|version)": "[^"]*"`)

func TestExampleGolden(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	args := append(append([]string(nil), exampleArgs...),
		"--format", "text",
		"--format", "json="+filepath.Join(dir, "report.json"),
		"--format", "sarif="+filepath.Join(dir, "report.sarif"),
		"--format", "markdown="+filepath.Join(dir, "summary.md"),
		"--format", "github="+filepath.Join(dir, "annotations.txt"))
	code, stdout, stderr := run(t, args...)
	if code != ExitFindings {
		t.Fatalf("exit code %d, want %d (findings); stderr:\n%s", code, ExitFindings, stderr)
	}
	golden(t, "example.txt", stdout)
	for _, f := range []string{"report.json", "report.sarif", "summary.md", "annotations.txt"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(filepath.Join(dir, f))
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", f, st.Mode().Perm())
		}
		golden(t, "example-"+f, versionRE.ReplaceAllString(string(b), `"$1": "X"`))
	}

	// The example's report is what the README promises.
	var rep jsonReport
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"prod-admin":    "19/16 no_source_identity=1 orphaned=1 revoked=1 gap required denied=1 84.2%",
		"prod-readonly": "0/0 required 100.0%",
		"staging-dev":   "8/0 foreign_source_identity=1 no_source_identity=1 orphaned=6 0.0%",
		"audit":         "2/0 no_source_identity=2 0.0%",
		"ci-deploy":     "5/0 no_source_identity=5 0.0%",
	}
	for p, w := range want {
		if got := rep.describe(p); got != w {
			t.Errorf("%s: %s, want %s", p, got, w)
		}
	}
	wantFindings := []string{"SC1001 prod-admin", "SC1002 prod-admin", "SC1004 staging-dev", "SC1005 prod-admin", "SC2001  arn:aws:iam::111122223333:role/LegacyAdmin", "SC2002 prod-readonly"}
	if got := strings.Join(rep.findingSet(), "\n"); got != strings.Join(wantFindings, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", got, strings.Join(wantFindings, "\n"))
	}
	if strings.Contains(string(b), "SECRET") || strings.Contains(string(b), "EXAMPLE-SESSION-TOKEN") {
		t.Error("the report contains a session token")
	}
}

func TestExitCodes(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	badPolicy := filepath.Join(dir, "bad.hcl")
	os.WriteFile(badPolicy, []byte("profile \"p\" {\n  role_arns = [\"arn:aws:iam::1:role/x\"]\n}\nrule \"r\" {\n  effect = \"requre_server\"\n}\n"), 0o644)
	truncated := filepath.Join(dir, "trail", "cut.json.gz")
	os.MkdirAll(filepath.Dir(truncated), 0o755)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(`{"Records":[{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole"}]}`))
	w.Close()
	os.WriteFile(truncated, gz.Bytes()[:gz.Len()-12], 0o644)
	notJSON := filepath.Join(dir, "nojson", "x.json")
	os.MkdirAll(filepath.Dir(notJSON), 0o755)
	os.WriteFile(notJSON, []byte("this is not json"), 0o644)

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"no command", nil, ExitUsage, []string{"Usage:"}},
		{"unknown command", []string{"chek"}, ExitUsage, []string{`unknown command "chek"`}},
		{"bad flag", []string{"check", "--nope"}, ExitUsage, []string{"unknown flag --nope; run sentinel-check check -h for its flags"}},
		{"mistyped flag", []string{"check", "--polcy", "p.hcl"}, ExitUsage, []string{"unknown flag --polcy (did you mean --policy?)"}},
		{"mistyped flag of validate", []string{"validate", "--formt", "json"}, ExitUsage, []string{"unknown flag --formt (did you mean --format?)"}},
		{"flag without its value", []string{"check", "--since"}, ExitUsage, []string{"--since needs a value"}},
		{"bad number", []string{"check", "--workers", "abc"}, ExitUsage, []string{`--workers "abc": want a whole number`}},
		{"negative workers", []string{"check", "--workers", "-1"}, ExitUsage, []string{"--workers -1: must not be negative"}},
		{"negative s3 downloads", []string{"check", "--s3-downloads", "-1"}, ExitUsage, []string{"--s3-downloads -1: want 0 to 1024"}},
		{"too many s3 downloads", []string{"check", "--s3-downloads", "1025"}, ExitUsage, []string{"--s3-downloads 1025: want 0 to 1024"}},
		{"bad duration", []string{"check", "--aws-timeout", "5"}, ExitUsage, []string{`--aws-timeout "5": want a duration such as 30s`}},
		{"bad size", []string{"check", "--max-decompressed", "1XB"}, ExitUsage, []string{`--max-decompressed "1XB": want a number of bytes, or one with a unit`}},
		{"bad boolean", []string{"check", "--skip-unreadable=yes"}, ExitUsage, []string{`--skip-unreadable "yes": want true or false`}},
		{"event buffer meant as MiB", []string{"check", "--event-buffer", "4"}, ExitUsage, []string{"--event-buffer 4: want 64KiB to 1GiB (a size such as 64MiB)"}},
		{"event buffer too large", []string{"check", "--event-buffer", "2GiB"}, ExitUsage, []string{"--event-buffer 2147483648: want 64KiB to 1GiB"}},
		{"missing temp dir", []string{"check", "--temp-dir", filepath.Join(dir, "none")}, ExitUsage, []string{"--temp-dir " + filepath.Join(dir, "none") + ": no such folder"}},
		{"temp dir that is a file", []string{"check", "--temp-dir", notJSON}, ExitUsage, []string{"--temp-dir " + notJSON + ": not a folder"}},
		{"a region typo with local files only", []string{"check", "--policy", "examples/policy.hcl", "--sessions", "examples/sessions.jsonl", "--cloudtrail", "examples/cloudtrail",
			"--since", "2026-11-16", "--until", "2026-11-22", "--format", "json=" + os.DevNull, "--region", "eu-wset-1"}, ExitFindings, []string{`warning: --region: region "eu-wset-1" is not an AWS region; did you mean "eu-west-1"?`}},
		{"bad account", append(append([]string(nil), exampleArgs...), "--account", "12"), ExitUsage, []string{`--account: account "12" is not an AWS account id`}},
		{"bad region", append(append([]string(nil), exampleArgs...), "--cloudtrail", "s3://bucket/AWSLogs/", "--region", "EU"), ExitUsage, []string{`--region: region "EU" is not an AWS region name`}},
		// A mistyped region would filter out every region that holds logs.
		{"unknown region", append(append([]string(nil), exampleArgs...), "--cloudtrail", "s3://bucket/AWSLogs/", "--region", "us-east-1", "--region", "eu-wset-1"), ExitUsage, []string{`--region: region "eu-wset-1" is not an AWS region; did you mean "eu-west-1"?`}},
		{"account for local files", append(append([]string(nil), exampleArgs...), "--cloudtrail", "examples/cloudtrail", "--account", "111122223333", "--fail-on", "none"), ExitOK,
			[]string{"warning: --account selects the accounts that S3 and Athena sources read; local log files and LookupEvents"}},
		{"account for the policy's local source", append(append([]string(nil), exampleArgs...), "--account", "111122223333", "--fail-on", "none"), ExitOK,
			[]string{"warning: --account selects the accounts that S3 and Athena sources read"}},
		{"too many workers", append(append([]string(nil), exampleArgs...), "--workers", "10000000"), ExitUsage, []string{"--workers 10000000: at most 1024"}},
		{"bad fail-on", append(append([]string(nil), exampleArgs...), "--fail-on", "fatal"), ExitUsage, []string{`--fail-on "fatal": use error, warning, note or none`}},
		// A flag that takes one value, given twice with two, is refused:
		// a wrapper's --fail-on error followed by --fail-on none, or a
		// second --until, would otherwise win silently.
		{"fail-on given twice", append(append([]string(nil), exampleArgs...), "--fail-on", "warning", "--fail-on", "none"), ExitUsage, []string{`--fail-on "none": already given as "warning": give it once`}},
		{"until given twice", append(append([]string(nil), exampleArgs...), "--until", "2026-11-17"), ExitUsage, []string{`--until "2026-11-17": already given as`}},
		{"a boolean given twice", append(append([]string(nil), exampleArgs...), "--skip-unreadable", "--skip-unreadable=false"), ExitUsage, []string{`--skip-unreadable "false": already given as "true"`}},
		{"validate's fail-on given twice", []string{"validate", "--fail-on", "warning", "examples/policy.hcl", "--fail-on", "error"}, ExitUsage, []string{`--fail-on "error": already given as "warning"`}},
		{"the same value twice", append(append([]string(nil), exampleArgs...), "--fail-on", "none", "--fail-on", "none"), ExitOK, nil},
		// An unset variable (--policy "$POLICY") would read the current
		// folder.
		{"empty policy path", []string{"check", "--policy", "", "--sessions", "examples/sessions.jsonl"}, ExitUsage, []string{"empty policy path: pass --policy FILE or FOLDER"}},
		{"empty policy path of validate", []string{"validate", ""}, ExitUsage, []string{"empty policy path"}},
		{"bad format", append(append([]string(nil), exampleArgs...), "--format", "xml"), ExitUsage, []string{`unknown format "xml"`}},
		{"two formats on stdout", append(append([]string(nil), exampleArgs...), "--format", "json", "--format", "text"), ExitUsage, []string{"more than one --format writes to stdout"}},
		{"bad since", []string{"check", "--policy", "examples/policy.hcl", "--since", "last week"}, ExitUsage, []string{`--since: "last week" is neither a duration`}},
		{"policy error", []string{"check", "--policy", badPolicy, "--cloudtrail", "examples/cloudtrail"}, ExitUsage, []string{"bad.hcl:5", "requre_server", "nothing was checked"}},
		{"missing policy", []string{"check", "--policy", filepath.Join(dir, "nope.hcl")}, ExitUsage, []string{"nope.hcl"}},
		{"missing trail", []string{"check", "--policy", "examples/policy.hcl", "--cloudtrail", filepath.Join(dir, "missing")}, ExitSource, []string{"missing"}},
		{"truncated gzip", []string{"check", "--policy", "examples/policy.hcl", "--sessions", "examples/sessions.jsonl", "--cloudtrail", filepath.Join(dir, "trail")}, ExitSource, []string{"cut.json.gz"}},
		{"not json", []string{"check", "--policy", "examples/policy.hcl", "--sessions", "examples/sessions.jsonl", "--cloudtrail", filepath.Join(dir, "nojson")}, ExitSource, []string{"x.json"}},
		{"missing sessions file", append(append([]string(nil), exampleArgs[:3]...), "--sessions", filepath.Join(dir, "nope.jsonl")), ExitSource, []string{"nope.jsonl"}},
		{"mistyped profile", append(append([]string(nil), exampleArgs...), "--profile", "prod-admn"), ExitUsage, []string{`--profile "prod-admn" matches no profile of the policy; its profiles are: `, "prod-admin"}},
		{"invalid profile pattern", append(append([]string(nil), exampleArgs...), "--profile", "prod-*", "--profile", ""), ExitUsage, []string{`--profile "" is not a valid pattern: empty pattern`}},
		{"profile pattern", append(append([]string(nil), exampleArgs...), "--profile", "prod-*", "--fail-on", "none"), ExitOK, nil},
		{"findings", exampleArgs, ExitFindings, nil},
		{"fail-on none", append(append([]string(nil), exampleArgs...), "--fail-on", "none"), ExitOK, nil},
		{"version", []string{"version"}, ExitOK, nil},
		{"checks", []string{"checks"}, ExitOK, nil},
		{"validate ok", []string{"validate", "--policy", "examples/policy.hcl"}, ExitOK, nil},
		{"validate error", []string{"validate", "--policy", badPolicy}, ExitUsage, []string{"bad.hcl:5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			holds(t, "stderr", stderr, tt.stderr...)
		})
	}
}

func TestSkipUnreadable(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{"Records":[`), 0o644)
	out := filepath.Join(dir, "r.json")
	code, _, stderr := run(t, "check", "--policy", "examples/policy.hcl", "--cloudtrail", dir, "--cloudtrail", "examples/cloudtrail",
		"--sessions", "examples/sessions.jsonl", "--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z",
		"--skip-unreadable", "--format", "json="+out)
	if code != ExitFindings {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	var rep jsonReport
	json.Unmarshal(b, &rep)
	found := false
	for _, f := range rep.Findings {
		if f.ID == "SC2002" && f.Profile == "" && strings.Contains(f.Message, "unreadable") {
			found = true
		}
	}
	if !found {
		t.Errorf("no SC2002 finding for the skipped file: %v", rep.findingSet())
	}
}

func TestFmtCheck(t *testing.T) {
	dir := t.TempDir()
	ugly := filepath.Join(dir, "p.hcl")
	os.WriteFile(ugly, []byte("profile \"p\" {\nrole_arns=[\"arn:aws:iam::1:role/x\"]\n}\n"), 0o644)
	code, stdout, _ := run(t, "fmt", "--check", dir)
	if code != ExitFindings || !strings.Contains(stdout, "p.hcl") {
		t.Fatalf("fmt --check: exit %d, stdout %q", code, stdout)
	}
	if code, _, stderr := run(t, "fmt", dir); code != ExitOK {
		t.Fatalf("fmt: exit %d: %s", code, stderr)
	}
	if code, stdout, _ := run(t, "fmt", "--check", dir); code != ExitOK || stdout != "" {
		t.Fatalf("after fmt, fmt --check: exit %d, stdout %q", code, stdout)
	}
	b, _ := os.ReadFile(ugly)
	if !strings.Contains(string(b), "  role_arns = [") {
		t.Errorf("not formatted:\n%s", b)
	}
}

// A policy file that cannot be read (an editor's lock file, a dangling
// link named .#a.hcl) is the diagnostic validate gives, exit 2, and
// nothing is written.
func TestFmtUnreadable(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.hcl")
	if err := os.WriteFile(a, []byte("x=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("user@host.1234:1700000000", filepath.Join(dir, ".#a.hcl")); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, ".#a.hcl") + ":1:1: error: Unreadable policy file\n  Cannot read policy file \"" + filepath.Join(dir, ".#a.hcl") + "\": no such file or directory.\n"
	// Diagnostics wrap at 100 columns, wherever a long temporary path
	// puts the break: compared with white space collapsed.
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	_, _, validate := run(t, "validate", dir)
	if !strings.Contains(flat(validate), flat(want)) {
		t.Fatalf("validate: %s; want %q", validate, want)
	}
	for _, args := range [][]string{{"fmt", "--check", dir}, {"fmt", dir}} {
		if code, _, stderr := run(t, args...); code != ExitUsage || flat(stderr) != flat(want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", args, code, stderr, want)
		}
	}
	if got, _ := os.ReadFile(a); string(got) != "x=1\n" {
		t.Errorf("a.hcl was written: %q", got)
	}
}

// TestExamplePolicyIsFormatted keeps the bundled policy canonical, as the
// README tells users to keep theirs.
func TestExamplePolicyIsFormatted(t *testing.T) {
	chdirRoot(t)
	if code, stdout, stderr := run(t, "fmt", "--check", "examples"); code != ExitOK {
		t.Fatalf("fmt --check examples: exit %d\n%s%s", code, stdout, stderr)
	}
}

// A SARIF log for a policy outside the base folder warns: code scanning
// could not show its results.
func TestWarnPolicyOutsideBaseDir(t *testing.T) {
	chdirRoot(t)
	base := t.TempDir()
	args := []string{"check", "--policy", "examples/policy.hcl", "--sessions", "examples/sessions.jsonl",
		"--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z", "--fail-on", "none", "--base-dir", base}
	_, _, stderr := run(t, append(args, "--format", "sarif="+filepath.Join(base, "out.sarif"))...)
	if !strings.Contains(stderr, "warning: the policy file examples/policy.hcl is outside the base folder") || !strings.Contains(stderr, "--base-dir") {
		t.Errorf("no warning about the policy outside --base-dir:\n%s", stderr)
	}
	_, _, stderr = run(t, append(args, "--format", "json="+filepath.Join(base, "out.json"))...)
	if strings.Contains(stderr, "warning") {
		t.Errorf("a warning without SARIF or annotations:\n%s", stderr)
	}
	// validate, whose SARIF locates the policy's diagnostics, warns too.
	_, _, stderr = run(t, "validate", "examples/policy.hcl", "--base-dir", base, "--format", "sarif="+filepath.Join(base, "v.sarif"))
	if !strings.Contains(stderr, "warning: the policy file examples/policy.hcl is outside the base folder") {
		t.Errorf("validate: no warning about the policy outside --base-dir:\n%s", stderr)
	}
	_, _, stderr = run(t, "validate", "examples/policy.hcl", "--base-dir", base, "--format", "json="+filepath.Join(base, "v.json"))
	if strings.Contains(stderr, "warning") {
		t.Errorf("validate: a warning without SARIF or annotations:\n%s", stderr)
	}
	_, _, stderr = run(t, append(append([]string(nil), exampleArgs...), "--format", "sarif="+filepath.Join(base, "in.sarif"))...)
	if strings.Contains(stderr, "warning") {
		t.Errorf("a warning for a policy inside the base folder:\n%s", stderr)
	}
}

// Without --policy, the default policy is .sentinel-check.hcl or
// .sentinel-check/; both at once is a usage error, not one silently unread.
func TestDefaultPolicyPaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if _, err := policyPaths(nil, "pass --policy FILE or FOLDER"); err == nil || !strings.Contains(err.Error(), "no policy") {
		t.Errorf("none: %v", err)
	}
	if err := os.WriteFile(".sentinel-check.hcl", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := policyPaths(nil, "pass --policy FILE or FOLDER"); err != nil || len(got) != 1 || got[0] != ".sentinel-check.hcl" {
		t.Errorf("file: %v %v", got, err)
	}
	if err := os.Mkdir(".sentinel-check", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := policyPaths(nil, "pass --policy FILE or FOLDER"); err == nil || !strings.Contains(err.Error(), "both .sentinel-check.hcl and .sentinel-check/ exist") {
		t.Errorf("both: %v", err)
	}
	code, _, stderr := run(t, "validate")
	if code != ExitUsage || !strings.Contains(stderr, "both") {
		t.Errorf("validate with both: exit %d, %s", code, stderr)
	}
}

// Output files: a symbolic link is replaced, never followed (a link planted
// in a repository must not redirect the report), a FIFO or device is
// written to (never replaced), a folder or the same file twice is a usage
// error, and FORMAT=- or FORMAT=/dev/stdout is stdout.
func TestOutputPaths(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	args := append(append([]string(nil), exampleArgs...), "--fail-on", "none")

	target := filepath.Join(dir, "target.json")
	link := filepath.Join(dir, "link.json")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, append(args, "--format", "json="+link)...); code != ExitOK {
		t.Fatalf("onto a link: exit %d, %s", code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the link was not replaced by the report: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Errorf("the link's target was overwritten: %q", b[:min(len(b), 40)])
	}

	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("cannot make a FIFO: %v", err) // the rest is about unix files
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	if code, _, stderr := run(t, append(args, "--format", "sarif="+fifo)...); code != ExitOK {
		t.Fatalf("into a FIFO: exit %d, %s", code, stderr)
	}
	if b := <-got; !json.Valid(b) {
		t.Errorf("the FIFO's reader got no SARIF: %q", b[:min(len(b), 40)])
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", fi, err)
	}

	// One of this process's descriptors (bash's process substitution gives
	// /dev/fd/N) is written through, not replaced.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		b, _ := io.ReadAll(pr)
		got <- b
	}()
	if code, _, stderr := run(t, append(args, "--format", fmt.Sprintf("json=/dev/fd/%d", pw.Fd()))...); code != ExitOK {
		t.Fatalf("into /dev/fd/N: exit %d, %s", code, stderr)
	}
	pw.Close()
	if b := <-got; !json.Valid(b) {
		t.Errorf("the pipe's reader got no JSON: %q", b[:min(len(b), 40)])
	}

	// /dev/stderr is the command's stderr; a descriptor that redirects a
	// file gets the report after what the file already holds.
	if code, _, stderr := run(t, append(args, "--format", "json=/dev/stderr")...); code != ExitOK || !json.Valid([]byte(stderr)) {
		t.Errorf("json=/dev/stderr: exit %d, stderr not the JSON report: %.60q", code, stderr)
	}
	logPath := filepath.Join(dir, "ci.log")
	if err := os.WriteFile(logPath, []byte("earlier log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, append(args, "--format", fmt.Sprintf("json=/dev/fd/%d", logFile.Fd()))...)
	logFile.Close()
	if b, _ := os.ReadFile(logPath); code != ExitOK || !strings.HasPrefix(string(b), "earlier log\n{") {
		t.Errorf("into a descriptor open to append: exit %d (%s), file %.40q; want the earlier log, then the report", code, stderr, b)
	}

	// Two spellings of one folder are the same file.
	alias := filepath.Join(t.TempDir(), "alias")
	if err := os.Symlink(dir, alias); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		formats []string
		want    string
	}{
		{[]string{"--format", "json=" + filepath.Join(dir, "r.json"), "--format", "sarif=" + filepath.Join(alias, "r.json")}, "write the same file"},
		{[]string{"--format", "json=" + dir}, "is a folder"},
		{[]string{"--format", "json=" + filepath.Join(dir, "nd") + "/"}, "nd/ names a folder; give a file name in it"},
		{[]string{"--format", "json=" + filepath.Join(dir, "nd") + "/."}, "names a folder"},
		{[]string{"--format", "json=" + target, "--format", "sarif=" + target}, "write the same file"},
		{[]string{"--format", "json=-", "--format", "text"}, "more than one --format writes to stdout"},
		{[]string{"--format", "json=/dev/stdout", "--format", "text"}, "more than one --format writes to stdout"},
		{[]string{"--format", "json=/dev/fd/1", "--format", "text"}, "more than one --format writes to stdout"},
		{[]string{"--format", "json=/dev/stderr", "--format", "sarif=/dev/fd/2"}, "write the same file"},
	} {
		if code, _, stderr := run(t, append(args, tc.formats...)...); code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %s; want exit 2 saying %q", tc.formats, code, stderr, tc.want)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "nd")); err == nil {
		t.Error("a refused output path made a folder")
	}
	if code, stdout, _ := run(t, append(args, "--format", "json=-")...); code != ExitOK || !json.Valid([]byte(stdout)) {
		t.Errorf("json=-: exit %d, stdout not JSON", code)
	}
}

// A report never replaces a file the run reads (reports are written after
// the reading, over it): a policy file, the session export, a CloudTrail
// file given by its path or a log file read in a CloudTrail folder, by any
// name (a link in the folder to a file elsewhere).
func TestOutputIsInput(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	policy, sess, trail, other := filepath.Join(dir, "policy.hcl"), filepath.Join(dir, "sessions.jsonl"), filepath.Join(dir, "cloudtrail"), filepath.Join(dir, "other")
	const logName = "111122223333_CloudTrail_us-east-1_20261117T2355Z_bd9d981a-7a15-b7.json.gz"
	const otherName = "111122223333_CloudTrail_us-east-1_20261119T2355Z_b5702b08-2843-6c.json.gz"
	logFile, otherFile, link := filepath.Join(trail, logName), filepath.Join(other, otherName), filepath.Join(dir, "link.hcl")
	for _, d := range []string{trail, other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The folder links to a folder of logs elsewhere, which is read too.
	if err := os.Symlink(other, filepath.Join(trail, "more")); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for dst, src := range map[string]string{policy: "examples/policy.hcl", sess: "examples/sessions.jsonl",
		logFile:   "examples/cloudtrail/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2026/11/17/" + logName,
		otherFile: "examples/cloudtrail/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2026/11/19/" + otherName} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		want[dst] = b
	}
	for f, b := range want {
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(policy, link); err != nil {
		t.Fatal(err)
	}
	// The policy's cloudtrail block reads the folder beside it.
	check := func(pol string, more ...string) []string {
		args := []string{"check", "--policy", pol, "--sessions", sess, "--base-dir", dir, "--fail-on", "none"}
		if !slices.Contains(more, "--since") {
			args = append(args, "--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z")
		}
		return append(args, more...)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{check(policy, "--format", "json="+sess), "--format json=" + sess + " would replace " + sess + ", a --sessions file this run reads; write the report to another file"},
		{check(policy, "--format", "sarif="+policy), "would replace " + policy + ", a policy file this run reads"},
		{check(link, "--format", "sarif="+policy), "would replace " + link + ", a policy file this run reads"},
		{check(policy, "--format", "json="+logFile), "--format json=" + logFile + " would replace CloudTrail input that this run found in " + trail + " (a log, digest or Insights file, read or passed over, or a file it could not read); write the report to another file"},
		{check(policy, "--format", "markdown="+otherFile), "would replace CloudTrail input that this run found in " + trail},
		// The link the walk went through: replacing it cuts the folder out.
		{check(policy, "--format", "json="+filepath.Join(trail, "more")), "would replace CloudTrail input that this run found in " + trail},
		// A log of a day outside the window is found, not read: another
		// window reads it.
		{check(policy, "--since", "2026-11-20T00:00:00Z", "--until", "2026-11-21T00:00:00Z", "--format", "json="+logFile), "would replace CloudTrail input"},
		{check(policy, "--cloudtrail", logFile, "--format", "json="+logFile), "a CloudTrail file this run reads"},
		{[]string{"validate", policy, "--format", "sarif=" + policy}, "a policy file this run reads"},
		{[]string{"validate", dir, "--format", "sarif=" + policy}, "a policy file this run reads"},
	} {
		if code, _, stderr := run(t, tc.args...); code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %s; want exit 2 saying %q", tc.args, code, stderr, tc.want)
		}
	}
	for f, b := range want {
		if got, _ := os.ReadFile(f); !bytes.Equal(got, b) {
			t.Errorf("%s was overwritten", f)
		}
	}
	// A file yet to be made in the folder replaces nothing that was read,
	// and neither does an earlier report there, read or not: it holds no
	// CloudTrail document.
	for _, report := range []string{filepath.Join(trail, "report.sarif"), filepath.Join(trail, "report.json")} {
		for range 2 {
			if code, _, stderr := run(t, check(policy, "--format", "json="+report)...); code != ExitOK {
				t.Errorf("a report in the CloudTrail folder, %s: exit %d, %s", report, code, stderr)
			}
		}
	}
}

// A run stopped by a signal exits 130 saying it was interrupted, not 3 as
// if a source were unreadable.
func TestInterruptedRun(t *testing.T) {
	var stderr bytes.Buffer
	c := Command{Stderr: &stderr}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := c.runError(ctx, fmt.Errorf("cannot read x: %w", context.Canceled)); code != ExitInterrupted || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("exit %d, %q; want 130 saying interrupted", code, stderr.String())
	}
	stderr.Reset()
	if code := c.runError(context.Background(), errors.New("cannot read x: broken")); code != ExitSource {
		t.Errorf("a source error without a signal: exit %d, want 3", code)
	}
}

// A folder link in the working folder (a repository can hold one) does not
// send a report out of it; a file link there is replaced, never followed.
func TestOutputThroughPlantedLinks(t *testing.T) {
	chdirRoot(t)
	root, _ := os.Getwd()
	work, outside := t.TempDir(), t.TempDir()
	t.Chdir(work)
	if err := os.Symlink(outside, "reports"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", "planted.json"); err != nil {
		t.Fatal(err)
	}
	args := []string{"check", "--policy", filepath.Join(root, "examples/policy.hcl"), "--sessions", filepath.Join(root, "examples/sessions.jsonl"),
		"--cloudtrail", filepath.Join(root, "examples/cloudtrail"), "--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z", "--fail-on", "none", "--base-dir", work}
	code, _, stderr := run(t, append(args, "--format", "json=reports/r.json")...)
	if code != ExitUsage || !strings.Contains(stderr, "leads out of the working folder through a symbolic link") {
		t.Errorf("through a folder link: exit %d, %s; want exit 2", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(outside, "r.json")); err == nil {
		t.Error("the report was written through the folder link")
	}
	if code, _, stderr := run(t, append(args, "--format", "json=planted.json")...); code != ExitOK {
		t.Errorf("onto a file link to /: exit %d, %s", code, stderr)
	}
	if fi, err := os.Lstat("planted.json"); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the file link was not replaced by the report: %v %v", fi, err)
	}
	// A place named outside the working folder is the user's choice.
	if code, _, stderr := run(t, append(args, "--format", "json="+filepath.Join(outside, "ok.json"))...); code != ExitOK {
		t.Errorf("an absolute path outside: exit %d, %s", code, stderr)
	}
	// ".." after a folder link is the parent of where it leads, as the
	// system reads it, not the working folder.
	mkdirLink(t, filepath.Join(outside, "sub"), filepath.Join(outside, "sub"), "l")
	code, _, stderr = run(t, append(args, "--format", "json=l/../dotdot.json")...)
	if code != ExitUsage || !strings.Contains(stderr, "leads out of the working folder through a symbolic link") {
		t.Errorf("l/../dotdot.json: exit %d, %s; want exit 2", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(outside, "dotdot.json")); err == nil {
		t.Error("the report was written through l/..")
	}
	// Two spellings of one file, one through a link and "..", are one file.
	mkdirLink(t, filepath.Join("other", "sub"), filepath.Join(work, "other", "sub"), "m")
	code, _, stderr = run(t, append(args, "--format", "json=m/../dup.json", "--format", "sarif=other/dup.json")...)
	if code != ExitUsage {
		t.Errorf("m/../dup.json and other/dup.json: exit %d, %s; want exit 2 (one file twice)", code, stderr)
	}
	// Folders to be made after ".." are made where the system reads the
	// path, and two names of one new file are one file.
	mkdirLink(t, filepath.Join("d", "e"), filepath.Join(work, "d", "e"), "in")
	if code, _, stderr := run(t, append(args, "--format", "json=in/../new/r.json", "--format", "sarif=d/new/r.json")...); code != ExitUsage {
		t.Errorf("in/../new/r.json and d/new/r.json: exit %d, %s; want exit 2 (one file twice)", code, stderr)
	}
	if code, _, stderr := run(t, append(args, "--format", "json=in/../new/r.json")...); code != ExitOK {
		t.Errorf("in/../new/r.json: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join("d", "new", "r.json")); err != nil {
		t.Errorf("in/../new/r.json was not written to d/new/r.json: %v", err)
	}
	// A path whose text names a place outside, but whose link takes it
	// elsewhere outside, is refused too.
	mkdirLink(t, filepath.Join(outside, "a", "b"), filepath.Join(outside, "a", "b"), "l2")
	code, _, stderr = run(t, append(args, "--format", "json=l2/../../f.json")...)
	if code != ExitUsage || !strings.Contains(stderr, "leads out of the working folder through a symbolic link") {
		t.Errorf("l2/../../f.json: exit %d, %s; want exit 2", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(outside, "f.json")); err == nil {
		t.Error("the report was written through l2/../..")
	}
	code, _, stderr = run(t, append(args, "--format", "json="+work+"/l2/../../f2.json")...)
	if code != ExitUsage || !strings.Contains(stderr, "leads out of the working folder through a symbolic link") {
		t.Errorf("WORK/l2/../../f2.json: exit %d, %s; want exit 2", code, stderr)
	}
}

// In a working folder reached through a link, ".." in a report path is the
// real folder's parent, as the system reads it: no link in the path
// itself, nothing refused.
func TestOutputFromLinkedWorkingFolder(t *testing.T) {
	chdirRoot(t)
	root, _ := os.Getwd()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(base, "deep", "w"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(base, "deep", "w"), filepath.Join(base, "w")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(base, "w"))
	args := []string{"check", "--policy", filepath.Join(root, "examples/policy.hcl"), "--sessions", filepath.Join(root, "examples/sessions.jsonl"),
		"--cloudtrail", filepath.Join(root, "examples/cloudtrail"), "--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z", "--fail-on", "none", "--base-dir", "."}
	if code, _, stderr := run(t, append(args, "--format", "json=../r.json")...); code != ExitOK {
		t.Errorf("../r.json: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(base, "deep", "r.json")); err != nil {
		t.Errorf("../r.json was not written to the real folder's parent: %v", err)
	}
}

// fmt formats every file before it writes any (a file that cannot be
// formatted leaves all as they were), keeps each file's permissions, and
// formats a linked policy's target.
func TestFmtRewrites(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.hcl")
	b := filepath.Join(dir, "b.hcl")
	if err := os.WriteFile(a, []byte("x=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("y = [\"a\" \"b\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "fmt", dir); code != ExitUsage || !strings.Contains(stderr, "b.hcl cannot be formatted; nothing was written") {
		t.Errorf("a folder with a broken file: exit %d, %s", code, stderr)
	}
	if got, _ := os.ReadFile(a); string(got) != "x=1\n" {
		t.Errorf("a.hcl was written although b.hcl could not be formatted: %q", got)
	}
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "policy.hcl")
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "fmt", link); code != ExitOK {
		t.Fatalf("fmt through a link: exit %d, %s", code, stderr)
	}
	if got, _ := os.ReadFile(a); string(got) != "x = 1\n" {
		t.Errorf("the link's target was not formatted: %q", got)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
	if fi, err := os.Stat(a); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode is %v, want 0600 kept", fi.Mode().Perm())
	}
}

// validate writes a text report to a file like every other format: the
// diagnostics and the verdict; on stdout only the verdict of a valid policy.
func TestValidateTextFile(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.hcl")
	os.WriteFile(bad, []byte("profile \"p\" {\n  role_arns = [\"arn:aws:iam::111122223333:role/P\"]\n}\nrule \"r\" {\n  effect = \"requre_server\"\n}\n"), 0o644)
	for _, tc := range []struct {
		name, policy string
		code         int
		file, stdout []string
	}{
		{"valid", "examples/policy.hcl", ExitOK, []string{"policy is valid: 1 file, "}, []string{"policy is valid: 1 file, "}},
		{"invalid", bad, ExitUsage, []string{"bad.hcl:5", "requre_server", "policy is not valid: 1 error"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name+".txt")
			code, stdout, stderr := run(t, "validate", "--policy", tc.policy, "--format", "text="+out, "--format", "json="+filepath.Join(dir, tc.name+".json"))
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("the text report was not written: %v", err)
			}
			holds(t, "text report", string(b), tc.file...)
			if stdout != "" {
				t.Errorf("stdout %q, want nothing (text went to a file)", stdout)
			}
			code, stdout, _ = run(t, "validate", "--policy", tc.policy)
			if code != tc.code || (len(tc.stdout) == 0) != (stdout == "") {
				t.Errorf("on stdout: exit %d, stdout %q", code, stdout)
			}
			holds(t, "stdout", stdout, tc.stdout...)
		})
	}
}

// Report columns count Unicode code points, as the SARIF run declares, not
// HCL's grapheme clusters (they differ after joined emoji or combining
// accents).
func TestColumnsAreCodePoints(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	pol := filepath.Join(dir, "p.hcl")
	// "👩‍💻é" is 2 graphemes but 5 code points (woman, joiner, laptop, e,
	// combining accent): effect starts at code point 25, grapheme 22.
	src := "profile \"p\" {\n  role_arns = [\"arn:aws:iam::111122223333:role/P\"]\n}\nrule \"r\" {\n  profiles = [\"\U0001F469\u200d\U0001F4BBe\u0301\"]  effect = \"requre_server\"\n}\n"
	os.WriteFile(pol, []byte(src), 0o644)
	out := filepath.Join(dir, "v.json")
	code, _, stderr := run(t, "validate", "--policy", pol, "--format", "json="+out)
	if code != ExitUsage {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	var rep struct {
		Findings []struct {
			Location struct{ Line, Column int } `json:"location"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Findings) == 0 {
		t.Fatalf("report %s: %v", b, err)
	}
	if l := rep.Findings[0].Location; l.Line != 5 || l.Column != 25 {
		t.Errorf("location %d:%d, want 5:25 (code points)", l.Line, l.Column)
	}
	if !strings.Contains(stderr, "p.hcl:5:25: error") { // the same column on stderr
		t.Errorf("stderr:\n%s", stderr)
	}
}

// holds reports each of want that got (named what) does not contain.
func holds(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// validate's SARIF has a category of its own: code scanning replaces a
// category's alerts with each upload, so policy diagnostics uploaded under
// check's category would close every alert of the last check. A check
// whose policy has errors writes no report at all.
func TestValidateCategory(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	category := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var log struct {
			Runs []struct {
				AutomationDetails struct{ ID string } `json:"automationDetails"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(b, &log); err != nil || len(log.Runs) != 1 {
			t.Fatalf("%s: %v", path, err)
		}
		return log.Runs[0].AutomationDetails.ID
	}
	bad := filepath.Join(dir, "bad.hcl")
	os.WriteFile(bad, []byte("rule \"r\" {\n  effect = \"nope\"\n}\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"valid", []string{"validate", "--policy", "examples/policy.hcl"}, ExitOK, "sentinel-check/validate/"},
		{"errors", []string{"validate", "--policy", bad}, ExitUsage, "sentinel-check/validate/"},
		{"own", []string{"validate", "--policy", bad, "--category", "policies/prod"}, ExitUsage, "policies/prod/"},
		{"empty", []string{"validate", "--policy", bad, "--category="}, ExitUsage, "sentinel-check/validate/"},
		{"check", []string{"check", "--policy", "examples/policy.hcl", "--sessions", "examples/sessions.jsonl",
			"--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z"}, ExitFindings, "sentinel-check/"},
	} {
		out := filepath.Join(dir, tc.name+".sarif")
		code, _, stderr := run(t, append(tc.args, "--format", "sarif="+out)...)
		if code != tc.code {
			t.Fatalf("%s: exit %d, want %d; stderr:\n%s", tc.name, code, tc.code, stderr)
		}
		if got := category(out); got != tc.want {
			t.Errorf("%s: automationDetails.id %q, want %q", tc.name, got, tc.want)
		}
	}
	out := filepath.Join(dir, "check-bad.sarif")
	code, _, stderr := run(t, "check", "--policy", bad, "--sessions", "examples/sessions.jsonl", "--format", "sarif="+out)
	if code != ExitUsage {
		t.Fatalf("check with a bad policy: exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("check with a bad policy wrote %s (%v): an SC0001-only log would close the check's alerts", out, err)
	}
	holds(t, "stderr", stderr, "nothing was checked")
}

// A policy without a profile block maps no role: a check of it would pass
// by checking nothing, so validate and check refuse it (most often the
// profiles are in a file a folder does not contribute).
func TestPolicyWithoutProfiles(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "rules.hcl"), []byte("rule \"r\" {\n  effect = \"allow\"\n}\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "profiles.hcl"), []byte("profile \"p\" {\n  role_arns = [\"arn:aws:iam::111122223333:role/P\"]\n}\n"), 0o644)
	for _, args := range [][]string{
		{"validate", "--policy", dir},
		{"check", "--policy", dir, "--sessions", "examples/sessions.jsonl"},
	} {
		code, stdout, stderr := run(t, args...)
		if code != ExitUsage {
			t.Errorf("%s: exit %d, want %d; stdout:\n%s", args[0], code, ExitUsage, stdout)
		}
		holds(t, args[0]+" stderr", stderr, "rules.hcl:1:1: error: No profile", "has no profile block", "not those in sub-folders")
	}
	code, _, stderr := run(t, "validate", "--policy", dir, "--policy", filepath.Join(dir, "sub"))
	if code != ExitOK {
		t.Errorf("with the sub-folder: exit %d, stderr:\n%s", code, stderr)
	}
}

// A --base-dir that is not a folder is refused: every location in the
// reports would be wrong (a file gave "file=." in every annotation).
func TestBaseDirMustBeAFolder(t *testing.T) {
	chdirRoot(t)
	for _, dir := range []string{"examples/policy.hcl", "no/such/folder"} {
		for _, args := range [][]string{
			{"check", "--policy", "examples/policy.hcl", "--sessions", "examples/sessions.jsonl", "--base-dir", dir},
			{"validate", "--policy", "examples/policy.hcl", "--base-dir", dir},
		} {
			code, _, stderr := run(t, args...)
			if code != ExitUsage || !strings.Contains(stderr, "--base-dir "+dir) {
				t.Errorf("%s --base-dir %s: exit %d, stderr:\n%s", args[0], dir, code, stderr)
			}
		}
	}
}

// validate and fmt take flags after their paths, as tflint and actionlint
// do ("validate a.hcl --format json" read "--format" as a policy path);
// after "--" every argument is a path. fmt's advice names its arguments,
// not a --policy flag it does not have.
func TestFlagsAfterPaths(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "v.json")
	code, _, stderr := run(t, "validate", "examples/policy.hcl", "--format", "json="+out)
	if b, err := os.ReadFile(out); code != ExitOK || err != nil || !strings.Contains(string(b), `"findings"`) {
		t.Errorf("validate PATH --format: exit %d, %v, stderr:\n%s", code, err, stderr)
	}
	// A flag's value "--" is not the terminator.
	out2 := filepath.Join(dir, "v2.sarif")
	code, _, stderr = run(t, "validate", "--category", "--", "examples/policy.hcl", "--format", "sarif="+out2)
	if b, err := os.ReadFile(out2); code != ExitOK || err != nil || !strings.Contains(string(b), `"id": "--/"`) {
		t.Errorf("validate --category -- PATH --format: exit %d, %v, stderr:\n%s", code, err, stderr)
	}
	code, _, stderr = run(t, "validate", "--", "--format")
	if code != ExitUsage || !strings.Contains(stderr, `"--format"`) {
		t.Errorf("validate -- --format: exit %d (want the path --format refused), stderr:\n%s", code, stderr)
	}
	code, stdout, stderr := run(t, "fmt", "examples/policy.hcl", "--check")
	if code != ExitOK || stdout != "" {
		t.Errorf("fmt PATH --check: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	t.Chdir(dir)
	code, _, stderr = run(t, "fmt")
	if code != ExitUsage || !strings.Contains(stderr, "no policy: name FILE or FOLDER") || strings.Contains(stderr, "--policy") {
		t.Errorf("fmt without a policy: exit %d, stderr:\n%s", code, stderr)
	}
}

// -h and help COMMAND write the command's usage, with its flags written as
// the documentation writes them, to stdout; an unknown command gets a
// suggestion; commands without arguments refuse them.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"check", "-h"}, {"help", "check"}, {"check", "--help"}} {
		code, stdout, stderr := run(t, args...)
		if code != ExitOK || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
		holds(t, fmt.Sprint(args), stdout, "Usage: sentinel-check check [flags]", "\n  --cloudtrail value\n", "\n  --since string\n", "Exit codes:",
			"only report these profiles (repeatable, globs); findings of no profile are kept: SC2001's roles that no profile maps")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{{[]string{"help", "checks"}, "checks [--format text|json]"}, {[]string{"checks", "-h"}, "checks [--format text|json]"}, {[]string{"version", "--help"}, "version"}} {
		code, stdout, _ := run(t, tc.args...)
		if code != ExitOK || !strings.Contains(stdout, "Usage: sentinel-check "+tc.want+"\n") {
			t.Errorf("%v: exit %d, stdout %q", tc.args, code, stdout)
		}
	}
	// Each command's own exit codes.
	_, stdout, _ := run(t, "fmt", "-h")
	holds(t, "fmt -h", stdout, "Exit codes: 0 formatted (--check: nothing to change), 1 --check: files would change, 2 usage error or a file that cannot be read or formatted, 3 a file could not be written.")
	if code, _, stderr := run(t, "help", "chek"); code != ExitUsage || !strings.Contains(stderr, `unknown command "chek" (did you mean "check"?)`) {
		t.Errorf("help chek: exit %d, stderr %q", code, stderr)
	}
	code, stdout, stderr := run(t, "check", "--nope")
	if code != ExitUsage || stdout != "" {
		t.Errorf("check --nope: exit %d, stdout %q", code, stdout)
	}
	holds(t, "check --nope stderr", stderr, "unknown flag --nope", "run sentinel-check check -h for its flags")
	if strings.Contains(stderr, "Usage:") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("check --nope: stderr %q, want one line, not the whole usage", stderr)
	}
	_, _, stderr = run(t, "valdate")
	holds(t, "valdate stderr", stderr, `unknown command "valdate" (did you mean "validate"?)`, "athena-ddl")
	if code, _, stderr := run(t, "version", "--json"); code != ExitUsage || !strings.Contains(stderr, "takes no arguments") {
		t.Errorf("version --json: exit %d, stderr %q", code, stderr)
	}
	for args, want := range map[string]string{"checks --format yaml": `--format "yaml": checks writes text or json`, "checks x": `unexpected argument "x"`} {
		if code, _, stderr := run(t, strings.Fields(args)...); code != ExitUsage || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q", args, code, stderr)
		}
	}
	// The list for tools: every check, as the registry has it.
	code, stdout, _ = run(t, "checks", "--format", "json")
	var list []struct {
		ID, Name        string
		DefaultSeverity string `json:"default_severity"`
	}
	all := checks.All()
	if err := json.Unmarshal([]byte(stdout), &list); code != ExitOK || err != nil || len(list) != len(all) || list[0].ID != all[0].Meta().ID || list[0].DefaultSeverity != string(all[0].Meta().DefaultSeverity) {
		t.Errorf("checks --format json: exit %d, %v, %+v", code, err, list)
	}
}

// Errors of several sources that failed at once are one line each (a
// joined error's newline was escaped into one line).
func TestJoinedErrorsOneLineEach(t *testing.T) {
	var stderr strings.Builder
	c := Command{Stdout: io.Discard, Stderr: &stderr}
	if code := c.runError(context.Background(), errors.Join(errors.New("cannot read a"), errors.New("cannot read b"))); code != ExitSource {
		t.Errorf("exit %d", code)
	}
	if got, want := stderr.String(), "sentinel-check: cannot read a\nsentinel-check: cannot read b\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}

// No value from a policy file's name or content, or from a session record,
// reaches stderr as a line the Actions runner reads as a workflow command:
// "::cmd::" at the start of a line, or "##[cmd]" anywhere.
func TestNoWorkflowCommandsInOutput(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	pol := filepath.Join(dir, "pol")
	os.Mkdir(pol, 0o755)
	name := filepath.Join(pol, "a\n::error title=pwned::injected.hcl")
	if err := os.WriteFile(name, []byte("profile \"x\" {\n  bogus = \"::warning::w ##[error]e\"\n}\n"), 0o644); err != nil {
		t.Skip(err) // a file system without newlines in names
	}
	sess := filepath.Join(dir, "s.jsonl")
	os.WriteFile(sess, []byte(`{"id":"ok1","user":"u","profile":"prod-admin","status":"active","started_at":"##[error]t"}`+"\n"), 0o644)
	// fmt lists the files it rewrites, or would, on stdout.
	ugly := filepath.Join(dir, "ugly")
	os.Mkdir(ugly, 0o755)
	os.WriteFile(filepath.Join(ugly, "b\n::error title=pwned::x ##[add-mask]y.hcl"), []byte("profile \"x\" {\nrole_arns=[\"arn:aws:iam::111122223333:role/A\"]\n}\n"), 0o644)
	for _, args := range [][]string{
		{"validate", "--policy", pol},
		{"check", "--policy", "examples/policy.hcl", "--sessions", sess, "--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z"},
		{"fmt", "--check", ugly},
	} {
		_, stdout, stderr := run(t, args...)
		if stderr == "" {
			t.Fatalf("%s: no stderr", args[0])
		}
		for _, line := range strings.Split(stderr+"\n"+stdout, "\n") {
			if strings.HasPrefix(strings.TrimLeft(line, " \t"), "::") || strings.Contains(line, "##[") {
				t.Errorf("%s: a workflow command in its output: %q", args[0], line)
			}
		}
	}
	if _, stdout, _ := run(t, "fmt", "--check", ugly); !strings.Contains(stdout, `b\x0a::error title=pwned::x ##\[add-mask]y.hcl`) {
		t.Errorf("fmt --check does not name the file: %q", stdout)
	}
}

// --region is checked when the policy's cloudtrail blocks name an AWS
// source, as when --cloudtrail does (it reached the SDK: exit 3).
func TestRegionCheckedForPolicySources(t *testing.T) {
	chdirRoot(t)
	pol := filepath.Join(t.TempDir(), "p.hcl")
	os.WriteFile(pol, []byte("cloudtrail {\n  source = \"s3://acme-trail/AWSLogs\"\n}\nprofile \"p\" {\n  role_arns = [\"arn:aws:iam::111122223333:role/P\"]\n}\n"), 0o644)
	code, _, stderr := run(t, "check", "--policy", pol, "--sessions", "examples/sessions.jsonl", "--region", "bogus!!")
	if code != ExitUsage || !strings.Contains(stderr, `--region: region "bogus!!" is not an AWS region name`) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// A folder that names one region folder leaves out the trail's other
// regions, us-east-1 among them, where the sessions opened through STS's
// global endpoint are logged: SC2002, unless the run reads them too.
func TestRegionFolderWithoutGlobal(t *testing.T) {
	chdirRoot(t)
	const acct = "examples/cloudtrail/AWSLogs/444455556666/CloudTrail"
	base := []string{"check", "--policy", "examples/policy.hcl", "--sessions", "examples/sessions.jsonl", "--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z", "--fail-on", "none", "--format", "json"}
	for _, tc := range []struct {
		trails []string
		gap    string // the region folder said not to be read
	}{
		{[]string{acct + "/eu-west-1"}, "us-east-1"},
		{[]string{acct + "/us-east-1"}, "eu-west-1"},
		{[]string{acct + "/eu-west-1", acct + "/us-east-1"}, ""},
		{[]string{acct + "/eu-west-1", acct}, ""},
		{[]string{acct + "/eu-west-1", "examples/cloudtrail"}, ""},
		{[]string{"examples/cloudtrail/AWSLogs/111122223333/CloudTrail/us-east-1"}, ""},
	} {
		args := slices.Clone(base)
		for _, tr := range tc.trails {
			args = append(args, "--cloudtrail", tr)
		}
		code, stdout, stderr := run(t, args...)
		if code != ExitOK {
			t.Fatalf("%q: exit %d: %s", tc.trails, code, stderr)
		}
		said := strings.Contains(stdout, "is not read")
		if said != (tc.gap != "") || tc.gap != "" && !strings.Contains(stdout, "the region folder "+tc.gap+" is not read") {
			t.Errorf("%q: want the region folder %q said not to be read:\n%s", tc.trails, tc.gap, stdout)
		}
	}
}

// A policy path that cannot be read is where its SC0001 result is, not
// another policy file nor the default policy name.
func TestValidatePathErrorLocation(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "a.hcl")
	os.WriteFile(ok, []byte("profile \"a\" {\n  role_arns = [\"arn:aws:iam::111122223333:role/A\"]\n}\n"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	for _, tc := range []struct{ args []string }{
		{[]string{ok, filepath.Join(dir, "missing.hcl")}},
		{[]string{empty}},
	} {
		out := filepath.Join(t.TempDir(), "v.json")
		code, _, stderr := run(t, append([]string{"validate", "--base-dir", dir, "--format", "json=" + out}, tc.args...)...)
		if code != ExitUsage {
			t.Fatalf("%q: exit %d: %s", tc.args, code, stderr)
		}
		var doc struct {
			Findings []struct {
				Location struct{ File string } `json:"location"`
			} `json:"findings"`
		}
		b, _ := os.ReadFile(out)
		if err := json.Unmarshal(b, &doc); err != nil || len(doc.Findings) != 1 {
			t.Fatalf("%q: %v %s", tc.args, err, b)
		}
		if want := filepath.Base(tc.args[len(tc.args)-1]); doc.Findings[0].Location.File != want {
			t.Errorf("%q: located at %q, want %q", tc.args, doc.Findings[0].Location.File, want)
		}
	}
}

// An output that cannot be written leaves every report as it was: none
// is replaced, no temporary file or folder made for them stays.
func TestOutputsAllOrNothing(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	old := filepath.Join(dir, "o.txt")
	os.WriteFile(old, []byte("earlier report"), 0o644)
	afile := filepath.Join(dir, "afile")
	os.WriteFile(afile, []byte("x"), 0o644)
	args := []string{"check", "--policy", "examples/policy.hcl", "--sessions", "examples/sessions.jsonl", "--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z",
		"--format", "text=" + old, "--format", "sarif=" + filepath.Join(dir, "new", "deeper", "r.sarif"), "--format", "json=" + filepath.Join(afile, "x.json")}
	code, stdout, stderr := run(t, args...)
	if code != ExitSource || !strings.Contains(stderr, filepath.Join(afile, "x.json")) {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout: %q", stdout)
	}
	if b, _ := os.ReadFile(old); string(b) != "earlier report" {
		t.Errorf("o.txt was replaced: %.40q", b)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "afile o.txt" {
		t.Errorf("left in the folder: %v", names)
	}
}

// mkdirLink makes the folder dir and a symbolic link named link to target.
func mkdirLink(t *testing.T, dir, target, link string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// Sizes take units, as the help's defaults are written.
func TestByteSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1048576": 1 << 20, "4GiB": 4 << 30, "4 GiB": 4 << 30, "512MiB": 512 << 20, "64mb": 64e6, "1G": 1 << 30, "2KB": 2000, "7b": 7} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("%q: %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "1XB", "-1", "1.5GiB", "99999999999TiB"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("%q: accepted as %d", in, b)
		}
	}
}

// validate --fail-on makes policy warnings fail a gate, as a linter's
// strict mode does; errors exit 2 whatever it says.
func TestValidateFailOn(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	warn := filepath.Join(dir, "warn.hcl")
	if err := os.WriteFile(warn, []byte("profile \"a\" {\n  role_arns = [\"arn:aws:iam::111122223333:role/Prod*\"]\n}\nprofile \"b\" {\n  role_arns = [\"arn:aws:iam::111122223333:role/*Admin\"]\n}\nrule \"r\" {\n  effect = \"require_server_session\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, ExitOK},
		{[]string{"--fail-on", "error"}, ExitOK},
		{[]string{"--fail-on", "warning"}, ExitFindings},
		{[]string{"--fail-on", "note"}, ExitFindings},
		{[]string{"--fail-on", "none"}, ExitOK},
		{[]string{"--fail-on", "warnings"}, ExitUsage},
	} {
		code, _, stderr := run(t, append([]string{"validate", warn}, tc.args...)...)
		if code != tc.code || (tc.code != ExitUsage && !strings.Contains(stderr, "Overlapping")) {
			t.Errorf("validate %v: exit %d, want %d; stderr %q", tc.args, code, tc.code, stderr)
		}
	}
	if code, _, _ := run(t, "validate", "examples/policy.hcl", "--fail-on", "warning"); code != ExitOK {
		t.Errorf("a policy without warnings, --fail-on warning: exit %d", code)
	}
	if _, stdout, _ := run(t, "validate", warn, "--fail-on", "warning"); !strings.Contains(stdout, "; 1 finding at or above --fail-on warning fails it") {
		t.Errorf("--fail-on warning: stdout %q does not say the warning fails it", stdout)
	}
	// A policy with errors fails whatever --fail-on says, in every report.
	bad := filepath.Join(dir, "bad.hcl")
	if err := os.WriteFile(bad, []byte(`rule "r" { effect = "permit" }`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := run(t, "validate", bad, "--fail-on", "none", "--format", "markdown"); code != ExitUsage || !strings.Contains(stdout, "## sentinel-check: FAIL") {
		t.Errorf("an invalid policy, --fail-on none: exit %d\n%s", code, stdout)
	}
}

// validate's Markdown and JSON say what the policy declares, not the
// profiles' sessions or the sources of a check that did not run.
func TestValidateReportsThePolicy(t *testing.T) {
	chdirRoot(t)
	code, stdout, _ := run(t, "validate", "examples/policy.hcl", "--format", "markdown")
	if code != ExitOK || !strings.Contains(stdout, "Policy: 1 file, 5 profiles, ") ||
		strings.Contains(stdout, "Required profiles") || strings.Contains(stdout, "No profiles") || strings.Contains(stdout, "Sources read") {
		t.Errorf("markdown: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = run(t, "validate", "examples/policy.hcl", "--format", "json")
	var rep struct {
		Policy *struct{ Files, Profiles, Rules int }
	}
	if err := json.Unmarshal([]byte(stdout), &rep); code != ExitOK || err != nil || rep.Policy == nil || rep.Policy.Files != 1 || rep.Policy.Profiles != 5 {
		t.Errorf("json: exit %d, %v, policy %+v", code, err, rep.Policy)
	}
	// A check's report has no policy object.
	code, stdout, _ = run(t, "check", "--policy", "examples/policy.hcl", "--sessions", "examples/sessions.jsonl", "--cloudtrail", "examples/cloudtrail",
		"--since", "2026-11-16", "--until", "2026-11-22", "--format", "json")
	if code != ExitFindings || strings.Contains(stdout, `"policy"`) {
		t.Errorf("check json: exit %d, holds a policy object: %v", code, strings.Contains(stdout, `"policy"`))
	}
}

// --event-buffer and --temp-dir reach the run (the engine's tests show
// what it does with them).
func TestEventBufferFlags(t *testing.T) {
	chdirRoot(t)
	dir := t.TempDir()
	var got engine.Options
	testRunOptions = func(o engine.Options) { got = o }
	defer func() { testRunOptions = nil }()
	for _, tc := range []struct {
		args   []string
		buffer int
		temp   string
	}{
		{nil, 0, ""},
		{[]string{"--event-buffer", "64KiB", "--temp-dir", dir}, 64 << 10, dir},
		{[]string{"--event-buffer", "1GiB"}, 1 << 30, ""},
	} {
		got = engine.Options{}
		args := append(append(append([]string(nil), exampleArgs...), "--format", "json="+os.DevNull), tc.args...)
		if code, _, stderr := run(t, args...); code != ExitFindings {
			t.Fatalf("%v: exit %d: %s", tc.args, code, stderr)
		}
		if got.EventBuffer != tc.buffer || got.TempDir != tc.temp {
			t.Errorf("%v: the run got buffer %d, folder %q; want %d, %q", tc.args, got.EventBuffer, got.TempDir, tc.buffer, tc.temp)
		}
	}
}

// --s3-downloads reaches the S3 source's options: 0 downloads none ahead.
func TestS3DownloadsFlag(t *testing.T) {
	chdirRoot(t)
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, 64},
		{[]string{"--s3-downloads", "8"}, 8},
		{[]string{"--s3-downloads", "0"}, -1},
	} {
		env := &engine.Env{}
		var out, errb bytes.Buffer
		c := Command{Stdout: &out, Stderr: &errb, Env: env, Now: func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }}
		args := append(append([]string{"sentinel-check"}, exampleArgs...), tc.args...)
		if code := c.Main(args); code != ExitFindings || env.S3Prefetch != tc.want {
			t.Errorf("%v: exit %d, S3Prefetch %d; want exit %d and %d\n%s", tc.args, code, env.S3Prefetch, ExitFindings, tc.want, errb.String())
		}
	}
}
