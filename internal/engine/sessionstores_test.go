package engine

import (
	"strings"
	"testing"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// Empty session stores are named when sessions that had to be tracked
// were orphaned for it: not when a store could not be read (said apart),
// nor for the sessions of profiles --profile leaves out.
func TestEmptySessionStores(t *testing.T) {
	pol := policyOf(t, prodRequired+`profile "dev" { role_arns = ["arn:aws:iam::111122223333:role/Dev"] }
rule "rest" { effect = "allow" }
`)
	a := &classify.Analysis{Policy: pol}
	for _, p := range pol.Profiles {
		a.Profiles = append(a.Profiles, &classify.Profile{Profile: p, ByCategory: map[string]int{classify.CategoryOrphaned: 1}})
	}
	all := func(string) bool { return true }
	empty := sessions.Stats{Source: "empty.jsonl"}
	failed := sessions.Stats{Source: "bad.jsonl", Skipped: []sessions.Skip{{Item: "bad.jsonl", Reason: "unreadable: truncated"}}}
	for _, tc := range []struct {
		name  string
		stats []sessions.Stats
		keep  func(string) bool
		want  string
	}{
		{"an empty store", []sessions.Stats{empty}, all, "the session store empty.jsonl held no record, so the 1 session with a broker identity was orphaned"},
		{"a store with a record", []sessions.Stats{empty, {Source: "s.jsonl", Records: 1}}, all, ""},
		{"a store that could not be read", []sessions.Stats{empty, failed}, all, ""},
		{"only profiles that cannot demand tracking reported", []sessions.Stats{empty}, func(n string) bool { return n == "dev" }, ""},
		// A forgotten --sessions: every broker identity is orphaned, and
		// the finding said only that, as if the broker kept no record.
		{"no store", nil, all, "no session records were read (no --sessions and no session_table block), so the 1 session with a broker identity was orphaned; pass --sessions"},
		{"no store, only profiles that cannot demand tracking reported", nil, func(n string) bool { return n == "dev" }, ""},
	} {
		got := emptySessionStores(tc.stats, a, tc.keep)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
