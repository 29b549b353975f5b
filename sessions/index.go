package sessions

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// MatchSlack is the tolerance around a record's time span (SPEC §5): an event
// up to 5 minutes before started_at or after max(expires_at, last_access_at)
// still falls inside the record's window. It decides which records match,
// not whether one is live: a record is expired from its end on.
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
	Expired                 // the record ended before the event, or was marked expired before it
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

// Match is the result of a lookup: the id of the record that decided the
// outcome ("" when Outcome is NoRecord).
type Match struct {
	ID      string
	Outcome Outcome
}

// Index answers "which record covers this event" in O(log n) per event for
// any number of records: a hash table by source_identity and, per (user, profile),
// an interval tree over the records' time windows. Of each record it keeps
// only what matching reads: the id, the window, the revocation time and the
// status. It is read-only once built and safe for concurrent lookups.
type Index struct {
	ents []entry
	// siKeys are the source identities known and siFirst the first entry
	// of each; entry.next chains the other entries with the same one. -1:
	// only records left out of the index (see IndexBuilder.Poison), or
	// losing versions, had it. bySI finds an identity's number in them.
	siKeys  []strRef
	siFirst []int32
	bySI    refTable
	// strs holds the entries' ids and the source identities.
	strs arena
	// ups numbers the (user, profile) pairs. all[n] holds every entry of
	// pair n, noSI[n] only those without a source_identity (the ones auto
	// mode matches by window).
	ups       map[userProfile]int32
	all, noSI []intervals
	// entUp[i] is entry i's (user, profile) number and upProfile[n] the
	// profile of pair n: a match by source_identity checks the profile.
	entUp     []int32
	upProfile []string
	// revIdx lists the revoked entries in increasing order and revAt their
	// revocation times (the earliest updated_at of their revoked versions):
	// only matching a revoked record reads that time, so the other entries
	// do not keep it. expIdx and expAt are the same for the entries that a
	// version marked expired before their window's end (the earliest
	// updated_at of those versions).
	revIdx, expIdx []int32
	revAt, expAt   []time.Time
	// notLive lists, in increasing order, the entries whose
	// source_identity a version that could not be used had
	// (IndexBuilder.Poison): such a record tracks no event, in any mode, as
	// that version may have been its revocation; it still shows a revoked
	// or expired session.
	notLive []int32
}

type userProfile struct{ user, profile string }

// status is a record's status as matching reads it (case-insensitive).
type status uint8

const (
	statusOther status = iota // active, or anything else (the stores refuse other values)
	statusRevoked
	statusExpired
)

// final ranks a status by how final it is: a session once revoked or
// expired never becomes live again.
func (s status) final() int {
	switch s {
	case statusRevoked:
		return 2
	case statusExpired:
		return 1
	}
	return 0
}

func statusOf(s string) status {
	s = strings.TrimSpace(s)
	switch {
	case strings.EqualFold(s, StatusRevoked):
		return statusRevoked
	case strings.EqualFold(s, StatusExpired):
		return statusExpired
	}
	return statusOther
}

// entry is what the index keeps of one record (a revoked one's revocation
// time is kept apart). Its times are seconds and nanoseconds since 1970,
// which hold any time a record can (zero, year 9999) exactly and, unlike a
// time.Time, need no location pointer; its id is a ref into the arena:
// 40 bytes an entry.
type entry struct {
	id               strRef
	startSec, endSec int64 // recordStart; Record.End (max(expires_at, last_access_at))
	startNs, endNs   int32
	next             int32 // the next entry with the same source_identity; -1: none
	status           status
	// markEnd: the record has no end, and endSec and endNs hold when a
	// version revoked it or marked it expired, which ends its window for
	// matching by window (see Index); its outcome is still its status's.
	markEnd bool
}

// zeroSec is the seconds of the zero time.Time, an absent end.
var zeroSec = time.Time{}.Unix()

func (e *entry) end() time.Time { return time.Unix(e.endSec, int64(e.endNs)) }
func (e *entry) noEnd() bool    { return e.markEnd || e.endSec == zeroSec && e.endNs == 0 }
func (e *entry) noStart() bool  { return e.startSec == zeroSec && e.startNs == 0 }

// cmpStart and cmpEnd order two entries by their starts or ends.
func cmpStart(a, b *entry) int {
	if c := cmp.Compare(a.startSec, b.startSec); c != 0 {
		return c
	}
	return cmp.Compare(a.startNs, b.startNs)
}

func cmpEnd(a, b *entry) int {
	if c := cmp.Compare(a.endSec, b.endSec); c != 0 {
		return c
	}
	return cmp.Compare(a.endNs, b.endNs)
}

// instant is a time as an entry holds it.
type instant struct {
	sec int64
	ns  int32
}

func instantOf(t time.Time) instant { return instant{t.Unix(), int32(t.Nanosecond())} }

// noTime is after every instant a record can hold: no time.
var noTime = instant{math.MaxInt64, 0}

func (a instant) time() time.Time { return time.Unix(a.sec, int64(a.ns)) }

// earlier returns the earlier of a and b.
func earlier(a, b instant) instant {
	if a.after(b) {
		return b
	}
	return a
}

func (a instant) after(b instant) bool { return a.sec > b.sec || a.sec == b.sec && a.ns > b.ns }

func (e *entry) endBefore(t instant) bool {
	return e.endSec < t.sec || e.endSec == t.sec && e.endNs < t.ns
}

func (e *entry) startAfter(t instant) bool {
	return e.startSec > t.sec || e.startSec == t.sec && e.startNs > t.ns
}

// IndexBuilder builds an Index from records handed over one at a time, so
// that a store never holds all of its records at once: of each record it
// keeps only what the Index needs, plus its source_identity and a few
// numbers until Index is called. When an id is added again, one version
// is kept whatever order the versions are read in: a revoked version over
// an expired one over any other (a broker never makes a revoked or expired
// session live again), then the later updated_at, then the one that
// covers less time (the earlier end, then the later start), then the
// smaller (user, profile); the session counts as revoked (or marked expired) from the
// earliest updated_at of the versions that say so. An id given to Poison (a version that could not be used, which may
// be its revocation) is left out of the index. The zero value is ready to
// use; it is not safe for concurrent use.
//
// Entries are numbered with int32: a store of more than 2^31 records
// would need hundreds of gigabytes before it got there.
type IndexBuilder struct {
	ents []entry
	sis  []strRef // per entry: its source_identity
	// siRank holds, for the entries whose source_identity came from
	// another version than the one indexed, the rank of that version (see
	// Add and siRankAt; building only). An entry added once has its own.
	siRank map[int32]verRank
	ups    []int32   // per entry: the number of its (user, profile)
	upd    []instant // per entry: its updated_at (building only)
	// marks holds, for the entries whose id was added more than once, the
	// earliest updated_at of their revoked versions and of their expired
	// versions that have one, whichever version is indexed: a session
	// revoked at 10:00 and written again at 12:00 was revoked at 10:00.
	// An entry added once has its own version's (see marksOf; building
	// only).
	marks map[int32]verMarks
	// poisoned holds the ids of versions that could not be used, and
	// poisonedSIs the source identities of those versions and of the
	// records left out for them. deadSIs are the identities that losing
	// versions of an id had (see Add).
	poisoned    map[string]bool
	poisonedSIs []string
	deadSIs     []string
	byID        refTable // the entries by id
	upNum       map[userProfile]int32
	pairs       []userProfile // by number: upNum the other way
	strs        arena
	// onAdd, when set, sees every record added with its slot (tests).
	onAdd func(slot int, r Record)
	// tee is given every record and poisoned version b is (see Tee).
	tee *IndexBuilder
}

// Tee makes b hand every record it is added, and every version it is
// told to poison, to other too: one read of a store builds two indexes
// (its table's, and every table's together). Add's results and Len stay
// b's own.
func (b *IndexBuilder) Tee(other *IndexBuilder) { b.tee = other }

// Add indexes r. slot numbers r's id among the records added: the first
// time an id is added it gets the next slot (Len before the call), dup is
// false and kept true. When the id was added before, slot is that
// record's and dup is true; r replaces it unless the earlier version wins
// (see IndexBuilder: the more final status, then the later updated_at,
// then the less live);
// kept tells whether r is the version now indexed.
func (b *IndexBuilder) Add(r Record) (slot int, dup, kept bool) {
	if b.tee != nil {
		b.tee.Add(r)
	}
	if b.upNum == nil {
		b.upNum = make(map[userProfile]int32)
	}
	k := userProfile{r.User, r.Profile}
	up, ok := b.upNum[k]
	if !ok {
		up = int32(len(b.upNum))
		k = userProfile{strings.Clone(r.User), strings.Clone(r.Profile)}
		b.upNum[k] = up
		b.pairs = append(b.pairs, k)
	}
	start, end := recordStart(&r), r.End()
	e := entry{
		startSec: start.Unix(), startNs: int32(start.Nanosecond()),
		endSec: end.Unix(), endNs: int32(end.Nanosecond()),
		next: -1, status: statusOf(r.Status),
	}
	si := b.strs.add(r.SourceIdentity) // noStr when it has none
	upd := instantOf(r.UpdatedAt)
	rank := verRank{e.status.final(), upd}
	i := b.findID(r.ID)
	if i >= 0 {
		b.setMarks(i, b.marksAt(i).merge(marksOf(e.status, upd)))
		slot, dup = int(i), true
		siRank := b.siRankAt(i)
		// The record's source_identity is that of its best version that
		// has one, whatever the order they are read in: a revocation
		// written without it still names the session. Every other
		// identity its versions had stays known with no entry, so that an
		// event carrying it is not matched by time to the user's other
		// records.
		switch old := b.strs.str(b.sis[i]); {
		case si == noStr:
		case old == "":
			b.sis[i], siRank = si, rank
		case siRank.beats(rank), !rank.beats(siRank) && old <= r.SourceIdentity:
			// On a tie the smaller identity is kept, whatever the order.
			if r.SourceIdentity != old {
				b.deadSIs = append(b.deadSIs, strings.Clone(r.SourceIdentity))
			}
		default:
			if r.SourceIdentity != old {
				b.deadSIs = append(b.deadSIs, strings.Clone(old))
			}
			b.sis[i], siRank = si, rank
		}
		old := verRank{b.ents[i].status.final(), b.upd[i]}
		keepOld := old.beats(rank)
		if !keepOld && !rank.beats(old) {
			// A tie: the less live version wins, then the smaller
			// (user, profile), so the order of reading never decides.
			keepOld = lessLive(&b.ents[i], &e) || !lessLive(&e, &b.ents[i]) && !pairLess(k, b.pairs[b.ups[i]])
		}
		if keepOld {
			b.setSIRank(i, siRank)
			return slot, true, false // the version read before wins
		}
		e.id = b.ents[i].id
		b.ents[i], b.ups[i], b.upd[i] = e, up, upd
		b.setSIRank(i, siRank) // after the version it is compared with
	} else {
		e.id = b.strs.add(r.ID)
		i = int32(len(b.ents))
		slot = int(i)
		b.ents = append(b.ents, e)
		b.byID.insert(i, b.idHash)
		b.sis = append(b.sis, si)
		b.ups = append(b.ups, up)
		b.upd = append(b.upd, upd)
	}
	if b.onAdd != nil {
		b.onAdd(slot, r)
	}
	return slot, dup, true
}

// siRankAt is the rank of the version entry i's source_identity came from
// (see IndexBuilder.siRank).
func (b *IndexBuilder) siRankAt(i int32) verRank {
	if r, ok := b.siRank[i]; ok {
		return r
	}
	return verRank{b.ents[i].status.final(), b.upd[i]}
}

// setSIRank records r as entry i's siRankAt, kept apart only when it is
// not the indexed version's own rank.
func (b *IndexBuilder) setSIRank(i int32, r verRank) {
	if r == (verRank{b.ents[i].status.final(), b.upd[i]}) {
		delete(b.siRank, i)
		return
	}
	if b.siRank == nil {
		b.siRank = map[int32]verRank{}
	}
	b.siRank[i] = r
}

// marksAt is what the versions of entry i say (see IndexBuilder.marks).
func (b *IndexBuilder) marksAt(i int32) verMarks {
	if m, ok := b.marks[i]; ok {
		return m
	}
	return marksOf(b.ents[i].status, b.upd[i])
}

func (b *IndexBuilder) setMarks(i int32, m verMarks) {
	if b.marks == nil {
		b.marks = map[int32]verMarks{}
	}
	b.marks[i] = m
}

// lessLive tells whether version a covers less time than b, of two
// versions of equal rank: it ends earlier, or ends with it and starts
// later.
func lessLive(a, b *entry) bool {
	if c := cmpEnd(a, b); c != 0 {
		return c < 0
	}
	return cmpStart(a, b) > 0
}

// pairLess orders (user, profile) pairs.
func pairLess(a, b userProfile) bool {
	return a.user < b.user || a.user == b.user && a.profile < b.profile
}

// verMarks are when the versions of a record say it was revoked and
// marked expired (noTime: none).
type verMarks struct{ rev, exp instant }

// marksOf is what one version of status st and updated_at upd says. A
// revoked version without updated_at was revoked at any time (the zero
// time is before every other); an expired one without it expired at its
// window's end.
func marksOf(st status, upd instant) verMarks {
	m := verMarks{noTime, noTime}
	switch {
	case st == statusRevoked:
		m.rev = upd
	case st == statusExpired && upd != zeroInstant:
		m.exp = upd
	}
	return m
}

// merge keeps the earlier of each mark.
func (m verMarks) merge(o verMarks) verMarks {
	return verMarks{earlier(m.rev, o.rev), earlier(m.exp, o.exp)}
}

// zeroInstant is the zero time.Time as an instant: no updated_at.
var zeroInstant = instantOf(time.Time{})

// verRank ranks the versions of a record: the more final status, then the
// later updated_at.
type verRank struct {
	final int
	upd   instant
}

// beats tells whether a version of rank r read before one of rank o wins
// over it (on a tie, the one read last wins).
func (r verRank) beats(o verRank) bool {
	return r.final > o.final || r.final == o.final && r.upd.after(o.upd)
}

// Poison leaves id out of the index whatever its other versions say: one
// of its versions could not be used, and it may be the one that revoked
// the session. sourceIdentity is that version's source_identity, when it
// could be read; id is empty when only that could be. The source
// identities of an id left out, and sourceIdentity, stay known to the
// index: an event that carries one is matched by source_identity (auto mode
// does not fall back to the user's other records by time), and no record
// with that identity tracks it, as the unusable version may have been its
// revocation; so it is orphaned, unless another record with the identity
// shows it revoked or expired.
func (b *IndexBuilder) Poison(id, sourceIdentity string) {
	if b.tee != nil {
		b.tee.Poison(id, sourceIdentity)
	}
	if b.poisoned == nil {
		b.poisoned = map[string]bool{}
	}
	if id != "" {
		b.poisoned[strings.Clone(id)] = true
	}
	if sourceIdentity != "" {
		b.poisonedSIs = append(b.poisonedSIs, strings.Clone(sourceIdentity))
	}
}

// AdoptVersions makes the version of each of b's ids the one all keeps,
// all being a builder that b tees into (see Tee) and that other stores
// fed too: b's ids, and so the sessions its index can track, stay b's
// own, but which version of a record is used follows every store read,
// as an id names one session whatever table holds it (a revocation
// written to another table still revokes it). An id all left out
// (Poison) is left out of b too. Call it before b.Index, and before
// all.Index.
//
// When whole is false, all may hold part of a store that failed, whose
// unread rest could hold a later version: then only what makes a record
// less live is taken (a more final status, an earlier revocation or
// expiry mark, an earlier end or later start, the identities of its other
// versions).
func (b *IndexBuilder) AdoptVersions(all *IndexBuilder, whole bool) {
	for i := range int32(len(b.ents)) {
		id := b.strs.str(b.ents[i].id)
		if all.poisoned[id] {
			if b.poisoned == nil {
				b.poisoned = map[string]bool{}
			}
			b.poisoned[id] = true
			continue
		}
		j := all.findID(id)
		if j < 0 {
			continue
		}
		if !whole {
			b.adoptMarks(i, all, j)
			continue
		}
		k := all.pairs[all.ups[j]]
		up, ok := b.upNum[k]
		if !ok {
			up = int32(len(b.upNum))
			b.upNum[k] = up
			b.pairs = append(b.pairs, k)
		}
		si, allSI := b.strs.str(b.sis[i]), all.strs.str(all.sis[j])
		if si != "" && si != allSI {
			b.deadSIs = append(b.deadSIs, strings.Clone(si)) // an identity a losing version had
		}
		e := all.ents[j]
		e.id, e.next = b.ents[i].id, -1
		b.ents[i], b.ups[i], b.upd[i] = e, up, all.upd[j]
		if si != allSI {
			b.sis[i] = b.strs.add(allSI)
		}
		b.setSIRank(i, all.siRankAt(j))
		if m, ok := all.marks[j]; ok {
			b.setMarks(i, m)
		} else {
			delete(b.marks, i)
		}
	}
	// The identities of the versions that could not be used, and those
	// of the records left out for them, track no session anywhere: the
	// version may have been the revocation. Those that only losing
	// versions had stay known, in any table: an event that carries one
	// is that record's, never matched by time to another.
	b.poisonedSIs = append(b.poisonedSIs, all.poisonedSIs...)
	for id := range all.poisoned {
		if j := all.findID(id); j >= 0 && all.sis[j] != noStr {
			b.poisonedSIs = append(b.poisonedSIs, strings.Clone(all.strs.str(all.sis[j])))
		}
	}
	b.deadSIs = append(b.deadSIs, all.deadSIs...)
}

// adoptMarks makes entry i of b at most as live as entry j of all says
// the record is: the more final status, the earlier marks, the shorter
// window; an identity all's version has that b's has not stays known,
// with no entry.
func (b *IndexBuilder) adoptMarks(i int32, all *IndexBuilder, j int32) {
	siRank := b.siRankAt(i)
	defer b.setSIRank(i, siRank) // the status may change
	b.setMarks(i, b.marksAt(i).merge(all.marksAt(j)))
	// The shorter window: an earlier end (an expired version without
	// updated_at ends there), a later start.
	if e, a := &b.ents[i], &all.ents[j]; !a.noEnd() && (e.noEnd() || cmpEnd(a, e) < 0) {
		e.endSec, e.endNs = a.endSec, a.endNs
	}
	if e, a := &b.ents[i], &all.ents[j]; cmpStart(a, e) > 0 {
		e.startSec, e.startNs = a.startSec, a.startNs
	}
	if st := all.ents[j].status; st.final() > b.ents[i].status.final() {
		b.ents[i].status = st
	}
	if si := all.strs.str(all.sis[j]); si != "" && si != b.strs.str(b.sis[i]) {
		b.deadSIs = append(b.deadSIs, strings.Clone(si))
	}
}

// findID returns the entry with this id, or -1.
func (b *IndexBuilder) findID(id string) int32 {
	return b.byID.find(id, func(i int32, id string) bool { return b.strs.eq(b.ents[i].id, id) })
}

// idHash hashes entry i's id for the byID table.
func (b *IndexBuilder) idHash(i int32) uint64 { return b.strs.hash(b.byID.seed, b.ents[i].id) }

// Has reports whether a record with this id was added.
func (b *IndexBuilder) Has(id string) bool {
	return b.findID(id) >= 0
}

// Len is the number of distinct ids added.
func (b *IndexBuilder) Len() int { return len(b.ents) }

// LeftOut counts the ids of slots [from, to) that b or all (a builder b
// tees into, or b) were told to Poison: no version of them is indexed, so
// the records a store read of them are skipped, not used.
func (b *IndexBuilder) LeftOut(from, to int, all *IndexBuilder) int {
	if len(b.poisoned) == 0 && len(all.poisoned) == 0 {
		return 0
	}
	n := 0
	for i := from; i < to && i < len(b.ents); i++ {
		if id := b.strs.str(b.ents[i].id); b.poisoned[id] || all.poisoned[id] {
			n++
		}
	}
	return n
}

// Index returns the index of the records added and empties b, so that the
// memory only building needed (the ids' table) can be freed.
func (b *IndexBuilder) Index() *Index {
	if len(b.poisoned) > 0 {
		b.dropPoisoned()
	}
	deadSIs, poisonedSIs := b.deadSIs, b.poisonedSIs
	n := len(b.ents)
	ents, sis, ups, upd, marks := b.ents, b.sis, b.ups, b.upd, b.marks
	ix := &Index{ents: ents, strs: b.strs, ups: b.upNum, entUp: slices.Clip(ups)}
	if ix.ups == nil {
		ix.ups = map[userProfile]int32{}
	}
	ix.upProfile = make([]string, len(ix.ups))
	for k, n := range ix.ups {
		ix.upProfile[n] = k.profile
	}
	*b = IndexBuilder{onAdd: b.onAdd}

	// A revoked entry's revocation time is the earliest updated_at of its
	// revoked versions. An expired version's updated_at is kept when it is
	// before the window's end: the session was marked expired before it
	// ran out. A mark written at or after the end (a sweep) changes
	// nothing: the end decides.
	for i := range ents {
		m, ok := marks[int32(i)]
		if !ok {
			m = marksOf(ents[i].status, upd[i])
		}
		if ents[i].status == statusRevoked {
			ix.revIdx = append(ix.revIdx, int32(i))
			ix.revAt = append(ix.revAt, m.rev.time())
		}
		if x := m.exp; x != noTime && (ents[i].noEnd() || instantOf(ents[i].end()).after(x)) {
			ix.expIdx = append(ix.expIdx, int32(i))
			ix.expAt = append(ix.expAt, x.time())
		}
		// A revoked or expired record without an end is ended, for
		// matching by window, by the earliest updated_at that says so:
		// an event up to MatchSlack after it is shown on that record,
		// revoked or expired, not left without one (before it the record
		// is no candidate: see byWindow).
		if e := &ents[i]; e.noEnd() {
			end := noTime
			if e.status == statusRevoked {
				end = m.rev
			}
			// (A revocation without updated_at, at the zero time, ends
			// no window: the record stays as it was, without an end.)
			if end = earlier(end, m.exp); end != noTime && end != zeroInstant {
				e.endSec, e.endNs, e.markEnd = end.sec, end.ns, true
			}
		}
	}
	ix.revIdx, ix.revAt = slices.Clip(ix.revIdx), slices.Clip(ix.revAt)
	ix.expIdx, ix.expAt = slices.Clip(ix.expIdx), slices.Clip(ix.expAt)

	for i, si := range sis {
		if si == noStr {
			continue
		}
		if k := ix.findSI(ix.strs.str(si)); k >= 0 {
			ents[i].next = ix.siFirst[k]
			ix.siFirst[k] = int32(i)
			continue
		}
		ix.addSI(si, int32(i))
	}
	// A source identity only losing versions had is known, with no entry;
	// one that an unusable version had, or a record left out for it, is
	// known too and tracks no session: that version may have revoked it.
	for _, si := range deadSIs {
		if ix.findSI(si) < 0 {
			ix.addSI(ix.strs.add(si), -1)
		}
	}
	if len(poisonedSIs) > 0 {
		poisoned := make(map[string]bool, len(poisonedSIs))
		for _, si := range poisonedSIs {
			poisoned[si] = true
			if ix.findSI(si) < 0 {
				ix.addSI(ix.strs.add(si), -1)
			}
		}
		for i, si := range sis {
			if si != noStr && poisoned[ix.strs.str(si)] {
				ix.notLive = append(ix.notLive, int32(i))
			}
		}
	}
	ix.siKeys, ix.siFirst = slices.Clip(ix.siKeys), slices.Clip(ix.siFirst)

	// Group the entries by (user, profile): every entry, and the entries
	// without a source_identity (the ones auto mode matches by window).
	// A record without a start (no started_at, no created_at) has no
	// window, like one without an end: it would cover all earlier time.
	ix.all = groupIntervals(ents, ups, len(ix.ups), func(i int) bool { return !ents[i].noStart() })
	ix.noSI = groupIntervals(ents, ups, len(ix.ups), func(i int) bool { return sis[i] == noStr && !ents[i].noStart() })
	// Drop the room append left, last, when the builder's other arrays
	// are no longer used: the copy is never live beside them.
	if cap(ents) > n+n/16 {
		ix.ents = append(make([]entry, 0, n), ents...)
	}
	return ix
}

// findSI returns the number of source identity si in siKeys, or -1.
func (ix *Index) findSI(si string) int32 {
	return ix.bySI.find(si, func(k int32, si string) bool { return ix.strs.eq(ix.siKeys[k], si) })
}

// addSI adds the source identity ref names, not known yet, with its first
// entry.
func (ix *Index) addSI(ref strRef, first int32) {
	ix.siKeys = append(ix.siKeys, ref)
	ix.siFirst = append(ix.siFirst, first)
	ix.bySI.insert(int32(len(ix.siKeys)-1), func(k int32) uint64 { return ix.strs.hash(ix.bySI.seed, ix.siKeys[k]) })
}

// dropPoisoned removes the entries of the poisoned ids.
func (b *IndexBuilder) dropPoisoned() {
	marks := map[int32]verMarks{}
	k := 0
	for i := range b.ents {
		if b.poisoned[b.strs.str(b.ents[i].id)] {
			if b.sis[i] != noStr {
				b.poisonedSIs = append(b.poisonedSIs, strings.Clone(b.strs.str(b.sis[i])))
			}
			continue
		}
		b.ents[k], b.sis[k], b.ups[k], b.upd[k] = b.ents[i], b.sis[i], b.ups[i], b.upd[i]
		if m, ok := b.marks[int32(i)]; ok {
			marks[int32(k)] = m
		}
		k++
	}
	b.ents, b.sis, b.ups, b.upd = b.ents[:k], b.sis[:k], b.ups[:k], b.upd[:k]
	b.marks = marks
	b.siRank = nil // only adding reads it
}

// groupIntervals builds, for each of the nu (user, profile) pairs, the
// interval tree of the entries that keep accepts (ups[i] is entry i's
// pair). The trees share two arrays, in a counting sort by pair.
func groupIntervals(ents []entry, ups []int32, nu int, keep func(int) bool) []intervals {
	off := make([]int, nu+1)
	for i, u := range ups {
		if keep(i) {
			off[u+1]++
		}
	}
	for u := 0; u < nu; u++ {
		off[u+1] += off[u]
	}
	idx := make([]int32, off[nu])
	cur := append([]int(nil), off[:nu]...)
	for i, u := range ups {
		if keep(i) {
			idx[cur[u]] = int32(i)
			cur[u]++
		}
	}
	maxIdx := make([]int32, len(idx))
	set := make([]intervals, nu)
	for u := range nu {
		set[u] = newIntervals(ents, idx[off[u]:off[u+1]], maxIdx[off[u]:off[u+1]])
	}
	return set
}

// NewIndex indexes records, as an IndexBuilder fed with them in order
// would (see IndexBuilder for which version of an id wins).
func NewIndex(records []Record) *Index {
	var b IndexBuilder
	for i := range records {
		b.Add(records[i])
	}
	return b.Index()
}

// Len is the number of records indexed.
func (ix *Index) Len() int {
	if ix == nil {
		return 0
	}
	return len(ix.ents)
}

// Lookup finds the record that covers an event (SPEC §5). mode is one of
// ModeAuto (also the empty string), ModeSourceIdentity or
// ModeUserProfileWindow; an unknown mode matches nothing.
//
// Candidates:
//   - source_identity: records whose source_identity equals q.SourceIdentity
//     and that had started by q.Time + MatchSlack (a record cannot cover an
//     event from before it began), and, when the record is live at q.Time,
//     whose profile is q.Profile (or empty): a live broker session of one
//     profile does not track a session chained from it into another
//     profile's role (the SourceIdentity persists through role chaining),
//     while a revoked or expired one still shows its credentials were used;
//   - user_profile_window: records of q.User and q.Profile whose window
//     [start − MatchSlack, End() + MatchSlack] holds q.Time, where start is
//     started_at, or created_at when started_at is absent, and a revoked or
//     expired record without an end is ended by the earliest updated_at of
//     its versions that revoked it or marked it expired (such a record is
//     a candidate only where its outcome is not Live);
//   - auto: when some record has q.SourceIdentity, the source_identity
//     candidates only (the event's identity names its record: a revoked
//     or later one is not excused by another record of the user that
//     happens to cover the time); else the user_profile_window candidates
//     among the records without a source_identity.
//
// Each candidate's outcome at q.Time is Revoked when its status is revoked
// and q.Time is after its revocation time (the earliest updated_at of its
// revoked versions), else Expired when a version marked it expired at an
// updated_at before its end and q.Time is after that (the earliest such), or q.Time is after its end (or, for a record
// without an end time, when its status is expired), else Live. The best candidate
// wins: Live before Revoked before Expired, then the latest start, then the
// smallest id. A nil Index matches nothing.
func (ix *Index) Lookup(mode string, q MatchQuery) Match {
	if ix == nil {
		return Match{}
	}
	best, bestO := int32(-1), NoRecord
	consider := func(i int32) {
		o := ix.outcomeAt(i, q.Time)
		if o == Live && len(ix.notLive) > 0 {
			if _, ok := slices.BinarySearch(ix.notLive, i); ok {
				return
			}
		}
		if best < 0 || ix.better(i, o, best, bestO) {
			best, bestO = i, o
		}
	}
	switch mode {
	case ModeSourceIdentity:
		ix.bySourceIdentity(q, consider)
	case ModeUserProfileWindow:
		ix.byWindow(ix.all, q, consider)
	case ModeAuto, "":
		if !ix.bySourceIdentity(q, consider) {
			ix.byWindow(ix.noSI, q, consider)
		}
	}
	if best < 0 {
		return Match{}
	}
	return Match{ID: ix.strs.str(ix.ents[best].id), Outcome: bestO}
}

// bySourceIdentity calls fn for every source_identity candidate of q (see
// Lookup). It reports whether any entry has q.SourceIdentity.
func (ix *Index) bySourceIdentity(q MatchQuery, fn func(int32)) bool {
	if q.SourceIdentity == "" {
		return false
	}
	latest := instantOf(q.Time.Add(MatchSlack))
	k := ix.findSI(q.SourceIdentity)
	ok := k >= 0
	i := int32(-1)
	if ok {
		i = ix.siFirst[k]
	}
	for ; i >= 0; i = ix.ents[i].next {
		if ix.ents[i].startAfter(latest) {
			continue
		}
		// A live record of another profile does not track the event; a
		// revoked or expired one still shows that its credentials were
		// used after they stopped being valid.
		if p := ix.upProfile[ix.entUp[i]]; p == q.Profile || p == "" || ix.outcomeAt(i, q.Time) != Live {
			fn(i)
		}
	}
	return ok
}

// byWindow calls fn for every entry of set for q's user and profile whose
// window holds q.Time.
func (ix *Index) byWindow(set []intervals, q MatchQuery, fn func(int32)) {
	if q.User == "" {
		return
	}
	if u, ok := ix.ups[userProfile{q.User, q.Profile}]; ok {
		set[u].covering(ix.ents, q.Time, func(i int32) {
			// A window ended only by a revocation or an expiry mark shows
			// the use of a session that had ended; it tracks none: a
			// record without an end cannot say the session was live.
			if !ix.ents[i].markEnd || ix.outcomeAt(i, q.Time) != Live {
				fn(i)
			}
		})
	}
}

// outcomeAt is the state of entry i's record at time t.
func (ix *Index) outcomeAt(i int32, t time.Time) Outcome {
	e := &ix.ents[i]
	if e.status == statusRevoked && t.After(ix.revokedAt(i)) {
		return Revoked
	}
	if x, ok := ix.expiredAt(i); ok && t.After(x) {
		return Expired
	}
	if e.noEnd() {
		// A record without expires_at and last_access_at (matched by its
		// source identity: it has no window) is live up to the updated_at
		// that revoked it or marked it expired (above); one marked expired
		// without an updated_at cannot say when it was live.
		if _, marked := ix.expiredAt(i); e.status == statusExpired && !marked {
			return Expired
		}
		return Live
	}
	// Expired from its end on, without the matching window's slack: a
	// session whose record had ended is not shown live by a clock's skew.
	if t.After(e.end()) {
		return Expired
	}
	return Live
}

// revokedAt is the revocation time of revoked entry i.
func (ix *Index) revokedAt(i int32) time.Time {
	k, _ := slices.BinarySearch(ix.revIdx, i)
	return ix.revAt[k]
}

// expiredAt is when a version marked entry i expired before its window's
// end, if one did.
func (ix *Index) expiredAt(i int32) (time.Time, bool) {
	if k, ok := slices.BinarySearch(ix.expIdx, i); ok {
		return ix.expAt[k], true
	}
	return time.Time{}, false
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

// better reports whether entry a with outcome ao beats entry b with bo.
func (ix *Index) better(a int32, ao Outcome, b int32, bo Outcome) bool {
	if ra, rb := rank(ao), rank(bo); ra != rb {
		return ra < rb
	}
	ea, eb := &ix.ents[a], &ix.ents[b]
	if c := cmpStart(ea, eb); c != 0 {
		return c > 0
	}
	return ix.strs.str(ea.id) < ix.strs.str(eb.id)
}

// recordStart is when a record's window opens: started_at, or created_at
// when started_at is absent.
func recordStart(r *Record) time.Time {
	if r.StartedAt.IsZero() {
		return r.CreatedAt
	}
	return r.StartedAt
}

// intervals is a static interval tree over the windows of some entries:
// idx holds them sorted by window start and, for the implicit balanced tree
// over that array (the root of [lo, hi) is (lo+hi)/2), maxIdx[i] is the
// entry with the latest end in the subtree rooted at i. Windows are read
// from the entries, MatchSlack applied at comparison. covering visits the
// entries whose window holds t in O(log n + matches).
type intervals struct {
	idx    []int32
	maxIdx []int32
}

// newIntervals sorts idx by window start and fills maxIdx (of the same
// length).
func newIntervals(ents []entry, idx, maxIdx []int32) intervals {
	slices.SortFunc(idx, func(a, b int32) int {
		if c := cmpStart(&ents[a], &ents[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	iv := intervals{idx: idx, maxIdx: maxIdx}
	iv.build(ents, 0, len(idx))
	return iv
}

// build fills maxIdx for the subtree over [lo, hi) and returns the entry
// with the latest end in it, or -1 when the range is empty.
func (iv intervals) build(ents []entry, lo, hi int) int32 {
	if lo >= hi {
		return -1
	}
	mid := (lo + hi) / 2
	m := iv.idx[mid]
	if l := iv.build(ents, lo, mid); l >= 0 && cmpEnd(&ents[l], &ents[m]) > 0 {
		m = l
	}
	if r := iv.build(ents, mid+1, hi); r >= 0 && cmpEnd(&ents[r], &ents[m]) > 0 {
		m = r
	}
	iv.maxIdx[mid] = m
	return m
}

// covering calls fn for every entry whose window [start − MatchSlack,
// end + MatchSlack] holds t, that is start ≤ t + MatchSlack and
// end ≥ t − MatchSlack.
func (iv intervals) covering(ents []entry, t time.Time, fn func(int32)) {
	iv.visit(ents, 0, len(iv.idx), instantOf(t.Add(-MatchSlack)), instantOf(t.Add(MatchSlack)), fn)
}

func (iv intervals) visit(ents []entry, lo, hi int, from, to instant, fn func(int32)) {
	for lo < hi {
		mid := (lo + hi) / 2
		if ents[iv.maxIdx[mid]].endBefore(from) {
			return // every window in this subtree closed before t
		}
		iv.visit(ents, lo, mid, from, to, fn)
		e := &ents[iv.idx[mid]]
		if e.startAfter(to) {
			return // this and every later window opens after t
		}
		if !e.endBefore(from) {
			fn(iv.idx[mid])
		}
		lo = mid + 1
	}
}
