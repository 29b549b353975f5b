package checks

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

type policyError struct{}

func (policyError) Meta() Meta {
	return Meta{
		ID:               "SC0001",
		Name:             "policy-error",
		Title:            "The policy has errors",
		DefaultSeverity:  SeverityError,
		HelpURL:          HelpBase + "sc0001-policy-error",
		Tags:             []string{"security", "policy", "correctness"},
		SecuritySeverity: "5.0",
		Precision:        "very-high",
		Fixed:            true, // a policy with errors is never evaluated
		Doc: `The policy files could not be parsed or validated: an unknown block or attribute, a bad effect, glob, regular expression, hour or time zone, a reference to an undeclared ` + "`session_table`" + `, a duplicate name, no ` + "`profile`" + ` block at all (nothing would be checked). A policy with errors is never evaluated, because a half-read policy could call a non-compliant account compliant. Warnings (such as two profiles whose role globs overlap) are reported too.

**How to fix**: run ` + "`sentinel-check validate`" + `; each diagnostic names the file, line and column, and says what is allowed.`,
	}
}

// Run reports nothing: policy errors stop a run before the checks, and
// validate turns them into findings with FromDiagnostics.
func (policyError) Run(*Context) []Finding { return nil }

// FromDiagnostics turns policy diagnostics into SC0001 findings located at
// each diagnostic's range, with the severity of the diagnostic.
func FromDiagnostics(diags hcl.Diagnostics) []Finding {
	meta := policyError{}.Meta()
	var out []Finding
	for _, d := range diags {
		sev := SeverityError
		if d.Severity == hcl.DiagWarning {
			sev = SeverityWarning
		}
		msg := d.Summary
		if d.Detail != "" {
			msg = strings.TrimSuffix(d.Summary, ".") + ": " + d.Detail
		}
		f := Finding{CheckID: meta.ID, Check: meta.Name, Severity: sev, Message: msg}
		if d.Subject != nil {
			f.Range = *d.Subject
		}
		if d.Context != nil && d.Subject != nil && *d.Context != *d.Subject {
			f.Related = []Related{{Range: *d.Context, Message: "in this block"}}
		}
		out = append(out, f)
	}
	return out
}
