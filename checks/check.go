// Package checks holds sentinel-check's checks, one file each, behind one
// small interface and one registry.
package checks

import (
	"github.com/hashicorp/hcl/v2"
)

// Severity of a finding.
type Severity string

// Severities, most severe first. SeverityNone only appears as --fail-on none.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityNote    Severity = "note"
	SeverityNone    Severity = "none"
)

// Rank orders severities: error 3, warning 2, note 1, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityNote:
		return 1
	}
	return 0
}

// Meta is a check's identity and documentation. The same data feeds the
// CLI's help, the README's check table and SARIF's rules.
type Meta struct {
	ID              string   // SC1001
	Name            string   // untracked-session
	Title           string   // one line, no final period
	Doc             string   // markdown: what it finds, why it matters, how to fix
	DefaultSeverity Severity // error | warning | note
	HelpURL         string
	Tags            []string
	// SecuritySeverity is GitHub's 0.0–10.0 score, as a string ("8.0").
	SecuritySeverity string
	// Precision is SARIF's very-high | high | medium | low.
	Precision string
	// MinCompliance: the check reads its block's min_compliance.
	MinCompliance bool
	// Disabled: the policy turns the check off (enabled = false).
	Disabled bool
	// Fixed: a policy cannot turn the check off or change its severity.
	Fixed bool
}

// Related is a secondary location that explains a finding.
type Related struct {
	Range   hcl.Range
	Message string
}

// Finding is one result: one per (check, profile).
type Finding struct {
	CheckID  string
	Check    string
	Severity Severity
	Profile  string // "" for findings not about one profile (SC2001, SC0001, source errors)
	Role     string // SC2001: the unmapped role
	Message  string
	Range    hcl.Range // where it is shown: the profile block (or diagnostic range)
	Related  []Related
	Events   []string // event ids, in event-time order: the earliest classify.MaxEventIDs
	// EventCount is the number of events the finding is about, which
	// Events may hold only the earliest of.
	EventCount int
}
