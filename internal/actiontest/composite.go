// Package actiontest runs a composite GitHub Action's steps on this machine
// the way the Actions runner does, so tests can execute action.yml for
// real: inputs with their defaults, ${{ }} expressions, step conditions,
// GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and bash with the runner's flags.
// uses: steps are not run; their evaluated with: inputs are recorded.
package actiontest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v4"
)

// Action is the part of an action's metadata file that the runner uses.
type Action struct {
	Name    string            `yaml:"name"`
	Inputs  map[string]Input  `yaml:"inputs"`
	Outputs map[string]Output `yaml:"outputs"`
	Runs    struct {
		Using string `yaml:"using"`
		Steps []Step `yaml:"steps"`
	} `yaml:"runs"`
}

// Input is one declared input.
type Input struct {
	Description string  `yaml:"description"`
	Required    bool    `yaml:"required"`
	Default     *string `yaml:"default"`
}

// Output is one declared output of a composite action.
type Output struct {
	Description string `yaml:"description"`
	Value       string `yaml:"value"`
}

// Step is one step of a composite action.
type Step struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	Env              map[string]string `yaml:"env"`
	Shell            string            `yaml:"shell"`
	Run              string            `yaml:"run"`
	WorkingDirectory string            `yaml:"working-directory"`
	ContinueOnError  string            `yaml:"continue-on-error"`
	// Line is the step's line in the metadata file.
	Line int `yaml:"-"`
	// RunLine is the line of the run: key (0 without one).
	RunLine int `yaml:"-"`
}

// Label names the step in messages.
func (s *Step) Label() string {
	switch {
	case s.Name != "":
		return fmt.Sprintf("step %q (line %d)", s.Name, s.Line)
	case s.ID != "":
		return fmt.Sprintf("step %s (line %d)", s.ID, s.Line)
	}
	return fmt.Sprintf("step at line %d", s.Line)
}

// LoadAction reads and decodes an action metadata file. Only composite
// actions with the keys the runner understands are accepted.
func LoadAction(path string) (*Action, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the action: %w", err)
	}
	return ParseAction(src)
}

// ParseAction decodes action metadata.
func ParseAction(src []byte) (*Action, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, fmt.Errorf("parse the action: %w", err)
	}
	var a Action
	if err := root.Decode(&a); err != nil {
		return nil, fmt.Errorf("decode the action: %w", err)
	}
	if a.Runs.Using != "composite" {
		return nil, fmt.Errorf("runs.using is %q: only composite actions can be run", a.Runs.Using)
	}
	steps := mapValue(mapValue(docNode(&root), "runs"), "steps")
	if steps == nil || len(steps.Content) != len(a.Runs.Steps) {
		return nil, errors.New("runs.steps is missing or not a list")
	}
	known := map[string]bool{"id": true, "name": true, "if": true, "uses": true, "with": true, "env": true,
		"shell": true, "run": true, "working-directory": true, "continue-on-error": true}
	for i, n := range steps.Content {
		st := &a.Runs.Steps[i]
		st.Line = n.Line
		for k := 0; k+1 < len(n.Content); k += 2 {
			key := n.Content[k].Value
			if !known[key] {
				return nil, fmt.Errorf("%s: key %q is not supported by this runner", st.Label(), key)
			}
			if key == "run" {
				st.RunLine = n.Content[k].Line
			}
		}
		if (st.Uses == "") == (st.Run == "") {
			return nil, fmt.Errorf("%s: a step has either uses: or run:", st.Label())
		}
		if st.Run != "" && st.Shell != "bash" {
			return nil, fmt.Errorf("%s: shell is %q: this runner runs bash steps only", st.Label(), st.Shell)
		}
		if st.ContinueOnError != "" {
			return nil, fmt.Errorf("%s: continue-on-error is not supported by this runner", st.Label())
		}
	}
	return &a, nil
}

func docNode(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return n.Content[0]
	}
	return n
}

// mapValue returns the value of key in a mapping node (nil if absent).
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Runner runs a composite action's steps.
type Runner struct {
	// ActionPath is the action's folder (GITHUB_ACTION_PATH, github.action_path).
	ActionPath string
	// Workspace is the checkout (GITHUB_WORKSPACE, github.workspace) and the
	// working directory of run: steps.
	Workspace string
	// Temp is RUNNER_TEMP (runner.temp).
	Temp string
	// With are the inputs the workflow passes.
	With map[string]string
	// Env is the environment of run: steps before the runner's variables
	// are added; nil means this process's environment. Variables that
	// belong to a real runner (GITHUB_*, RUNNER_*, INPUT_*, ACTIONS_*) are
	// always removed from it first.
	Env []string
}

// StepResult is what happened to one step.
type StepResult struct {
	Step *Step
	// Ran is false when the step's condition was false.
	Ran bool
	// With are a uses: step's inputs, evaluated (the step itself is not run).
	With map[string]string
	// Env is a run: step's env:, evaluated.
	Env map[string]string
	// ExitCode is the bash exit status of a run: step.
	ExitCode int
	// Stdout and Stderr are a run: step's output.
	Stdout, Stderr string
	// Outputs are what the step wrote to GITHUB_OUTPUT.
	Outputs map[string]string
}

// Result is the outcome of running an action.
type Result struct {
	Steps []StepResult
	// Outputs are the action's outputs, evaluated after the last step.
	Outputs map[string]string
	// Summary is everything the steps appended to GITHUB_STEP_SUMMARY.
	Summary string
	// Failed is true when a step failed, as the job would show it.
	Failed bool
}

// Step returns the result of the step with the given id.
func (r *Result) Step(id string) *StepResult {
	for i := range r.Steps {
		if r.Steps[i].Step.ID == id {
			return &r.Steps[i]
		}
	}
	return nil
}

// Run runs every step of a in order. A step that fails makes the job
// failed; later steps run only when their condition allows it (always()).
// The error reports a problem with the action or the runner itself, not a
// failing step.
func (rn *Runner) Run(ctx context.Context, a *Action) (*Result, error) {
	ctxt := &Context{
		Inputs: map[string]string{},
		Github: map[string]string{"workspace": rn.Workspace, "action_path": rn.ActionPath},
		Runner: map[string]string{"temp": rn.Temp, "os": "Linux"},
		Steps:  map[string]map[string]string{},
	}
	for _, st := range a.Runs.Steps {
		if st.ID != "" {
			ctxt.Steps[st.ID] = nil
		}
	}
	for name := range rn.With {
		if _, ok := a.Inputs[name]; !ok {
			return nil, fmt.Errorf("input %q is not declared by the action", name)
		}
	}
	names := make([]string, 0, len(a.Inputs))
	for name := range a.Inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		in := a.Inputs[name]
		v, given := rn.With[name]
		if !given {
			if in.Default == nil && in.Required {
				return nil, fmt.Errorf("input %q is required", name)
			}
			if in.Default != nil {
				d, err := ctxt.Interpolate(*in.Default)
				if err != nil {
					return nil, fmt.Errorf("default of input %q: %w", name, err)
				}
				v = d
			}
		}
		ctxt.Inputs[strings.ToLower(name)] = v
	}

	res := &Result{}
	var summary strings.Builder
	for i := range a.Runs.Steps {
		st := &a.Runs.Steps[i]
		sr := StepResult{Step: st}
		ok, err := ctxt.Condition(st.If)
		if err != nil {
			return nil, fmt.Errorf("%s: if: %w", st.Label(), err)
		}
		if !ok {
			res.Steps = append(res.Steps, sr)
			continue
		}
		sr.Ran = true
		if st.Uses != "" {
			sr.With = map[string]string{}
			for k, v := range st.With {
				if sr.With[k], err = ctxt.Interpolate(v); err != nil {
					return nil, fmt.Errorf("%s: with.%s: %w", st.Label(), k, err)
				}
			}
			res.Steps = append(res.Steps, sr)
			continue
		}
		if err := rn.runStep(ctx, ctxt, &sr, &summary); err != nil {
			return nil, err
		}
		if sr.ExitCode != 0 {
			ctxt.Failed = true
		}
		if st.ID != "" {
			ctxt.Steps[st.ID] = sr.Outputs
		}
		res.Steps = append(res.Steps, sr)
	}
	res.Failed = ctxt.Failed
	res.Summary = summary.String()
	res.Outputs = map[string]string{}
	for name, out := range a.Outputs {
		v, err := ctxt.Interpolate(out.Value)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", name, err)
		}
		res.Outputs[name] = v
	}
	return res, nil
}

// runnerOwned reports whether an environment variable belongs to a real
// runner and must not leak into the simulated one.
func runnerOwned(kv string) bool {
	for _, p := range []string{"GITHUB_", "RUNNER_", "INPUT_", "ACTIONS_"} {
		if strings.HasPrefix(kv, p) {
			return true
		}
	}
	return false
}

func (rn *Runner) runStep(ctx context.Context, c *Context, sr *StepResult, summary *strings.Builder) error {
	st := sr.Step
	dir, err := os.MkdirTemp(rn.Temp, "step-")
	if err != nil {
		return fmt.Errorf("%s: %w", st.Label(), err)
	}
	defer os.RemoveAll(dir)
	files := map[string]string{}
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE"} {
		files[name] = filepath.Join(dir, strings.ToLower(name))
		if err := os.WriteFile(files[name], nil, 0o644); err != nil {
			return fmt.Errorf("%s: %w", st.Label(), err)
		}
	}
	script := filepath.Join(dir, "script.sh")
	if err := os.WriteFile(script, []byte(st.Run), 0o644); err != nil {
		return fmt.Errorf("%s: %w", st.Label(), err)
	}

	base := rn.Env
	if base == nil {
		base = os.Environ()
	}
	var env []string
	for _, kv := range base {
		if !runnerOwned(kv) {
			env = append(env, kv)
		}
	}
	env = append(env,
		"GITHUB_ACTIONS=true", "CI=true",
		"GITHUB_WORKSPACE="+rn.Workspace,
		"GITHUB_ACTION_PATH="+rn.ActionPath,
		"RUNNER_TEMP="+rn.Temp,
		"RUNNER_OS=Linux",
	)
	for name, file := range files {
		env = append(env, name+"="+file)
	}
	sr.Env = map[string]string{}
	keys := make([]string, 0, len(st.Env))
	for k := range st.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := c.Interpolate(st.Env[k])
		if err != nil {
			return fmt.Errorf("%s: env.%s: %w", st.Label(), k, err)
		}
		sr.Env[k] = v
		env = append(env, k+"="+v)
	}
	wd := rn.Workspace
	if st.WorkingDirectory != "" {
		w, err := c.Interpolate(st.WorkingDirectory)
		if err != nil {
			return fmt.Errorf("%s: working-directory: %w", st.Label(), err)
		}
		if !filepath.IsAbs(w) {
			w = filepath.Join(rn.Workspace, w)
		}
		wd = w
	}
	if strings.Contains(st.Run, "${{") {
		// The real runner would substitute it; this one refuses, because
		// expressions belong in env: (script-injection hygiene).
		return fmt.Errorf("%s: the script holds a ${{ }} expression: pass the value through env: instead", st.Label())
	}

	// The runner's bash: bash --noprofile --norc -eo pipefail {0}
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir = wd
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	sr.Stdout, sr.Stderr = stdout.String(), stderr.String()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		sr.ExitCode = exit.ExitCode()
	default:
		return fmt.Errorf("%s: run bash: %w", st.Label(), err)
	}

	if sr.Outputs, err = readCommandFile(files["GITHUB_OUTPUT"]); err != nil {
		return fmt.Errorf("%s: GITHUB_OUTPUT: %w", st.Label(), err)
	}
	b, err := os.ReadFile(files["GITHUB_STEP_SUMMARY"])
	if err != nil {
		return fmt.Errorf("%s: %w", st.Label(), err)
	}
	summary.Write(b)
	for _, name := range []string{"GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE"} {
		if b, err := os.ReadFile(files[name]); err != nil || len(b) > 0 {
			return fmt.Errorf("%s: wrote to %s, which this runner does not model: pass values as step outputs", st.Label(), name)
		}
	}
	return nil
}

// readCommandFile parses a GITHUB_OUTPUT file: NAME=VALUE lines and
// NAME<<DELIMITER blocks, as the runner reads them.
func readCommandFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		eq, heredoc := strings.Index(line, "="), strings.Index(line, "<<")
		switch {
		case heredoc > 0 && (eq < 0 || heredoc < eq):
			name, delim := line[:heredoc], line[heredoc+2:]
			if delim == "" {
				return nil, fmt.Errorf("%q: empty delimiter", line)
			}
			var val []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				val = append(val, sc.Text())
			}
			if !closed {
				return nil, fmt.Errorf("%s: delimiter %q is never closed", name, delim)
			}
			out[name] = strings.Join(val, "\n")
		case eq > 0:
			out[line[:eq]] = line[eq+1:]
		default:
			return nil, fmt.Errorf("line %q is neither NAME=VALUE nor NAME<<DELIMITER", line)
		}
	}
	return out, sc.Err()
}
