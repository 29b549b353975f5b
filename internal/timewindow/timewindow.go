// Package timewindow parses the --since and --until flags.
package timewindow

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultSince is the window's length when --since is not given.
const DefaultSince = 7 * 24 * time.Hour

// maxAge bounds durations so that arithmetic never overflows (100 years).
const maxAge = 100 * 365 * 24 * time.Hour

// Parse turns --since and --until into a window [start, end). Each accepts
// a duration back from now (7d, 36h, 90m, 2w, 1d12h) or a point in time
// (RFC 3339, or a UTC date 2006-01-02). Empty since means 7 days before
// end; empty until means now.
func Parse(since, until string, now time.Time) (start, end time.Time, err error) {
	end = now.UTC()
	if until != "" {
		if end, err = parsePoint(until, now); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--until: %w", err)
		}
	}
	start = end.Add(-DefaultSince)
	if since != "" {
		if start, err = parsePoint(since, now); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--since: %w", err)
		}
	}
	if !start.Before(end) {
		return time.Time{}, time.Time{}, fmt.Errorf("the window is empty: --since %s is not before --until %s; give an earlier --since or a later --until",
			start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	return start, end, nil
}

func parsePoint(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration (7d, 36h, 90m, 2w, 1d12h) nor a time (RFC 3339 such as 2026-11-20T08:00:00Z, or a date 2026-11-20)", s)
	}
	return now.UTC().Add(-d), nil
}

// ParseDuration reads a positive duration made of <number><unit> parts with
// units w (weeks), d (days), h, m, s.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf("bad duration %q: want parts like 7d or 36h", s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n > int64(maxAge/time.Second) {
			return 0, fmt.Errorf("duration %q is too long: at most 100 years", s)
		}
		var unit time.Duration
		switch rest[i] {
		case 'w':
			unit = 7 * 24 * time.Hour
		case 'd':
			unit = 24 * time.Hour
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		case 's':
			unit = time.Second
		default:
			return 0, fmt.Errorf("bad duration unit %q in %q: use w, d, h, m or s", rest[i], s)
		}
		if n > int64(maxAge/unit) {
			return 0, fmt.Errorf("duration %q is too long: at most 100 years", s)
		}
		total += time.Duration(n) * unit
		if total > maxAge {
			return 0, fmt.Errorf("duration %q is too long: at most 100 years", s)
		}
		rest = rest[i+1:]
	}
	if total <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	return total, nil
}
