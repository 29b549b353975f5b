package checks

import (
	"fmt"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/internal/english"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

type brokerBypass struct{}

func (brokerBypass) Meta() Meta {
	return Meta{
		ID:               "SC1004",
		Name:             "broker-bypass",
		Title:            "Role sessions that must come from the broker carried no broker identity",
		DefaultSeverity:  SeverityError,
		HelpURL:          HelpBase + "sc1004-broker-bypass",
		Tags:             []string{"security", "access-control", "broker"},
		SecuritySeverity: "8.0",
		Precision:        "high",
		Doc: `A rule with effect ` + "`require_server`" + ` matched these sessions, so each had to carry the broker's SourceIdentity (the ` + "`identity`" + ` pattern). They had none, or one that does not match the pattern: the role was assumed directly, around the broker.

**How to fix**: require ` + "`sts:SourceIdentity`" + ` in the role's trust policy with a condition on the broker's format (` + "`StringLike: sentinel:*`" + `), and find who assumed it directly (see the event ids).`,
	}
}

// Select picks the sessions whose rule demands the broker's identity and
// that carried none.
func (brokerBypass) Select(e *classify.Event) (bool, string) {
	return e.Effect() == policyhcl.EffectRequireServer && !e.Broker, ""
}

func (c brokerBypass) Run(ctx *Context) []Finding {
	var out []Finding
	for _, p := range ctx.Analysis.Profiles {
		bad := selected(p, c)
		if bad.Count == 0 {
			continue
		}
		msg := fmt.Sprintf("%s: %s %s bypassed the broker: %s%s; require the broker's SourceIdentity in the role's trust policy",
			p.Profile.Name, english.Count(bad.Count, "session", "sessions"), span(bad), breakdown(bad), example(bad))
		out = append(out, profileFinding(p.Profile, bad, msg, "requires the broker's identity"))
	}
	return out
}
