// Package classify gives every role session exactly one category and
// rolls the events up per profile. It is the step between decoded events
// and checks: sources -> events -> classification -> checks.
package classify

import (
	"math"
	"sort"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// The six categories of a session event.
const (
	CategoryTracked               = "tracked"
	CategoryNoSourceIdentity      = "no_source_identity"
	CategoryForeignSourceIdentity = "foreign_source_identity"
	CategoryOrphaned              = "orphaned"
	CategoryRevoked               = "revoked"
	CategoryExpired               = "expired"
)

// Categories lists the six categories in their stable order.
var Categories = []string{
	CategoryTracked, CategoryNoSourceIdentity, CategoryForeignSourceIdentity,
	CategoryOrphaned, CategoryRevoked, CategoryExpired,
}

// Window is the time window checked, [Start, End).
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Event is a session event with everything the checks need to judge it.
type Event struct {
	cloudtrail.Event
	Profile  *policyhcl.Profile // nil: no profile covers the role
	Broker   bool               // the SourceIdentity matched the identity pattern
	Identity policyhcl.BrokerIdentity
	Rule     *policyhcl.Rule // nil: no rule matched, the default deny applies
	Category string          // one of Categories; "" for failed attempts
	Record   *sessions.Record
}

// Effect is what the matching rule demands; deny when no rule matched.
func (e *Event) Effect() policyhcl.Effect {
	if e.Rule == nil {
		return policyhcl.EffectDeny
	}
	return e.Rule.Effect
}

// Profile is one profile's events and numbers.
type Profile struct {
	Profile    *policyhcl.Profile
	Sessions   []*Event // successful session events, in time order
	Failed     []*Event // failed attempts (errorCode set), in time order
	ByCategory map[string]int
	Tracked    int
	// Required: some event demanded a tracked session, or with no events
	// some rule can demand one for the profile.
	Required bool
	// HasGap: some event that demanded a tracked session was not tracked.
	HasGap bool
}

// ComplianceRate is 100 × tracked / sessions with one decimal, 100 when
// there are no sessions.
func (p *Profile) ComplianceRate() float64 {
	return Rate(p.Tracked, len(p.Sessions))
}

// Rate is 100 × part / whole rounded to one decimal, 100 when whole is 0.
// A rate that is not whole never shows as 100.0: 1999 of 2000 is 99.9.
func Rate(part, whole int) float64 {
	if whole == 0 {
		return 100
	}
	r := math.Round(float64(part)*1000/float64(whole)) / 10
	if part < whole && r >= 100 {
		r = 99.9
	}
	return r
}

// Analysis is the classified activity of one run.
type Analysis struct {
	Policy   *policyhcl.Policy
	Window   Window
	Profiles []*Profile // policy order
	// Unmapped holds successful sessions into roles no profile covers.
	Unmapped []*Event
	// UnmappedFailed counts failed attempts into roles no profile covers.
	UnmappedFailed int
	// SessionSource is false when no session records were configured, so
	// no broker identity could be tracked.
	SessionSource bool
}

// ByName returns the profile named name, or nil.
func (a *Analysis) ByName(name string) *Profile {
	for _, p := range a.Profiles {
		if p.Profile.Name == name {
			return p
		}
	}
	return nil
}

// Records are the session records available to matching. Tables maps a
// session_table label to its records; Default serves events whose rule
// names no table (and every table when one store serves them all).
type Records struct {
	Tables  map[string]*sessions.Index
	Default *sessions.Index
}

func (r Records) index(table string) *sessions.Index {
	if ix, ok := r.Tables[table]; ok && ix != nil {
		return ix
	}
	return r.Default
}

// Classify judges every event. events must already be de-duplicated and
// inside the window. The result does not depend on the order of events.
func Classify(pol *policyhcl.Policy, window Window, events []cloudtrail.Event, recs Records, sessionSource bool) *Analysis {
	a := &Analysis{Policy: pol, Window: window, SessionSource: sessionSource}
	byProfile := make(map[*policyhcl.Profile]*Profile, len(pol.Profiles))
	for _, p := range pol.Profiles {
		pa := &Profile{Profile: p, ByCategory: make(map[string]int, len(Categories))}
		for _, c := range Categories {
			pa.ByCategory[c] = 0
		}
		byProfile[p] = pa
		a.Profiles = append(a.Profiles, pa)
	}
	profileOf := make(map[string]*policyhcl.Profile) // role ARN -> profile, memoised
	for i := range events {
		ev := &Event{Event: events[i]}
		prof, seen := profileOf[ev.RoleArn]
		if !seen {
			prof = pol.ProfileFor(ev.RoleArn)
			profileOf[ev.RoleArn] = prof
		}
		ev.Profile = prof
		if ev.SourceIdentity != "" {
			ev.Identity, ev.Broker = pol.ParseSourceIdentity(ev.SourceIdentity)
		}
		profName := ""
		if prof != nil {
			profName = prof.Name
		}
		ev.Rule = pol.Evaluate(policyhcl.Request{
			Profile: profName,
			User:    ev.Identity.User,
			HasUser: ev.Broker && ev.Identity.User != "",
			Time:    ev.EventTime,
			Mode:    policyhcl.ModeServer,
		})
		if ev.Failed() {
			if prof == nil {
				a.UnmappedFailed++
			} else {
				byProfile[prof].Failed = append(byProfile[prof].Failed, ev)
			}
			continue
		}
		ev.Category, ev.Record = categorise(pol, ev, recs)
		if prof == nil {
			a.Unmapped = append(a.Unmapped, ev)
			continue
		}
		pa := byProfile[prof]
		pa.Sessions = append(pa.Sessions, ev)
		pa.ByCategory[ev.Category]++
		if ev.Category == CategoryTracked {
			pa.Tracked++
		}
		if ev.Effect() == policyhcl.EffectRequireServerSession {
			pa.Required = true
			if ev.Category != CategoryTracked {
				pa.HasGap = true
			}
		}
	}
	for _, pa := range a.Profiles {
		sortEvents(pa.Sessions)
		sortEvents(pa.Failed)
		if len(pa.Sessions) == 0 && pol.CanRequireSession(pa.Profile.Name) {
			pa.Required = true
		}
	}
	sortEvents(a.Unmapped)
	return a
}

// categorise gives a successful session event its category and the record
// that decided it.
func categorise(pol *policyhcl.Policy, ev *Event, recs Records) (string, *sessions.Record) {
	if ev.SourceIdentity == "" {
		return CategoryNoSourceIdentity, nil
	}
	if !ev.Broker {
		return CategoryForeignSourceIdentity, nil
	}
	table, mode := "", policyhcl.MatchAuto
	if ev.Rule != nil && ev.Rule.SessionTable != "" {
		table = ev.Rule.SessionTable
	} else if len(pol.SessionTables) > 0 {
		table = pol.SessionTables[0].Name
	}
	if st := pol.SessionTable(table); st != nil && st.Match != "" {
		mode = st.Match
	}
	ix := recs.index(table)
	if ix == nil {
		return CategoryOrphaned, nil
	}
	profile := ""
	if ev.Profile != nil {
		profile = ev.Profile.Name
	}
	m := ix.Lookup(mode, sessions.MatchQuery{
		SourceIdentity: ev.SourceIdentity,
		User:           ev.Identity.User,
		Profile:        profile,
		Time:           ev.EventTime,
	})
	switch m.Outcome {
	case sessions.Live:
		return CategoryTracked, m.Record
	case sessions.Revoked:
		return CategoryRevoked, m.Record
	case sessions.Expired:
		return CategoryExpired, m.Record
	}
	return CategoryOrphaned, nil
}

// sortEvents orders events by time, then id, so output never depends on
// the order sources delivered them in.
func sortEvents(evs []*Event) {
	sort.Slice(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if !a.EventTime.Equal(b.EventTime) {
			return a.EventTime.Before(b.EventTime)
		}
		return a.EventID < b.EventID
	})
}

// Span returns the first and last event time of evs (sorted), zero if empty.
func Span(evs []*Event) (first, last time.Time) {
	if len(evs) == 0 {
		return
	}
	return evs[0].EventTime, evs[len(evs)-1].EventTime
}
