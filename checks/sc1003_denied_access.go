package checks

import (
	"fmt"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/internal/english"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

type deniedAccess struct{}

func (deniedAccess) Meta() Meta {
	return Meta{
		ID:               "SC1003",
		Name:             "denied-access",
		Title:            "Role sessions succeeded that the policy denies",
		DefaultSeverity:  SeverityError,
		HelpURL:          HelpBase + "sc1003-denied-access",
		Tags:             []string{"security", "access-control"},
		SecuritySeverity: "7.5",
		Precision:        "high",
		Doc: `The first rule that matched these sessions has effect ` + "`deny`" + `, or no rule matched at all (the policy's default is deny), yet the ` + "`sts:AssumeRole`" + ` call succeeded. Rules are evaluated in file order against the session's profile, the user from its SourceIdentity, its time and mode ` + "`server`" + `.

**How to fix**: if the access is legitimate, add a rule above the deny that allows it; otherwise remove the path that made it possible (trust policy, leaked credentials) and review what the session did.`,
	}
}

// tallyDefaultDeny marks a denied session that no rule matched.
const tallyDefaultDeny = "default-deny"

// Select picks the sessions the policy denies, tallying those that no
// rule matched (the default deny).
func (deniedAccess) Select(e *classify.Event) (bool, string) {
	if e.Effect() != policyhcl.EffectDeny {
		return false, ""
	}
	if e.Rule == nil {
		return true, tallyDefaultDeny
	}
	return true, ""
}

func (c deniedAccess) Run(ctx *Context) []Finding {
	var out []Finding
	for _, p := range ctx.Analysis.Profiles {
		bad := selected(p, c)
		if bad.Count == 0 {
			continue
		}
		defaulted := bad.Tallies[tallyDefaultDeny]
		why := "a deny rule"
		switch {
		case defaulted == bad.Count:
			why = "no rule (default deny)"
		case defaulted > 0:
			why = fmt.Sprintf("a deny rule or, for %d of them, no rule (default deny)", defaulted)
		}
		msg := fmt.Sprintf("%s: %s %s succeeded although the policy denies them (%s)%s; remove the access path or add a rule that allows it",
			p.Profile.Name, english.Count(bad.Count, "session", "sessions"), span(bad), why, example(bad))
		out = append(out, profileFinding(p.Profile, bad, msg, "denies these sessions"))
	}
	return out
}
