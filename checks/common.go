package checks

import (
	"fmt"
	"strings"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// maxEventIDs caps the event ids kept on one finding; the message and the
// report's counts still cover every event.
const maxEventIDs = 1000

// maxRelated caps the rules shown as related locations of one finding.
const maxRelated = 5

// selectEvents returns the events of evs for which keep is true.
func selectEvents(evs []*classify.Event, keep func(*classify.Event) bool) []*classify.Event {
	var out []*classify.Event
	for _, e := range evs {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// profileFinding builds a finding located at a profile block, with the
// rules that matched evs as related locations.
func profileFinding(p *policyhcl.Profile, evs []*classify.Event, msg string, why string) Finding {
	f := Finding{Profile: p.Name, Message: msg, Range: p.Range, Events: eventIDs(evs)}
	f.Related = ruleLocations(evs, why)
	return f
}

// ruleLocations lists the distinct rules that matched evs, in policy order.
func ruleLocations(evs []*classify.Event, why string) []Related {
	seen := map[*policyhcl.Rule]bool{}
	var out []Related
	for _, e := range evs {
		if e.Rule == nil || seen[e.Rule] || len(out) == maxRelated {
			continue
		}
		seen[e.Rule] = true
		out = append(out, Related{Range: e.Rule.DeclRange, Message: fmt.Sprintf("rule %q (effect %s) %s", e.Rule.Name, e.Rule.Effect, why)})
	}
	return out
}

func eventIDs(evs []*classify.Event) []string {
	ids := make([]string, 0, min(len(evs), maxEventIDs))
	for _, e := range evs {
		if len(ids) == maxEventIDs {
			break
		}
		ids = append(ids, e.EventID)
	}
	return ids
}

// span says when evs happened: "at T" or "between A and B".
func span(evs []*classify.Event) string {
	first, last := classify.Span(evs)
	if first.Equal(last) {
		return "at " + stamp(first)
	}
	return "between " + stamp(first) + " and " + stamp(last)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// example names one event for the reader to look up.
func example(evs []*classify.Event) string {
	if len(evs) == 0 || evs[0].EventID == "" {
		return ""
	}
	return fmt.Sprintf(" (e.g. event %s)", evs[0].EventID)
}

// categoryPhrases describe each non-tracked category in a message.
var categoryPhrases = map[string]string{
	classify.CategoryNoSourceIdentity:      "without SourceIdentity",
	classify.CategoryForeignSourceIdentity: "with a SourceIdentity that is not the broker's",
	classify.CategoryOrphaned:              "orphaned (no session record)",
	classify.CategoryRevoked:               "on a revoked session",
	classify.CategoryExpired:               "on an expired session",
}

// breakdown counts evs per category: "1 without SourceIdentity, 1 orphaned".
func breakdown(evs []*classify.Event) string {
	counts := map[string]int{}
	for _, e := range evs {
		counts[e.Category]++
	}
	var parts []string
	for _, c := range classify.Categories {
		if n := counts[c]; n > 0 && c != classify.CategoryTracked {
			parts = append(parts, fmt.Sprintf("%d %s", n, categoryPhrases[c]))
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
