package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// min_compliance is compared with the exact rate, not the one-decimal rate
// shown: 189 of 199 tracked is 94.97%, shown as 95.0%, below 95. Both the
// profile's rate and the rate over the sessions whose rule demanded
// tracking must meet it: tracked sessions an allow rule let through do not
// hide an untracked one that had to be tracked.
func TestUntrackedSessionMinCompliance(t *testing.T) {
	for _, tc := range []struct {
		tracked, demanded       int
		allowed, allowedTracked int // sessions of the profile under other rules
		min                     float64
		fires                   bool
	}{
		{189, 199, 0, 0, 95, true},    // 94.97%
		{190, 200, 0, 0, 95, false},   // exactly 95%
		{19, 20, 0, 0, 95, false},     // 95%
		{1999, 2000, 0, 0, 100, true}, // 99.95%
		{2000, 2000, 0, 0, 100, false},
		{0, 10, 0, 0, 0, false},          // min_compliance 0 never fires
		{2251, 2500, 0, 0, 90.04, false}, // exactly 90.04%
		{2250, 2500, 0, 0, 90.04, true},
		{0, 1, 10, 10, 90, true}, // 10 tracked allowed sessions do not hide the one that had to be tracked
		{9, 10, 5, 0, 90, true},  // 9 of 10 demanded, but 9 of 15 sessions (SPEC's compliance rate) is below
		{9, 10, 5, 5, 90, false}, // 90% of those demanded, 14 of 15 overall
	} {
		t0 := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
		bad := &classify.EventSet{Count: tc.demanded - tc.tracked, First: t0, Last: t0, ByCategory: map[string]int{classify.CategoryNoSourceIdentity: tc.demanded - tc.tracked}}
		p := &classify.Profile{
			Profile:  &policyhcl.Profile{Name: "prod"},
			Sessions: tc.demanded + tc.allowed, Tracked: tc.tracked + tc.allowedTracked, Demanded: tc.demanded, Required: true, HasGap: true,
			Selected: map[classify.Selector]*classify.EventSet{untrackedSession{}: bad},
		}
		got := untrackedSession{}.Run(&Context{Analysis: &classify.Analysis{Profiles: []*classify.Profile{p}}, MinCompliance: tc.min})
		if (len(got) > 0) != tc.fires {
			t.Errorf("%d of %d tracked (and %d of %d allowed), min_compliance %v: %d findings, want fires=%v", tc.tracked, tc.demanded, tc.allowedTracked, tc.allowed, tc.min, len(got), tc.fires)
		}
	}
}

// The message's count, rate and breakdown are of one set of sessions.
func TestUntrackedSessionMessage(t *testing.T) {
	t0 := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		demanded, tracked, sessions, allTracked int
		want                                    string
	}{
		{20, 18, 20, 18, "prod: 2 of 20 sessions (90.0% tracked) at 2026-11-18T10:00:00Z were not tracked"},
		{10, 9, 15, 9, "prod: 1 of the 10 sessions that had to be tracked (90.0% of those tracked, 60.0% of all 15) at 2026-11-18T10:00:00Z was not tracked"},
	} {
		bad := &classify.EventSet{Count: tc.demanded - tc.tracked, First: t0, Last: t0, ByCategory: map[string]int{classify.CategoryNoSourceIdentity: tc.demanded - tc.tracked}}
		p := &classify.Profile{
			Profile:  &policyhcl.Profile{Name: "prod"},
			Sessions: tc.sessions, Tracked: tc.allTracked, Demanded: tc.demanded, Required: true, HasGap: true,
			Selected: map[classify.Selector]*classify.EventSet{untrackedSession{}: bad},
		}
		got := untrackedSession{}.Run(&Context{Analysis: &classify.Analysis{Profiles: []*classify.Profile{p}}, MinCompliance: 100})
		if len(got) != 1 || !strings.HasPrefix(got[0].Message, tc.want) {
			t.Errorf("findings %+v, want a message starting %q", got, tc.want)
		} else if got[0].EventCount != tc.demanded-tc.tracked {
			t.Errorf("EventCount = %d, want %d", got[0].EventCount, tc.demanded-tc.tracked) // the set's, not its ids'
		}
	}
}

// The policy is loaded knowing which checks it cannot configure.
func TestPolicyOptions(t *testing.T) {
	o := PolicyOptions()
	if len(o.FixedChecks) != 1 || o.FixedChecks[0] != "SC0001" || len(o.MinComplianceChecks) != 1 || o.MinComplianceChecks[0] != "SC1001" || !o.RequireProfile {
		t.Errorf("%+v", o)
	}
}

// SC2001 tells the number of a role's sessions, not of the ids it keeps.
func TestUnmappedRoleEventCount(t *testing.T) {
	pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(`profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }`)}, policyhcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	t0 := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	set := &classify.EventSet{Count: 1500, First: t0, Last: t0, IDs: []string{"e1", "e2"}}
	a := &classify.Analysis{Policy: pol, Unmapped: map[string]*classify.EventSet{"arn:aws:iam::111122223333:role/Other": set}}
	got := unmappedRole{}.Run(&Context{Analysis: a})
	if len(got) != 1 || got[0].EventCount != 1500 || len(got[0].Events) != 2 {
		t.Errorf("findings %+v, want one with EventCount 1500", got)
	}
}

// An unmapped role's finding is shown on the first profile that names its
// account, where its mapping would go, not on the policy's first profile.
func TestUnmappedRoleLocation(t *testing.T) {
	pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(`profile "prod" {
  role_arns = ["arn:aws:iam::111122223333:role/Prod"]
}
profile "staging" {
  role_arns = ["arn:aws:iam::444455556666:role/Dev*"]
}
profile "staging-ro" {
  role_arns = ["arn:aws:iam::444455556666:role/ReadOnly"]
}
`)}, policyhcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	t0 := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	set := func() *classify.EventSet {
		return &classify.EventSet{Count: 1, First: t0, Last: t0, IDs: []string{"e1"}}
	}
	a := &classify.Analysis{Policy: pol, Unmapped: map[string]*classify.EventSet{
		"arn:aws:iam::111122223333:role/Other":         set(),
		"arn:aws:iam::444455556666:role/SecurityAudit": set(),
	}}
	got := unmappedRole{}.Run(&Context{Analysis: a})
	if len(got) != 2 || got[0].Range.Start.Line != 1 || got[1].Range.Start.Line != 4 {
		t.Errorf("findings at %+v: want the prod profile (line 1) and the staging profile (line 4)", got)
	}
}
