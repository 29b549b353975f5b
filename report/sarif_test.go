package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

func TestSARIFMultitool(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found %d SARIF golden files, want at least 5", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			abs, err := filepath.Abs(f)
			if err != nil {
				t.Fatal(err)
			}
			testsvc.RequireValidSARIF(t, abs)
		})
	}
}

// TestSARIFMultitoolCatchesErrors is the control: a result without a
// location must be reported, or the validation above proves nothing.
func TestSARIFMultitoolCatchesErrors(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(render(t, "sarif", gapsResult()), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc["runs"].([]any)[0].(map[string]any)
	res := run["results"].([]any)[0].(map[string]any)
	delete(res, "locations")
	broken, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "broken.sarif")
	if err := os.WriteFile(file, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	if testsvc.SARIFErrors(testsvc.ValidateSARIF(t, file)) == 0 {
		t.Fatal("the multitool reported no error for a result without a location")
	}
}

// sarifLog is the part of a SARIF log the tests read.
type sarifLog struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name            string `json:"name"`
				Version         string `json:"version"`
				SemanticVersion string `json:"semanticVersion"`
				InformationURI  string `json:"informationUri"`
				Rules           []struct {
					ID                   string `json:"id"`
					Name                 string `json:"name"`
					ShortDescription     struct{ Text string }
					FullDescription      struct{ Text string }
					Help                 struct{ Text, Markdown string }
					HelpURI              string `json:"helpUri"`
					DefaultConfiguration struct {
						Level   string
						Enabled *bool
					}
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		AutomationDetails  struct{ ID string } `json:"automationDetails"`
		OriginalURIBaseIDs map[string]any      `json:"originalUriBaseIds"`
		Invocations        []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level   string
				Message struct{ Text string }
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results *[]sarifResult `json:"results"`
	} `json:"runs"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Level     string `json:"level"`
	Message   struct{ Text string }
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI       string `json:"uri"`
				URIBaseID string `json:"uriBaseId"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine, StartColumn, EndLine, EndColumn int
			} `json:"region"`
		} `json:"physicalLocation"`
	} `json:"locations"`
	RelatedLocations []struct {
		ID      int `json:"id"`
		Message struct{ Text string }
	} `json:"relatedLocations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

func decodeSARIF(t testing.TB, b []byte) sarifLog {
	t.Helper()
	var log sarifLog
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatalf("SARIF is not valid JSON: %v", err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("want one run of SARIF 2.1.0, got version %q with %d runs", log.Version, len(log.Runs))
	}
	if log.Runs[0].Results == nil {
		t.Fatal("the run has no results array")
	}
	return log
}

func TestSARIFContent(t *testing.T) {
	r := gapsResult()
	log := decodeSARIF(t, render(t, "sarif", r))
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name != "sentinel-check" || d.Version != "0.3.0" || d.SemanticVersion != "0.3.0" || d.InformationURI == "" {
		t.Errorf("driver = %+v", d)
	}
	if len(d.Rules) != len(r.Rules) {
		t.Fatalf("%d rules, want %d", len(d.Rules), len(r.Rules))
	}
	rule := d.Rules[0]
	if rule.ID != "SC1001" || rule.Name != "UntrackedSession" || rule.DefaultConfiguration.Level != "error" ||
		rule.Help.Markdown == "" || rule.Help.Text == "" || rule.HelpURI == "" || rule.FullDescription.Text == "" ||
		rule.ShortDescription.Text != "Role sessions that must be tracked by the broker were not tracked." {
		t.Errorf("rule 0 = %+v", rule)
	}
	if rule.Properties["security-severity"] != "8.0" || rule.Properties["precision"] != "high" ||
		!strings.Contains(fmt.Sprint(rule.Properties["tags"]), "security") {
		t.Errorf("rule 0 properties = %v", rule.Properties)
	}
	if run.AutomationDetails.ID != DefaultCategory {
		t.Errorf("automationDetails.id = %q", run.AutomationDetails.ID)
	}
	if _, ok := run.OriginalURIBaseIDs["%SRCROOT%"]; !ok {
		t.Errorf("originalUriBaseIds = %v", run.OriginalURIBaseIDs)
	}
	results := *run.Results
	if len(results) != len(r.Findings) {
		t.Fatalf("%d results, want %d", len(results), len(r.Findings))
	}
	for i, res := range results {
		f := r.Findings[i]
		if res.RuleID != f.CheckID || res.RuleIndex == nil || d.Rules[*res.RuleIndex].ID != f.CheckID {
			t.Errorf("result %d: ruleId %q index %v, want %s", i, res.RuleID, res.RuleIndex, f.CheckID)
		}
		if res.Level != string(f.Severity) {
			t.Errorf("result %d: level %q, want %q", i, res.Level, f.Severity)
		}
		if len(res.Locations) != 1 {
			t.Fatalf("result %d has %d locations", i, len(res.Locations))
		}
		pl := res.Locations[0].PhysicalLocation
		if pl.ArtifactLocation.URI != "policies/prod.hcl" || pl.ArtifactLocation.URIBaseID != "%SRCROOT%" {
			t.Errorf("result %d: artifact %+v", i, pl.ArtifactLocation)
		}
		want := f.Range
		if want.Filename == "" { // falls back to line 1 of the first policy file
			want = hcl.Range{Start: hcl.Pos{Line: 1, Column: 1}}
		}
		if pl.Region.StartLine != want.Start.Line || pl.Region.StartColumn != want.Start.Column ||
			pl.Region.EndLine != want.End.Line || pl.Region.EndColumn != want.End.Column {
			t.Errorf("result %d: region %+v, want %v", i, pl.Region, want)
		}
		if len(res.RelatedLocations) != len(f.Related) {
			t.Errorf("result %d: %d related locations, want %d", i, len(res.RelatedLocations), len(f.Related))
		}
		for j, rl := range res.RelatedLocations {
			if rl.ID != j+1 || rl.Message.Text == "" {
				t.Errorf("result %d related %d: %+v", i, j, rl)
			}
		}
		if !regexp.MustCompile(`^[0-9a-f]{16}:[0-9]+$`).MatchString(res.PartialFingerprints["primaryLocationLineHash"]) {
			t.Errorf("result %d: fingerprint %q", i, res.PartialFingerprints["primaryLocationLineHash"])
		}
		if f.Profile != "" && res.Properties["profile"] != f.Profile {
			t.Errorf("result %d: properties %v", i, res.Properties)
		}
	}

	r.Category = "sentinel-check/prod/"
	if got := decodeSARIF(t, render(t, "sarif", r)).Runs[0].AutomationDetails.ID; got != "sentinel-check/prod/" {
		t.Errorf("category override: automationDetails.id = %q", got)
	}
}

func TestSARIFEmptyRun(t *testing.T) {
	out := render(t, "sarif", cleanResult())
	if !bytes.Contains(out, []byte(`"results": []`)) {
		t.Errorf("a clean run lacks \"results\": []\n%s", out)
	}
	if len(*decodeSARIF(t, out).Runs[0].Results) != 0 {
		t.Error("a clean run has results")
	}
}

// TestSARIFUnknownCheck: a finding of a check missing from Rules still
// resolves its ruleIndex.
func TestSARIFUnknownCheck(t *testing.T) {
	r := cleanResult()
	r.Findings = []checks.Finding{{CheckID: "SC9999", Check: "made-up", Severity: checks.SeverityWarning, Profile: "dev", Message: "x"}}
	log := decodeSARIF(t, render(t, "sarif", r))
	res := (*log.Runs[0].Results)[0]
	rules := log.Runs[0].Tool.Driver.Rules
	if res.RuleIndex == nil || *res.RuleIndex >= len(rules) || rules[*res.RuleIndex].ID != "SC9999" {
		t.Errorf("ruleIndex %v does not resolve to SC9999", res.RuleIndex)
	}
}

// A check the policy turns off is a disabled rule.
func TestSARIFDisabledRule(t *testing.T) {
	r := cleanResult()
	r.Rules[1].Disabled = true
	for i, rule := range decodeSARIF(t, render(t, "sarif", r)).Runs[0].Tool.Driver.Rules {
		if e := rule.DefaultConfiguration.Enabled; e == nil || *e != (i != 1) {
			t.Errorf("rule %s: enabled %v, want %v", rule.ID, e, i != 1)
		}
	}
}

func fingerprintOf(t *testing.T, r *Result) []string {
	t.Helper()
	var out []string
	for _, res := range *decodeSARIF(t, render(t, "sarif", r)).Runs[0].Results {
		out = append(out, res.PartialFingerprints["primaryLocationLineHash"])
	}
	return out
}

func TestFingerprintStability(t *testing.T) {
	one := func(profile, role string, line int) *Result {
		r := cleanResult()
		r.Findings = []checks.Finding{{CheckID: "SC1001", Check: "untracked-session", Severity: checks.SeverityError,
			Profile: profile, Role: role, Message: fmt.Sprintf("%s: message for line %d", profile, line),
			Range: rng(line, 1, line+3, 2)}}
		return r
	}
	base := fingerprintOf(t, one("prod-admin", "", 9))[0]
	if got := fingerprintOf(t, one("prod-admin", "", 40))[0]; got != base {
		t.Errorf("moving the profile block changed the fingerprint: %s -> %s", base, got)
	}
	if got := fingerprintOf(t, one("prod-readonly", "", 9))[0]; got == base {
		t.Errorf("another profile has the same fingerprint %s", got)
	}
	if got := fingerprintOf(t, one("prod-admin", "arn:aws:iam::1:role/X", 9))[0]; got == base {
		t.Errorf("another role has the same fingerprint %s", got)
	}
	// A different check on the same profile is another alert.
	r := one("prod-admin", "", 9)
	r.Findings[0].CheckID = "SC1004"
	if got := fingerprintOf(t, r)[0]; got == base {
		t.Errorf("another check has the same fingerprint %s", got)
	}
	// Reordering findings keeps each one's fingerprint; duplicates of one
	// key are numbered, never merged.
	g := gapsResult()
	before := map[string]string{}
	for i, fp := range fingerprintOf(t, g) {
		before[g.Findings[i].CheckID+"/"+g.Findings[i].Profile+"/"+g.Findings[i].Role] = fp
	}
	for i, j := 0, len(g.Findings)-1; i < j; i, j = i+1, j-1 {
		g.Findings[i], g.Findings[j] = g.Findings[j], g.Findings[i]
	}
	seen := map[string]bool{}
	for i, fp := range fingerprintOf(t, g) {
		key := g.Findings[i].CheckID + "/" + g.Findings[i].Profile + "/" + g.Findings[i].Role
		if before[key] != fp {
			t.Errorf("%s: fingerprint %s after reordering, %s before", key, fp, before[key])
		}
		if seen[fp] {
			t.Errorf("fingerprint %s used twice", fp)
		}
		seen[fp] = true
	}
	// SC2002 about the run is one alert whatever its message says (the
	// window and the sources change every run).
	run1, run2 := one("", "", 9), one("", "", 9)
	run1.Findings[0].CheckID, run2.Findings[0].CheckID = "SC2002", "SC2002"
	run1.Findings[0].Message, run2.Findings[0].Message = "no assume-role call between 2026-10-01 and 2026-10-08", "no assume-role call between 2026-10-02 and 2026-10-09"
	if a, b := fingerprintOf(t, run1)[0], fingerprintOf(t, run2)[0]; a != b {
		t.Errorf("the run's SC2002 changed its fingerprint with the window: %s -> %s", a, b)
	}
	// A policy warning whose message names a position keeps its alert
	// when a line is added above it; another warning gets another.
	w1, w2, w3 := one("", "", 5), one("", "", 6), one("", "", 6)
	w1.Findings[0].CheckID, w2.Findings[0].CheckID, w3.Findings[0].CheckID = "SC0001", "SC0001", "SC0001"
	w1.Findings[0].Message = `role globs overlap those of profile "prod-admin" (policy.hcl:1:1)`
	w2.Findings[0].Message = `role globs overlap those of profile "prod-admin" (policy.hcl:2:1)`
	w3.Findings[0].Message = `role globs overlap those of profile "prod-readonly" (policy.hcl:2:1)`
	if a, b := fingerprintOf(t, w1)[0], fingerprintOf(t, w2)[0]; a != b {
		t.Errorf("a policy warning changed its fingerprint when its line moved: %s -> %s", a, b)
	}
	w4, w5 := one("", "", 5), one("", "", 6)
	w4.Findings[0].CheckID, w5.Findings[0].CheckID = "SC0001", "SC0001"
	w4.Findings[0].Message = `role globs overlap those of profile "prod-admin" (policy.conf:1:1)`
	w5.Findings[0].Message = `role globs overlap those of profile "prod-admin" (policy.conf:2:1)`
	if a, b := fingerprintOf(t, w4)[0], fingerprintOf(t, w5)[0]; a != b {
		t.Errorf("a warning about a policy not named *.hcl changed its fingerprint when its line moved: %s -> %s", a, b)
	}
	if a, b := fingerprintOf(t, w2)[0], fingerprintOf(t, w3)[0]; a == b {
		t.Errorf("two different policy warnings share the fingerprint %s", a)
	}
	dup := one("", "", 9)
	dup.Findings = append(dup.Findings, dup.Findings[0])
	fps := fingerprintOf(t, dup)
	if fps[0] == fps[1] || !strings.HasSuffix(fps[0], ":1") || !strings.HasSuffix(fps[1], ":2") {
		t.Errorf("two findings with one key: fingerprints %v, want :1 and :2", fps)
	}
}

// TestSARIFCap runs 30,000 findings through the formatter: the run keeps
// the first MaxSARIFResults (the most severe, as findings come sorted) and
// says in a run-level notification how many it left out. The multitool's
// GH1004 cannot check this (it is off by default and knows an old limit of
// 1,000), so the count is asserted here; the shape of a capped run is
// validated by the multitool through the capped.sarif golden file.
func TestSARIFCap(t *testing.T) {
	r := manyResult(30000)
	out := render(t, "sarif", r)
	log := decodeSARIF(t, out)
	results := *log.Runs[0].Results
	if len(results) != MaxSARIFResults {
		t.Fatalf("%d results, want the cap %d", len(results), MaxSARIFResults)
	}
	// The most severe are kept, in order.
	for _, i := range []int{0, MaxSARIFResults / 2, MaxSARIFResults - 1} {
		if want := r.Findings[i].Message + "."; results[i].Message.Text != want || results[i].Level != string(r.Findings[i].Severity) {
			t.Errorf("result %d: %s %q, want %s %q", i, results[i].Level, results[i].Message.Text, r.Findings[i].Severity, want)
		}
	}
	var notes []string
	for _, inv := range log.Runs[0].Invocations {
		for _, n := range inv.ToolExecutionNotifications {
			notes = append(notes, n.Level+": "+n.Message.Text)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "warning: 5000 of 30000 findings were left out of this run") {
		t.Errorf("toolExecutionNotifications = %q", notes)
	}
	t.Logf("%d findings -> %d results, %d bytes of SARIF", len(r.Findings), len(results), len(out))
}

// TestSARIFCapOrder: with the cap lowered, unsorted findings still keep
// the most severe, and a run exactly at the cap has no notification.
func TestSARIFCapOrder(t *testing.T) {
	sarifResultCap = 60
	defer func() { sarifResultCap = MaxSARIFResults }()
	r := manyResult(100) // 50 errors, 30 warnings, 20 notes
	slices.Reverse(r.Findings)
	log := decodeSARIF(t, render(t, "sarif", r))
	levels := map[string]int{}
	for _, res := range *log.Runs[0].Results {
		levels[res.Level]++
	}
	if levels["error"] != 50 || levels["warning"] != 10 || levels["note"] != 0 {
		t.Errorf("unsorted findings: kept %v, want the 50 errors and 10 warnings", levels)
	}

	r = manyResult(60)
	log = decodeSARIF(t, render(t, "sarif", r))
	if n := len(*log.Runs[0].Results); n != 60 {
		t.Errorf("60 findings at a cap of 60 -> %d results", n)
	}
	if len(log.Runs[0].Invocations) != 1 || len(log.Runs[0].Invocations[0].ToolExecutionNotifications) != 0 {
		t.Errorf("a run at the cap has notifications: %+v", log.Runs[0].Invocations)
	}
}

// TestSARIFCappedGolden pins a capped run (the cap lowered to 5) so that
// the multitool validates its notification with every other golden file.
func TestSARIFCappedGolden(t *testing.T) {
	sarifResultCap = 5
	defer func() { sarifResultCap = MaxSARIFResults }()
	r := manyResult(8)
	r.Profiles = r.Profiles[:8]
	checkGolden(t, "capped.sarif", render(t, "sarif", r))
}

func TestSARIFText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain."},
		{"ends with a period.", "ends with a period."},
		{"  spaced  ", "spaced."},
		{"[click](1)", `\[click\](1).`},
		{`a\[b]`, `a\\\[b\].`},
		{"esc \x1b[0m", `esc \x1b\[0m.`},
	}
	for _, tt := range tests {
		if got := sarifText(tt.in); got != tt.want {
			t.Errorf("sarifText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A check a policy turns into a note or a warning cannot rank as a High
// alert: its security-severity is capped by the severity in force.
func TestSecuritySeverityCap(t *testing.T) {
	for _, tc := range []struct {
		score string
		sev   checks.Severity
		want  string
	}{
		{"8.0", checks.SeverityError, "8.0"},
		{"8.0", checks.SeverityWarning, "6.9"},
		{"8.0", checks.SeverityNote, "3.9"},
		{"4.0", checks.SeverityWarning, "4.0"},
		{"2.0", checks.SeverityNote, "2.0"},
	} {
		if got := securitySeverity(tc.score, tc.sev); got != tc.want {
			t.Errorf("securitySeverity(%s, %s) = %s, want %s", tc.score, tc.sev, got, tc.want)
		}
	}
}

// A category ends with a slash: code scanning takes it from the id up to
// the last one, so "prod" and "staging" would otherwise be the same.
func TestSARIFCategorySlash(t *testing.T) {
	r := cleanResult()
	r.Category = "prod"
	if out := string(render(t, "sarif", r)); !strings.Contains(out, `"id": "prod/"`) {
		t.Errorf("automationDetails.id of category prod is not prod/:\n%s", out[:min(len(out), 400)])
	}
}
