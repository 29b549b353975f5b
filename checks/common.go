package checks

import (
	"fmt"
	"strings"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/internal/safetext"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// maxRelated caps the rules shown as related locations of one finding.
const maxRelated = 5

// Caps, in bytes, on the CloudTrail values a finding carries (in its
// message, role and events alike, so that every format shows the same
// text): a record with a forged eventID or roleArn of megabytes would
// otherwise swell every report past what GitHub accepts. Neither clips a
// real value: an event id is a 36-character UUID, and an IAM role ARN has
// at most 2,048 characters, all ASCII.
const (
	maxEventID = 256
	maxRoleARN = 2048
)

// maxReason caps, in bytes, a rule's reason shown with the rule.
const maxReason = 512

// selected is the set of p's session events that the check sel selected
// (an empty set when the classifier did not run sel).
func selected(p *classify.Profile, sel classify.Selector) *classify.EventSet {
	if set := p.Selected[sel]; set != nil {
		return set
	}
	return &classify.EventSet{}
}

// profileFinding builds a finding located at a profile block, with the
// rules that matched the events of set as related locations.
func profileFinding(p *policyhcl.Profile, set *classify.EventSet, msg string, why string) Finding {
	f := Finding{Profile: p.Name, Message: msg, Range: p.Range, Events: eventIDs(set), EventCount: set.Count}
	f.Related = ruleLocations(set, why)
	return f
}

// ruleLocations lists the distinct rules that matched the events of set,
// in the order of the first event each matched, each with its reason.
func ruleLocations(set *classify.EventSet, why string) []Related {
	var out []Related
	for _, r := range set.Rules {
		if len(out) == maxRelated {
			break
		}
		msg := fmt.Sprintf("rule %q (effect %s) %s", r.Name, r.Effect, why)
		if reason := strings.TrimSpace(r.Reason); reason != "" {
			msg += ": " + safetext.Clip(reason, maxReason)
		}
		out = append(out, Related{Range: r.DeclRange, Message: msg})
	}
	return out
}

// eventIDs are the ids of the set's earliest events (at most
// classify.MaxEventIDs), in time order, each clipped to maxEventID.
func eventIDs(set *classify.EventSet) []string {
	out := make([]string, 0, len(set.IDs))
	for _, id := range set.IDs {
		out = append(out, safetext.Clip(id, maxEventID))
	}
	return out
}

// span says when the events of set happened: "at T" or "between A and B".
func span(set *classify.EventSet) string {
	if set.First.Equal(set.Last) {
		return "at " + stamp(set.First)
	}
	return "between " + stamp(set.First) + " and " + stamp(set.Last)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// example names one event for the reader to look up.
func example(set *classify.EventSet) string {
	if len(set.IDs) == 0 || set.IDs[0] == "" {
		return ""
	}
	return fmt.Sprintf(" (e.g. event %s)", safetext.Clip(set.IDs[0], maxEventID))
}

// exampleSession is example with the session record that decided the
// event's category, when one did: the record to look up in the broker's
// table.
func exampleSession(set *classify.EventSet) string {
	if len(set.IDs) == 0 || set.IDs[0] == "" {
		return ""
	}
	if set.FirstSession == "" {
		return example(set)
	}
	return fmt.Sprintf(" (e.g. event %s, on session record %s)", safetext.Clip(set.IDs[0], maxEventID), safetext.Clip(set.FirstSession, maxEventID))
}

// categoryPhrases describe each non-tracked category in a message.
var categoryPhrases = map[string]string{
	classify.CategoryNoSourceIdentity:      "without SourceIdentity",
	classify.CategoryForeignSourceIdentity: "with a SourceIdentity that is not the broker's",
	classify.CategoryOrphaned:              "orphaned (no session record)",
	classify.CategoryRevoked:               "on a revoked session",
	classify.CategoryExpired:               "on an expired session",
}

// breakdown counts the events of set per category: "1 without
// SourceIdentity, 1 orphaned".
func breakdown(set *classify.EventSet) string {
	counts := set.ByCategory
	var parts []string
	for _, c := range classify.Categories {
		if n := counts[c]; n > 0 && c != classify.CategoryTracked {
			parts = append(parts, fmt.Sprintf("%d %s", n, categoryPhrases[c]))
		}
	}
	return strings.Join(parts, ", ")
}
