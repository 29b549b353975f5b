package actiontest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const toyAction = `name: toy
inputs:
  greeting:
    default: hello
  where:
    default: ${{ github.workspace }}
  fail:
    default: "false"
outputs:
  said:
    value: ${{ steps.say.outputs.said }}
  multi:
    value: ${{ steps.say.outputs.multi }}
runs:
  using: composite
  steps:
    - uses: actions/setup-go@0000000000000000000000000000000000000000
      if: inputs.greeting != ''
      with:
        go-version: ${{ inputs.greeting }}-x
    - id: say
      shell: bash
      env:
        GREETING: ${{ inputs.greeting }}
        WHERE: ${{ inputs.where }}
        FAIL: ${{ inputs.fail }}
      run: |
        echo "said=$GREETING from $WHERE" >> "$GITHUB_OUTPUT"
        printf 'multi<<EOF\nline 1\nline=2\nEOF\n' >> "$GITHUB_OUTPUT"
        echo "### $GREETING" >> "$GITHUB_STEP_SUMMARY"
        echo "pwd=$PWD leak=${GITHUB_TOKEN:-none}"
        if ! (false | true); then echo "pipefail=on" >> "$GITHUB_OUTPUT"; fi
        if [ "$FAIL" = true ]; then exit 7; fi
    - id: after
      shell: bash
      run: echo "after=yes" >> "$GITHUB_OUTPUT"
    - id: finally
      if: always()
      shell: bash
      run: echo "ran=yes" >> "$GITHUB_OUTPUT"
`

func runToy(t *testing.T, src string, with map[string]string) *Result {
	t.Helper()
	a, err := ParseAction([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	rn := &Runner{ActionPath: t.TempDir(), Workspace: ws, Temp: t.TempDir(), With: with,
		Env: append(os.Environ(), "GITHUB_TOKEN=secret-from-outside")}
	res, err := rn.Run(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRunnerSteps(t *testing.T) {
	res := runToy(t, toyAction, map[string]string{"where": "here"})
	if res.Failed {
		t.Fatalf("the toy action failed: %+v", res.Steps)
	}
	if got := res.Steps[0].With["go-version"]; got != "hello-x" {
		t.Errorf("uses: step with.go-version = %q, want hello-x", got)
	}
	if got := res.Outputs["said"]; got != "hello from here" {
		t.Errorf("output said = %q", got)
	}
	if got := res.Outputs["multi"]; got != "line 1\nline=2" {
		t.Errorf("heredoc output multi = %q", got)
	}
	if res.Summary != "### hello\n" {
		t.Errorf("summary = %q", res.Summary)
	}
	say := res.Step("say")
	if !strings.Contains(say.Stdout, "leak=none") {
		t.Errorf("a runner variable of the outer environment leaked into the step: %q", say.Stdout)
	}
	if say.Outputs["pipefail"] != "on" {
		t.Error("bash does not run with -o pipefail")
	}
	if got := res.Step("after").Outputs["after"]; got != "yes" {
		t.Errorf("the step after did not run (after=%q)", got)
	}
}

func TestRunnerDefaultsAndFailure(t *testing.T) {
	res := runToy(t, toyAction, map[string]string{"greeting": "", "fail": "true"})
	if res.Steps[0].Ran {
		t.Error("the uses: step ran although its condition is false")
	}
	say := res.Step("say")
	if say.ExitCode != 7 {
		t.Errorf("exit code = %d, want 7", say.ExitCode)
	}
	if !strings.Contains(say.Outputs["said"], " from "+filepath.Clean(say.Env["WHERE"])) || say.Env["WHERE"] == "" {
		t.Errorf("the default ${{ github.workspace }} was not applied: env %v", say.Env)
	}
	if !res.Failed {
		t.Error("the job is not failed after a step exited 7")
	}
	if res.Step("after").Ran {
		t.Error("a step without always() ran after a failure")
	}
	if got := res.Step("finally").Outputs["ran"]; got != "yes" {
		t.Errorf("the always() step did not run after the failure (ran=%q)", got)
	}
}

func TestRunnerRejects(t *testing.T) {
	tests := []struct{ name, from, to, want string }{
		{"expression in script", `echo "ran=yes"`, `echo "${{ inputs.greeting }}"`, "pass the value through env"},
		{"GITHUB_ENV", `echo "ran=yes" >> "$GITHUB_OUTPUT"`, `echo "X=1" >> "$GITHUB_ENV"`, "GITHUB_ENV"},
		{"bad output line", `echo "ran=yes" >> "$GITHUB_OUTPUT"`, `echo "junk" >> "$GITHUB_OUTPUT"`, "neither NAME=VALUE"},
		{"open heredoc", `echo "ran=yes" >> "$GITHUB_OUTPUT"`, `printf 'x<<EOF\n1\n' >> "$GITHUB_OUTPUT"`, "never closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(toyAction, tt.from, tt.to, 1)
			a, err := ParseAction([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			rn := &Runner{ActionPath: t.TempDir(), Workspace: t.TempDir(), Temp: t.TempDir()}
			_, err = rn.Run(context.Background(), a)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	a, err := ParseAction([]byte(toyAction))
	if err != nil {
		t.Fatal(err)
	}
	rn := &Runner{ActionPath: t.TempDir(), Workspace: t.TempDir(), Temp: t.TempDir(), With: map[string]string{"nope": "1"}}
	if _, err := rn.Run(context.Background(), a); err == nil || !strings.Contains(err.Error(), `"nope" is not declared`) {
		t.Errorf("an undeclared input: error = %v", err)
	}
}

func TestParseActionRejects(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"not composite", "runs:\n  using: node24\n  main: x.js\n", "only composite"},
		{"python shell", "runs:\n  using: composite\n  steps:\n    - shell: python\n      run: print(1)\n", "bash steps only"},
		{"unknown key", "runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: 'true'\n      timeout-minutes: 3\n", `"timeout-minutes" is not supported`},
		{"uses and run", "runs:\n  using: composite\n  steps:\n    - shell: bash\n      uses: a/b@c\n      run: 'true'\n", "either uses: or run:"},
		{"bad yaml", "runs: [", "parse the action"},
	}
	for _, tt := range tests {
		_, err := ParseAction([]byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}
