package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sentinel-check/sentinel-check/internal/english"
)

// The bad-input corpus: one end-to-end run of `check` per kind of bad
// input. Each case asserts the exit code, that the error is one line naming
// the file (and the record or byte where it applies), and, run again with
// --skip-unreadable, that the report's source counts add up. The table in
// docs/bad-input.md describes the same cases.

var hardBase = time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)

const hardPolicy = `profile "prod" {
  role_arns = ["arn:aws:iam::111122223333:role/Prod*"]
}
rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod"]
}
`

const hardSI = "sentinel:alice:direct:0000000a"

// hardRecord is a successful AssumeRole into ProdAdmin at hardBase.
func hardRecord(id, si string) map[string]any {
	req := map[string]any{"roleArn": "arn:aws:iam::111122223333:role/ProdAdmin", "roleSessionName": "s-" + id}
	if si != "" {
		req["sourceIdentity"] = si
	}
	return map[string]any{
		"eventVersion": "1.08", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
		"eventTime": hardBase.Format(time.RFC3339), "eventID": id, "awsRegion": "us-east-1",
		"recipientAccountId": "111122223333", "sourceIPAddress": "192.0.2.1", "userAgent": "aws-cli/2",
		"userIdentity":      map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/u"},
		"requestParameters": req,
		"responseElements":  map[string]any{"credentials": map[string]any{"accessKeyId": "ASIAABCDEFGHIJKLMNOP", "sessionToken": "TOKEN", "secretAccessKey": "SECRET"}},
	}
}

func hardDoc(recs ...map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		panic(err)
	}
	return b
}

func hardGzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func hardWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// hardTotals is the sources part of the JSON report.
type hardTotals struct {
	Sources struct {
		CloudTrail []struct {
			Skipped []struct{ Item, Reason string } `json:"skipped"`
		} `json:"cloudtrail"`
		Totals struct {
			Files            int64 `json:"files"`
			FilesSkipped     int64 `json:"files_skipped"`
			Records          int64 `json:"records"`
			RecordsSkipped   int64 `json:"records_skipped"`
			Unreadable       int64 `json:"unreadable"`
			AssumeRoleEvents int64 `json:"assume_role_events"`
			Duplicates       int64 `json:"duplicates"`
			OutsideWindow    int64 `json:"outside_window"`
			Failed           int64 `json:"failed"`
			Sessions         int64 `json:"sessions"`
		} `json:"totals"`
	} `json:"sources"`
	Profiles []struct {
		Profile  string `json:"profile"`
		Sessions int    `json:"sessions"`
		Tracked  int    `json:"tracked"`
	} `json:"profiles"`
	Findings []struct {
		ID      string   `json:"id"`
		Message string   `json:"message"`
		Role    string   `json:"role"`
		Events  []string `json:"events"`
	} `json:"findings"`
}

// hardRun runs check on the trail path with the case's policy, a session
// export holding the good event's record, and a JSON report.
type hardRun struct {
	code           int
	stdout, stderr string
	report         *hardTotals
	elapsed        time.Duration
}

func hardCheck(t *testing.T, dir, policy, trail string, extra ...string) hardRun {
	t.Helper()
	pol := filepath.Join(dir, "policy.hcl")
	hardWrite(t, pol, []byte(policy))
	sess := filepath.Join(dir, "sessions.json")
	if _, err := os.Stat(sess); err != nil {
		f := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
		recs := []map[string]any{{"id": "r1", "user": "alice", "profile": "prod", "status": "active", "source_identity": hardSI,
			"started_at": f(hardBase.Add(-time.Minute)), "expires_at": f(hardBase.Add(time.Hour)), "last_access_at": f(hardBase),
			"created_at": f(hardBase.Add(-time.Minute)), "updated_at": f(hardBase.Add(-time.Minute))}}
		b, _ := json.Marshal(recs)
		hardWrite(t, sess, b)
	}
	out := filepath.Join(dir, fmt.Sprintf("report-%d.json", time.Now().UnixNano()))
	args := []string{"sentinel-check", "check", "--policy", pol, "--cloudtrail", trail, "--sessions", sess,
		"--since", hardBase.Add(-24 * time.Hour).Format(time.RFC3339), "--until", hardBase.Add(24 * time.Hour).Format(time.RFC3339),
		"--format", "json=" + out, "--base-dir", dir}
	args = append(args, extra...)
	var stdout, stderr bytes.Buffer
	start := time.Now()
	done := make(chan int, 1)
	go func() { done <- Command{Stdout: &stdout, Stderr: &stderr}.Main(args) }()
	var r hardRun
	select {
	case r.code = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("check did not finish within 60 s (a FIFO opened, a loop followed?)")
	}
	r.elapsed = time.Since(start)
	r.stdout, r.stderr = stdout.String(), stderr.String()
	if b, err := os.ReadFile(out); err == nil {
		r.report = new(hardTotals)
		if err := json.Unmarshal(b, r.report); err != nil {
			t.Fatalf("the JSON report does not parse: %v", err)
		}
		if !utf8.Valid(b) {
			t.Errorf("the JSON report is not valid UTF-8")
		}
	}
	return r
}

// oneLine asserts that stderr is exactly one line holding every want.
func oneLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	line := strings.TrimSuffix(stderr, "\n")
	if line == "" || strings.ContainsAny(line, "\n\r") {
		t.Errorf("the error is not one line:\n%s", stderr)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("the error does not say %q:\n%s", w, line)
		}
	}
}

// addsUp asserts the report's totals: every assume-role event ends in one
// bucket, and every file seen is read, skipped or unreadable.
func addsUp(t *testing.T, rep *hardTotals, filesSeen int64) {
	t.Helper()
	if rep == nil {
		t.Fatal("no JSON report was written")
	}
	tt := rep.Sources.Totals
	if tt.AssumeRoleEvents != tt.Duplicates+tt.OutsideWindow+tt.Failed+tt.Sessions {
		t.Errorf("assume_role_events %d != duplicates %d + outside_window %d + failed %d + sessions %d",
			tt.AssumeRoleEvents, tt.Duplicates, tt.OutsideWindow, tt.Failed, tt.Sessions)
	}
	if filesSeen >= 0 && tt.Files+tt.FilesSkipped+tt.Unreadable != filesSeen {
		t.Errorf("files %d + files_skipped %d + unreadable %d != %d files seen", tt.Files, tt.FilesSkipped, tt.Unreadable, filesSeen)
	}
}

func (r *hardTotals) finding(id string) string {
	for _, f := range r.Findings {
		if f.ID == id {
			return f.Message
		}
	}
	return ""
}

// badFile is a case where one file of a trail folder (beside a good file
// holding one tracked session) is bad.
type badFile struct {
	name string
	// make writes the bad input into dir/trail and returns its path.
	make func(t *testing.T, trail string) string
	args []string
	// exit is the code without --skip-unreadable; want are the parts of
	// the one-line error ({bad} is the bad file's path).
	exit int
	want []string
	// files seen in the folder (the good file included), for the totals.
	files int64
	// unreadable files and unusable records with --skip-unreadable.
	unreadable, recordsSkipped int64
	// before is the records of the bad file read before its error, each
	// an untracked session: with --skip-unreadable they are checked (and
	// found), as they are evidence whatever comes after them.
	before int64
}

func TestBadInputFiles(t *testing.T) {
	good := hardDoc(hardRecord("good-1", hardSI))
	cases := []badFile{
		{
			name: "truncated gzip",
			make: func(t *testing.T, trail string) string {
				gz := hardGzip(hardDoc(hardRecord("e1", ""), hardRecord("e2", "")))
				p := filepath.Join(trail, "cut.json.gz")
				hardWrite(t, p, gz[:len(gz)/2])
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "truncated"}, files: 2, unreadable: 1,
		},
		{
			name: "gzip bomb over --max-decompressed",
			make: func(t *testing.T, trail string) string {
				doc := append(append([]byte(`{"Records":[`), bytes.Repeat([]byte(" "), 16<<20)...), []byte(`]}`)...)
				p := filepath.Join(trail, "bomb.json.gz")
				hardWrite(t, p, hardGzip(doc))
				return p
			},
			args: []string{"--max-decompressed", "1048576"},
			exit: ExitSource, want: []string{"{bad}", "decompressed size exceeds the cap", "1 MiB", "gzip bomb"}, files: 2, unreadable: 1,
		},
		{
			name: "not JSON",
			make: func(t *testing.T, trail string) string {
				p := filepath.Join(trail, "page.json")
				hardWrite(t, p, []byte("<html><body>AccessDenied</body></html>\n"))
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "byte 0", "not a JSON object or array"}, files: 2, unreadable: 1,
		},
		{
			name: "Records not an array",
			make: func(t *testing.T, trail string) string {
				p := filepath.Join(trail, "obj.json")
				hardWrite(t, p, []byte(`{"Records":{"eventName":"AssumeRole"}}`))
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "Records at byte 11", "want an array"}, files: 2, unreadable: 1,
		},
		{
			name: "a record that is not an object",
			make: func(t *testing.T, trail string) string {
				p := filepath.Join(trail, "str.json")
				doc := hardDoc(hardRecord("e1", ""))
				doc = append(doc[:len(doc)-2], []byte(`,"AssumeRole"]}`)...)
				hardWrite(t, p, doc)
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "Records[1] at byte", "is a string, want a record object"}, files: 2, unreadable: 1, before: 1,
		},
		{
			name: "eventTime not a time",
			make: func(t *testing.T, trail string) string {
				r := hardRecord("e-time", "")
				r["eventTime"] = "yesterday"
				p := filepath.Join(trail, "time.json")
				hardWrite(t, p, hardDoc(hardRecord("e0", hardSI), r))
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "Records[1]", `"e-time"`, "eventTime", "RFC 3339"}, files: 2, recordsSkipped: 1,
		},
		{
			name: "requestParameters a string",
			make: func(t *testing.T, trail string) string {
				r := hardRecord("e-req", "")
				r["requestParameters"] = "roleArn=arn:aws:iam::111122223333:role/ProdAdmin"
				p := filepath.Join(trail, "req.json")
				hardWrite(t, p, hardDoc(r))
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "Records[0]", "requestParameters", "want an object"}, files: 2, recordsSkipped: 1,
		},
		{
			name: "missing eventID",
			make: func(t *testing.T, trail string) string {
				r := hardRecord("x", "")
				delete(r, "eventID")
				p := filepath.Join(trail, "noid.json")
				hardWrite(t, p, hardDoc(r))
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "Records[0]", "eventID is missing"}, files: 2, recordsSkipped: 1,
		},
		{
			// What jq -s writes: the array's element is a whole document,
			// not a record; the assume-role call inside it is not lost.
			name: "an array of CloudTrail documents (jq -s)",
			make: func(t *testing.T, trail string) string {
				p := filepath.Join(trail, "slurp.json")
				hardWrite(t, p, []byte("["+string(hardDoc(hardRecord("slurped", "")))+"]"))
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "record [0]", "eventSource is missing: this is not a CloudTrail record", "as jq -s writes"}, files: 2, recordsSkipped: 1,
		},
		{
			name: "a 100 MB record on one line",
			make: func(t *testing.T, trail string) string {
				r := hardRecord("huge", "")
				r["userAgent"] = strings.Repeat("A", 100<<20)
				p := filepath.Join(trail, "huge.json")
				hardWrite(t, p, hardDoc(r))
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "Records[0] at byte 12", "record cap of 64 MiB"}, files: 2, unreadable: 1,
		},
		{
			name: "lookup-events page with a NextToken",
			make: func(t *testing.T, trail string) string {
				p := filepath.Join(trail, "page.json")
				ev, _ := json.Marshal(hardRecord("page-1", ""))
				b, _ := json.Marshal(map[string]any{"Events": []any{map[string]any{"EventId": "page-1", "CloudTrailEvent": string(ev)}}, "NextToken": "eyJ0b2tlbiI6MX0="})
				hardWrite(t, p, b)
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "holds a NextToken", "without --max-items"}, files: 2, unreadable: 1, before: 1,
		},
		{
			name: "empty file",
			make: func(t *testing.T, trail string) string {
				p := filepath.Join(trail, "empty.json")
				hardWrite(t, p, nil)
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "empty"}, files: 2, unreadable: 1,
		},
		{
			name: "binary, not UTF-8",
			make: func(t *testing.T, trail string) string {
				p := filepath.Join(trail, "bin.json")
				hardWrite(t, p, []byte{0xff, 0xfe, 0x00, 0x7b, 0x80})
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "0xff at byte 0"}, files: 2, unreadable: 1,
		},
		{
			name: "dangling symbolic link",
			make: func(t *testing.T, trail string) string {
				p := filepath.Join(trail, "gone.json")
				if err := os.Symlink(filepath.Join(trail, "nowhere.json"), p); err != nil {
					t.Fatal(err)
				}
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "cannot open", "symbolic link to nothing", "fix the link"}, files: 2, unreadable: 1,
		},
		{
			name: "named pipe with no writer",
			make: func(t *testing.T, trail string) string {
				p := filepath.Join(trail, "pipe.json")
				if err := os.MkdirAll(trail, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := mkfifo(p); err != nil {
					t.Skipf("cannot make a FIFO: %v", err)
				}
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "named pipe, not a regular file", "not streams such as <(…)"}, files: 2, unreadable: 1,
		},
		{
			name: "file without read permission",
			make: func(t *testing.T, trail string) string {
				if os.Geteuid() == 0 {
					t.Skip("root reads any file; the dangling link and the FIFO cover unreadable files")
				}
				p := filepath.Join(trail, "secret.json")
				hardWrite(t, p, good)
				if err := os.Chmod(p, 0); err != nil {
					t.Fatal(err)
				}
				return p
			},
			exit: ExitSource, want: []string{"{bad}", "permission denied"}, files: 2, unreadable: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			trail := filepath.Join(dir, "trail")
			hardWrite(t, filepath.Join(trail, "good.json"), good)
			bad := tc.make(t, trail)
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = strings.ReplaceAll(w, "{bad}", bad)
			}

			r := hardCheck(t, dir, hardPolicy, trail, tc.args...)
			if r.code != tc.exit {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, tc.exit, r.stderr)
			}
			oneLine(t, r.stderr, want...)
			t.Logf("exit %d: %s", r.code, strings.TrimSpace(strings.ReplaceAll(r.stderr, dir, "DIR")))
			if r.report != nil {
				t.Errorf("a report was written although the run failed")
			}

			// The bad file named on its own fails the same way.
			r = hardCheck(t, dir, hardPolicy, bad, tc.args...)
			if r.code != tc.exit {
				t.Errorf("named on its own: exit code %d, want %d; stderr:\n%s", r.code, tc.exit, r.stderr)
			}

			r = hardCheck(t, dir, hardPolicy, trail, append(tc.args, "--skip-unreadable")...)
			if wantCode := map[bool]int{false: ExitOK, true: ExitFindings}[tc.before > 0]; r.code != wantCode {
				t.Fatalf("--skip-unreadable: exit code %d, want %d (SC2002 is a warning; the records before the error are checked); stderr:\n%s", r.code, wantCode, r.stderr)
			}
			addsUp(t, r.report, tc.files)
			tt := r.report.Sources.Totals
			if tt.Unreadable != tc.unreadable || tt.RecordsSkipped != tc.recordsSkipped {
				t.Errorf("--skip-unreadable: %d unreadable, %d records skipped; want %d, %d", tt.Unreadable, tt.RecordsSkipped, tc.unreadable, tc.recordsSkipped)
			}
			problem := fmt.Sprintf("%d unreadable", tc.unreadable)
			if tc.recordsSkipped > 0 {
				problem = english.Count(tc.recordsSkipped, "unusable assume-role record", "unusable assume-role records")
			}
			if msg := r.report.finding("SC2002"); !strings.Contains(msg, problem) {
				t.Errorf("--skip-unreadable: SC2002 %q does not say %q", msg, problem)
			}
			listed := false
			for _, s := range r.report.Sources.CloudTrail[0].Skipped {
				if strings.HasPrefix(s.Item, bad) {
					listed = true
					if said := strings.Contains(s.Reason, "before the error"); said != (tc.before > 0) {
						t.Errorf("--skip-unreadable: the reason %q says records before the error were checked: %v, want %v", s.Reason, said, tc.before > 0)
					}
				}
			}
			if !listed {
				t.Errorf("--skip-unreadable: %s is not listed among the skipped items", bad)
			}
			if len(r.report.Profiles) != 1 || r.report.Profiles[0].Tracked < 1 || int64(r.report.Profiles[0].Sessions-r.report.Profiles[0].Tracked) != tc.before {
				t.Errorf("--skip-unreadable: want the good file's session tracked and %d untracked from before the error: %+v", tc.before, r.report.Profiles)
			}
			if tt.Records < 1+tc.before+tc.recordsSkipped {
				t.Errorf("--skip-unreadable: %d records read, want at least %d (the records before the error count)", tt.Records, 1+tc.before+tc.recordsSkipped)
			}
		})
	}
}

// TestBadInputValid covers inputs that are odd but readable: the run must
// succeed and count everything.
func TestBadInputValid(t *testing.T) {
	t.Run("100 MB of records on one line", func(t *testing.T) {
		dir := t.TempDir()
		trail := filepath.Join(dir, "trail")
		if err := os.MkdirAll(trail, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(trail, "big.json"))
		if err != nil {
			t.Fatal(err)
		}
		// CloudTrail writes a whole log file on one line. Records of other
		// services fill it; one in 1000 is an assume-role call.
		other, _ := json.Marshal(map[string]any{"eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
			"eventTime": hardBase.Format(time.RFC3339), "eventID": "x", "requestParameters": map[string]any{"bucketName": strings.Repeat("b", 900)}})
		f.WriteString(`{"Records":[`)
		n, ar := 0, 0
		for size := 0; size < 100<<20; n++ {
			if n > 0 {
				f.WriteString(",")
			}
			var b []byte
			if n%1000 == 0 {
				b, _ = json.Marshal(hardRecord(fmt.Sprintf("e%06d", n), ""))
				ar++
			} else {
				b = other
			}
			f.Write(b)
			size += len(b) + 1
		}
		f.WriteString("]}")
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		r := hardCheck(t, dir, hardPolicy, trail)
		if r.code != ExitFindings {
			t.Fatalf("exit code %d, want 1 (the sessions are untracked); stderr:\n%s", r.code, r.stderr)
		}
		addsUp(t, r.report, 1)
		tt := r.report.Sources.Totals
		if tt.Records != int64(n) || tt.AssumeRoleEvents != int64(ar) || tt.Sessions != int64(ar) {
			t.Errorf("read %d records, %d assume-role events, %d sessions; want %d, %d, %d", tt.Records, tt.AssumeRoleEvents, tt.Sessions, n, ar, ar)
		}
		t.Logf("%d records (%d assume-role) in 100 MB on one line: %v", n, ar, r.elapsed)
	})

	t.Run("a folder loop through symbolic links", func(t *testing.T) {
		dir := t.TempDir()
		trail := filepath.Join(dir, "trail")
		hardWrite(t, filepath.Join(trail, "a", "good.json"), hardDoc(hardRecord("good-1", hardSI)))
		if err := os.Symlink("..", filepath.Join(trail, "a", "up")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(trail, "a"), filepath.Join(trail, "a", "self")); err != nil {
			t.Fatal(err)
		}
		r := hardCheck(t, dir, hardPolicy, trail)
		if r.code != ExitOK {
			t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
		}
		addsUp(t, r.report, 1)
		tt := r.report.Sources.Totals
		if tt.Files != 1 || tt.Duplicates != 0 || tt.Sessions != 1 {
			t.Errorf("the file was read %d times (%d duplicates), want once", tt.Files, tt.Duplicates)
		}
		loops := 0
		for _, s := range r.report.Sources.CloudTrail[0].Skipped {
			if strings.Contains(s.Reason, "already read") {
				loops++
			}
		}
		if loops != 2 {
			t.Errorf("%d folders reported as already read, want 2 (up and self)", loops)
		}
	})

	t.Run("non-UTF-8 bytes and control characters in values", func(t *testing.T) {
		dir := t.TempDir()
		trail := filepath.Join(dir, "trail")
		r1 := hardRecord("e\xff1", "")
		doc := hardDoc(r1) // json.Marshal makes \xff U+FFFD: write raw bytes instead
		doc = bytes.Replace(doc, []byte(`"userAgent":"aws-cli/2"`), []byte("\"userAgent\":\"\xfe\xff\\u001b]0;pwned\\u0007\xc3\""), 1)
		doc = bytes.Replace(doc, []byte("e\uFFFD1"), []byte("e\xff1"), -1)
		hardWrite(t, filepath.Join(trail, "latin1.json"), doc)
		r := hardCheck(t, dir, hardPolicy, trail, "--format", "text")
		if r.code != ExitFindings {
			t.Fatalf("exit code %d, want 1 (an untracked session); stderr:\n%s", r.code, r.stderr)
		}
		addsUp(t, r.report, 1)
		if r.report.Sources.Totals.Sessions != 1 {
			t.Errorf("%d sessions, want 1", r.report.Sources.Totals.Sessions)
		}
		if !utf8.ValidString(r.stdout) || strings.ContainsAny(r.stdout, "\x1b\x07") {
			t.Errorf("the text output carries invalid UTF-8 or control characters:\n%q", r.stdout)
		}
	})

	t.Run("a megabyte eventID and roleArn", func(t *testing.T) {
		dir := t.TempDir()
		trail := filepath.Join(dir, "trail")
		huge := strings.Repeat("QUFB", 1<<18) // 1 MiB of base64
		untracked := hardRecord("ev-"+huge, "")
		unmapped := hardRecord("ev2-"+huge, "")
		unmapped["requestParameters"].(map[string]any)["roleArn"] = "arn:aws:iam::111122223333:role/Other" + huge
		hardWrite(t, filepath.Join(trail, "huge.json"), hardDoc(untracked, unmapped))
		sarifPath := filepath.Join(dir, "report.sarif")
		r := hardCheck(t, dir, hardPolicy, trail, "--format", "text", "--format", "sarif="+sarifPath)
		if r.code != ExitFindings {
			t.Fatalf("exit code %d, want 1 (an untracked session); stderr:\n%s", r.code, r.stderr)
		}
		// Each value is cut, marked with …, where the finding is built, so
		// every format carries the same bounded text.
		clipped := func(what, v, prefix string, limit int) {
			t.Helper()
			if len(v) > limit || !strings.HasPrefix(v, prefix) || !strings.HasSuffix(v, "…") {
				t.Errorf("%s is %d bytes (%.40q…), want at most %d, starting %q and ending with …", what, len(v), v, limit, prefix)
			}
		}
		if len(r.report.Findings) != 2 {
			t.Fatalf("%d findings, want SC1001 and SC2001", len(r.report.Findings))
		}
		for _, f := range r.report.Findings {
			if len(f.Message) > 4000 {
				t.Errorf("JSON %s message is %d bytes", f.ID, len(f.Message))
			}
			if len(f.Events) != 1 {
				t.Fatalf("JSON %s: %d events, want 1", f.ID, len(f.Events))
			}
			clipped("JSON "+f.ID+" event", f.Events[0], "ev", 256)
			if f.ID == "SC2001" {
				clipped("JSON SC2001 role", f.Role, "arn:aws:iam::111122223333:role/Other", 2048)
			}
		}
		b, err := os.ReadFile(sarifPath)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 64<<10 {
			t.Errorf("the SARIF report is %d bytes", len(b))
		}
		var log struct {
			Runs []struct {
				Results []struct {
					RuleID     string `json:"ruleId"`
					Message    struct{ Text string }
					Properties struct {
						Role   string   `json:"role"`
						Events []string `json:"events"`
					} `json:"properties"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(b, &log); err != nil {
			t.Fatal(err)
		}
		for _, res := range log.Runs[0].Results {
			if len(res.Message.Text) > 4000 {
				t.Errorf("SARIF %s message is %d bytes", res.RuleID, len(res.Message.Text))
			}
			for _, e := range res.Properties.Events {
				clipped("SARIF "+res.RuleID+" event", e, "ev", 256)
			}
			if res.RuleID == "SC2001" {
				clipped("SARIF SC2001 role", res.Properties.Role, "arn:aws:iam::111122223333:role/Other", 2048)
			}
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			if len(line) > 4000 {
				t.Errorf("a text line is %d bytes: %.80q…", len(line), line)
			}
		}
	})
}

// TestBadInputSessionsPath: a folder where the session file is expected.
func TestBadInputSessionsPath(t *testing.T) {
	dir := t.TempDir()
	trail := filepath.Join(dir, "trail")
	hardWrite(t, filepath.Join(trail, "good.json"), hardDoc(hardRecord("good-1", hardSI)))
	sess := filepath.Join(dir, "sessions.json")
	if err := os.MkdirAll(sess, 0o755); err != nil {
		t.Fatal(err)
	}
	r := hardCheck(t, dir, hardPolicy, trail)
	if r.code != ExitSource {
		t.Fatalf("exit code %d, want 3; stderr:\n%s", r.code, r.stderr)
	}
	oneLine(t, r.stderr, sess)
	t.Logf("exit %d: %s", r.code, strings.TrimSpace(strings.ReplaceAll(r.stderr, dir, "DIR")))
	if r.report != nil {
		t.Errorf("a report was written although the session records could not be read")
	}

	// Skipped: the table has no records, so the good session is not
	// tracked, and SC2002 says why.
	r = hardCheck(t, dir, hardPolicy, trail, "--skip-unreadable")
	if r.report == nil {
		t.Fatalf("no report with --skip-unreadable; exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if r.report.finding("SC2002") == "" {
		t.Errorf("no SC2002 finding for the unreadable session store")
	}
	if len(r.report.Profiles) != 1 || r.report.Profiles[0].Sessions != 1 {
		t.Fatalf("profiles %+v, want one with the good session", r.report.Profiles)
	}
	for _, p := range r.report.Profiles {
		if p.Tracked != 0 {
			t.Errorf("profile %s has %d tracked sessions without any session record", p.Profile, p.Tracked)
		}
	}
}

// TestBadInputPolicy: policies that must be refused (exit 2) with a
// diagnostic at file:line:col, quickly, or accepted and run in linear time.
func TestBadInputPolicy(t *testing.T) {
	deep := strings.Repeat("(", 10000) + `"allow"` + strings.Repeat(")", 10000)
	deepList := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	cases := []struct {
		name   string
		policy string
		want   []string
	}{
		{"a 10,000-deep expression", hardPolicy + "rule \"deep\" {\n  effect = " + deep + "\n}\n", []string{"policy.hcl:"}},
		{"a 10,000-deep list", "profile \"p\" {\n  role_arns = " + deepList + "\n}\n", []string{"policy.hcl:2:"}},
		{"an invalid regex", "identity {\n  pattern = \"^sentinel:(?P<user>[a-z+$\"\n}\n" + hardPolicy, []string{"policy.hcl:2:", "Invalid identity pattern", "missing closing"}},
		{"a time zone that does not exist", hardPolicy + "rule \"t\" {\n  effect = \"allow\"\n  time {\n    timezone = \"Mars/Olympus_Mons\"\n  }\n}\n", []string{"policy.hcl:11:", "Unknown timezone", "Mars/Olympus_Mons"}},
		{"a time zone that is a path", hardPolicy + "rule \"t\" {\n  effect = \"allow\"\n  time {\n    timezone = \"../../../../etc/passwd\"\n  }\n}\n", []string{"policy.hcl:11:", "timezone"}},
		{"the local time zone", hardPolicy + "rule \"t\" {\n  effect = \"allow\"\n  time {\n    timezone = \"Local\"\n  }\n}\n", []string{"policy.hcl:11:", "timezone"}},
		// The HCL parser joins a string's parts in quadratic time: this
		// took minutes before the limit.
		{"a heredoc of 200,000 lines", hardPolicy + "rule \"h\" {\n  effect = \"allow\"\n  reason = <<EOT\n" + strings.Repeat("line\n", 200000) + "EOT\n}\n", []string{"policy.hcl:10:", "String too long"}},
		// One diagnostic each, on one 300 KB line: 50 are written, each
		// with a cut of the line.
		{"a line of 100,000 invalid characters", hardPolicy + "x = 1" + strings.Repeat("\u2028", 100000) + "\n", []string{"policy.hcl:8:", "Invalid character", "more errors not shown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			trail := filepath.Join(dir, "trail")
			hardWrite(t, filepath.Join(trail, "good.json"), hardDoc(hardRecord("good-1", hardSI)))
			r := hardCheck(t, dir, tc.policy, trail)
			if r.code != ExitUsage {
				t.Fatalf("exit code %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			if r.elapsed > 5*time.Second {
				t.Errorf("refusing the policy took %v", r.elapsed)
			}
			if len(r.stderr) > 64<<10 {
				t.Errorf("%d bytes of diagnostics", len(r.stderr))
			}
			first, _, _ := strings.Cut(r.stderr, "\n")
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("the diagnostics do not say %q:\n%.2000s", w, r.stderr)
				}
			}
			t.Logf("exit %d in %v: %.300s", r.code, r.elapsed.Round(time.Millisecond), strings.ReplaceAll(first, dir, "DIR"))
		})
	}

	t.Run("a catastrophic regex and glob on huge values", func(t *testing.T) {
		// Backtracking engines take exponential time on these; RE2 and the
		// glob matcher are linear.
		pol := `identity {
  pattern = "^(?P<user>(a+)+)+:(?P<request>(a|aa)*)$"
}
profile "prod" {
  role_arns = ["*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"]
}
rule "prod" {
  effect   = "require_server"
  profiles = ["prod"]
}
`
		dir := t.TempDir()
		trail := filepath.Join(dir, "trail")
		r1 := hardRecord("e1", strings.Repeat("a", 200000)+"!")
		r1["requestParameters"].(map[string]any)["roleArn"] = strings.Repeat("a", 200000) + "b"
		r2 := hardRecord("e2", strings.Repeat("a", 200000)+":"+strings.Repeat("a", 200000))
		r2["requestParameters"].(map[string]any)["roleArn"] = strings.Repeat("a", 200000) + "b"
		hardWrite(t, filepath.Join(trail, "t.json"), hardDoc(r1, r2))
		r := hardCheck(t, dir, pol, trail)
		if r.code != ExitFindings {
			t.Fatalf("exit code %d, want 1 (a foreign identity bypasses the broker); stderr:\n%s", r.code, r.stderr)
		}
		if r.elapsed > 10*time.Second {
			t.Errorf("matching took %v; the matchers must be linear", r.elapsed)
		}
		if len(r.report.Profiles) != 1 || r.report.Profiles[0].Sessions != 2 {
			t.Errorf("the huge role ARNs did not map to the profile: %+v", r.report.Profiles)
		}
		t.Logf("2 events with 200 KB identities and ARNs: %v", r.elapsed)
	})
}

// An unreadable file's name is in the error: control characters in it are
// neutralised, so that it cannot drive the terminal or put a workflow
// command on a line of its own in a GitHub Actions log.
func TestErrorNeutralisesFileName(t *testing.T) {
	dir := t.TempDir()
	name := "bad\x1b[31mRED\x07\r\n::error file=x,line=1::injected.json"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(`{"Records":[{"eventID":`), 0o644); err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(dir, "policy.hcl")
	if err := os.WriteFile(policy, []byte(hardPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "check", "--policy", policy, "--cloudtrail", dir, "--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z")
	if code != ExitSource {
		t.Fatalf("exit %d, want %d; stderr %q", code, ExitSource, stderr)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr is not one line: %q", stderr)
	}
	if strings.ContainsAny(stderr, "\x1b\x07\r") {
		t.Errorf("stderr has raw control characters: %q", stderr)
	}
	if !strings.Contains(stderr, `bad\x1b[31mRED\x07\x0d\x0a::error file=x,line=1::injected.json`) {
		t.Errorf("stderr does not name the file, neutralised: %q", stderr)
	}
}
