package checks

import (
	"fmt"
	"strings"
)

// Table renders the registry as the README's markdown table.
func Table() string {
	var b strings.Builder
	b.WriteString("| id | name | default | fires when |\n|----|------|---------|------------|\n")
	for _, c := range registry {
		m := c.Meta()
		fmt.Fprintf(&b, "| [%s](docs/checks.md#%s) | `%s` | %s | %s |\n", m.ID, anchor(m), m.Name, m.DefaultSeverity, m.Title)
	}
	return b.String()
}

// Reference renders every check's documentation (docs/checks.md).
func Reference() string {
	var b strings.Builder
	b.WriteString("# Checks\n\nGenerated from the check registry (`checks/`); `go test ./checks -update` rewrites it.\n\n")
	b.WriteString("Every check can be configured in the policy with a `check` block labelled by its name or id:\n\n")
	b.WriteString("```hcl\ncheck \"approval-bypass\" {\n  enabled  = true\n  severity = \"error\"   # error | warning | note\n}\n```\n\n")
	for _, c := range registry {
		m := c.Meta()
		fmt.Fprintf(&b, "## %s %s\n\n", m.ID, m.Name)
		fmt.Fprintf(&b, "%s.\n\nDefault severity: **%s**. Tags: %s. Precision: %s. Security severity: %s.\n\n%s\n\n",
			m.Title, m.DefaultSeverity, strings.Join(m.Tags, ", "), m.Precision, m.SecuritySeverity, m.Doc)
	}
	return b.String()
}

func anchor(m Meta) string { return strings.ToLower(m.ID) + "-" + m.Name }
