package actiontest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

// runCLI runs the built sentinel-check and returns its exit code and
// combined output.
func runCLI(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(cli(t), args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		t.Fatalf("run sentinel-check: %v", err)
	}
	return 0, string(out)
}

// checkExample runs check on policy with the example's activity and
// session records, and returns the SARIF log's path.
func checkExample(t *testing.T, policy string) string {
	t.Helper()
	root := testsvc.RepoRoot(t)
	dir := filepath.Dir(policy)
	out := filepath.Join(dir, "out.sarif")
	code, console := runCLI(t, dir, "check", "--policy", policy,
		"--cloudtrail", filepath.Join(root, "examples", "cloudtrail"),
		"--sessions", filepath.Join(root, "examples", "sessions.jsonl"),
		"--since", exampleInputs["since"], "--until", exampleInputs["until"],
		"--base-dir", dir, "--category", "sentinel-check/", "--format", "sarif="+out)
	if code != 1 {
		t.Fatalf("check on %s exited %d, want 1 (findings):\n%s", policy, code, console)
	}
	return out
}

// moveBlock cuts the block that starts with header (a line of its own,
// up to the closing brace at column 0, plus the blank line before it) and
// returns the source without it and the block.
func moveBlock(t *testing.T, src, header string) (rest, block string) {
	t.Helper()
	re := regexp.MustCompile(`(?ms)\n?^` + regexp.QuoteMeta(header) + ` \{\n.*?^\}\n`)
	locs := re.FindAllStringIndex(src, -1)
	if len(locs) != 1 {
		t.Fatalf("the example policy has %d blocks %q, want 1: update the test", len(locs), header)
	}
	l := locs[0]
	return src[:l[0]] + src[l[1]:], strings.TrimLeft(src[l[0]:l[1]], "\n")
}

type findingKey struct{ rule, profile, role string }

func fingerprints(t *testing.T, doc *sarifDoc) (map[findingKey]string, map[findingKey]int) {
	t.Helper()
	fps, lines := map[findingKey]string{}, map[findingKey]int{}
	seen := map[string]findingKey{}
	for _, r := range doc.Runs[0].Results {
		k := findingKey{r.RuleID, r.Properties.Profile, r.Properties.Role}
		fp := r.PartialFingerprints["primaryLocationLineHash"]
		if fp == "" {
			t.Errorf("result %v has no primaryLocationLineHash", k)
		}
		if other, dup := seen[fp]; dup {
			t.Errorf("results %v and %v share the fingerprint %s", other, k, fp)
		}
		seen[fp] = k
		if _, dup := fps[k]; dup {
			t.Errorf("two results for %v", k)
		}
		fps[k] = fp
		if len(r.Locations) > 0 {
			lines[k] = r.Locations[0].PhysicalLocation.Region.StartLine
		}
	}
	return fps, lines
}

// Fingerprints identify (check, profile, role), not lines: reordering the
// policy's unrelated blocks and shifting every line keeps every alert.
func TestSARIFFingerprintsSurviveReordering(t *testing.T) {
	root := testsvc.RepoRoot(t)
	orig, err := os.ReadFile(filepath.Join(root, "examples", "policy.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(orig)
	src, check := moveBlock(t, src, `check "untracked-session"`)
	src, audit := moveBlock(t, src, `profile "audit"`)
	src, trail := moveBlock(t, src, "cloudtrail")
	// The audit profile's globs overlap no other profile's, so its place
	// in the file does not change which profile a role maps to.
	reordered := "\n\n# The same policy, blocks moved.\n\n" + check + "\n\n\n" + src + "\n" + audit + "\n" + trail

	dirA, dirB := t.TempDir(), t.TempDir()
	for dir, text := range map[string]string{dirA: string(orig), dirB: reordered} {
		if err := os.WriteFile(filepath.Join(dir, "policy.hcl"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := readSARIF(t, checkExample(t, filepath.Join(dirA, "policy.hcl")))
	b := readSARIF(t, checkExample(t, filepath.Join(dirB, "policy.hcl")))
	fpA, linesA := fingerprints(t, a)
	fpB, linesB := fingerprints(t, b)
	if len(fpA) != exampleFindings {
		t.Fatalf("the example has %d results, want %d", len(fpA), exampleFindings)
	}
	moved := 0
	for k, fp := range fpA {
		if fpB[k] != fp {
			t.Errorf("%v: fingerprint %q after reordering, %q before", k, fpB[k], fp)
		}
		if linesA[k] != linesB[k] {
			moved++
		}
	}
	for k := range fpB {
		if _, ok := fpA[k]; !ok {
			t.Errorf("%v appears only after reordering", k)
		}
	}
	if moved == 0 {
		t.Error("no result changed its line: the reordering proves nothing")
	}
}

// What check and validate write is SARIF that GitHub accepts.
func TestSARIFMultitool(t *testing.T) {
	root := testsvc.RepoRoot(t)
	t.Run("check", func(t *testing.T) {
		dir := t.TempDir()
		policy := filepath.Join(dir, "policy.hcl")
		b, err := os.ReadFile(filepath.Join(root, "examples", "policy.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(policy, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out := checkExample(t, policy)
		if n := len(readSARIF(t, out).Runs[0].Results); n != exampleFindings {
			t.Fatalf("%d results, want %d", n, exampleFindings)
		}
		testsvc.RequireValidSARIF(t, out)
	})
	t.Run("validate", func(t *testing.T) {
		dir := t.TempDir()
		policy := filepath.Join(dir, "policy.hcl")
		src := `profile "p" {
  role_arns = ["arn:aws:iam::111122223333:role/P"]
  colour    = "blue"
}

rule "r" {
  effect = "bogus"
  time {
    timezone = "Mars/Olympus_Mons"
  }
}
`
		if err := os.WriteFile(policy, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "policy.sarif")
		code, console := runCLI(t, dir, "validate", "--policy", policy, "--base-dir", dir, "--format", "sarif="+out)
		if code != 2 {
			t.Fatalf("validate exited %d, want 2 (policy errors):\n%s", code, console)
		}
		doc := readSARIF(t, out)
		if len(doc.Runs[0].Results) < 2 {
			t.Fatalf("validate's SARIF has %d results, want one per error (at least 2):\n%s", len(doc.Runs[0].Results), console)
		}
		for _, r := range doc.Runs[0].Results {
			if r.RuleID != "SC0001" {
				t.Errorf("validate reported rule %s, want SC0001", r.RuleID)
			}
			if len(r.Locations) == 0 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI != "policy.hcl" || r.Locations[0].PhysicalLocation.Region.StartLine < 2 {
				t.Errorf("an SC0001 result is not at its diagnostic in policy.hcl: %+v", r.Locations)
			}
		}
		testsvc.RequireValidSARIF(t, out)
	})
}

// The control: a result without a location is an error for GitHub, and
// validateSARIF must see it, or the test above proves nothing.
func TestSARIFMultitoolCatchesErrors(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.hcl")
	b, err := os.ReadFile(filepath.Join(testsvc.RepoRoot(t), "examples", "policy.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(policy, b, 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(checkExample(t, policy))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	res := doc["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
	delete(res, "locations")
	broken, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "broken.sarif")
	if err := os.WriteFile(file, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	if testsvc.SARIFErrors(testsvc.ValidateSARIF(t, file)) == 0 {
		t.Fatal("the multitool reported no error for a result without a location")
	}
}
