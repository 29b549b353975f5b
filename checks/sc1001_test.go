package checks

import (
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// min_compliance is compared with the exact rate, not the one-decimal rate
// shown: 189 of 199 tracked is 94.97%, shown as 95.0%, below 95.
func TestUntrackedSessionMinCompliance(t *testing.T) {
	for _, tc := range []struct {
		tracked, sessions int
		min               float64
		fires             bool
	}{
		{189, 199, 95, true},    // 94.97%
		{190, 200, 95, false},   // exactly 95%
		{19, 20, 95, false},     // 95%
		{1999, 2000, 100, true}, // 99.95%
		{2000, 2000, 100, false},
		{0, 10, 0, false},          // min_compliance 0 never fires
		{2251, 2500, 90.04, false}, // exactly 90.04%
		{2250, 2500, 90.04, true},
	} {
		t0 := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
		bad := &classify.EventSet{Count: tc.sessions - tc.tracked, First: t0, Last: t0, ByCategory: map[string]int{classify.CategoryNoSourceIdentity: tc.sessions - tc.tracked}}
		p := &classify.Profile{
			Profile:  &policyhcl.Profile{Name: "prod"},
			Sessions: tc.sessions, Tracked: tc.tracked, Required: true, HasGap: true,
			Selected: map[classify.Selector]*classify.EventSet{untrackedSession{}: bad},
		}
		got := untrackedSession{}.Run(&Context{Analysis: &classify.Analysis{Profiles: []*classify.Profile{p}}, MinCompliance: tc.min})
		if (len(got) > 0) != tc.fires {
			t.Errorf("%d of %d tracked, min_compliance %v: %d findings, want fires=%v", tc.tracked, tc.sessions, tc.min, len(got), tc.fires)
		}
	}
}
