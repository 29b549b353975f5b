// Package timewindow parses the --since and --until flags.
package timewindow

import (
	"errors"
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
// a duration (7d, 36h, 90m, 2w, 1d12h) or a point in time (RFC 3339, a
// UTC date 2006-01-02, or today or yesterday: UTC dates too). A duration --until counts back from now; a
// duration --since counts back from --until when that is a point in time
// (--since 7d --until 2026-11-23T00:00:00Z is the 7 days before the 23rd),
// else from now. A date as --until includes that day (the window ends at
// the next midnight). Empty since means 7 days before end; empty until means now.
// Now counts in whole seconds, rounded up. A window that starts after now,
// or is longer than 100 years, is refused; one that ends after now ends now.
func Parse(since, until string, now time.Time) (start, end time.Time, err error) {
	// Reports show whole seconds: now is rounded up, so that a window
	// from the start of today is never empty.
	if t := now.UTC().Truncate(time.Second); t.Before(now) {
		now = t.Add(time.Second)
	} else {
		now = t
	}
	end = now
	untilPoint := false
	if until != "" {
		var k kind
		if end, k, err = parsePoint(until, now, now); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--until: %w", err)
		}
		untilPoint = k != kindDuration
		if k == kindDate {
			end = end.AddDate(0, 0, 1) // the whole day
		}
	}
	start = end.Add(-DefaultSince)
	if since != "" {
		base := now
		if untilPoint {
			base = end
		}
		if start, _, err = parsePoint(since, base, now); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--since: %w", err)
		}
	}
	// A start in the future is told first: a later --until cannot mend it.
	if start.After(now) {
		fix := "give an earlier --since"
		if since == "" {
			fix = "give an earlier --until, or a --since"
		}
		return time.Time{}, time.Time{}, fmt.Errorf("the window starts in the future, %s (--since %s; now is %s): no activity can be in it yet; %s",
			start.Format(time.RFC3339Nano), shown(since, "default: 7 days before --until"), now.Format(time.RFC3339Nano), fix)
	}
	if !start.Before(end) {
		return time.Time{}, time.Time{}, fmt.Errorf("the window is empty: it starts %s (--since %s) and ends %s (--until %s%s); give an earlier --since or a later --until",
			start.Format(time.RFC3339), shown(since, "default: 7 days before --until"), end.Format(time.RFC3339), shown(until, "default: now"), dateNote(until))
	}
	if end.After(now) {
		end = now // nothing after now can be read yet (--until today)
		if !start.Before(end) {
			return time.Time{}, time.Time{}, fmt.Errorf("the window is empty: it starts now, %s (--since %s); give an earlier --since", start.Format(time.RFC3339), shown(since, ""))
		}
	}
	if end.Sub(start) > maxAge {
		return time.Time{}, time.Time{}, fmt.Errorf("the window from %s to %s is longer than 100 years; give a later --since or an earlier --until",
			start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	return start, end, nil
}

// shown is a flag's value as given, or what its default was.
func shown(v, dflt string) string {
	if strings.TrimSpace(v) == "" {
		return dflt
	}
	return strings.TrimSpace(v)
}

// dateNote explains the end of a window whose --until is a date.
func dateNote(until string) string {
	if _, k, err := parsePoint(until, time.Time{}, time.Time{}); err == nil && k == kindDate {
		return ", a date: the window includes that day"
	}
	return ""
}

// kind is what a --since or --until value was written as.
type kind int

const (
	kindTime kind = iota
	kindDate
	kindDuration
)

// badDate says what is wrong with s when it starts as a date does
// (2026-11-20…) and does not parse as one or as an RFC 3339 time: a month,
// day or hour out of range, a space instead of the T, or a time without a
// zone. It is nil for anything else.
func badDate(s string) error {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:10]) {
		return nil
	}
	if len(s) > 11 && s[10] == ' ' {
		// A space where RFC 3339 puts the T, as many tools print times.
		fixed := s[:10] + "T" + strings.TrimLeft(s[11:], " ")
		if _, err := time.Parse(time.RFC3339Nano, fixed); err == nil {
			return fmt.Errorf("%q has a space between the date and the time: RFC 3339 puts a T there, as in %s", s, fixed)
		}
		if noZone(fixed) {
			return fmt.Errorf("%q has a space between the date and the time, and no time zone: use RFC 3339, such as %sZ for UTC or %s+01:00", s, fixed, fixed)
		}
	}
	layout := "2006-01-02"
	if len(s) > 10 {
		layout = time.RFC3339Nano
		if noZone(s) {
			return fmt.Errorf("%q has no time zone: use RFC 3339 with a zone, such as %sZ for UTC or %s+01:00", s, s, s)
		}
	}
	var pe *time.ParseError
	if _, err := time.Parse(layout, s); errors.As(err, &pe) && pe.Message != "" {
		// Message is ": month out of range" and the like.
		return fmt.Errorf("%q is not a time%s: give a UTC date such as 2026-11-20, or RFC 3339 with a zone such as 2026-11-20T08:00:00Z", s, pe.Message)
	}
	return nil
}

// noZone reports whether s is an RFC 3339 time without its zone.
func noZone(s string) bool {
	_, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	return err == nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parsePoint reads a point in time, or a duration back from base; today
// and yesterday are the UTC dates of now and the day before.
func parsePoint(s string, base, now time.Time) (time.Time, kind, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "now":
		return now.UTC(), kindTime, nil
	case "today", "yesterday":
		day := now.UTC().Truncate(24 * time.Hour)
		if s == "yesterday" {
			day = day.AddDate(0, 0, -1)
		}
		return day, kindDate, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), kindTime, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), kindDate, nil
	}
	if err := badDate(s); err != nil {
		return time.Time{}, kindTime, err
	}
	d, err := ParseDuration(s)
	if err != nil && s != "" && s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-:T") {
		// Written as a duration: say what is wrong with it.
		return time.Time{}, kindDuration, fmt.Errorf("%w (a duration such as 7d, 36h, 90m, 2w or 1d12h; m is minutes)", err)
	}
	if err != nil {
		return time.Time{}, kindTime, fmt.Errorf("%q is neither a duration (7d, 36h, 90m, 2w, 1d12h; m is minutes) nor a time (RFC 3339 with a zone such as 2026-11-20T08:00:00Z, a UTC date 2026-11-20, now, today or yesterday)", s)
	}
	return base.UTC().Add(-d), kindDuration, nil
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
