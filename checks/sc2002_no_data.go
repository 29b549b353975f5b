package checks

import (
	"fmt"
	"strings"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/internal/english"
)

type noData struct{}

func (noData) Meta() Meta {
	return Meta{
		ID:               "SC2002",
		Name:             "no-data",
		Title:            "A profile that requires tracking had no events, the sources held no assume-role call or did not cover every account or region, or a source could not be read whole",
		DefaultSeverity:  SeverityWarning,
		HelpURL:          HelpBase + "sc2002-no-data",
		Tags:             []string{"security", "coverage"},
		SecuritySeverity: "4.0",
		Precision:        "medium",
		Doc: `A profile whose rules demand tracked sessions had no session events in the window, the sources held no assume-role call at all in the window (whatever the policy demands), or a source could not cover everything: no source holds the logs of an account that the reported profiles' role ARNs name (LookupEvents reads only the credentials' account; an S3 trail or prefix without that account's folder, or a filter that leaves it out; local files none of whose CloudTrail names (` + "`<account>_CloudTrail_…`" + `) gives that account; an Athena table whose partition projection leaves it out; judged over every source together, unless one cannot tell its accounts: local files of which one has another name, or an Athena table without partition projection and without ` + "`--account`" + `), a whole UTC day of the window on which no log file of such an account was delivered, by the CloudTrail names of the local or S3 log files (a partial copy, a lifecycle rule, a trail created later; or an idle account), LookupEvents read only the AWS configuration's region (no ` + "`--region`" + `), a LookupEvents window starts within an hour of the 90 days it keeps, an Athena table's partition projection leaves out a region asked for or days of the window, an S3 trail holds logs of regions that the regions asked for (` + "`--region`" + ` or a ` + "`cloudtrail`" + ` block's ` + "`regions`" + `) leave out, an S3 prefix or a local folder ending in a date folder leaves out the day folder where the window's last events may be delivered, an S3 prefix or a local folder names one region folder and no source reads the region folders beside it, or an account's CloudTrail folder has no folder of its partition's global region (` + "`us-east-1`" + `), where the sessions opened through STS's global endpoint are logged, a source was skipped because it could not be read (` + "`--skip-unreadable`" + `), or the session stores held no record at all while sessions of profiles whose rules demand tracking carried a broker identity (all orphaned: the wrong table, region or export). No events is not proof of compliance: the trail may not cover the profile's accounts or regions, or the window may be wrong.

**How to fix**: check that the CloudTrail source covers the profile's accounts and regions (an organisation trail, ` + "`--region all`" + ` for LookupEvents and S3), widen ` + "`--since`" + `, and fix or remove unreadable sources.`,
	}
}

func (noData) Run(ctx *Context) []Finding {
	a := ctx.Analysis
	var out []Finding
	for _, p := range a.Profiles {
		if !p.Required || p.Sessions > 0 {
			continue
		}
		msg := fmt.Sprintf("%s: requires tracked sessions but had no session events between %s and %s; check that the CloudTrail source covers its accounts and regions",
			p.Profile.Name, stamp(a.Window.Start), stamp(a.Window.End))
		if p.Failed > 0 {
			msg += fmt.Sprintf(" (%s %s refused)", english.Count(p.Failed, "attempt", "attempts"), isAre(p.Failed))
		}
		f := Finding{Profile: p.Profile.Name, Message: msg, Range: p.Profile.Range}
		for _, r := range a.Policy.RulesRequiringSession(p.Profile.Name) {
			if len(f.Related) == maxRelated {
				break
			}
			f.Related = append(f.Related, Related{Range: r.DeclRange, Message: fmt.Sprintf("rule %q (effect %s) demands tracked sessions of this profile", r.Name, r.Effect)})
		}
		out = append(out, f)
	}
	// A run that saw no assume-role call at all (no profile's, no other
	// role's) proves nothing, even when no profile requires tracking: a
	// finding of its own, kept whatever --profile selects.
	var msgs []string
	if noSessionEvents(a) {
		msgs = append(msgs, fmt.Sprintf("the sources held no assume-role call between %s and %s, so nothing was checked; check that the CloudTrail sources cover the accounts, regions and window",
			stamp(a.Window.Start), stamp(a.Window.End)))
	}
	if len(ctx.Coverage) > 0 {
		msgs = append(msgs, "the sources did not cover everything, so the report may miss sessions: "+strings.Join(ctx.Coverage, "; "))
	}
	msgs = append(msgs, ctx.Sessions...)
	if len(ctx.SourceProblems) > 0 {
		msgs = append(msgs, fmt.Sprintf("%s could not be read whole and %s skipped, so the report may miss sessions: %s",
			english.Count(len(ctx.SourceProblems), "source", "sources"), isAre(len(ctx.SourceProblems)), strings.Join(ctx.SourceProblems, "; ")))
	}
	if len(msgs) > 0 {
		f := Finding{Message: strings.Join(msgs, "; ")}
		if len(a.Policy.Profiles) > 0 {
			f.Range = a.Policy.Profiles[0].Range
		}
		out = append(out, f)
	}
	return out
}

// noSessionEvents reports whether the analysis holds no assume-role call,
// successful or refused, into any role.
func noSessionEvents(a *classify.Analysis) bool {
	if a.UnmappedFailed > 0 || len(a.Unmapped) > 0 {
		return false
	}
	for _, p := range a.Profiles {
		if p.Sessions > 0 || p.Failed > 0 {
			return false
		}
	}
	return true
}

func isAre(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
