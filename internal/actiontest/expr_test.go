package actiontest

import (
	"strings"
	"testing"
)

func testContext() *Context {
	return &Context{
		Inputs: map[string]string{"upload-sarif": "true", "go-version": "", "soft-fail": "False", "category": "it's"},
		Github: map[string]string{"workspace": "/ws"},
		Runner: map[string]string{"temp": "/tmp/r"},
		Steps: map[string]map[string]string{
			"check":   {"sarif-file": "/ws/out.sarif", "exit-code": "1"},
			"skipped": nil,
		},
	}
}

func TestInterpolate(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain", "plain"},
		{"${{ github.workspace }}", "/ws"},
		{"${{github.workspace}}/a/${{ runner.temp }}", "/ws/a//tmp/r"},
		{"${{ inputs.UPLOAD-SARIF }}", "true"}, // input names are case-insensitive
		{"${{ steps.check.outputs.sarif-file }}", "/ws/out.sarif"},
		{"${{ steps.check.outputs.missing }}", ""},
		{"${{ steps.skipped.outputs.exit-code }}", ""},
		{"${{ inputs.go-version != '' }}", "false"},
		{"${{ 'a''b' }}", "a'b"},
		{"${{ inputs.go-version || 'default' }}", "default"},
		{"${{ inputs.category && 'set' }}", "set"},
	}
	for _, tt := range tests {
		got, err := testContext().Interpolate(tt.in)
		if err != nil {
			t.Errorf("Interpolate(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Interpolate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCondition(t *testing.T) {
	tests := []struct {
		cond   string
		failed bool
		want   bool
	}{
		{"", false, true},
		{"", true, false},
		{"always()", true, true},
		{"failure()", true, true},
		{"failure()", false, false},
		{"success()", true, false},
		{"inputs.go-version != ''", false, false},
		{"inputs.upload-sarif == 'true'", false, true},
		{"inputs.upload-sarif == 'TRUE'", false, true}, // string comparison ignores case
		{"inputs.soft-fail == 'true'", false, false},
		{"inputs.soft-fail == 'false'", false, true},
		// without a status function, success() is implied
		{"inputs.upload-sarif == 'true'", true, false},
		{"always() && inputs.upload-sarif == 'true' && steps.check.outputs.sarif-file != ''", true, true},
		{"always() && inputs.upload-sarif == 'true' && steps.skipped.outputs.sarif-file != ''", true, false},
		{"${{ !(inputs.go-version != '') }}", false, true},
		{"true || false", false, true},
	}
	for _, tt := range tests {
		c := testContext()
		c.Failed = tt.failed
		got, err := c.Condition(tt.cond)
		if err != nil {
			t.Errorf("Condition(%q): %v", tt.cond, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Condition(%q) with failed=%v = %v, want %v", tt.cond, tt.failed, got, tt.want)
		}
	}
}

// Forms the evaluator does not model must fail loudly, never evaluate to
// a guess.
func TestExpressionErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"inputs.nope", "inputs.nope is not defined"},
		{"steps.nope.outputs.x", `no step has id "nope"`},
		{"steps.check.outcome", "not supported"},
		{"env.HOME", "not supported"},
		{"github.event.pull_request.title", "not supported"},
		{"contains(inputs.category, 'x')", "not supported"},
		{"hashFiles()", "not supported"},
		{"inputs.category == true", "comparing string with bool"},
		{"1 == 1", "not supported"},
		{"'open", "unterminated"},
		{"(always()", "missing )"},
		{"always() always()", "after the end"},
		{"inputs.category ==", "ends early"},
		{"inputs[0]", "not supported"},
	}
	for _, tt := range tests {
		_, err := testContext().Eval(tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Eval(%q) error = %v, want it to contain %q", tt.expr, err, tt.want)
		}
	}
	if _, err := testContext().Interpolate("${{ inputs.category"); err == nil {
		t.Error("an unterminated ${{ was accepted")
	}
}

func FuzzEval(f *testing.F) {
	for _, s := range []string{"always() && inputs.upload-sarif == 'true'", "!(a || 'b')", "steps.check.outputs.x != ''", "'a''b'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		// Must not panic; errors are fine.
		_, _ = testContext().Eval(expr)
		_, _ = testContext().Condition(expr)
		_, _ = testContext().Interpolate(expr)
	})
}
