package policyhcl

import (
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// mustLoad loads in-memory files and fails the test on any error.
func mustLoad(t testing.TB, files map[string]string) *Policy {
	t.Helper()
	srcs := map[string][]byte{}
	for k, v := range files {
		srcs[k] = []byte(v)
	}
	p, diags := LoadSources(srcs, Options{})
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	return p
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

const evalPolicy = `
profile "prod-admin" { role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin"] }
profile "prod-ro"    { role_arns = ["arn:aws:iam::111122223333:role/ProdReadOnly"] }
profile "dev"        { role_arns = ["arn:aws:iam::444455556666:role/*"] }
profile "break-glass" { role_arns = ["arn:aws:iam::111122223333:role/BreakGlass"] }

rule "break-glass-denied" {
  effect   = "deny"
  profiles = ["break-glass"]
}
rule "cli-prod-approval" {
  effect   = "require_approval"
  profiles = ["prod-*"]
  mode     = ["cli", "credential_process"]
}
rule "alice-prod" {
  effect   = "require_server"
  profiles = ["prod-admin"]
  users    = ["alice"]
}
rule "prod-office-hours" {
  effect   = "require_server_session"
  profiles = ["prod-*"]
  users    = ["*"]
  mode     = ["server"]
  time {
    days     = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    hours    { start = "08:00"  end = "20:00" }
    timezone = "Europe/Berlin"
  }
}
rule "prod-any-user" {
  effect   = "require_server"
  profiles = ["prod-*"]
  users    = ["*"]
}
rule "dev-anyone" {
  effect   = "allow"
  profiles = ["dev"]
}
`

func TestEvaluate(t *testing.T) {
	p := mustLoad(t, map[string]string{"p.hcl": evalPolicy})
	// 2024-06-05 is a Wednesday; Berlin is UTC+2 in summer.
	wedNoonBerlin := mustTime(t, "2024-06-05T10:00:00Z")
	wedNightBerlin := mustTime(t, "2024-06-05T19:30:00Z") // 21:30 in Berlin
	satNoonBerlin := mustTime(t, "2024-06-08T10:00:00Z")
	tests := []struct {
		name string
		req  Request
		want string // "" = no rule = deny
	}{
		{"first match wins: deny before anything", Request{Profile: "break-glass", User: "alice", HasUser: true, Time: wedNoonBerlin, Mode: "server"}, "break-glass-denied"},
		{"mode excludes server", Request{Profile: "prod-admin", User: "bob", HasUser: true, Time: wedNoonBerlin, Mode: "cli"}, "cli-prod-approval"},
		{"user condition matches alice", Request{Profile: "prod-admin", User: "alice", HasUser: true, Time: wedNoonBerlin, Mode: "server"}, "alice-prod"},
		{"user condition is case-sensitive", Request{Profile: "prod-admin", User: "Alice", HasUser: true, Time: wedNoonBerlin, Mode: "server"}, "prod-office-hours"},
		{"inside days and hours", Request{Profile: "prod-ro", User: "bob", HasUser: true, Time: wedNoonBerlin, Mode: "server"}, "prod-office-hours"},
		{"outside hours falls through", Request{Profile: "prod-ro", User: "bob", HasUser: true, Time: wedNightBerlin, Mode: "server"}, "prod-any-user"},
		{"outside days falls through", Request{Profile: "prod-ro", User: "bob", HasUser: true, Time: satNoonBerlin, Mode: "server"}, "prod-any-user"},
		{"no user matches only rules without users", Request{Profile: "prod-ro", Time: wedNoonBerlin, Mode: "server"}, ""},
		{"no user, users=* does not match", Request{Profile: "prod-admin", Time: wedNoonBerlin, Mode: "server"}, ""},
		{"no user, rule without users matches", Request{Profile: "dev", Time: wedNoonBerlin, Mode: "server"}, "dev-anyone"},
		{"no user, cli mode rule without users", Request{Profile: "prod-ro", Time: wedNoonBerlin, Mode: "cli"}, "cli-prod-approval"},
		{"unknown profile: default deny", Request{Profile: "staging", User: "bob", HasUser: true, Time: wedNoonBerlin, Mode: "server"}, ""},
		{"empty profile: default deny", Request{User: "bob", HasUser: true, Time: wedNoonBerlin, Mode: "server"}, ""},
		{"empty mode never matches a mode list", Request{Profile: "prod-ro", User: "bob", HasUser: true, Time: wedNoonBerlin}, "prod-any-user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Evaluate(tt.req)
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tt.want {
				t.Errorf("Evaluate(%+v) = %q, want %q", tt.req, name, tt.want)
			}
		})
	}
}

func TestEvaluateNoRulesDenies(t *testing.T) {
	p := mustLoad(t, map[string]string{"p.hcl": `profile "a" { role_arns = ["arn:aws:iam::111122223333:role/A"] }`})
	if r := p.Evaluate(Request{Profile: "a", User: "u", HasUser: true, Mode: "server"}); r != nil {
		t.Errorf("a policy without rules must deny, got %q", r.Name)
	}
	var nilPolicy *Policy
	if nilPolicy.Evaluate(Request{}) != nil || nilPolicy.ProfileFor("x") != nil {
		t.Error("a nil policy must deny and map nothing")
	}
}

func TestEvaluateAcrossFilesInLexicalOrder(t *testing.T) {
	p := mustLoad(t, map[string]string{
		"b.hcl":  `rule "from-b" { effect = "allow" }`,
		"a.hcl":  `rule "from-a" { effect = "deny"` + "\n" + `profiles = ["x"] }`,
		"10.hcl": `rule "from-10" { effect = "require_server"` + "\n" + `profiles = ["x"] }`,
	})
	if !reflect.DeepEqual(p.Files, []string{"10.hcl", "a.hcl", "b.hcl"}) {
		t.Errorf("Files = %v, want lexical order", p.Files)
	}
	if r := p.Evaluate(Request{Profile: "x"}); r == nil || r.Name != "from-10" {
		t.Errorf("want the rule of the lexically first file, got %v", r)
	}
	if r := p.Evaluate(Request{Profile: "y"}); r == nil || r.Name != "from-b" {
		t.Errorf("want the catch-all rule from b.hcl, got %v", r)
	}
}

func TestTimeWindowContains(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	newYork, _ := time.LoadLocation("America/New_York")
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	office := &TimeWindow{Days: weekdays, HasHours: true, Start: 8 * 60, End: 20 * 60, Location: berlin}
	night := &TimeWindow{HasHours: true, Start: 22 * 60, End: 6 * 60} // UTC, wraps
	fridayNight := &TimeWindow{Days: []time.Weekday{time.Friday}, HasHours: true, Start: 22 * 60, End: 6 * 60}
	untilMidnight := &TimeWindow{HasHours: true, Start: 18 * 60, End: 24 * 60}
	nyMorning := &TimeWindow{HasHours: true, Start: 9 * 60, End: 10 * 60, Location: newYork}
	daysOnly := &TimeWindow{Days: []time.Weekday{time.Sunday}, Location: berlin}
	tests := []struct {
		name string
		w    *TimeWindow
		t    string
		want bool
	}{
		{"nil window contains everything", nil, "2024-01-01T00:00:00Z", true},
		{"zero location is UTC", &TimeWindow{HasHours: true, Start: 0, End: 60}, "2024-01-01T00:30:00Z", true},
		{"office: winter 08:00 CET is 07:00Z", office, "2024-01-10T07:00:00Z", true},
		{"office: winter 07:59 CET", office, "2024-01-10T06:59:00Z", false},
		{"office: summer 08:00 CEST is 06:00Z", office, "2024-06-05T06:00:00Z", true},
		{"office: summer 06:30Z is 08:30 CEST, 07:30 CET in winter", office, "2024-01-10T06:30:00Z", false},
		{"office: end is exclusive", office, "2024-06-05T18:00:00Z", false},
		{"office: 19:59 local", office, "2024-06-05T17:59:59Z", true},
		{"office: DST switch day (Sun 31 Mar) is a Sunday", office, "2024-03-31T10:00:00Z", false},
		{"office: the Monday after the DST switch, 08:30 CEST", office, "2024-04-01T06:30:00Z", true},
		{"office: the Friday before the DST switch, 08:30 CET", office, "2024-03-29T07:30:00Z", true},
		{"office: day in Berlin differs from UTC day", office, "2024-06-07T22:30:00Z", false}, // Sat 00:30 in Berlin
		{"office: Monday 00:30 Berlin is Sunday UTC", &TimeWindow{Days: []time.Weekday{time.Monday}, Location: berlin}, "2024-06-09T22:30:00Z", true},
		{"daysOnly: Sunday in Berlin", daysOnly, "2024-06-09T21:59:00Z", true},
		{"daysOnly: Monday in Berlin", daysOnly, "2024-06-09T22:00:00Z", false},
		{"night: 23:00", night, "2024-01-01T23:00:00Z", true},
		{"night: 22:00 start inclusive", night, "2024-01-01T22:00:00Z", true},
		{"night: 02:00", night, "2024-01-02T02:00:00Z", true},
		{"night: 06:00 end exclusive", night, "2024-01-02T06:00:00Z", false},
		{"night: noon", night, "2024-01-02T12:00:00Z", false},
		{"friday night: Fri 23:00", fridayNight, "2024-06-07T23:00:00Z", true},
		{"friday night: Sat 02:00 is tested as Saturday", fridayNight, "2024-06-08T02:00:00Z", false},
		{"friday night: Fri 02:00", fridayNight, "2024-06-07T02:00:00Z", true},
		{"until 24:00: 23:59", untilMidnight, "2024-06-07T23:59:59Z", true},
		{"until 24:00: 00:00", untilMidnight, "2024-06-08T00:00:00Z", false},
		{"New York: 09:30 EST is 14:30Z", nyMorning, "2024-01-10T14:30:00Z", true},
		{"New York: 09:30 EDT is 13:30Z", nyMorning, "2024-07-10T13:30:00Z", true},
		{"New York: 13:30Z in winter is 08:30 EST", nyMorning, "2024-01-10T13:30:00Z", false},
		{"New York: input with another offset", nyMorning, "2024-07-10T15:30:00+02:00", true},
	}
	for _, tt := range tests {
		if got := tt.w.Contains(mustTime(t, tt.t)); got != tt.want {
			t.Errorf("%s: Contains(%s) = %v, want %v", tt.name, tt.t, got, tt.want)
		}
	}
}

func TestTimeBlockDecoding(t *testing.T) {
	p := mustLoad(t, map[string]string{"p.hcl": `
rule "r" {
  effect = "allow"
  time {
    days     = ["Mon", "TUESDAY", "sun", "mon"]
    hours    { start = "8:05"  end = "24:00" }
    timezone = "Asia/Kolkata"
  }
}
rule "default-zone" {
  effect = "deny"
  time {
    hours { start = "22:00" end = "06:00" }
  }
}`})
	tw := p.Rules[0].Time
	if !reflect.DeepEqual(tw.Days, []time.Weekday{time.Monday, time.Tuesday, time.Sunday}) {
		t.Errorf("Days = %v", tw.Days)
	}
	if !tw.HasHours || tw.Start != 8*60+5 || tw.End != 24*60 {
		t.Errorf("hours = %v %d %d", tw.HasHours, tw.Start, tw.End)
	}
	if tw.Location.String() != "Asia/Kolkata" {
		t.Errorf("Location = %v", tw.Location)
	}
	d := p.Rules[1].Time
	if d.Location != time.UTC || d.Start != 22*60 || d.End != 6*60 || len(d.Days) != 0 {
		t.Errorf("default-zone window = %+v", d)
	}
}

// A group name carried by two groups that can both take part in one match
// is a policy error: the value would depend on their order.
func TestIdentityGroupNamedTwice(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		bad     bool
	}{
		{`^sentinel:(?P<user>[a-z]+)\\.(?P<user>[a-z]+):(?P<request>[0-9a-f]{8})$`, true},
		{`^(?:(?P<user>[a-z]+)|(?P<user>[0-9]+)):(?P<request>[0-9a-f]{8})$`, false},
		{`^(?:(?P<user>[a-z]+)|(?P<user>[0-9]+))+$`, true},
		{`^(?P<user>(?P<user>[a-z]+))$`, true},
		{`^(?:(?P<user>[a-z]+)x|(?:(?P<user>[0-9]+)y)?)$`, false},
		{`^(?:(?P<user>[a-z]+)){0,1}(?P<user>[0-9]+)$`, true},
	} {
		_, diags := LoadSources(map[string][]byte{"p.hcl": []byte("identity {\n  pattern = \"" + tc.pattern + "\"\n}\n")}, Options{})
		got := false
		for _, d := range diags {
			got = got || d.Summary == "Identity pattern group named twice"
		}
		if got != tc.bad {
			t.Errorf("%s: named twice = %v, want %v (%v)", tc.pattern, got, tc.bad, diags)
		}
	}
}

func TestParseSourceIdentity(t *testing.T) {
	def := mustLoad(t, map[string]string{"p.hcl": `rule "r" { effect = "allow" }`})
	custom := mustLoad(t, map[string]string{"p.hcl": `identity {
  pattern = "^corp/(?P<user>[a-z]+)/(?P<approval>none|ap-[0-9]+)/(?P<request>[0-9]+)$"
}`})
	noGroups := mustLoad(t, map[string]string{"p.hcl": `identity { pattern = "^broker-[0-9]+$" }`})
	// One name on a group in each branch of an alternation, as a pattern
	// that also accepts the 3-part form is written.
	repeated := mustLoad(t, map[string]string{"p.hcl": `identity {
  pattern = "^sentinel[:.](?:(?P<user>[a-z]+)[:.](?:(?P<approval>direct)|(?P<approval>[0-9a-f]{8}))|(?P<user>[a-z]+))[:.](?P<request>[0-9a-f]{8})$"
}`})
	tests := []struct {
		name string
		p    *Policy
		si   string
		ok   bool
		want BrokerIdentity
	}{
		{"default 4-part, colons", def, "sentinel:alice:direct:0a1b2c3d", true, BrokerIdentity{User: "alice", Approval: "direct", Request: "0a1b2c3d"}},
		{"default 4-part, dots", def, "sentinel.bob42.deadbeef.01234567", true, BrokerIdentity{User: "bob42", Approval: "deadbeef", Request: "01234567"}},
		{"default 4-part, mixed separators", def, "sentinel:bob.direct:01234567", true, BrokerIdentity{User: "bob", Approval: "direct", Request: "01234567"}},
		{"legacy 3-part", def, "sentinel:alice:0a1b2c3d", true, BrokerIdentity{User: "alice", Request: "0a1b2c3d", Legacy: true}},
		{"legacy 3-part, dots", def, "sentinel.alice.0a1b2c3d", true, BrokerIdentity{User: "alice", Request: "0a1b2c3d", Legacy: true}},
		{"user too long", def, "sentinel:abcdefghijklmnopqrstu:direct:0a1b2c3d", false, BrokerIdentity{}},
		{"uppercase hex refused", def, "sentinel:alice:direct:0A1B2C3D", false, BrokerIdentity{}},
		{"wrong prefix", def, "sentinal:alice:direct:0a1b2c3d", false, BrokerIdentity{}},
		{"trailing text", def, "sentinel:alice:direct:0a1b2c3dX", false, BrokerIdentity{}},
		{"leading text", def, "xsentinel:alice:direct:0a1b2c3d", false, BrokerIdentity{}},
		{"empty", def, "", false, BrokerIdentity{}},
		{"someone's own identity", def, "alice@example.com", false, BrokerIdentity{}},
		{"nil policy uses the defaults", nil, "sentinel:alice:0a1b2c3d", true, BrokerIdentity{User: "alice", Request: "0a1b2c3d", Legacy: true}},
		{"custom pattern", custom, "corp/alice/ap-17/42", true, BrokerIdentity{User: "alice", Approval: "ap-17", Request: "42"}},
		{"custom pattern replaces the default", custom, "sentinel:alice:direct:0a1b2c3d", false, BrokerIdentity{}},
		{"custom pattern replaces the legacy form", custom, "sentinel:alice:0a1b2c3d", false, BrokerIdentity{}},
		{"custom pattern without groups", noGroups, "broker-7", true, BrokerIdentity{}},
		{"repeated group names, first branch", repeated, "sentinel:alice:direct:0a1b2c3d", true, BrokerIdentity{User: "alice", Approval: "direct", Request: "0a1b2c3d"}},
		{"repeated group names, second approval", repeated, "sentinel:alice:1234abcd:0a1b2c3d", true, BrokerIdentity{User: "alice", Approval: "1234abcd", Request: "0a1b2c3d"}},
		{"repeated group names, second user", repeated, "sentinel:alice:0a1b2c3d", true, BrokerIdentity{User: "alice", Request: "0a1b2c3d"}},
	}
	for _, tt := range tests {
		got, ok := tt.p.ParseSourceIdentity(tt.si)
		if ok != tt.ok {
			t.Errorf("%s: ParseSourceIdentity(%q) ok = %v, want %v", tt.name, tt.si, ok, tt.ok)
			continue
		}
		if ok {
			tt.want.Raw = tt.si
		}
		if got != tt.want {
			t.Errorf("%s: ParseSourceIdentity(%q) = %+v, want %+v", tt.name, tt.si, got, tt.want)
		}
	}
	if id, _ := def.ParseSourceIdentity("sentinel:alice:direct:0a1b2c3d"); id.HasApproval() {
		t.Error("direct is not an approval")
	}
	if id, _ := def.ParseSourceIdentity("sentinel:alice:0a1b2c3d"); id.HasApproval() {
		t.Error("the legacy form carries no approval")
	}
	if id, _ := def.ParseSourceIdentity("sentinel:alice:deadbeef:0a1b2c3d"); !id.HasApproval() {
		t.Error("an approval id must count as an approval")
	}
}

func TestProfileFor(t *testing.T) {
	p := mustLoad(t, map[string]string{
		"1.hcl": `
profile "prod-admin" { role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin"] }
profile "prod-any"   { role_arns = ["arn:aws:iam::111122223333:role/*", "arn:aws:iam::*:role/Shared"] }`,
		"2.hcl": `profile "everything" { role_arns = ["arn:aws:iam::*:role/*"] }`,
	})
	tests := map[string]string{
		"arn:aws:iam::111122223333:role/ProdAdmin":        "prod-admin",
		"arn:aws:iam::111122223333:role/Other":            "prod-any",
		"arn:aws:iam::111122223333:role/path/to/Deep":     "prod-any",
		"arn:aws:iam::999999999999:role/Shared":           "prod-any",
		"arn:aws:iam::999999999999:role/Elsewhere":        "everything",
		"arn:aws:iam::111122223333:user/alice":            "",
		"arn:aws:iam::111122223333:role/prodadmin-broken": "prod-any",
		"": "",
	}
	for arn, want := range tests {
		got := ""
		if pr := p.ProfileFor(arn); pr != nil {
			got = pr.Name
		}
		if got != want {
			t.Errorf("ProfileFor(%q) = %q, want %q", arn, got, want)
		}
	}
}

func TestCanRequireSession(t *testing.T) {
	p := mustLoad(t, map[string]string{"p.hcl": `
rule "allow-all-dev"   { effect = "allow"                  profiles = ["dev"] }
rule "cli-only"        { effect = "require_server_session" profiles = ["cli-*"] mode = ["cli"] }
rule "server-and-cli"  { effect = "require_server_session" profiles = ["mixed"] mode = ["cli", "server"] }
rule "users-and-time"  {
  effect   = "require_server_session"
  profiles = ["prod-*"]
  users    = ["alice"]
  time { days = ["sunday"] }
}
rule "staging" { effect = "require_server" profiles = ["staging"] }
`})
	tests := map[string]bool{
		"prod-admin": true,  // users and time are ignored
		"mixed":      true,  // mode includes server
		"cli-tools":  false, // mode excludes server
		"dev":        false,
		"staging":    false, // require_server is not require_server_session
		"unknown":    false,
	}
	for profile, want := range tests {
		if got := p.CanRequireSession(profile); got != want {
			t.Errorf("CanRequireSession(%q) = %v, want %v", profile, got, want)
		}
	}
	any := mustLoad(t, map[string]string{"p.hcl": `rule "all" { effect = "require_server_session" }`})
	if !any.CanRequireSession("whatever") {
		t.Error("a rule without profiles applies to every profile")
	}
	// The first matching rule decides: a rule that takes every server
	// access to a profile hides the rules after it, and only such a rule.
	shadow := mustLoad(t, map[string]string{"p.hcl": `
rule "open"      { effect = "allow"                  profiles = ["*"] }
rule "prod"      { effect = "require_server_session" profiles = ["prod"] }
`})
	if shadow.CanRequireSession("prod") {
		t.Error(`prod: a rule with profiles = ["*"] and no condition comes first, so no access reaches the require rule`)
	}
	for _, first := range []string{
		`rule "first" { effect = "allow" profiles = ["*"] users = ["alice"] }`,
		`rule "first" { effect = "allow" profiles = ["*"] mode = ["cli"] }`,
		"rule \"first\" {\n effect = \"allow\"\n profiles = [\"*\"]\n time { days = [\"sunday\"] }\n}",
		`rule "first" { effect = "allow" profiles = ["dev"] }`,
		`rule "first" { effect = "require_server_session" profiles = ["*"] }`,
	} {
		p := mustLoad(t, map[string]string{"p.hcl": first + "\n" + `rule "prod" { effect = "require_server_session" profiles = ["prod"] }`})
		if !p.CanRequireSession("prod") {
			t.Errorf("%s: prod can still be required (the first rule leaves some accesses to the next)", first)
		}
	}
}

func TestAccountIDs(t *testing.T) {
	p := mustLoad(t, map[string]string{"p.hcl": `
profile "a" { role_arns = ["arn:aws:iam::444455556666:role/A", "arn:aws:iam::111122223333:role/*"] }
profile "b" { role_arns = ["arn:aws:iam::*:role/B", "arn:aws:iam::1111222233?3:role/C", "arn:aws-us-gov:iam::777788889999:role/G"] }
profile "c" { role_arns = ["arn:aws:iam::111122223333:role/Dup", "*"] }
profile "d" { role_arns = ["*:iam::222233334444:role/D", "arn:aws:*::555566667777:role/E"] }
`})
	want := []string{"111122223333", "222233334444", "444455556666", "555566667777", "777788889999"}
	if got := p.AccountIDs(); !reflect.DeepEqual(got, want) {
		t.Errorf("AccountIDs() = %v, want %v", got, want)
	}
}

func TestLookups(t *testing.T) {
	p := mustLoad(t, map[string]string{"p.hcl": `
session_table "sentinel-sessions" {
  region = "eu-west-1"
  match  = "source_identity"
}
session_table "other" { match = "source_identity" }
check "SC1001" {
  enabled        = false
  severity       = "warning"
  min_compliance = 99.5
}
check "broker-bypass" {}
`})
	if st := p.SessionTable("sentinel-sessions"); st == nil || st.Region != "eu-west-1" || st.Match != MatchSourceIdentity {
		t.Errorf("SessionTable(sentinel-sessions) = %+v", st)
	}
	if st := p.SessionTable("other"); st == nil || st.Match != MatchSourceIdentity || st.Region != "" {
		t.Errorf("SessionTable(other) = %+v", st)
	}
	if p.SessionTable("missing") != nil {
		t.Error("SessionTable(missing) must be nil")
	}
	if m := p.MatchMode(); m != MatchSourceIdentity {
		t.Errorf("MatchMode() = %q", m)
	}
	if m := (&Policy{}).MatchMode(); m != MatchAuto {
		t.Errorf("MatchMode() without tables = %q", m)
	}
	c := p.CheckConfig("untracked-session", "SC1001")
	if c == nil || c.Enabled == nil || *c.Enabled || c.Severity != "warning" || c.MinCompliance == nil || *c.MinCompliance != 99.5 {
		t.Errorf("CheckConfig(untracked-session, SC1001) = %+v", c)
	}
	c = p.CheckConfig("SC1004", "broker-bypass")
	if c == nil || c.Enabled != nil || c.Severity != "" || c.MinCompliance != nil {
		t.Errorf("CheckConfig(broker-bypass) = %+v, want an empty config", c)
	}
	if p.CheckConfig("SC1002", "revoked-session-use") != nil || p.CheckConfig() != nil {
		t.Error("CheckConfig without a block must be nil")
	}
}

const specExample = `# How the broker's SourceIdentity looks (RE2, named groups). Default below.
identity {
  pattern = "^sentinel[:.](?P<user>[A-Za-z0-9]{1,20})[:.](?P<approval>direct|[0-9a-f]{8})[:.](?P<request>[0-9a-f]{8})$"
}

session_table "sentinel-sessions" {   # label = DynamoDB table name
  region = "eu-west-1"                # optional, else the AWS config's region
  match  = "auto"                     # auto | source_identity | user_profile_window
}

profile "prod-admin" {
  role_arns   = ["arn:aws:iam::111122223333:role/ProdAdmin"]  # globs: arn:aws:iam::*:role/prod-*
  description = "Production administrators"
}

rule "prod-needs-tracked-session" {
  effect   = "require_server_session"  # allow | deny | require_approval | require_server | require_server_session
  profiles = ["prod-*"]                # globs; empty/absent = any
  users    = ["*"]                     # globs; empty/absent = any
  mode     = ["server"]                # server | cli | credential_process; absent = any
  time {
    days     = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    hours    { start = "08:00"  end = "20:00" }  # [start,end); end < start wraps past midnight
    timezone = "Europe/Berlin"                     # IANA; an unknown zone is an error, not ignored
  }
  session_table = "sentinel-sessions"  # optional, names a session_table block
  reason   = "Production access goes through the credential server"
}

check "untracked-session" {            # per-check settings, like tflint's rule blocks
  enabled        = true
  severity       = "error"             # error | warning | note
  min_compliance = 100                 # percent; below it the profile fails this check
}

cloudtrail {
  source          = "athena://primary/cloudtrail.org_trail"
  output_location = "s3://athena-results/sentinel-check/"
  regions         = ["eu-west-1", "us-east-1"]
  accounts        = ["111122223333"]
}
`

func TestLoadSpecExample(t *testing.T) {
	p, diags := LoadSources(map[string][]byte{"policy.hcl": []byte(specExample)}, Options{KnownChecks: knownChecks})
	if len(diags) != 0 {
		t.Fatalf("the SPEC's example must load without diagnostics:\n%s", diags.Error())
	}
	if !p.Identity.Configured || len(p.Identity.Patterns) != 1 || p.Identity.Range.Start.Line != 3 {
		t.Errorf("Identity = %+v", p.Identity)
	}
	pr := p.Profiles[0]
	if pr.Name != "prod-admin" || pr.Description != "Production administrators" || len(pr.RoleArns) != 1 {
		t.Errorf("profile = %+v", pr)
	}
	// DeclRange is the header, Range the whole block.
	if pr.DeclRange.Start.Line != 11 || pr.DeclRange.End.Line != 11 || pr.DeclRange.Start.Column != 1 || pr.DeclRange.End.Column != 21 {
		t.Errorf("profile DeclRange = %v", pr.DeclRange)
	}
	if pr.Range.Start != pr.DeclRange.Start || pr.Range.End.Line != 14 || pr.Range.End.Column != 2 {
		t.Errorf("profile Range = %v", pr.Range)
	}
	r := p.Rules[0]
	if r.Effect != EffectRequireServerSession || r.SessionTable != "sentinel-sessions" || r.Reason == "" ||
		!reflect.DeepEqual(r.Modes, []string{"server"}) || len(r.Profiles) != 1 || len(r.Users) != 1 || r.Time == nil {
		t.Errorf("rule = %+v", r)
	}
	if r.DeclRange.Start.Line != 16 || r.Range.End.Line != 28 {
		t.Errorf("rule ranges = %v / %v", r.DeclRange, r.Range)
	}
	if got := string(p.Sources["policy.hcl"][r.Range.Start.Byte:r.Range.End.Byte]); got[:6] != "rule \"" || got[len(got)-1] != '}' {
		t.Errorf("rule Range does not cover the block: %q…", got[:20])
	}
	ct := p.CloudTrail[0]
	if ct.Source != "athena://primary/cloudtrail.org_trail" || ct.OutputLocation == "" || len(ct.Regions) != 2 || !reflect.DeepEqual(ct.Accounts, []string{"111122223333"}) {
		t.Errorf("cloudtrail = %+v", ct)
	}
	if p.HCLFiles["policy.hcl"] == nil || !reflect.DeepEqual(p.Files, []string{"policy.hcl"}) {
		t.Error("Files and HCLFiles must be filled")
	}
	req := Request{Profile: "prod-admin", User: "alice", HasUser: true, Time: mustTime(t, "2024-06-05T10:00:00Z"), Mode: ModeServer}
	if got := p.Evaluate(req); got != r {
		t.Errorf("Evaluate = %v, want the rule", got)
	}
	var _ hcl.Range = r.Range
}

// knownChecks mirrors the SPEC's check table.
var knownChecks = []string{
	"SC1001", "untracked-session", "SC1002", "revoked-session-use", "SC1003", "denied-access",
	"SC1004", "broker-bypass", "SC1005", "approval-bypass", "SC2001", "unmapped-role",
	"SC2002", "no-data", "SC0001", "policy-error",
}

// checkIDs maps knownChecks' names and ids to the ids.
var checkIDs = func() map[string]string {
	m := map[string]string{}
	for i := 0; i < len(knownChecks); i += 2 {
		m[knownChecks[i]], m[knownChecks[i+1]] = knownChecks[i], knownChecks[i]
	}
	return m
}()

// "direct" is no approval in any case: a pattern written with (?i) lets
// DIRECT through, and it must not count as an approval id.
func TestHasApprovalIgnoresCase(t *testing.T) {
	p := mustLoad(t, map[string]string{"p.hcl": `identity {
  pattern = "(?i)^sentinel[:.](?P<user>[a-z0-9]{1,20})[:.](?P<approval>direct|[0-9a-f]{8})[:.](?P<request>[0-9a-f]{8})$"
}`})
	for si, want := range map[string]bool{
		"sentinel:alice:direct:12345678":   false,
		"sentinel:alice:DIRECT:12345678":   false,
		"sentinel:alice:Direct:12345678":   false,
		"sentinel:alice:DEADBEEF:12345678": true,
		"sentinel:alice:deadbeef:12345678": true,
	} {
		id, ok := p.ParseSourceIdentity(si)
		if !ok || id.HasApproval() != want {
			t.Errorf("%s: parsed %v, HasApproval %v; want %v", si, ok, id.HasApproval(), want)
		}
	}
}
