package cloudtrail

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/awsaccount"
	"github.com/sentinel-check/sentinel-check/internal/english"
)

// nameTimeMargin is how far before the window's start a log file may be
// delivered (by the time in its name) and still be read. A file cannot hold
// events later than its delivery; the margin covers the name's minute
// precision and clock differences generously.
const nameTimeMargin = time.Hour

// deliveryTime returns the delivery time in a log file's name, to the
// minute; ok is false for a name that is not CloudTrail's
// (<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json[.gz]).
//
// It reads every log file's name, so it takes the name apart by hand: from
// the end, <unique>, the time and <region> hold no underscore (nor a
// slash), and "_CloudTrail" comes before them: the names that
// `_CloudTrail_[^_/]+_([0-9]{8}T[0-9]{4}Z)_[^_/]+$` matches
// (FuzzDeliveryTime compares the two).
func deliveryTime(name string) (at time.Time, ok bool) {
	rest := strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".json")
	var parts [3]string // unique, time, region
	for i := range parts {
		j := strings.LastIndexByte(rest, '_')
		if j < 0 {
			return time.Time{}, false
		}
		parts[i], rest = rest[j+1:], rest[:j]
	}
	if !strings.HasSuffix(rest, "_CloudTrail") || !plainPart(parts[0]) || !plainPart(parts[2]) || !isStamp(parts[1]) {
		return time.Time{}, false
	}
	at, err := time.Parse("20060102T1504Z", parts[1])
	return at, err == nil
}

// plainPart tells whether s is a non-empty part of a name without a slash.
func plainPart(s string) bool { return s != "" && !strings.Contains(s, "/") }

// isStamp tells whether s has the form of a name's time: YYYYMMDDTHHmmZ.
func isStamp(s string) bool {
	return len(s) == 14 && allDigits(s[:8]) && s[8] == 'T' && allDigits(s[9:13]) && s[13] == 'Z'
}

// allDigits tells whether s is ASCII digits only.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// nameAccount returns the account that starts a log file's CloudTrail name
// (<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json[.gz], whose
// time deliveryTime reads); ok is false for another start.
func nameAccount(name string) (account string, ok bool) {
	account, rest, _ := strings.Cut(name, "_")
	return account, awsaccount.IsID(account) && strings.HasPrefix(rest, "CloudTrail_")
}

// deliveryDays holds, per account, the UTC days on which log files were
// delivered, by their CloudTrail names, and counts the log files whose
// names give no account or time.
type deliveryDays struct {
	days    map[string]map[string]bool // account -> YYYY-MM-DD
	unnamed int64
}

// note notes a log file by its name.
func (d *deliveryDays) note(name string) {
	at, ok := deliveryTime(name)
	acct, named := nameAccount(name)
	if !ok || !named {
		d.unnamed++
		return
	}
	if d.days == nil {
		d.days = map[string]map[string]bool{}
	}
	m := d.days[acct]
	if m == nil {
		m = map[string]bool{}
		d.days[acct] = m
	}
	m[at.Format(time.DateOnly)] = true
}

// byAccount returns the days of each account, in order.
func (d *deliveryDays) byAccount() map[string][]string {
	out := make(map[string][]string, len(d.days))
	for a, m := range d.days {
		out[a] = slices.Sorted(maps.Keys(m))
	}
	return out
}

// DeliveryGaps names, for each account of needed that the sources hold the
// logs of, the whole UTC days of the window [start, end) on which no log
// file of it was delivered, by the files' CloudTrail names: a copy that
// holds only some of the window's days (a partial sync, a lifecycle rule,
// a trail created during the window) would otherwise be judged as if it
// held them all. An idle account has such days too, so each is a coverage
// warning (SC2002), not an error. It judges only when every source can
// tell the days (Stats.DeliveredKnown: local files and S3 whose log files
// all have CloudTrail's names) and the window is closed.
func DeliveryGaps(needed []string, stats []Stats, start, end time.Time) []string {
	if len(needed) == 0 || len(stats) == 0 || start.IsZero() || end.IsZero() {
		return nil
	}
	held := map[string]map[string]bool{}
	var names []string
	for _, st := range stats {
		if !st.DeliveredKnown || !st.AccountsKnown {
			return nil
		}
		names = append(names, st.Source)
		for _, a := range st.Accounts {
			if held[a] == nil {
				held[a] = map[string]bool{}
			}
			for _, d := range st.Delivered[a] {
				held[a][d] = true
			}
		}
	}
	s := start.UTC()
	first := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, time.UTC)
	if first.Before(s) {
		first = first.AddDate(0, 0, 1)
	}
	var out []string
	for _, a := range slices.Compact(slices.Sorted(slices.Values(needed))) {
		days, ok := held[a]
		if !ok {
			continue // no source holds it: see the account coverage warning
		}
		var missing []time.Time
		for d := first; !d.AddDate(0, 0, 1).After(end); d = d.AddDate(0, 0, 1) {
			if !days[d.Format(time.DateOnly)] {
				missing = append(missing, d)
			}
		}
		if len(missing) == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("no log file of account %s was delivered on %s, whole %s of the window (by the CloudTrail names of the files of %s): if its logs lack %s (a partial copy, a lifecycle rule, a trail created later), sessions opened in it then are not seen; an idle account has no log files either; check the logs, or keep --since and --until within the days they hold",
			a, dayRanges(missing), english.Plural(len(missing), "day", "days"), strings.Join(names, ", "), english.Plural(len(missing), "that day", "those days")))
	}
	return out
}

// dayRanges shows days (in order) as runs: "2026-11-16 to 2026-11-19,
// 2026-11-21".
func dayRanges(days []time.Time) string {
	var parts []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && days[j+1].Equal(days[j].AddDate(0, 0, 1)) {
			j++
		}
		part := days[i].Format(time.DateOnly)
		if j > i {
			part += " to " + days[j].Format(time.DateOnly)
		}
		parts = append(parts, part)
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// deliveredBefore reports whether a log file's name says it was delivered
// before t. A name without a delivery time is never "before".
func deliveredBefore(name string, t time.Time) bool {
	at, ok := deliveryTime(name)
	// The name has minute precision: the file was delivered before at+1min.
	return ok && at.Add(time.Minute).Before(t)
}

// deliveryWindow holds, by the time in their names, the log files that the
// S3 source lists for a window: the others cannot hold its events. A file
// delivered more than nameTimeMargin before the window starts holds only
// earlier events; one delivered after the day of the window's end plus the
// delivery slack lies in a day folder the S3 source does not list
// (CloudTrail delivers a file within minutes of its events). A name that
// is not CloudTrail's is always inside.
type deliveryWindow struct {
	earliest time.Time // zero: no lower bound
	end      time.Time // files delivered at or after it are late; zero: no upper bound
}

func newDeliveryWindow(q Query, slack time.Duration) deliveryWindow {
	var d deliveryWindow
	if !q.Start.IsZero() {
		d.earliest = q.Start.Add(-nameTimeMargin)
	}
	if !q.End.IsZero() && q.End.After(q.Start) {
		// The day after the last day folder dayFolders lists.
		t := q.End.Add(-time.Nanosecond).Add(slack).UTC()
		d.end = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
	}
	return d
}

// Placement of a log file by its delivery time.
const (
	deliveredInside = iota
	deliveredEarly
	deliveredLate
)

// place tells where a log file named name falls. folder is the day of
// the layout's day folder that holds it (…/<region>/YYYY/MM/DD; zero: none):
// a file named late in a day folder of the window is read, as the S3
// source reads what the window's day folders hold, whatever the names say
// (a file renamed or delivered again keeps its folder).
func (d deliveryWindow) place(name string, folder time.Time) int {
	at, ok := deliveryTime(name)
	switch {
	case !ok:
		return deliveredInside
	case !d.earliest.IsZero() && at.Add(time.Minute).Before(d.earliest):
		return deliveredEarly
	case !d.end.IsZero() && !at.Before(d.end) && (folder.IsZero() || !folder.Before(d.end)):
		return deliveredLate
	}
	return deliveredInside
}

// layoutDay returns the day of the day folder of CloudTrail's layout that
// dir is (…/<region>/YYYY/MM/DD), and the zero time when it is none.
func layoutDay(dir string) time.Time {
	segs := strings.Split(filepath.ToSlash(dir), "/")
	if len(segs) < 4 || !isRegionName(segs[len(segs)-4]) {
		return time.Time{}
	}
	y, m, d := segs[len(segs)-3], segs[len(segs)-2], segs[len(segs)-1]
	if len(y) != 4 || len(m) != 2 || len(d) != 2 {
		return time.Time{}
	}
	t, err := time.Parse("2006/01/02", y+"/"+m+"/"+d)
	if err != nil {
		return time.Time{}
	}
	return t
}

// deliverySkips are the Skipped entries of the log files of item passed
// over by their delivery time: one entry for each kind, with the count.
func deliverySkips(item string, early, late int64) []Skip {
	var out []Skip
	if early > 0 {
		out = append(out, Skip{Item: item, Reason: english.Count(early, "log file", "log files") +
			" delivered more than an hour before the window starts (by the time in their names): they cannot hold events of the window"})
	}
	if late > 0 {
		out = append(out, Skip{Item: item, Reason: english.Count(late, "log file", "log files") +
			" delivered more than a day after the window ends (by the time in their names): CloudTrail delivers events within minutes"})
	}
	return out
}

// dateFolderCover judges prefixes or folders (what names them) that end in
// a year, month or day folder of CloudTrail's layout, of one region (dates:
// their YYYY[/MM[/DD]]), against the window of q. Together they must hold
// every day of the window: the days outside them would be lost silently,
// and missing says so. The day folders after the window's end where log
// files of its last events may be delivered (slack) are only a coverage
// gap: warning names those they do not hold. Both are empty when dates is
// or the window is open.
func dateFolderCover(dates []string, q Query, slack time.Duration, what string) (missing error, warning string) {
	if len(dates) == 0 || q.Start.IsZero() || q.End.IsZero() {
		return nil, ""
	}
	want := strings.Join(dates, ", ")
	inWindow := len(dayFolders(q.Start, q.End, 0))
	var outside []string
	for i, d := range dayFolders(q.Start, q.End, slack) {
		if slices.ContainsFunc(dates, func(date string) bool { return strings.HasPrefix(d, date+"/") }) {
			continue
		}
		if i < inWindow {
			return fmt.Errorf("the %s's date %s %s %s not hold the window's day %s: give the CloudTrail folder above (…/CloudTrail/), or keep --since and --until within %s",
				what, english.Plural(len(dates), "folder", "folders"), want, english.Plural(len(dates), "does", "do"), strings.TrimSuffix(d, "/"), want), ""
		}
		outside = append(outside, strings.TrimSuffix(d, "/"))
	}
	if len(outside) == 0 {
		return nil, ""
	}
	// CloudTrail delivers within minutes, but not always: a late file of
	// the window's last events is in them. A coverage gap (SC2002).
	return nil, fmt.Sprintf("day folders %s, where log files of the window's last events may be delivered, are outside the %s's date %s %s and not read",
		strings.Join(outside, ", "), what, english.Plural(len(dates), "folder", "folders"), want)
}
