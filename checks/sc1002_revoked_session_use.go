package checks

import (
	"fmt"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/internal/english"
)

type revokedSessionUse struct{}

func (revokedSessionUse) Meta() Meta {
	return Meta{
		ID:               "SC1002",
		Name:             "revoked-session-use",
		Title:            "Role sessions were opened on a revoked or expired broker session",
		DefaultSeverity:  SeverityError,
		HelpURL:          HelpBase + "sc1002-revoked-session-use",
		Tags:             []string{"security", "access-control", "broker", "revocation"},
		SecuritySeverity: "8.5",
		Precision:        "high",
		Doc: `The session's SourceIdentity (or user, profile and time) matched a record in the broker's session table, but the record had been revoked (at its ` + "`updated_at`" + `) or had expired (its window ended, or it was marked ` + "`expired`" + ` at its ` + "`updated_at`" + `) before the session was opened. Someone kept using credentials, or a SourceIdentity, after the broker stopped vouching for them.

The message names the earliest such event and the session record it matched.

**How to fix**: treat it as an incident. Look the record up in the broker's table (its ` + "`user`" + `, ` + "`revoked_by`" + ` and ` + "`revoked_reason`" + `), find the caller in the event (` + "`userIdentity.arn`" + `, ` + "`sourceIPAddress`" + `), revoke the role's active sessions (` + "`aws iam put-role-policy`" + ` with an ` + "`aws:TokenIssueTime`" + ` condition), and check why the broker's revocation did not stop it.`,
	}
}

// Select picks the sessions that matched a revoked or expired record.
func (revokedSessionUse) Select(e *classify.Event) (bool, string) {
	return e.Category == classify.CategoryRevoked || e.Category == classify.CategoryExpired, ""
}

func (c revokedSessionUse) Run(ctx *Context) []Finding {
	var out []Finding
	for _, p := range ctx.Analysis.Profiles {
		bad := selected(p, c)
		if bad.Count == 0 {
			continue
		}
		msg := fmt.Sprintf("%s: %s %s used a broker session that was no longer live: %s%s; revoke the role's active sessions and find who held the credentials",
			p.Profile.Name, english.Count(bad.Count, "session", "sessions"), span(bad), breakdown(bad), exampleSession(bad))
		out = append(out, profileFinding(p.Profile, bad, msg, "matched these sessions"))
	}
	return out
}
