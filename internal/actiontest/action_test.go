package actiontest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

// The bundled example's window and what the check finds in it (see
// examples/ and the CLI's scenario tests).
var exampleInputs = map[string]string{
	"policy":   "examples/policy.hcl",
	"sessions": "examples/sessions.jsonl",
	"since":    "2026-11-16T00:00:00Z",
	"until":    "2026-11-23T00:00:00Z",
}

const exampleFindings = 6

// runAction runs the repository's action.yml in a fresh workspace that
// holds a copy of examples/, with the example's inputs overridden by with
// (an empty value removes an input).
func runAction(t *testing.T, with map[string]string, prepare func(ws string)) (*Result, string) {
	t.Helper()
	root := testsvc.RepoRoot(t)
	a, err := LoadAction(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	copyTree(t, filepath.Join(root, "examples"), filepath.Join(ws, "examples"))
	if prepare != nil {
		prepare(ws)
	}
	in := map[string]string{}
	for k, v := range exampleInputs {
		in[k] = v
	}
	for k, v := range with {
		if v == "" {
			delete(in, k)
			continue
		}
		in[k] = v
	}
	rn := &Runner{ActionPath: root, Workspace: ws, Temp: runnerTemp(t), With: in}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := rn.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return res, ws
}

// verdict is the last step's result.
func verdict(t *testing.T, res *Result) *StepResult {
	t.Helper()
	last := &res.Steps[len(res.Steps)-1]
	if last.Step.Name != "Verdict" {
		t.Fatalf("the last step is %s, want the verdict", last.Step.Label())
	}
	if !last.Ran {
		t.Fatal("the verdict step did not run")
	}
	return last
}

var annotation = regexp.MustCompile(`(?m)^::(error|warning|notice) file=examples/policy\.hcl,line=\d+,endLine=\d+,`)

func TestActionExample(t *testing.T) {
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatal("jq is not installed: install it (apt-get install -y jq); the action reads the findings count with it, as on GitHub's runners")
	}
	for _, soft := range []string{"false", "true"} {
		t.Run("soft-fail="+soft, func(t *testing.T) {
			with := map[string]string{"soft-fail": soft}
			if soft == "true" {
				// Surrounding blanks and blank lines in a list input are ignored.
				with["policy"] = "  examples/policy.hcl  \n\n"
			}
			res, ws := runAction(t, with, nil)

			setup := res.Steps[0]
			if !setup.Ran || !strings.HasPrefix(setup.Step.Uses, "actions/setup-go@") {
				t.Errorf("first step: %s ran=%v, want actions/setup-go", setup.Step.Uses, setup.Ran)
			}
			if setup.With["go-version"] != "1.26.x" {
				t.Errorf("setup-go go-version = %q, want the pinned default 1.26.x", setup.With["go-version"])
			}

			if install := res.Step("install"); install.ExitCode != 0 {
				t.Fatalf("the install step failed:\n%s%s", install.Stdout, install.Stderr)
			}
			check := res.Step("check")
			if check.ExitCode != 0 {
				t.Fatalf("the check step itself failed (%d): it must capture the exit code\n%s%s", check.ExitCode, check.Stdout, check.Stderr)
			}
			wantSARIF := filepath.Join(ws, "sentinel-check.sarif")
			want := map[string]string{"exit-code": "1", "findings": "6", "sarif-file": wantSARIF}
			for k, v := range want {
				if check.Outputs[k] != v {
					t.Errorf("GITHUB_OUTPUT %s = %q, want %q", k, check.Outputs[k], v)
				}
				if res.Outputs[k] != v {
					t.Errorf("action output %s = %q, want %q", k, res.Outputs[k], v)
				}
			}
			doc := readSARIF(t, check.Outputs["sarif-file"])
			run := doc.Runs[0]
			if len(run.Results) != exampleFindings {
				t.Errorf("SARIF has %d results, want %d", len(run.Results), exampleFindings)
			}
			if run.AutomationDetails.ID != "sentinel-check/" {
				t.Errorf("automationDetails.id = %q, want the category with its slash, sentinel-check/", run.AutomationDetails.ID)
			}
			for _, r := range run.Results {
				if len(r.Locations) == 0 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI != "examples/policy.hcl" {
					t.Errorf("result %s is not located at examples/policy.hcl (relative to the workspace): %+v", r.RuleID, r.Locations)
				}
			}
			var js struct {
				Summary struct{ Findings int } `json:"summary"`
			}
			if b, err := os.ReadFile(check.Outputs["json-file"]); err != nil || json.Unmarshal(b, &js) != nil || js.Summary.Findings != exampleFindings {
				t.Errorf("json-file %q: %v, summary.findings %d", check.Outputs["json-file"], err, js.Summary.Findings)
			}

			for _, s := range []string{"## sentinel-check: FAIL", "| Profile | Roles | Sessions | Tracked | Findings | Verdict |", "| prod-admin |", "### Findings (6)"} {
				if !strings.Contains(res.Summary, s) {
					t.Errorf("the step summary lacks %q:\n%s", s, res.Summary)
				}
			}
			if n := len(annotation.FindAllString(check.Stdout, -1)); n != exampleFindings {
				t.Errorf("printed %d annotations, want %d:\n%s", n, exampleFindings, check.Stdout)
			}

			upload := res.Steps[len(res.Steps)-2]
			if !upload.Ran || !strings.HasPrefix(upload.Step.Uses, "github/codeql-action/upload-sarif@") {
				t.Fatalf("the upload step (%s) did not run", upload.Step.Uses)
			}
			if upload.With["sarif_file"] != wantSARIF || upload.With["category"] != "sentinel-check" {
				t.Errorf("upload-sarif with %v, want sarif_file %s and category sentinel-check", upload.With, wantSARIF)
			}

			v := verdict(t, res)
			if soft == "true" {
				if v.ExitCode != 0 || res.Failed || !strings.Contains(v.Stdout, "::warning title=sentinel-check::6 findings") {
					t.Errorf("soft-fail: verdict exit %d, job failed %v, output %q; want a warning and success", v.ExitCode, res.Failed, v.Stdout)
				}
			} else if v.ExitCode != 1 || !res.Failed || !strings.Contains(v.Stdout, "::error title=sentinel-check::6 findings") {
				t.Errorf("verdict exit %d, job failed %v, output %q; want an error and exit 1", v.ExitCode, res.Failed, v.Stdout)
			}
		})
	}
}

func TestActionOutcomes(t *testing.T) {
	badPolicy := func(ws string) {
		src := "profile \"p\" {\n  role_arns = [\"arn:aws:iam::111122223333:role/P\"]\n}\n\nrule \"r\" {\n  effect = \"bogus\"\n}\n"
		if err := os.WriteFile(filepath.Join(ws, "policy.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name        string
		with        map[string]string
		prepare     func(ws string)
		exitCode    string // the check's exit-code output ("" = the check did not run)
		verdictCode int
		uploaded    bool
		say         string // in the verdict's output
	}{
		{name: "policy error fails despite soft-fail", with: map[string]string{"policy": "policy.hcl", "soft-fail": "true"},
			prepare: badPolicy, exitCode: "2", verdictCode: 2, say: "::error title=sentinel-check::usage or policy error (exit code 2)"},
		{name: "unreadable source fails despite soft-fail", with: map[string]string{"cloudtrail": "no/such/folder", "soft-fail": "true"},
			exitCode: "3", verdictCode: 3, say: "::error title=sentinel-check::a source could not be read, or a report not written (exit code 3)"},
		{name: "bad fail-on is a usage error", with: map[string]string{"fail-on": "critical"},
			exitCode: "2", verdictCode: 2, say: "exit code 2"},
		{name: "fail-on none passes with findings", with: map[string]string{"fail-on": "none"},
			exitCode: "0", verdictCode: 0, uploaded: true, say: "sentinel-check passed (fail-on: none, findings: 6)"},
		{name: "no upload when disabled", with: map[string]string{"upload-sarif": "false", "soft-fail": "TRUE"},
			exitCode: "1", verdictCode: 0, say: "soft-fail is on"},
		{name: "bad boolean input", with: map[string]string{"soft-fail": "yes\n::error::injected"},
			exitCode: "", verdictCode: 1, say: "the check did not run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := runAction(t, tt.with, tt.prepare)
			check := res.Step("check")
			if got := res.Outputs["exit-code"]; got != tt.exitCode {
				t.Errorf("exit-code = %q, want %q\n%s%s", got, tt.exitCode, check.Stdout, check.Stderr)
			}
			if check.Ran && check.ExitCode != 0 {
				t.Errorf("the check step itself failed (%d)", check.ExitCode)
			}
			upload := res.Steps[len(res.Steps)-2]
			if upload.Ran != tt.uploaded {
				t.Errorf("upload ran = %v, want %v", upload.Ran, tt.uploaded)
			}
			if (tt.exitCode == "2" || tt.exitCode == "3") && (res.Outputs["sarif-file"] != "" || res.Outputs["findings"] != "") {
				t.Errorf("after exit code %s: sarif-file %q, findings %q; want both empty", tt.exitCode, res.Outputs["sarif-file"], res.Outputs["findings"])
			}
			if tt.exitCode == "2" && !strings.Contains(res.Summary, "did not finish (exit code 2)") {
				t.Errorf("the step summary does not say the check did not finish:\n%s", res.Summary)
			}
			v := verdict(t, res)
			if v.ExitCode != tt.verdictCode || res.Failed != (tt.verdictCode != 0) {
				t.Errorf("verdict exit %d (job failed %v), want %d\n%s", v.ExitCode, res.Failed, tt.verdictCode, v.Stdout)
			}
			if !strings.Contains(v.Stdout, tt.say) {
				t.Errorf("the verdict says %q, want %q", v.Stdout, tt.say)
			}
		})
	}
}

// The tuning inputs reach the check as their flags: valid values give the
// example's result, and each bad one the check's usage error, which names
// the flag.
func TestActionTuningInputs(t *testing.T) {
	t.Run("valid values", func(t *testing.T) {
		with := map[string]string{"temp-dir": "spill", "event-buffer": "64KiB", "aws-timeout": "30s",
			"max-decompressed": "1GiB", "max-record-bytes": "8MiB", "s3-downloads": "16"}
		res, _ := runAction(t, with, func(ws string) {
			if err := os.Mkdir(filepath.Join(ws, "spill"), 0o755); err != nil {
				t.Fatal(err)
			}
		})
		check := res.Step("check")
		if res.Outputs["exit-code"] != "1" || res.Outputs["findings"] != "6" {
			t.Errorf("exit-code %q, findings %q; want 1 and 6\n%s%s", res.Outputs["exit-code"], res.Outputs["findings"], check.Stdout, check.Stderr)
		}
	})
	bad := []struct{ input, value, say string }{
		{"temp-dir", "no/such/folder", "--temp-dir no/such/folder: no such folder"},
		{"event-buffer", "1KiB", "--event-buffer 1024: want 64KiB to 1GiB"},
		{"aws-timeout", "0s", "--aws-timeout 0s: want a positive duration"},
		{"max-decompressed", "lots", "--max-decompressed"},
		{"max-record-bytes", "-1", "--max-record-bytes"},
		{"s3-downloads", "2000", "--s3-downloads 2000: want 0 to 1024"},
	}
	for _, tt := range bad {
		t.Run(tt.input, func(t *testing.T) {
			res, _ := runAction(t, map[string]string{tt.input: tt.value}, nil)
			check := res.Step("check")
			if res.Outputs["exit-code"] != "2" {
				t.Errorf("exit-code %q, want 2\n%s%s", res.Outputs["exit-code"], check.Stdout, check.Stderr)
			}
			if !strings.Contains(check.Stderr, tt.say) {
				t.Errorf("the check said %q, want it to name %q", check.Stderr, tt.say)
			}
		})
	}
}

// A bad input value is named in an annotation whose data is escaped, so
// the value cannot start a workflow command of its own.
func TestActionEscapesBadInputs(t *testing.T) {
	res, _ := runAction(t, map[string]string{"soft-fail": "yes\n::error::injected%"}, nil)
	install := res.Step("install")
	if install.ExitCode == 0 {
		t.Fatal("the install step accepted soft-fail: yes")
	}
	want := `::error title=sentinel-check::input soft-fail is "yes%0A::error::injected%25": use true or false`
	if strings.TrimSpace(install.Stdout) != want {
		t.Errorf("install step printed %q, want %q", install.Stdout, want)
	}
	res, _ = runAction(t, map[string]string{"version": "v1.0.0 && curl evil"}, nil)
	install = res.Step("install")
	if install.ExitCode == 0 || !strings.Contains(install.Stdout, "use a release tag such as v1.2.3, or latest") {
		t.Errorf("a malformed version was accepted: exit %d, %q", install.ExitCode, install.Stdout)
	}
}

// List inputs become repeated flags, split on blanks, commas and newlines
// (empty values between two commas are dropped),
// and a glob in a profile list is never expanded against the workspace.
func TestActionListInputs(t *testing.T) {
	res, _ := runAction(t, map[string]string{"profiles": "prod-*,,\n staging-dev,", "soft-fail": "true"}, func(ws string) {
		if err := os.WriteFile(filepath.Join(ws, "prod-x"), nil, 0o644); err != nil { // a file the glob would match
			t.Fatal(err)
		}
	})
	check := res.Step("check")
	b, err := os.ReadFile(check.Outputs["json-file"])
	if err != nil {
		t.Fatalf("no JSON report: %v\n%s%s", err, check.Stdout, check.Stderr)
	}
	var js struct {
		Profiles []struct{ Profile string } `json:"profiles"`
	}
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range js.Profiles {
		got = append(got, p.Profile)
	}
	if want := []string{"prod-admin", "prod-readonly", "staging-dev"}; !slices.Equal(got, want) {
		t.Errorf("profiles reported %v, want %v", got, want)
	}
}

// sarif-file is relative to the workspace, in a folder that need not
// exist, and must be one line: it is written to GITHUB_OUTPUT.
func TestActionSARIFFile(t *testing.T) {
	res, ws := runAction(t, map[string]string{"sarif-file": "reports/access.sarif", "soft-fail": "true"}, nil)
	want := filepath.Join(ws, "reports", "access.sarif")
	if got := res.Outputs["sarif-file"]; got != want {
		t.Fatalf("sarif-file = %q, want %q", got, want)
	}
	readSARIF(t, want)

	// A named pipe as sarif-file is written to, never removed or replaced
	// (nor is /dev/null: the step removed it before the check ran).
	var drained sync.WaitGroup
	res, ws = runAction(t, map[string]string{"sarif-file": "pipe.sarif", "soft-fail": "true"}, func(ws string) {
		p := filepath.Join(ws, "pipe.sarif")
		if err := mkfifo(p); err != nil {
			t.Skipf("cannot make a named pipe: %v", err)
		}
		drained.Add(1)
		go func() { // the reader the CLI's writer waits for
			defer drained.Done()
			if f, err := os.Open(p); err == nil {
				_, _ = io.Copy(io.Discard, f)
				f.Close()
			}
		}()
	})
	done := make(chan struct{})
	go func() { drained.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("nothing was written to the named pipe given as sarif-file (was it removed?)")
	}
	if fi, err := os.Lstat(filepath.Join(ws, "pipe.sarif")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the named pipe given as sarif-file was removed or replaced: %v, %v", fi, err)
	}
	if res.Outputs["exit-code"] != "1" || res.Outputs["sarif-file"] != "" {
		t.Errorf("outputs %v: want exit-code 1 and no sarif-file to upload (not a regular file)", res.Outputs)
	}

	// A report that cannot be written ends the check with exit code 3: no
	// annotation or summary of its findings is published (they were
	// printed before the failure).
	res, _ = runAction(t, map[string]string{"sarif-file": "examples/policy.hcl/out.sarif", "soft-fail": "true"}, nil)
	check := res.Step("check")
	if res.Outputs["exit-code"] != "3" || strings.Contains(check.Stdout, "::error file=") || strings.Contains(check.Stdout, "::warning file=") ||
		!strings.Contains(res.Summary, "did not finish (exit code 3)") {
		t.Errorf("a report that could not be written: outputs %v, stdout %q, summary %q", res.Outputs, check.Stdout, res.Summary)
	}

	// sarif-file naming one of the run's inputs: the check refuses to
	// replace it (exit 2), and the input is still there, unchanged.
	for _, input := range []string{"examples/sessions.jsonl", "examples/policy.hcl"} {
		before, err := os.ReadFile(filepath.Join(testsvc.RepoRoot(t), input))
		if err != nil {
			t.Fatal(err)
		}
		res, ws = runAction(t, map[string]string{"sarif-file": input, "soft-fail": "true"}, nil)
		after, err := os.ReadFile(filepath.Join(ws, input))
		if res.Outputs["exit-code"] != "2" || res.Outputs["sarif-file"] != "" || err != nil || !bytes.Equal(after, before) {
			t.Errorf("sarif-file %s (an input): outputs %v, input after the run %d bytes (%v), want exit-code 2 and the input unchanged", input, res.Outputs, len(after), err)
		}
	}
	// A SARIF log an earlier step left at sarif-file is removed when the
	// check does not finish, so that no later step uploads it as this
	// run's result.
	res, ws = runAction(t, map[string]string{"sarif-file": "stale.sarif", "sessions": "missing.jsonl", "soft-fail": "true"}, func(ws string) {
		if err := os.WriteFile(filepath.Join(ws, "stale.sarif"), []byte("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": []\n}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := os.Lstat(filepath.Join(ws, "stale.sarif")); res.Outputs["exit-code"] != "3" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a stale SARIF log after a check that did not finish: outputs %v, file %v; want exit-code 3 and the file removed", res.Outputs, err)
	}

	res, _ = runAction(t, map[string]string{"sarif-file": "a.sarif\nexit-code=0"}, nil)
	install := res.Step("install")
	if install.ExitCode == 0 || !strings.Contains(install.Stdout, `input sarif-file is "a.sarif%0Aexit-code=0": give a file name on one line`) {
		t.Errorf("a two-line sarif-file was accepted: exit %d, %q", install.ExitCode, install.Stdout)
	}
	if res.Outputs["exit-code"] != "" {
		t.Errorf("exit-code = %q after a rejected input, want empty", res.Outputs["exit-code"])
	}
}
