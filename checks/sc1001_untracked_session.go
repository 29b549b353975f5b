package checks

import (
	"fmt"
	"math"
	"strconv"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/internal/english"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

type untrackedSession struct{}

func (untrackedSession) Meta() Meta {
	return Meta{
		ID:               "SC1001",
		Name:             "untracked-session",
		Title:            "Role sessions that must be tracked by the broker were not tracked",
		DefaultSeverity:  SeverityError,
		HelpURL:          HelpBase + "sc1001-untracked-session",
		Tags:             []string{"security", "access-control", "broker"},
		SecuritySeverity: "8.0",
		Precision:        "high",
		MinCompliance:    true,
		Doc: `A rule with effect ` + "`require_server_session`" + ` matched these sessions, so each one had to carry the broker's SourceIdentity **and** match a live record in the broker's session table. Some did not: they were opened without a SourceIdentity, with a SourceIdentity that is not the broker's, with a broker identity but no session record (orphaned), or on a revoked or expired record.

The profile fails when its compliance rate (tracked ÷ sessions), or the same rate over only the sessions whose rule demanded tracking, is below the check's ` + "`min_compliance`" + ` (default 100; a percentage with at most two decimals), compared exactly, not rounded as shown. The second rate keeps tracked sessions that an ` + "`allow`" + ` rule let through (outside office hours, say) from hiding an untracked one that had to be tracked.

**How to fix**: find who opened the sessions (the event ids are in the finding), take away their direct ` + "`sts:AssumeRole`" + ` path (trust policy, SCP or permission boundary requiring ` + "`sts:SourceIdentity`" + `), and send them through the credential server.`,
	}
}

// Select picks the sessions whose rule demands a tracked session and that
// were not tracked.
func (untrackedSession) Select(e *classify.Event) (bool, string) {
	return e.Effect() == policyhcl.EffectRequireServerSession && e.Category != classify.CategoryTracked, ""
}

func (c untrackedSession) Run(ctx *Context) []Finding {
	var out []Finding
	for _, p := range ctx.Analysis.Profiles {
		bad := selected(p, c)
		// Over the sessions whose rule demanded tracking, and the exact
		// rate, not the rounded one shown: 189 of 199 (94.97%) is below a
		// min_compliance of 95. In integers, with the threshold in
		// hundredths of a percent, so that 2251 of 2500 meets 90.04.
		minBP := int64(math.Round(ctx.MinCompliance * 100))
		tracked := p.Demanded - bad.Count
		below := func(part, whole int) bool { return int64(part)*10000 < minBP*int64(whole) }
		if bad.Count == 0 || !below(p.Tracked, p.Sessions) && !below(tracked, p.Demanded) {
			continue
		}
		// The count, the rate and the breakdown are of one set of
		// sessions: all of them when every session had to be tracked (SPEC's
		// form), else those that had to be, with the profile's rate beside.
		of := fmt.Sprintf("%d of %s (%.1f%% tracked)", bad.Count, english.Count(p.Sessions, "session", "sessions"), p.ComplianceRate())
		if p.Demanded != p.Sessions {
			of = fmt.Sprintf("%d of the %s that had to be tracked (%.1f%% of those tracked, %.1f%% of all %d)",
				bad.Count, english.Count(p.Demanded, "session", "sessions"), classify.Rate(tracked, p.Demanded), p.ComplianceRate(), p.Sessions)
		}
		msg := fmt.Sprintf("%s: %s %s %s not tracked: %s%s; these sessions had to go through the broker's credential server with a live session record",
			p.Profile.Name, of, span(bad), isAre(bad.Count), breakdown(bad), example(bad))
		if ctx.MinCompliance < 100 {
			msg += fmt.Sprintf(" (min_compliance %s%%)", strconv.FormatFloat(float64(minBP)/100, 'f', -1, 64))
		}
		out = append(out, profileFinding(p.Profile, bad, msg, "requires a tracked server session"))
	}
	return out
}
