package report

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sentinel-check/sentinel-check/checks"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCases are the hand-built Results every format is pinned on.
var goldenCases = []struct {
	name   string
	result func() *Result
}{
	{"clean", cleanResult},
	{"gaps", gapsResult},
	{"hostile", hostileResult},
	{"empty", func() *Result { return &Result{} }},
}

// extensions names each format's golden file suffix.
var extensions = map[string]string{
	"text": "txt", "json": "json", "sarif": "sarif", "markdown": "md", "github": "github.txt",
}

func render(t testing.TB, format string, r *Result) []byte {
	t.Helper()
	f, ok := Lookup(format)
	if !ok {
		t.Fatalf("format %q is not registered", format)
	}
	var buf bytes.Buffer
	if err := f(&buf, r); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

// checkGolden compares got with testdata/golden/name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./report -update and review the diff)\n--- got ---\n%s", path, clip(got, 4000))
	}
}

func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "\n…"
	}
	return string(b)
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		for _, format := range Names() {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				got := render(t, format, c.result())
				checkGolden(t, c.name+"."+extensions[format], got)
				// Rendering twice gives the same bytes (map order, no clocks).
				if again := render(t, format, c.result()); !bytes.Equal(got, again) {
					t.Errorf("%s output is not deterministic", format)
				}
			})
		}
	}
}

func TestMarkdownTruncatedGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := writeMarkdown(&buf, manyResult(300), 6000); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "truncated.md", buf.Bytes())
}

func TestLookupNames(t *testing.T) {
	want := []string{"text", "json", "sarif", "markdown", "github"}
	if got := Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	for _, n := range want {
		if f, ok := Lookup(n); !ok || f == nil {
			t.Errorf("Lookup(%q) found nothing", n)
		}
	}
	for _, n := range []string{"", "TEXT", "xml", "sarif "} {
		if _, ok := Lookup(n); ok {
			t.Errorf("Lookup(%q) found a formatter", n)
		}
	}
	names := Names()
	names[0] = "changed"
	if Names()[0] != "text" {
		t.Error("Names returns the registry's own slice")
	}
}

func TestRelPath(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		base, file, want string
	}{
		{"", "", ""},
		{"/repo", "", ""},
		{"", "policies/prod.hcl", "policies/prod.hcl"},
		{"", "./policies/../policies/prod.hcl", "policies/prod.hcl"},
		{"/repo", "/repo/policies/prod.hcl", "policies/prod.hcl"},
		{"/repo/", "/repo/prod.hcl", "prod.hcl"},
		{"/repo", "/elsewhere/prod.hcl", "../elsewhere/prod.hcl"},
		{"/repo", "/repo", "."},
		{wd, "testdata/x.hcl", "testdata/x.hcl"},
		{".", "testdata/x.hcl", "testdata/x.hcl"},
		{filepath.Dir(wd), "testdata/x.hcl", filepath.Base(wd) + "/testdata/x.hcl"},
		{"testdata", filepath.Join(wd, "testdata", "a", "b.hcl"), "a/b.hcl"},
	}
	for _, tt := range tests {
		if got := RelPath(tt.base, tt.file); got != tt.want {
			t.Errorf("RelPath(%q, %q) = %q, want %q", tt.base, tt.file, got, tt.want)
		}
	}
}

func TestVerdictsAndRate(t *testing.T) {
	tests := []struct {
		p           ProfileReport
		verdict     string
		rate        string
		description string
	}{
		{ProfileReport{Required: true, Sessions: 20, Tracked: 18, Untracked: 2, ComplianceRate: 90, HasGap: true}, VerdictGap, "90.0", "gap"},
		{ProfileReport{Required: true, Sessions: 2500, Tracked: 2499, Untracked: 1, ComplianceRate: 99.96, HasGap: true}, VerdictGap, "99.9", "rounding never shows 100.0 for a gap"},
		{ProfileReport{Required: true, Sessions: 3, Tracked: 3, ComplianceRate: 100}, VerdictPass, "100.0", "pass"},
		{ProfileReport{Required: true, ComplianceRate: 100}, VerdictNoData, "100.0", "no data"},
		{ProfileReport{Sessions: 4, ComplianceRate: 25}, VerdictNotRequired, "25.0", "not required"},
		{ProfileReport{Sessions: 3, Tracked: 1, ComplianceRate: 100.0 / 3}, VerdictNotRequired, "33.3", "one decimal"},
		{ProfileReport{Required: true, Sessions: 1, HasGap: true, ComplianceRate: nan()}, VerdictGap, "0.0", "NaN is not compliance"},
	}
	for _, tt := range tests {
		if got := tt.p.Verdict(); got != tt.verdict {
			t.Errorf("%s: Verdict() = %q, want %q", tt.description, got, tt.verdict)
		}
		if got := tt.p.Rate(); got != tt.rate {
			t.Errorf("%s: Rate() = %q, want %q", tt.description, got, tt.rate)
		}
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

func TestResultLine(t *testing.T) {
	r := gapsResult()
	tests := []struct {
		failOn string
		want   string
	}{
		{"", "Result: FAIL — 8 findings (4 errors, 3 warnings, 1 note)"},
		{"error", "Result: FAIL — 8 findings (4 errors, 3 warnings, 1 note)"},
		{"none", "Result: PASS — 8 findings (4 errors, 3 warnings, 1 note)"},
	}
	for _, tt := range tests {
		r.FailOn = severity(tt.failOn)
		out := string(render(t, "text", r))
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		if last := lines[len(lines)-1]; last != tt.want {
			t.Errorf("fail-on %q: last line %q, want %q", tt.failOn, last, tt.want)
		}
	}

	// Only warnings: PASS by default, FAIL with --fail-on warning.
	w := gapsResult()
	w.Findings = w.Findings[4:6]
	if got := lastLine(render(t, "text", w)); got != "Result: PASS — 2 findings (0 errors, 2 warnings, 0 notes)" {
		t.Errorf("warnings only: %q", got)
	}
	w.FailOn = "warning"
	if got := lastLine(render(t, "text", w)); got != "Result: FAIL — 2 findings (0 errors, 2 warnings, 0 notes)" {
		t.Errorf("warnings only, fail-on warning: %q", got)
	}
	if got := lastLine(render(t, "text", cleanResult())); got != "Result: PASS — 0 findings (0 errors, 0 warnings, 0 notes)" {
		t.Errorf("clean: %q", got)
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return lines[len(lines)-1]
}

func TestTextTable(t *testing.T) {
	out := string(render(t, "text", gapsResult()))
	for _, want := range []string{
		"PROFILE         SESSIONS  TRACKED  UNTRACKED  COMPLIANCE  REQUIRED  VERDICT\n",
		"prod-admin!     20        18       2          90.0%       yes       GAP\n",
		"prod-readonly!  2500      2499     1          99.9%       yes       GAP\n",
		"dev             12        0        12         0.0%        no        ",
		"audit           0         0        0          100.0%      yes       NO DATA\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q\n%s", want, out)
		}
	}
	if strings.Contains(out, "dev!") || strings.Contains(out, "audit!") {
		t.Error("a profile without a gap is marked with !")
	}
}

// failingWriter fails every write.
type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteErrors(t *testing.T) {
	for _, format := range Names() {
		f, _ := Lookup(format)
		err := f(failingWriter{}, gapsResult())
		if !errors.Is(err, errDiskFull) {
			t.Errorf("%s: error %v, want one wrapping the write error", format, err)
		}
	}
}

func severity(s string) checks.Severity { return checks.Severity(s) }
