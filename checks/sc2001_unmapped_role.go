package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/sentinel-check/sentinel-check/internal/english"
	"github.com/sentinel-check/sentinel-check/internal/safetext"
)

type unmappedRole struct{}

func (unmappedRole) Meta() Meta {
	return Meta{
		ID:               "SC2001",
		Name:             "unmapped-role",
		Title:            "Role sessions went into a role of the policy's accounts that no profile covers",
		DefaultSeverity:  SeverityNote,
		HelpURL:          HelpBase + "sc2001-unmapped-role",
		Tags:             []string{"security", "coverage"},
		SecuritySeverity: "3.0",
		Precision:        "medium",
		Doc: `Sessions were opened into a role in one of the accounts the policy names (literal account ids in ` + "`role_arns`" + `), but no ` + "`profile`" + ` block's ` + "`role_arns`" + ` matches the role, so no rule could judge them. One finding per role, shown on the first profile that names the role's account.

**How to fix**: add the role to the right profile's ` + "`role_arns`" + ` (globs such as ` + "`arn:aws:iam::111122223333:role/prod-*`" + ` work), or a profile of its own.`,
	}
}

func (unmappedRole) Run(ctx *Context) []Finding {
	a := ctx.Analysis
	if len(a.Policy.Profiles) == 0 {
		return nil
	}
	accounts := map[string]bool{}
	for _, id := range a.Policy.AccountIDs() {
		accounts[id] = true
	}
	var roles []string
	for r := range a.Unmapped {
		if accounts[roleAccount(r)] {
			roles = append(roles, r)
		}
	}
	sort.Strings(roles)
	// A finding is shown on the first profile that names the role's
	// account, where a mapping for it would go (code scanning shows it
	// there), else on the first profile.
	at := map[string]hcl.Range{}
	for i := len(a.Policy.Profiles) - 1; i >= 0; i-- {
		p := a.Policy.Profiles[i]
		for _, id := range a.Policy.ProfileAccountIDs(func(n string) bool { return n == p.Name }) {
			at[id] = p.Range
		}
	}
	var out []Finding
	for _, arn := range roles {
		evs := a.Unmapped[arn]
		role := safetext.Clip(arn, maxRoleARN)
		msg := fmt.Sprintf("%s: %s %s went into a role of account %s that no profile covers%s; add it to a profile's role_arns so the policy can judge it",
			role, english.Count(evs.Count, "session", "sessions"), span(evs), roleAccount(arn), example(evs))
		out = append(out, Finding{Role: role, Message: msg, Range: at[roleAccount(arn)], Events: eventIDs(evs), EventCount: evs.Count})
	}
	return out
}

// roleAccount returns the account id of arn:PARTITION:iam::ACCOUNT:role/NAME.
func roleAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
