package sessions

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// wantFixture is what every testdata/ format holds.
var wantFixture = []Record{
	{
		ID: "3f1c7a2e-0001", User: "alice", Profile: "prod-admin", ServerInstanceID: "srv-1", Status: "active",
		StartedAt:      time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC),
		LastAccessAt:   time.Date(2025, 3, 10, 9, 45, 12, 123456789, time.UTC),
		ExpiresAt:      time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC),
		RequestCount:   3,
		SourceIdentity: "sentinel:alice:direct:0a1b2c3d",
		CreatedAt:      time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC),
		UpdatedAt:      time.Date(2025, 3, 10, 9, 45, 12, 123456789, time.UTC),
		TTL:            1741683600,
	},
	{
		ID: "3f1c7a2e-0002", User: "bob", Profile: "prod-admin", ServerInstanceID: "srv-1", Status: "revoked",
		StartedAt:     time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC), // written as 11:00+01:00
		LastAccessAt:  time.Date(2025, 3, 10, 10, 20, 0, 0, time.UTC),
		ExpiresAt:     time.Date(2025, 3, 10, 11, 0, 0, 0, time.UTC),
		RequestCount:  12,
		CreatedAt:     time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC),
		UpdatedAt:     time.Date(2025, 3, 10, 10, 30, 0, 500000000, time.UTC),
		RevokedBy:     "carol",
		RevokedReason: "left the team",
	},
}

func TestFileStoreFormats(t *testing.T) {
	gz := filepath.Join(t.TempDir(), "export.json.gz")
	writeGzip(t, gz, readFile(t, "testdata/export.json"))
	for _, path := range []string{
		"testdata/records.json",
		"testdata/records.jsonl",
		"testdata/export.json",
		"testdata/scan.json",
		gz,
	} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s := NewFileStore(path)
			if s.Name() != path {
				t.Errorf("Name() = %q, want %q", s.Name(), path)
			}
			recs, st, err := loadAll(context.Background(), s, Query{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(recs, wantFixture) {
				t.Errorf("records:\n got %+v\nwant %+v", recs, wantFixture)
			}
			want := Stats{Source: path, Kind: "file", Records: 2}
			if !reflect.DeepEqual(st, want) {
				t.Errorf("stats = %+v, want %+v", st, want)
			}
		})
	}
}

func TestFileStoreBadInput(t *testing.T) {
	type skip struct{ item, reason string } // substrings
	tests := []struct {
		name    string
		content string
		wantErr string // substring of the error; "" = no error
		line    int    // the error's line
		ids     []string
		skips   []skip
	}{
		{name: "empty file", content: ""},
		{name: "white space only", content: " \n\t\n"},
		{name: "empty array", content: "[]", ids: nil},
		{name: "byte order mark", content: "\uFEFF[{\"id\":\"a\",\"expires_at\":\"2024-05-01T12:00:00Z\"}]", ids: []string{"a"}},
		{name: "truncated array", content: "[\n{\"id\":\"a\"},\n{\"id\":\"b\"", wantErr: "ends in the middle of a JSON value", line: 3},
		{name: "truncated array after comma", content: "[\n{\"id\":\"a\"},\n", wantErr: "ends in the middle", line: 3},
		{name: "garbage inside array", content: "[\n{\"id\":\"a\"},\n{\"id\":\"b\"} x\n]", wantErr: "malformed JSON", line: 3},
		{name: "garbage after leading blank lines", content: "\n\n  [{\"id\":\"a\"},\n {\"id\":\"b\"} x]", wantErr: "malformed JSON", line: 4},
		{name: "bad value in the first element", content: "[\n  tru]", wantErr: "malformed JSON", line: 2},
		{name: "bad value in a later element", content: "[0,0\n,0,A0]", wantErr: "invalid character 'A'", line: 2},
		{name: "bad value inside an element", content: "[\n{\"id\":\"a\"} ,\n\n{\"id\":\n tru}\n]", wantErr: "in literal true", line: 5},
		{name: "missing comma before a valid element", content: "[{\"id\":\"a\"} {\"id\":\"b\"}\n]", wantErr: "expected comma after array element", line: 1},
		{name: "bad value after blank lines before the comma", content: "[{\"id\":\"a\"}\n\n\n\n,tru]", wantErr: "in literal true", line: 5},
		{name: "bad value after white space before commas", content: "[0" + strings.Repeat(" ", 500) + ",\n0" + strings.Repeat(" ", 500) + ",\n0 ,\n{\"id\":x}]", wantErr: "invalid character 'x'", line: 4},
		{name: "bad string in an element", content: "[{\"id\":\"a\"},\n{\"id\":\"b\\u12\"}]", wantErr: "in \\u hexadecimal", line: 2},
		{name: "data after the array", content: "[{\"id\":\"a\"}]\n{\"id\":\"b\"}", wantErr: "unexpected data after the JSON array", line: 2},
		{name: "non-JSON line", content: "{\"id\":\"a\"}\n{\"id\":\"b\"}\nnot json\n{\"id\":\"c\"}", wantErr: "malformed JSON", line: 3},
		{name: "truncated line", content: "{\"id\":\"a\"}\n{\"id\":\"b\",\"user\":", wantErr: "ends in the middle", line: 2},
		{name: "not JSON at all", content: "id,user\na,alice\n", wantErr: "not a session file", line: 1},
		{name: "not JSON after blank lines", content: "\n\n  hello", wantErr: "not a session file", line: 3},
		{
			name:    "records skipped with reasons",
			content: "{\"id\":\"a\",\"expires_at\":\"2024-05-01T12:00:00Z\"}\n{\"user\":\"alice\"}\n{\"id\":\"c\",\"started_at\":\"yesterday\"}\n{\"id\":7}\n[1]\n{\"id\":\"f\",\"request_count\":\"many\"}\n{\"id\":\"g\",\"user\":42}\n{\"id\":\"\"}\n{\"id\":\"i\",\"expires_at\":1741683600}\n",
			ids:     []string{"a"},
			skips: []skip{
				{"x:2", "no id attribute"},
				{"x:3", `started_at "yesterday" is not an RFC 3339 time`},
				{"x:4", "id is a number, want a string"},
				{"x:5", "not an object but an array"},
				{"x:6", `request_count "many" is not a whole number`},
				{"x:7", "user is a number, want a string"},
				{"x:8", "id is empty"},
				{"x:9", "expires_at is a number, want an RFC 3339 time string"},
			},
		},
		{
			name:    "array elements skipped with line and position",
			content: "[\n  {\"id\":\"a\",\"expires_at\":\"2024-05-01T12:00:00Z\"},\n  \"b\",\n  {\"id\":\"c\", \"created_at\":\"2025-13-01T00:00:00Z\"}\n]",
			ids:     []string{"a"},
			skips: []skip{
				{"x:3 (element 2)", "not an object but a string"},
				{"x:4 (element 3)", "created_at"},
			},
		},
		{
			name:    "export lines skipped",
			content: "{\"Item\":{\"id\":{\"S\":\"a\"},\"expires_at\":{\"S\":\"2024-05-01T12:00:00Z\"}}}\n{\"Item\":{\"user\":{\"S\":\"alice\"}}}\n{\"Item\":{\"id\":\"c\"}}\n{\"Item\":[]}\n{\"Item\":{\"id\":{\"N\":\"4\"}}}\n{\"Item\":{\"id\":{\"S\":\"f\"},\"request_count\":{\"N\":\"2.5\"}}}\n",
			ids:     []string{"a"},
			skips: []skip{
				{"x:2", "no id attribute"},
				{"x:3", `attribute "id" is not a DynamoDB attribute value`},
				{"x:4", "Item is not an object"},
				{"x:5", "id is a number"},
				{"x:6", `request_count "2.5" is not a whole number`},
			},
		},
		{
			// Versions of equal rank: the shorter window, then the
			// smaller user, whatever the order.
			name:    "duplicate id of equal rank: the same version in any order",
			content: "{\"id\":\"a\",\"user\":\"old\",\"expires_at\":\"2024-05-01T12:00:00Z\"}\n{\"id\":\"b\",\"expires_at\":\"2024-05-01T12:00:00Z\"}\n{\"id\":\"a\",\"user\":\"new\",\"expires_at\":\"2024-05-01T12:00:00Z\"}\n",
			ids:     []string{"a", "b"},
			skips:   []skip{{"x:1", `id "a" appears again at x:3; the version at x:3 is used`}},
		},
		{
			name:    "duplicate id of equal rank: the one that ends earlier",
			content: "{\"id\":\"a\",\"expires_at\":\"2024-05-01T10:00:00Z\"}\n{\"id\":\"a\",\"expires_at\":\"2024-05-01T18:00:00Z\"}\n",
			ids:     []string{"a"},
			skips:   []skip{{"x:2", `id "a" appeared before at x:1; the version at x:1 is used`}},
		},
		{
			name:    "duplicate id: the later updated_at wins, whatever the order",
			content: "{\"id\":\"a\",\"status\":\"revoked\",\"updated_at\":\"2024-05-01T10:00:00Z\"}\n{\"id\":\"a\",\"status\":\"active\",\"expires_at\":\"2024-05-01T12:00:00Z\",\"updated_at\":\"2024-05-01T09:00:00Z\"}\n",
			ids:     []string{"a"},
			skips:   []skip{{"x:2", `id "a" appeared before at x:1; the version at x:1 is used`}},
		},
		{
			// Only the broker's statuses (any case, spaces around) are
			// read; another cannot show that the session was live.
			name:    "unknown status",
			content: "{\"id\":\"a\",\"status\":\" Active \",\"expires_at\":\"2024-05-01T12:00:00Z\"}\n{\"id\":\"b\",\"status\":\"terminated\"}\n{\"id\":\"c\",\"status\":\"REVOKED\"}\n{\"id\":\"d\",\"status\":\"\",\"expires_at\":\"2024-05-01T12:00:00Z\"}\n{\"Item\":{\"id\":{\"S\":\"e\"},\"status\":{\"S\":\"suspended\"}}}\n",
			ids:     []string{"a", "c", "d"},
			skips: []skip{
				{"x:2", `status "terminated" is not active, revoked or expired`},
				{"x:5", `status "suspended" is not active, revoked or expired`},
			},
		},
		{
			name:    "numbers as strings and nulls accepted",
			content: "{\"id\":\"a\",\"request_count\":\"3\",\"ttl\":1.7e9,\"user\":null,\"expires_at\":\"\",\"last_access_at\":\"2024-05-01T12:00:00Z\",\"extra\":{\"x\":1}}\n",
			ids:     []string{"a"},
		},
		{
			// A live record must end; a revoked or expired one is ended by
			// its updated_at.
			name:    "a live record without an end",
			content: "{\"Item\":{\"id\":{\"S\":\"a\"},\"source_identity\":{\"S\":\"s\"}}}\n{\"id\":\"b\",\"status\":\"active\",\"expires_at\":\"0001-01-01T00:00:00Z\"}\n{\"id\":\"c\",\"status\":\"revoked\"}\n{\"id\":\"d\",\"status\":\"Expired\"}\n",
			ids:     []string{"c", "d"},
			skips: []skip{
				{"x:1", "neither expires_at nor last_access_at is set"},
				{"x:2", "neither expires_at nor last_access_at is set"},
			},
		},
		// One page of a longer scan: the other pages' records are missing.
		{name: "scan page with a NextToken", content: "{\"id\":\"z\"}\n{\"Items\":[{\"id\":{\"S\":\"a\"}}],\"Count\":1,\"NextToken\":\"eyJ4Ijox\"}", wantErr: "holds a NextToken: it is one page of a longer result", line: 2},
		{name: "scan page with a LastEvaluatedKey", content: "{\"Items\":[{\"id\":{\"S\":\"a\"}}],\"LastEvaluatedKey\":{\"id\":{\"S\":\"a\"}}}", wantErr: "holds a LastEvaluatedKey", line: 1},
		// Pages cannot be shown to follow one another: a gap would go unseen.
		{name: "pages of a scan", content: "{\"Items\":[{\"id\":{\"S\":\"a\"}}],\"NextToken\":\"eyJ4Ijox\"}\n{\"Items\":[{\"id\":{\"S\":\"b\"}}]}", wantErr: "holds a NextToken", line: 1},
		{name: "a page followed by a record", content: "{\"Items\":[{\"id\":{\"S\":\"a\"}}],\"NextToken\":\"eyJ4Ijox\"}\n{\"id\":\"b\"}", wantErr: "holds a NextToken", line: 1},
		{name: "scan output whose NextToken is null", content: "{\"Items\":[{\"id\":{\"S\":\"a\"},\"expires_at\":{\"S\":\"2024-05-01T12:00:00Z\"}}],\"NextToken\":null}", ids: []string{"a"}},
		{
			name:    "scan output with a bad item",
			content: "{\"Items\":[{\"id\":{\"S\":\"a\"},\"expires_at\":{\"S\":\"2024-05-01T12:00:00Z\"}},{\"user\":{\"S\":\"x\"}}],\"Count\":2}",
			ids:     []string{"a"},
			skips:   []skip{{"x:1 (Items[1])", "no id attribute"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var st Stats
			recs, err := readAllRecords(context.Background(), strings.NewReader(tc.content), "x", &st)
			if tc.wantErr != "" {
				var se *SourceError
				if !errors.As(err, &se) {
					t.Fatalf("error = %v, want a *SourceError containing %q", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) || se.Line != tc.line || se.Source != "x" {
					t.Fatalf("error = %q (line %d), want %q at line %d", err, se.Line, tc.wantErr, tc.line)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range recs {
				ids = append(ids, r.ID)
			}
			if !reflect.DeepEqual(ids, tc.ids) {
				t.Errorf("ids = %q, want %q", ids, tc.ids)
			}
			if st.Records != int64(len(tc.ids)) || st.RecordsSkipped != int64(len(tc.skips)) || len(st.Skipped) != len(tc.skips) {
				t.Fatalf("stats = %+v, want %d records and %d skipped", st, len(tc.ids), len(tc.skips))
			}
			for i, want := range tc.skips {
				got := st.Skipped[i]
				if got.Item != want.item || !strings.Contains(got.Reason, want.reason) {
					t.Errorf("skip %d = %+v, want item %q with reason containing %q", i, got, want.item, want.reason)
				}
			}
		})
	}
}

func TestFileStoreValues(t *testing.T) {
	var st Stats
	recs, err := readAllRecords(context.Background(), strings.NewReader(`{"id":"a","request_count":"3","ttl":1.7e9,"user":null,"expires_at":"","last_access_at":"2024-05-01T12:00:00+02:00","status":"active"}`), "x", &st)
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{{ID: "a", RequestCount: 3, TTL: 1700000000, Status: "active", LastAccessAt: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)}}
	if !reflect.DeepEqual(recs, want) {
		t.Fatalf("got %+v, want %+v", recs, want)
	}
}

func TestFileStoreUnreadable(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.json")
	_, _, err := loadAll(context.Background(), NewFileStore(missing), Query{})
	var se *SourceError
	if !errors.As(err, &se) || se.Source != missing || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error = %v, want a *SourceError for %s wrapping ErrNotExist", err, missing)
	}

	// A truncated gzip file is reported as such, not as truncated JSON.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(bytes.Repeat(readFile(t, "testdata/export.json"), 50))
	_ = zw.Close()
	trunc := filepath.Join(dir, "trunc.json.gz")
	if err := os.WriteFile(trunc, buf.Bytes()[:buf.Len()/2], 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = loadAll(context.Background(), NewFileStore(trunc), Query{})
	if err == nil || !strings.Contains(err.Error(), "gzip data is truncated") || !strings.HasPrefix(err.Error(), trunc+":") {
		t.Fatalf("error = %v, want a truncated gzip error naming %s", err, trunc)
	}

	// Data after the last member is not reported as a truncated file; two
	// members are read as one file, as gzip -d does.
	whole := buf.Bytes()
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"trailing.json.gz", "data after the end of the gzip stream is not gzip data", append(append([]byte{}, whole...), "garbage"...)},
		{"long-trailing.json.gz", "data after the end of the gzip stream is not gzip data", append(append([]byte{}, whole...), bytes.Repeat([]byte("x"), 40)...)},
		{"two-members.json.gz", "", append(append([]byte{}, whole...), whole...)},
	} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, st, err := loadAll(context.Background(), NewFileStore(p), Query{})
		if tc.want == "" {
			if err != nil || st.Records == 0 {
				t.Errorf("%s: %d records, %v; want the records of both members", tc.name, st.Records, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "truncated") {
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.want)
		}
	}

	// A gzip header alone is not a valid file either.
	bad := filepath.Join(dir, "bad.gz")
	if err := os.WriteFile(bad, []byte{0x1f, 0x8b, 0x00}, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err = loadAll(context.Background(), NewFileStore(bad), Query{}); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Fatalf("error = %v, want a gzip error", err)
	}
}

// Skipped records are all counted, but only the first ones are listed.
func TestFileStoreSkipListCapped(t *testing.T) {
	var sb strings.Builder
	for i := 0; i < 250; i++ {
		sb.WriteString("{\"user\":\"nobody\"}\n")
	}
	var st Stats
	if _, err := readAllRecords(context.Background(), strings.NewReader(sb.String()), "x", &st); err != nil {
		t.Fatal(err)
	}
	if st.RecordsSkipped != 250 || len(st.Skipped) != maxSkipList {
		t.Fatalf("skipped %d, listed %d; want 250 and %d", st.RecordsSkipped, len(st.Skipped), maxSkipList)
	}
}

func TestCapReader(t *testing.T) {
	c := &capReader{r: strings.NewReader("0123456789"), left: 10}
	if b, err := readAll(c); err != nil || string(b) != "0123456789" {
		t.Fatalf("exactly at the cap: %q, %v", b, err)
	}
	c = &capReader{r: strings.NewReader("0123456789x"), left: 10}
	var ce *capError
	if _, err := readAll(c); !errors.As(err, &ce) {
		t.Fatalf("over the cap: error = %v, want a capError", err)
	}
}

func readAll(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var out []byte
	buf := make([]byte, 3)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if err.Error() == "EOF" {
				return out, nil
			}
			return out, err
		}
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeGzip(t testing.TB, path string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func FuzzFileStore(f *testing.F) {
	for _, p := range []string{"testdata/records.json", "testdata/records.jsonl", "testdata/export.json", "testdata/scan.json"} {
		f.Add(readFile(f, p))
	}
	for _, s := range []string{"", "[", "[]", "{", "{\"Item\":{}}", "\uFEFF[{\"id\":\"a\"}]", "[{\"id\":\"a\"}] x", "{\"Items\":[1,{\"id\":{\"S\":\"x\"}}]}", "{\"id\":\"a\",\"started_at\":\"2025-01-01T00:00:00Z\"}\n\"x\"\n"} {
		f.Add([]byte(s))
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"Item":{"id":{"S":"a"}}}`))
	_ = zw.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		var st Stats
		var recs []Record
		b := collector(&recs)
		err := readRecords(context.Background(), bytes.NewReader(data), "fuzz", &st, b)
		if err != nil {
			var se *SourceError
			if !errors.As(err, &se) || se.Source != "fuzz" {
				t.Fatalf("error %v is not a *SourceError naming the input", err)
			}
			return
		}
		if st.Records != int64(len(recs)) {
			t.Fatalf("stats count %d records, returned %d", st.Records, len(recs))
		}
		if int64(len(st.Skipped)) > st.RecordsSkipped {
			t.Fatalf("%d skips listed but %d counted", len(st.Skipped), st.RecordsSkipped)
		}
		seen := make(map[string]bool)
		for _, r := range recs {
			if r.ID == "" || seen[r.ID] {
				t.Fatalf("record with empty or duplicate id %q", r.ID)
			}
			seen[r.ID] = true
		}
		// Whatever was read can be indexed and looked up; an id with an
		// unusable version is left out (it may have been the revocation).
		ix := b.Index()
		if ix.Len() > len(recs) || st.RecordsUnusable == 0 && ix.Len() != len(recs) {
			t.Fatalf("index holds %d records, read %d (%d unusable)", ix.Len(), len(recs), st.RecordsUnusable)
		}
		for _, r := range recs {
			q := MatchQuery{SourceIdentity: r.SourceIdentity, User: r.User, Profile: r.Profile, Time: r.StartedAt}
			if m := ix.Lookup(ModeAuto, q); m.Outcome != NoRecord && !seen[m.ID] {
				t.Fatalf("lookup returned id %q, which was not read", m.ID)
			}
		}
	})
}

// The one-pass scan of a record object reads the same attributes, and fails
// the same way, as decoding it into a map first.
func FuzzRecordAttrs(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","user":"alice","started_at":"2025-03-10T09:00:00Z","request_count":3}`,
		` { "id" : "a" , "ttl" : 1.7e9 , "user" : null , "extra" : {"x":[1,"]}"]} } `,
		`{"id":"a","id":"b","\u0069d":"c","us\u0065r":"é\u00e9\ud83d\ude00","status":"\"quoted\""}`,
		`{"id":"a\\b","profile":"\u0000","revoked_by":"` + "\xff" + `"}`,
		`{"Item":{"id":{"S":"a"},"request_count":{"N":"2"}},"id":null}`,
		`{"Item":{"id":{"S":"a"},"user":{"NULL":true},"x":{"BOOL":false}}}`,
		`{"Item":[]}`,
		`{"id":{"S":"a"},"ttl":{"N":"5"}}`,
		`{"Items":[{"id":{"S":"a"}}],"Count":1}`,
		`{"id":true,"user":[],"created_at":5}`,
		`{}`,
		`[1]`,
		`"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return // the decoders never hand over invalid JSON
		}
		var fast, slow attrs
		errFast := recordAttrs(data, &fast)
		var errSlow error
		if firstByte(data) != '{' {
			errSlow = fmt.Errorf("not an object but %s", jsonKind(data))
		} else {
			errSlow = jsonAttrs(data, &slow)
		}
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("scan: %v; map: %v", errFast, errSlow)
		}
		if errFast != nil {
			// Of several bad DynamoDB attributes, either may be named.
			if !strings.HasPrefix(errFast.Error(), "attribute ") && errFast.Error() != errSlow.Error() {
				t.Fatalf("scan: %v; map: %v", errFast, errSlow)
			}
			return
		}
		if fast != slow {
			t.Fatalf("attributes differ:\nscan %+v\n map %+v", fast, slow)
		}
	})
}

// unquoteFast reads a string exactly as the JSON decoder does, or leaves it
// to the decoder.
func FuzzUnquoteFast(f *testing.F) {
	for _, s := range []string{`"plain"`, `""`, `"a\"b"`, `"\u00e9"`, `"é"`, "\"\xff\"", "\"a\tb\"", `"`, `x`, `"a"b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := unquoteFast(data)
		var want string
		err := json.Unmarshal(data, &want)
		if ok && (err != nil || got != want) {
			t.Fatalf("unquoteFast(%q) = %q; the decoder says %q, %v", data, got, want, err)
		}
		plain := len(data) >= 2 && data[0] == '"' && data[len(data)-1] == '"' && !bytes.ContainsAny(data, "\\") && utf8.Valid(data)
		if !ok && err == nil && plain {
			t.Fatalf("unquoteFast(%q) left a plain string to the decoder", data)
		}
	})
}

// A DynamoDB-JSON record with a broken attribute is unusable, and its id
// and source_identity are known whatever attribute is broken and whatever
// order the attributes are read in: an event that carries that identity
// is orphaned, never matched by time to another record of the user.
func TestDynamoJSONUnusableKeepsIdentity(t *testing.T) {
	const line = `{"Item":{"id":{"S":"s1"},"user":{"S":"alice"},"profile":{"S":"prod-admin"},"status":{"S":"revoked"},` +
		`"source_identity":{"S":"` + si1 + `"},"started_at":{"S":"2024-05-01T09:00:00Z"},"updated_at":{"S":"2024-05-01T09:05:00Z"},` +
		`"a_broken":"x","revoked_by":"admin","z_broken":5}}` + "\n" +
		`{"Item":{"id":{"S":"s2"},"user":{"S":"alice"},"profile":{"S":"prod-admin"},"status":{"S":"active"},` +
		`"started_at":{"S":"2024-05-01T08:00:00Z"},"expires_at":{"S":"2024-05-01T12:00:00Z"}}}` + "\n"
	q := MatchQuery{SourceIdentity: si1, User: "alice", Profile: "prod-admin", Time: time.Date(2024, 5, 1, 9, 10, 0, 0, time.UTC)}
	for range 20 { // map order differs from run to run
		var b IndexBuilder
		var st Stats
		if err := readRecords(context.Background(), strings.NewReader(line), "x", &st, &b); err != nil {
			t.Fatal(err)
		}
		if st.RecordsUnusable != 1 {
			t.Fatalf("%d unusable records, want 1: %+v", st.RecordsUnusable, st.Skipped)
		}
		if m := b.Index().Lookup(ModeAuto, q); m.Outcome != NoRecord {
			t.Fatalf("auto lookup = %+v, want no record (the identity belongs to the unusable s1)", m)
		}
	}
}

// Corrupt deflate data that still decompresses, to bytes that are not
// JSON, is reported as a corrupt gzip file (the checksum shows it), not as
// malformed JSON.
func TestFileStoreCorruptGzipNotJSON(t *testing.T) {
	doc := []byte(`[{"id":"a","user":"alice"},{"id":"b","user":"bob"}]`)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression) // stored: the bytes show as they are
	_, _ = zw.Write(doc)
	_ = zw.Close()
	data := buf.Bytes()
	i := bytes.Index(data, []byte(`{"id":"b"`))
	if i < 0 {
		t.Fatal("the stored block does not hold the document")
	}
	data[i] = '#' // the checksum still names the original bytes
	p := filepath.Join(t.TempDir(), "flip.json.gz")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := loadAll(context.Background(), NewFileStore(p), Query{})
	if err == nil || !strings.Contains(err.Error(), "gzip data is corrupt") || strings.Contains(err.Error(), "malformed JSON") {
		t.Fatalf("error = %v, want a corrupt gzip file", err)
	}
}

// A record, or the white space before one, may take at most MaxRecordSpan
// bytes: the JSON decoder holds a value and the white space before it in
// memory whole, and the line numbers of what it read ahead are kept, so a
// run of blank lines without end took gigabytes and the process was
// killed. Whatever the input's size, reading stays within a few MiB.
func TestRecordSpanCap(t *testing.T) {
	rec := `{"id":"a","user":"alice","profile":"prod","status":"active","started_at":"2026-11-20T10:00:00Z","expires_at":"2026-11-20T11:00:00Z","created_at":"2026-11-20T10:00:00Z","updated_at":"2026-11-20T10:00:00Z"}`
	recB := strings.Replace(rec, `"id":"a"`, `"id":"b"`, 1)
	big := `{"id":"b","user":"` + strings.Repeat("x", 2*MaxRecordSpan) + `"}`
	near := `{"id":"c","user":"bob","profile":"prod","status":"active","started_at":"2026-11-20T10:00:00Z","expires_at":"2026-11-20T11:00:00Z","revoked_reason":"` + strings.Repeat("y", MaxRecordSpan-1000) + `"}`
	str := func(s string) func() io.Reader { return func() io.Reader { return strings.NewReader(s) } }
	blank := func() io.Reader { return io.LimitReader(repeatByte('\n'), 64<<20) }
	cat := func(rs ...func() io.Reader) func() io.Reader {
		return func() io.Reader {
			var in []io.Reader
			for _, r := range rs {
				in = append(in, r())
			}
			return io.MultiReader(in...)
		}
	}
	gz := func(r func() io.Reader) func() io.Reader {
		return func() io.Reader {
			pr, pw := io.Pipe()
			go func() {
				zw := gzip.NewWriter(pw)
				_, err := io.Copy(zw, r())
				if err == nil {
					err = zw.Close()
				}
				pw.CloseWithError(err)
			}()
			return pr
		}
	}
	for _, tc := range []struct {
		name    string
		in      func() io.Reader
		line    int   // of the error; 0: no error
		records int64 // without an error
	}{
		{"blank lines after a record", cat(str(rec), blank), 2, 0},
		{"blank lines after a record, gzipped", gz(cat(str(rec), blank)), 2, 0},
		{"blank lines before a record", cat(blank, str(rec)), 0, 1},
		{"blank lines between records", cat(str(rec), blank, str(rec)), 2, 0},
		{"blank lines in an array", cat(str("["+rec+","), blank, str(rec+"]")), 2, 0},
		{"blank lines after an array", cat(str("["+rec+"]"), blank), 2, 0},
		{"a record over the cap", str(rec + "\n" + big + "\n"), 2, 0},
		{"an element over the cap", str("[" + rec + ",\n" + big + "]"), 2, 0},
		{"a record under the cap", str(rec + "\n" + near + "\n"), 0, 2},
		{"spaces up to half the cap", str(rec + strings.Repeat(" ", MaxRecordSpan/2) + "\n" + rec), 0, 1},
		// Around the cap (what the decoder read ahead is not counted, so
		// a span a little over it may pass): never a false "truncated".
		{"an element ending at the cap", str("[" + rec + ",\n" + strings.Repeat(" ", MaxRecordSpan-91) + recB + "]"), 0, 2},
		{"an element just past the cap", str("[" + rec + ",\n" + strings.Repeat(" ", MaxRecordSpan-50) + recB + "]"), 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var st Stats
			in := tc.in()
			recs, err := readAllRecords(context.Background(), in, "s.jsonl", &st)
			runtime.ReadMemStats(&after)
			if c, ok := in.(io.Closer); ok {
				c.Close() // ends the gzip writer
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
			if tc.line == 0 {
				if err != nil || st.Records != tc.records {
					t.Fatalf("records %d (%d decoded), err %v; want %d and no error", st.Records, len(recs), err, tc.records)
				}
				return
			}
			var se *SourceError
			var ce *capError
			if !errors.As(err, &se) || !errors.As(err, &ce) || !ce.record {
				t.Fatalf("err = %v, want a record span error", err)
			}
			if se.Line != tc.line {
				t.Errorf("line %d, want %d: %v", se.Line, tc.line, err)
			}
			if !strings.Contains(err.Error(), "s.jsonl:") || !strings.Contains(err.Error(), "without a complete record") {
				t.Errorf("message %q", err)
			}
		})
	}
}

// repeatByte is an endless stream of one byte.
type repeatByte byte

func (r repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// A folder given as the session file is named as such, not as a read
// error at a line 1 it does not have.
func TestFileStoreFolder(t *testing.T) {
	dir := t.TempDir()
	_, err := NewFileStore(dir).Load(context.Background(), Query{}, &IndexBuilder{})
	var se *SourceError
	if !errors.As(err, &se) || se.Line != 0 || !strings.Contains(err.Error(), "is a folder, not a session file") {
		t.Fatalf("err = %v, want a SourceError without a line saying it is a folder", err)
	}
}

// The answer of aws dynamodb scan is one JSON value holding every record:
// it may be larger than a record (up to MaxScanDocument), and the values
// after it are records again.
func TestScanDocumentSpan(t *testing.T) {
	item := `{"id":{"S":"%d"},"user":{"S":"alice"},"profile":{"S":"prod"},"status":{"S":"active"},"started_at":{"S":"2026-11-20T10:00:00Z"},"expires_at":{"S":"2026-11-20T11:00:00Z"},"created_at":{"S":"2026-11-20T10:00:00Z"},"updated_at":{"S":"2026-11-20T10:00:00Z"},"padding":{"S":"` + strings.Repeat("p", 400) + `"}}`
	var b strings.Builder
	b.WriteString(`{"Items":[`)
	const n = 5000 // 3 MB
	for i := range n {
		if i > 0 {
			b.WriteString(",\n  ")
		}
		fmt.Fprintf(&b, item, i)
	}
	b.WriteString(`],"Count":5000,"ScannedCount":5000}`)
	var st Stats
	if _, err := readAllRecords(context.Background(), strings.NewReader(b.String()), "scan.json", &st); err != nil || st.Records != n {
		t.Fatalf("a %d MB scan: %d records, %v", b.Len()>>20, st.Records, err)
	}
	_, err := readAllRecords(context.Background(), strings.NewReader(b.String()+"\n"+`{"Items":[`+strings.Repeat(" ", 2*MaxRecordSpan)+`]}`), "scan.json", &st)
	var ce *capError
	if !errors.As(err, &ce) || ce.limit != MaxRecordSpan {
		t.Errorf("a second large value: %v, want the record cap", err)
	}
	_, err = readAllRecords(context.Background(), io.MultiReader(strings.NewReader(`{"Items":[`), io.LimitReader(repeatByte(' '), MaxScanDocument+1)), "scan.json", &st)
	if !errors.As(err, &ce) || ce.limit != MaxScanDocument || !strings.Contains(err.Error(), "dynamodb://TABLE") {
		t.Errorf("a first value past MaxScanDocument: %v", err)
	}
}

// A record that holds an attribute twice is unusable: which value the
// broker wrote is unknown, and the last one silently won ("revoked" then
// "active" read as active).
func TestRepeatedAttribute(t *testing.T) {
	for _, line := range []string{
		`{"id":"s1","user":"alice","profile":"prod","status":"revoked","status":"active","started_at":"2026-11-20T10:00:00Z","updated_at":"2026-11-20T11:00:00Z"}`,
		`{"Item":{"id":{"S":"s1"},"user":{"S":"alice"},"profile":{"S":"prod"},"status":{"S":"revoked"},"status":{"S":"active"},"started_at":{"S":"2026-11-20T10:00:00Z"}}}`,
		`{"id":{"S":"s1"},"user":{"S":"alice"},"st\u0061tus":{"S":"revoked"},"status":{"S":"active"}}`,
	} {
		var st Stats
		_, err := readAllRecords(context.Background(), strings.NewReader(line+"\n"), "s.jsonl", &st)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if st.RecordsUnusable != 1 || st.FirstUnusable == nil || !strings.Contains(st.FirstUnusable.Reason, "the attribute status appears twice") {
			t.Errorf("%s: %d unusable, first %+v; want the repeated status", line, st.RecordsUnusable, st.FirstUnusable)
		}
	}
}

// An attribute named like one a record reads but in another case makes the
// record unusable: "Status":"revoked" was read as a record without a
// status, live by its times, so a revoked session passed.
func TestCaseVariantAttribute(t *testing.T) {
	for _, tc := range []struct{ line, name string }{
		{`{"id":"s1","user":"alice","profile":"prod","Status":"revoked","started_at":"2026-11-20T10:00:00Z","expires_at":"2026-11-20T18:00:00Z","updated_at":"2026-11-20T11:00:00Z"}`, `"Status"`},
		{`{"id":"s1","user":"alice","profile":"prod","status":"active","STATUS":"revoked","started_at":"2026-11-20T10:00:00Z","expires_at":"2026-11-20T18:00:00Z"}`, `"STATUS"`},
		{`{"id":"s1","user":"alice","profile":"prod","status":"active","Updated_At":"2026-11-20T11:00:00Z","started_at":"2026-11-20T10:00:00Z","expires_at":"2026-11-20T18:00:00Z"}`, `"Updated_At"`},
		{`{"id":"s1","user":"alice","profile":"prod","status":"active","ſtatus":"revoked","started_at":"2026-11-20T10:00:00Z","expires_at":"2026-11-20T18:00:00Z"}`, `"ſtatus"`},
		{`{"Item":{"id":{"S":"s1"},"user":{"S":"alice"},"profile":{"S":"prod"},"Status":{"S":"revoked"},"started_at":{"S":"2026-11-20T10:00:00Z"},"expires_at":{"S":"2026-11-20T18:00:00Z"}}}`, `"Status"`},
		{`{"id":{"S":"s1"},"user":{"S":"alice"},"profile":{"S":"prod"},"Status":{"S":"revoked"},"expires_at":{"S":"2026-11-20T18:00:00Z"}}`, `"Status"`},
		{`{"item":{"id":{"S":"s1"},"status":{"S":"revoked"}}}`, `"item" differs from Item`},
	} {
		var st Stats
		_, err := readAllRecords(context.Background(), strings.NewReader(tc.line+"\n"), "s.jsonl", &st)
		if err != nil {
			t.Fatalf("%s: %v", tc.line, err)
		}
		if st.RecordsUnusable != 1 || st.FirstUnusable == nil || !strings.Contains(st.FirstUnusable.Reason, "the attribute "+tc.name) {
			t.Errorf("%s: %d unusable, first %+v; want the attribute %s named", tc.line, st.RecordsUnusable, st.FirstUnusable, tc.name)
		}
	}
	// Names that only look alike, and the attributes of other programs,
	// are still left alone.
	var st Stats
	recs, err := readAllRecords(context.Background(), strings.NewReader(`{"id":"s1","user":"alice","profile":"prod","status":"active","statuses":"x","Client":"y","started_at":"2026-11-20T10:00:00Z","expires_at":"2026-11-20T18:00:00Z"}`+"\n"), "s.jsonl", &st)
	if err != nil || len(recs) != 1 || st.RecordsUnusable != 0 {
		t.Errorf("other attributes: %d records, %d unusable, %v", len(recs), st.RecordsUnusable, err)
	}
}

// A scan's Count is the number of Items it returned: a list that holds
// another number was cut or edited, and is refused.
func TestScanCount(t *testing.T) {
	item := `{"id":{"S":"s1"},"user":{"S":"alice"},"profile":{"S":"prod"},"status":{"S":"active"},"started_at":{"S":"2026-11-20T10:00:00Z"},"expires_at":{"S":"2026-11-20T18:00:00Z"}}`
	for _, tc := range []struct{ doc, err string }{
		{`{"Items":[` + item + `],"Count":1,"ScannedCount":1}`, ""},
		// A filtered scan: the items it read and left out are missing.
		{`{"Items":[` + item + `],"Count":1,"ScannedCount":5}`, "says ScannedCount 5 but holds 1 items: the scan was filtered"},
		{`{"Items":[` + item + `],"Count":1,"ScannedCount":"1"}`, `says ScannedCount "1" but holds 1 items`},
		{`{"Items":[` + item + `],"Count":1,"ScannedCount":1,"ScannedCount":1}`, "holds ScannedCount twice"},
		{`{"Items":[` + item + `]}`, ""},
		{`{"Items":[` + item + `],"Count":5,"ScannedCount":5}`, "says Count 5 but holds 1 items"},
		{`{"Count":0,"Items":[` + item + `]}`, "says Count 0 but holds 1 items"},
		{`{"Items":[` + item + `],"Count":"1"}`, `says Count "1" but holds 1 items`},
		{`{"Items":[` + item + `],"Count":1,"Count":2}`, "holds Count twice"},
		{`{"Items":[` + item + `],"Count":1,"items":[` + item + `]}`, `holds "items", which differs from Items only in case`},
		{`{"ITEMS":[],"Items":[` + item + `]}`, `holds "ITEMS", which differs from Items only in case`},
	} {
		var st Stats
		recs, err := readAllRecords(context.Background(), strings.NewReader(tc.doc), "scan.json", &st)
		switch {
		case tc.err == "" && (err != nil || len(recs) != 1):
			t.Errorf("%s: %d records, %v", tc.doc, len(recs), err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v, want %q", tc.doc, err, tc.err)
		}
	}
}

// The rest of a repeated value: a type tag written twice in DynamoDB JSON,
// a scan answer with two Items lists, and every value of a repeated
// source_identity stays known (the first one fell back to matching by
// time, and an event carrying it passed with --skip-unreadable).
func TestRepeatedValues(t *testing.T) {
	read := func(in string) (Stats, *Index, error) {
		var st Stats
		var b IndexBuilder
		err := readRecords(context.Background(), strings.NewReader(in), "s.jsonl", &st, &b)
		return st, b.Index(), err
	}
	st, _, err := read(`{"Item":{"id":{"S":"s1"},"user":{"S":"alice"},"profile":{"S":"prod"},"status":{"S":"revoked","S":"active"},"started_at":{"S":"2026-11-20T10:00:00Z"}}}` + "\n")
	if err != nil || st.RecordsUnusable != 1 || !strings.Contains(st.FirstUnusable.Reason, `attribute "status" holds its type tag twice`) {
		t.Errorf("a repeated type tag: %v, %+v", err, st)
	}
	_, _, err = read(`{"Items":[{"id":{"S":"s1"}}],"Items":[{"id":{"S":"s2"}}]}`)
	if err == nil || !strings.Contains(err.Error(), "holds Items twice") {
		t.Errorf("two Items lists: %v", err)
	}
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	_, ix, err := read(`{"id":"s1","user":"alice","profile":"prod","status":"revoked","source_identity":"sentinel:alice:direct:0000000a","source_identity":"sentinel:alice:direct:0000000b","started_at":"2026-11-20T10:00:00Z","updated_at":"2026-11-20T11:00:00Z"}` + "\n" +
		`{"id":"r2","user":"alice","profile":"prod","status":"active","started_at":"2026-11-20T09:00:00Z","expires_at":"2026-11-20T18:00:00Z"}` + "\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, si := range []string{"sentinel:alice:direct:0000000a", "sentinel:alice:direct:0000000b"} {
		if m := ix.Lookup(ModeAuto, MatchQuery{SourceIdentity: si, User: "alice", Profile: "prod", Time: t0.Add(3 * time.Hour)}); m.Outcome != NoRecord {
			t.Errorf("%s: %v (%s), want no record (matched by time to r2 otherwise)", si, m.Outcome, m.ID)
		}
	}
}

// A record whose id is written twice, or with its type tag twice, is left
// out under every value: its other versions are not used (its revocation
// was skipped while its active version still covered the event).
func TestRepeatedIDLeavesEveryValueOut(t *testing.T) {
	active := `{"id":"r1","user":"alice","profile":"prod","status":"active","started_at":"2026-11-20T09:00:00Z","expires_at":"2026-11-20T18:00:00Z"}`
	for _, bad := range []string{
		`{"Item":{"id":{"S":"r1","S":"r1"},"user":{"S":"alice"},"profile":{"S":"prod"},"status":{"S":"revoked"},"updated_at":{"S":"2026-11-20T10:00:00Z"}}}`,
		`{"id":"r1","id":"r9","user":"alice","profile":"prod","status":"revoked","updated_at":"2026-11-20T10:00:00Z"}`,
	} {
		var st Stats
		var b IndexBuilder
		if err := readRecords(context.Background(), strings.NewReader(active+"\n"+bad+"\n"), "s.jsonl", &st, &b); err != nil {
			t.Fatal(err)
		}
		ix := b.Index()
		m := ix.Lookup(ModeUserProfileWindow, MatchQuery{User: "alice", Profile: "prod", Time: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)})
		if m.Outcome != NoRecord || st.RecordsUnusable != 1 {
			t.Errorf("%s: %v (%s), %d unusable; want r1 left out", bad, m.Outcome, m.ID, st.RecordsUnusable)
		}
	}
}

// A value that cannot be used leaves out every id it holds, however deep
// (in an array, in Items, in an Item that is no object), and no record
// with its source_identity tracks a session: it may be their revocation.
// A line that holds a record and a scan's Items is refused, as reading one
// would drop the other.
func TestUnusableValueLeavesOutWhatItNames(t *testing.T) {
	const si = "sentinel:alice:direct:1a2b0000"
	live := `{"id":"r1","user":"alice","profile":"prod","status":"active","source_identity":"` + si + `","started_at":"2026-11-17T09:00:00Z","expires_at":"2026-11-17T11:00:00Z"}`
	revokedDDB := `{"id":{"S":"r1"},"user":{"S":"alice"},"profile":{"S":"prod"},"status":{"S":"revoked"},"source_identity":{"S":"` + si + `"},"started_at":{"S":"2026-11-17T09:00:00Z"},"updated_at":{"S":"2026-11-17T09:45:00Z"}}`
	q := MatchQuery{SourceIdentity: si, User: "alice", Profile: "prod", Time: time.Date(2026, 11, 17, 10, 0, 0, 0, time.UTC)}
	for _, bad := range []string{
		`{"Items":{"0":` + revokedDDB + `}}`,
		`[` + revokedDDB + `]`,
		`{"Item":[` + revokedDDB + `]}`,
		`{"id":5,"status":"revoked","source_identity":"` + si + `","updated_at":"2026-11-17T09:45:00Z"}`, // only the identity names r1
	} {
		var st Stats
		var b IndexBuilder
		if err := readRecords(context.Background(), strings.NewReader(live+"\n"+bad+"\n"), "s.jsonl", &st, &b); err != nil {
			t.Fatalf("%s: %v", bad, err)
		}
		if st.RecordsUnusable != 1 {
			t.Errorf("%s: %d unusable, want 1", bad, st.RecordsUnusable)
		}
		ix := b.Index()
		for _, mode := range []string{ModeAuto, ModeSourceIdentity, ModeUserProfileWindow} {
			if m := ix.Lookup(mode, q); m.Outcome != NoRecord {
				t.Errorf("%s (%s): %v (%s), want no record: the unusable value may be r1's revocation", bad, mode, m.Outcome, m.ID)
			}
		}
	}
	// The same inside an array or a scan's Items: the value is unusable,
	// and no version of r1 is used.
	for _, content := range []string{
		`[` + live + `,{"id":"r1","status":"active","Item":` + revokedDDB + `}]`,
		`[` + live + `,{"Item":` + revokedDDB + `,"status":"active"}]`,
		live + "\n" + `{"Items":[{"Item":` + revokedDDB + `,"status":"active"}]}`,
		`[` + live + `,{"Items":[` + revokedDDB + `]}]`,
	} {
		var st Stats
		var b IndexBuilder
		if err := readRecords(context.Background(), strings.NewReader(content), "s.json", &st, &b); err != nil {
			t.Fatalf("%s: %v", content, err)
		}
		if st.RecordsUnusable != 1 || len(st.Skipped) == 0 || !strings.Contains(st.Skipped[len(st.Skipped)-1].Reason, "would be lost") {
			t.Errorf("%s: %d unusable (%+v), want 1, as one side would be lost", content, st.RecordsUnusable, st.Skipped)
		}
		if m := b.Index().Lookup(ModeAuto, q); m.Outcome != NoRecord {
			t.Errorf("%s: %v (%s), want no record: the side left out may be r1's revocation", content, m.Outcome, m.ID)
		}
	}
	// A line that holds a scan's Items beside a record, or an export
	// line's Item beside a record's own attributes: either one read alone
	// would drop the other (a revocation in it).
	const items, item = "holds both a scan's Items and a record's attributes", "holds both an Item and a record's attributes"
	for doc, want := range map[string]string{
		`{"Item":` + revokedDDB + `,"Items":[` + revokedDDB + `]}`:                         items,
		`{"id":"r2","user":"alice","Items":[` + revokedDDB + `]}`:                          items,
		`{"Items":[` + revokedDDB + `],"id":"r2"}`:                                         items,
		`{"Items":[` + revokedDDB + `],"status":"revoked","source_identity":"` + si + `"}`: items, // a version without an id
		`{"id":"r1","status":"active","Item":` + revokedDDB + `}`:                          item,
		`{"Item":` + revokedDDB + `,"status":"active"}`:                                    item,
		`{"Item":` + revokedDDB + `,"source_identity":"` + si + `"}`:                       item,
	} {
		var st Stats
		var b IndexBuilder
		err := readRecords(context.Background(), strings.NewReader(live+"\n"+doc+"\n"), "s.jsonl", &st, &b)
		var se *SourceError
		if !errors.As(err, &se) || se.Line != 2 || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error at line 2: %s", doc, err, want)
		}
	}
}

// A named pipe with no writer, a writer that is slow, or one that never
// stops writing blank lines, does not hold a cancelled Load: the open or
// the read returns when the context ends.
func TestFileStoreFIFOCancel(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(w *os.File, stop <-chan struct{}) // nil: no writer
	}{
		{"no writer", nil},
		{"a writer that writes nothing", func(w *os.File, stop <-chan struct{}) { <-stop }},
		{"a writer of endless blank lines", func(w *os.File, stop <-chan struct{}) {
			blank := bytes.Repeat([]byte("\n"), 4096)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := w.Write(blank); err != nil {
					return
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.jsonl")
			if err := mkfifo(path); err != nil {
				t.Skip(err)
			}
			stop := make(chan struct{})
			wrote := make(chan struct{})
			go func() {
				defer close(wrote)
				if tc.write == nil {
					return
				}
				w, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				defer w.Close()
				tc.write(w, stop)
			}()
			defer func() { close(stop); <-wrote }()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := NewFileStore(path).Load(ctx, Query{}, &IndexBuilder{})
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v, want the context's", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Load did not return after its context ended")
			}
		})
	}
}

// A source_identity is read without surrounding spaces, in a file as in a
// DynamoDB export: written with them, a revoked record matched no event
// and its session passed as tracked by another record's window.
func TestSourceIdentitySpaces(t *testing.T) {
	t0 := time.Date(2026, 11, 18, 10, 30, 0, 0, time.UTC)
	for _, in := range []string{
		`{"id":"a","user":"alice","profile":"prod","status":"revoked","started_at":"2026-11-18T10:00:00Z","expires_at":"2026-11-18T11:00:00Z","updated_at":"2026-11-18T10:10:00Z","source_identity":"sentinel:alice:direct:0000aaaa "}`,
		`{"Item":{"id":{"S":"a"},"user":{"S":"alice"},"profile":{"S":"prod"},"status":{"S":"revoked"},"started_at":{"S":"2026-11-18T10:00:00Z"},"expires_at":{"S":"2026-11-18T11:00:00Z"},"updated_at":{"S":"2026-11-18T10:10:00Z"},"source_identity":{"S":"\tsentinel:alice:direct:0000aaaa"}}}`,
	} {
		in += "\n" + `{"id":"b","user":"alice","profile":"prod","status":"active","started_at":"2026-11-18T10:00:00Z","expires_at":"2026-11-18T11:00:00Z"}` + "\n"
		var st Stats
		var b IndexBuilder
		if err := readRecords(context.Background(), strings.NewReader(in), "s.jsonl", &st, &b); err != nil || st.Records != 2 {
			t.Fatalf("%v, %+v", err, st)
		}
		m := b.Index().Lookup(ModeAuto, MatchQuery{SourceIdentity: "sentinel:alice:direct:0000aaaa", User: "alice", Profile: "prod", Time: t0})
		if m.Outcome != Revoked || m.ID != "a" {
			t.Errorf("%s: %v (%s), want revoked (a)", in[:40], m.Outcome, m.ID)
		}
	}
}
