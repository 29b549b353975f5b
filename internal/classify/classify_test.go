package classify

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
	"github.com/sentinel-check/sentinel-check/sessions"
)

func TestRate(t *testing.T) {
	tests := []struct {
		part, whole int
		want        float64
	}{
		{0, 0, 100}, {0, 5, 0}, {5, 5, 100}, {1, 3, 33.3}, {2, 3, 66.7}, {18, 20, 90},
		{1999, 2000, 99.9}, {19999, 20000, 99.9}, {1, 2000, 0.1}, {1, 20000, 0},
	}
	for _, tt := range tests {
		if got := Rate(tt.part, tt.whole); got != tt.want {
			t.Errorf("Rate(%d, %d) = %v, want %v", tt.part, tt.whole, got, tt.want)
		}
	}
}

const policy = `
profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }
rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod"]
}
rule "rest" { effect = "allow" }
`

// TestClassifyOrderIndependent: the analysis does not depend on the order
// in which sources delivered the events.
func TestClassifyOrderIndependent(t *testing.T) {
	pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(policy)}, policyhcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	base := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	var evs []cloudtrail.Event
	var recs []sessions.Record
	for i := range 200 {
		ev := cloudtrail.Event{EventID: string(rune('a'+i%26)) + time.Duration(i).String(), EventTime: base.Add(time.Duration(i%7) * time.Minute), RoleArn: "arn:aws:iam::111122223333:role/Prod"}
		switch i % 4 {
		case 1:
			ev.SourceIdentity = "sentinel:alice:direct:0000000" + string(rune('0'+i%10))
		case 2:
			ev.SourceIdentity = "foreign"
		case 3:
			ev.ErrorCode = "AccessDenied"
		}
		evs = append(evs, ev)
	}
	recs = append(recs, sessions.Record{ID: "r", User: "alice", Profile: "prod", Status: "active", SourceIdentity: "sentinel:alice:direct:00000001",
		StartedAt: base.Add(-time.Hour), ExpiresAt: base.Add(time.Hour), CreatedAt: base.Add(-time.Hour)})
	window := Window{Start: base.Add(-time.Hour), End: base.Add(time.Hour)}
	recsIx := Records{Default: sessions.NewIndex(recs)}
	want := Classify(pol, window, evs, recsIx, true, all{})
	r := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		shuffled := append([]cloudtrail.Event(nil), evs...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := Classify(pol, window, shuffled, recsIx, true, all{})
		if !reflect.DeepEqual(summaryOf(got), summaryOf(want)) {
			t.Fatalf("order changed the analysis:\n%v\n%v", summaryOf(got), summaryOf(want))
		}
	}
	p := want.ByName("prod")
	if p.Sessions != 150 || p.Failed != 50 {
		t.Fatalf("sessions %d failed %d, want 150 and 50", p.Sessions, p.Failed)
	}
	if p.ByCategory[CategoryNoSourceIdentity] != 50 || p.ByCategory[CategoryForeignSourceIdentity] != 50 {
		t.Errorf("by category %v", p.ByCategory)
	}
	if !p.Required || !p.HasGap {
		t.Errorf("required %v has_gap %v, want both", p.Required, p.HasGap)
	}
}

// all selects every session event, tallied by category.
type all struct{}

func (all) Select(e *Event) (bool, string) { return true, e.Category }

func summaryOf(a *Analysis) []string {
	var out []string
	for _, p := range a.Profiles {
		set := p.Selected[all{}]
		for _, id := range set.IDs {
			out = append(out, p.Profile.Name+" "+id)
		}
		out = append(out, fmt.Sprintf("%s sessions %d failed %d %v %v %v %v %v", p.Profile.Name, p.Sessions, p.Failed, p.First, p.Last, p.ByCategory, set.Tallies, set.Rules))
	}
	return out
}

// sessionIDs records the category and session id of every event it sees,
// by event id.
type sessionIDs struct{ seen map[string]string }

func (s *sessionIDs) Select(e *Event) (bool, string) {
	s.seen[e.EventID] = e.Category + " " + e.SessionID
	return false, ""
}

// An event keeps the id of the record that decided its category, and no
// id when no record did.
func TestClassifySessionID(t *testing.T) {
	pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(policy)}, policyhcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	base := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	role := "arn:aws:iam::111122223333:role/Prod"
	recs := Records{Default: sessions.NewIndex([]sessions.Record{
		{ID: "live", User: "alice", Profile: "prod", Status: "active", SourceIdentity: "sentinel:alice:direct:00000001",
			StartedAt: base.Add(-time.Hour), ExpiresAt: base.Add(time.Hour)},
		{ID: "gone", User: "alice", Profile: "prod", Status: "revoked", SourceIdentity: "sentinel:alice:direct:00000002",
			StartedAt: base.Add(-time.Hour), ExpiresAt: base.Add(time.Hour), UpdatedAt: base.Add(-time.Minute)},
		{ID: "old", User: "alice", Profile: "prod", Status: "expired", SourceIdentity: "sentinel:alice:direct:00000003",
			StartedAt: base.Add(-3 * time.Hour), ExpiresAt: base.Add(-2 * time.Hour)},
	})}
	evs := []cloudtrail.Event{
		{EventID: "e1", EventTime: base, RoleArn: role, SourceIdentity: "sentinel:alice:direct:00000001"},
		{EventID: "e2", EventTime: base, RoleArn: role, SourceIdentity: "sentinel:alice:direct:00000002"},
		{EventID: "e3", EventTime: base, RoleArn: role, SourceIdentity: "sentinel:alice:direct:00000003"},
		{EventID: "e4", EventTime: base, RoleArn: role, SourceIdentity: "sentinel:alice:direct:00000004"},
		{EventID: "e5", EventTime: base, RoleArn: role},
	}
	got := &sessionIDs{seen: map[string]string{}}
	Classify(pol, Window{Start: base.Add(-time.Hour), End: base.Add(time.Hour)}, evs, recs, true, got)
	want := map[string]string{
		"e1": "tracked live", "e2": "revoked gone", "e3": "expired old",
		"e4": "orphaned ", "e5": "no_source_identity ",
	}
	if !reflect.DeepEqual(got.seen, want) {
		t.Fatalf("categories and session ids:\n got %v\nwant %v", got.seen, want)
	}
}

// Classify judges every event, as the engine does one at a time:
// NewClassifier, Add for each, Analysis.
// events must already be de-duplicated and inside the window. The result
// does not depend on the order of events.
func Classify(pol *policyhcl.Policy, window Window, events []cloudtrail.Event, recs Records, sessionSource bool, selectors ...Selector) *Analysis {
	c := NewClassifier(pol, window, recs, sessionSource, selectors...)
	for i := range events {
		c.Add(events[i])
	}
	return c.Analysis()
}

// A broker identity whose user group is empty still has a user, the empty
// one, which users = ["*"] matches; only an event without a broker
// identity has none (SPEC §3). The rule that demands a tracked session
// applies, instead of a later allow.
func TestEmptyUserGroupIsAUser(t *testing.T) {
	const pol = `
identity { pattern = "^sentinel:(?P<user>[a-z]*):(?P<approval>direct|[0-9a-f]{8}):(?P<request>[0-9a-f]{8})$" }
profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }
rule "broker-users-need-session" {
  effect = "require_server_session"
  users  = ["*"]
}
rule "services" { effect = "allow" }
`
	p, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(pol)}, policyhcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	base := time.Date(2026, 6, 3, 10, 0, 0, 0, time.UTC)
	a := Classify(p, Window{Start: base.Add(-time.Hour), End: base.Add(time.Hour)}, []cloudtrail.Event{
		{EventID: "e1", EventTime: base, RoleArn: "arn:aws:iam::111122223333:role/Prod", SourceIdentity: "sentinel::direct:1a2b3c4d"},
		{EventID: "e2", EventTime: base, RoleArn: "arn:aws:iam::111122223333:role/Prod"}, // no broker identity: the allow
	}, Records{}, true)
	pr := a.Profiles[0]
	if !pr.HasGap || pr.Demanded != 1 || pr.ByCategory[CategoryOrphaned] != 1 {
		t.Errorf("profile %+v: want the empty-user session demanded and orphaned (a gap)", pr)
	}
}
