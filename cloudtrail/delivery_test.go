package cloudtrail

import (
	"context"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail/cloudtrailtest"
)

func TestDeliveryWindowPlace(t *testing.T) {
	q := Query{Start: time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 12, 6, 30, 0, 0, time.UTC)}
	name := func(at string) string { return "111122223333_CloudTrail_us-east-1_" + at + "_ab12.json.gz" }
	for _, tc := range []struct {
		name string
		want int
	}{
		{name("20260310T0958Z"), deliveredEarly}, // delivered by 09:58:59, more than an hour before 11:00
		{name("20260310T0959Z"), deliveredInside},
		{name("20260311T1200Z"), deliveredInside},
		// The window ends on the 12th: S3 lists day folders up to the
		// 13th (the end plus a day), so files delivered until the 13th's
		// last minute are read.
		{name("20260313T2359Z"), deliveredInside},
		{name("20260314T0000Z"), deliveredLate},
		{name("20270101T0000Z"), deliveredLate},
		{"111122223333_CloudTrail_us-east-1_20200101T0000Z_ab12.json", deliveredEarly},
		{"111122223333_CloudTrail_us-east-1_20200101T0000Z.json.gz", deliveredInside},      // not CloudTrail's name: read
		{"111122223333_CloudTrail_us-east-1_20201341T0000Z_ab12.json.gz", deliveredInside}, // no such date: read
		{"events-2020.json", deliveredInside},
	} {
		if got := newDeliveryWindow(q, DefaultDeliverySlack).place(tc.name, time.Time{}); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	// No window: nothing is passed over.
	if got := newDeliveryWindow(Query{}, DefaultDeliverySlack).place(name("20000101T0000Z"), time.Time{}); got != deliveredInside {
		t.Errorf("no window: %d", got)
	}
	// The window's end at midnight: its last day is the day before.
	end := newDeliveryWindow(Query{End: time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)}, DefaultDeliverySlack)
	if got := end.place(name("20260312T2359Z"), time.Time{}); got != deliveredInside {
		t.Errorf("end at midnight, delivered the next day: %d", got)
	}
	if got := end.place(name("20260313T0000Z"), time.Time{}); got != deliveredLate {
		t.Errorf("end at midnight, delivered two days later: %d", got)
	}
	// In a day folder, a name that says late is late only when the folder
	// is: S3 reads what the window's day folders hold, whatever the names.
	for _, tc := range []struct {
		folder time.Time
		want   int
	}{
		{time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC), deliveredInside},
		{time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC), deliveredLate},
		{time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), deliveredLate},
	} {
		if got := end.place(name("20260330T0000Z"), tc.folder); got != tc.want {
			t.Errorf("named late, in the day folder of %s: %d, want %d", tc.folder.Format(time.DateOnly), got, tc.want)
		}
	}
	// A folder never makes a file named inside the window late.
	if got := end.place(name("20260311T0000Z"), time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)); got != deliveredInside {
		t.Errorf("named inside, in a later day folder: %d", got)
	}
}

func TestLayoutDay(t *testing.T) {
	for dir, want := range map[string]string{
		"/x/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/12":    "2026-03-12",
		"AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2026/12/31": "2026-12-31",
		"us-east-1/2026/03/12":          "2026-03-12",
		"/x/2026/03/12":                 "",
		"/x/us-east-1/2026/3/12":        "",
		"/x/us-east-1/2026/13/01":       "",
		"/x/us-east-1/2026/03":          "",
		"/x/us-east-1/2026/03/12/extra": "",
	} {
		got := ""
		if d := layoutDay(dir); !d.IsZero() {
			got = d.Format(time.DateOnly)
		}
		if got != want {
			t.Errorf("layoutDay(%q) = %q, want %q", dir, got, want)
		}
	}
}

// A folder walk passes over the log files the window rules out by their
// names, counts them and says why; an explicit path is read.
func TestFileSourceDeliveryWindow(t *testing.T) {
	dir := t.TempDir()
	day := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/"
	doc := func(id string) []byte { return gzipBytes(t, recordsDoc(t, set(assumeRole(), "eventID", id))) }
	writeFile(t, dir, day+"01/111122223333_CloudTrail_us-east-1_20260301T1200Z_a.json.gz", doc("early1"))
	writeFile(t, dir, day+"10/111122223333_CloudTrail_us-east-1_20260310T0900Z_b.json.gz", doc("early2"))
	writeFile(t, dir, day+"10/111122223333_CloudTrail_us-east-1_20260310T1030Z_c.json.gz", doc("in1"))
	writeFile(t, dir, day+"11/111122223333_CloudTrail_us-east-1_20260311T0000Z_d.json.gz", doc("in2"))
	writeFile(t, dir, day+"12/111122223333_CloudTrail_us-east-1_20260312T2359Z_e.json.gz", doc("in3"))
	writeFile(t, dir, day+"13/111122223333_CloudTrail_us-east-1_20260313T0000Z_f.json.gz", doc("late1"))
	writeFile(t, dir, day+"20/111122223333_CloudTrail_us-east-1_20260320T0000Z_g.json.gz", doc("late2"))
	writeFile(t, dir, "renamed/events.json.gz", doc("other"))
	// Named late, in a day folder of the window (renamed, or delivered
	// again): read, as the S3 source reads that folder.
	writeFile(t, dir, day+"11/111122223333_CloudTrail_us-east-1_20260330T0000Z_h.json.gz", doc("in4"))

	q := Query{Start: time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	var ids []string
	st, err := NewFileSource([]string{dir}, FileOptions{Workers: 2}).Read(context.Background(), q, func(e Event) {
		mu.Lock()
		ids = append(ids, e.EventID)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 5 || st.FilesSkipped != 4 || st.AssumeRole != 5 || len(ids) != 5 || !slices.Contains(ids, "in4") {
		t.Errorf("%d files read, %d skipped, %d assume-role records, events %v; want 5, 4, 5 with in4", st.Files, st.FilesSkipped, st.AssumeRole, ids)
	}
	want := map[string]bool{
		"2 log files delivered more than an hour before the window starts (by the time in their names): they cannot hold events of the window": true,
		"2 log files delivered more than a day after the window ends (by the time in their names): CloudTrail delivers events within minutes":  true,
	}
	for _, s := range st.Skipped {
		if s.Item != dir {
			t.Errorf("Skipped item %q, want the source %q", s.Item, dir)
		}
		if !want[s.Reason] {
			t.Errorf("unexpected Skipped reason %q", s.Reason)
		}
		delete(want, s.Reason)
	}
	for r := range want {
		t.Errorf("missing Skipped reason %q", r)
	}

	// A file named explicitly is read, whatever its delivery time.
	p := filepath.Join(dir, day+"01/111122223333_CloudTrail_us-east-1_20260301T1200Z_a.json.gz")
	st, err = NewFileSource([]string{p}, FileOptions{}).Read(context.Background(), q, func(Event) {})
	if err != nil || st.Files != 1 || st.FilesSkipped != 0 {
		t.Errorf("explicit early file: %+v %v", st, err)
	}
}

func TestWithGlobalRegion(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, nil},
		{[]string{"all"}, []string{"all"}},
		{[]string{"eu-west-1"}, []string{"eu-west-1", "us-east-1"}},
		{[]string{"us-east-1", "eu-west-1"}, []string{"us-east-1", "eu-west-1"}},
		{[]string{"eu-west-1", "all"}, []string{"eu-west-1", "all"}},
		{[]string{"us-gov-east-1"}, []string{"us-gov-east-1", "us-gov-west-1"}},
		{[]string{"cn-northwest-1", "eu-west-1"}, []string{"cn-northwest-1", "eu-west-1", "cn-north-1", "us-east-1"}},
		// The other partitions have their own global region too.
		{[]string{"us-iso-west-1"}, []string{"us-iso-west-1", "us-iso-east-1"}},
		{[]string{"eusc-de-east-1"}, []string{"eusc-de-east-1"}},
		{[]string{"us-isof-east-1"}, []string{"us-isof-east-1", "us-isof-south-1"}},
	} {
		in := slices.Clone(tc.in)
		if got := WithGlobalRegion(in); !slices.Equal(got, tc.want) {
			t.Errorf("WithGlobalRegion(%v) = %v, want %v", tc.in, got, tc.want)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("WithGlobalRegion changed its argument: %v", in)
		}
	}
}

// FuzzDeliveryWindow: a folder walk passes over exactly the log files the
// S3 source would not list (a day folder outside dayFolders, or delivered
// more than nameTimeMargin before the window), whatever the window.
func FuzzDeliveryWindow(f *testing.F) {
	f.Add(int64(0), int64(3600), int64(1800), int32(330))
	f.Add(int64(86399), int64(86400), int64(172799), int32(-600))
	f.Fuzz(func(t *testing.T, startSec, length, atSec int64, offsetMin int32) {
		base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		if length <= 0 || length > 400*86400 || startSec < -400*86400 || startSec > 400*86400 || atSec < -800*86400 || atSec > 800*86400 {
			t.Skip()
		}
		zone := time.FixedZone("", int(offsetMin%(14*60))*60)
		start := base.Add(time.Duration(startSec) * time.Second).In(zone)
		end := start.Add(time.Duration(length) * time.Second)
		at := base.Add(time.Duration(atSec) * time.Second).Truncate(time.Minute)
		name := "111122223333_CloudTrail_us-east-1_" + at.Format("20060102T1504Z") + "_ab12.json.gz"
		got := newDeliveryWindow(Query{Start: start, End: end}, DefaultDeliverySlack).place(name, time.Time{})
		listed := slices.Contains(dayFolders(start, end, DefaultDeliverySlack), at.Format("2006/01/02/"))
		early := at.Add(time.Minute).Before(start.Add(-nameTimeMargin))
		want := deliveredInside
		switch {
		case early:
			want = deliveredEarly
		case !listed && at.After(start):
			want = deliveredLate
		}
		if got != want {
			t.Fatalf("window %v..%v, file delivered %v: place %d, want %d (listed %v)", start, end, at, got, want, listed)
		}
	})
}

// The whole days of the window on which no log file of a needed account
// was delivered are named, in runs; a source that cannot tell its days,
// an account no source holds, a partial day and an open window are not
// judged.
func TestDeliveryGaps(t *testing.T) {
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 7)
	days := func(ds ...int) []string {
		var out []string
		for _, d := range ds {
			out = append(out, start.AddDate(0, 0, d).Format(time.DateOnly))
		}
		return out
	}
	files := Stats{Source: "logs", AccountsKnown: true, Accounts: []string{"111122223333", "444455556666"}, DeliveredKnown: true,
		Delivered: map[string][]string{"111122223333": days(0, 1, 2, 3, 4, 5, 6), "444455556666": days(5)}}
	s3 := Stats{Source: "s3://b/", AccountsKnown: true, Accounts: []string{"444455556666"}, DeliveredKnown: true,
		Delivered: map[string][]string{"444455556666": days(0, 2)}}
	both := []string{"111122223333", "444455556666"}
	const tail = ": if its logs lack "
	for _, tc := range []struct {
		name       string
		needed     []string
		stats      []Stats
		start, end time.Time
		want       []string
	}{
		{"every day", []string{"111122223333"}, []Stats{files}, start, end, nil},
		{"one day of seven", both, []Stats{files}, start, end, []string{
			"no log file of account 444455556666 was delivered on 2026-11-16 to 2026-11-20, 2026-11-22, whole days of the window (by the CloudTrail names of the files of logs)" + tail + "those days"}},
		{"two sources together", both, []Stats{files, s3}, start, end, []string{
			"no log file of account 444455556666 was delivered on 2026-11-17, 2026-11-19 to 2026-11-20, 2026-11-22, whole days of the window (by the CloudTrail names of the files of logs, s3://b/)" + tail + "those days"}},
		{"partial days are not judged", both, []Stats{files}, start.Add(time.Hour), start.AddDate(0, 0, 2).Add(time.Hour), []string{
			"no log file of account 444455556666 was delivered on 2026-11-17, whole day of the window (by the CloudTrail names of the files of logs)" + tail + "that day"}},
		{"no whole day", both, []Stats{files}, start.Add(time.Hour), start.AddDate(0, 0, 1), nil},
		{"an account no source holds", []string{"777788889999"}, []Stats{files}, start, end, nil},
		{"a source that cannot tell", both, []Stats{files, {Source: "lookup:", AccountsKnown: true, Accounts: []string{"444455556666"}}}, start, end, nil},
		{"open window", both, []Stats{files}, start, time.Time{}, nil},
	} {
		got := DeliveryGaps(tc.needed, tc.stats, tc.start, tc.end)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tc.want[i]) {
				t.Errorf("%s: %q, want it to start with %q", tc.name, got[i], tc.want[i])
			}
		}
	}
}

// The file and S3 sources tell the days their log files' names give, per
// account, read or passed over; a log file with another name makes them
// unknown.
func TestSourcesTellDeliveryDays(t *testing.T) {
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	doc := gzipBytes(t, recordsDoc(t, set(assumeRole(), "eventTime", at.Format(time.RFC3339))))
	objs := map[string][]byte{
		cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(5*time.Minute), "A"):             doc,
		cloudtrailtest.Key("", "111122223333", "eu-west-1", at.AddDate(0, 0, 1), "B"):               doc,
		cloudtrailtest.Key("o-abcdefghij", "444455556666", "us-east-1", at.Add(-30*time.Hour), "C"): doc, // passed over: early
	}
	q := Query{Start: at.Add(-time.Hour), End: at.AddDate(0, 0, 2)}
	want := map[string][]string{"111122223333": {"2026-03-10", "2026-03-11"}, "444455556666": {"2026-03-09"}}
	dir := t.TempDir()
	for k, v := range objs {
		writeFile(t, dir, k, v)
	}
	fileSt, err := NewFileSource([]string{dir}, FileOptions{}).Read(context.Background(), q, func(Event) {})
	if err != nil {
		t.Fatal(err)
	}
	s3St, err := newS3Source(&flakyS3{objects: objs}, "us-east-1", "b", "", S3Options{}).Read(context.Background(), Query{Start: at.AddDate(0, 0, -1), End: q.End}, func(Event) {})
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]Stats{"files": fileSt, "s3": s3St} {
		if !st.DeliveredKnown || !reflect.DeepEqual(st.Delivered, want) {
			t.Errorf("%s: delivered %v (known %v), want %v", name, st.Delivered, st.DeliveredKnown, want)
		}
	}
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/10/events.json.gz", doc)
	fileSt, err = NewFileSource([]string{dir}, FileOptions{}).Read(context.Background(), q, func(Event) {})
	if err != nil || fileSt.DeliveredKnown || fileSt.AccountsKnown {
		t.Errorf("a file without CloudTrail's name: known %v %v, error %v", fileSt.DeliveredKnown, fileSt.AccountsKnown, err)
	}
}

// The expression of the names that deliveryTime reads by hand.
var deliveryTimeRE = regexp.MustCompile(`_CloudTrail_[^_/]+_([0-9]{8}T[0-9]{4}Z)_[^_/]+$`)

// deliveryTime reads a name as deliveryTimeRE does.
func FuzzDeliveryTime(f *testing.F) {
	for _, s := range []string{
		"111122223333_CloudTrail_us-east-1_20261120T0805Z_abc.json.gz",
		"111122223333_CloudTrail_us-east-1_20261120T0805Z_abc.json",
		"111122223333_CloudTrail_us-east-1_20261320T0805Z_abc.json.gz", // month 13
		"_CloudTrail_r_20261120T0805Z_u",
		"CloudTrail_r_20261120T0805Z_u",
		"a_CloudTrail__20261120T0805Z_u",
		"a_CloudTrail_r_20261120T0805Z_",
		"a_CloudTrail_r_2026112OT0805Z_u",
		"x/y_CloudTrail_r_20261120T0805Z_u",
		"a_CloudTrail_r/s_20261120T0805Z_u",
		"a_CloudTrail_r_20261120T0805Z_u/v",
		"a_CloudTrail_r_x_20261120T0805Z_u",
		"a_CloudTrail_r_20261120T0805Z_u_v",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		var want time.Time
		wantOK := false
		if m := deliveryTimeRE.FindStringSubmatch(strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".json")); m != nil {
			at, err := time.Parse("20060102T1504Z", m[1])
			want, wantOK = at, err == nil
		}
		if at, ok := deliveryTime(name); ok != wantOK || !at.Equal(want) {
			t.Errorf("deliveryTime(%q) = %v, %t; the expression reads %v, %t", name, at, ok, want, wantOK)
		}
	})
}
