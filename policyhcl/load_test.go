package policyhcl

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// wantDiag is one expected diagnostic: severity, summary, where, and a
// fragment of the detail.
type wantDiag struct {
	sev       hcl.DiagnosticSeverity
	summary   string
	line, col int
	detail    string
}

func (w wantDiag) String() string {
	sev := "error"
	if w.sev == hcl.DiagWarning {
		sev = "warning"
	}
	return fmt.Sprintf("%d:%d %s %q (%q)", w.line, w.col, sev, w.summary, w.detail)
}

func errAt(line, col int, summary, detail string) wantDiag {
	return wantDiag{hcl.DiagError, summary, line, col, detail}
}

func warnAt(line, col int, summary, detail string) wantDiag {
	return wantDiag{hcl.DiagWarning, summary, line, col, detail}
}

func matchDiags(t *testing.T, diags hcl.Diagnostics, want []wantDiag) {
	t.Helper()
	var got []string
	for _, d := range diags {
		line, col := 0, 0
		if d.Subject != nil {
			line, col = d.Subject.Start.Line, d.Subject.Start.Column
		}
		got = append(got, fmt.Sprintf("%d:%d %v %q: %s", line, col, d.Severity, d.Summary, d.Detail))
	}
	if len(diags) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n  got:  %s\n  want: %v", len(diags), len(want), strings.Join(got, "\n        "), want)
	}
	for i, w := range want {
		d := diags[i]
		ok := d.Severity == w.sev && d.Summary == w.summary && strings.Contains(d.Detail, w.detail) &&
			d.Subject != nil && d.Subject.Start.Line == w.line && d.Subject.Start.Column == w.col
		if !ok {
			t.Errorf("diagnostic %d:\n  got:  %s\n  want: %v", i, got[i], w)
		}
	}
}

func TestDiagnostics(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []wantDiag
	}{
		{"unknown block with suggestion", `profle "x" {}`,
			[]wantDiag{errAt(1, 1, "Unsupported block type", `Did you mean "profile"?`)}},
		{"unknown attribute with suggestion", `rule "r" {
  efect = "allow"
}`, []wantDiag{
			errAt(1, 10, "Missing required argument", `"effect" is required`),
			errAt(2, 3, "Unsupported argument", `Did you mean "effect"?`)}},
		// Without a close name, the names allowed.
		{"unknown attribute without suggestion", `profile "p" {
  roles = ["arn:aws:iam::111122223333:role/P"]
}`, []wantDiag{
			errAt(1, 13, "Missing required argument", `"role_arns" is required`),
			errAt(2, 3, "Unsupported argument", `The arguments of a profile block: "role_arns", "description".`)}},
		{"unknown block without suggestion", `rule "r" {
  effect = "allow"
  hours { from = "09:00" }
}`, []wantDiag{errAt(3, 3, "Unsupported block type", `The blocks of a rule block: "time".`)}},
		{"a block where none is allowed", `check "no-data" {
  x {}
}`, []wantDiag{errAt(2, 3, "Unsupported block type", `A check block has no blocks.`)}},
		{"bad effect lists the five", `rule "r" { effect = "permit" }`,
			[]wantDiag{errAt(1, 21, "Invalid effect", `"allow", "deny", "require_approval", "require_server" or "require_server_session"`)}},
		{"effect case suggestion", `rule "r" { effect = "Allow" }`,
			[]wantDiag{errAt(1, 21, "Invalid effect", `Did you mean "allow"?`)}},
		{"bad mode at the element", `rule "r" {
  effect = "allow"
  mode   = ["server", "api"]
}`, []wantDiag{errAt(3, 23, "Invalid mode", `"server", "cli" or "credential_process"`)}},
		{"bad match", `session_table "t-1" { match = "exact" }`,
			[]wantDiag{errAt(1, 31, "Invalid match mode", `"auto", "source_identity" or "user_profile_window"`)}},
		{"bad session table name", `session_table "x" {}`,
			[]wantDiag{errAt(1, 15, "Invalid session table name", "DynamoDB")}},
		{"bad region", `session_table "tbl" { region = "Ireland" }`,
			[]wantDiag{errAt(1, 32, "Invalid region", `"eu-west-1"`)}},
		{"bad severity", `check "SC1001" { severity = "critical" }`,
			[]wantDiag{errAt(1, 29, "Invalid severity", `"error", "warning" or "note"`)}},
		{"min_compliance out of range", `check "SC1001" { min_compliance = -1 }`,
			[]wantDiag{errAt(1, 35, "Invalid min_compliance", "0 to 100")}},
		{"min_compliance above 100", `check "SC1001" { min_compliance = 100.5 }`,
			[]wantDiag{errAt(1, 35, "Invalid min_compliance", "got 100.5")}},
		{"min_compliance with three decimals", `check "SC1001" { min_compliance = 99.994 }`,
			[]wantDiag{errAt(1, 35, "Invalid min_compliance", "at most two decimals (a hundredth of a percent), got 99.994; round it, for example to 99.99")}},
		{"min_compliance written as a fraction", `check "SC1001" { min_compliance = 0.95 }`,
			[]wantDiag{warnAt(1, 35, "min_compliance looks like a fraction", "0.95 means 0.95% of sessions tracked, not 95%. Write 95 if")}},
		{"min_compliance of 0 or above 1", "check \"SC1001\" { min_compliance = 0 }\ncheck \"SC1002\" { enabled = true }", nil},
		{"min_compliance on a check without a threshold", "check \"untracked-session\" { min_compliance = 99 }\ncheck \"broker-bypass\" { min_compliance = 50 }",
			[]wantDiag{warnAt(2, 42, "min_compliance has no effect", `Check "broker-bypass" (SC1004) has no compliance threshold: min_compliance only applies to SC1001`)}},
		{"min_compliance on an unknown check: only the unknown check", `check "untraked-session" { min_compliance = 95 }`,
			[]wantDiag{errAt(1, 7, "Unknown check", `Did you mean "untracked-session"?`)}},
		{"min_compliance fraction with a float error", `check "SC1001" { min_compliance = 0.29 }`,
			[]wantDiag{warnAt(1, 35, "min_compliance looks like a fraction", "not 29%. Write 29 if")}},
		{"unknown check with suggestion", `check "untraked-session" {}`,
			[]wantDiag{errAt(1, 7, "Unknown check", `Did you mean "untracked-session"?`)}},
		{"bad glob at the element", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/a", ""] }`,
			[]wantDiag{errAt(1, 64, "Invalid glob", "empty pattern")}},
		{"glob with control character", `rule "r" {
  effect = "allow"
  users  = ["al\tice"]
}`, []wantDiag{errAt(3, 13, "Invalid glob", "control character")}},
		{"empty role_arns", `profile "p" { role_arns = [] }`,
			[]wantDiag{errAt(1, 27, "Empty role_arns", "at least one")}},
		{"missing role_arns", `profile "p" {
}`, []wantDiag{errAt(1, 13, "Missing required argument", `"role_arns" is required`)}},
		{"role_arns not a list", `profile "p" { role_arns = "arn:aws:iam::111122223333:role/A" }`,
			[]wantDiag{errAt(1, 27, "Incorrect value type", `role_arns = ["arn:aws:iam::111122223333:role/A"]`)}},
		{"role_arns cannot be a role", `profile "p" { role_arns = ["arn:aws:iam::111122223333:user/alice"] }`,
			[]wantDiag{errAt(1, 28, "Not a role ARN", "cannot match any IAM role ARN")}},
		{"role_arns a session ARN", `profile "p" { role_arns = ["arn:aws:sts::111122223333:assumed-role/ProdAdmin/*"] }`,
			[]wantDiag{errAt(1, 28, "Not a role ARN", "list the role itself: arn:aws:iam::<account>:role/<role>")}},
		{"role_arns missing a colon", `profile "p" { role_arns = ["arn:aws:iam:111122223333:role/ProdAdmin"] }`,
			[]wantDiag{errAt(1, 28, "Not a role ARN", "like arn:aws:iam::111122223333:role/ProdAdmin")}},
		{"role_arns two in one string", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/A,arn:aws:iam::111122223333:role/B"] }`,
			[]wantDiag{errAt(1, 28, "Not a role ARN", "holds a second ARN")}},
		{"role_arns two in one string, with a space", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/A arn:aws:iam::111122223333:role/B"] }`,
			[]wantDiag{errAt(1, 28, "Invalid role ARN", "no spaces")}},
		{"role_arns ending in a slash", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin/"] }`,
			[]wantDiag{errAt(1, 28, "Not a role ARN", "Remove the trailing slash")}},
		{"role_arns under a path", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/team/*", "arn:aws-cn:iam::111122223333:role/A", "*"] }`, nil},
		{"role_arns with a colon in the path", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/ops:team/Admin", "arn:aws:iam::111122223333:role/a:b:c/*"] }`, nil},
		{"role_arns with a colon, but not a role", `profile "p" { role_arns = ["arn:aws:iam::111122223333:user/ci:role/Prod"] }`,
			[]wantDiag{errAt(1, 28, "Not a role ARN", "cannot match any IAM role ARN")}},
		{"role_arns two in one string, with wildcards", `profile "p" { role_arns = ["arn:*:iam::111122223333:role/A,arn:*:iam::111122223333:role/B", "*arn:aws:iam::111122223333:role/C"] }`,
			[]wantDiag{errAt(1, 28, "Not a role ARN", "holds a second ARN")}},
		{"role_arns with arn: in the path", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/learn:ops/Admin", "arn:aws:iam::111122223333:role/team/warn:x/*"] }`, nil},
		{"role_arns with a colon in the path and a wrong service", `profile "p" { role_arns = ["arn:aws:sts::111122223333:role/ops:team/Admin"] }`,
			[]wantDiag{errAt(1, 28, "Not a role ARN", "cannot match any IAM role ARN")}},
		{"role_arns account not 12 digits", `profile "p" { role_arns = ["arn:aws:iam::1111222233:role/A", "arn:aws:iam::*:role/B", "arn:aws:iam::1111*:role/C", "arn:aws:iam::11112222333?:role/C", "arn:aws:iam::111122223333:role/D"] }`,
			[]wantDiag{errAt(1, 28, "Not an account id", `account "1111222233", which is not 12 digits`)}},
		// A mistyped partition or a character no role name has maps no
		// role: the policy would pass by checking nothing.
		{"role_arns with a mistyped partition", `profile "p" { role_arns = ["arn:asw:iam::*:role/ProdAdmin"] }`,
			[]wantDiag{errAt(1, 28, "Unknown partition", `names the partition "asw", which is no AWS partition (aws, aws-cn,`)}},
		{"role_arns with a partition that does not exist", `profile "p" { role_arns = ["arn:aws-gov:iam::111122223333:role/A"] }`,
			[]wantDiag{errAt(1, 28, "Unknown partition", `Did you mean "aws-us-gov"?`)}},
		{"role_arns with the partition in upper case", `profile "p" { role_arns = ["arn:AWS:iam::111122223333:role/A"] }`,
			[]wantDiag{errAt(1, 28, "Unknown partition", `the partition "AWS"`)}},
		{"role_arns without a partition", `profile "p" { role_arns = ["arn::iam::111122223333:role/A"] }`,
			[]wantDiag{errAt(1, 28, "Unknown partition", `the partition ""`)}},
		{"role_arns with partitions that exist", `profile "p" { role_arns = ["arn:aws-us-gov:iam::111122223333:role/A", "arn:aws-cn:iam::111122223333:role/B", "arn:aws-iso-?:iam::111122223333:role/C", "arn:*:iam::111122223333:role/D"] }`, nil},
		{"role_arns ending in a brace", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin}"] }`,
			[]wantDiag{errAt(1, 28, "Not a role name", `holds "}"`)}},
		{"role_arns with a backslash in the name", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/Prod\\Admin"] }`,
			[]wantDiag{errAt(1, 28, "Not a role name", `holds "\\"`)}},
		{"role_arns ending in a colon", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin:"] }`,
			[]wantDiag{errAt(1, 28, "Not a role name", `holds ":"`)}},
		{"role_arns with every character of role names, and others in the path", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/a+b=c,d.e@f_g-h", "arn:aws:iam::111122223333:role/te}am/Admin", "arn:aws:iam::111122223333:role/x}*", "arn:aws:iam::111122223333:role/x*}?Admin"] }`, nil},
		{"bad regex", `identity { pattern = "^sentinel:(?P<user>[a-z+$" }`,
			[]wantDiag{errAt(1, 22, "Invalid identity pattern", "missing closing ]")}},
		{"regex without user group", `identity { pattern = "^sentinel:[a-z]+$" }`,
			[]wantDiag{warnAt(1, 22, "Identity pattern without user group", "(?P<user>")}},
		{"unanchored regex", `identity { pattern = "sentinel:(?P<user>[a-z]+)" }`,
			[]wantDiag{warnAt(1, 22, "Unanchored identity pattern", "^ and $")}},
		{"anchored alternation is fine", `identity { pattern = "^a:(?P<user>x)$|^b:(?P<user2>y)$" }`, nil},
		{"regex too long", `identity { pattern = "^` + strings.Repeat("a", 1100) + `$" }`,
			[]wantDiag{errAt(1, 22, "Identity pattern too long", "at most 1024")}},
		{"two identity blocks", "identity { pattern = \"^(?P<user>a)$\" }\nidentity { pattern = \"^(?P<user>b)$\" }",
			[]wantDiag{errAt(2, 1, "Duplicate identity block", "declared at p.hcl:1:1")}},
		{"bad hour format", `rule "r" {
  effect = "allow"
  time {
    hours {
      start = "8am"
      end   = "17:00"
    }
  }
}`, []wantDiag{errAt(5, 15, "Invalid time of day", `"HH:MM"`)}},
		{"24:00 only as end", `rule "r" {
  effect = "allow"
  time {
    hours {
      start = "24:00"
      end   = "17:60"
    }
  }
}`, []wantDiag{
			errAt(5, 15, "Invalid time of day", "00:00 to 23:59"),
			errAt(6, 15, "Invalid time of day", "00:00 to 24:00")}},
		{"start equals end", `rule "r" {
  effect = "allow"
  time {
    hours { start = "09:00"  end = "09:00" }
  }
}`, []wantDiag{errAt(4, 13, "Empty hours range", "remove the hours block")}},
		{"unknown timezone is an error", `rule "r" {
  effect = "allow"
  time { timezone = "Mars/Olympus" }
}`, []wantDiag{errAt(3, 21, "Unknown timezone", `IANA time zone name like "Europe/Berlin"`)}},
		{"Local is not a zone", `rule "r" {
  effect = "allow"
  time { timezone = "Local" }
}`, []wantDiag{errAt(3, 21, "Invalid timezone", "IANA")}},
		{"bad day with suggestion", `rule "r" {
  effect = "allow"
  time { days = ["monday", "thurday"] }
}`, []wantDiag{errAt(3, 28, "Invalid day", `Did you mean "thursday"?`)}},
		{"empty days warns", `rule "r" {
  effect = "allow"
  time {
    days = []
    hours { start = "08:00"  end = "18:00" }
  }
}`, []wantDiag{warnAt(4, 12, "Empty days", "every day")}},
		{"a time block without days or hours is an error", `rule "r" {
  effect = "allow"
  time { timezone = "Europe/Berlin" }
}`, []wantDiag{errAt(3, 3, "Empty time block", "matches every time")}},
		{"a time block of every day without hours is an error", `rule "r" {
  effect = "allow"
  time { days = ["mon", "tue", "wed", "thu", "fri", "sat", "sunday"] }
}`, []wantDiag{errAt(3, 3, "Empty time block", "matches every time")}},
		{"a time block of the whole day without days is an error", `rule "r" {
  effect = "allow"
  time {
    hours { start = "00:00"  end = "24:00" }
  }
}`, []wantDiag{errAt(3, 3, "Empty time block", "one of the whole day (00:00 to 24:00)")}},
		{"the whole day on some days is a time block", `rule "r" {
  effect = "allow"
  time {
    days  = ["sat", "sun"]
    hours { start = "00:00"  end = "24:00" }
  }
}`, nil},
		{"two time blocks", `rule "r" {
  effect = "allow"
  time { days = ["mon"] }
  time { days = ["tue"] }
}`, []wantDiag{errAt(4, 3, "Duplicate time block", "p.hcl:3:3")}},
		{"undeclared session table", `session_table "sentinel-sessions" {}
rule "r" {
  effect        = "require_server_session"
  session_table = "sentinel-session"
}`, []wantDiag{errAt(4, 19, "Undeclared session table", `Did you mean "sentinel-sessions"?`)}},
		{"session table on another effect, no warning", `session_table "tbl" {}
rule "r" {
  effect        = "require_server"
  session_table = "tbl"
}`, nil}, // its records tell a revoked session (SC1002) whatever the effect
		{"session tables that match differently", `session_table "t-eu" {}
session_table "t-us" { match = "auto" }
session_table "t-ap" { match = "user_profile_window" }`, []wantDiag{errAt(3, 1, "Session tables match differently", `"t-ap" matches records by "user_profile_window", and "t-eu" (at p.hcl:1:1) by "auto"`)}},
		{"a block for the check of the policy's own errors", `check "policy-error" {
  enabled  = false
  severity = "note"
}
check "SC1001" { enabled = false }`, []wantDiag{warnAt(1, 1, "Check cannot be configured", `"policy-error" (SC0001)`)}},
		{"filters on a local source", `cloudtrail {
  source   = "./logs"
  regions  = ["eu-west-1"]
  accounts = ["111122223333"]
}`, []wantDiag{warnAt(3, 3, "regions has no effect", "read whole"), warnAt(4, 3, "accounts has no effect", "read whole")}},
		{"output_location on an S3 source", `cloudtrail {
  source          = "s3://b/AWSLogs/"
  output_location = "s3://x/"
  regions         = ["eu-west-1"]
}`, []wantDiag{warnAt(3, 3, "output_location has no effect", "only an athena:// source")}},
		{"filters on the AWS sources", `cloudtrail {
  source          = "athena://primary/db.t"
  output_location = "s3://x/"
  regions         = ["eu-west-1"]
  accounts        = ["111122223333"]
}
cloudtrail {
  source  = "lookup:"
  regions = ["eu-west-1"]
}`, nil},
		{"accounts on LookupEvents", `cloudtrail {
  source   = "lookup:"
  accounts = ["111122223333"]
}`, []wantDiag{warnAt(3, 3, "accounts has no effect", "credentials' account only")}},
		{"a position in a message, in code points", "/* \U0001F469\u200d\U0001F4BB */ profile \"a\" { role_arns = [\"arn:aws:iam::111122223333:role/A\"] }\nprofile \"a\" { role_arns = [\"arn:aws:iam::111122223333:role/B\"] }",
			[]wantDiag{errAt(2, 9, "Duplicate profile name", "already declared at p.hcl:1:11")}},
		{"duplicate profile names", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/A"] }
profile "p" { role_arns = ["arn:aws:iam::111122223333:role/B"] }`,
			[]wantDiag{errAt(2, 9, "Duplicate profile name", "already declared at p.hcl:1:1")}},
		{"duplicate rule names", "rule \"r\" { effect = \"allow\" }\nrule \"r\" { effect = \"deny\" }",
			[]wantDiag{errAt(2, 6, "Duplicate rule name", "p.hcl:1:1")}},
		{"duplicate session tables", "session_table \"tbl\" {}\nsession_table \"tbl\" {}",
			[]wantDiag{errAt(2, 15, "Duplicate session_table name", "p.hcl:1:1")}},
		{"duplicate checks", "check \"SC1001\" {}\ncheck \"SC1001\" {}",
			[]wantDiag{errAt(2, 7, "Duplicate check name", "p.hcl:1:1")}},
		{"a space in a role ARN", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/Prod "] }`,
			[]wantDiag{errAt(1, 28, "Invalid role ARN", `holds " " at byte 35`)}},
		{"a non-ASCII letter in a role ARN", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/Prоd"] }`,
			[]wantDiag{errAt(1, 28, "Invalid role ARN", "printable ASCII")}},
		{"one check by id and by name", "check \"SC1001\" { enabled = false }\ncheck \"untracked-session\" { enabled = true }",
			[]wantDiag{errAt(2, 7, "Duplicate check block", `Check "untracked-session" is SC1001, which the check block "SC1001" at p.hcl:1:1 already configures`)}},
		{"overlapping profiles warn", `profile "a" { role_arns = ["arn:aws:iam::*:role/prod-*"] }
profile "b" { role_arns = ["arn:aws:iam::111122223333:role/dev", "arn:aws:iam::111122223333:role/prod-db"] }`,
			[]wantDiag{warnAt(2, 66, "Overlapping role_arns", `belongs to "a"`)}},
		{"identical patterns overlap", `profile "a" { role_arns = ["arn:aws:iam::111122223333:role/X"] }
profile "b" { role_arns = ["arn:aws:iam::111122223333:role/X"] }`,
			[]wantDiag{warnAt(2, 28, "Overlapping role_arns", `such as "arn:aws:iam::111122223333:role/X"`)}},
		{"wildcards on both sides overlap", `profile "a" { role_arns = ["arn:aws:iam::111122223333:role/*-admin"] }
profile "b" { role_arns = ["arn:aws:iam::*:role/prod-*"] }`,
			[]wantDiag{warnAt(2, 28, "Overlapping role_arns", `"arn:aws:iam::111122223333:role/prod-admin"`)}},
		{"disjoint accounts do not warn", `profile "a" { role_arns = ["arn:aws:iam::111122223333:role/*"] }
profile "b" { role_arns = ["arn:aws:iam::444455556666:role/*"] }`, nil},
		{"disjoint name prefixes do not warn", `profile "c" { role_arns = ["arn:aws:iam::*:role/prod-*"] }
profile "d" { role_arns = ["arn:aws:iam::*:role/dev-*", "arn:aws:iam::*:role/team/*"] }`, nil},
		{"each pair once, at the later profile", `profile "a" { role_arns = ["arn:aws:iam::111122223333:role/*"] }
profile "b" { role_arns = ["arn:aws:iam::444455556666:role/*"] }
profile "c" { role_arns = ["arn:aws:iam::*:role/prod-*", "arn:aws:iam::111122223333:role/prod-x"] }`,
			[]wantDiag{
				warnAt(3, 28, "Overlapping role_arns", `profile "a"`),
				warnAt(3, 28, "Overlapping role_arns", `profile "b"`)}},
		{"variables are not allowed", `rule "r" { effect = var.effect }`,
			[]wantDiag{errAt(1, 21, "Variables not allowed", "literals")}},
		{"unquoted word", `rule "r" { effect = allow }`,
			[]wantDiag{errAt(1, 21, "Unquoted string", `"allow"`)}},
		{"functions are not allowed", `rule "r" { effect = lower("ALLOW") }`,
			[]wantDiag{errAt(1, 21, "Function calls not allowed", "literals")}},
		{"null is not a value", `rule "r" { effect = null }`,
			[]wantDiag{errAt(1, 21, "Invalid value", "must not be null")}},
		{"number for a string", `rule "r" { effect = 1 }`,
			[]wantDiag{errAt(1, 21, "Incorrect value type", "must be a string")}},
		{"string for a bool", `check "SC1001" { enabled = "yes" }`,
			[]wantDiag{errAt(1, 28, "Incorrect value type", "true or false")}},
		{"string for a number", `check "SC1001" { min_compliance = "90" }`,
			[]wantDiag{errAt(1, 35, "Incorrect value type", "must be a number")}},
		{"duplicate attribute is hcl's error", "rule \"r\" {\n  effect = \"allow\"\n  effect = \"deny\"\n}",
			[]wantDiag{errAt(3, 3, "Attribute redefined", "")}},
		{"constant expressions are literal enough", `rule "r" {
  effect = "require_${"server"}"
  mode   = ["cl${"i"}"]
}`, nil},
		{"empty label", `profile "" { role_arns = ["arn:aws:iam::111122223333:role/A"] }`,
			[]wantDiag{errAt(1, 9, "Empty name", "non-empty name")}},
		{"missing label", `rule { effect = "allow" }`,
			[]wantDiag{errAt(1, 6, "Missing name for rule", "")}},
		{"rule profiles match no profile", `profile "prod-admin" { role_arns = ["arn:aws:iam::111122223333:role/A"] }
rule "r" {
  effect   = "allow"
  profiles = ["prod-admn", "prod-*"]
}`, []wantDiag{warnAt(4, 15, "No profile matches", `Did you mean "prod-admin"?`)}},
		{"unreachable rule after a catch-all", `rule "all" { effect = "deny" }
rule "later" { effect = "allow" }`,
			[]wantDiag{warnAt(2, 1, "Unreachable rule", `rule "all" at p.hcl:1:1`)}},
		{"unreachable rule after a rule for every profile", `profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/A"] }
profile "dev" { role_arns = ["arn:aws:iam::111122223333:role/B"] }
rule "open" {
  effect   = "allow"
  profiles = ["*"]
}
rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod"]
}`, []wantDiag{warnAt(7, 1, "Unreachable rule", `rule "open" at p.hcl:3:1 comes first, applies to every profile this rule names`)}},
		{"a rule for every profile with a condition leaves the next reachable", `profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/A"] }
rule "open" {
  effect   = "allow"
  profiles = ["*"]
  users    = ["alice"]
}
rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod", "dev"]
}`, []wantDiag{warnAt(9, 23, "No profile matches", `"dev"`)}},
		{"require_approval without an approval group", `identity { pattern = "^s:(?P<user>[a-z]+)$" }
rule "r" { effect = "require_approval" }`,
			[]wantDiag{warnAt(2, 21, "Approval cannot be shown", "(?P<approval>")}},
		{"cloudtrail block", `cloudtrail {
  source          = "ftp://logs"
  output_location = "athena-results"
  regions         = ["eu-west-1", "EU", "eu-wset-1"]
  accounts        = ["111122223333", "1234"]
}`, []wantDiag{
			errAt(2, 21, "Unknown source scheme", `"ftp://"`),
			errAt(3, 21, "Invalid output_location", "s3://"),
			errAt(4, 35, "Invalid region", `"EU"`),
			errAt(4, 41, "Unknown region", `"eu-wset-1" is not an AWS region (a region launched after this version of sentinel-check needs a newer one). Did you mean "eu-west-1"?`),
			errAt(5, 38, "Invalid account id", "12 digits")}},
		{"cloudtrail needs a source", `cloudtrail {
}`, []wantDiag{errAt(1, 12, "Missing required argument", `"source" is required`)}},
		{"syntax error", "rule \"r\" {\n  effect = \"allow\n}",
			[]wantDiag{
				errAt(2, 18, "Invalid multi-line string", ""),
				errAt(2, 18, "Unterminated template string", "")}},
		{"one-line blocks with several arguments", `rule "r" { effect = "allow"  profiles = ["p"]  reason = "x" }
profile "p" { role_arns = ["arn:aws:iam::111122223333:role/A"]  description = "d" }`, nil},
		{"one-line block with commas", `rule "r" { effect = "allow", mode = ["cli"] }`, nil},
		{"one-line block: ranges after it stay right", `rule "r" {
  effect = "allow"
  time { days = ["mon"]  timezone = "UTC" }
  mode = ["sever"]
}`, []wantDiag{errAt(4, 11, "Invalid mode", `Did you mean "server"?`)}},
		{"one-line block: errors inside it are placed right", `rule "r" { effect = "allow"  mode = ["srv"] }`,
			[]wantDiag{errAt(1, 38, "Invalid mode", `"srv"`)}},
		{"one-line block without spaces is hcl's error", `rule "r" {effect = "allow" mode = ["cli"]}`,
			[]wantDiag{errAt(1, 28, "Invalid single-argument block definition", "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := LoadSources(map[string][]byte{"p.hcl": []byte(tt.src)}, Options{KnownChecks: knownChecks, CheckIDs: checkIDs, MinComplianceChecks: []string{"SC1001"}, FixedChecks: []string{"SC0001"}})
			matchDiags(t, diags, tt.want)
		})
	}
}

func TestKnownChecksNilAcceptsAny(t *testing.T) {
	p, diags := LoadSources(map[string][]byte{"p.hcl": []byte(`check "anything-at-all" { enabled = false }`)}, Options{})
	if len(diags) != 0 || p.CheckConfig("anything-at-all") == nil {
		t.Errorf("nil KnownChecks must accept any label: %v", diags)
	}
	_, diags = LoadSources(map[string][]byte{"p.hcl": []byte(`check "SC1001" {}`)}, Options{KnownChecks: []string{}})
	if !diags.HasErrors() {
		t.Error("an empty, non-nil KnownChecks accepts no label")
	}
}

func TestDuplicatesAcrossFiles(t *testing.T) {
	_, diags := LoadSources(map[string][]byte{
		"a.hcl": []byte("profile \"p\" { role_arns = [\"arn:aws:iam::111122223333:role/A\"] }\nrule \"r\" { effect = \"allow\" }\n"),
		"b.hcl": []byte("profile \"p\" { role_arns = [\"arn:aws:iam::111122223333:role/B\"] }\nsession_table \"tbl\" {}\n"),
		"c.hcl": []byte("rule \"r\" {\n  effect = \"deny\"\n  profiles = [\"p\"]\n}\nsession_table \"tbl\" {}\n"),
	}, Options{})
	matchDiagsFiles(t, diags, []string{
		`b.hcl:1:9 Duplicate profile name: a.hcl:1:1`,
		`c.hcl:1:6 Duplicate rule name: a.hcl:2:1`,
		`c.hcl:5:15 Duplicate session_table name: b.hcl:2:1`,
	})
}

func TestSessionTableAcrossFiles(t *testing.T) {
	_, diags := LoadSources(map[string][]byte{
		"a.hcl": []byte("rule \"r\" {\n  effect = \"require_server_session\"\n  session_table = \"tbl\"\n}\n"),
		"b.hcl": []byte("session_table \"tbl\" {}\n"),
	}, Options{})
	if len(diags) != 0 {
		t.Errorf("a session_table declared in a later file must resolve: %v", diags)
	}
}

func matchDiagsFiles(t *testing.T, diags hcl.Diagnostics, want []string) {
	t.Helper()
	var got []string
	for _, d := range diags {
		s := d.Summary
		if d.Subject != nil {
			s = fmt.Sprintf("%s:%d:%d %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, s)
		}
		got = append(got, s+": "+d.Detail)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		parts := strings.SplitN(want[i], ": ", 2)
		if !strings.HasPrefix(got[i], parts[0]+": ") || !strings.Contains(got[i], parts[1]) {
			t.Errorf("diagnostic %d = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestDeepNesting(t *testing.T) {
	const n = 10000
	cases := map[string]string{
		"brackets":       "x = " + strings.Repeat("[", n) + strings.Repeat("]", n),
		"parentheses":    "x = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
		"objects":        "x = " + strings.Repeat("{a = ", n) + "1" + strings.Repeat("}", n),
		"blocks":         strings.Repeat("a {\n", n) + strings.Repeat("}\n", n),
		"interpolations": `x = "` + strings.Repeat(`${"`, n) + strings.Repeat(`"}`, n) + `"`,
		"unclosed":       "rule \"r\" {\n  effect = " + strings.Repeat("[", 10*n),
		"inside a rule":  "rule \"r\" {\n  effect = " + strings.Repeat("(", n) + `"allow"` + strings.Repeat(")", n) + "\n}\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			p, diags := LoadSources(map[string][]byte{"deep.hcl": []byte(src)}, Options{})
			if !diags.HasErrors() || diags[0].Summary != "Nesting too deep" {
				t.Fatalf("want a nesting error, got %v", diags)
			}
			var b strings.Builder
			if err := WriteDiagnostics(&b, p.HCLFiles, diags, 80, false); err != nil || !strings.Contains(b.String(), "deep.hcl:") {
				t.Errorf("diagnostics not written: %v %q", err, b.String())
			}
			if _, fd := Format("deep.hcl", []byte(src)); !fd.HasErrors() {
				t.Error("Format must refuse a file nested too deeply")
			}
		})
	}
	// Just inside the limit still parses.
	ok := "rule \"r\" {\n  effect = " + strings.Repeat("(", MaxNesting-1) + `"allow"` + strings.Repeat(")", MaxNesting-1) + "\n}\n"
	if _, diags := LoadSources(map[string][]byte{"ok.hcl": []byte(ok)}, Options{}); len(diags) != 0 {
		t.Errorf("nesting of %d must load: %v", MaxNesting, diags)
	}
	// Long flat chains are not nesting and must not crash either.
	chain := "rule \"r\" {\n  effect = \"allow\"\n  reason = \"a\"" + strings.Repeat(` == "a" ? "a" : "b"`, 1) + strings.Repeat(`+1`, 0) + "\n}\n"
	if _, diags := LoadSources(map[string][]byte{"chain.hcl": []byte(chain)}, Options{}); diags.HasErrors() {
		t.Errorf("conditional: %v", diags)
	}
	neg := "check \"c\" {\n  min_compliance = " + strings.Repeat("-", 20001) + "1\n}\n"
	if _, diags := LoadSources(map[string][]byte{"neg.hcl": []byte(neg)}, Options{}); len(diags) != 1 || diags[0].Summary != "Invalid min_compliance" {
		t.Errorf("a long chain of negations must evaluate: %v", diags)
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	folder := filepath.Join(dir, "policy")
	write("policy/20-rules.hcl", `rule "second" { effect = "allow" }`)
	write("policy/10-rules.hcl", "rule \"first\" {\n  effect = \"deny\"\n  profiles = [\"p\"]\n}\n")
	write("policy/README.md", "not a policy")
	write("policy/nested/99.hcl", `this is not loaded {`)
	extra := write("zz.hcl", `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/P"] }`)
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}

	p, diags := Load([]string{extra, folder, folder + "/10-rules.hcl"}, Options{})
	if len(diags) != 0 {
		t.Fatalf("Load: %v", diags)
	}
	wantFiles := []string{filepath.Join(folder, "10-rules.hcl"), filepath.Join(folder, "20-rules.hcl"), extra}
	if !reflect.DeepEqual(p.Files, wantFiles) {
		t.Errorf("Files = %v, want %v (lexical by full path, each once, not recursive)", p.Files, wantFiles)
	}
	if len(p.Rules) != 2 || p.Rules[0].Name != "first" || p.Rules[1].Name != "second" {
		t.Errorf("rules out of order: %v", p.Rules)
	}
	if p.Evaluate(Request{Profile: "p"}).Name != "first" {
		t.Error("the first file's rule must win")
	}

	// One file by two spellings, or through a link, is read once.
	link := filepath.Join(dir, "link.hcl")
	if err := os.Symlink(extra, link); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(mustGetwd(t), extra)
	if err != nil {
		t.Fatal(err)
	}
	p, diags = Load([]string{extra, rel, link, folder}, Options{})
	if len(diags) != 0 || !reflect.DeepEqual(p.Files, wantFiles) {
		t.Errorf("a file named three ways: files %v, diagnostics %v; want %v read once", p.Files, diags, wantFiles)
	}

	_, diags = Load([]string{filepath.Join(dir, "missing.hcl"), empty}, Options{})
	if len(diags) != 2 || !diags.HasErrors() {
		t.Fatalf("want two errors, got %v", diags)
	}
	if !strings.Contains(diags[0].Detail, "missing.hcl") || !strings.Contains(diags[0].Detail, "no such file") {
		t.Errorf("missing path diagnostic must name it: %q", diags[0].Detail)
	}
	if !strings.Contains(diags[1].Detail, empty) || !strings.Contains(diags[1].Detail, "no .hcl files") {
		t.Errorf("empty folder diagnostic must name it: %q", diags[1].Detail)
	}

	if _, diags = Load(nil, Options{}); !diags.HasErrors() {
		t.Error("Load without paths must fail")
	}

	big := write("big.hcl", "# "+strings.Repeat("x", MaxFileSize)+"\n")
	if _, diags = Load([]string{big}, Options{}); !diags.HasErrors() || !strings.Contains(diags[0].Detail, "larger than") {
		t.Errorf("an oversized file must be refused: %v", diags)
	}

	if os.Getuid() != 0 {
		locked := write("locked.hcl", `rule "x" { effect = "allow" }`)
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		if _, diags = Load([]string{locked}, Options{}); !diags.HasErrors() || !strings.Contains(diags[0].Detail, "locked.hcl") {
			t.Errorf("an unreadable file must be an error naming it: %v", diags)
		}
	}
}

func TestLoadSourcesEmpty(t *testing.T) {
	p, diags := LoadSources(nil, Options{})
	if p == nil || !diags.HasErrors() {
		t.Errorf("LoadSources(nil) = %v, %v; want a policy and an error", p, diags)
	}
}

func TestRelaxedRangesMatchStrict(t *testing.T) {
	// The same policy written with one-line blocks and with multi-line
	// blocks: every range must point at the same text.
	oneLine := "profile \"p\" { role_arns = [\"arn:aws:iam::111122223333:role/A\"]  description = \"é\" }\n" +
		"rule \"r\" { effect = \"allow\"  profiles = [\"p\"] }\n"
	p := mustLoad(t, map[string]string{"p.hcl": oneLine})
	src := p.Sources["p.hcl"]
	text := func(r hcl.Range) string { return string(src[r.Start.Byte:r.End.Byte]) }
	if got := text(p.Profiles[0].Range); !strings.HasPrefix(got, `profile "p" {`) || !strings.HasSuffix(got, "}") || strings.Contains(got, "rule") {
		t.Errorf("profile Range covers %q", got)
	}
	if r := p.Rules[0].DeclRange; r.Start.Line != 2 || r.Start.Column != 1 || r.End.Column != 9 || text(r) != `rule "r"` {
		t.Errorf("rule DeclRange = %v (%q)", r, text(r))
	}
	if r := p.Rules[0].Range; r.End.Line != 2 || r.End.Column != 48 {
		t.Errorf("rule Range = %v", r)
	}
	if !strings.Contains(string(p.HCLFiles["p.hcl"].Bytes), "  description") {
		t.Error("HCLFiles must keep the original bytes")
	}
}

// The unreachable-rule check is bounded: on a policy of thousands of
// profiles and rules it reports what it found within its budget, and says
// it stopped, instead of comparing every pair for hours. Rules with a
// condition are never compared.
func TestReachabilityBudget(t *testing.T) {
	policy := func(n int, rule func(i int) string) []byte {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "profile \"p%d\" {\n  role_arns = [\"arn:aws:iam::111122223333:role/R%d\"]\n}\n", i, i)
		}
		b.WriteString("profile \"q\" {\n  role_arns = [\"arn:aws:iam::111122223333:role/Q\"]\n}\n")
		for i := range n {
			fmt.Fprintf(&b, "rule \"r%d\" {\n  effect = \"allow\"\n%s}\n", i, rule(i))
		}
		return []byte(b.String())
	}
	count := func(diags hcl.Diagnostics, summary string) int {
		n := 0
		for _, d := range diags {
			if d.Summary == summary {
				n++
			}
		}
		return n
	}
	// Every other rule names the profiles p*, which the first one covers;
	// the others name every profile, which none before covers (q).
	alternate := func(i int) string {
		if i%2 == 0 {
			return "  profiles = [\"p*\"]\n"
		}
		return "  profiles = [\"*\"]\n"
	}
	_, diags := LoadSources(map[string][]byte{"p.hcl": policy(100, alternate)}, Options{})
	if got := count(diags, "Unreachable rule"); got != 98 || count(diags, "Reachability check incomplete") != 0 {
		t.Errorf("100 rules: %d unreachable rules, want 98", got)
	}
	_, diags = LoadSources(map[string][]byte{"p.hcl": policy(3000, alternate)}, Options{})
	if got := count(diags, "Unreachable rule"); got == 0 || got >= 2998 || count(diags, "Reachability check incomplete") != 1 {
		t.Errorf("3000 rules: %d unreachable rules and %d incomplete warnings, want some and one", got, count(diags, "Reachability check incomplete"))
	}
	withUsers := func(int) string { return "  profiles = [\"*\"]\n  users = [\"u\"]\n" }
	_, diags = LoadSources(map[string][]byte{"p.hcl": policy(3000, withUsers)}, Options{})
	if count(diags, "Unreachable rule") != 0 || count(diags, "Reachability check incomplete") != 0 {
		t.Errorf("3000 rules with users: %v", diags)
	}
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// A string of more parts than MaxStringParts is refused before the parser,
// whose time grows with the square of their number, sees it; backslash
// escapes do not split a string, so a long one still loads.
func TestLongStrings(t *testing.T) {
	rule := func(reason string) []byte {
		return []byte("profile \"p\" {\n  role_arns = [\"arn:aws:iam::123456789012:role/p\"]\n}\nrule \"r\" {\n  effect = \"allow\"\n  reason = " + reason + "\n}\n")
	}
	n := MaxStringParts + 1
	for name, src := range map[string][]byte{
		"heredoc lines":   rule("<<EOT\n" + strings.Repeat("line\n", n) + "EOT"),
		"indented":        rule("<<-EOT\n" + strings.Repeat("  line\n", n) + "  EOT"),
		"dollar escapes":  rule(`"` + strings.Repeat("$${", n) + `"`),
		"percent escapes": rule(`"` + strings.Repeat("%%{", n) + `"`),
		"interpolations":  rule(`"` + strings.Repeat(`a${"b"}`, n) + `"`),
		"nested":          rule(`"${"` + strings.Repeat("$${", n) + `"}"`),
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := LoadSources(map[string][]byte{"long.hcl": src}, Options{})
			if !diags.HasErrors() || diags[0].Summary != "String too long" {
				t.Fatalf("want a String too long error, got %v", diags)
			}
			if _, fd := Format("long.hcl", src); !fd.HasErrors() || fd[0].Summary != "String too long" {
				t.Errorf("Format must refuse it too, got %v", fd)
			}
		})
	}
	for name, src := range map[string][]byte{
		"heredoc at the limit":   rule("<<EOT\n" + strings.Repeat("line\n", MaxStringParts) + "EOT"),
		"many backslash escapes": rule(`"` + strings.Repeat(`a\n\"\\`, 5000) + `"`),
		"many short strings":     []byte(strings.Replace(string(rule(`"x"`)), "role/p\"]", "role/p\""+strings.Repeat(`, "arn:aws:iam::123456789012:role/a$${b}/p"`, 2000)+"]", 1)),
	} {
		t.Run(name, func(t *testing.T) {
			if _, diags := LoadSources(map[string][]byte{"ok.hcl": src}, Options{}); diags.HasErrors() {
				t.Errorf("want it loaded, got %v", diags)
			}
		})
	}
}
