package classify

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// TestEventSetBounded: a set keeps the earliest MaxEventIDs ids by (time,
// id) and the rules by their earliest event, whatever the arrival order,
// and counts every event.
func TestEventSetBounded(t *testing.T) {
	rules := []*policyhcl.Rule{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	base := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	var evs []*Event
	for i := range 3 * MaxEventIDs {
		e := &Event{Category: Categories[i%len(Categories)]}
		// Ids of three forms, whose order is their text's: UUIDs as
		// CloudTrail writes them (kept packed), the same in upper case
		// and other text (kept as text).
		switch n := (i * 7919) % (3 * MaxEventIDs); n % 3 {
		case 0:
			e.EventID = fmt.Sprintf("%08x-84a2-4102-8de7-ad94253f%04x", n*0x9e3779b1%0xffffffff, n)
		case 1:
			e.EventID = fmt.Sprintf("%08X-84A2-4102-8DE7-AD94253F%04X", n*0x9e3779b1%0xffffffff, n)
		default:
			e.EventID = fmt.Sprintf("id-%05d", n)
		}
		e.SessionID = "record of " + e.EventID
		e.EventTime = base.Add(time.Duration(i%50) * time.Second)
		switch {
		case i == 2999: // the latest of rule c is its only event, at second 49
			e.Rule = rules[2]
		case i%2 == 0:
			e.Rule = rules[1]
		case i%50 != 0:
			e.Rule = rules[0] // never at second 0, so after b
		}
		evs = append(evs, e)
	}
	sorted := append([]*Event(nil), evs...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if !a.EventTime.Equal(b.EventTime) {
			return a.EventTime.Before(b.EventTime)
		}
		return a.EventID < b.EventID
	})
	var wantIDs []string
	for _, e := range sorted[:MaxEventIDs] {
		wantIDs = append(wantIDs, e.EventID)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 5 {
		r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		var s EventSet
		for _, e := range evs {
			s.add(e, "x")
		}
		s.finish()
		if s.Count != len(evs) || s.Tallies["x"] != len(evs) || s.ByCategory[CategoryTracked] != len(evs)/len(Categories) {
			t.Fatalf("count %d tallies %v by category %v, want %d each", s.Count, s.Tallies, s.ByCategory, len(evs))
		}
		if !s.First.Equal(base) || !s.Last.Equal(base.Add(49*time.Second)) {
			t.Errorf("span %v..%v", s.First, s.Last)
		}
		if want := "record of " + wantIDs[0]; s.FirstSession != want {
			t.Errorf("FirstSession = %q, want %q (the earliest event's)", s.FirstSession, want)
		}
		if !reflect.DeepEqual(s.IDs, wantIDs) {
			t.Fatalf("ids differ from the first %d of the sorted events: got %d ids starting %v", MaxEventIDs, len(s.IDs), s.IDs[:3])
		}
		if got := []string{s.Rules[0].Name, s.Rules[1].Name, s.Rules[2].Name}; len(s.Rules) != 3 || !reflect.DeepEqual(got, []string{"b", "a", "c"}) {
			t.Errorf("rules %v, want b a c", got)
		}
	}
}

// TestClassifierCounts: failed attempts and unmapped roles are counted
// apart, and a profile's span covers its sessions.
func TestClassifierCounts(t *testing.T) {
	pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(policy)}, policyhcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	base := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	c := NewClassifier(pol, Window{Start: base, End: base.Add(time.Hour)}, Records{}, false)
	prod, other := "arn:aws:iam::111122223333:role/Prod", "arn:aws:iam::111122223333:role/Other"
	c.Add(cloudtrail.Event{EventID: "1", EventTime: base.Add(3 * time.Minute), RoleArn: prod})
	c.Add(cloudtrail.Event{EventID: "2", EventTime: base.Add(time.Minute), RoleArn: prod})
	c.Add(cloudtrail.Event{EventID: "3", EventTime: base, RoleArn: prod, ErrorCode: "AccessDenied"})
	c.Add(cloudtrail.Event{EventID: "4", EventTime: base, RoleArn: other})
	c.Add(cloudtrail.Event{EventID: "5", EventTime: base, RoleArn: other, ErrorCode: "AccessDenied"})
	a := c.Analysis()
	p := a.ByName("prod")
	if p.Sessions != 2 || p.Failed != 1 || !p.First.Equal(base.Add(time.Minute)) || !p.Last.Equal(base.Add(3*time.Minute)) {
		t.Errorf("prod: sessions %d failed %d span %v..%v", p.Sessions, p.Failed, p.First, p.Last)
	}
	if p.ByCategory[CategoryNoSourceIdentity] != 2 || !p.HasGap || !p.Required {
		t.Errorf("prod: by category %v has_gap %v required %v", p.ByCategory, p.HasGap, p.Required)
	}
	if a.UnmappedFailed != 1 || len(a.Unmapped) != 1 || a.Unmapped[other].Count != 1 || !reflect.DeepEqual(a.Unmapped[other].IDs, []string{"4"}) {
		t.Errorf("unmapped %v, failed %d", a.Unmapped, a.UnmappedFailed)
	}
}
