package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// Each session without an approval id is tallied by what it carried, and
// the message names each kind: an identity of a pattern without an
// approval group is not the 3-part form.
func TestApprovalBypassTallies(t *testing.T) {
	rule := &policyhcl.Rule{Name: "approve", Effect: policyhcl.EffectRequireApproval}
	for _, tc := range []struct {
		name  string
		ev    classify.Event
		tally string // "" = not selected
	}{
		{"no broker identity", classify.Event{}, tallyNoBroker},
		{"3-part form", classify.Event{Broker: true, Identity: policyhcl.BrokerIdentity{User: "erin", Legacy: true}}, tallyLegacy},
		{"pattern without an approval group", classify.Event{Broker: true, Identity: policyhcl.BrokerIdentity{User: "erin", Request: "77aa0b12"}}, tallyNoApproval},
		{"direct", classify.Event{Broker: true, Identity: policyhcl.BrokerIdentity{User: "erin", Approval: "Direct"}}, tallyDirect},
		{"approved", classify.Event{Broker: true, Identity: policyhcl.BrokerIdentity{User: "erin", Approval: "4f2a9c1e"}}, ""},
	} {
		tc.ev.Rule = rule
		ok, tally := approvalBypass{}.Select(&tc.ev)
		if ok != (tc.tally != "") || tally != tc.tally {
			t.Errorf("%s: selected %v, tally %q; want %q", tc.name, ok, tally, tc.tally)
		}
	}

	t0 := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	bad := &classify.EventSet{Count: 4, First: t0, Last: t0,
		Tallies: map[string]int{tallyNoBroker: 1, tallyLegacy: 1, tallyNoApproval: 1, tallyDirect: 1}}
	p := &classify.Profile{Profile: &policyhcl.Profile{Name: "prod"}, Sessions: 4,
		Selected: map[classify.Selector]*classify.EventSet{approvalBypass{}: bad}}
	got := approvalBypass{}.Run(&Context{Analysis: &classify.Analysis{Profiles: []*classify.Profile{p}}})
	want := "prod: 4 sessions at 2026-11-18T10:00:00Z had no approval id (1 without a broker identity, 1 in the 3-part form, 1 with no approval part in the identity, 1 direct)"
	if len(got) != 1 || !strings.HasPrefix(got[0].Message, want) {
		t.Errorf("findings %+v, want a message starting %q", got, want)
	}
}

// A related rule shows its reason, when it has one, after what it demands.
func TestRuleLocationsReason(t *testing.T) {
	set := &classify.EventSet{Rules: []*policyhcl.Rule{
		{Name: "a", Effect: policyhcl.EffectRequireApproval, Reason: " After hours needs an approval "},
		{Name: "b", Effect: policyhcl.EffectRequireApproval, Reason: "  "},
		{Name: "c", Effect: policyhcl.EffectRequireApproval, Reason: strings.Repeat("x", 600)},
	}}
	got := ruleLocations(set, "requires an approval")
	want := []string{
		`rule "a" (effect require_approval) requires an approval: After hours needs an approval`,
		`rule "b" (effect require_approval) requires an approval`,
	}
	if len(got) != 3 || got[0].Message != want[0] || got[1].Message != want[1] || len(got[2].Message) > 600 {
		t.Errorf("related %+v, want %q, %q and a clipped reason", got, want[0], want[1])
	}
}
