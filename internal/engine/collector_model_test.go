package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/classify"
)

// modelKey is what makes two copies one event in the model: the id (or
// "shared:" and the sharedEventID) and every field classifying reads.
type modelKey struct {
	id, name, role, si, errorCode string
	t                             time.Time
}

// collectorModel is the collector's documented behaviour, written out with
// maps: copies of an eventID are one event that takes the smallest
// sharedEventID any copy has; then copies of a sharedEventID are one event,
// the copy read first; events without an id are never copies. It returns
// the events used (their read position, id, identity and time, sorted) and
// the counts.
func collectorModel(evs []cloudtrail.Event, w classify.Window) (used []string, dups, outside, kept int64) {
	type group struct {
		ev  cloudtrail.Event
		seq int
	}
	var firstOrder []modelKey
	first := map[modelKey]*group{}
	var singles []group
	for i, e := range evs {
		if e.EventID == "" {
			singles = append(singles, group{e, i})
			continue
		}
		k := modelKey{e.EventID, e.EventName, e.RoleArn, e.SourceIdentity, e.ErrorCode, e.EventTime.UTC()}
		if g := first[k]; g != nil {
			dups++
			if s := e.SharedEventID; s != "" && (g.ev.SharedEventID == "" || s < g.ev.SharedEventID) {
				g.ev.SharedEventID = s
			}
			continue
		}
		first[k] = &group{e, i}
		firstOrder = append(firstOrder, k)
	}
	var sharedOrder []modelKey
	shared := map[modelKey]*group{}
	for _, k := range firstOrder {
		g := first[k]
		if g.ev.SharedEventID == "" {
			singles = append(singles, *g)
			continue
		}
		e := g.ev
		k2 := modelKey{"shared:" + e.SharedEventID, e.EventName, e.RoleArn, e.SourceIdentity, e.ErrorCode, e.EventTime.UTC()}
		if h := shared[k2]; h != nil {
			dups++
			if g.seq < h.seq {
				*h = *g
			}
			continue
		}
		c := *g
		shared[k2] = &c
		sharedOrder = append(sharedOrder, k2)
	}
	for _, k := range sharedOrder {
		singles = append(singles, *shared[k])
	}
	for _, g := range singles {
		e := g.ev
		if e.EventTime.Before(w.Start) || !e.EventTime.Before(w.End) {
			outside++
			continue
		}
		kept++
		used = append(used, fmt.Sprintf("%d|%s|%s|%s", g.seq, e.EventID, e.SourceIdentity, e.EventTime.Format(time.RFC3339Nano)))
	}
	slices.Sort(used)
	return used, dups, outside, kept
}

// The collector gives classification the events and counts of the model,
// on random trails of repeated ids, sharedEventIDs, failed calls and times
// at both edges of the window (1 ns apart), whether its events stay in
// memory or go to disk in one or many runs.
func TestCollectorMatchesModel(t *testing.T) {
	w := classify.Window{Start: time.Unix(1000, 0).UTC(), End: time.Unix(1010, 0).UTC()}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	nanos := func() int64 {
		if r.IntN(3) == 0 {
			return int64(r.IntN(2))
		}
		return 0
	}
	defer func() { testUsed = nil }()
	for iter := range 100 {
		n := 1 + r.IntN(400)
		evs := make([]cloudtrail.Event, n)
		for i := range evs {
			evs[i] = cloudtrail.Event{
				EventID:        pick("", "a", "b", "c", "d", "e", "f"),
				SharedEventID:  pick("", "", "s1", "s2", "s3"),
				EventName:      "AssumeRole",
				RoleArn:        pick("r1", "r2"),
				SourceIdentity: pick("", "sentinel:alice:direct:11112222"),
				ErrorCode:      pick("", "", "", "AccessDenied"),
				EventTime:      time.Unix(999+int64(r.IntN(13)), nanos()).UTC(),
				AWSRegion:      fmt.Sprint(i), // the read position: only shown, not part of a digest
			}
		}
		wantUsed, wantDups, wantOutside, wantKept := collectorModel(evs, w)
		for _, budget := range []int{0, 1, 300, 5000} {
			var used []string
			testUsed = func(ev cloudtrail.Event) {
				used = append(used, fmt.Sprintf("%s|%s|%s|%s", ev.AWSRegion, ev.EventID, ev.SourceIdentity, ev.EventTime.Format(time.RFC3339Nano)))
			}
			c := newCollector(context.Background(), w, t.TempDir(), budget)
			for _, e := range evs {
				c.add(e)
			}
			if err := c.finish(nil, nil); err != nil {
				t.Fatal(err)
			}
			c.close()
			slices.Sort(used)
			if !slices.Equal(used, wantUsed) || c.dups != wantDups || c.outside != wantOutside || c.kept != wantKept || c.total != int64(n) {
				t.Fatalf("trail %d, budget %d: dups %d, outside %d, kept %d of %d; the model: %d, %d, %d\n got %v\nwant %v",
					iter, budget, c.dups, c.outside, c.kept, c.total, wantDups, wantOutside, wantKept, used, wantUsed)
			}
		}
	}
}
