package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// A rule that names no session_table is matched against the records of
// every table, as one store: the broker may keep one table per region.
// Only the first table's records were used, so a session revoked in the
// second passed.
func TestSessionTablesTogether(t *testing.T) {
	const (
		alice    = `"source_identity":"sentinel:alice:direct:00000001"`
		window   = `"started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T11:00:00Z","created_at":"2026-11-17T09:00:00Z"`
		live     = `{"id":"s1","user":"alice","profile":"prod","status":"active",` + window + `,"updated_at":"2026-11-17T09:00:00Z",` + alice + `}`
		revoked  = `{"id":"s1","user":"alice","profile":"prod","status":"revoked",` + window + `,"updated_at":"2026-11-17T09:30:00Z",` + alice + `}`
		revoked2 = `{"id":"s2","user":"alice","profile":"prod","status":"revoked",` + window + `,"updated_at":"2026-11-17T09:30:00Z",` + alice + `}`
		other    = `{"id":"x","user":"bob","profile":"prod","status":"active",` + window + `,"updated_at":"2026-11-17T09:00:00Z","source_identity":"sentinel:bob:direct:00000009"}`
	)
	for _, tc := range []struct {
		name, effect, ruleTable string
		eu, us                  string
		want                    string // the session's category
	}{
		{"revoked in the second table", "require_server", "", other, revoked, "revoked"},
		{"live only in the second table", "require_server_session", "", other, live, "tracked"},
		{"one session, live in one table and revoked in the other", "require_server_session", "", live, revoked, "revoked"},
		{"revoked first, live in the second", "require_server_session", "", revoked, live, "revoked"},
		{"two sessions of one identity, one live", "require_server_session", "", live, revoked2, "tracked"},
		{"the rule names the first table", "require_server", "sessions-eu", other, revoked, "orphaned"},
		{"the rule names the second table", "require_server", "sessions-us", other, revoked, "revoked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			table := ""
			if tc.ruleTable != "" {
				table = "\n  session_table = \"" + tc.ruleTable + "\""
			}
			pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(`
session_table "sessions-eu" {}
session_table "sessions-us" {}
profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }
rule "prod" {
  effect   = "` + tc.effect + `"
  profiles = ["prod"]` + table + `
}
`)}, policyhcl.Options{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			write := func(name, data string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}
			trail := write("t.json", `{"Records":[{"eventVersion":"1.08","eventTime":"2026-11-17T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","eventID":"e1","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Prod","roleSessionName":"s","sourceIdentity":"sentinel:alice:direct:00000001"},"responseElements":{"credentials":{"accessKeyId":"ASIAAAAAAAAAAAAAAAAA"}}}]}`)
			res, err := Run(context.Background(), Options{
				Policy:     pol,
				CloudTrail: []cloudtrail.Source{cloudtrail.NewFileSource([]string{trail}, cloudtrail.FileOptions{})},
				Sessions: []SessionSource{
					{Table: "sessions-eu", Store: sessions.NewFileStore(write("eu.jsonl", tc.eu+"\n"))},
					{Table: "sessions-us", Store: sessions.NewFileStore(write("us.jsonl", tc.us+"\n"))},
				},
				Start: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Profiles) != 1 || res.Profiles[0].ByCategory[tc.want] != 1 {
				t.Fatalf("profiles %+v, want the session %s", res.Profiles, tc.want)
			}
			sc1002 := false
			for _, f := range res.Findings {
				sc1002 = sc1002 || f.CheckID == "SC1002"
			}
			if want := tc.want == "revoked"; sc1002 != want {
				var ids []string
				for _, f := range res.Findings {
					ids = append(ids, f.CheckID)
				}
				t.Errorf("findings %s, want SC1002: %v", strings.Join(ids, ", "), want)
			}
		})
	}
}

// A check the policy turns off is marked so in the rules the reports list.
func TestRuleMetasDisabled(t *testing.T) {
	pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(`
profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }
check "approval-bypass" { enabled = false }
`)}, policyhcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, m := range RuleMetas(pol) {
		if m.Disabled != (m.ID == "SC1005") {
			t.Errorf("%s: Disabled = %v", m.ID, m.Disabled)
		}
	}
}
