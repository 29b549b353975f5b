package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/classify"
	"github.com/sentinel-check/sentinel-check/policyhcl"
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
	pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(`
profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }
rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod"]
}
`)}, policyhcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
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
	if sk := ss[1].Skipped; len(sk) != 1 || sk[0].Item != bad || strings.HasPrefix(sk[0].Reason, bad+": ") {
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
	dir := t.TempDir()
	rec := `{"id":"r1","user":"alice","profile":"prod","status":"%s","source_identity":"sentinel:alice:direct:0000aaaa","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T18:00:00Z","created_at":"2026-11-17T09:00:00Z","updated_at":"%s"}`
	one, two := filepath.Join(dir, "one.jsonl"), filepath.Join(dir, "two.jsonl")
	writeFile(t, one, fmt.Sprintf(rec, "active", "2026-11-17T09:00:00Z")+"\n")
	writeFile(t, two, fmt.Sprintf(rec, "revoked", "2026-11-17T09:10:00Z")+"\n")
	trail := filepath.Join(dir, "t.json")
	writeFile(t, trail, `{"Records":[{"eventVersion":"1.08","eventTime":"2026-11-17T09:30:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","eventID":"e1","recipientAccountId":"111122223333","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Prod","roleSessionName":"s","sourceIdentity":"sentinel:alice:direct:0000aaaa"}}]}`)
	for _, named := range []string{"tbl-one", "tbl-two", ""} {
		rule := ""
		if named != "" {
			rule = fmt.Sprintf("  session_table = %q\n", named)
		}
		pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(`
session_table "tbl-one" {}
session_table "tbl-two" {}
profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }
rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod"]
` + rule + `}
`)}, policyhcl.Options{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		res, err := Run(context.Background(), Options{
			Policy:     pol,
			CloudTrail: []cloudtrail.Source{cloudtrail.NewFileSource([]string{trail}, cloudtrail.FileOptions{})},
			Sessions: []SessionSource{
				{Table: "tbl-one", Store: sessions.NewFileStore(one)},
				{Table: "tbl-two", Store: sessions.NewFileStore(two)},
			},
			Start: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
		})
		if err != nil {
			t.Fatal(err)
		}
		if p := res.Profiles; len(p) != 1 || p[0].ByCategory[classify.CategoryRevoked] != 1 {
			t.Errorf("rule naming %q: profiles %+v; want the session revoked (tbl-two's version of r1)", named, p)
		}
	}
}
