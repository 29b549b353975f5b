// Package report renders a check run's result: text, json, sarif, markdown
// and GitHub workflow annotations, one formatter per file.
package report

import (
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// The six categories of a session event (defined by the classification).
const (
	CategoryTracked               = classify.CategoryTracked
	CategoryNoSourceIdentity      = classify.CategoryNoSourceIdentity
	CategoryForeignSourceIdentity = classify.CategoryForeignSourceIdentity
	CategoryOrphaned              = classify.CategoryOrphaned
	CategoryRevoked               = classify.CategoryRevoked
	CategoryExpired               = classify.CategoryExpired
)

// Categories lists the six categories in their stable order.
var Categories = classify.Categories

// Result is everything a formatter needs. Values copied from CloudTrail are
// untrusted: each formatter escapes them for its medium.
type Result struct {
	Tool     Tool
	Window   Window
	Profiles []ProfileReport
	Findings []checks.Finding // sorted: severity, check id, profile, role
	Sources  Sources
	Summary  Summary

	// Rules are the registered checks' metadata with the severity in force
	// (SARIF rules[]), in registry order.
	Rules []checks.Meta
	// BaseDir is the directory SARIF and annotation paths are relative to.
	BaseDir string
	// PolicySources holds each policy file's bytes (for snippets).
	PolicySources map[string][]byte
	// Diagnostics are the policy's warnings (errors stop a run before here).
	Diagnostics hcl.Diagnostics

	// Category is SARIF's automationDetails.id, GitHub code scanning's
	// category; empty means DefaultCategory.
	Category string
	// FailOn is the lowest severity that fails the run (--fail-on): it
	// decides the PASS/FAIL verdict that text and markdown print. Empty
	// means error; SeverityNone never fails.
	FailOn checks.Severity
	// Policy, when set, makes this the report of a policy alone
	// (validate): no window, profiles' sessions or sources to show.
	Policy *PolicySummary
}

// PolicySummary counts what a policy declares.
type PolicySummary struct {
	Files, Profiles, Rules, SessionTables int
}

// Tool names the producer.
type Tool struct {
	Name           string
	Version        string
	InformationURI string
}

// Window is the time window checked, [Start, End).
type Window = classify.Window

// ProfileReport is one profile's numbers; the JSON names are a contract.
type ProfileReport struct {
	Profile        string         `json:"profile"`
	Roles          []string       `json:"roles"` // role_arns patterns
	Required       bool           `json:"required"`
	Sessions       int            `json:"sessions"`
	Tracked        int            `json:"tracked"`
	Untracked      int            `json:"untracked"`
	ComplianceRate float64        `json:"compliance_rate"`
	HasGap         bool           `json:"has_gap"`
	ByCategory     map[string]int `json:"by_category"` // all six keys, always
	DeniedAttempts int            `json:"denied_attempts"`
	// FirstEvent and LastEvent bound the profile's sessions (zero when none).
	FirstEvent time.Time `json:"first_event,omitzero"`
	LastEvent  time.Time `json:"last_event,omitzero"`
}

// Sources counts what was read from every source.
type Sources struct {
	CloudTrail []cloudtrail.Stats `json:"cloudtrail"`
	Sessions   []sessions.Stats   `json:"sessions"`
	Totals     SourceTotals       `json:"totals"`
}

// SourceTotals adds the sources up and says what happened to each event.
type SourceTotals struct {
	Files          int64 `json:"files"`
	FilesSkipped   int64 `json:"files_skipped"`
	Pages          int64 `json:"pages"`
	Records        int64 `json:"records"`
	RecordsSkipped int64 `json:"records_skipped"`
	Unreadable     int64 `json:"unreadable"`
	// AssumeRoleEvents = Duplicates + OutsideWindow + Failed + Sessions.
	AssumeRoleEvents int64 `json:"assume_role_events"`
	Duplicates       int64 `json:"duplicates"`
	OutsideWindow    int64 `json:"outside_window"`
	Failed           int64 `json:"failed"` // errorCode set: denied attempts
	Sessions         int64 `json:"sessions"`
	SessionRecords   int64 `json:"session_records"`
	// SessionRecordsSkipped counts the session records not used (a
	// duplicate version, an unusable record); RecordsSkipped counts
	// CloudTrail's only.
	SessionRecordsSkipped int64 `json:"session_records_skipped"`
}

// Summary is the run's verdict in numbers.
type Summary struct {
	RequiredProfiles       int `json:"required_profiles"`
	FullyCompliantProfiles int `json:"fully_compliant_profiles"`
	ProfilesWithGaps       int `json:"profiles_with_gaps"`
	Findings               int `json:"findings"`
}
