package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/internal/dedup"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// Digests are salted per run: the same event digests alike within a run
// and differently in another, so a trail cannot choose its digests.
func TestCollectorDigestIsSalted(t *testing.T) {
	w := classify.Window{Start: time.Unix(0, 0), End: time.Unix(1<<40, 0)}
	a, b := newCollector(context.Background(), w, t.TempDir(), 0), newCollector(context.Background(), w, t.TempDir(), 0)
	ev := func(id string) *cloudtrail.Event {
		return &cloudtrail.Event{EventID: id, EventTime: time.Unix(1000, 0)}
	}
	const id = "0f2a4c4e-0000-4000-8000-000000000001"
	dig := func(c *collector, e *cloudtrail.Event) dedup.Key { return c.digest(e.EventID, e) }
	if dig(a, ev(id)) != dig(a, ev(id)) {
		t.Fatal("one collector digests the same event differently")
	}
	if dig(a, ev(id)) == dig(b, ev(id)) {
		t.Fatal("two collectors digest an event alike: the salt is missing")
	}
	if dig(a, ev(id)) == dig(a, ev(id+"x")) {
		t.Fatal("different ids digest alike")
	}
	// An event longer than the stack buffer digests too.
	long := string(make([]byte, 600))
	if dig(a, ev(long)) == dig(a, ev(long[:599])) {
		t.Fatal("long ids that differ digest alike")
	}
	// Fields are length-prefixed: moving a byte from one to the next
	// changes the digest.
	x, y := ev(id), ev(id)
	x.RoleArn, x.SourceIdentity = "ab", "c"
	y.RoleArn, y.SourceIdentity = "a", "bc"
	if dig(a, x) == dig(a, y) {
		t.Fatal("fields that differ only in where one ends digest alike")
	}
}

// Two records with one eventID that say different things (one with the
// broker's SourceIdentity, one without) are both classified, whichever is
// read first: the verdict never depends on the order of the files.
func TestCollectorConflictingCopies(t *testing.T) {
	w := classify.Window{Start: time.Unix(0, 0), End: time.Unix(1<<40, 0)}
	at := time.Unix(1000, 0)
	tracked := cloudtrail.Event{EventID: "same", EventName: "AssumeRole", EventTime: at, SourceIdentity: "sentinel:alice:direct:11112222"}
	bare := tracked
	bare.SourceIdentity = ""
	later := tracked
	later.EventTime = at.Add(time.Second)
	for _, order := range [][]cloudtrail.Event{{tracked, bare, tracked}, {bare, tracked, tracked}, {tracked, later}} {
		c := newCollector(context.Background(), w, t.TempDir(), 0)
		for _, e := range order {
			c.add(e)
		}
		if err := c.finish(nil, nil); err != nil {
			t.Fatal(err)
		}
		want := int64(2)
		if c.kept != want || c.total != int64(len(order)) || c.dups != c.total-want {
			t.Errorf("total %d, dups %d, kept %d; want %d kept (both versions)", c.total, c.dups, c.kept, want)
		}
	}
}

// The collector counts an id seen again as a duplicate, whatever the salt.
func TestCollectorDuplicates(t *testing.T) {
	w := classify.Window{Start: time.Unix(0, 0), End: time.Unix(1<<40, 0)}
	c := newCollector(context.Background(), w, t.TempDir(), 0)
	at := time.Unix(1000, 0)
	for _, id := range []string{"a", "b", "a", "", "", "b", "c"} {
		c.add(cloudtrail.Event{EventID: id, EventTime: at})
	}
	if err := c.finish(nil, nil); err != nil {
		t.Fatal(err)
	}
	if c.total != 7 || c.dups != 2 || c.kept != 5 {
		t.Fatalf("total %d, dups %d, kept %d; want 7, 2 (a and b again), 5 (events without an id are never duplicates)", c.total, c.dups, c.kept)
	}
}

// CloudTrail logs a cross-account call in the caller's account and in the
// role's, each copy with an eventID of its own and one sharedEventID: one
// session, counted once. Copies that say different things are both
// classified, as for copies of one eventID.
func TestCollectorSharedEventID(t *testing.T) {
	w := classify.Window{Start: time.Unix(0, 0), End: time.Unix(1<<40, 0)}
	at := time.Unix(1000, 0)
	role := cloudtrail.Event{EventID: "in-role-account", SharedEventID: "s1", EventName: "AssumeRole", EventTime: at,
		RoleArn: "arn:aws:iam::111122223333:role/Prod", SourceIdentity: "sentinel:alice:direct:11112222", RecipientAccountID: "111122223333"}
	caller := role
	caller.EventID, caller.RecipientAccountID = "in-caller-account", "999988887777"
	bare := caller
	bare.SourceIdentity = ""
	other := role
	other.EventID, other.SharedEventID = "another-call", "s2"
	unshared := role
	unshared.SharedEventID = ""
	other2 := role
	other2.SharedEventID = "s2"
	for _, tc := range []struct {
		events []cloudtrail.Event
		kept   int64
	}{
		{[]cloudtrail.Event{role, caller}, 1},
		{[]cloudtrail.Event{caller, role, role}, 1},
		{[]cloudtrail.Event{role, bare}, 2},
		{[]cloudtrail.Event{role, other}, 2},
		// A copy without the shared id (a source that leaves it out) is
		// still a copy of its eventID, in any order.
		{[]cloudtrail.Event{role, unshared}, 1},
		{[]cloudtrail.Event{unshared, role}, 1},
		{[]cloudtrail.Event{unshared, caller, role}, 1},
		{[]cloudtrail.Event{caller, unshared}, 2}, // nothing says they are one call
		// Copies of one eventID with two shared ids: the smallest is kept.
		{[]cloudtrail.Event{other2, role, caller}, 1},
		{[]cloudtrail.Event{caller, role, other2}, 1},
	} {
		c := newCollector(context.Background(), w, t.TempDir(), 0)
		for _, e := range tc.events {
			c.add(e)
		}
		if err := c.finish(nil, nil); err != nil {
			t.Fatal(err)
		}
		if c.kept != tc.kept || c.dups != int64(len(tc.events))-tc.kept {
			t.Errorf("%d events: kept %d, dups %d; want %d kept", len(tc.events), c.kept, c.dups, tc.kept)
		}
	}
}

// Of the two copies of a cross-account call, the one read first is used
// (its eventID, caller and region are shown), whatever the run's salt; and
// with both sets on disk, every event is counted once, in the counts and in
// the progress of the final pass.
func TestCollectorSharedCopyReadFirst(t *testing.T) {
	w := classify.Window{Start: time.Unix(0, 0), End: time.Unix(1<<40, 0)}
	var used []string
	testUsed = func(ev cloudtrail.Event) { used = append(used, ev.EventID) }
	defer func() { testUsed = nil }()
	pair := func(i int) (caller, role cloudtrail.Event) {
		role = cloudtrail.Event{EventID: fmt.Sprint("role-", i), SharedEventID: fmt.Sprint("s", i), EventName: "AssumeRole",
			EventTime: time.Unix(1000, 0), RoleArn: "arn:aws:iam::111122223333:role/Prod", RecipientAccountID: "111122223333"}
		caller = role
		caller.EventID, caller.RecipientAccountID = fmt.Sprint("caller-", i), "999988887777"
		return caller, role
	}
	for range 20 {
		used = nil
		c := newCollector(context.Background(), w, t.TempDir(), 0)
		caller, role := pair(0)
		c.add(caller)
		c.add(role)
		if err := c.finish(nil, nil); err != nil {
			t.Fatal(err)
		}
		if len(used) != 1 || used[0] != "caller-0" {
			t.Fatalf("used %q, want the copy read first, caller-0", used)
		}
	}

	const n = 3000
	used = nil
	c := newCollector(context.Background(), w, t.TempDir(), 1024)
	for i := range n {
		caller, role := pair(i)
		c.add(caller)
		c.add(role)
	}
	p := &recordProgress{}
	if err := c.finish(nil, p); err != nil {
		t.Fatal(err)
	}
	if c.runs == 0 || c.total != 2*n || c.kept != n || c.dups != n || len(used) != n {
		t.Errorf("runs %d, total %d, kept %d, dups %d, used %d; want runs on disk, %d, %d, %d, %d", c.runs, c.total, c.kept, c.dups, len(used), 2*n, n, n, n)
	}
	for _, id := range used {
		if !strings.HasPrefix(id, "caller-") {
			t.Fatalf("used %s, want the copy read first", id)
		}
	}
	if p.total != 2*n || p.done != 2*n || p.finished != 1 {
		t.Errorf("progress %+v, want %d events, counted once", p, 2*n)
	}
}

// slowSource stands for a long S3 or Athena read: 30 steps of 100 ms,
// stopping when its context ends.
type slowSource struct{ read *time.Duration }

func (slowSource) Name() string { return "s3://slow/" }

func (s slowSource) Read(ctx context.Context, q cloudtrail.Query, emit func(cloudtrail.Event)) (cloudtrail.Stats, error) {
	t0 := time.Now()
	defer func() { *s.read = time.Since(t0) }()
	for range 30 {
		select {
		case <-ctx.Done():
			return cloudtrail.Stats{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return cloudtrail.Stats{Files: 30}, nil
}

// When the session records cannot be read the run fails on them, at once:
// the CloudTrail sources are stopped instead of read to the end (hours of
// S3 downloads or Athena scanning), and their cancellation is not reported
// in place of the session error.
func TestSessionFailureStopsTheSources(t *testing.T) {
	pol := policyOf(t, prodProfile)
	now := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)
	var read time.Duration
	_, err := Run(context.Background(), Options{Policy: pol, CloudTrail: []cloudtrail.Source{slowSource{&read}, slowSource{&read}},
		Sessions: []SessionSource{{Store: sessions.NewFileStore(filepath.Join(t.TempDir(), "missing.jsonl"))}},
		Start:    now.Add(-time.Hour), End: now})
	if err == nil || !strings.Contains(err.Error(), "missing.jsonl") {
		t.Errorf("error %v, want the session file's", err)
	}
	if read > time.Second {
		t.Errorf("the sources read for %v after the session records failed", read)
	}
}

// failingSource fails on its own after a while, whatever its context says.
type failingSource struct{}

func (failingSource) Name() string { return "s3://denied/" }

func (failingSource) Read(ctx context.Context, q cloudtrail.Query, emit func(cloudtrail.Event)) (cloudtrail.Stats, error) {
	time.Sleep(100 * time.Millisecond)
	return cloudtrail.Stats{}, errors.New("AccessDenied")
}

// When the session records and a source both fail, both errors are
// reported, whichever failed first.
func TestBothFailuresReported(t *testing.T) {
	pol := policyOf(t, prodProfile)
	now := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)
	_, err := Run(context.Background(), Options{Policy: pol, CloudTrail: []cloudtrail.Source{failingSource{}},
		Sessions: []SessionSource{{Store: sessions.NewFileStore(filepath.Join(t.TempDir(), "missing.jsonl"))}},
		Start:    now.Add(-time.Hour), End: now})
	j, ok := err.(interface{ Unwrap() []error })
	if !ok || len(j.Unwrap()) != 2 || !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), "missing.jsonl") {
		t.Errorf("error %v, want both the source's and the session file's", err)
	}
}
