package sessions

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math/rand"
	"strings"
	"testing"
	"time"
	"unsafe"
)

var t0 = time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)

// at is t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// rec is a record of alice on prod-admin from t0 to t0+1h unless changed.
func rec(id string, opts ...func(*Record)) Record {
	r := Record{
		ID: id, User: "alice", Profile: "prod-admin", Status: StatusActive,
		StartedAt: t0, ExpiresAt: at(time.Hour), LastAccessAt: at(30 * time.Minute),
		CreatedAt: t0, UpdatedAt: t0,
	}
	for _, o := range opts {
		o(&r)
	}
	return r
}

func withSI(si string) func(*Record) { return func(r *Record) { r.SourceIdentity = si } }
func revokedAt(t time.Time) func(*Record) {
	return func(r *Record) { r.Status = StatusRevoked; r.UpdatedAt = t }
}
func span(start, end time.Time) func(*Record) {
	return func(r *Record) { r.StartedAt, r.CreatedAt, r.ExpiresAt, r.LastAccessAt = start, start, end, start }
}
func noEnd(r *Record)                { r.ExpiresAt, r.LastAccessAt = time.Time{}, time.Time{} }
func user(u, p string) func(*Record) { return func(r *Record) { r.User, r.Profile = u, p } }

const si1 = "sentinel:alice:direct:0000aaaa"
const si2 = "sentinel:alice:direct:0000bbbb"

func TestLookup(t *testing.T) {
	q := func(si string, tm time.Time) MatchQuery {
		return MatchQuery{SourceIdentity: si, User: "alice", Profile: "prod-admin", Time: tm}
	}
	tests := []struct {
		name    string
		recs    []Record
		mode    string
		q       MatchQuery
		want    Outcome
		wantID  string
		comment string
	}{
		// source_identity
		{name: "si live inside span", recs: []Record{rec("a", withSI(si1))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Live, wantID: "a"},
		// A record does not cover an event from before it began (with the
		// slack): the identity was not issued by it.
		{name: "si no record an hour before start", recs: []Record{rec("a", withSI(si1))}, mode: ModeSourceIdentity, q: q(si1, at(-time.Hour)), want: NoRecord},
		{name: "si live at start-5min", recs: []Record{rec("a", withSI(si1))}, mode: ModeSourceIdentity, q: q(si1, at(-5*time.Minute)), want: Live, wantID: "a"},
		{name: "si no record at start-5min-1ns", recs: []Record{rec("a", withSI(si1))}, mode: ModeSourceIdentity, q: q(si1, at(-5*time.Minute-1)), want: NoRecord},
		{name: "auto: an identity record that starts later matches nothing, nor does a window record", recs: []Record{rec("a", withSI(si1), span(at(time.Hour), at(2*time.Hour))), rec("w")}, mode: ModeAuto, q: q(si1, at(10*time.Minute)), want: NoRecord},
		{name: "auto: an identity no record has falls back to the window", recs: []Record{rec("a", withSI(si2)), rec("w")}, mode: ModeAuto, q: q(si1, at(10*time.Minute)), want: Live, wantID: "w"},
		// Expired from the end on: the matching window's slack does not
		// make a session after the record's end live.
		{name: "si live at the end", recs: []Record{rec("a", withSI(si1))}, mode: ModeSourceIdentity, q: q(si1, at(time.Hour)), want: Live, wantID: "a"},
		{name: "si expired at end+1ns", recs: []Record{rec("a", withSI(si1))}, mode: ModeSourceIdentity, q: q(si1, at(time.Hour+1)), want: Expired, wantID: "a"},
		{name: "si expired at end+5min", recs: []Record{rec("a", withSI(si1))}, mode: ModeSourceIdentity, q: q(si1, at(time.Hour+5*time.Minute)), want: Expired, wantID: "a"},
		{name: "si end is last_access when later", recs: []Record{rec("a", withSI(si1), func(r *Record) { r.LastAccessAt = at(3 * time.Hour) })}, mode: ModeSourceIdentity, q: q(si1, at(3*time.Hour)), want: Live, wantID: "a"},
		{name: "si revoked after revocation", recs: []Record{rec("a", withSI(si1), revokedAt(at(20*time.Minute)))}, mode: ModeSourceIdentity, q: q(si1, at(20*time.Minute+1)), want: Revoked, wantID: "a"},
		{name: "si revoked: event at revocation time is live", recs: []Record{rec("a", withSI(si1), revokedAt(at(20*time.Minute)))}, mode: ModeSourceIdentity, q: q(si1, at(20*time.Minute)), want: Live, wantID: "a"},
		{name: "si revoked: event before revocation is live", recs: []Record{rec("a", withSI(si1), revokedAt(at(20*time.Minute)))}, mode: ModeSourceIdentity, q: q(si1, at(5*time.Minute)), want: Live, wantID: "a"},
		{name: "si revoked wins over expired", recs: []Record{rec("a", withSI(si1), revokedAt(at(20*time.Minute)))}, mode: ModeSourceIdentity, q: q(si1, at(5*time.Hour)), want: Revoked, wantID: "a"},
		{name: "si revoked status in capitals", recs: []Record{rec("a", withSI(si1), revokedAt(at(20*time.Minute)), func(r *Record) { r.Status = "REVOKED" })}, mode: ModeSourceIdentity, q: q(si1, at(30*time.Minute)), want: Revoked, wantID: "a"},
		{name: "si revoked before event but before expiry, expired record too", recs: []Record{rec("a", withSI(si1), revokedAt(at(20*time.Minute))), rec("b", withSI(si1), span(at(-5*time.Hour), at(-4*time.Hour)))}, mode: ModeSourceIdentity, q: q(si1, at(30*time.Minute)), want: Revoked, wantID: "a"},
		{name: "si other identity", recs: []Record{rec("a", withSI(si1))}, mode: ModeSourceIdentity, q: q("sentinel:alice:direct:0000bbbb", at(10*time.Minute)), want: NoRecord},
		{name: "si empty identity never matches", recs: []Record{rec("a")}, mode: ModeSourceIdentity, q: q("", at(10*time.Minute)), want: NoRecord},
		{name: "si ignores the user", recs: []Record{rec("a", withSI(si1), user("bob", "prod-admin"))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Live, wantID: "a"},
		// A broker session of another profile does not track a session
		// chained from it (the SourceIdentity persists through chaining).
		{name: "si of another profile's record: no record", recs: []Record{rec("a", withSI(si1), user("alice", "dev"))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: NoRecord},
		{name: "auto: si of another profile's record: no record, not the window", recs: []Record{rec("a", withSI(si1), user("alice", "dev")), rec("w")}, mode: ModeAuto, q: q(si1, at(10*time.Minute)), want: NoRecord},
		{name: "status with spaces and capitals", recs: []Record{rec("a", withSI(si1), revokedAt(at(time.Minute)), func(r *Record) { r.Status = " REVOKED " })}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Revoked, wantID: "a"},
		{name: "si of another profile's revoked record: revoked", recs: []Record{rec("a", withSI(si1), user("alice", "dev"), revokedAt(at(time.Minute)))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Revoked, wantID: "a"},
		{name: "si of another profile's expired record: expired", recs: []Record{rec("a", withSI(si1), user("alice", "dev"), span(at(-3*time.Hour), at(-2*time.Hour)))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Expired, wantID: "a"},
		{name: "si of a record without a profile", recs: []Record{rec("a", withSI(si1), user("alice", ""))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Live, wantID: "a"},
		{name: "si prefers live over expired", recs: []Record{rec("old", withSI(si1), span(at(-5*time.Hour), at(-4*time.Hour))), rec("new", withSI(si1))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Live, wantID: "new"},
		{name: "si prefers live over revoked", recs: []Record{rec("r", withSI(si1), revokedAt(at(time.Minute))), rec("l", withSI(si1), span(at(-2*time.Hour), at(2*time.Hour)))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Live, wantID: "l"},
		{name: "si prefers revoked over expired", recs: []Record{rec("e", withSI(si1), span(at(-5*time.Hour), at(-4*time.Hour))), rec("r", withSI(si1), revokedAt(at(time.Minute)))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Revoked, wantID: "r"},
		{name: "si two live: latest start", recs: []Record{rec("x", withSI(si1), span(at(-time.Hour), at(time.Hour))), rec("y", withSI(si1), span(at(-30*time.Minute), at(time.Hour)))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Live, wantID: "y"},
		{name: "si two live same start: smallest id", recs: []Record{rec("z", withSI(si1)), rec("m", withSI(si1))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Live, wantID: "m"},
		{name: "si two expired: latest start", recs: []Record{rec("e1", withSI(si1), span(at(-9*time.Hour), at(-8*time.Hour))), rec("e2", withSI(si1), span(at(-5*time.Hour), at(-4*time.Hour)))}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Expired, wantID: "e2"},
		{name: "si active record without end is live", recs: []Record{rec("a", withSI(si1), func(r *Record) { r.ExpiresAt, r.LastAccessAt = time.Time{}, time.Time{} })}, mode: ModeSourceIdentity, q: q(si1, at(time.Minute)), want: Live, wantID: "a"},
		{name: "si expired record without end is expired", recs: []Record{rec("a", withSI(si1), func(r *Record) { r.ExpiresAt, r.LastAccessAt, r.Status = time.Time{}, time.Time{}, StatusExpired })}, mode: ModeSourceIdentity, q: q(si1, at(time.Minute)), want: Expired, wantID: "a"},
		{name: "si expired record without end, before its mark: live", recs: []Record{rec("a", withSI(si1), noEnd, func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, at(20*time.Minute) })}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Live, wantID: "a"},
		{name: "si expired record without end, at its mark: live", recs: []Record{rec("a", withSI(si1), noEnd, func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, at(20*time.Minute) })}, mode: ModeSourceIdentity, q: q(si1, at(20*time.Minute)), want: Live, wantID: "a"},
		{name: "si expired record without end, after its mark: expired", recs: []Record{rec("a", withSI(si1), noEnd, func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, at(20*time.Minute) })}, mode: ModeSourceIdentity, q: q(si1, at(21*time.Minute)), want: Expired, wantID: "a"},
		{name: "si expired record without end or updated_at: expired", recs: []Record{rec("a", withSI(si1), noEnd, func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, time.Time{} })}, mode: ModeSourceIdentity, q: q(si1, at(10*time.Minute)), want: Expired, wantID: "a"},
		{name: "window: an expired record without end, before its mark: no session", recs: []Record{rec("a", noEnd, func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, at(20*time.Minute) })}, mode: ModeUserProfileWindow, q: q("", at(10*time.Minute)), want: NoRecord},
		{name: "si revoked record without end is revoked", recs: []Record{rec("a", withSI(si1), func(r *Record) {
			r.ExpiresAt, r.LastAccessAt, r.Status, r.UpdatedAt = time.Time{}, time.Time{}, StatusRevoked, at(0)
		})}, mode: ModeSourceIdentity, q: q(si1, at(time.Minute)), want: Revoked, wantID: "a"},
		{name: "window: a record without start has no window", recs: []Record{rec("a", func(r *Record) { r.StartedAt, r.CreatedAt = time.Time{}, time.Time{} })}, mode: ModeUserProfileWindow, q: q("", at(time.Minute)), want: NoRecord},
		{name: "auto: a record without start has no window", recs: []Record{rec("a", func(r *Record) { r.StartedAt, r.CreatedAt = time.Time{}, time.Time{} })}, mode: ModeAuto, q: q("", at(time.Minute)), want: NoRecord},
		{name: "window: a record without end has no window", recs: []Record{rec("a", func(r *Record) { r.ExpiresAt, r.LastAccessAt = time.Time{}, time.Time{} })}, mode: ModeUserProfileWindow, q: q("", at(time.Minute)), want: NoRecord},
		// A revoked or expired record without an end is ended by the
		// updated_at that says so: its window is matched up to it.
		// It tracks no session: live before its revocation, it is no
		// candidate (a sweep may revoke it days later).
		{name: "window: a revoked record without end is no candidate before its revocation", recs: []Record{rec("a", noEnd, revokedAt(at(20*time.Minute)))}, mode: ModeUserProfileWindow, q: q("", at(10*time.Minute)), want: NoRecord},
		{name: "auto: a revoked record without end is no candidate days before its revocation", recs: []Record{rec("a", noEnd, revokedAt(at(30*24*time.Hour)))}, mode: ModeAuto, q: q(si1, at(20*24*time.Hour)), want: NoRecord},
		{name: "window: a revoked record without end, revoked in its slack", recs: []Record{rec("a", noEnd, revokedAt(at(20*time.Minute)))}, mode: ModeUserProfileWindow, q: q("", at(25*time.Minute)), want: Revoked, wantID: "a"},
		{name: "window: a revoked record without end, no record past its slack", recs: []Record{rec("a", noEnd, revokedAt(at(20*time.Minute)))}, mode: ModeUserProfileWindow, q: q("", at(25*time.Minute+1)), want: NoRecord},
		{name: "auto: a revoked record without end or identity, revoked in its slack", recs: []Record{rec("a", noEnd, revokedAt(at(20*time.Minute)))}, mode: ModeAuto, q: q(si1, at(23*time.Minute)), want: Revoked, wantID: "a"},
		{name: "window: an expired record without end is expired up to its mark", recs: []Record{rec("a", noEnd, func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, at(30*time.Minute) })}, mode: ModeUserProfileWindow, q: q("", at(32*time.Minute)), want: Expired, wantID: "a"},
		{name: "window: a revoked record without end or updated_at has no window", recs: []Record{rec("a", noEnd, revokedAt(time.Time{}))}, mode: ModeUserProfileWindow, q: q("", at(time.Minute)), want: NoRecord},

		// user_profile_window
		{name: "window live inside", recs: []Record{rec("a")}, mode: ModeUserProfileWindow, q: q("", at(10*time.Minute)), want: Live, wantID: "a"},
		{name: "window at start-5min", recs: []Record{rec("a")}, mode: ModeUserProfileWindow, q: q("", at(-5*time.Minute)), want: Live, wantID: "a"},
		{name: "window before start-5min", recs: []Record{rec("a")}, mode: ModeUserProfileWindow, q: q("", at(-5*time.Minute-1)), want: NoRecord},
		{name: "window at end+5min: matched, expired", recs: []Record{rec("a")}, mode: ModeUserProfileWindow, q: q("", at(time.Hour+5*time.Minute)), want: Expired, wantID: "a"},
		{name: "window after end+5min", recs: []Record{rec("a")}, mode: ModeUserProfileWindow, q: q("", at(time.Hour+5*time.Minute+1)), want: NoRecord},
		{name: "window end extended by last_access", recs: []Record{rec("a", func(r *Record) { r.LastAccessAt = at(2 * time.Hour) })}, mode: ModeUserProfileWindow, q: q("", at(2*time.Hour)), want: Live, wantID: "a"},
		{name: "window end extended by last_access, then expired", recs: []Record{rec("a", func(r *Record) { r.LastAccessAt = at(2 * time.Hour) })}, mode: ModeUserProfileWindow, q: q("", at(2*time.Hour+5*time.Minute)), want: Expired, wantID: "a"},
		{name: "window start from created_at when started_at absent", recs: []Record{rec("a", func(r *Record) { r.StartedAt = time.Time{}; r.CreatedAt = at(-time.Hour) })}, mode: ModeUserProfileWindow, q: q("", at(-64*time.Minute)), want: Live, wantID: "a"},
		{name: "window created_at ignored when started_at set", recs: []Record{rec("a", func(r *Record) { r.CreatedAt = at(-time.Hour) })}, mode: ModeUserProfileWindow, q: q("", at(-30*time.Minute)), want: NoRecord},
		{name: "window other user", recs: []Record{rec("a", user("bob", "prod-admin"))}, mode: ModeUserProfileWindow, q: q("", at(10*time.Minute)), want: NoRecord},
		{name: "window other profile", recs: []Record{rec("a", user("alice", "dev"))}, mode: ModeUserProfileWindow, q: q("", at(10*time.Minute)), want: NoRecord},
		{name: "window empty user matches nothing", recs: []Record{rec("a", user("", "prod-admin"))}, mode: ModeUserProfileWindow, q: MatchQuery{Profile: "prod-admin", Time: at(10 * time.Minute)}, want: NoRecord},
		{name: "window also matches records with an identity", recs: []Record{rec("a", withSI(si1))}, mode: ModeUserProfileWindow, q: q("sentinel:alice:direct:ffffffff", at(10*time.Minute)), want: Live, wantID: "a"},
		{name: "window revoked before event", recs: []Record{rec("a", revokedAt(at(5*time.Minute)))}, mode: ModeUserProfileWindow, q: q("", at(10*time.Minute)), want: Revoked, wantID: "a"},
		{name: "window revoked after event", recs: []Record{rec("a", revokedAt(at(15*time.Minute)))}, mode: ModeUserProfileWindow, q: q("", at(10*time.Minute)), want: Live, wantID: "a"},
		// A record marked expired is expired from its updated_at, even
		// inside its window (the broker ended the session early).
		{name: "window status expired at updated_at, before the event", recs: []Record{rec("a", func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, at(5*time.Minute) })}, mode: ModeUserProfileWindow, q: q("", at(10*time.Minute)), want: Expired, wantID: "a"},
		{name: "window status expired at updated_at, after the event", recs: []Record{rec("a", func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, at(15*time.Minute) })}, mode: ModeUserProfileWindow, q: q("", at(10*time.Minute)), want: Live, wantID: "a"},
		// A mark written after the end (a sweep) leaves the slack alone.
		{name: "window in the slack after the end: matched, expired", recs: []Record{rec("a")}, mode: ModeUserProfileWindow, q: q("", at(time.Hour+3*time.Minute)), want: Expired, wantID: "a"},
		{name: "window status expired just after the end, event in the slack", recs: []Record{rec("a", func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, at(time.Hour+time.Minute) })}, mode: ModeUserProfileWindow, q: q("", at(time.Hour+3*time.Minute)), want: Expired, wantID: "a"},
		{name: "window status expired at the end, event at the end", recs: []Record{rec("a", func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, at(time.Hour) })}, mode: ModeUserProfileWindow, q: q("", at(time.Hour)), want: Live, wantID: "a"},
		{name: "window status expired a minute before the end, event in the slack", recs: []Record{rec("a", func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, at(59*time.Minute) })}, mode: ModeUserProfileWindow, q: q("", at(time.Hour+3*time.Minute)), want: Expired, wantID: "a"},
		{name: "window status expired without updated_at, inside span", recs: []Record{rec("a", func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, time.Time{} })}, mode: ModeUserProfileWindow, q: q("", at(10*time.Minute)), want: Live, wantID: "a"},
		{name: "window prefers live over revoked", recs: []Record{rec("r", revokedAt(at(time.Minute))), rec("l", span(at(-time.Hour), at(time.Hour)))}, mode: ModeUserProfileWindow, q: q("", at(10*time.Minute)), want: Live, wantID: "l"},
		{name: "window record without end covers nothing", recs: []Record{rec("a", func(r *Record) { r.ExpiresAt, r.LastAccessAt = time.Time{}, time.Time{} })}, mode: ModeUserProfileWindow, q: q("", at(time.Minute)), want: NoRecord},

		// auto
		{name: "auto identity record by identity", recs: []Record{rec("a", withSI(si1))}, mode: ModeAuto, q: q(si1, at(10*time.Minute)), want: Live, wantID: "a"},
		{name: "auto identity record not by window", recs: []Record{rec("a", withSI(si1))}, mode: ModeAuto, q: q("sentinel:alice:direct:0000bbbb", at(10*time.Minute)), want: NoRecord},
		{name: "auto record without identity by window", recs: []Record{rec("a")}, mode: ModeAuto, q: q(si1, at(10*time.Minute)), want: Live, wantID: "a"},
		{name: "auto record without identity outside window", recs: []Record{rec("a")}, mode: ModeAuto, q: q(si1, at(2*time.Hour)), want: NoRecord},
		{name: "auto empty mode is auto", recs: []Record{rec("a")}, mode: "", q: q(si1, at(10*time.Minute)), want: Live, wantID: "a"},
		// The event's identity names its record: another record of the
		// user that covers the time does not excuse a revoked or expired one.
		{name: "auto mixed: revoked identity record wins over a live window record", recs: []Record{rec("r", withSI(si1), revokedAt(at(time.Minute))), rec("w")}, mode: ModeAuto, q: q(si1, at(10*time.Minute)), want: Revoked, wantID: "r"},
		{name: "auto mixed: expired identity record, no window record", recs: []Record{rec("e", withSI(si1), span(at(-5*time.Hour), at(-4*time.Hour))), rec("w", user("bob", "prod-admin"))}, mode: ModeAuto, q: q(si1, at(10*time.Minute)), want: Expired, wantID: "e"},
		{name: "auto mixed: expired identity record wins over a revoked window record", recs: []Record{rec("e", withSI(si1), span(at(-5*time.Hour), at(-4*time.Hour))), rec("w", revokedAt(at(time.Minute)))}, mode: ModeAuto, q: q(si1, at(10*time.Minute)), want: Expired, wantID: "e"},
		{name: "auto no identity on event, window record", recs: []Record{rec("a")}, mode: ModeAuto, q: q("", at(10*time.Minute)), want: Live, wantID: "a"},

		{name: "unknown mode matches nothing", recs: []Record{rec("a", withSI(si1))}, mode: "fuzzy", q: q(si1, at(10*time.Minute)), want: NoRecord},
		{name: "no records", mode: ModeAuto, q: q(si1, at(10*time.Minute)), want: NoRecord},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewIndex(tc.recs).Lookup(tc.mode, tc.q)
			if m.Outcome != tc.want {
				t.Fatalf("outcome = %v, want %v", m.Outcome, tc.want)
			}
			if m.ID != tc.wantID {
				t.Fatalf("record id = %q, want %q", m.ID, tc.wantID)
			}
		})
	}
}

func TestLookupNilIndex(t *testing.T) {
	var ix *Index
	if m := ix.Lookup(ModeAuto, MatchQuery{SourceIdentity: si1, User: "alice", Time: t0}); m.Outcome != NoRecord || m.ID != "" {
		t.Fatalf("nil index matched %+v", m)
	}
	if ix.Len() != 0 {
		t.Fatal("nil index has records")
	}
}

// The index keeps its own copy: changing the caller's slice does not change
// what matches.
func TestIndexCopiesRecords(t *testing.T) {
	recs := []Record{rec("a", withSI(si1))}
	ix := NewIndex(recs)
	recs[0].Status = StatusRevoked
	recs[0].UpdatedAt = t0
	if m := ix.Lookup(ModeSourceIdentity, MatchQuery{SourceIdentity: si1, Profile: "prod-admin", Time: at(time.Minute)}); m.Outcome != Live {
		t.Fatalf("outcome = %v after changing the input slice, want live", m.Outcome)
	}
}

// bruteLookup is the specification of Lookup, written the slow way from
// its doc comment: every record is a candidate or not, and the best
// candidate wins. recs must have distinct ids (see latestByID).
func bruteLookup(recs []refRecord, mode string, q MatchQuery) Match {
	start := func(r *refRecord) time.Time {
		if r.StartedAt.IsZero() {
			return r.CreatedAt
		}
		return r.StartedAt
	}
	outcome := func(r *refRecord) Outcome {
		switch {
		case strings.EqualFold(strings.TrimSpace(r.Status), "revoked") && q.Time.After(r.revokedFrom):
			return Revoked
		case r.markedExpired && (r.End().IsZero() || r.expiredFrom.Before(r.End())) && q.Time.After(r.expiredFrom):
			return Expired
		case r.End().IsZero() && strings.EqualFold(strings.TrimSpace(r.Status), "expired") && !r.markedExpired:
			return Expired
		case r.End().IsZero():
			return Live
		case q.Time.After(r.End()):
			return Expired
		}
		return Live
	}
	// A record's window ends at its end; one without an end that is
	// revoked or marked expired, at the earliest updated_at that says so.
	// (The zero time, as an end, is before every other.)
	// Such a record (fromMark) is a candidate only where it is not live.
	windowEnd := func(r *refRecord) (end time.Time, fromMark bool) {
		if !r.End().IsZero() {
			return r.End(), false
		}
		ok := false
		if strings.EqualFold(strings.TrimSpace(r.Status), "revoked") {
			end, ok = r.revokedFrom, true
		}
		if r.markedExpired && (!ok || r.expiredFrom.Before(end)) {
			end = r.expiredFrom
		}
		return end, !end.IsZero()
	}
	rank := [...]int{Live: 0, Revoked: 1, Expired: 2}
	// In auto mode, when some record has the event's source identity, the
	// records matched by it are the only candidates.
	anySI := false
	for i := range recs {
		if q.SourceIdentity != "" && recs[i].SourceIdentity == q.SourceIdentity {
			anySI = true
		}
	}
	var best *refRecord
	var bestO Outcome
	for i := range recs {
		r := &recs[i]
		end, fromMark := windowEnd(r)
		inWindow := q.User != "" && r.User == q.User && r.Profile == q.Profile && !start(r).IsZero() &&
			!q.Time.Before(start(r).Add(-5*time.Minute)) && !q.Time.After(end.Add(5*time.Minute)) &&
			(!fromMark || outcome(r) != Live)
		bySI := q.SourceIdentity != "" && r.SourceIdentity == q.SourceIdentity && !start(r).After(q.Time.Add(5*time.Minute)) &&
			(r.Profile == q.Profile || r.Profile == "" || outcome(r) != Live)
		var cand bool
		switch mode {
		case ModeSourceIdentity:
			cand = bySI
		case ModeUserProfileWindow:
			cand = inWindow
		case ModeAuto, "":
			cand = bySI || (!anySI && r.SourceIdentity == "" && inWindow)
		}
		if !cand {
			continue
		}
		o := outcome(r)
		switch {
		case best == nil, rank[o] < rank[bestO],
			rank[o] == rank[bestO] && start(r).After(start(best)),
			rank[o] == rank[bestO] && start(r).Equal(start(best)) && r.ID < best.ID:
			best, bestO = r, o
		}
	}
	if best == nil {
		return Match{}
	}
	return Match{ID: best.ID, Outcome: bestO}
}

// refRecord is a record as the index holds it: its best version, with when
// its versions said it was revoked or expired.
type refRecord struct {
	Record
	// revokedFrom is the earliest updated_at of the revoked versions (the
	// zero time when one has none); expiredFrom that of the expired
	// versions that have one, when markedExpired.
	revokedFrom, expiredFrom time.Time
	markedExpired            bool
}

// latestByID keeps, of records with the same id, the one an index of recs
// holds: revoked over expired over any other status, then the later
// updated_at, then the later one in recs. A session is revoked from the
// earliest updated_at of its revoked versions, and expired from that of its
// expired versions (bruteLookup uses it when it is before the end of the
// window).
func latestByID(recs []Record) []refRecord {
	final := func(r Record) int {
		switch {
		case strings.EqualFold(strings.TrimSpace(r.Status), StatusRevoked):
			return 2
		case strings.EqualFold(strings.TrimSpace(r.Status), StatusExpired):
			return 1
		}
		return 0
	}
	latest := map[string]int{}
	// An id's source_identity is that of its best version that has one;
	// the others are dead (known, with no record).
	siFrom := map[string]int{}
	var dead []string
	beats := func(o, r Record) bool { // o, read before r, wins over it
		return final(o) > final(r) || final(o) == final(r) && o.UpdatedAt.After(r.UpdatedAt)
	}
	for i, r := range recs {
		if r.SourceIdentity != "" {
			if j, ok := siFrom[r.ID]; !ok {
				siFrom[r.ID] = i
			} else if beats(recs[j], r) || !beats(r, recs[j]) && recs[j].SourceIdentity <= r.SourceIdentity {
				if r.SourceIdentity != recs[j].SourceIdentity {
					dead = append(dead, r.SourceIdentity)
				}
			} else {
				if r.SourceIdentity != recs[j].SourceIdentity {
					dead = append(dead, recs[j].SourceIdentity)
				}
				siFrom[r.ID] = i
			}
		}
		// On a tie the less live version wins (the earlier end, then the
		// later start), then the smaller (user, profile).
		lessLive := func(a, b Record) bool {
			ae, be := a.End(), b.End()
			return ae.Before(be) || ae.Equal(be) && recordStart(&a).After(recordStart(&b))
		}
		pairLess := func(a, b Record) bool { return a.User < b.User || a.User == b.User && a.Profile < b.Profile }
		if j, ok := latest[r.ID]; ok && (beats(recs[j], r) || !beats(r, recs[j]) && (lessLive(recs[j], r) || !lessLive(r, recs[j]) && !pairLess(r, recs[j]))) {
			continue
		}
		latest[r.ID] = i
	}
	si := map[string]string{}
	for id, j := range siFrom {
		si[id] = recs[j].SourceIdentity
	}
	var out []refRecord
	for i, r := range recs {
		if latest[r.ID] != i {
			continue
		}
		r.SourceIdentity = si[r.ID]
		ref := refRecord{Record: r}
		revoked := false
		for _, v := range recs {
			switch {
			case v.ID != r.ID:
			case final(v) == 2:
				if !revoked || v.UpdatedAt.Before(ref.revokedFrom) {
					ref.revokedFrom, revoked = v.UpdatedAt, true
				}
			case final(v) == 1 && !v.UpdatedAt.IsZero():
				if !ref.markedExpired || v.UpdatedAt.Before(ref.expiredFrom) {
					ref.expiredFrom, ref.markedExpired = v.UpdatedAt, true
				}
			}
		}
		out = append(out, ref)
	}
	// A source identity only a losing version had is known with no record:
	// a record that no lookup can take (no start, another profile, live)
	// stands for it.
	for _, d := range dead {
		out = append(out, refRecord{Record: Record{ID: "\x00dead", Profile: "\x00dead", SourceIdentity: d}})
	}
	return out
}

// The index finds exactly what a scan of every record finds.
func TestLookupMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	users := []string{"alice", "bob", "carol"}
	profiles := []string{"prod-admin", "dev"}
	var recs []Record
	for i := 0; i < 800; i++ {
		start := at(time.Duration(rng.Intn(72*60)) * time.Minute)
		r := Record{
			ID:        testID(i),
			User:      users[rng.Intn(len(users))],
			Profile:   profiles[rng.Intn(len(profiles))],
			Status:    StatusActive,
			StartedAt: start, CreatedAt: start,
			ExpiresAt:    start.Add(time.Duration(1+rng.Intn(12*60)) * time.Minute),
			LastAccessAt: start.Add(time.Duration(rng.Intn(14*60)) * time.Minute),
		}
		switch rng.Intn(8) {
		case 0, 1:
			r.Status, r.UpdatedAt = StatusRevoked, start.Add(time.Duration(rng.Intn(600))*time.Minute)
		case 2:
			r.Status, r.UpdatedAt = "REVOKED", start.Add(time.Duration(rng.Intn(600))*time.Minute)
		case 3:
			r.Status, r.UpdatedAt = StatusExpired, start.Add(time.Duration(rng.Intn(600))*time.Minute)
		case 4:
			r.Status = "Expired"
		}
		switch rng.Intn(12) {
		case 0, 1, 2:
			r.StartedAt = time.Time{} // the window opens at created_at
		case 3:
			r.StartedAt, r.CreatedAt = time.Time{}, time.Time{} // no start at all
		case 4:
			r.ExpiresAt, r.LastAccessAt = time.Time{}, time.Time{} // no end
		case 5:
			r.ExpiresAt = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
		case 6:
			r.StartedAt = start.Add(time.Duration(rng.Intn(3)) * time.Nanosecond) // near-equal starts
		}
		switch rng.Intn(8) {
		case 0, 1, 2, 3:
			r.SourceIdentity = fmt.Sprintf("sentinel:%s:direct:%08x", r.User, rng.Intn(200))
		case 4:
			r.SourceIdentity = testID(rng.Intn(100)) // an identity shaped like an id
		}
		if i > 0 && rng.Intn(20) == 0 {
			r.ID = recs[rng.Intn(len(recs))].ID // a second version of a record
		}
		recs = append(recs, r)
	}
	ix := NewIndex(recs)
	distinct := latestByID(recs)
	ids := 0
	for _, r := range distinct {
		if r.ID != "\x00dead" {
			ids++
		}
	}
	if ids == len(recs) || ix.Len() != ids {
		t.Fatalf("%d records, %d distinct ids, %d indexed: want some ids twice, each indexed once", len(recs), ids, ix.Len())
	}
	seen := map[Outcome]int{}
	for i := 0; i < 20000; i++ {
		q := MatchQuery{
			SourceIdentity: fmt.Sprintf("sentinel:%s:direct:%08x", users[rng.Intn(len(users))], rng.Intn(220)),
			User:           users[rng.Intn(len(users))],
			Profile:        profiles[rng.Intn(len(profiles))],
			Time:           at(time.Duration(rng.Intn(90*60*60)) * time.Second),
		}
		switch rng.Intn(14) {
		case 0:
			q.SourceIdentity = ""
		case 13:
			q.SourceIdentity = testID(rng.Intn(110))
		case 1:
			q.User = ""
		case 2:
			q.Time = time.Time{}
		case 3, 4, 5, 6:
			// On the edge of a record's window or revocation.
			r := distinct[rng.Intn(ids)] // a record, not a stand-in for a dead identity
			q.User, q.Profile = r.User, r.Profile
			q.Time = [...]time.Time{r.End().Add(MatchSlack), r.StartedAt.Add(-MatchSlack), r.CreatedAt.Add(-MatchSlack), r.UpdatedAt, r.UpdatedAt.Add(MatchSlack)}[rng.Intn(5)]
			if rng.Intn(2) == 0 {
				q.Time = q.Time.Add(time.Nanosecond)
			}
		}
		for _, mode := range []string{ModeAuto, "", ModeSourceIdentity, ModeUserProfileWindow, "fuzzy"} {
			got, want := ix.Lookup(mode, q), bruteLookup(distinct, mode, q)
			if got != want {
				t.Fatalf("%q %+v: got %v %q, want %v %q", mode, q, got.Outcome, got.ID, want.Outcome, want.ID)
			}
			seen[got.Outcome]++
		}
	}
	for _, o := range []Outcome{NoRecord, Live, Revoked, Expired} {
		if seen[o] < 100 {
			t.Errorf("only %d lookups ended %v: the test does not exercise it", seen[o], o)
		}
	}
}

// testID is the id of record i of a test: a UUID in the canonical form
// (which the index keeps as 16 bytes), one in capitals, or another text.
func testID(i int) string {
	u := fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", i*2654435761%(1<<32), i%(1<<16), i%(1<<12), (i*7)%(1<<12), i*104729)
	switch i % 3 {
	case 0:
		return u
	case 1:
		return strings.ToUpper(u)
	}
	return fmt.Sprintf("r%04d", i)
}

// A million records of one user and profile: a lookup must not scan them.
func BenchmarkLookupWindow(b *testing.B) {
	const n = 1_000_000
	recs := make([]Record, n)
	for i := range recs {
		start := at(time.Duration(i) * time.Minute)
		recs[i] = Record{ID: fmt.Sprint(i), User: "alice", Profile: "prod-admin", StartedAt: start, ExpiresAt: start.Add(time.Hour)}
	}
	ix := NewIndex(recs)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := MatchQuery{User: "alice", Profile: "prod-admin", Time: at(time.Duration(i%n) * time.Minute)}
		if ix.Lookup(ModeAuto, q).Outcome != Live {
			b.Fatal("no match")
		}
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[Outcome]string{NoRecord: "no_record", Live: "live", Revoked: "revoked", Expired: "expired", Outcome(9): "unknown"} {
		if got := o.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", o, got, want)
		}
	}
}

// The arena's strings keep their bytes across chunks, for short strings,
// strings whose length takes two bytes, strings that end a chunk and
// strings longer than a chunk's share.
func TestArenaKeepsStrings(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	var a arena
	var want []string
	var got []strRef
	for i := 0; i < 20000; i++ {
		n := rng.Intn(64)
		switch {
		case i%500 == 0:
			n = arenaChunk/8 + 1 + rng.Intn(arenaChunk) // stored alone
		case i%50 == 0:
			n = 128 + rng.Intn(arenaChunk/8-127) // a length of two bytes
		}
		b := make([]byte, n)
		rng.Read(b)
		s := string(b)
		want = append(want, s)
		got = append(got, a.add(s))
	}
	for i := range want {
		if a.str(got[i]) != want[i] || !a.eq(got[i], want[i]) {
			t.Fatalf("string %d (%d bytes) changed in the arena", i, len(want[i]))
		}
	}
}

// uvarintLen gives the length binary.PutUvarint writes, so that a string
// the arena is given never outgrows its chunk; and the chunks never grow.
func TestArenaSizes(t *testing.T) {
	buf := make([]byte, binary.MaxVarintLen64)
	for _, x := range []uint64{0, 1, 127, 128, 16383, 16384, 1<<21 - 1, 1 << 21, 1<<63 - 1, 1 << 63, 1<<64 - 1} {
		if got, want := uvarintLen(x), binary.PutUvarint(buf, x); got != want {
			t.Errorf("uvarintLen(%d) = %d, want %d", x, got, want)
		}
	}
	var a arena
	for i := range 3 * arenaChunk / 100 {
		a.add(strings.Repeat("x", 60+i%80)) // lengths of one byte and of two
	}
	for k, c := range a.chunks {
		if cap(c) != arenaChunk {
			t.Errorf("chunk %d grew to %d bytes", k, cap(c))
		}
	}
}

// A UUID in the canonical lower-case form is kept as 16 bytes and given
// back as the same text; any other text, near-UUIDs included, is kept as
// it is. Either way eq and hash agree with the text.
func TestArenaUUIDs(t *testing.T) {
	const u = "0f8fad5b-d9cb-469f-a165-70867728950e"
	var a arena
	seed := maphash.MakeSeed()
	for _, tc := range []struct {
		s      string
		packed bool
	}{
		{u, true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", true},
		{strings.ToUpper(u), false},
		{"0f8fad5b-d9cb-469f-a165-70867728950E", false},
		{"0f8fad5b-d9cb-469f-a165-70867728950", false},
		{"0f8fad5b-d9cb-469f-a165-70867728950e0", false},
		{"0f8fad5bd-9cb-469f-a165-70867728950e", false},
		{"0f8fad5b-d9cb-469f-a165_70867728950e", false},
		{"0f8fad5b-d9cb-469f-a165-70867728950g", false},
		{"0f8fad5bd9cb469fa16570867728950e", false},
		{"sentinel:alice:direct:0f8fad5b", false},
	} {
		r := a.add(tc.s)
		if got := a.str(r); got != tc.s {
			t.Errorf("%q came back as %q", tc.s, got)
		}
		if _, packed := a.raw(r); packed != tc.packed {
			t.Errorf("%q: packed %v, want %v", tc.s, packed, tc.packed)
		}
		if !a.eq(r, tc.s) || a.eq(r, tc.s[:len(tc.s)-1]) || a.eq(r, tc.s+"0") {
			t.Errorf("%q: eq does not compare its text", tc.s)
		}
		if tc.s != u && a.eq(r, u) {
			t.Errorf("%q: eq to %q", tc.s, u)
		}
		if a.hash(seed, r) != maphash.String(seed, tc.s) {
			t.Errorf("%q: hash differs from its text's", tc.s)
		}
	}
	if r := a.add(""); r != noStr || a.str(r) != "" || !a.eq(r, "") || a.eq(r, u) {
		t.Errorf("the empty string: ref %x", r)
	}
	// Past the chunks a ref can name, strings are kept alone.
	var full arena
	full.chunks = make([][]byte, maxChunks)
	for _, s := range []string{"x", u} {
		if r := full.add(s); r&bigRef == 0 || full.str(r) != s || !full.eq(r, s) || full.hash(seed, r) != maphash.String(seed, s) {
			t.Errorf("%q in a full arena: ref %x, text %q", s, r, full.str(r))
		}
	}
}

// An entry takes 40 bytes (the memory figures of BenchmarkLoadFile rest on
// it).
func TestEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(entry{}); n != 40 {
		t.Errorf("an entry takes %d bytes, want 40", n)
	}
}

// FuzzLookup builds a query and records from the input, with times anywhere
// from year 0 to 9999 to the nanosecond (the zero time among them), the
// query's time often on an edge of a record's window or revocation, and
// checks the index against a scan of every record in every mode.
func FuzzLookup(f *testing.F) {
	f.Add([]byte("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14"))
	f.Add([]byte("\x00\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		byte1 := func() byte {
			if len(data) == 0 {
				return 0
			}
			c := data[0]
			data = data[1:]
			return c
		}
		pick := func(list ...string) string { return list[int(byte1())%len(list)] }
		// A time near t0, near the ends of years 0 and 9999, or zero.
		base := []time.Time{
			{}, t0, time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		}
		when := func() time.Time {
			b := base[byte1()%4]
			if b.IsZero() {
				return b
			}
			var v int64
			for range 6 {
				v = v<<8 | int64(byte1())
			}
			return b.Add(time.Duration(v%(48*int64(time.Hour))) - 24*time.Hour)
		}
		q := MatchQuery{SourceIdentity: pick("", "si-1", "si-2", testID(3)), User: pick("", "alice", "bob"), Profile: pick("prod", "dev"), Time: when()}
		edge := byte1()
		var recs []Record
		for len(data) > 0 && len(recs) < 12 {
			recs = append(recs, Record{
				ID:             pick("a", "b", "c", "d", "e", testID(0), testID(1)),
				User:           pick("alice", "bob"),
				Profile:        pick("prod", "dev"),
				Status:         pick(StatusActive, StatusRevoked, StatusExpired, "REVOKED", "other"),
				SourceIdentity: pick("", "", "si-1", "si-2", testID(3)),
				StartedAt:      when(), CreatedAt: when(), UpdatedAt: when(),
				ExpiresAt: when(), LastAccessAt: when(),
			})
		}
		if len(recs) > 0 && edge&1 == 1 {
			// On an edge of a record's window or revocation, or 1 ns off it.
			r := recs[int(edge>>1)%len(recs)]
			q.Time = [...]time.Time{r.End().Add(MatchSlack), r.StartedAt.Add(-MatchSlack), r.CreatedAt.Add(-MatchSlack), r.UpdatedAt, r.UpdatedAt.Add(MatchSlack)}[(edge>>4)%5]
			q.Time = q.Time.Add(time.Duration((edge>>6)%3) - 1)
		}
		ix := NewIndex(recs)
		distinct := latestByID(recs)
		for _, mode := range []string{ModeAuto, "", ModeSourceIdentity, ModeUserProfileWindow} {
			if got, want := ix.Lookup(mode, q), bruteLookup(distinct, mode, q); got != want {
				t.Fatalf("%q %+v over %d records: got %v %q, want %v %q", mode, q, len(distinct), got.Outcome, got.ID, want.Outcome, want.ID)
			}
		}
	})
}

// Of two versions of a record, the more final status wins (a broker never
// makes a revoked or expired session live again), then the later
// updated_at, then the one added last; whatever the order they are added in.
// The session was revoked (or marked expired) at the earliest updated_at of
// the versions that say so.
func TestVersions(t *testing.T) {
	active := func(upd time.Duration) Record {
		return rec("a", withSI(si1), func(r *Record) { r.UpdatedAt = at(upd) })
	}
	revoked := func(upd time.Duration) Record { return rec("a", withSI(si1), revokedAt(at(upd))) }
	expired := func(upd time.Duration) Record {
		return rec("a", withSI(si1), func(r *Record) { r.Status = StatusExpired; r.UpdatedAt = at(upd) })
	}
	q := MatchQuery{SourceIdentity: si1, Profile: "prod-admin", Time: at(30 * time.Minute)}
	for _, tc := range []struct {
		name string
		a, b Record
		want Outcome
	}{
		{"revoked, later active", revoked(time.Minute), active(time.Hour), Revoked},
		{"revoked and active with the same updated_at", revoked(time.Minute), active(time.Minute), Revoked},
		{"revoked without updated_at, active", rec("a", withSI(si1), func(r *Record) { r.Status = StatusRevoked }), active(time.Minute), Revoked},
		{"active, later active", active(time.Minute), active(time.Hour), Live},
		// The expired version wins, and it expired the session at its
		// updated_at.
		{"expired, later active", expired(time.Minute), active(time.Hour), Expired},
		{"expired after the event, active", expired(time.Hour), active(2 * time.Minute), Live},
		{"revoked, later expired", revoked(time.Minute), expired(time.Hour), Revoked},
		// A session is revoked or expired from the earliest version that
		// says so: the later ones are writes after the fact.
		{"revoked, revoked again after the event", revoked(time.Minute), revoked(time.Hour), Revoked},
		{"expired, expired again after the event", expired(time.Minute), expired(time.Hour), Expired},
		{"expired before the event, revoked after it", expired(time.Minute), revoked(time.Hour), Expired},
		{"revoked without updated_at, revoked later", rec("a", withSI(si1), func(r *Record) { r.Status = StatusRevoked }), revoked(time.Hour), Revoked},
	} {
		for _, order := range [][2]Record{{tc.a, tc.b}, {tc.b, tc.a}} {
			var b IndexBuilder
			b.Add(order[0])
			b.Add(order[1])
			got := b.Index().Lookup(ModeSourceIdentity, q)
			want := bruteLookup(latestByID([]Record{order[0], order[1]}), ModeSourceIdentity, q)
			if got != want {
				t.Errorf("%s (%s first): index %v, reference %v", tc.name, order[0].Status, got, want)
			}
			if got.Outcome != tc.want {
				t.Errorf("%s (%s first): %v, want %v", tc.name, order[0].Status, got.Outcome, tc.want)
			}
		}
	}
}

// An event whose SourceIdentity only a record left out of the index had is
// orphaned in auto mode: it is not matched by time to the user's other
// records (the record left out may have been its revocation).
func TestPoisonKeepsSourceIdentity(t *testing.T) {
	q := MatchQuery{SourceIdentity: si1, User: "alice", Profile: "prod-admin", Time: at(10 * time.Minute)}
	for _, tc := range []struct {
		name   string
		build  func(b *IndexBuilder)
		want   Match
		wantSI Match // ModeSourceIdentity
	}{
		{"the unusable version's own source_identity", func(b *IndexBuilder) {
			b.Add(rec("window")) // no source_identity: auto matches it by time
			b.Poison("s1", si1)
		}, Match{}, Match{}},
		{"a usable version's, dropped with its id", func(b *IndexBuilder) {
			b.Add(rec("window"))
			b.Add(rec("s1", withSI(si1), revokedAt(at(time.Minute))))
			b.Poison("s1", "")
		}, Match{}, Match{}},
		{"only the source_identity could be read", func(b *IndexBuilder) {
			b.Add(rec("window"))
			b.Poison("", si1)
		}, Match{}, Match{}},
		{"another record keeps the source_identity", func(b *IndexBuilder) {
			b.Add(rec("window"))
			b.Add(rec("s2", withSI(si1), revokedAt(at(time.Minute))))
			b.Poison("s1", si1)
		}, Match{ID: "s2", Outcome: Revoked}, Match{ID: "s2", Outcome: Revoked}},
		// The unusable version may be that record's revocation: the live
		// record does not track the event.
		{"a live record has the unusable version's source_identity", func(b *IndexBuilder) {
			b.Add(rec("window"))
			b.Add(rec("s2", withSI(si1)))
			b.Poison("", si1)
		}, Match{}, Match{}},
		{"a live record has the source_identity of a record left out", func(b *IndexBuilder) {
			b.Add(rec("s1", withSI(si1)))
			b.Add(rec("s2", withSI(si1)))
			b.Poison("s1", "")
		}, Match{}, Match{}},
		{"nothing poisoned: the time window decides", func(b *IndexBuilder) {
			b.Add(rec("window"))
		}, Match{ID: "window", Outcome: Live}, Match{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b IndexBuilder
			tc.build(&b)
			ix := b.Index()
			if m := ix.Lookup(ModeAuto, q); m != tc.want {
				t.Errorf("auto: %+v, want %+v", m, tc.want)
			}
			if m := ix.Lookup(ModeSourceIdentity, q); m != tc.wantSI {
				t.Errorf("source_identity: %+v, want %+v", m, tc.wantSI)
			}
		})
	}
}

// Matched by time (user_profile_window), a live record whose
// source_identity an unusable version had tracks no session either; a
// revoked one still shows the session revoked.
func TestPoisonedIdentityByTime(t *testing.T) {
	q := MatchQuery{User: "alice", Profile: "prod-admin", Time: at(10 * time.Minute)}
	var b IndexBuilder
	b.Add(rec("s2", withSI(si1)))
	b.Poison("", si1)
	if m := b.Index().Lookup(ModeUserProfileWindow, q); m != (Match{}) {
		t.Errorf("live record: %+v, want no record", m)
	}
	b = IndexBuilder{}
	b.Add(rec("s2", withSI(si1), revokedAt(at(time.Minute))))
	b.Poison("", si1)
	if m := b.Index().Lookup(ModeUserProfileWindow, q); m != (Match{ID: "s2", Outcome: Revoked}) {
		t.Errorf("revoked record: %+v, want s2 revoked", m)
	}
}

// A poisoned id is left out of the index, whichever of its versions were
// added, before or after.
func TestPoison(t *testing.T) {
	q := MatchQuery{SourceIdentity: si1, Profile: "prod-admin", Time: at(10 * time.Minute)}
	var b IndexBuilder
	b.Add(rec("a", withSI(si1)))
	b.Add(rec("b", withSI(si2)))
	b.Add(rec("c", withSI(si1), revokedAt(at(time.Minute))))
	b.Poison("a", "")
	b.Add(rec("d"))
	ix := b.Index()
	if m := ix.Lookup(ModeSourceIdentity, q); m.ID != "c" || m.Outcome != Revoked {
		t.Errorf("with a poisoned: %+v, want c revoked", m)
	}
	if m := ix.Lookup(ModeSourceIdentity, MatchQuery{SourceIdentity: si2, Profile: "prod-admin", Time: at(10 * time.Minute)}); m.ID != "b" {
		t.Errorf("b: %+v", m)
	}
	if m := ix.Lookup(ModeUserProfileWindow, MatchQuery{User: "alice", Profile: "prod-admin", Time: at(10 * time.Minute)}); m.Outcome != Live {
		t.Errorf("window: %+v", m)
	}
	if ix.Len() != 3 {
		t.Errorf("Len = %d, want 3", ix.Len())
	}
}

// A record's versions share their source_identity: a revocation written
// without it still names the session the identity was issued for, so an
// event carrying that identity after the revocation is revoked, not
// matched by time to another live record of the user (which passed). Two
// versions with different identities keep the losing one known, so its
// events are not matched by time either.
func TestVersionsKeepTheirSourceIdentity(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	si := "sentinel:alice:direct:aaaa0001"
	live := Record{ID: "s1", User: "alice", Profile: "prod-admin", Status: StatusActive, SourceIdentity: si,
		StartedAt: t0.Add(time.Hour), CreatedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(9 * time.Hour), UpdatedAt: t0.Add(time.Hour)}
	revoked := live
	revoked.Status, revoked.SourceIdentity, revoked.UpdatedAt = StatusRevoked, "", t0.Add(2*time.Hour)
	other := live
	other.SourceIdentity, other.UpdatedAt = "sentinel:alice:direct:bbbb0002", t0.Add(2*time.Hour)
	noSI := Record{ID: "r2", User: "alice", Profile: "prod-admin", Status: StatusActive,
		StartedAt: t0, CreatedAt: t0, ExpiresAt: t0.Add(9 * time.Hour), UpdatedAt: t0}
	q := MatchQuery{SourceIdentity: si, User: "alice", Profile: "prod-admin", Time: t0.Add(5 * time.Hour)}
	for _, tc := range []struct {
		name string
		recs []Record
		want Outcome
	}{
		{"revocation without the identity, read last", []Record{live, revoked, noSI}, Revoked},
		{"revocation without the identity, read first", []Record{revoked, live, noSI}, Revoked},
		{"a later version with another identity", []Record{live, other, noSI}, NoRecord},
	} {
		if got := NewIndex(tc.recs).Lookup(ModeAuto, q); got.Outcome != tc.want {
			t.Errorf("%s: %v (%s), want %v", tc.name, got.Outcome, got.ID, tc.want)
		}
	}
}

// The identity a record keeps is its best version's that has one, in any
// order of reading: three versions X (oldest), Y, then one without any,
// give Y live and X known without a record in all six orders (two orders
// kept X and passed its events).
func TestVersionIdentityOrderFree(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	base := Record{ID: "s1", User: "alice", Profile: "prod-admin", Status: StatusActive, StartedAt: t0, CreatedAt: t0, ExpiresAt: t0.Add(9 * time.Hour)}
	a, b, c := base, base, base
	a.SourceIdentity, a.UpdatedAt = "sentinel:alice:direct:0000000a", t0.Add(time.Hour)
	b.SourceIdentity, b.UpdatedAt = "sentinel:alice:direct:0000000b", t0.Add(2*time.Hour)
	c.UpdatedAt = t0.Add(3 * time.Hour)
	noSI := Record{ID: "r2", User: "alice", Profile: "prod-admin", Status: StatusActive, StartedAt: t0, CreatedAt: t0, ExpiresAt: t0.Add(9 * time.Hour), UpdatedAt: t0}
	for n, order := range [][]Record{{a, b, c}, {a, c, b}, {b, a, c}, {b, c, a}, {c, a, b}, {c, b, a}} {
		ix := NewIndex(append(order, noSI))
		at := t0.Add(5 * time.Hour)
		x := ix.Lookup(ModeAuto, MatchQuery{SourceIdentity: a.SourceIdentity, User: "alice", Profile: "prod-admin", Time: at})
		y := ix.Lookup(ModeAuto, MatchQuery{SourceIdentity: b.SourceIdentity, User: "alice", Profile: "prod-admin", Time: at})
		if x.Outcome != NoRecord || y.Outcome != Live || y.ID != "s1" {
			t.Errorf("order %d of abc, acb, bac, bca, cab, cba: X %v (%s), Y %v (%s); want X no_record, Y live s1", n, x.Outcome, x.ID, y.Outcome, y.ID)
		}
	}
}

// Two versions that tie (same status, same updated_at) with different
// identities keep the smaller one, whatever the order they are read in.
func TestVersionIdentityTie(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	x := Record{ID: "s1", User: "alice", Profile: "prod-admin", Status: StatusActive, StartedAt: t0, CreatedAt: t0,
		ExpiresAt: t0.Add(9 * time.Hour), UpdatedAt: t0, SourceIdentity: "sentinel:alice:direct:0000000a"}
	y := x
	y.SourceIdentity = "sentinel:alice:direct:0000000b"
	for _, order := range [][]Record{{x, y}, {y, x}} {
		ix := NewIndex(order)
		q := MatchQuery{SourceIdentity: x.SourceIdentity, User: "alice", Profile: "prod-admin", Time: t0.Add(time.Hour)}
		if m := ix.Lookup(ModeAuto, q); m.Outcome != Live {
			t.Errorf("order %s first: X %v, want live", order[0].SourceIdentity, m.Outcome)
		}
		q.SourceIdentity = y.SourceIdentity
		if m := ix.Lookup(ModeAuto, q); m.Outcome != NoRecord {
			t.Errorf("order %s first: Y %v, want no record", order[0].SourceIdentity, m.Outcome)
		}
	}
}

// Leaving out a poisoned id moves the entries after it: what its versions
// said (marked expired twice here) stays with it and does not pass to the
// entry that takes its place.
func TestPoisonKeepsVersionMarksApart(t *testing.T) {
	expiredAt := func(d time.Duration) func(*Record) {
		return func(r *Record) { r.Status, r.UpdatedAt = StatusExpired, at(d) }
	}
	var b IndexBuilder
	b.Add(rec("p", withSI(si2), expiredAt(time.Minute)))
	b.Add(rec("p", withSI(si2), expiredAt(2*time.Minute)))
	b.Add(rec("x", withSI(si1)))
	b.Add(rec("y", withSI("sentinel:alice:direct:0000cccc"), revokedAt(at(20*time.Minute))))
	b.Add(rec("y", withSI("sentinel:alice:direct:0000cccc"), revokedAt(at(3*time.Minute))))
	b.Poison("p", "")
	ix := b.Index()
	q := MatchQuery{SourceIdentity: si1, Profile: "prod-admin", Time: at(10 * time.Minute)}
	if m := ix.Lookup(ModeSourceIdentity, q); m != (Match{ID: "x", Outcome: Live}) {
		t.Errorf("x: %+v, want live", m)
	}
	q.SourceIdentity = "sentinel:alice:direct:0000cccc"
	if m := ix.Lookup(ModeSourceIdentity, q); m != (Match{ID: "y", Outcome: Revoked}) {
		t.Errorf("y: %+v, want revoked (from its earlier version, at 3 minutes)", m)
	}
}

// A builder given a tee hands it every record and poisoned version, and
// keeps its own answers.
func TestIndexBuilderTee(t *testing.T) {
	var own, all IndexBuilder
	all.Add(Record{ID: "before", User: "u", Profile: "p"})
	own.Tee(&all)
	t0 := time.Date(2026, 11, 17, 9, 0, 0, 0, time.UTC)
	if slot, dup, kept := own.Add(Record{ID: "a", User: "u", Profile: "p", SourceIdentity: "si-a", StartedAt: t0, ExpiresAt: t0.Add(time.Hour)}); slot != 0 || dup || !kept {
		t.Errorf("Add = %d %v %v: the builder's own answers", slot, dup, kept)
	}
	own.Add(Record{ID: "b", User: "u", Profile: "p", SourceIdentity: "si-b", StartedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	own.Poison("b", "si-b")
	if own.Len() != 2 || all.Len() != 3 || !all.Has("a") || !all.Has("before") {
		t.Fatalf("own %d, all %d records", own.Len(), all.Len())
	}
	ix := all.Index()
	q := MatchQuery{User: "u", Profile: "p", Time: t0.Add(time.Minute)}
	q.SourceIdentity = "si-a"
	if m := ix.Lookup(ModeAuto, q); m.Outcome != Live {
		t.Errorf("si-a: %+v", m)
	}
	q.SourceIdentity = "si-b"
	if m := ix.Lookup(ModeAuto, q); m.Outcome != NoRecord {
		t.Errorf("si-b, poisoned through the tee: %+v", m)
	}
}

// AdoptVersions keeps a table's ids but takes every store's version of
// them: a revocation in another table revokes, an id left out elsewhere
// (an unusable version) is left out, and another table's records are not
// added.
func TestAdoptVersions(t *testing.T) {
	t0 := time.Date(2026, 11, 17, 9, 0, 0, 0, time.UTC)
	rec := func(id, si, status string, upd time.Time) Record {
		return Record{ID: id, User: "alice", Profile: "prod", Status: status, SourceIdentity: si,
			StartedAt: t0, CreatedAt: t0, ExpiresAt: t0.Add(9 * time.Hour), UpdatedAt: upd}
	}
	var all, one IndexBuilder
	one.Tee(&all)
	one.Add(rec("r1", "sentinel:alice:direct:00000001", StatusActive, t0))
	one.Add(rec("r2", "sentinel:alice:direct:00000002", StatusActive, t0))
	all.Add(rec("r1", "sentinel:alice:direct:00000001", StatusRevoked, t0.Add(10*time.Minute))) // another table's version
	all.Poison("r2", "")
	all.Add(rec("r3", "sentinel:alice:direct:00000003", StatusActive, t0)) // another table's record
	one.AdoptVersions(&all, true)
	ix := one.Index()
	at := t0.Add(30 * time.Minute)
	for si, want := range map[string]Outcome{
		"sentinel:alice:direct:00000001": Revoked,
		"sentinel:alice:direct:00000002": NoRecord,
		"sentinel:alice:direct:00000003": NoRecord,
	} {
		if m := ix.Lookup(ModeSourceIdentity, MatchQuery{SourceIdentity: si, User: "alice", Profile: "prod", Time: at}); m.Outcome != want {
			t.Errorf("%s: %v (%s), want %v", si, m.Outcome, m.ID, want)
		}
	}
}

// Two versions of an id of equal rank (same status, same updated_at) give
// the same verdict in either order: the shorter window wins (the one read
// last did, so swapping two export lines turned expired into tracked).
func TestVersionTieOrder(t *testing.T) {
	t0 := time.Date(2026, 1, 17, 9, 0, 0, 0, time.UTC)
	long := Record{ID: "r1", User: "alice", Profile: "prod", Status: StatusActive, SourceIdentity: "sentinel:alice:direct:0000aaaa",
		StartedAt: t0, ExpiresAt: t0.Add(9 * time.Hour), UpdatedAt: t0}
	short := long
	short.ExpiresAt = t0.Add(time.Hour)
	q := MatchQuery{SourceIdentity: long.SourceIdentity, User: "alice", Profile: "prod", Time: t0.Add(2 * time.Hour)}
	for _, order := range [][]Record{{long, short}, {short, long}} {
		if m := NewIndex(order).Lookup(ModeAuto, q); m.Outcome != Expired {
			t.Errorf("%v then %v: %v, want expired", order[0].ExpiresAt, order[1].ExpiresAt, m.Outcome)
		}
	}
}

// BenchmarkLookupSourceIdentity looks up events by source identity among
// 100,000 records with UUID ids, as the broker writes them.
func BenchmarkLookupSourceIdentity(b *testing.B) {
	const n = 100_000
	recs := make([]Record, n)
	for i := range recs {
		start := at(time.Duration(i) * time.Minute)
		recs[i] = Record{ID: testID(3 * i), User: "alice", Profile: "prod-admin", StartedAt: start, ExpiresAt: start.Add(time.Hour),
			SourceIdentity: fmt.Sprintf("sentinel:alice:direct:%08x", i)}
	}
	ix := NewIndex(recs)
	for i := 0; b.Loop(); i++ {
		k := i % n
		q := MatchQuery{SourceIdentity: recs[k].SourceIdentity, User: "alice", Profile: "prod-admin", Time: recs[k].StartedAt}
		if m := ix.Lookup(ModeAuto, q); m.Outcome != Live || m.ID != recs[k].ID {
			b.Fatalf("got %v %q, want live %q", m.Outcome, m.ID, recs[k].ID)
		}
	}
}
