package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sentinel-check/sentinel-check/checks"
)

var moreFindings = regexp.MustCompile(`\n… (\d+) more findings not shown; see the SARIF/JSON report\.\n`)

// shownAndLeft counts the listed findings and the "N more" note.
func shownAndLeft(t *testing.T, out string) (shown, left int) {
	t.Helper()
	section := out[strings.Index(out, "### Findings"):]
	if end := strings.Index(section[1:], "\n### "); end >= 0 {
		section = section[:end+1]
	}
	shown = strings.Count(section, "\n- **")
	if m := moreFindings.FindStringSubmatch(out); m != nil {
		left, _ = strconv.Atoi(m[1])
	}
	return shown, left
}

func TestMarkdownBudget(t *testing.T) {
	const limit = 1 << 20 // GitHub's step summary limit
	t.Run("30000 findings", func(t *testing.T) {
		r := manyResult(30000)
		out := string(render(t, "markdown", r))
		if len(out) > MarkdownBudget || len(out) >= limit {
			t.Fatalf("%d bytes, budget %d", len(out), MarkdownBudget)
		}
		shown, left := shownAndLeft(t, out)
		if left == 0 || shown+left != len(r.Findings) {
			t.Errorf("%d shown + %d more != %d findings", shown, left, len(r.Findings))
		}
		if !strings.Contains(out, "### Sources read") || !strings.HasSuffix(out, "\n") {
			t.Error("the sources section was cut")
		}
		if len(out) < MarkdownBudget*9/10 {
			t.Errorf("%d bytes: the budget of %d is not used", len(out), MarkdownBudget)
		}
		t.Logf("%d findings: %d bytes, %d shown", len(r.Findings), len(out), shown)
	})
	t.Run("one huge message", func(t *testing.T) {
		r := gapsResult()
		r.Findings[0].Message = strings.Repeat("x|", 1<<20)
		out := string(render(t, "markdown", r))
		if len(out) > 20000 {
			t.Errorf("%d bytes: a huge message is not clipped", len(out))
		}
		if shown, left := shownAndLeft(t, out); shown != len(r.Findings) || left != 0 {
			t.Errorf("%d shown, %d left", shown, left)
		}
	})
	t.Run("many profiles", func(t *testing.T) {
		r := manyResult(10)
		for i := 0; i < 50000; i++ {
			r.Profiles = append(r.Profiles, ProfileReport{Profile: fmt.Sprintf("extra-%05d", i), Required: true, Sessions: 1, Tracked: 1, ComplianceRate: 100})
		}
		out := string(render(t, "markdown", r))
		if len(out) > MarkdownBudget {
			t.Fatalf("%d bytes, budget %d", len(out), MarkdownBudget)
		}
		if !regexp.MustCompile(`\n… \d+ more profiles not shown; see the JSON report\.\n`).MatchString(out) {
			t.Error("no note on the profiles left out")
		}
		if shown, left := shownAndLeft(t, out); shown != 10 || left != 0 {
			t.Errorf("findings: %d shown, %d left; all 10 must fit next to a long table", shown, left)
		}
	})
}

func TestMarkdownVerdicts(t *testing.T) {
	out := string(render(t, "markdown", gapsResult()))
	for _, want := range []string{
		"| prod-admin | arn:aws:iam::111122223333:role/ProdAdmin | 20 | 90.0% (18 of 20) | 2 | GAP |",
		"| prod-readonly | arn:aws:iam::111122223333:role/ProdReadOnly | 2500 | 99.9% (2499 of 2500) | 2 | GAP |",
		"| dev | arn:aws:iam::444455556666:role/\\* | 12 | 0.0% (0 of 12) | 1 | FINDINGS |",
		"| audit | arn:aws:iam::111122223333:role/Audit | 0 | 100.0% (0 of 0) | 1 | NO DATA |",
		"## sentinel-check: FAIL — 8 findings (4 errors, 3 warnings, 1 note)",
		"Window: 2025-03-03T00:00:00Z to 2025-03-10T00:00:00Z",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	clean := string(render(t, "markdown", cleanResult()))
	if !strings.Contains(clean, "| 100.0% (20 of 20) | 0 | PASS |") || !strings.Contains(clean, "## sentinel-check: PASS") {
		t.Errorf("clean run:\n%s", clean)
	}
	// Text markers only: no emoji or pictographs.
	for _, s := range []string{out, clean} {
		for _, r := range s {
			if r >= 0x2600 && r <= 0x27bf || r >= 0x1f000 {
				t.Errorf("markdown holds the icon %q", r)
			}
		}
	}
}

func TestMarkdownFindingLine(t *testing.T) {
	r := cleanResult()
	r.Findings = []checks.Finding{{CheckID: "SC1003", Check: "denied-access", Severity: checks.SeverityError, Profile: "dev",
		Message: "dev: 1 session", Range: rangeDev}}
	out := string(render(t, "markdown", r))
	if want := "\n- **error** SC1003 denied-access (policies/prod.hcl line 18): dev: 1 session\n"; !strings.Contains(out, want) {
		t.Errorf("markdown lacks %q\n%s", want, out)
	}
}

// A profile's verdict: a warning or an error always shows as FINDINGS, a
// note only when --fail-on note makes it fail the run; a more lenient
// --fail-on never turns a finding into PASS.
func TestProfileVerdictThreshold(t *testing.T) {
	p := ProfileReport{Profile: "prod", Required: true, Sessions: 3, Tracked: 3}
	for _, tc := range []struct {
		sev    checks.Severity
		failOn checks.Severity
		want   string
	}{
		{checks.SeverityWarning, checks.SeverityError, VerdictFindings},
		{checks.SeverityWarning, checks.SeverityNone, VerdictFindings},
		{checks.SeverityWarning, checks.SeverityWarning, VerdictFindings},
		{checks.SeverityError, checks.SeverityNone, VerdictFindings},
		{checks.SeverityNote, checks.SeverityError, VerdictPass},
		{checks.SeverityNote, checks.SeverityNone, VerdictPass},
		{checks.SeverityNote, checks.SeverityNote, VerdictFindings},
	} {
		r := &Result{FailOn: tc.failOn, Findings: []checks.Finding{{CheckID: "SC1005", Severity: tc.sev, Profile: "prod"}}}
		if got := r.ProfileVerdict(&p); got != tc.want {
			t.Errorf("a %s finding with --fail-on %s: %s, want %s", tc.sev, tc.failOn, got, tc.want)
		}
		// The same about no profile (a source not read whole) counts for all.
		r.Findings[0].CheckID, r.Findings[0].Profile = "SC2002", ""
		if got := r.ProfileVerdict(&p); got != tc.want {
			t.Errorf("a %s finding about no profile with --fail-on %s: %s, want %s", tc.sev, tc.failOn, got, tc.want)
		}
	}
}
