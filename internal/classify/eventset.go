package classify

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/uuidtext"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// MaxEventIDs caps the event ids an EventSet keeps: the earliest by
// (time, id). Its counts still cover every event.
const MaxEventIDs = 1000

// EventSet is what is known of a set of session events once they are
// gone: how many, when, their categories, the earliest ids and the rules
// that matched them. Its content does not depend on the order in which
// the events were added.
type EventSet struct {
	// Count is the number of events; First and Last the earliest and
	// latest event time (zero when Count is 0).
	Count       int
	First, Last time.Time
	// ByCategory counts the events per category.
	ByCategory map[string]int
	// Tallies counts the events per tally label their selector gave.
	Tallies map[string]int
	// IDs are the event ids of the earliest MaxEventIDs events, ordered by
	// time, then id. Set by the classifier's Analysis.
	IDs []string
	// Rules are the distinct rules that matched the events, ordered by the
	// earliest event each matched (by time, then id). Set by the
	// classifier's Analysis.
	Rules []*policyhcl.Rule
	// FirstSession is the id of the session record that decided the
	// category of the earliest event (IDs[0]), "" when none did. Set by
	// the classifier's Analysis.
	FirstSession string

	earliest  []eventKey // max-heap of the earliest MaxEventIDs keys
	ruleFirst map[*policyhcl.Rule]eventKey
	first     eventKey // the earliest key, and its event's session record
	firstSess string
}

// eventKey orders events by time, then id, in 48 bytes and no allocation
// of its own: CloudTrail's event ids are UUIDs, kept as their 16 bytes
// (any other id as its text), and the time as seconds and nanoseconds.
type eventKey struct {
	sec    int64
	ns     int32
	packed bool
	u      [16]byte
	id     string // when not packed
}

func newEventKey(t time.Time, id string) eventKey {
	k := eventKey{sec: t.Unix(), ns: int32(t.Nanosecond())}
	if u, ok := uuidtext.Pack(id); ok {
		k.packed, k.u = true, u
	} else {
		k.id = id
	}
	return k
}

// text returns the key's event id.
func (k eventKey) text() string {
	if k.packed {
		return uuidtext.String(k.u)
	}
	return k.id
}

func (k eventKey) compare(o eventKey) int {
	if c := cmp.Or(cmp.Compare(k.sec, o.sec), cmp.Compare(k.ns, o.ns)); c != 0 {
		return c
	}
	if k.packed && o.packed {
		return bytes.Compare(k.u[:], o.u[:]) // the order of their texts
	}
	return strings.Compare(k.text(), o.text())
}

func (k eventKey) less(o eventKey) bool { return k.compare(o) < 0 }

// widen stretches [*first, *last] to hold t; empty: it holds no time yet.
func widen(first, last *time.Time, t time.Time, empty bool) {
	if empty || t.Before(*first) {
		*first = t
	}
	if empty || t.After(*last) {
		*last = t
	}
}

func (s *EventSet) add(e *Event, tally string) {
	widen(&s.First, &s.Last, e.EventTime, s.Count == 0)
	s.Count++
	if s.ByCategory == nil {
		s.ByCategory = map[string]int{}
	}
	s.ByCategory[e.Category]++
	if tally != "" {
		if s.Tallies == nil {
			s.Tallies = map[string]int{}
		}
		s.Tallies[tally]++
	}
	k := newEventKey(e.EventTime, e.EventID)
	if s.Count == 1 || k.less(s.first) {
		s.first, s.firstSess = k, e.SessionID
	}
	if e.Rule != nil {
		if s.ruleFirst == nil {
			s.ruleFirst = map[*policyhcl.Rule]eventKey{}
		}
		if f, ok := s.ruleFirst[e.Rule]; !ok || k.less(f) {
			s.ruleFirst[e.Rule] = k
		}
	}
	s.push(k)
}

// push keeps k if it is among the earliest MaxEventIDs keys.
func (s *EventSet) push(k eventKey) {
	h := s.earliest
	if len(h) < MaxEventIDs {
		h = append(h, k)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !h[p].less(h[i]) {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		s.earliest = h
		return
	}
	if !k.less(h[0]) {
		return
	}
	h[0] = k
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h[m].less(h[l]) {
			m = l
		}
		if r < len(h) && h[m].less(h[r]) {
			m = r
		}
		if m == i {
			break
		}
		h[m], h[i] = h[i], h[m]
		i = m
	}
}

// finish orders the kept ids and the rules.
func (s *EventSet) finish() {
	keys := s.earliest
	slices.SortFunc(keys, eventKey.compare)
	s.IDs = make([]string, len(keys))
	for i, k := range keys {
		s.IDs[i] = k.text()
	}
	s.earliest = nil
	s.FirstSession, s.firstSess = s.firstSess, ""
	for r := range s.ruleFirst {
		s.Rules = append(s.Rules, r)
	}
	slices.SortFunc(s.Rules, func(a, b *policyhcl.Rule) int {
		return cmp.Or(s.ruleFirst[a].compare(s.ruleFirst[b]), strings.Compare(a.Name, b.Name))
	})
	s.ruleFirst = nil
}
