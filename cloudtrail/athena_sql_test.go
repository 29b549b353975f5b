package cloudtrail

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// update is the package's -update flag: go test ./cloudtrail -run Golden -update
// rewrites the golden files under testdata/.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cloudtrail -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test ./cloudtrail -update if the change is intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAthenaSQLGolden(t *testing.T) {
	single := AthenaPartitions{Timestamp: "timestamp", Region: "region"}
	tests := []struct {
		name  string
		parts AthenaPartitions
		db    string
		table string
		q     Query
	}{
		{
			// The table of the Athena documentation: one account, regions
			// as a partition; a week across the end of November.
			name: "single_account_month_end", parts: single, db: "security", table: "cloudtrail_logs_pp",
			q: Query{Start: utc("2026-11-26T00:00:00Z"), End: utc("2026-12-03T00:00:00Z")},
		},
		{
			name: "single_account_regions", parts: single, db: "security", table: "cloudtrail_logs_pp",
			q: Query{Start: utc("2026-11-30T08:15:30.250Z"), End: utc("2026-12-01T17:45:00.5Z"),
				Regions: []string{"us-east-1", "eu-west-1", "us-east-1"}},
		},
		{
			// athena-ddl's organisation table; a window across the year end.
			name: "organisation_year_end", parts: DefaultAthenaPartitions, db: "org_trail", table: "cloudtrail_logs",
			q: Query{Start: utc("2026-12-31T12:00:00Z"), End: utc("2027-01-01T12:00:00Z"),
				Accounts: []string{"444455556666", "111122223333"}, Regions: []string{"eu-west-1", "us-east-1"}},
		},
		{
			// February of a leap year, ending exactly at midnight.
			name: "organisation_leap_february", parts: DefaultAthenaPartitions, db: "org_trail", table: "cloudtrail_logs",
			q: Query{Start: utc("2028-02-28T00:00:00Z"), End: utc("2028-03-01T00:00:00Z"), Accounts: []string{"111122223333"}},
		},
		{
			name: "custom_partitions_all_regions", parts: AthenaPartitions{Timestamp: "dt", Account: "acct"}, db: "logs", table: "trail",
			q: Query{Start: utc("2026-05-01T00:00:00Z"), End: utc("2026-05-08T00:00:00Z"), Regions: []string{"all"}, Accounts: []string{"111122223333"}},
		},
		{
			// A table without partitions: the query cannot prune and scans it all.
			name: "no_partitions", parts: AthenaPartitions{}, db: "logs", table: "trail",
			q: Query{Start: utc("2026-05-01T00:00:00Z"), End: utc("2026-05-08T00:00:00Z"), Regions: []string{"eu-central-1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, err := AthenaSQL(tt.db, tt.table, tt.parts, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("athena", tt.name+".sql"), sql)
		})
	}
}

// The partition range covers the window's days plus a day of delivery
// slack after the end: the day folders the S3 source lists.
func TestAthenaSQLDays(t *testing.T) {
	tests := []struct{ start, end, from, to string }{
		{"2026-11-30T23:00:00Z", "2026-12-01T00:00:00Z", "2026/11/30", "2026/12/01"},
		{"2026-11-30T23:00:00Z", "2026-12-01T00:00:00.000000001Z", "2026/11/30", "2026/12/02"},
		{"2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z", "2026/12/31", "2027/01/01"},
		{"2026-12-30T10:00:00Z", "2026-12-31T10:00:00Z", "2026/12/30", "2027/01/01"},
		{"2028-02-28T12:00:00Z", "2028-02-29T12:00:00Z", "2028/02/28", "2028/03/01"},
	}
	for _, tt := range tests {
		q := Query{Start: utc(tt.start), End: utc(tt.end)}
		sql, err := AthenaSQL("db", "t", DefaultAthenaPartitions, q)
		if err != nil {
			t.Fatal(err)
		}
		want := `"timestamp" BETWEEN '` + tt.from + `' AND '` + tt.to + `'`
		if !strings.Contains(sql, want) {
			t.Errorf("%s..%s: want %s in\n%s", tt.start, tt.end, want, sql)
		}
		days := dayFolders(q.Start, q.End, DefaultDeliverySlack)
		if first, last := strings.TrimSuffix(days[0], "/"), strings.TrimSuffix(days[len(days)-1], "/"); first != tt.from || last != tt.to {
			t.Errorf("%s..%s: the S3 source lists %s..%s, the query reads %s..%s", tt.start, tt.end, first, last, tt.from, tt.to)
		}
	}
}

// The eventtime bounds never cut off an event of the window: compared as
// strings, every CloudTrail time in [start, end) lies within them, written
// in UTC or with any offset (local time as a string).
func TestAthenaSQLTimeBounds(t *testing.T) {
	start, end := utc("2026-11-30T08:15:30.25Z"), utc("2026-11-30T08:15:32.5Z")
	sql, err := AthenaSQL("db", "t", AthenaPartitions{}, Query{Start: start, End: end})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := "2026-11-29T07:15:29Z", "2026-12-01T09:15:33Z"
	if !strings.Contains(sql, "(eventtime >= '"+lo+"' AND eventtime < '"+hi+"' OR eventtime IS NULL OR NOT regexp_like(eventtime, '"+eventTimeForm+"'))") {
		t.Fatalf("bounds:\n%s", sql)
	}
	form := regexp.MustCompile(eventTimeForm)
	for _, ev := range []string{"2026-11-30T08:15:30Z", "2026-11-30T08:15:30.25Z", "2026-11-30T08:15:31Z", "2026-11-30T08:15:32Z", "2026-11-30T08:15:32.499Z",
		"2026-11-30T22:15:32+14:00", "2026-11-29T20:15:31-12:00", "2026-11-30T10:15:31+02:00",
		// The largest offsets time.Parse reads.
		"2026-12-01T09:14:32+24:59", "2026-11-29T07:16:30-24:59"} {
		at, err := time.Parse(time.RFC3339, ev)
		if err != nil || at.Before(start.Add(-time.Second)) || at.After(end) {
			t.Fatalf("%s is not a time of the window: %v", ev, err)
		}
		if !form.MatchString(ev) {
			t.Errorf("%s does not match eventTimeForm: the query would read it whatever its time", ev)
		}
		if !(ev >= lo && ev < hi) {
			t.Errorf("event at %s (in the window) is outside the query's bounds [%s, %s)", ev, lo, hi)
		}
	}
	// Times the bounds cannot judge as strings do not match the form, so
	// the query reads them and the decoder fails the run on them.
	for _, ev := range []string{"", "yesterday", "2026-11-30T08:15:30+25:00", "2026-11-30T08:15:30+02:60", "2026-11-30 08:15:30Z", "2026-11-30T08:15:30", "2026-11-30t08:15:30z", "1764490530", "2026-11-30T08:15:30+0200", " 2026-11-30T08:15:30Z"} {
		if form.MatchString(ev) {
			t.Errorf("%q matches eventTimeForm", ev)
		}
	}
}

func TestSQLString(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "111122223333", want: "'111122223333'"},
		{in: "", want: "''"},
		{in: "o'brien", want: "'o''brien'"},
		{in: "'; DROP TABLE x; --", want: "'''; DROP TABLE x; --'"},
		{in: `a\'b`, want: `'a\''b'`},
		{in: `"double"`, want: `'"double"'`},
		{in: "é ü 日本", want: "'é ü 日本'"},
		{in: "a\x00b", bad: true},
		{in: "line\nbreak", bad: true},
		{in: "tab\t", bad: true},
		{in: "del\x7f", bad: true},
		{in: "c1\u0085", bad: true},
		{in: "ls\u2028", bad: true},
		{in: "\xff\xfe", bad: true},
	}
	for _, tt := range tests {
		got, err := sqlString(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("sqlString(%q) = %s, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("sqlString(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
		// The literal has no unpaired quote inside: it cannot end early.
		inner := got[1 : len(got)-1]
		if strings.Count(strings.ReplaceAll(inner, "''", ""), "'") != 0 {
			t.Errorf("sqlString(%q) = %s has an unpaired quote", tt.in, got)
		}
	}
}

func TestSQLIdent(t *testing.T) {
	for _, ok := range []string{"cloudtrail_logs", "_x", "T1", "timestamp"} {
		if got, err := sqlIdent("table", ok); err != nil || got != `"`+ok+`"` {
			t.Errorf("sqlIdent(%q) = %s, %v", ok, got, err)
		}
	}
	for _, bad := range []string{"", "1abc", "a-b", `a"b`, "a b", "a.b", "a;b", "ü", "tbl\x00"} {
		if got, err := sqlIdent("table", bad); err == nil {
			t.Errorf("sqlIdent(%q) = %s, want an error", bad, got)
		}
	}
}

// Hostile account, region, database, table and partition names never reach
// the SQL: they are refused with a message naming the value.
func TestAthenaSQLRefusesHostileInput(t *testing.T) {
	w := Query{Start: utc("2026-05-01T00:00:00Z"), End: utc("2026-05-08T00:00:00Z")}
	with := func(f func(*Query)) Query { q := w; f(&q); return q }
	tests := []struct {
		name        string
		db, table   string
		parts       AthenaPartitions
		q           Query
		wantInError string
	}{
		{"account injection", "db", "t", DefaultAthenaPartitions, with(func(q *Query) { q.Accounts = []string{"111122223333') OR ('1'='1"} }), `account "111122223333') OR ('1'='1"`},
		{"account quote", "db", "t", DefaultAthenaPartitions, with(func(q *Query) { q.Accounts = []string{"1111'22223333"} }), "12 digits"},
		{"short account", "db", "t", DefaultAthenaPartitions, with(func(q *Query) { q.Accounts = []string{"12345"} }), "12 digits"},
		{"region injection", "db", "t", DefaultAthenaPartitions, with(func(q *Query) { q.Regions = []string{"eu-west-1' --"} }), `region "eu-west-1' --"`},
		{"region newline", "db", "t", DefaultAthenaPartitions, with(func(q *Query) { q.Regions = []string{"eu-west-1\n"} }), "not an AWS region"},
		{"database", `db"; DROP`, "t", DefaultAthenaPartitions, w, "database"},
		{"table", "db", "t.x", DefaultAthenaPartitions, w, "table"},
		{"partition", "db", "t", AthenaPartitions{Timestamp: `ts" OR 1=1 --`}, w, "timestamp partition column"},
		{"empty window", "db", "t", DefaultAthenaPartitions, Query{Start: w.End, End: w.Start}, "window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, err := AthenaSQL(tt.db, tt.table, tt.parts, tt.q)
			if err == nil {
				t.Fatalf("want an error, got SQL:\n%s", sql)
			}
			if !strings.Contains(err.Error(), tt.wantInError) {
				t.Errorf("error %q does not mention %q", err, tt.wantInError)
			}
		})
	}
}

// Every projected column is one the row decoder reads, and the decoder's
// record fields are all projected.
func TestAthenaColumnsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range athenaColumns {
		if seen[c.alias] {
			t.Errorf("column %q twice", c.alias)
		}
		seen[c.alias] = true
		if !identRE.MatchString(c.alias) {
			t.Errorf("alias %q is not a plain name", c.alias)
		}
	}
}

// The query shown in docs/athena.md is the one the source sends.
func TestAthenaDocsQuery(t *testing.T) {
	doc, err := os.ReadFile("../docs/athena.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```sql\n")
	shown, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/athena.md has no sql block")
	}
	sql, err := AthenaSQL("org_trail", "cloudtrail_logs", DefaultAthenaPartitions, Query{
		Start: utc("2026-12-31T12:00:00Z"), End: utc("2027-01-01T12:00:00Z"),
		Accounts: []string{"111122223333", "444455556666"}, Regions: []string{"eu-west-1", "us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if shown != sql {
		t.Errorf("docs/athena.md shows\n%s\nthe source sends\n%s", shown, sql)
	}
}
