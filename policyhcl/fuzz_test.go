package policyhcl

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzLoad feeds arbitrary bytes as a policy file: loading, showing the
// diagnostics, formatting and evaluating must never panic, and a policy
// that loads without errors must behave consistently.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(specExample))
	f.Add([]byte(evalPolicy))
	f.Add([]byte(`rule "r" { effect = "allow"  profiles = ["p"] }`))
	f.Add([]byte("rule \"r\" {\n  effect = \"deny\"\n  time {\n    hours { start = \"22:00\"  end = \"06:00\" }\n  }\n}\n"))
	f.Add([]byte(`identity { pattern = "^(?P<user>[a-z]+)$" }`))
	f.Add([]byte(`profile "a" { role_arns = ["arn:aws:iam::*:role/*"] }` + "\n" + `profile "b" { role_arns = ["*"] }`))
	f.Add([]byte("x = [[[[[[1]]]]]]"))
	f.Add([]byte("rule \"r\" {\n  effect = \"${\"allow\"}\"\n}"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, diags := LoadSources(map[string][]byte{"fuzz.hcl": src}, Options{KnownChecks: knownChecks})
		if p == nil {
			t.Fatal("nil policy")
		}
		if err := WriteDiagnostics(io.Discard, p.HCLFiles, diags, 80, true); err != nil {
			t.Fatal(err)
		}
		for _, d := range diags {
			if d.Subject != nil && (d.Subject.Start.Byte > len(src) || d.Subject.End.Byte > len(src) || d.Subject.Start.Byte > d.Subject.End.Byte) {
				t.Fatalf("diagnostic %q has a range outside the file: %v", d.Summary, d.Subject)
			}
		}
		if out, fd := Format("fuzz.hcl", src); !fd.HasErrors() {
			if out2, fd2 := Format("fuzz.hcl", out); fd2.HasErrors() {
				t.Fatalf("formatted output does not parse: %v\n%s", fd2, out)
			} else if string(out2) != string(out) {
				t.Fatalf("Format is not idempotent:\n%q\n%q", out, out2)
			}
			// Formatting never changes what the policy means.
			pf, fdiags := LoadSources(map[string][]byte{"fuzz.hcl": out}, Options{KnownChecks: knownChecks})
			if fdiags.HasErrors() != diags.HasErrors() {
				t.Fatalf("the policy loads with errors %v, formatted %v:\n%q\n%q", diags.HasErrors(), fdiags.HasErrors(), src, out)
			}
			if a, b := policyMeaning(p), policyMeaning(pf); !diags.HasErrors() && a != b {
				t.Fatalf("formatting changed the policy:\n%q\n%q\nbefore:\n%s\nafter:\n%s", src, out, a, b)
			}
		}
		if diags.HasErrors() {
			return
		}
		tm := time.Date(2024, 6, 5, 10, 0, 0, 0, time.UTC)
		for _, pr := range p.Profiles {
			for _, g := range pr.RoleArns {
				if g.IsLiteral() {
					if got := p.ProfileFor(g.Pattern); got == nil {
						t.Fatalf("ProfileFor(%q) = nil, but profile %q lists it", g.Pattern, pr.Name)
					}
				}
			}
			req := Request{Profile: pr.Name, User: "alice", HasUser: true, Time: tm, Mode: ModeServer}
			if r := p.Evaluate(req); r != nil && !r.Matches(req) {
				t.Fatalf("Evaluate returned rule %q, which does not match", r.Name)
			}
			p.CanRequireSession(pr.Name)
		}
		p.AccountIDs()
		p.ParseSourceIdentity("sentinel:alice:direct:0a1b2c3d")
	})
}

// FuzzEvaluate compares Evaluate with a reference: regexp globs and a
// time window computed from formatted local time.
func FuzzEvaluate(f *testing.F) {
	p := mustLoad(f, map[string]string{"p.hcl": evalPolicy + `
rule "night" {
  effect = "deny"
  users  = ["night-?", "*owl"]
  time {
    days     = ["sat", "sun"]
    hours    { start = "22:30"  end = "05:15" }
    timezone = "America/New_York"
  }
}
rule "fallback" {
  effect   = "allow"
  profiles = ["*"]
  time {
    timezone = "Asia/Kathmandu"
    hours { start = "00:30"  end = "24:00" }
  }
}
`})
	f.Add("prod-admin", "alice", true, int64(1717581600), "server")
	f.Add("prod-ro", "", false, int64(1717581600), "cli")
	f.Add("break-glass", "bob", true, int64(0), "credential_process")
	f.Add("dev", "night-x", true, int64(1718409600), "")
	f.Add("", "owl", true, int64(-62135596800), "server")
	f.Fuzz(func(t *testing.T, profile, user string, hasUser bool, unix int64, mode string) {
		if unix < -1e11 || unix > 1e11 {
			return
		}
		req := Request{Profile: profile, User: user, HasUser: hasUser, Time: time.Unix(unix, 0), Mode: mode}
		got := p.Evaluate(req)
		var want *Rule
		for _, r := range p.Rules {
			if refMatches(t, r, req) {
				want = r
				break
			}
		}
		if got != want {
			t.Fatalf("Evaluate(%+v) = %v, reference says %v", req, ruleName(got), ruleName(want))
		}
	})
}

func ruleName(r *Rule) string {
	if r == nil {
		return "<deny>"
	}
	return r.Name
}

func refMatches(t *testing.T, r *Rule, req Request) bool {
	anyGlob := func(gs []Glob, s string) bool {
		for _, g := range gs {
			if globRef(t, g.Pattern).MatchString(s) {
				return true
			}
		}
		return false
	}
	if len(r.Profiles) > 0 && !anyGlob(r.Profiles, req.Profile) {
		return false
	}
	if len(r.Users) > 0 && !(req.HasUser && anyGlob(r.Users, req.User)) {
		return false
	}
	if len(r.Modes) > 0 && !strings.Contains(","+strings.Join(r.Modes, ",")+",", ","+req.Mode+",") {
		return false
	}
	if r.Time == nil {
		return true
	}
	local := req.Time.In(r.Time.Location)
	if len(r.Time.Days) > 0 {
		day := strings.ToLower(local.Format("Monday"))
		found := false
		for _, d := range r.Time.Days {
			if dayNames[d] == day {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	if !r.Time.HasHours {
		return true
	}
	hhmm := local.Format("15:04")
	start, end := fmtClock(r.Time.Start), fmtClock(r.Time.End)
	if start < end {
		return hhmm >= start && hhmm < end
	}
	return hhmm >= start || hhmm < end
}

// FuzzParseSourceIdentity checks the default identity patterns against
// their definition.
func FuzzParseSourceIdentity(f *testing.F) {
	for _, s := range []string{
		"sentinel:alice:direct:0a1b2c3d", "sentinel.bob.deadbeef.01234567", "sentinel:alice:0a1b2c3d",
		"sentinel:alice:direct:0a1b2c3", "", "sentinel:", "alice", "sentinel:a:direct:0a1b2c3d\n",
	} {
		f.Add(s)
	}
	custom := mustLoad(f, map[string]string{"p.hcl": `identity { pattern = "^corp/(?P<user>[^/]+)/(?P<request>[0-9]+)$" }`})
	def4 := regexp.MustCompile(DefaultIdentityPattern)
	def3 := regexp.MustCompile(LegacyIdentityPattern)
	f.Fuzz(func(t *testing.T, si string) {
		var nilPolicy *Policy
		id, ok := nilPolicy.ParseSourceIdentity(si)
		switch {
		case def4.MatchString(si):
			if !ok || id.Legacy || id.Raw != si || id.Approval == "" || id.User == "" || !strings.HasSuffix(si, id.Request) {
				t.Fatalf("4-part %q parsed as %+v, %v", si, id, ok)
			}
			if id.HasApproval() != !strings.EqualFold(id.Approval, "direct") {
				t.Fatalf("HasApproval wrong for %+v", id)
			}
		case def3.MatchString(si):
			if !ok || !id.Legacy || id.Approval != "" || id.HasApproval() || id.User == "" || !strings.HasSuffix(si, id.Request) {
				t.Fatalf("3-part %q parsed as %+v, %v", si, id, ok)
			}
		default:
			if ok {
				t.Fatalf("%q is not the broker's but parsed as %+v", si, id)
			}
		}
		cid, cok := custom.ParseSourceIdentity(si)
		if cok != (strings.HasPrefix(si, "corp/") && regexp.MustCompile(`^corp/[^/]+/[0-9]+$`).MatchString(si)) {
			t.Fatalf("custom pattern on %q: ok = %v", si, cok)
		}
		if cok && (cid.Legacy || "corp/"+cid.User+"/"+cid.Request != si) {
			t.Fatalf("custom pattern on %q: %+v", si, cid)
		}
	})
}

// FuzzGlob compares Glob.Match with a regexp-based reference, and the
// overlap search with both matchers.
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"arn:aws:iam::*:role/prod-*", "arn:aws:iam::111122223333:role/prod-admin"},
		{"a?c", "aéc"},
		{"*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaab"},
		{"?*?", "x"},
		{"*", "\xff"},
		{"é*", "é\xff"},
		{"x", "x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		g, err := NewGlob(pattern)
		if err != nil {
			return
		}
		// regexp reads invalid UTF-8 bytes as U+FFFD; the glob compares
		// bytes, so the two only agree when that cannot be confused.
		if !utf8.ValidString(s) && strings.ContainsRune(pattern, utf8.RuneError) {
			return
		}
		if got, want := g.Match(s), globRef(t, pattern).MatchString(s); got != want {
			t.Fatalf("Glob(%q).Match(%q) = %v, reference %v", pattern, s, got, want)
		}
		// s as a pattern too: an overlap witness must match both.
		h, err := NewGlob(s)
		if err != nil || len(pattern) > 64 || len(s) > 64 {
			return
		}
		w, ok := globsIntersect(pattern, s, -1, nil)
		if ok && !(g.Match(w) && h.Match(w)) {
			t.Fatalf("globsIntersect(%q, %q) witness %q does not match both", pattern, s, w)
		}
		if !ok && h.IsLiteral() && g.Match(s) {
			t.Fatalf("globsIntersect(%q, %q) = false, but the literal matches", pattern, s)
		}
		if !ok && g.IsLiteral() && h.Match(pattern) {
			t.Fatalf("globsIntersect(%q, %q) = false, but the literal matches", pattern, s)
		}
		w5, ok5 := globsIntersect(pattern, s, arnColons, nil)
		if ok5 && (!ok || strings.Count(w5, ":") != arnColons || !g.Match(w5) || !h.Match(w5)) {
			t.Fatalf("globsIntersect(%q, %q, 5) witness %q is wrong", pattern, s, w5)
		}
		if !ok5 && h.IsLiteral() && g.Match(s) && strings.Count(s, ":") == arnColons {
			t.Fatalf("globsIntersect(%q, %q, 5) = false, but the literal matches", pattern, s)
		}
		if ok && strings.Count(w, ":") == arnColons && !ok5 {
			t.Fatalf("globsIntersect(%q, %q, 5) = false, but %q has five colons and matches both", pattern, s, w)
		}
		ga, gb := newGlobShape(pattern), newGlobShape(s)
		if ok5 && quickDisjoint(&ga, &gb) {
			t.Fatalf("quickDisjoint(%q, %q) = true, but %q matches both", pattern, s, w5)
		}
	})
}

// policyMeaning writes out everything a check reads of p, in order.
func policyMeaning(p *Policy) string {
	var b strings.Builder
	for _, r := range p.Identity.Patterns {
		fmt.Fprintf(&b, "identity %q\n", r.String())
	}
	fmt.Fprintf(&b, "identity configured %v\n", p.Identity.Configured)
	for _, s := range p.SessionTables {
		fmt.Fprintf(&b, "session_table %q %q %q\n", s.Name, s.Region, s.Match)
	}
	for _, pr := range p.Profiles {
		fmt.Fprintf(&b, "profile %q %#v %q\n", pr.Name, pr.RoleArns, pr.Description)
	}
	for _, r := range p.Rules {
		fmt.Fprintf(&b, "rule %q %q %#v %#v %q %q %q\n", r.Name, r.Effect, r.Profiles, r.Users, r.Modes, r.SessionTable, r.Reason)
		if r.Time != nil {
			fmt.Fprintf(&b, "  time %v %v %d %d %v\n", r.Time.Days, r.Time.HasHours, r.Time.Start, r.Time.End, r.Time.Location)
		}
	}
	for _, c := range p.Checks {
		fmt.Fprintf(&b, "check %q %q", c.Name, c.Severity)
		if c.Enabled != nil {
			fmt.Fprintf(&b, " enabled %v", *c.Enabled)
		}
		if c.MinCompliance != nil {
			fmt.Fprintf(&b, " min_compliance %v", *c.MinCompliance)
		}
		b.WriteByte('\n')
	}
	for _, c := range p.CloudTrail {
		fmt.Fprintf(&b, "cloudtrail %q %q %q %q\n", c.Source, c.OutputLocation, c.Regions, c.Accounts)
	}
	return b.String()
}
