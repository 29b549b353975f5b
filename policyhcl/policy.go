package policyhcl

import (
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Effect is what a rule demands of a matching access.
type Effect string

// The five effects, as the broker defines them.
const (
	EffectAllow                Effect = "allow"
	EffectDeny                 Effect = "deny"
	EffectRequireApproval      Effect = "require_approval"
	EffectRequireServer        Effect = "require_server"
	EffectRequireServerSession Effect = "require_server_session"
)

// Modes a rule can name.
const (
	ModeServer            = "server"
	ModeCLI               = "cli"
	ModeCredentialProcess = "credential_process"
)

// Match modes of a session_table block.
const (
	MatchAuto              = "auto"
	MatchSourceIdentity    = "source_identity"
	MatchUserProfileWindow = "user_profile_window"
)

// DefaultIdentityPattern is the broker's SourceIdentity format.
const DefaultIdentityPattern = `^sentinel[:.](?P<user>[A-Za-z0-9]{1,20})[:.](?P<approval>direct|[0-9a-f]{8})[:.](?P<request>[0-9a-f]{8})$`

// LegacyIdentityPattern is the older 3-part form sentinel:<user>:<request>,
// accepted alongside the default pattern when no pattern is configured.
const LegacyIdentityPattern = `^sentinel[:.](?P<user>[A-Za-z0-9]{1,20})[:.](?P<request>[0-9a-f]{8})$`

// Policy is a parsed, validated set of policy files.
type Policy struct {
	// Files are the policy files read, in the order they were evaluated.
	Files []string
	// Sources holds each file's bytes, for diagnostics and SARIF snippets.
	Sources map[string][]byte
	// HCLFiles holds each parsed file, for hcl.NewDiagnosticTextWriter.
	HCLFiles map[string]*hcl.File

	Identity      Identity
	SessionTables []*SessionTable
	Profiles      []*Profile // file order; first match wins
	Rules         []*Rule    // file order; first match wins, no match = deny
	Checks        []*CheckConfig
	CloudTrail    []*CloudTrailConfig
}

// Identity describes how the broker's SourceIdentity looks.
type Identity struct {
	// Patterns are tried in order; the default configuration has the
	// 4-part pattern and the legacy 3-part one.
	Patterns []*regexp.Regexp
	// Configured is true when an identity block set the pattern.
	Configured bool
	Range      hcl.Range // the pattern attribute, or empty when defaulted
}

// BrokerIdentity is a SourceIdentity that matched the identity pattern.
type BrokerIdentity struct {
	Raw      string
	User     string // the user group ("" when the pattern has none)
	Approval string // the approval group: "direct", an approval id, or "" (3-part form)
	Request  string
	Legacy   bool // matched the 3-part form
}

// HasApproval reports whether the identity carries an approval id (not
// "direct" in any case, which a case-insensitive pattern lets through, and
// not the 3-part form).
func (b BrokerIdentity) HasApproval() bool {
	return b.Approval != "" && !strings.EqualFold(b.Approval, "direct")
}

// SessionTable is a session_table block: the label is the DynamoDB table.
type SessionTable struct {
	Name      string
	Region    string
	Match     string // auto | source_identity | user_profile_window
	DeclRange hcl.Range
}

// Profile maps roles to a profile name.
type Profile struct {
	Name        string
	RoleArns    []Glob
	Description string
	DeclRange   hcl.Range // `profile "name"` (the block header)
	Range       hcl.Range // the whole block, header to closing brace
}

// Rule is one rule block.
type Rule struct {
	Name         string
	Effect       Effect
	Profiles     []Glob   // empty = any
	Users        []Glob   // empty = any
	Modes        []string // empty = any
	Time         *TimeWindow
	SessionTable string // "" = none named
	Reason       string
	DeclRange    hcl.Range
	Range        hcl.Range
}

// TimeWindow is a rule's time block.
type TimeWindow struct {
	Days     []time.Weekday // empty = every day
	HasHours bool
	Start    int // minutes after local midnight, [Start, End)
	End      int // End < Start wraps past midnight
	Location *time.Location
}

// CheckConfig is a check block: per-check settings.
type CheckConfig struct {
	Name          string // the label: a check name or id
	Enabled       *bool
	Severity      string // "" = the check's default
	MinCompliance *float64
	DeclRange     hcl.Range
}

// CloudTrailConfig is a cloudtrail block: a source of CloudTrail activity.
type CloudTrailConfig struct {
	Source         string
	OutputLocation string // Athena query results location (s3://…)
	Regions        []string
	Accounts       []string
	DeclRange      hcl.Range
}

// Request is an access to evaluate: what the broker would have been asked.
type Request struct {
	Profile string
	User    string
	HasUser bool // false: no broker identity, matches only rules without users
	Time    time.Time
	Mode    string
}
