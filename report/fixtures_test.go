package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// Hand-built Results for the formatter tests. The engine fills Result in
// production; here every field is set explicitly so that each format's
// output is pinned by golden files.

const testBase = "/repo"

var testPolicyFile = testBase + "/policies/prod.hcl"

// testPolicy is the policy file the ranges below point into.
const testPolicy = `identity {
  pattern = "^sentinel[:.](?P<user>[A-Za-z0-9]{1,20})[:.](?P<approval>direct|[0-9a-f]{8})[:.](?P<request>[0-9a-f]{8})$"
}

session_table "sentinel-sessions" {
  region = "eu-west-1"
}

profile "prod-admin" {
  role_arns   = ["arn:aws:iam::111122223333:role/ProdAdmin"]
  description = "Production administrators"
}

profile "prod-readonly" {
  role_arns = ["arn:aws:iam::111122223333:role/ProdReadOnly"]
}

profile "dev" {
  role_arns = ["arn:aws:iam::444455556666:role/*"]
}

profile "audit" {
  role_arns = ["arn:aws:iam::111122223333:role/Audit"]
}

rule "prod-needs-tracked-session" {
  effect   = "require_server_session"
  profiles = ["prod-*", "audit"]
  session_table = "sentinel-sessions"
}

rule "dev-allowed" {
  effect   = "allow"
  profiles = ["dev"]
  time {
    days  = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    hours { start = "08:00" end = "20:00" }
  }
}
`

// rng builds a range in the test policy file.
func rng(line, col, endLine, endCol int) hcl.Range {
	return hcl.Range{
		Filename: testPolicyFile,
		Start:    hcl.Pos{Line: line, Column: col},
		End:      hcl.Pos{Line: endLine, Column: endCol},
	}
}

var (
	rangeProdAdmin    = rng(9, 1, 12, 2)
	rangeProdReadOnly = rng(14, 1, 16, 2)
	rangeDev          = rng(18, 1, 20, 2)
	rangeAudit        = rng(22, 1, 24, 2)
	rangeRuleProd     = rng(26, 1, 30, 2)
	rangeRuleDev      = rng(32, 1, 39, 2)
)

func testRules() []checks.Meta {
	help := "https://github.com/sentinel-check/sentinel-check/blob/main/docs/checks.md#"
	meta := func(id, name, title string, sev checks.Severity, score string, doc string) checks.Meta {
		return checks.Meta{
			ID: id, Name: name, Title: title, DefaultSeverity: sev,
			HelpURL: help + strings.ToLower(id) + "-" + name,
			Tags:    []string{"security", "access-control"}, SecuritySeverity: score, Precision: "high",
			Doc: doc,
		}
	}
	return []checks.Meta{
		meta("SC1001", "untracked-session", "Role sessions that must be tracked by the broker were not tracked", checks.SeverityError, "8.0",
			"A rule with effect `require_server_session` matched these sessions, so each one had to carry the broker's SourceIdentity **and** match a live session record.\n\n**How to fix**: take away the direct `sts:AssumeRole` path and send users through the credential server."),
		meta("SC1002", "revoked-session-use", "Role sessions used a revoked or expired session record", checks.SeverityError, "8.5",
			"Sessions matched a broker record that was revoked or expired before the event.\n\n**How to fix**: revoke the issued credentials and find the caller."),
		meta("SC1003", "denied-access", "Role sessions that the policy denies were opened", checks.SeverityError, "9.0",
			"The policy denies these accesses (a `deny` rule or no rule at all), yet CloudTrail shows successful sessions.\n\n**How to fix**: tighten the role's trust policy."),
		meta("SC1004", "broker-bypass", "Role sessions bypassed the credential broker", checks.SeverityError, "8.0",
			"A `require_server` rule matched sessions that carried no broker SourceIdentity.\n\n**How to fix**: require `sts:SourceIdentity` in the trust policy."),
		meta("SC1005", "approval-bypass", "Role sessions that require approval carried no approval id", checks.SeverityWarning, "6.0",
			"A `require_approval` rule matched sessions without an approval id.\n\n**How to fix**: route these accesses through an approval."),
		meta("SC2001", "unmapped-role", "Sessions into a role of the policy's accounts that no profile covers", checks.SeverityNote, "3.0",
			"CloudTrail shows sessions into a role of an account the policy names, but no profile's `role_arns` covers the role.\n\n**How to fix**: add the role to a profile."),
		meta("SC2002", "no-data", "A profile that requires tracking had no data", checks.SeverityWarning, "5.0",
			"A profile that requires tracked sessions had no events in the window, or a source could not be read whole.\n\n**How to fix**: check the sources and the window."),
		meta("SC0001", "policy-error", "The policy has errors", checks.SeverityError, "7.0",
			"The policy could not be loaded.\n\n**How to fix**: fix the diagnostics."),
	}
}

func cats(tracked, noSI, foreign, orphaned, revoked, expired int) map[string]int {
	return map[string]int{
		CategoryTracked: tracked, CategoryNoSourceIdentity: noSI, CategoryForeignSourceIdentity: foreign,
		CategoryOrphaned: orphaned, CategoryRevoked: revoked, CategoryExpired: expired,
	}
}

func baseResult() *Result {
	start := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	return &Result{
		Tool:          Tool{Name: "sentinel-check", Version: "0.3.0", InformationURI: "https://github.com/sentinel-check/sentinel-check"},
		Window:        Window{Start: start, End: start.Add(7 * 24 * time.Hour)},
		Rules:         testRules(),
		BaseDir:       testBase,
		PolicySources: map[string][]byte{testPolicyFile: []byte(testPolicy)},
	}
}

// cleanResult: every required profile is fully tracked; no findings.
func cleanResult() *Result {
	r := baseResult()
	r.Profiles = []ProfileReport{
		{Profile: "prod-admin", Roles: []string{"arn:aws:iam::111122223333:role/ProdAdmin"}, Required: true,
			Sessions: 20, Tracked: 20, ComplianceRate: 100, ByCategory: cats(20, 0, 0, 0, 0, 0),
			FirstEvent: time.Date(2025, 3, 3, 8, 1, 2, 0, time.UTC), LastEvent: time.Date(2025, 3, 7, 17, 44, 0, 0, time.UTC)},
		{Profile: "prod-readonly", Roles: []string{"arn:aws:iam::111122223333:role/ProdReadOnly"}, Required: true,
			Sessions: 5, Tracked: 5, ComplianceRate: 100, ByCategory: cats(5, 0, 0, 0, 0, 0), DeniedAttempts: 1},
		{Profile: "dev", Roles: []string{"arn:aws:iam::444455556666:role/*"},
			Sessions: 12, Tracked: 0, Untracked: 12, ComplianceRate: 0, ByCategory: cats(0, 12, 0, 0, 0, 0)},
	}
	r.Sources = Sources{
		CloudTrail: []cloudtrail.Stats{{Source: "./trail", Kind: "files", Files: 14, Records: 310, AssumeRole: 40, Bytes: 123456}},
		Sessions:   []sessions.Stats{{Source: "./sessions.json", Kind: "file", Records: 25}},
		Totals: SourceTotals{Files: 14, Records: 310, AssumeRoleEvents: 40, Duplicates: 2, OutsideWindow: 0,
			Failed: 1, Sessions: 37, SessionRecords: 25},
	}
	r.Summary = Summary{RequiredProfiles: 2, FullyCompliantProfiles: 2}
	return r
}

// gapsResult: a production profile with gaps and several findings of
// every severity, an unmapped role, a profile without data, a finding
// without a range, and a policy warning.
func gapsResult() *Result {
	r := baseResult()
	r.Profiles = []ProfileReport{
		{Profile: "prod-admin", Roles: []string{"arn:aws:iam::111122223333:role/ProdAdmin"}, Required: true,
			Sessions: 20, Tracked: 18, Untracked: 2, ComplianceRate: 90, HasGap: true, ByCategory: cats(18, 1, 0, 1, 0, 0),
			DeniedAttempts: 3,
			FirstEvent:     time.Date(2025, 3, 3, 8, 1, 2, 0, time.UTC), LastEvent: time.Date(2025, 3, 7, 17, 44, 0, 0, time.UTC)},
		{Profile: "prod-readonly", Roles: []string{"arn:aws:iam::111122223333:role/ProdReadOnly"}, Required: true,
			Sessions: 2500, Tracked: 2499, Untracked: 1, ComplianceRate: 99.96, HasGap: true, ByCategory: cats(2499, 0, 0, 0, 1, 0)},
		{Profile: "dev", Roles: []string{"arn:aws:iam::444455556666:role/*"},
			Sessions: 12, Untracked: 12, ComplianceRate: 0, ByCategory: map[string]int{CategoryNoSourceIdentity: 12}},
		{Profile: "audit", Roles: []string{"arn:aws:iam::111122223333:role/Audit"}, Required: true,
			ComplianceRate: 100, ByCategory: nil},
	}
	related := func(rg hcl.Range, msg string) []checks.Related {
		return []checks.Related{{Range: rg, Message: msg}}
	}
	r.Findings = []checks.Finding{
		{CheckID: "SC1001", Check: "untracked-session", Severity: checks.SeverityError, Profile: "prod-admin",
			Message: "prod-admin: 2 of 20 sessions (90.0% tracked) between 2025-03-04T09:12:00Z and 2025-03-06T22:40:31Z were not tracked: 1 without SourceIdentity, 1 orphaned (e.g. event 3f1c2a44-9d1e-4c53-8a5e-1b2c3d4e5f60)",
			Range:   rangeProdAdmin, Related: related(rangeRuleProd, `rule "prod-needs-tracked-session" requires a tracked server session`),
			Events: []string{"3f1c2a44-9d1e-4c53-8a5e-1b2c3d4e5f60", "7a0b9c8d-1e2f-4a5b-8c7d-6e5f4a3b2c1d"}},
		{CheckID: "SC1001", Check: "untracked-session", Severity: checks.SeverityError, Profile: "prod-readonly",
			Message: "prod-readonly: 1 of 2500 sessions (99.9% tracked) on 2025-03-05T11:00:00Z was not tracked: 1 revoked (e.g. event 0c5e9a7e-2b61-4f0e-9d4a-7f3b2c1d0e9f)",
			Range:   rangeProdReadOnly, Related: related(rangeRuleProd, `rule "prod-needs-tracked-session" requires a tracked server session`),
			Events: []string{"0c5e9a7e-2b61-4f0e-9d4a-7f3b2c1d0e9f"}},
		{CheckID: "SC1002", Check: "revoked-session-use", Severity: checks.SeverityError, Profile: "prod-readonly",
			Message: "prod-readonly: 1 session on 2025-03-05T11:00:00Z used session record 5b1e… revoked at 2025-03-05T10:30:00Z (e.g. event 0c5e9a7e-2b61-4f0e-9d4a-7f3b2c1d0e9f)",
			Range:   rangeProdReadOnly, Events: []string{"0c5e9a7e-2b61-4f0e-9d4a-7f3b2c1d0e9f"}},
		{CheckID: "SC1003", Check: "denied-access", Severity: checks.SeverityError, Profile: "dev",
			Message: "dev: 2 sessions on Saturday 2025-03-08 were denied by the policy (no rule matched) but succeeded (e.g. event 9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a)",
			Range:   rangeDev, Related: related(rangeRuleDev, `rule "dev-allowed" allows only weekdays 08:00-20:00 UTC`),
			Events: []string{"9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a", "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}},
		{CheckID: "SC1005", Check: "approval-bypass", Severity: checks.SeverityWarning, Profile: "prod-admin",
			Message: "prod-admin: 3 sessions used the direct approval form (e.g. event 44d3c2b1-a098-4765-8432-10fedcba9876)",
			Range:   rangeProdAdmin, Events: []string{"44d3c2b1-a098-4765-8432-10fedcba9876"}},
		{CheckID: "SC2002", Check: "no-data", Severity: checks.SeverityWarning, Profile: "audit",
			Message: "audit: no sessions in the window 2025-03-03T00:00:00Z to 2025-03-10T00:00:00Z although the profile requires tracked sessions",
			Range:   rangeAudit, Events: nil},
		{CheckID: "SC2002", Check: "no-data", Severity: checks.SeverityWarning,
			Message: "source s3://trail-bucket/AWSLogs/ could not be read whole and was skipped: 1 object unreadable"},
		{CheckID: "SC2001", Check: "unmapped-role", Severity: checks.SeverityNote, Role: "arn:aws:iam::111122223333:role/BreakGlass",
			Message: "arn:aws:iam::111122223333:role/BreakGlass: 4 sessions into a role of account 111122223333 that no profile covers (e.g. event 2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a)",
			Range:   rng(9, 1, 12, 2), Events: []string{"2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a"}},
	}
	r.Diagnostics = hcl.Diagnostics{{
		Severity: hcl.DiagWarning, Summary: "Overlapping role globs",
		Detail:  `The role_arns of profile "dev" overlap those of profile "prod-admin"; events map to the first profile in file order.`,
		Subject: &hcl.Range{Filename: testPolicyFile, Start: hcl.Pos{Line: 19, Column: 15}, End: hcl.Pos{Line: 19, Column: 52}},
	}}
	r.Sources = Sources{
		CloudTrail: []cloudtrail.Stats{
			{Source: "./trail", Kind: "files", Files: 14, FilesSkipped: 1, Records: 3310, RecordsSkipped: 2, AssumeRole: 2560,
				Skipped: []cloudtrail.Skip{
					{Item: "trail/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/03/03/digest.json.gz", Reason: "digest file"},
					{Item: "trail/x.json record 17", Reason: "not an object"},
					{Item: "trail/x.json record 18", Reason: "eventTime is not RFC 3339"},
				}},
			{Source: "s3://trail-bucket/AWSLogs/", Kind: "s3", Files: 3, Unreadable: 1, Records: 120, AssumeRole: 10},
		},
		Sessions: []sessions.Stats{{Source: "./sessions.json", Kind: "file", Records: 2530, RecordsSkipped: 1,
			Skipped: []sessions.Skip{{Item: "line 12", Reason: "not an object"}}}},
		Totals: SourceTotals{Files: 17, FilesSkipped: 1, Records: 3430, RecordsSkipped: 2, Unreadable: 1,
			AssumeRoleEvents: 2570, Duplicates: 20, OutsideWindow: 10, Failed: 8, Sessions: 2532, SessionRecords: 2530},
	}
	r.Summary = Summary{RequiredProfiles: 3, FullyCompliantProfiles: 0, ProfilesWithGaps: 2, Findings: len(r.Findings)}
	return r
}

// Hostile values as an attacker would put them in CloudTrail: session
// names, user agents, role ARNs and event ids end up in messages, roles
// and event lists.
var hostileValues = []string{
	"\x1b[31mred\x1b[0m\x1b]0;pwned\x07",
	"line1\r\n::add-mask::AKIAIOSFODNN7EXAMPLE",
	"a\n::stop-commands::tok\n::error::forged",
	"100%0A::warning::encoded",
	"a|b||c\\|d",
	"`code` ``x``",
	"[click](https://evil.example/x) ![img](x)",
	"<script>alert(1)</script> &amp; &#124;",
	"\u202egnp.exe\u2066x\u2069 \u200f",
	"key:value,other=1::",
	"# heading *bold* _em_ ~~s~~ $x^2$",
	"bad utf8 \xff\xfe end",
	"c1 \u0085\u009b[31m",
	"tab\tsep\vvt\fff\x00nul\x7fdel",
	"sep\u2028line\u2029para",
}

// hostileResult puts the hostile values wherever CloudTrail data can
// reach: messages, roles, event ids, source names and skip reasons, and
// one profile name.
func hostileResult() *Result {
	r := baseResult()
	all := strings.Join(hostileValues, " ")
	r.Profiles = []ProfileReport{
		{Profile: "prod-admin", Roles: []string{"arn:aws:iam::111122223333:role/ProdAdmin"}, Required: true,
			Sessions: 3, Tracked: 1, Untracked: 2, ComplianceRate: 33.3, HasGap: true, ByCategory: cats(1, 1, 1, 0, 0, 0)},
		{Profile: "evil|profile\n`x`", Roles: []string{hostileValues[0], hostileValues[4]}, Required: true,
			Sessions: 1, Untracked: 1, HasGap: true, ByCategory: cats(0, 1, 0, 0, 0, 0)},
	}
	for i, v := range hostileValues {
		sev := []checks.Severity{checks.SeverityError, checks.SeverityWarning, checks.SeverityNote}[i%3]
		r.Findings = append(r.Findings, checks.Finding{
			CheckID: "SC1004", Check: "broker-bypass", Severity: sev, Profile: "prod-admin",
			Role:    v,
			Message: fmt.Sprintf("prod-admin: session %d named %s by user agent %s", i, v, v),
			Range:   rangeProdAdmin, Related: []checks.Related{{Range: rangeRuleProd, Message: "demanded by " + v}},
			Events: []string{v, "ok-event-id"},
		})
	}
	r.Findings = append(r.Findings, checks.Finding{
		CheckID: "SC2001", Check: "unmapped-role", Severity: checks.SeverityNote, Role: all,
		Message: all,
	})
	r.Sources = Sources{
		CloudTrail: []cloudtrail.Stats{{Source: "./trail/" + hostileValues[1], Kind: "files", Files: 1, FilesSkipped: 1,
			Skipped: []cloudtrail.Skip{{Item: hostileValues[2], Reason: hostileValues[0]}}}},
		Sessions: []sessions.Stats{{Source: hostileValues[4], Kind: "file", Records: 1}},
	}
	r.Summary = Summary{RequiredProfiles: 2, ProfilesWithGaps: 2, Findings: len(r.Findings)}
	return r
}

// manyResult has n findings spread over severities and profiles.
func manyResult(n int) *Result {
	r := baseResult()
	profiles := 200
	for p := 0; p < profiles; p++ {
		r.Profiles = append(r.Profiles, ProfileReport{
			Profile: fmt.Sprintf("team-%03d", p), Roles: []string{fmt.Sprintf("arn:aws:iam::111122223333:role/Team%03d", p)},
			Required: true, Sessions: 10, Tracked: 9, Untracked: 1, ComplianceRate: 90, HasGap: true, ByCategory: cats(9, 1, 0, 0, 0, 0),
		})
	}
	for i := 0; i < n; i++ {
		sev := checks.SeverityError
		switch {
		case i >= n*8/10:
			sev = checks.SeverityNote
		case i >= n/2:
			sev = checks.SeverityWarning
		}
		profile := fmt.Sprintf("team-%03d", i%profiles)
		r.Findings = append(r.Findings, checks.Finding{
			CheckID: "SC1001", Check: "untracked-session", Severity: sev, Profile: profile,
			Role:    fmt.Sprintf("arn:aws:iam::111122223333:role/R%05d", i),
			Message: fmt.Sprintf("%s: 1 of 10 sessions (90.0%% tracked) was not tracked: 1 without SourceIdentity (e.g. event %08x-0000-4000-8000-000000000000)", profile, i),
			Range:   rangeProdAdmin, Related: []checks.Related{{Range: rangeRuleProd, Message: "rule requires a tracked server session"}},
			Events: []string{fmt.Sprintf("%08x-0000-4000-8000-000000000000", i)},
		})
	}
	r.Summary = Summary{RequiredProfiles: profiles, ProfilesWithGaps: profiles, Findings: n}
	return r
}
