package policyhcl

import (
	"regexp"
	"sort"
	"strings"
	"time"
)

var (
	defaultPattern = regexp.MustCompile(DefaultIdentityPattern)
	legacyPattern  = regexp.MustCompile(LegacyIdentityPattern)
)

// defaultIdentity accepts the broker's 4-part form and the legacy 3-part form.
func defaultIdentity() Identity {
	return Identity{Patterns: []*regexp.Regexp{defaultPattern, legacyPattern}}
}

// ProfileFor returns the first profile, in file order, whose role_arns
// match roleArn, or nil when none does.
func (p *Policy) ProfileFor(roleArn string) *Profile {
	if p == nil {
		return nil
	}
	for _, pr := range p.Profiles {
		if len(pr.RoleArns) > 0 && MatchAny(pr.RoleArns, roleArn) {
			return pr
		}
	}
	return nil
}

// Profile returns the profile with the given name, or nil.
func (p *Policy) Profile(name string) *Profile {
	if p == nil {
		return nil
	}
	for _, pr := range p.Profiles {
		if pr.Name == name {
			return pr
		}
	}
	return nil
}

// Rule returns the rule with the given name, or nil.
func (p *Policy) Rule(name string) *Rule {
	if p == nil {
		return nil
	}
	for _, r := range p.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Evaluate returns the first rule, in file order, that matches req; nil
// means no rule matched, which is a deny.
func (p *Policy) Evaluate(req Request) *Rule {
	if p == nil {
		return nil
	}
	for _, r := range p.Rules {
		if r.Matches(req) {
			return r
		}
	}
	return nil
}

// Matches reports whether the rule applies to req: every condition it sets
// holds. A request without a user matches only rules without users.
func (r *Rule) Matches(req Request) bool {
	if r == nil {
		return false
	}
	if len(r.Profiles) > 0 && !MatchAny(r.Profiles, req.Profile) {
		return false
	}
	if len(r.Users) > 0 && (!req.HasUser || !MatchAny(r.Users, req.User)) {
		return false
	}
	if len(r.Modes) > 0 && !contains(r.Modes, req.Mode) {
		return false
	}
	return r.Time.Contains(req.Time)
}

// Contains reports whether t lies in the window. Days and hours are both
// tested on t's local time in the window's location (UTC when unset), so
// with hours that wrap past midnight the early-morning part belongs to the
// day it falls on, not the day the window opened. A nil window contains
// every time.
func (w *TimeWindow) Contains(t time.Time) bool {
	if w == nil {
		return true
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	if len(w.Days) > 0 {
		ok := false
		for _, d := range w.Days {
			if d == lt.Weekday() {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if !w.HasHours {
		return true
	}
	m := lt.Hour()*60 + lt.Minute()
	if w.Start < w.End {
		return m >= w.Start && m < w.End
	}
	return m >= w.Start || m < w.End
}

// ParseSourceIdentity matches si against the identity patterns. ok is
// false when si is not the broker's. Without an identity block the
// broker's 4-part form and the legacy 3-part form are accepted (the latter
// with Legacy set and no approval); with one, only its pattern is.
func (p *Policy) ParseSourceIdentity(si string) (BrokerIdentity, bool) {
	id := defaultIdentity()
	if p != nil && len(p.Identity.Patterns) > 0 {
		id = p.Identity
	}
	if si == "" {
		return BrokerIdentity{}, false
	}
	for _, re := range id.Patterns {
		m := re.FindStringSubmatchIndex(si)
		if m == nil {
			continue
		}
		// A name may be given to several groups (one per branch of an
		// alternation): the value is that of the first of them that took
		// part in the match, not of the leftmost one.
		group := func(name string) string {
			for i, n := range re.SubexpNames() {
				if n == name && m[2*i] >= 0 {
					return si[m[2*i]:m[2*i+1]]
				}
			}
			return ""
		}
		b := BrokerIdentity{Raw: si, User: group("user"), Approval: group("approval"), Request: group("request")}
		if !id.Configured && re == legacyPattern {
			b.Legacy = true
			b.Approval = ""
		}
		return b, true
	}
	return BrokerIdentity{}, false
}

// CanRequireSession reports whether some rule with effect
// require_server_session could match an access to profile: its profiles
// match (or it has none), its mode allows "server" (or it has none), and no
// earlier rule matches every server access to profile (the first matching
// rule decides). Users and time are not judged: a rule with either may
// match.
func (p *Policy) CanRequireSession(profile string) bool {
	return len(p.RulesRequiringSession(profile)) > 0
}

// RulesRequiringSession returns, in policy order, the require_server_session
// rules that can apply to a session of profile (see CanRequireSession).
func (p *Policy) RulesRequiringSession(profile string) []*Rule {
	if p == nil {
		return nil
	}
	var out []*Rule
	for _, r := range p.Rules {
		if r.Effect == EffectRequireServerSession &&
			(len(r.Profiles) == 0 || MatchAny(r.Profiles, profile)) &&
			(len(r.Modes) == 0 || contains(r.Modes, ModeServer)) {
			out = append(out, r)
		}
		if r.coversProfile(profile, ModeServer) {
			break // no later rule sees an access to profile
		}
	}
	return out
}

// coversProfile reports whether r matches every access to profile in mode
// ("" = in every mode): its profiles match (or it has none) and it has no
// users, time or other mode condition.
func (r *Rule) coversProfile(profile, mode string) bool {
	if len(r.Profiles) > 0 && !MatchAny(r.Profiles, profile) {
		return false
	}
	if len(r.Users) > 0 || r.Time != nil {
		return false
	}
	return len(r.Modes) == 0 || mode != "" && contains(r.Modes, mode)
}

// AccountIDs returns the sorted literal account ids in the profiles'
// role_arns (arn:<partition>:iam::<account>:role/…); role_arns whose
// account field has a wildcard are skipped.
func (p *Policy) AccountIDs() []string {
	if p == nil {
		return nil
	}
	return p.ProfileAccountIDs(func(string) bool { return true })
}

// literalAccountRe finds a literal account id in a role ARN glob whose
// fields before it are not all literal.
var literalAccountRe = regexp.MustCompile(`:([0-9]{12}):role/`)

// ProfileAccountIDs is AccountIDs for the profiles whose names keep
// accepts.
func (p *Policy) ProfileAccountIDs(keep func(name string) bool) []string {
	set := map[string]bool{}
	for _, pr := range p.Profiles {
		if !keep(pr.Name) {
			continue
		}
		for _, g := range pr.RoleArns {
			parts := strings.SplitN(g.Pattern, ":", 6)
			if len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" {
				if accountRe.MatchString(parts[4]) {
					set[parts[4]] = true
				}
				continue
			}
			// A glob over the fields before the account
			// ("*:iam::111122223333:role/x", "arn:aws:*::…"): the
			// literal account before ":role/".
			if m := literalAccountRe.FindStringSubmatch(g.Pattern); m != nil {
				set[m[1]] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// MatchMode is how session records are matched to sessions: the match of
// the session_table blocks, which must agree (a session whose rule names
// no table is matched against every table's records together), or auto.
func (p *Policy) MatchMode() string {
	if p != nil && len(p.SessionTables) > 0 && p.SessionTables[0].Match != "" {
		return p.SessionTables[0].Match
	}
	return MatchAuto
}

// SessionTable returns the session_table block with the given label, or nil.
func (p *Policy) SessionTable(name string) *SessionTable {
	if p == nil {
		return nil
	}
	for _, t := range p.SessionTables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// CheckConfig returns the first check block whose label equals any of
// nameOrID (pass a check's name and its id), or nil.
func (p *Policy) CheckConfig(nameOrID ...string) *CheckConfig {
	if p == nil {
		return nil
	}
	for _, c := range p.Checks {
		for _, n := range nameOrID {
			if c.Name == n {
				return c
			}
		}
	}
	return nil
}
