package sessions

import (
	"sort"
	"strings"
	"time"
)

// MatchSlack is the tolerance around a record's time span (SPEC §5): an event
// up to 5 minutes before started_at or after max(expires_at, last_access_at)
// still falls inside the record's window, and a record is expired only once
// the event is more than 5 minutes past its end.
const MatchSlack = 5 * time.Minute

// Match modes, as in a session_table block's match attribute.
const (
	ModeAuto              = "auto"
	ModeSourceIdentity    = "source_identity"
	ModeUserProfileWindow = "user_profile_window"
)

// Outcome is what the best matching record says about an event.
type Outcome int

// Outcomes, from "nothing covers the event" to the record's state at the
// event's time.
const (
	NoRecord Outcome = iota // no record matched
	Live                    // a record covers the event
	Revoked                 // the record was revoked before the event
	Expired                 // the record ended more than MatchSlack before the event
)

func (o Outcome) String() string {
	switch o {
	case NoRecord:
		return "no_record"
	case Live:
		return "live"
	case Revoked:
		return "revoked"
	case Expired:
		return "expired"
	}
	return "unknown"
}

// MatchQuery describes the event to match: its SourceIdentity, the user
// taken from that identity, the profile its role maps to, and its time.
type MatchQuery struct {
	SourceIdentity string
	User           string
	Profile        string
	Time           time.Time
}

// Match is the result of a lookup. Record is nil when Outcome is NoRecord;
// otherwise it points into the Index and must not be modified.
type Match struct {
	Record  *Record
	Outcome Outcome
}

// Index answers "which record covers this event" in O(log n) per event for
// any number of records: a map by source_identity and, per (user, profile),
// an interval tree over the records' time windows. It is read-only after
// NewIndex and safe for concurrent lookups.
type Index struct {
	recs []Record
	bySI map[string][]*Record
	// all holds every record per (user, profile); noSI only those without a
	// source_identity (the ones auto mode matches by window).
	all  map[userProfile]*intervals
	noSI map[userProfile]*intervals
}

type userProfile struct{ user, profile string }

// NewIndex indexes a copy of records.
func NewIndex(records []Record) *Index {
	ix := &Index{
		recs: append([]Record(nil), records...),
		bySI: make(map[string][]*Record),
		all:  make(map[userProfile]*intervals),
		noSI: make(map[userProfile]*intervals),
	}
	allRecs := make(map[userProfile][]*Record)
	noSIRecs := make(map[userProfile][]*Record)
	for i := range ix.recs {
		r := &ix.recs[i]
		if r.SourceIdentity != "" {
			ix.bySI[r.SourceIdentity] = append(ix.bySI[r.SourceIdentity], r)
		}
		k := userProfile{r.User, r.Profile}
		allRecs[k] = append(allRecs[k], r)
		if r.SourceIdentity == "" {
			noSIRecs[k] = append(noSIRecs[k], r)
		}
	}
	for k, rs := range allRecs {
		ix.all[k] = newIntervals(rs)
	}
	for k, rs := range noSIRecs {
		ix.noSI[k] = newIntervals(rs)
	}
	return ix
}

// Len is the number of records indexed.
func (ix *Index) Len() int {
	if ix == nil {
		return 0
	}
	return len(ix.recs)
}

// Lookup finds the record that covers an event (SPEC §5). mode is one of
// ModeAuto (also the empty string), ModeSourceIdentity or
// ModeUserProfileWindow; an unknown mode matches nothing.
//
// Candidates:
//   - source_identity: records whose source_identity equals q.SourceIdentity;
//   - user_profile_window: records of q.User and q.Profile whose window
//     [start − MatchSlack, End() + MatchSlack] holds q.Time, where start is
//     started_at, or created_at when started_at is absent;
//   - auto: a record with a source_identity is matched only by equality, a
//     record without one only by its window.
//
// Each candidate's outcome at q.Time is Revoked when its status is revoked
// and q.Time is after its revocation time (updated_at), else Expired when
// q.Time is more than MatchSlack after its end (or, for a record without an
// end time, when its status is expired), else Live. The best candidate
// wins: Live before Revoked before Expired, then the latest start, then the
// smallest id. A nil Index matches nothing.
func (ix *Index) Lookup(mode string, q MatchQuery) Match {
	if ix == nil {
		return Match{}
	}
	var best Match
	consider := func(r *Record) {
		o := outcomeAt(r, q.Time)
		if best.Record == nil || better(r, o, best.Record, best.Outcome) {
			best = Match{Record: r, Outcome: o}
		}
	}
	k := userProfile{q.User, q.Profile}
	switch mode {
	case ModeSourceIdentity:
		if q.SourceIdentity != "" {
			for _, r := range ix.bySI[q.SourceIdentity] {
				consider(r)
			}
		}
	case ModeUserProfileWindow:
		if q.User != "" {
			ix.all[k].covering(q.Time, consider)
		}
	case ModeAuto, "":
		if q.SourceIdentity != "" {
			for _, r := range ix.bySI[q.SourceIdentity] {
				consider(r)
			}
		}
		if q.User != "" {
			ix.noSI[k].covering(q.Time, consider)
		}
	}
	return best
}

// outcomeAt is the state of record r at time t.
func outcomeAt(r *Record, t time.Time) Outcome {
	if strings.EqualFold(r.Status, StatusRevoked) && t.After(r.UpdatedAt) {
		return Revoked
	}
	end := recordEnd(r)
	if end.IsZero() {
		// A record without expires_at and last_access_at (matched by its
		// source identity: it has no window) is as live as its status says.
		if strings.EqualFold(r.Status, StatusExpired) {
			return Expired
		}
		return Live
	}
	if t.After(end.Add(MatchSlack)) {
		return Expired
	}
	return Live
}

// rank orders outcomes by preference, the lowest first.
func rank(o Outcome) int {
	switch o {
	case Live:
		return 0
	case Revoked:
		return 1
	case Expired:
		return 2
	}
	return 3
}

// better reports whether candidate a with outcome ao beats b with bo.
func better(a *Record, ao Outcome, b *Record, bo Outcome) bool {
	if ra, rb := rank(ao), rank(bo); ra != rb {
		return ra < rb
	}
	as, bs := recordStart(a), recordStart(b)
	if !as.Equal(bs) {
		return as.After(bs)
	}
	return a.ID < b.ID
}

// recordStart is when a record's window opens: started_at, or created_at
// when started_at is absent.
func recordStart(r *Record) time.Time {
	if r.StartedAt.IsZero() {
		return r.CreatedAt
	}
	return r.StartedAt
}

// recordEnd is when a record's window closes: max(expires_at,
// last_access_at). A record with neither covers nothing and is expired.
func recordEnd(r *Record) time.Time { return r.End() }

// intervals is a static interval tree: records sorted by window start, and
// for the implicit balanced tree over that array (the root of [lo, hi) is
// (lo+hi)/2) the latest window end in each subtree. covering visits the
// records whose window holds t in O(log n + matches).
type intervals struct {
	recs   []*Record
	start  []time.Time // window start: recordStart − MatchSlack
	end    []time.Time // window end: recordEnd + MatchSlack
	maxEnd []time.Time // latest end in the subtree rooted at i
}

func newIntervals(rs []*Record) *intervals {
	sort.SliceStable(rs, func(i, j int) bool {
		return recordStart(rs[i]).Before(recordStart(rs[j]))
	})
	iv := &intervals{
		recs:   rs,
		start:  make([]time.Time, len(rs)),
		end:    make([]time.Time, len(rs)),
		maxEnd: make([]time.Time, len(rs)),
	}
	for i, r := range rs {
		iv.start[i] = recordStart(r).Add(-MatchSlack)
		iv.end[i] = recordEnd(r).Add(MatchSlack)
	}
	iv.build(0, len(rs))
	return iv
}

// build fills maxEnd for the subtree over [lo, hi) and returns its root, or
// -1 when the range is empty.
func (iv *intervals) build(lo, hi int) int {
	if lo >= hi {
		return -1
	}
	mid := (lo + hi) / 2
	m := iv.end[mid]
	if l := iv.build(lo, mid); l >= 0 && iv.maxEnd[l].After(m) {
		m = iv.maxEnd[l]
	}
	if r := iv.build(mid+1, hi); r >= 0 && iv.maxEnd[r].After(m) {
		m = iv.maxEnd[r]
	}
	iv.maxEnd[mid] = m
	return mid
}

// covering calls fn for every record whose window [start, end] holds t.
func (iv *intervals) covering(t time.Time, fn func(*Record)) {
	if iv == nil {
		return
	}
	iv.visit(0, len(iv.recs), t, fn)
}

func (iv *intervals) visit(lo, hi int, t time.Time, fn func(*Record)) {
	for lo < hi {
		mid := (lo + hi) / 2
		if iv.maxEnd[mid].Before(t) {
			return // every window in this subtree closed before t
		}
		iv.visit(lo, mid, t, fn)
		if iv.start[mid].After(t) {
			return // this and every later window opens after t
		}
		if !iv.end[mid].Before(t) {
			fn(iv.recs[mid])
		}
		lo = mid + 1
	}
}
