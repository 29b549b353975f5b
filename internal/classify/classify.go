// Package classify gives every role session exactly one category and
// rolls the events up per profile. It is the step between decoded events
// and checks: sources -> events -> classification -> checks.
package classify

import (
	"math"
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
	// SessionID is the id of the session record that decided the
	// category (tracked, revoked, expired); "" when none did.
	SessionID string
}

// Effect is what the matching rule demands; deny when no rule matched.
func (e *Event) Effect() policyhcl.Effect {
	if e.Rule == nil {
		return policyhcl.EffectDeny
	}
	return e.Rule.Effect
}

// Profile is one profile's numbers. Its events are not kept: each was
// folded into the counts and into the event sets of the selectors.
type Profile struct {
	Profile *policyhcl.Profile
	// Sessions counts the successful session events; First and Last are
	// the earliest and latest of their times (zero when there are none).
	Sessions    int
	First, Last time.Time
	// Failed counts the failed attempts (errorCode set).
	Failed     int
	ByCategory map[string]int
	Tracked    int
	// Demanded counts the session events whose rule demanded a tracked
	// session (require_server_session), tracked or not.
	Demanded int
	// Required: some event demanded a tracked session, or with no events
	// some rule can demand one for the profile.
	Required bool
	// HasGap: some event that demanded a tracked session was not tracked.
	HasGap bool
	// Selected holds, per selector given to the classifier, the set of
	// the profile's session events that it selected.
	Selected map[Selector]*EventSet
}

// ComplianceRate is 100 × tracked / sessions with one decimal, 100 when
// there are no sessions.
func (p *Profile) ComplianceRate() float64 {
	return Rate(p.Tracked, p.Sessions)
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
	// Unmapped holds, per role ARN, the successful sessions into roles no
	// profile covers.
	Unmapped map[string]*EventSet
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
// session_table label to its records; Default holds every store's records
// together, for the events whose rule names no table, and serves a table
// missing from Tables (the stores of --sessions serve every rule).
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

// Selector picks the session events of a profile that one check judges.
// Select reports whether e belongs to the set and, optionally, a tally:
// a label counted in the set's Tallies (e.g. why the event was selected).
// It must not keep e: the classifier reuses it for the next event.
type Selector interface {
	Select(e *Event) (keep bool, tally string)
}

// Classifier judges events one at a time and folds each into its
// profile's numbers and event sets, so memory does not grow with the
// number of events. It is not safe for concurrent use: callers that add
// events from several goroutines must serialise Add.
type Classifier struct {
	pol       *policyhcl.Policy
	recs      Records
	selectors []Selector
	a         *Analysis
	byProfile map[*policyhcl.Profile]*Profile
	profileOf map[string]*policyhcl.Profile // role ARN -> profile, memoised
	ev        Event                         // the event Add judges, reused
}

// NewClassifier returns a classifier for the window's events, matching
// them against recs. Each profile gets one event set per selector.
func NewClassifier(pol *policyhcl.Policy, window Window, recs Records, sessionSource bool, selectors ...Selector) *Classifier {
	c := &Classifier{
		pol:       pol,
		recs:      recs,
		selectors: selectors,
		a:         &Analysis{Policy: pol, Window: window, SessionSource: sessionSource, Unmapped: map[string]*EventSet{}},
		byProfile: make(map[*policyhcl.Profile]*Profile, len(pol.Profiles)),
		profileOf: make(map[string]*policyhcl.Profile),
	}
	for _, p := range pol.Profiles {
		pa := &Profile{Profile: p, ByCategory: make(map[string]int, len(Categories)), Selected: make(map[Selector]*EventSet, len(selectors))}
		for _, cat := range Categories {
			pa.ByCategory[cat] = 0
		}
		for _, s := range selectors {
			pa.Selected[s] = &EventSet{}
		}
		c.byProfile[p] = pa
		c.a.Profiles = append(c.a.Profiles, pa)
	}
	return c
}

// Add judges one event, which must already be de-duplicated and inside
// the window. The classifier keeps nothing of ev but the numbers and up
// to MaxEventIDs event ids per set.
func (c *Classifier) Add(e cloudtrail.Event) {
	pol := c.pol
	c.ev = Event{Event: e}
	ev := &c.ev
	prof, seen := c.profileOf[ev.RoleArn]
	if !seen {
		prof = pol.ProfileFor(ev.RoleArn)
		c.profileOf[ev.RoleArn] = prof
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
		// A broker identity has a user, its pattern's user group, even
		// an empty one (which users = ["*"] matches); only an event
		// without one has none (SPEC §3).
		HasUser: ev.Broker,
		Time:    ev.EventTime,
		Mode:    policyhcl.ModeServer,
	})
	if ev.Failed() {
		if prof == nil {
			c.a.UnmappedFailed++
		} else {
			c.byProfile[prof].Failed++
		}
		return
	}
	ev.Category, ev.SessionID = categorise(pol, ev, c.recs)
	if prof == nil {
		set := c.a.Unmapped[ev.RoleArn]
		if set == nil {
			set = &EventSet{}
			c.a.Unmapped[ev.RoleArn] = set
		}
		set.add(ev, "")
		return
	}
	pa := c.byProfile[prof]
	widen(&pa.First, &pa.Last, ev.EventTime, pa.Sessions == 0)
	pa.Sessions++
	pa.ByCategory[ev.Category]++
	if ev.Category == CategoryTracked {
		pa.Tracked++
	}
	if ev.Effect() == policyhcl.EffectRequireServerSession {
		pa.Demanded++
		pa.Required = true
		if ev.Category != CategoryTracked {
			pa.HasGap = true
		}
	}
	for _, s := range c.selectors {
		if keep, tally := s.Select(ev); keep {
			pa.Selected[s].add(ev, tally)
		}
	}
}

// Analysis finishes the classification and returns it. Add must not be
// called afterwards.
func (c *Classifier) Analysis() *Analysis {
	for _, pa := range c.a.Profiles {
		if pa.Sessions == 0 && c.pol.CanRequireSession(pa.Profile.Name) {
			pa.Required = true
		}
		for _, set := range pa.Selected {
			set.finish()
		}
	}
	for _, set := range c.a.Unmapped {
		set.finish()
	}
	return c.a
}

// categorise gives a successful session event its category and the id of
// the record that decided it.
func categorise(pol *policyhcl.Policy, ev *Event, recs Records) (string, string) {
	if ev.SourceIdentity == "" {
		return CategoryNoSourceIdentity, ""
	}
	if !ev.Broker {
		return CategoryForeignSourceIdentity, ""
	}
	// A rule's session_table names the records it is matched against; a
	// rule without one, every table's together (Records.Default).
	table := ""
	if ev.Rule != nil {
		table = ev.Rule.SessionTable
	}
	ix := recs.index(table)
	if ix == nil {
		return CategoryOrphaned, ""
	}
	profile := ""
	if ev.Profile != nil {
		profile = ev.Profile.Name
	}
	m := ix.Lookup(pol.MatchMode(), sessions.MatchQuery{
		SourceIdentity: ev.SourceIdentity,
		User:           ev.Identity.User,
		Profile:        profile,
		Time:           ev.EventTime,
	})
	switch m.Outcome {
	case sessions.Live:
		return CategoryTracked, m.ID
	case sessions.Revoked:
		return CategoryRevoked, m.ID
	case sessions.Expired:
		return CategoryExpired, m.ID
	}
	return CategoryOrphaned, ""
}
