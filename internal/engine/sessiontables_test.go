package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// A rule that names no session_table is matched against the records of
// every table as one store (the broker may keep one table per region):
// the records split over two or three tables give what they give in one
// table. Only the first table's records were used, so a session revoked
// in the second passed; then each table was looked up apart and the
// answers combined, which lost what one store knows across its records
// (an identity's records, a revocation's versions, a poisoned identity).
func TestSessionTablesAsOneStore(t *testing.T) {
	const (
		win    = `"started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T11:00:00Z","created_at":"2026-11-17T09:00:00Z"`
		siX    = `"source_identity":"sentinel:alice:direct:00000001"`
		live   = `{"id":"s1","user":"alice","profile":"prod","status":"active",` + win + `,"updated_at":"2026-11-17T09:00:00Z",` + siX + `}`
		live2  = `{"id":"s2","user":"alice","profile":"prod","status":"active",` + win + `,"updated_at":"2026-11-17T09:00:00Z",` + siX + `}`
		rev    = `{"id":"s1","user":"alice","profile":"prod","status":"revoked",` + win + `,"updated_at":"2026-11-17T09:30:00Z",` + siX + `}`
		rev2   = `{"id":"s2","user":"alice","profile":"prod","status":"revoked",` + win + `,"updated_at":"2026-11-17T09:30:00Z",` + siX + `}`
		revNo  = `{"id":"s1","user":"alice","profile":"prod","status":"revoked",` + win + `,"updated_at":"2026-11-17T09:30:00Z"}`
		liveNo = `{"id":"s9","user":"alice","profile":"prod","status":"active",` + win + `,"updated_at":"2026-11-17T09:00:00Z"}`
		other  = `{"id":"x","user":"bob","profile":"prod","status":"active",` + win + `,"updated_at":"2026-11-17T09:00:00Z","source_identity":"sentinel:bob:direct:00000009"}`
		bad    = `{"id":"s1","user":"alice","profile":"prod","status":"terminated",` + win + `,"updated_at":"2026-11-17T09:30:00Z",` + siX + `}`
		badID  = `{"id":"s7","user":"alice","status":"terminated",` + siX + `}`
		broken = `{"id":`
	)
	for _, tc := range []struct {
		name   string
		match  string
		tables [][]string // the records of each table, in order
		skip   bool       // --skip-unreadable
		want   string     // the session's category
	}{
		{"revoked in the second table", "", [][]string{{other}, {rev}}, false, "revoked"},
		{"live only in the second table", "", [][]string{{other}, {live}}, false, "tracked"},
		{"live in one table, revoked in the other", "", [][]string{{live}, {rev}}, false, "revoked"},
		{"revoked first, live in the second", "", [][]string{{rev}, {live}}, false, "revoked"},
		{"two sessions of one identity, one live", "", [][]string{{live}, {rev2}}, false, "tracked"},
		{"the identity's record in one table, a record by time in the other", "", [][]string{{rev}, {liveNo}}, false, "revoked"},
		{"a revocation written without the identity", matchSourceIdentity, [][]string{{revNo}, {live}}, false, "revoked"},
		{"a stale live version, revoked versions elsewhere", "", [][]string{{live}, {rev, rev2}}, false, "revoked"},
		{"three tables", "", [][]string{{live}, {live2}, {rev}}, false, "tracked"},
		{"an unusable version in one table", "", [][]string{{bad}, {live}}, true, "orphaned"},
		{"an unusable record with the identity in one table", "", [][]string{{badID}, {live2}}, true, "orphaned"},
		{"one table unreadable", "", [][]string{{broken}, {live}}, true, "orphaned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			split := runTables(t, tc.match, tc.tables, tc.skip)
			var merged []string
			for _, recs := range tc.tables {
				merged = append(merged, recs...)
			}
			one := runTables(t, tc.match, [][]string{merged}, tc.skip)
			if split != one {
				t.Errorf("in %d tables: %s; in one: %s", len(tc.tables), split, one)
			}
			if !strings.HasPrefix(split, tc.want+" ") {
				t.Errorf("got %s, want the session %s", split, tc.want)
			}
		})
	}
}

// matchSourceIdentity is the match mode of the case that needs it.
const matchSourceIdentity = policyhcl.MatchSourceIdentity

// runTables checks one session, opened at 10:00 with alice's broker
// identity, against the records of a session_table block per element of
// tables (all with match mode match); it returns the session's category
// and the findings' checks.
func runTables(t *testing.T, match string, tables [][]string, skip bool) string {
	t.Helper()
	dir := t.TempDir()
	var policy string
	var stores []SessionSource
	for i, recs := range tables {
		name := fmt.Sprintf("sessions-%d", i)
		policy += fmt.Sprintf("session_table %q {", name)
		if match != "" {
			policy += fmt.Sprintf(" match = %q ", match)
		}
		policy += "}\n"
		file := filepath.Join(dir, name+".jsonl")
		if err := os.WriteFile(file, []byte(strings.Join(recs, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		stores = append(stores, SessionSource{Table: name, Store: sessions.NewFileStore(file)})
	}
	pol := policyOf(t, policy+prodRequired)
	trail := filepath.Join(dir, "t.json")
	if err := os.WriteFile(trail, []byte(`{"Records":[{"eventVersion":"1.08","eventTime":"2026-11-17T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","eventID":"e1","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Prod","roleSessionName":"s","sourceIdentity":"sentinel:alice:direct:00000001"},"responseElements":{"credentials":{"accessKeyId":"ASIAAAAAAAAAAAAAAAAA"}}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{
		Policy:         pol,
		CloudTrail:     []cloudtrail.Source{cloudtrail.NewFileSource([]string{trail}, cloudtrail.FileOptions{})},
		Sessions:       stores,
		SkipUnreadable: skip,
		Start:          time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Profiles) != 1 || res.Profiles[0].Sessions != 1 {
		t.Fatalf("profiles %+v", res.Profiles)
	}
	got := ""
	for cat, n := range res.Profiles[0].ByCategory {
		if n > 0 {
			got = cat
		}
	}
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.CheckID)
	}
	slices.Sort(ids)
	return got + " " + strings.Join(ids, ",")
}

// A rule that names a table is matched against that table's records only.
func TestSessionTableOfARule(t *testing.T) {
	const (
		win   = `"started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T11:00:00Z","created_at":"2026-11-17T09:00:00Z"`
		rev   = `{"id":"s1","user":"alice","profile":"prod","status":"revoked",` + win + `,"updated_at":"2026-11-17T09:30:00Z","source_identity":"sentinel:alice:direct:00000001"}`
		other = `{"id":"x","user":"bob","profile":"prod","status":"active",` + win + `,"updated_at":"2026-11-17T09:00:00Z","source_identity":"sentinel:bob:direct:00000009"}`
	)
	for _, tc := range []struct{ table, want string }{{"sessions-eu", "orphaned"}, {"sessions-us", "revoked"}} {
		dir := t.TempDir()
		write := func(name, data string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		pol := policyOf(t, `session_table "sessions-eu" {}
session_table "sessions-us" {}
`+prodProfile+`rule "prod" {
  effect        = "require_server"
  profiles      = ["prod"]
  session_table = "`+tc.table+`"
}
`)
		trail := write("t.json", `{"Records":[{"eventVersion":"1.08","eventTime":"2026-11-17T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","eventID":"e1","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Prod","roleSessionName":"s","sourceIdentity":"sentinel:alice:direct:00000001"},"responseElements":{"credentials":{"accessKeyId":"ASIAAAAAAAAAAAAAAAAA"}}}]}`)
		res, err := Run(context.Background(), Options{
			Policy:     pol,
			CloudTrail: []cloudtrail.Source{cloudtrail.NewFileSource([]string{trail}, cloudtrail.FileOptions{})},
			Sessions: []SessionSource{
				{Table: "sessions-eu", Store: sessions.NewFileStore(write("eu.jsonl", other+"\n"))},
				{Table: "sessions-us", Store: sessions.NewFileStore(write("us.jsonl", rev+"\n"))},
			},
			Start: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Profiles[0].ByCategory[tc.want] != 1 {
			t.Errorf("rule naming %s: %v, want %s", tc.table, res.Profiles[0].ByCategory, tc.want)
		}
	}
}

// A check the policy turns off is marked so in the rules the reports list.
func TestRuleMetasDisabled(t *testing.T) {
	pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(`
profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }
check "approval-bypass" { enabled = false }
check "policy-error" {
  enabled  = false
  severity = "note"
}
`)}, checks.PolicyOptions())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, m := range RuleMetas(pol) {
		if m.Disabled != (m.ID == "SC1005") {
			t.Errorf("%s: Disabled = %v", m.ID, m.Disabled)
		}
		if m.ID == "SC0001" && m.DefaultSeverity != checks.SeverityError {
			t.Errorf("SC0001's severity is %s: its block (warned about) must change nothing", m.DefaultSeverity)
		}
	}
}
