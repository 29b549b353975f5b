package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The scenario tests run the CLI end to end on generated CloudTrail files and
// session exports and compare the JSON report with what the policy semantics
// say.

var base = time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC) // a Wednesday, 11:00 in Berlin

const scenarioPolicy = `
profile "prod" {
  role_arns = ["arn:aws:iam::111122223333:role/Prod*"]
}
profile "staging" {
  role_arns = ["arn:aws:iam::444455556666:role/*"]
}
profile "approve" {
  role_arns = ["arn:aws:iam::111122223333:role/Approve"]
}
profile "open" {
  role_arns = ["arn:aws:iam::111122223333:role/Open"]
}
profile "closed" {
  role_arns = ["arn:aws:iam::111122223333:role/Closed"]
}
rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod"]
}
rule "staging" {
  effect   = "require_server"
  profiles = ["staging"]
}
rule "approve" {
  effect   = "require_approval"
  profiles = ["approve"]
}
rule "open" {
  effect   = "allow"
  profiles = ["open"]
}
rule "closed" {
  effect   = "deny"
  profiles = ["closed"]
}
`

type ev struct {
	id, role, si, callerSI, errorCode string
	t                                 time.Time
	name                              string
}

func (e ev) record() map[string]any {
	name := e.name
	if name == "" {
		name = "AssumeRole"
	}
	t := e.t
	if t.IsZero() {
		t = base
	}
	ui := map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/u", "accountId": "111122223333"}
	if e.callerSI != "" {
		ui = map[string]any{"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Broker/s",
			"sessionContext": map[string]any{"sourceIdentity": e.callerSI, "sessionIssuer": map[string]any{"arn": "arn:aws:iam::111122223333:role/Broker"}}}
	}
	r := map[string]any{
		"eventVersion": "1.08", "eventSource": "sts.amazonaws.com", "eventName": name,
		"eventTime": t.UTC().Format(time.RFC3339), "eventID": e.id, "awsRegion": "us-east-1",
		"recipientAccountId": "111122223333", "userIdentity": ui, "sourceIPAddress": "192.0.2.1", "userAgent": "test",
	}
	if e.errorCode != "" {
		r["errorCode"] = e.errorCode
		r["errorMessage"] = "User: arn:aws:iam::111122223333:user/u is not authorized to perform: sts:AssumeRole on resource: " + e.role
		r["requestParameters"] = nil
		return r
	}
	req := map[string]any{"roleArn": e.role, "roleSessionName": "s-" + e.id}
	if e.si != "" {
		req["sourceIdentity"] = e.si
	}
	r["requestParameters"] = req
	r["responseElements"] = map[string]any{"credentials": map[string]any{"accessKeyId": "ASIAABCDEFGHIJKLMNOP", "sessionToken": "SECRET-TOKEN"}}
	return r
}

type rec struct {
	ID             string `json:"id"`
	User           string `json:"user"`
	Profile        string `json:"profile"`
	Status         string `json:"status"`
	SourceIdentity string `json:"source_identity,omitempty"`
	StartedAt      string `json:"started_at"`
	ExpiresAt      string `json:"expires_at"`
	LastAccessAt   string `json:"last_access_at"`
	UpdatedAt      string `json:"updated_at"`
	CreatedAt      string `json:"created_at"`
}

func live(id, user, profile, si string, start time.Time, d time.Duration) rec {
	f := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	return rec{ID: id, User: user, Profile: profile, Status: "active", SourceIdentity: si,
		StartedAt: f(start), ExpiresAt: f(start.Add(d)), LastAccessAt: f(start.Add(d / 2)), UpdatedAt: f(start), CreatedAt: f(start)}
}

const (
	prodRole    = "arn:aws:iam::111122223333:role/ProdAdmin"
	stagingRole = "arn:aws:iam::444455556666:role/Dev"
)

func si(user, approval, req string) string { return "sentinel:" + user + ":" + approval + ":" + req }

type jsonReport struct {
	Profiles []struct {
		Profile        string         `json:"profile"`
		Required       bool           `json:"required"`
		Sessions       int            `json:"sessions"`
		Tracked        int            `json:"tracked"`
		Untracked      int            `json:"untracked"`
		ComplianceRate float64        `json:"compliance_rate"`
		HasGap         bool           `json:"has_gap"`
		ByCategory     map[string]int `json:"by_category"`
		DeniedAttempts int            `json:"denied_attempts"`
	} `json:"profiles"`
	Findings []struct {
		ID       string   `json:"id"`
		Check    string   `json:"check"`
		Profile  string   `json:"profile"`
		Severity string   `json:"severity"`
		Message  string   `json:"message"`
		Role     string   `json:"role"`
		Events   []string `json:"events"`
	} `json:"findings"`
	Summary struct {
		RequiredProfiles       int `json:"required_profiles"`
		FullyCompliantProfiles int `json:"fully_compliant_profiles"`
		ProfilesWithGaps       int `json:"profiles_with_gaps"`
		Findings               int `json:"findings"`
	} `json:"summary"`
}

// findingSet is "SC1001 prod" lines, sorted.
func (r jsonReport) findingSet() []string {
	out := []string{}
	for _, f := range r.Findings {
		key := f.ID + " " + f.Profile
		if f.Role != "" {
			key += " " + f.Role
		}
		out = append(out, key)
	}
	sort.Strings(out)
	return out
}

type scenario struct {
	name     string
	policy   string // default scenarioPolicy
	events   [][]ev // one file each
	sessions []rec
	args     []string
	exit     int
	// profile -> "sessions/tracked category=n..." checks
	want     map[string]string
	findings []string
}

// runScenario writes the scenario's files and runs `check` with JSON output.
func runScenario(t *testing.T, sc scenario) (jsonReport, int, string) {
	t.Helper()
	dir := t.TempDir()
	pol := sc.policy
	if pol == "" {
		pol = scenarioPolicy
	}
	write(t, filepath.Join(dir, "policy.hcl"), []byte(pol))
	for i, file := range sc.events {
		var recs []map[string]any
		for _, e := range file {
			recs = append(recs, e.record())
		}
		b, _ := json.Marshal(map[string]any{"Records": recs})
		write(t, filepath.Join(dir, "trail", fmt.Sprintf("f%02d.json", i)), b)
	}
	if len(sc.events) == 0 {
		write(t, filepath.Join(dir, "trail", "empty.json"), []byte(`{"Records":[]}`))
	}
	args := []string{"sentinel-check", "check", "--policy", filepath.Join(dir, "policy.hcl"),
		"--cloudtrail", filepath.Join(dir, "trail"),
		"--since", base.Add(-24 * time.Hour).Format(time.RFC3339), "--until", base.Add(24 * time.Hour).Format(time.RFC3339),
		"--format", "json=" + filepath.Join(dir, "out.json"), "--base-dir", dir}
	if sc.sessions != nil {
		b, _ := json.Marshal(sc.sessions)
		write(t, filepath.Join(dir, "sessions.json"), b)
		args = append(args, "--sessions", filepath.Join(dir, "sessions.json"))
	}
	args = append(args, sc.args...)
	var stdout, stderr bytes.Buffer
	code := Command{Stdout: &stdout, Stderr: &stderr}.Main(args)
	var rep jsonReport
	if b, err := os.ReadFile(filepath.Join(dir, "out.json")); err == nil {
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatalf("report is not JSON: %v\n%s", err, b)
		}
	}
	return rep, code, stderr.String()
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// describe renders a profile as "sessions/tracked cat=n ..." with only
// non-zero categories, plus flags.
func (r jsonReport) describe(profile string) string {
	for _, p := range r.Profiles {
		if p.Profile != profile {
			continue
		}
		s := fmt.Sprintf("%d/%d", p.Sessions, p.Tracked)
		var cats []string
		for c, n := range p.ByCategory {
			if n > 0 && c != "tracked" {
				cats = append(cats, fmt.Sprintf("%s=%d", c, n))
			}
		}
		sort.Strings(cats)
		for _, c := range cats {
			s += " " + c
		}
		if p.HasGap {
			s += " gap"
		}
		if p.Required {
			s += " required"
		}
		if p.DeniedAttempts > 0 {
			s += fmt.Sprintf(" denied=%d", p.DeniedAttempts)
		}
		s += fmt.Sprintf(" %.1f%%", p.ComplianceRate)
		return s
	}
	return "<absent>"
}

func TestScenarios(t *testing.T) {
	h := time.Hour
	tests := []scenario{
		{
			name:     "tracked by source identity",
			events:   [][]ev{{{id: "e1", role: prodRole, si: si("alice", "direct", "0000000a")}}},
			sessions: []rec{live("r1", "alice", "prod", si("alice", "direct", "0000000a"), base.Add(-time.Minute), h)},
			want:     map[string]string{"prod": "1/1 required 100.0%"},
			findings: []string{},
		},
		{
			name:     "no source identity",
			events:   [][]ev{{{id: "e1", role: prodRole}}},
			sessions: []rec{},
			exit:     1,
			want:     map[string]string{"prod": "1/0 no_source_identity=1 gap required 0.0%"},
			findings: []string{"SC1001 prod"},
		},
		{
			name:     "foreign source identity",
			events:   [][]ev{{{id: "e1", role: prodRole, si: "jenkins-42"}}},
			sessions: []rec{},
			exit:     1,
			want:     map[string]string{"prod": "1/0 foreign_source_identity=1 gap required 0.0%"},
			findings: []string{"SC1001 prod"},
		},
		{
			name:     "orphaned broker identity",
			events:   [][]ev{{{id: "e1", role: prodRole, si: si("mallory", "direct", "deadbeef")}}},
			sessions: []rec{live("r1", "alice", "prod", si("alice", "direct", "0000000a"), base.Add(-time.Minute), h)},
			exit:     1,
			want:     map[string]string{"prod": "1/0 orphaned=1 gap required 0.0%"},
			findings: []string{"SC1001 prod"},
		},
		{
			// An empty store orphans every broker identity: said once, as
			// the likely cause is the wrong table, region or export.
			name:     "orphaned: the session store is empty",
			events:   [][]ev{{{id: "e1", role: prodRole, si: si("alice", "direct", "0000000a")}}},
			sessions: []rec{},
			exit:     1,
			want:     map[string]string{"prod": "1/0 orphaned=1 gap required 0.0%"},
			findings: []string{"SC1001 prod", "SC2002 "},
		},
		{
			name:   "revoked before the event",
			events: [][]ev{{{id: "e1", role: prodRole, si: si("bob", "direct", "0badc0de")}}},
			sessions: func() []rec {
				r := live("r1", "bob", "prod", si("bob", "direct", "0badc0de"), base.Add(-2*h), 4*h)
				r.Status, r.UpdatedAt = "revoked", base.Add(-30*time.Minute).Format(time.RFC3339Nano)
				return []rec{r}
			}(),
			exit:     1,
			want:     map[string]string{"prod": "1/0 revoked=1 gap required 0.0%"},
			findings: []string{"SC1001 prod", "SC1002 prod"},
		},
		{
			// A revoked record without an end or an identity: its
			// updated_at ends its window, in which the event falls.
			name:   "revoked without an end, matched by window",
			events: [][]ev{{{id: "e1", role: prodRole, si: si("bob", "direct", "0badc0de")}}},
			sessions: func() []rec {
				r := live("r1", "bob", "prod", "", base.Add(-2*h), 4*h)
				r.ExpiresAt, r.LastAccessAt = "", ""
				r.Status, r.UpdatedAt = "revoked", base.Add(-3*time.Minute).Format(time.RFC3339Nano)
				return []rec{r}
			}(),
			exit:     1,
			want:     map[string]string{"prod": "1/0 revoked=1 gap required 0.0%"},
			findings: []string{"SC1001 prod", "SC1002 prod"},
		},
		{
			name:   "revoked after the event is still tracked",
			events: [][]ev{{{id: "e1", role: prodRole, si: si("bob", "direct", "0badc0de")}}},
			sessions: func() []rec {
				r := live("r1", "bob", "prod", si("bob", "direct", "0badc0de"), base.Add(-2*h), 4*h)
				r.Status, r.UpdatedAt = "revoked", base.Add(30*time.Minute).Format(time.RFC3339Nano)
				return []rec{r}
			}(),
			want:     map[string]string{"prod": "1/1 required 100.0%"},
			findings: []string{},
		},
		{
			// An expired record without an end, matched by its identity:
			// live up to the updated_at that marked it expired, and
			// expired after it.
			name: "expired without an end, matched by identity",
			events: [][]ev{{
				{id: "e1", role: prodRole, si: si("bob", "direct", "0badc0de")},
				{id: "e2", role: prodRole, si: si("bob", "direct", "0badc0de"), t: base.Add(2 * h)},
			}},
			sessions: func() []rec {
				r := live("r1", "bob", "prod", si("bob", "direct", "0badc0de"), base.Add(-2*h), 4*h)
				r.ExpiresAt, r.LastAccessAt = "", ""
				r.Status, r.UpdatedAt = "expired", base.Add(h).Format(time.RFC3339Nano)
				return []rec{r}
			}(),
			exit:     1,
			want:     map[string]string{"prod": "2/1 expired=1 gap required 50.0%"},
			findings: []string{"SC1001 prod", "SC1002 prod"},
		},
		{
			name:     "expired before the event",
			events:   [][]ev{{{id: "e1", role: prodRole, si: si("carol", "direct", "00c0ffee")}}},
			sessions: []rec{live("r1", "carol", "prod", si("carol", "direct", "00c0ffee"), base.Add(-5*h), h)},
			exit:     1,
			want:     map[string]string{"prod": "1/0 expired=1 gap required 0.0%"},
			findings: []string{"SC1001 prod", "SC1002 prod"},
		},
		{
			name:     "role chaining carries the caller's identity",
			events:   [][]ev{{{id: "e1", role: prodRole, callerSI: si("carol", "direct", "c0ffee01")}}},
			sessions: []rec{live("r1", "carol", "prod", si("carol", "direct", "c0ffee01"), base.Add(-time.Minute), h)},
			want:     map[string]string{"prod": "1/1 required 100.0%"},
			findings: []string{},
		},
		{
			name:     "user profile window when the record has no identity",
			events:   [][]ev{{{id: "e1", role: prodRole, si: si("dave", "direct", "11111111")}, {id: "e2", role: prodRole, si: si("dave", "direct", "22222222"), t: base.Add(3 * h)}}},
			sessions: []rec{live("r1", "dave", "prod", "", base.Add(-time.Minute), h)},
			exit:     1,
			want:     map[string]string{"prod": "2/1 orphaned=1 gap required 50.0%"},
			findings: []string{"SC1001 prod"},
		},
		{
			name:     "window tolerance of five minutes",
			events:   [][]ev{{{id: "e1", role: prodRole, si: si("dave", "direct", "11111111"), t: base.Add(-4 * time.Minute)}}},
			sessions: []rec{live("r1", "dave", "prod", "", base, h)},
			want:     map[string]string{"prod": "1/1 required 100.0%"},
			findings: []string{},
		},
		{
			name: "failed calls are denied attempts, duplicates count once, outside the window is ignored",
			events: [][]ev{
				{{id: "e1", role: prodRole, si: si("alice", "direct", "0000000a")}, {id: "f1", role: prodRole, errorCode: "AccessDenied"}},
				{{id: "e1", role: prodRole, si: si("alice", "direct", "0000000a")}, {id: "old", role: prodRole, t: base.Add(-48 * h)}},
			},
			sessions: []rec{live("r1", "alice", "prod", si("alice", "direct", "0000000a"), base.Add(-time.Minute), h)},
			want:     map[string]string{"prod": "1/1 required denied=1 100.0%"},
			findings: []string{},
		},
		{
			name:     "deny rule and default deny",
			events:   [][]ev{{{id: "e1", role: "arn:aws:iam::111122223333:role/Closed"}, {id: "e2", role: "arn:aws:iam::111122223333:role/Open"}}},
			policy:   scenarioPolicy,
			sessions: []rec{},
			exit:     1,
			want:     map[string]string{"closed": "1/0 no_source_identity=1 0.0%", "open": "1/0 no_source_identity=1 0.0%", "prod": "0/0 required 100.0%"},
			findings: []string{"SC1003 closed", "SC2002 prod"},
		},
		{
			name: "no rule matches: default deny",
			policy: `profile "p" { role_arns = ["arn:aws:iam::111122223333:role/P"] }
rule "other" {
  effect   = "allow"
  profiles = ["q"]
}`,
			events:   [][]ev{{{id: "e1", role: "arn:aws:iam::111122223333:role/P"}}},
			exit:     1,
			want:     map[string]string{"p": "1/0 no_source_identity=1 0.0%"},
			findings: []string{"SC1003 p"},
		},
		{
			name:     "require_server: broker identity without a record is enough",
			events:   [][]ev{{{id: "e1", role: stagingRole, si: si("frank", "direct", "5a000000")}, {id: "e2", role: stagingRole}, {id: "e3", role: stagingRole, si: "jenkins"}}},
			sessions: []rec{},
			exit:     1,
			want:     map[string]string{"staging": "3/0 foreign_source_identity=1 no_source_identity=1 orphaned=1 0.0%"},
			findings: []string{"SC1004 staging", "SC2002 prod"},
		},
		{
			name: "require_approval: direct, 3-part and missing identities",
			events: [][]ev{{
				{id: "e1", role: "arn:aws:iam::111122223333:role/Approve", si: si("erin", "4f2a9c1e", "77aa0b12")},
				{id: "e2", role: "arn:aws:iam::111122223333:role/Approve", si: si("erin", "direct", "77aa0b12")},
				{id: "e3", role: "arn:aws:iam::111122223333:role/Approve", si: "sentinel:erin:77aa0b12"},
				{id: "e4", role: "arn:aws:iam::111122223333:role/Approve"},
			}},
			sessions: []rec{},
			args:     []string{"--fail-on", "error"},
			exit:     0,
			want:     map[string]string{"approve": "4/0 no_source_identity=1 orphaned=3 0.0%"},
			findings: []string{"SC1005 approve", "SC2002 prod"},
		},
		{
			name:     "warnings fail with --fail-on warning",
			events:   [][]ev{{{id: "e1", role: "arn:aws:iam::111122223333:role/Approve", si: si("erin", "direct", "77aa0b12")}}},
			args:     []string{"--fail-on", "warning"},
			exit:     1,
			findings: []string{"SC1005 approve", "SC2002 prod"},
		},
		{
			name:     "--fail-on none never fails",
			events:   [][]ev{{{id: "e1", role: prodRole}}},
			args:     []string{"--fail-on", "none"},
			exit:     0,
			findings: []string{"SC1001 prod"},
		},
		{
			name:     "unmapped roles of the policy's accounts, one finding per role",
			events:   [][]ev{{{id: "e1", role: "arn:aws:iam::111122223333:role/Legacy"}, {id: "e2", role: "arn:aws:iam::111122223333:role/Legacy"}, {id: "e3", role: "arn:aws:iam::111122223333:role/Other"}, {id: "e4", role: "arn:aws:iam::999988887777:role/Vendor"}}},
			exit:     0,
			findings: []string{"SC2001  arn:aws:iam::111122223333:role/Legacy", "SC2001  arn:aws:iam::111122223333:role/Other", "SC2002 prod"},
		},
		{
			name: "office hours in Berlin: the evening falls through to the next rule",
			policy: `profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod*"] }
rule "office" {
  effect   = "allow"
  profiles = ["prod"]
  time {
    days     = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    hours {
      start = "08:00"
      end   = "20:00"
    }
    timezone = "Europe/Berlin"
  }
}
rule "else" {
  effect = "require_server"
}`,
			// 18:30 UTC = 19:30 Berlin (allowed); 19:30 UTC = 20:30 Berlin (require_server)
			events:   [][]ev{{{id: "e1", role: prodRole, t: time.Date(2026, 11, 18, 18, 30, 0, 0, time.UTC)}, {id: "e2", role: prodRole, t: time.Date(2026, 11, 18, 19, 30, 0, 0, time.UTC)}}},
			exit:     1,
			want:     map[string]string{"prod": "2/0 no_source_identity=2 0.0%"},
			findings: []string{"SC1004 prod"},
		},
		{
			name: "hours wrapping past midnight",
			policy: `profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod*"] }
rule "night" {
  effect = "deny"
  time {
    hours {
      start = "22:00"
      end   = "06:00"
    }
  }
}
rule "day" { effect = "allow" }`,
			events:   [][]ev{{{id: "e1", role: prodRole, t: time.Date(2026, 11, 18, 23, 0, 0, 0, time.UTC)}, {id: "e2", role: prodRole, t: time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)}, {id: "e3", role: prodRole, t: time.Date(2026, 11, 18, 5, 59, 0, 0, time.UTC)}}},
			exit:     1,
			findings: []string{"SC1003 prod"},
		},
		{
			name: "a mode that excludes server never matches",
			policy: `profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod*"] }
rule "cli-only" {
  effect = "allow"
  mode   = ["cli"]
}
rule "rest" { effect = "require_server" }`,
			events:   [][]ev{{{id: "e1", role: prodRole}}},
			exit:     1,
			findings: []string{"SC1004 prod"},
		},
		{
			name: "users: an event without a broker identity has no user",
			policy: `profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod*"] }
rule "alice" {
  effect = "allow"
  users  = ["*"]
}
rule "rest" { effect = "deny" }`,
			events:   [][]ev{{{id: "e1", role: prodRole, si: si("alice", "direct", "0000000a")}, {id: "e2", role: prodRole}}},
			exit:     1,
			want:     map[string]string{"prod": "2/0 no_source_identity=1 orphaned=1 0.0%"},
			findings: []string{"SC1003 prod"},
		},
		{
			name: "first match wins",
			policy: `profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod*"] }
rule "a" {
  effect   = "allow"
  profiles = ["pr*"]
}
rule "b" { effect = "deny" }`,
			events:   [][]ev{{{id: "e1", role: prodRole}}},
			findings: []string{},
		},
		{
			name: "the first profile whose role globs match owns the role",
			policy: `profile "narrow" { role_arns = ["arn:aws:iam::111122223333:role/ProdAdmin"] }
profile "wide" { role_arns = ["arn:aws:iam::*:role/*"] }
rule "narrow" {
  effect   = "require_server"
  profiles = ["narrow"]
}
rule "wide" { effect = "allow" }`,
			events:   [][]ev{{{id: "e1", role: prodRole}, {id: "e2", role: "arn:aws:iam::111122223333:role/x/y:z"}}},
			exit:     1,
			want:     map[string]string{"narrow": "1/0 no_source_identity=1 0.0%", "wide": "1/0 no_source_identity=1 0.0%"},
			findings: []string{"SC1004 narrow"},
		},
		{
			name: "check blocks: disabled, severity and min_compliance",
			policy: scenarioPolicy + `
check "SC1001" { min_compliance = 50 }
check "denied-access" { enabled = false }
check "no-data" { severity = "note" }
`,
			events: [][]ev{{
				{id: "e1", role: prodRole, si: si("alice", "direct", "0000000a")},
				{id: "e2", role: prodRole, si: si("alice", "direct", "0000000b")},
				{id: "e3", role: prodRole},
				{id: "e4", role: "arn:aws:iam::111122223333:role/Closed"},
			}},
			sessions: []rec{live("r1", "alice", "prod", si("alice", "direct", "0000000a"), base.Add(-time.Minute), h), live("r2", "alice", "prod", si("alice", "direct", "0000000b"), base.Add(-time.Minute), h)},
			exit:     0,
			want:     map[string]string{"prod": "3/2 no_source_identity=1 gap required 66.7%"},
			findings: []string{},
		},
		{
			name:     "required profile without events",
			events:   [][]ev{{{id: "e1", role: "arn:aws:iam::111122223333:role/Open"}}},
			want:     map[string]string{"prod": "0/0 required 100.0%"},
			findings: []string{"SC2002 prod"},
		},
		{
			name:     "--profile filters the report",
			events:   [][]ev{{{id: "e1", role: prodRole}, {id: "e2", role: "arn:aws:iam::111122223333:role/Closed"}}},
			args:     []string{"--profile", "clo*"},
			exit:     1,
			want:     map[string]string{"prod": "<absent>", "closed": "1/0 no_source_identity=1 0.0%"},
			findings: []string{"SC1003 closed"},
		},
	}
	for _, sc := range tests {
		t.Run(sc.name, func(t *testing.T) {
			rep, code, stderr := runScenario(t, sc)
			if code != sc.exit {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, sc.exit, stderr)
			}
			for p, want := range sc.want {
				if got := rep.describe(p); got != want {
					t.Errorf("profile %s: %s, want %s", p, got, want)
				}
			}
			if sc.findings != nil {
				got := rep.findingSet()
				want := append([]string(nil), sc.findings...)
				sort.Strings(want)
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
				}
			}
			for _, p := range rep.Profiles {
				if p.Untracked != p.Sessions-p.Tracked {
					t.Errorf("%s: untracked %d != sessions %d - tracked %d", p.Profile, p.Untracked, p.Sessions, p.Tracked)
				}
				sum := 0
				for _, n := range p.ByCategory {
					sum += n
				}
				if sum != p.Sessions || len(p.ByCategory) != 6 {
					t.Errorf("%s: by_category %v does not add up to %d sessions over six categories", p.Profile, p.ByCategory, p.Sessions)
				}
			}
		})
	}
}
