package timewindow

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestParse(t *testing.T) {
	tests := []struct {
		since, until string
		start, end   time.Time
		err          string
	}{
		{"", "", now.Add(-7 * 24 * time.Hour), now, ""},
		{"7d", "", now.Add(-7 * 24 * time.Hour), now, ""},
		{"36h", "", now.Add(-36 * time.Hour), now, ""},
		{"2w", "", now.Add(-14 * 24 * time.Hour), now, ""},
		{"1d12h", "", now.Add(-36 * time.Hour), now, ""},
		{"90m", "1h", now.Add(-90 * time.Minute), now.Add(-time.Hour), ""},
		// A date as --until includes that day.
		{"2026-11-20T08:00:00+01:00", "2026-11-21", time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC), time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), ""},
		{"2026-11-22", "2026-11-22", time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), ""},
		// A duration --since counts back from an --until that is a point in
		// time, as the default does; from now when --until is a duration.
		{"7d", "2026-11-23T00:00:00Z", time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), ""},
		{"7d", "2026-11-22", time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), ""},
		{"7d", "1d", now.Add(-7 * 24 * time.Hour), now.Add(-24 * time.Hour), ""},
		// A window that starts in the future, or spans more than 100 years.
		{"2030-01-01", "2031-01-01", time.Time{}, time.Time{}, "starts in the future"},
		// ... even when it ends before it starts: the fix is an earlier
		// --since, never a later --until.
		{"2030-01-01", "", time.Time{}, time.Time{}, "starts in the future, 2030-01-01T00:00:00Z (--since 2030-01-01; now is 2026-11-27T12:00:00Z): no activity can be in it yet; give an earlier --since"},
		{"2030-01-01", "2029-01-01", time.Time{}, time.Time{}, "starts in the future"},
		// Within a second of now, the times are shown whole.
		{"2026-11-27T12:00:00.5Z", "", time.Time{}, time.Time{}, "starts in the future, 2026-11-27T12:00:00.5Z (--since 2026-11-27T12:00:00.5Z; now is 2026-11-27T12:00:00Z)"},
		{"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", time.Time{}, time.Time{}, "longer than 100 years"},
		{"", "2026-11-21T00:00:00Z", time.Date(2026, 11, 14, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), ""},
		{"1h", "2h", time.Time{}, time.Time{}, "window is empty"},
		// today and yesterday are UTC dates: a scheduled run over
		// yesterday checks whole days, with no gap and no overlap
		// whatever the hour it starts at.
		{"yesterday", "yesterday", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), ""},
		{"yesterday", "", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), now, ""},
		{"7d", "yesterday", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), ""},
		{"today", "", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), now, ""},
		{"tomorrow", "", time.Time{}, time.Time{}, `--since: "tomorrow" is neither a duration`},
		// Messages say what the user gave, or the default.
		{"", "2030-01-01", time.Time{}, time.Time{}, "(--since default: 7 days before --until; now is 2026-11-27T12:00:00Z): no activity can be in it yet; give an earlier --until"},
		{"2026-11-23", "2026-11-16", time.Time{}, time.Time{}, "ends 2026-11-17T00:00:00Z (--until 2026-11-16, a date: the window includes that day)"},
		{"", "2026-11-20T08:00:00", time.Time{}, time.Time{}, "RFC 3339 with a zone"},
		// Written as a date or a time: what is out of range.
		{"2026-13-01", "", time.Time{}, time.Time{}, `--since: "2026-13-01" is not a time: month out of range: give a UTC date`},
		{"2026-11-31", "", time.Time{}, time.Time{}, `"2026-11-31" is not a time: day out of range`},
		{"2026-11-20T25:00:00Z", "", time.Time{}, time.Time{}, `"2026-11-20T25:00:00Z" is not a time: hour out of range`},
		{"2026-11-20T08:00:00.5", "", time.Time{}, time.Time{}, `"2026-11-20T08:00:00.5" has no time zone: use RFC 3339 with a zone, such as 2026-11-20T08:00:00.5Z for UTC`},
		{"", "2026-11-20T08:00", time.Time{}, time.Time{}, `--until: "2026-11-20T08:00" is neither a duration`},
		{"2026-11-20 08:00:00Z", "", time.Time{}, time.Time{}, `--since: "2026-11-20 08:00:00Z" has a space between the date and the time: RFC 3339 puts a T there, as in 2026-11-20T08:00:00Z`},
		{"", "2026-11-20  08:00:00.25+01:00", time.Time{}, time.Time{}, `as in 2026-11-20T08:00:00.25+01:00`},
		{"2026-11-20 08:00:00", "", time.Time{}, time.Time{}, `"2026-11-20 08:00:00" has a space between the date and the time, and no time zone: use RFC 3339, such as 2026-11-20T08:00:00Z for UTC or 2026-11-20T08:00:00+01:00`},
		{"2026-11-20 08:00", "", time.Time{}, time.Time{}, `is neither a duration`},
		{"7x", "", time.Time{}, time.Time{}, `bad duration unit 'x' in "7x": use w, d, h, m or s`},
		// Written as a duration: what is wrong with it.
		{"0d", "", time.Time{}, time.Time{}, `--since: duration "0d" must be positive (a duration such as 7d`},
		{"999999999999999w", "", time.Time{}, time.Time{}, "is too long: at most 100 years"},
		{"7d", "now", now.Add(-7 * 24 * time.Hour), now, ""},
		{"", "soon", time.Time{}, time.Time{}, "--until:"},
	}
	for _, tt := range tests {
		start, end, err := Parse(tt.since, tt.until, now)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q, %q) error = %v, want %q", tt.since, tt.until, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", tt.since, tt.until, err)
			continue
		}
		if !start.Equal(tt.start) || !end.Equal(tt.end) {
			t.Errorf("Parse(%q, %q) = %v, %v; want %v, %v", tt.since, tt.until, start, end, tt.start, tt.end)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"7d", "36h", "1d12h", "2026-11-20T08:00:00Z", "2026-11-20", "", "9223372036854775807s", "1w1w1w"} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, since, until string) {
		start, end, err := Parse(since, until, now)
		if err == nil && !start.Before(end) {
			t.Fatalf("Parse(%q, %q) accepted an empty window %v..%v", since, until, start, end)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}

// A window counted from now has whole seconds, as the reports show them.
func TestParseWholeSeconds(t *testing.T) {
	start, end, err := Parse("7d", "1d", now.Add(700*time.Millisecond))
	if err != nil || !end.Equal(now.Add(time.Second-24*time.Hour)) || !start.Equal(now.Add(time.Second-7*24*time.Hour)) {
		t.Errorf("Parse(7d, 1d) = %v, %v, %v; want whole seconds", start, end, err)
	}
	// Rounded up: a window from the start of today is not empty in its
	// first second.
	midnight := time.Date(2026, 11, 27, 0, 0, 0, 400e6, time.UTC)
	if start, end, err := Parse("today", "", midnight); err != nil || !start.Equal(midnight.Truncate(time.Hour)) || !end.Equal(midnight.Truncate(time.Hour).Add(time.Second)) {
		t.Errorf("Parse(today) at %v = %v, %v, %v", midnight, start, end, err)
	}
}

// A window that ends after now ends now: nothing later can be read yet,
// and the report must not claim it covered it.
func TestParseEndsNow(t *testing.T) {
	for _, tc := range []struct{ since, until string }{{"today", "today"}, {"2026-11-20", "2030-01-01"}, {"yesterday", "2026-11-27T13:00:00Z"}} {
		_, end, err := Parse(tc.since, tc.until, now)
		if err != nil || !end.Equal(now) {
			t.Errorf("Parse(%q, %q): end %v, %v; want now", tc.since, tc.until, end, err)
		}
	}
	if _, _, err := Parse("2026-11-27T12:00:00Z", "today", now); err == nil || !strings.Contains(err.Error(), "starts now") {
		t.Errorf("a window from now to later: %v, want it empty", err)
	}
}
