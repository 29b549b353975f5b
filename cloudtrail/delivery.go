package cloudtrail

import (
	"fmt"
	"slices"
	"strings"
	"time"

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
func deliveryTime(name string) (at time.Time, ok bool) {
	m := deliveryTimePattern.FindStringSubmatch(strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".json"))
	if m == nil {
		return time.Time{}, false
	}
	at, err := time.Parse("20060102T1504Z", m[1])
	return at, err == nil
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

// place tells where a log file named name falls.
func (d deliveryWindow) place(name string) int {
	at, ok := deliveryTime(name)
	switch {
	case !ok:
		return deliveredInside
	case !d.earliest.IsZero() && at.Add(time.Minute).Before(d.earliest):
		return deliveredEarly
	case !d.end.IsZero() && !at.Before(d.end):
		return deliveredLate
	}
	return deliveredInside
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
