package checks

import (
	"fmt"
	"strings"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/internal/english"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

type approvalBypass struct{}

func (approvalBypass) Meta() Meta {
	return Meta{
		ID:               "SC1005",
		Name:             "approval-bypass",
		Title:            "Role sessions that need an approval carried no approval id",
		DefaultSeverity:  SeverityWarning,
		HelpURL:          HelpBase + "sc1005-approval-bypass",
		Tags:             []string{"security", "access-control", "approval"},
		SecuritySeverity: "6.0",
		Precision:        "high",
		Doc: `A rule with effect ` + "`require_approval`" + ` matched these sessions, so each had to carry a broker SourceIdentity whose ` + "`approval`" + ` part is an approval id. They carried no broker identity, the older 3-part form (which has no approval part), an identity whose pattern (the policy's ` + "`identity`" + ` block) has no ` + "`approval`" + ` group or left it empty, or ` + "`direct`" + `.

**How to fix**: make sure the broker's approval workflow is enabled for the profile and that users request access instead of assuming the role directly.`,
	}
}

// Tallies of approval-bypass: what the session carried instead of an
// approval id.
const (
	tallyNoBroker   = "none"
	tallyLegacy     = "legacy"
	tallyNoApproval = "no-approval"
	tallyDirect     = "direct"
)

// Select picks the sessions whose rule demands an approval and that
// carried no approval id, tallied by what they carried instead.
func (approvalBypass) Select(e *classify.Event) (bool, string) {
	if e.Effect() != policyhcl.EffectRequireApproval || (e.Broker && e.Identity.HasApproval()) {
		return false, ""
	}
	switch {
	case !e.Broker:
		return true, tallyNoBroker
	case e.Identity.Legacy:
		return true, tallyLegacy
	case e.Identity.Approval == "":
		return true, tallyNoApproval
	}
	return true, tallyDirect
}

func (c approvalBypass) Run(ctx *Context) []Finding {
	var out []Finding
	for _, p := range ctx.Analysis.Profiles {
		bad := selected(p, c)
		if bad.Count == 0 {
			continue
		}
		var parts []string
		for _, c := range []struct {
			n    int
			what string
		}{
			{bad.Tallies[tallyNoBroker], "without a broker identity"},
			{bad.Tallies[tallyLegacy], "in the 3-part form"},
			{bad.Tallies[tallyNoApproval], "with no approval part in the identity"},
			{bad.Tallies[tallyDirect], "direct"},
		} {
			if c.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
			}
		}
		msg := fmt.Sprintf("%s: %s %s had no approval id (%s)%s; access to this profile needs an approved request",
			p.Profile.Name, english.Count(bad.Count, "session", "sessions"), span(bad), strings.Join(parts, ", "), example(bad))
		out = append(out, profileFinding(p.Profile, bad, msg, "requires an approval"))
	}
	return out
}
