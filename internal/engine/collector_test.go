package engine

import (
	"context"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/classify"
)

// Digests are salted per run: the same id digests alike within a run and
// differently in another, so a trail cannot choose its digests.
func TestCollectorDigestIsSalted(t *testing.T) {
	w := classify.Window{Start: time.Unix(0, 0), End: time.Unix(1<<40, 0)}
	a, b := newCollector(context.Background(), w), newCollector(context.Background(), w)
	const id = "0f2a4c4e-0000-4000-8000-000000000001"
	if a.digest(id) != a.digest(id) {
		t.Fatal("one collector digests the same id differently")
	}
	if a.digest(id) == b.digest(id) {
		t.Fatal("two collectors digest an id alike: the salt is missing")
	}
	if a.digest(id) == a.digest(id+"x") {
		t.Fatal("different ids digest alike")
	}
	// An id longer than the stack buffer digests too.
	long := string(make([]byte, 300))
	if a.digest(long) == a.digest(long[:299]) {
		t.Fatal("long ids that differ digest alike")
	}
}

// The collector counts an id seen again as a duplicate, whatever the salt.
func TestCollectorDuplicates(t *testing.T) {
	w := classify.Window{Start: time.Unix(0, 0), End: time.Unix(1<<40, 0)}
	c := newCollector(context.Background(), w)
	c.start(nil)
	at := time.Unix(1000, 0)
	for _, id := range []string{"a", "b", "a", "", "", "b", "c"} {
		c.add(cloudtrail.Event{EventID: id, EventTime: at})
	}
	if c.total != 7 || c.dups != 2 || c.kept != 5 {
		t.Fatalf("total %d, dups %d, kept %d; want 7, 2 (a and b again), 5 (events without an id are never duplicates)", c.total, c.dups, c.kept)
	}
}
