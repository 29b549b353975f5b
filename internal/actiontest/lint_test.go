package actiontest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sentinel-check/sentinel-check/internal/testsvc"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v4"
)

// shellcheck returns the shellcheck executable. It is required: the
// action's scripts are linted with it (Debian and Ubuntu: apt-get install
// shellcheck; GitHub's Ubuntu runners have it).
func shellcheck(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed: install it (apt-get install -y shellcheck); the tests lint the action's scripts with it")
	}
	return p
}

func workflowFiles(t testing.TB, root string) []string {
	t.Helper()
	var files []string
	for _, ext := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, ".github", "workflows", ext))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) < 2 {
		t.Fatalf("found %d workflows in .github/workflows, want ci.yml and sentinel-check.yml at least", len(files))
	}
	return files
}

// lint runs actionlint (with shellcheck) on one workflow's content, as part
// of the repository so that uses: ./ resolves to the local action.yml.
func lint(t testing.TB, root, path string, content []byte) []*actionlint.Error {
	t.Helper()
	proj, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{
		Shellcheck: shellcheck(t),
		WorkingDir: root,
		Color:      actionlint.ColorOptionKindNever,
	})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(path, content, proj)
	if err != nil {
		t.Fatalf("actionlint on %s: %v", path, err)
	}
	return errs
}

func TestWorkflowsLint(t *testing.T) {
	root := testsvc.RepoRoot(t)
	for _, f := range workflowFiles(t, root) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range lint(t, root, f, src) {
				t.Errorf("%s:%d:%d: %s [%s]", f, e.Line, e.Column, e.Message, e.Kind)
			}
		})
	}
}

// actionAsWorkflow wraps a composite action's steps in a reusable
// workflow whose inputs are the action's, so that actionlint checks the
// steps (expressions, step ids and outputs, shellcheck on the scripts).
// The steps keep their text; lineOf maps a line of the workflow back to
// the action file.
func actionAsWorkflow(t testing.TB, src []byte) (wf []byte, lineOf func(int) int) {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		t.Fatal(err)
	}
	doc := docNode(&root)
	runs := mapValue(doc, "runs")
	if runs == nil {
		t.Fatal("the action has no runs:")
	}
	var stepsLine int
	for i := 0; i+1 < len(runs.Content); i += 2 {
		if runs.Content[i].Value == "steps" {
			stepsLine = runs.Content[i].Line
		}
	}
	lines := strings.Split(string(src), "\n")
	if stepsLine == 0 || strings.TrimSpace(lines[stepsLine-1]) != "steps:" || !strings.HasPrefix(lines[stepsLine-1], "  steps:") {
		t.Fatal("runs.steps must be written as '  steps:' on a line of its own")
	}
	end := len(lines)
	for i := stepsLine; i < len(lines); i++ { // the runs: block ends at the next top-level key
		if l := lines[i]; l != "" && l[0] != ' ' && l[0] != '#' {
			end = i
			break
		}
	}
	var names []string
	for i := 0; i+1 < len(mapValue(doc, "inputs").Content); i += 2 {
		names = append(names, mapValue(doc, "inputs").Content[i].Value)
	}
	var b strings.Builder
	b.WriteString("on:\n  workflow_call:\n    inputs:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "      %s:\n        type: string\n        required: false\n", n)
	}
	b.WriteString("jobs:\n  action:\n    runs-on: ubuntu-latest\n")
	header := strings.Count(b.String(), "\n")
	for _, l := range lines[stepsLine-1 : end] {
		if l != "" {
			b.WriteString("  ")
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return []byte(b.String()), func(wfLine int) int { return wfLine - header - 1 + stepsLine }
}

func lintAction(t testing.TB, root string, src []byte) []string {
	t.Helper()
	wf, lineOf := actionAsWorkflow(t, src)
	var out []string
	for _, e := range lint(t, root, filepath.Join(root, "action.yml"), wf) {
		out = append(out, fmt.Sprintf("action.yml:%d:%d: %s [%s]", lineOf(e.Line), e.Column, e.Message, e.Kind))
	}
	return out
}

func TestActionLint(t *testing.T) {
	root := testsvc.RepoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range lintAction(t, root, src) {
		t.Error(e)
	}
}

// The control: the wrapping must let actionlint see the action's
// mistakes, at the action's own line numbers.
func TestActionLintCatches(t *testing.T) {
	root := testsvc.RepoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from, to, want string
		atRun          bool // actionlint places shellcheck's reports at the run: key
	}{
		{"${{ steps.install.outputs.bin }}", "${{ steps.instal.outputs.bin }}", `property "instal" is not defined`, false},
		{"${{ inputs.fail-on }}", "${{ inputs.fail_on }}", `property "fail_on" is not defined`, false},
		{`"$SC_BIN" "${args[@]}"`, `$SC_BIN ${args[@]}`, "SC2068", true},
	}
	for _, tt := range tests {
		i := bytes.Index(src, []byte(tt.from))
		if i < 0 {
			t.Fatalf("action.yml no longer holds %q: update the control", tt.from)
		}
		line := bytes.Count(src[:i], []byte("\n")) + 1
		if tt.atRun {
			line = bytes.Count(src[:bytes.LastIndex(src[:i], []byte("run: |"))], []byte("\n")) + 1
		}
		broken := bytes.Replace(src, []byte(tt.from), []byte(tt.to), 1)
		found := false
		for _, e := range lintAction(t, root, broken) {
			if strings.Contains(e, tt.want) && strings.HasPrefix(e, "action.yml:"+strconv.Itoa(line)+":") {
				found = true
			}
		}
		if !found {
			t.Errorf("replacing %q at line %d: actionlint did not report %q there:\n%s", tt.from, line, tt.want, strings.Join(lintAction(t, root, broken), "\n"))
		}
	}
}

// runnerVars are the variables the runner gives every run: step;
// PWD is bash's own.
var runnerVars = []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ACTION_PATH", "GITHUB_WORKSPACE", "RUNNER_TEMP", "PWD"}

var envRef = regexp.MustCompile(`\$\{?([A-Z][A-Z0-9_]*)`)

// checkScript runs bash -n and shellcheck (every check, every severity) on
// a run: script, and checks that the upper-case variables it reads are
// the step's env: or the runner's, and that every env: is read. It
// returns the problems found; firstLine is the script's first line in
// action.yml.
func checkScript(t *testing.T, script string, env map[string]string, firstLine int) []string {
	t.Helper()
	var problems []string
	dir := t.TempDir()
	file := filepath.Join(dir, "script.sh")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("bash", "-n", file).CombinedOutput(); err != nil {
		problems = append(problems, fmt.Sprintf("bash -n: %v: %s", err, out))
	}

	declared := map[string]bool{}
	for k := range env {
		declared[k] = true
	}
	for _, v := range runnerVars {
		declared[v] = true
	}
	names := make([]string, 0, len(declared))
	for k := range declared {
		names = append(names, k)
	}
	sort.Strings(names)
	// One line that assigns the environment, so shellcheck knows it
	// (SC2154, unassigned variables, stays on for everything else).
	header := "#!/bin/bash\nset -eo pipefail\nexport " + strings.Join(names, "='' ") + "=''\n"
	full := filepath.Join(dir, "full.sh")
	if err := os.WriteFile(full, []byte(header+script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(shellcheck(t), "--norc", "--shell=bash", "--severity=style", "--format=gcc", full)
	if out, err := cmd.CombinedOutput(); err != nil {
		re := regexp.MustCompile(`(?m)^[^:]+:(\d+):(\d+): (.*)$`)
		ms := re.FindAllStringSubmatch(string(out), -1)
		for _, m := range ms {
			n, _ := strconv.Atoi(m[1])
			problems = append(problems, fmt.Sprintf("action.yml:%d:%s: shellcheck: %s", firstLine+n-strings.Count(header, "\n")-1, m[2], m[3]))
		}
		if len(ms) == 0 {
			problems = append(problems, fmt.Sprintf("shellcheck: %v: %s", err, out))
		}
	}

	used := map[string]bool{}
	for _, m := range envRef.FindAllStringSubmatch(script, -1) {
		used[m[1]] = true
		if !declared[m[1]] {
			problems = append(problems, fmt.Sprintf("the script reads $%s, which is neither in its env: nor set by the runner", m[1]))
		}
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !used[k] {
			problems = append(problems, fmt.Sprintf("env.%s is never read by the script", k))
		}
	}
	return problems
}

func TestActionScripts(t *testing.T) {
	root := testsvc.RepoRoot(t)
	a, err := LoadAction(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	scripts := 0
	for i := range a.Runs.Steps {
		st := &a.Runs.Steps[i]
		if st.Run == "" {
			continue
		}
		scripts++
		// run: | starts the script on the line after the key.
		for _, p := range checkScript(t, st.Run, st.Env, st.RunLine+1) {
			t.Errorf("%s: %s", st.Label(), p)
		}
	}
	if scripts < 3 {
		t.Fatalf("action.yml has %d run: steps, want the build, check and verdict steps", scripts)
	}
}

// The control: each kind of problem is found.
func TestCheckScriptCatches(t *testing.T) {
	tests := []struct {
		script string
		env    map[string]string
		want   string
	}{
		{"echo $SC_X\n", map[string]string{"SC_X": ""}, "action.yml:1:6: shellcheck: note: Double quote to prevent globbing and word splitting. [SC2086]"},
		{"echo \"$SC_TYPO\"\n", nil, "the script reads $SC_TYPO"},
		{"echo \"$SC_X\"\n", map[string]string{"SC_X": "", "SC_Y": ""}, "env.SC_Y is never read"},
		{"if [ x; then\n", nil, "bash -n"},
		{"true\necho \"$undefined_local\"\n", nil, "action.yml:2:7: shellcheck: warning: undefined_local is referenced but not assigned. [SC2154]"},
	}
	for _, tt := range tests {
		got := checkScript(t, tt.script, tt.env, 1)
		if !strings.Contains(strings.Join(got, "\n"), tt.want) {
			t.Errorf("checkScript(%q) = %q, want a problem containing %q", tt.script, got, tt.want)
		}
	}
	if got := checkScript(t, "echo \"$SC_X\" >> \"$GITHUB_OUTPUT\"\n", map[string]string{"SC_X": ""}, 1); len(got) > 0 {
		t.Errorf("a clean script has problems: %q", got)
	}
}
