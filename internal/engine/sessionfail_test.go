package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// With --skip-unreadable, a session file that fails part-way is one source
// in SC2002 (it was counted twice, with what its failure leaves unused as
// a second "source"), and every record read and not used is counted
// skipped: the failed store's and the other --sessions store's, whose
// records are left out with it (they were reported read, 0 skipped).
func TestSessionStoreFailingPartWay(t *testing.T) {
	dir := t.TempDir()
	rec := `{"id":"%s","user":"alice","profile":"prod","status":"active","source_identity":"sentinel:alice:direct:0000000%s","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T18:00:00Z"}`
	good, bad := filepath.Join(dir, "good.jsonl"), filepath.Join(dir, "bad.jsonl")
	writeFile(t, good, strings.ReplaceAll(rec, "%s", "1")+"\n")
	writeFile(t, bad, strings.ReplaceAll(rec, "%s", "2")+"\n{not json}\n")
	trail := filepath.Join(dir, "t.json")
	writeFile(t, trail, `{"Records":[{"eventVersion":"1.08","eventTime":"2026-11-17T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","eventID":"e1","recipientAccountId":"111122223333","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Prod","roleSessionName":"s","sourceIdentity":"sentinel:alice:direct:00000001"}}]}`)
	pol := policyOf(t, prodRequired)
	res, err := Run(context.Background(), Options{
		Policy:         pol,
		CloudTrail:     []cloudtrail.Source{cloudtrail.NewFileSource([]string{trail}, cloudtrail.FileOptions{})},
		Sessions:       []SessionSource{{Store: sessions.NewFileStore(good)}, {Store: sessions.NewFileStore(bad)}},
		SkipUnreadable: true,
		Start:          time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	msg := ""
	for _, f := range res.Findings {
		if f.CheckID == "SC2002" {
			msg = f.Message
		}
	}
	if !strings.Contains(msg, "1 source could not be read whole") || !strings.Contains(msg, "are not used (2 records read)") {
		t.Errorf("SC2002 %q: want one source, and the records its failure leaves unused", msg)
	}
	ss := res.Sources.Sessions
	if len(ss) != 2 || ss[0].Records != 0 || ss[0].RecordsSkipped != 1 || ss[1].Records != 0 || ss[1].RecordsSkipped != 1 {
		t.Fatalf("session stores %+v: want each one's record read and skipped", ss)
	}
	if tt := res.Sources.Totals; tt.SessionRecords != 0 || tt.SessionRecordsSkipped != 2 {
		t.Errorf("totals: %d session records used, %d skipped; want 0 and 2", tt.SessionRecords, tt.SessionRecordsSkipped)
	}
	if sk := ss[1].Skipped; len(sk) != 1 || sk[0].Item != bad || strings.Contains(sk[0].Reason, bad) || !strings.HasPrefix(sk[0].Reason, "line 2: malformed JSON") {
		t.Errorf("skipped %+v: want the file once, and the reason without its name again", sk)
	}
	if p := res.Profiles; len(p) != 1 || p[0].Tracked != 0 {
		t.Errorf("profiles %+v: want the session untracked (no record is used)", p)
	}
}

// A rule's named table decides which records track its sessions, but a
// version of the same id in another table still counts: a session the
// broker revoked in tbl-two passed as tracked by its active version in
// tbl-one, while the report said tbl-two's version was used.
func TestNamedTableSeesOtherTablesVersions(t *testing.T) {
	rec := `{"id":"r1","user":"alice","profile":"prod","status":"%s","source_identity":"sentinel:alice:direct:0000aaaa","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T18:00:00Z","created_at":"2026-11-17T09:00:00Z","updated_at":"%s"}`
	one, two := fmt.Sprintf(rec, "active", "2026-11-17T09:00:00Z")+"\n", fmt.Sprintf(rec, "revoked", "2026-11-17T09:10:00Z")+"\n"
	for _, named := range []string{"tbl-one", "tbl-two", ""} {
		if got := runTwoTables(t, one, two, named, false, sessionEvent("2026-11-17T09:30:00Z", "sentinel:alice:direct:0000aaaa")); got != classify.CategoryRevoked {
			t.Errorf("rule naming %q: got %s; want the session revoked (tbl-two's version of r1)", named, got)
		}
	}
}

// runTwoTables checks one event against two session_table blocks whose
// records are one.jsonl and two.jsonl, with the rule naming named ("":
// none); it returns the event's category.
func runTwoTables(t *testing.T, one, two, named string, skip bool, event string) string {
	t.Helper()
	return runSessionTables(t, map[string]string{"tbl-one": one, "tbl-two": two}, named, skip, event)
}

// runSessionTables is runTwoTables for any tables (name: records).
func runSessionTables(t *testing.T, tables map[string]string, named string, skip bool, event string) string {
	t.Helper()
	dir := t.TempDir()
	var stores []SessionSource
	blocks := ""
	for name, recs := range tables {
		p := filepath.Join(dir, name+".jsonl")
		writeFile(t, p, recs)
		stores = append(stores, SessionSource{Table: name, Store: sessions.NewFileStore(p)})
	}
	slices.SortFunc(stores, func(a, b SessionSource) int { return strings.Compare(a.Table, b.Table) })
	for _, s := range stores {
		blocks += fmt.Sprintf("session_table %q {}\n", s.Table)
	}
	trail := filepath.Join(dir, "t.json")
	writeFile(t, trail, `{"Records":[`+event+`]}`)
	rule := ""
	if named != "" {
		rule = fmt.Sprintf("  session_table = %q\n", named)
	}
	pol := policyOf(t, blocks+prodProfile+`rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod"]
`+rule+"}\n")
	res, err := Run(context.Background(), Options{
		Policy: pol, CloudTrail: []cloudtrail.Source{cloudtrail.NewFileSource([]string{trail}, cloudtrail.FileOptions{})},
		Sessions: stores, SkipUnreadable: skip,
		Start: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Profiles) != 1 || res.Profiles[0].Sessions != 1 {
		t.Fatalf("profiles %+v", res.Profiles)
	}
	for cat, n := range res.Profiles[0].ByCategory {
		if n > 0 {
			return cat
		}
	}
	return ""
}

func sessionEvent(at, si string) string {
	return `{"eventVersion":"1.08","eventTime":"` + at + `","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","eventID":"e1","recipientAccountId":"111122223333","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Prod","roleSessionName":"s","sourceIdentity":"` + si + `"}}`
}

// A store that failed part-way lends its versions to no table: tbl-two's
// r1, read before its bad line, expired later than tbl-one's, and made the
// session tracked in tbl-one's index (a revocation after the break would
// have beaten it).
func TestNamedTableIgnoresAPartialRead(t *testing.T) {
	rec := `{"id":"r1","user":"alice","profile":"prod","status":"active","source_identity":"sentinel:alice:direct:0000aaaa","started_at":"2026-11-17T09:00:00Z","expires_at":"%s","created_at":"2026-11-17T09:00:00Z","updated_at":"%s"}`
	one := fmt.Sprintf(rec, "2026-11-17T12:00:00Z", "2026-11-17T09:00:00Z") + "\n"
	two := fmt.Sprintf(rec, "2026-11-17T23:00:00Z", "2026-11-17T10:00:00Z") + "\n{not json}\n"
	if got := runTwoTables(t, one, two, "tbl-one", true, sessionEvent("2026-11-17T15:00:00Z", "sentinel:alice:direct:0000aaaa")); got != classify.CategoryExpired {
		t.Errorf("got %s, want expired (tbl-one's own version)", got)
	}
}

// An identity that only a losing version had, in another table, is that
// record's in a named table too: not matched by time to another record of
// the user (tracked by r2 before).
func TestNamedTableKnowsOtherTablesLosingIdentities(t *testing.T) {
	r1a := `{"id":"r1","user":"alice","profile":"prod","status":"active","source_identity":"sentinel:alice:direct:0000aaaa","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T18:00:00Z","updated_at":"2026-11-17T10:00:00Z"}`
	r1b := `{"id":"r1","user":"alice","profile":"prod","status":"active","source_identity":"sentinel:alice:direct:0000bbbb","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T18:00:00Z","updated_at":"2026-11-17T09:00:00Z"}`
	r2 := `{"id":"r2","user":"alice","profile":"prod","status":"active","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T18:00:00Z","updated_at":"2026-11-17T09:00:00Z"}`
	ev := sessionEvent("2026-11-17T11:00:00Z", "sentinel:alice:direct:0000bbbb")
	for _, named := range []string{"tbl-one", ""} {
		if got := runTwoTables(t, r1a+"\n"+r2+"\n", r1b+"\n", named, false, ev); got != classify.CategoryOrphaned {
			t.Errorf("rule naming %q: got %s, want orphaned (as with every record in one table)", named, got)
		}
	}
	if got := runTwoTables(t, r1a+"\n"+r1b+"\n"+r2+"\n", "", "tbl-one", false, ev); got != classify.CategoryOrphaned {
		t.Errorf("in one table: got %s, want orphaned", got)
	}
}

// A store that fails leaves the versions of the stores read whole in
// force: a revocation in tbl-two still revokes the session tbl-one's rule
// tracks when an unrelated tbl-three fails (it passed as tracked), and a
// revocation read before a store's break still counts.
func TestNamedTableWithAnotherStoreFailing(t *testing.T) {
	rec := `{"id":"r1","user":"alice","profile":"prod","status":"%s","source_identity":"sentinel:alice:direct:0000aaaa","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T18:00:00Z","created_at":"2026-11-17T09:00:00Z","updated_at":"%s"}`
	active, revoked := fmt.Sprintf(rec, "active", "2026-11-17T09:00:00Z"), fmt.Sprintf(rec, "revoked", "2026-11-17T10:00:00Z")
	bob := `{"id":"b1","user":"bob","profile":"prod","status":"active","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T18:00:00Z"}`
	ev := sessionEvent("2026-11-17T11:00:00Z", "sentinel:alice:direct:0000aaaa")
	for name, tables := range map[string]map[string]string{
		"an unrelated table fails":                 {"tbl-one": active + "\n", "tbl-two": revoked + "\n", "tbl-three": bob + "\n{not json}\n"},
		"the revocation was read before the break": {"tbl-one": active + "\n", "tbl-two": revoked + "\n{not json}\n"},
	} {
		if got := runSessionTables(t, tables, "tbl-one", true, ev); got != classify.CategoryRevoked {
			t.Errorf("%s: got %s, want revoked", name, got)
		}
	}
	// An earlier end in a table read whole counts too, when another
	// table fails: an expired version without updated_at, or a later
	// version that ends sooner.
	short := `{"id":"r1","user":"alice","profile":"prod","status":"%s","source_identity":"sentinel:alice:direct:0000aaaa","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T10:00:00Z"%s}`
	for name, two := range map[string]string{
		"expired, no updated_at":      fmt.Sprintf(short, "expired", ""),
		"a later version ends sooner": fmt.Sprintf(short, "active", `,"updated_at":"2026-11-17T10:00:00Z"`),
	} {
		tables := map[string]string{"tbl-one": active + "\n", "tbl-two": two + "\n", "tbl-three": bob + "\n{not json}\n"}
		if got := runSessionTables(t, tables, "tbl-one", true, ev); got != classify.CategoryExpired {
			t.Errorf("%s: got %s, want expired", name, got)
		}
	}
}

// With --skip-unreadable, an id whose version could not be used is
// checked without any version: the usable versions of it are skipped, not
// used, whichever store read them.
func TestLeftOutRecordsAreSkipped(t *testing.T) {
	good := `{"id":"a","user":"alice","profile":"prod","status":"active","source_identity":"sentinel:alice:direct:0000aaaa","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T18:00:00Z","updated_at":"2026-11-17T09:00:00Z"}` + "\n"
	other := `{"id":"b","user":"alice","profile":"prod","status":"active","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T18:00:00Z"}` + "\n"
	bad := `{"id":"a","user":"alice","profile":"prod","status":"revoked","updated_at":"2026-11-17 09:10:00Z"}` + "\n"
	dir := t.TempDir()
	trail := filepath.Join(dir, "t.json")
	writeFile(t, trail, `{"Records":[`+sessionEvent("2026-11-17T09:30:00Z", "sentinel:alice:direct:0000aaaa")+`]}`)
	for _, tc := range []struct {
		name    string
		files   []string
		used    []int64
		skipped []int64
	}{
		{"one file", []string{good + other + bad}, []int64{1}, []int64{2}},
		{"the bad version in another file", []string{good + other, bad}, []int64{1, 0}, []int64{1, 1}},
	} {
		var stores []SessionSource
		for i, f := range tc.files {
			p := filepath.Join(dir, fmt.Sprintf("%s-%d.jsonl", strings.ReplaceAll(tc.name, " ", "-"), i))
			writeFile(t, p, f)
			stores = append(stores, SessionSource{Store: sessions.NewFileStore(p)})
		}
		res, err := Run(context.Background(), Options{
			Policy: policyOf(t, prodRequired), CloudTrail: []cloudtrail.Source{cloudtrail.NewFileSource([]string{trail}, cloudtrail.FileOptions{})},
			Sessions: stores, SkipUnreadable: true,
			Start: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range res.Sources.Sessions {
			if st.Records != tc.used[i] || st.RecordsSkipped != tc.skipped[i] {
				t.Errorf("%s: store %d: %d used, %d skipped; want %d and %d", tc.name, i, st.Records, st.RecordsSkipped, tc.used[i], tc.skipped[i])
			}
		}
		if p := res.Profiles; len(p) != 1 || p[0].ByCategory[classify.CategoryOrphaned] != 1 {
			t.Errorf("%s: profiles %+v, want the session orphaned", tc.name, p)
		}
	}
}
