package checks

import (
	"sort"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// HelpBase is where each check's documentation lives (README anchors).
const HelpBase = "https://github.com/sentinel-check/sentinel-check/blob/main/docs/checks.md#"

// Context is what a check sees: the classified activity and its settings.
// A check that is a classify.Selector finds the events it selected in each
// profile's Selected set, keyed by the check's value.
type Context struct {
	Analysis *classify.Analysis
	// MinCompliance is the check block's min_compliance (default 100).
	MinCompliance float64
	// SourceProblems describe sources that could not be read whole and were
	// skipped on request (--skip-unreadable); SC2002 reports them.
	SourceProblems []string
	// Coverage says what the sources read did not cover (regions that
	// were not read); SC2002 reports it.
	Coverage []string
	// Sessions says why sessions were orphaned for want of records (no
	// session source, or stores that held none); SC2002 reports it.
	Sessions []string
}

// Check is one check: metadata plus a run function. Run returns findings
// with Profile, Role, Message, Range, Related and Events set; the engine
// fills in the check id, name and the severity in force.
type Check interface {
	Meta() Meta
	Run(ctx *Context) []Finding
}

// registry is the one list of checks, in the order they are documented.
var registry = []Check{
	untrackedSession{},
	revokedSessionUse{},
	deniedAccess{},
	brokerBypass{},
	approvalBypass{},
	unmappedRole{},
	noData{},
	policyError{},
}

// All returns the registered checks in registry order.
func All() []Check { return append([]Check(nil), registry...) }

// Selectors returns the registered checks that judge session events one
// by one (classify.Selector) and that enabled accepts, in registry order:
// the classifier folds the events each selects into the event set the
// check's Run reads, so a disabled check needs none.
func Selectors(enabled func(Meta) bool) []classify.Selector {
	var out []classify.Selector
	for _, c := range registry {
		if s, ok := c.(classify.Selector); ok && enabled(c.Meta()) {
			out = append(out, s)
		}
	}
	return out
}

// Lookup finds a check by id (SC1001) or name (untracked-session).
func Lookup(nameOrID string) (Check, bool) {
	for _, c := range registry {
		m := c.Meta()
		if m.ID == nameOrID || m.Name == nameOrID {
			return c, true
		}
	}
	return nil, false
}

// IDs maps every check's id and name to its id.
func IDs() map[string]string {
	out := map[string]string{}
	for _, c := range registry {
		m := c.Meta()
		out[m.ID], out[m.Name] = m.ID, m.ID
	}
	return out
}

// idsWhere returns the ids of the checks whose metadata has a property.
func idsWhere(has func(Meta) bool) []string {
	var out []string
	for _, c := range registry {
		if m := c.Meta(); has(m) {
			out = append(out, m.ID)
		}
	}
	return out
}

// PolicyOptions are the options a policy is loaded with: the check blocks
// it may have and what each reads.
func PolicyOptions() policyhcl.Options {
	return policyhcl.Options{
		KnownChecks:         Names(),
		CheckIDs:            IDs(),
		MinComplianceChecks: idsWhere(func(m Meta) bool { return m.MinCompliance }),
		FixedChecks:         idsWhere(func(m Meta) bool { return m.Fixed }),
		RequireProfile:      true,
	}
}

// Names returns every check id and name, sorted: what a check block's
// label may be.
func Names() []string {
	var out []string
	for _, c := range registry {
		m := c.Meta()
		out = append(out, m.ID, m.Name)
	}
	sort.Strings(out)
	return out
}

// SortFindings orders findings deterministically: severity (most severe
// first), check id, profile, role, message.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		if a.Profile != b.Profile {
			return a.Profile < b.Profile
		}
		if a.Role != b.Role {
			return a.Role < b.Role
		}
		return a.Message < b.Message
	})
}
