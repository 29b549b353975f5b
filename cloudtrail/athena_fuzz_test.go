package cloudtrail

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/service/athena/types"
)

// sqlString either refuses a value or returns a literal that reads back as
// exactly that value: one opening and one closing quote, every inner quote
// doubled, no control character.
func FuzzSQLString(f *testing.F) {
	for _, s := range []string{"", "111122223333", "o'brien", "'; DROP TABLE x; --", "''", "'", `\'`, "a\x00b", "é\u2028", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit, err := sqlString(s)
		if err != nil {
			return
		}
		if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
			t.Fatalf("sqlString(%q) = %s is not quoted", s, lit)
		}
		inner := lit[1 : len(lit)-1]
		if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			t.Fatalf("sqlString(%q) = %s has an unpaired quote", s, lit)
		}
		if back := strings.ReplaceAll(inner, "''", "'"); back != s {
			t.Fatalf("sqlString(%q) = %s reads back as %q", s, lit, back)
		}
		for _, r := range inner {
			if unicode.IsControl(r) {
				t.Fatalf("sqlString(%q) = %s holds the control character %U", s, lit, r)
			}
		}
	})
}

// Whatever a result row holds, decoding it never panics, never keeps a
// whole access key id, and either emits one event or counts one skip.
func FuzzAthenaRow(f *testing.F) {
	f.Add("e1", "2027-01-01T00:00:00Z", "sts.amazonaws.com", "AssumeRole", "arn:aws:iam::111122223333:role/R", "sentinel:a:direct:0000000a", "ASIAQWERTYUIOPASDFGH", "")
	f.Add("", "", "", "", "", "", "", "")
	f.Add("e\"2", "yesterday", "sts.amazonaws.com", "AssumeRoleWithSAML", "", "x", "AKIA", "AccessDenied")
	f.Add("e3", "2027-01-01T00:00:00+02:00", "sts.amazonaws.com", "AssumeRole", "\x00", "\xff\xfe", "ASIA\n", "")
	f.Fuzz(func(t *testing.T, id, tm, source, name, role, si, key, code string) {
		cols := map[string]int{}
		for i, c := range athenaColumns {
			cols[c.alias] = i
		}
		vals := map[string]string{"eventid": id, "eventtime": tm, "eventsource": source, "eventname": name,
			"role_arn": role, "request_source_identity": si, "caller_source_identity": si, "access_key_id": key, "errorcode": code,
			"errormessage": "not authorized on resource: " + role}
		row := types.Row{Data: make([]types.Datum, len(athenaColumns))}
		for alias, v := range vals {
			v := v
			if v != "" {
				row.Data[cols[alias]].VarCharValue = &v
			}
		}
		r := &athenaRun{s: newAthenaSource(nil, AthenaOptions{Database: "d", Table: "t"}), id: "q"}
		var got []Event
		r.decodeRow(row, cols, 1, func(ev Event) { got = append(got, ev) })
		if int64(len(got))+r.stats.RecordsSkipped != 1 || r.stats.AssumeRole != int64(len(got)) {
			t.Fatalf("%d events, %d skipped, %d assume-role", len(got), r.stats.RecordsSkipped, r.stats.AssumeRole)
		}
		for _, ev := range got {
			if (len(key) > 8 && strings.Contains(ev.AccessKeyID, key)) || len(ev.AccessKeyID) > 4+len("…")+4+2*len("\ufffd") {
				t.Fatalf("key id %q kept as %q", key, ev.AccessKeyID)
			}
			if !IsAssumeRole(source, name) {
				t.Fatalf("emitted %q/%q, not an assume-role call", source, name)
			}
			if _, err := json.Marshal(ev); err != nil {
				t.Fatal(err)
			}
		}
	})
}
