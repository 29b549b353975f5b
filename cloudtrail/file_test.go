package cloudtrail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const invictusDir = "testdata/real/invictus-ir_aws_dataset/CloudTrail"

// readAll reads a source and returns its events sorted by origin and id.
func readAll(t *testing.T, src Source) ([]Event, Stats, error) {
	t.Helper()
	var mu sync.Mutex
	var evs []Event
	st, err := src.Read(context.Background(), Query{}, func(e Event) {
		mu.Lock()
		evs = append(evs, e)
		mu.Unlock()
	})
	sortByOriginAndID(evs)
	return evs, st, err
}

func sortByOriginAndID(evs []Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].Origin != evs[j].Origin {
			return evs[i].Origin < evs[j].Origin
		}
		return evs[i].EventID < evs[j].EventID
	})
}

func TestInvictusDataset(t *testing.T) {
	evs, st, err := readAll(t, NewFileSource([]string{invictusDir}, FileOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 55 || st.FilesSkipped != 0 || st.Unreadable != 0 || st.Records != 2900 || st.AssumeRole != 49 || st.RecordsSkipped != 0 {
		t.Errorf("stats %+v, want 55 files, 2,900 records, 49 assume-role", st)
	}
	var ok, failed int
	for _, e := range evs {
		if e.Failed() {
			failed++
			if e.ErrorCode != "AccessDenied" {
				t.Errorf("failed event %s has errorCode %q", e.EventID, e.ErrorCode)
			}
		} else {
			ok++
			if e.RoleArn == "" || e.AccessKeyID == "" || e.RoleSessionName == "" {
				t.Errorf("successful event %s lacks fields: %+v", e.EventID, e)
			}
		}
		if e.SourceIdentity != "" {
			t.Errorf("event %s has SourceIdentity %q; the dataset has none", e.EventID, e.SourceIdentity)
		}
		if !strings.HasPrefix(e.RoleArn, "arn:aws:iam::123837392027:role/") {
			t.Errorf("event %s: RoleArn %q", e.EventID, e.RoleArn)
		}
		if e.EventTime.Before(time.Date(2023, 7, 10, 11, 42, 0, 0, time.UTC)) || e.EventTime.After(time.Date(2023, 7, 10, 12, 38, 0, 0, time.UTC)) {
			t.Errorf("event %s at %v, outside the capture", e.EventID, e.EventTime)
		}
	}
	if ok != 36 || failed != 13 {
		t.Errorf("%d successful and %d failed, want 36 and 13", ok, failed)
	}
}

func TestInvictusEveryFileMatchesTheReference(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(invictusDir, "*.json"))
	if err != nil || len(files) != 55 {
		t.Fatalf("%d files, %v", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range [][]byte{data, gzipBytes(t, data)} {
			evs, st, err := decode(d, f, FileOptions{})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			compareWithReference(t, d, f, evs, st)
		}
	}
}

func TestTrailDiscoverAssumeRole(t *testing.T) {
	path := "testdata/real/traildiscover/AssumeRole.json.cloudtrail"
	evs, st, err := readAll(t, NewFileSource([]string{path}, FileOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 1 || st.Records != 1 || len(evs) != 1 {
		t.Fatalf("stats %+v, %d events", st, len(evs))
	}
	e := evs[0]
	want := Event{
		EventID:            "74291117-984f-4ac2-bffc-0dd438b58e6f",
		EventName:          "AssumeRole",
		EventTime:          time.Date(2024, 8, 18, 9, 9, 31, 0, time.UTC),
		AWSRegion:          "us-east-1",
		RecipientAccountID: "111111111111",
		RoleArn:            "arn:aws:iam::111111111111:role/TrailDiscover",
		CallerArn:          "arn:aws:iam::111111111111:user/TrailDiscover",
		SourceIPAddress:    "0.0.0.0",
		UserAgent:          e.UserAgent,
		ErrorCode:          "AccessDenied",
		Origin:             path,
	}
	if !reflect.DeepEqual(e, want) || !strings.HasPrefix(e.UserAgent, "aws-cli/2.17.32") {
		t.Errorf("event\n got %+v\nwant %+v", e, want)
	}
	// The other samples are STS calls that open no role session, in both
	// export shapes (array and single object).
	others, err := filepath.Glob("testdata/real/traildiscover/*.cloudtrail")
	if err != nil {
		t.Fatal(err)
	}
	evs, st, err = readAll(t, NewFileSource(others, FileOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 6 || st.Records != 6 || st.AssumeRole != 1 || len(evs) != 1 {
		t.Errorf("stats %+v, %d events", st, len(evs))
	}
	for _, f := range others {
		data, _ := os.ReadFile(f)
		evs, st, err := decode(data, f, FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		compareWithReference(t, data, f, evs, st)
	}
}

// writeFile writes data under dir, creating folders.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFileSourceFolder(t *testing.T) {
	dir := t.TempDir()
	doc := recordsDoc(t, assumeRole(), otherRecord("x"))
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/a.json.gz", gzipBytes(t, doc))
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/b.json", recordsDoc(t, set(assumeRole(), "eventID", "b1")))
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/c.JSON.GZ", gzipBytes(t, recordsDoc(t, set(assumeRole(), "eventID", "c1"))))
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/d.json.gz", gzipBytes(t, []byte(`{"digestS3Object":"x"}`)))
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/02/e.json.gz", gzipBytes(t, []byte(`{"digestS3Object":"y"}`)))
	writeFile(t, dir, "notes.txt", []byte("hello"))
	writeFile(t, dir, "plain.gz", gzipBytes(t, doc))
	writeFile(t, dir, "config.json", []byte(`{"name":"x"}`))
	writeFile(t, dir, "contentdigest.json", []byte(`{"digestPublicKeyFingerprint":"x","logFiles":[]}`))
	// A link loop, a second link to a folder already read, and a dangling link
	// with a log file's name.
	if err := os.Symlink("..", filepath.Join(dir, "AWSLogs", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "AWSLogs"), filepath.Join(dir, "again")); err != nil {
		t.Fatal(err)
	}

	evs, st, err := readAll(t, NewFileSource([]string{dir}, FileOptions{Workers: 3}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 3 || st.Records != 4 || st.AssumeRole != 3 || len(evs) != 3 {
		t.Errorf("stats %+v, %d events", st, len(evs))
	}
	// two digests by path (listed once, for their folder), digest by
	// content, notes.txt, plain.gz, config.json
	if st.FilesSkipped != 6 || st.Unreadable != 0 {
		t.Errorf("FilesSkipped = %d, Unreadable = %d, want 6 and 0", st.FilesSkipped, st.Unreadable)
	}
	if len(st.Skipped) != 7 { // the five above and the two links
		t.Errorf("%d Skipped entries, want 7: %+v", len(st.Skipped), st.Skipped)
	}
	reasons := map[string]string{}
	for _, s := range st.Skipped {
		reasons[strings.TrimPrefix(s.Item, dir+"/")] = s.Reason
	}
	for item, want := range map[string]string{
		"notes.txt":                              reasonNotJSONName,
		"plain.gz":                               reasonNotJSONName,
		"config.json":                            reasonNotTrail,
		"contentdigest.json":                     reasonDigest,
		"AWSLogs/111122223333/CloudTrail-Digest": "folder of CloudTrail digest files (hashes of log files, no events): 2 files",
	} {
		if reasons[item] != want {
			t.Errorf("Skipped[%s] = %q, want %q", item, reasons[item], want)
		}
	}
	if r := reasons["AWSLogs/loop"]; !strings.Contains(r, "already read") {
		t.Errorf("the link loop is not reported: %q", r)
	}
	if r := reasons["again"]; !strings.Contains(r, "already read") {
		t.Errorf("the second link is not reported: %q", r)
	}
	if !sort.SliceIsSorted(st.Skipped, func(i, j int) bool { return st.Skipped[i].Item < st.Skipped[j].Item }) {
		t.Error("Skipped is not sorted")
	}

	// A file named explicitly is read whatever its name.
	_, st, err = readAll(t, NewFileSource([]string{filepath.Join(dir, "plain.gz")}, FileOptions{}))
	if err != nil || st.Files != 1 || st.AssumeRole != 1 {
		t.Errorf("explicit file: %+v %v", st, err)
	}
	// The same file twice is read once.
	p := filepath.Join(dir, "plain.gz")
	_, st, err = readAll(t, NewFileSource([]string{p, p}, FileOptions{}))
	if err != nil || st.Files != 1 || st.FilesSkipped != 1 || st.AssumeRole != 1 {
		t.Errorf("same file twice: %+v %v", st, err)
	}
}

// Only CloudTrail's own digest folder and digest file names mark digest
// files: a folder the user named with "CloudTrail-Digest" in it holds log
// files like any other, and a path given explicitly is always read.
func TestFileSourceDigestNames(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "CloudTrail-Digest-archive")
	logFile := writeFile(t, archive, "b.json", recordsDoc(t, set(assumeRole(), "eventID", "b1")))
	writeFile(t, archive, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/c.json.gz", gzipBytes(t, recordsDoc(t, set(assumeRole(), "eventID", "c1"))))
	writeFile(t, archive, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240501T003000Z.json.gz",
		gzipBytes(t, []byte(`{"digestS3Object":"x"}`)))
	writeFile(t, archive, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/d.json.gz", gzipBytes(t, []byte(`{"digestS3Object":"y"}`)))

	for _, tc := range []struct {
		name                       string
		paths                      []string
		files, skipped, assumeRole int64
	}{
		// b.json and c.json.gz read; the digest-named file and the
		// CloudTrail-Digest folder's file skipped.
		{"folder named by the user", []string{archive}, 2, 2, 2},
		{"file given by its path", []string{logFile}, 1, 0, 1},
		// A root named CloudTrail-Digest is the user's choice: its files are
		// read, and a digest is recognised by its content. A folder that
		// holds only digests is no evidence: unreadable, like an empty one
		// (and with SkipUnreadable, one unreadable source).
		{"digest folder given as the root", []string{filepath.Join(archive, "AWSLogs/111122223333/CloudTrail-Digest")}, 0, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, st, err := readAll(t, NewFileSource(tc.paths, FileOptions{}))
			if tc.files == 0 {
				var se *SourceError
				if !errors.As(err, &se) || se.Source != tc.paths[0] || !strings.Contains(err.Error(), "none of the folder's 1 .json or .json.gz file is a CloudTrail log file (each is a digest file") {
					t.Fatalf("error %v, want one naming the folder that holds only a digest", err)
				}
				_, st, err = readAll(t, NewFileSource(tc.paths, FileOptions{SkipUnreadable: true}))
				if err != nil || st.Unreadable != 1 || len(st.Skipped) != 2 {
					t.Fatalf("with SkipUnreadable: %v, %+v; want the folder unreadable", err, st)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Files != tc.files || st.FilesSkipped != tc.skipped || st.AssumeRole != tc.assumeRole {
				t.Errorf("files %d, skipped %d, assume-role %d; want %d, %d, %d (%+v)", st.Files, st.FilesSkipped, st.AssumeRole, tc.files, tc.skipped, tc.assumeRole, st.Skipped)
			}
		})
	}
}

// CloudTrail Insights files (in their CloudTrail-Insight folder, or named as
// one) hold no API calls: they are skipped, and an Insights record read
// anyway (a file given by its path) is not an assume-role call nor unusable.
func TestFileSourceInsights(t *testing.T) {
	dir := t.TempDir()
	insight := []byte(`{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-01T10:05:00Z","eventID":"i1","eventType":"AwsCloudTrailInsight","eventCategory":"Insight","insightDetails":{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","state":"Start"}}]}`)
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/a.json", recordsDoc(t, set(assumeRole(), "eventID", "a1")))
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/05/01/111122223333_CloudTrail-Insight_us-east-1_20240501T1005Z_x.json", insight)
	named := writeFile(t, dir, "copy/111122223333_CloudTrail-Insight_us-east-1_20240501T1005Z_y.json", insight)
	_, st, err := readAll(t, NewFileSource([]string{dir}, FileOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 1 || st.FilesSkipped != 2 || st.AssumeRole != 1 || st.RecordsSkipped != 0 {
		t.Errorf("files %d, skipped %d, assume-role %d, records skipped %d; want 1, 2 (the Insights folder's file and the Insights-named one), 1, 0: %+v",
			st.Files, st.FilesSkipped, st.AssumeRole, st.RecordsSkipped, st.Skipped)
	}
	_, st, err = readAll(t, NewFileSource([]string{named}, FileOptions{}))
	if err != nil || st.Files != 1 || st.Records != 1 || st.AssumeRole != 0 || st.RecordsSkipped != 0 {
		t.Errorf("an Insights file given by its path: %+v, %v; want 1 record read, not an assume-role call, not unusable", st, err)
	}
}

func TestFileSourceWorkersAgree(t *testing.T) {
	one, st1, err := readAll(t, NewFileSource([]string{invictusDir}, FileOptions{Workers: 1}))
	if err != nil {
		t.Fatal(err)
	}
	many, st4, err := readAll(t, NewFileSource([]string{invictusDir}, FileOptions{Workers: 4}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(one, many) || !reflect.DeepEqual(st1, st4) {
		t.Error("1 and 4 workers disagree")
	}
}

func TestFileSourceUnreadable(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.json", recordsDoc(t, assumeRole()))
	trunc := gzipBytes(t, recordsDoc(t, assumeRole(), otherRecord("x")))
	bad := writeFile(t, dir, "bad.json.gz", trunc[:len(trunc)-10])
	dangling := filepath.Join(dir, "dangling.json")
	if err := os.Symlink(filepath.Join(dir, "nowhere.json"), dangling); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "pipe.json")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
	missing := filepath.Join(dir, "missing.json")

	for _, tc := range []struct {
		path string
		want string
	}{
		{bad, "gzip stream is truncated"},
		{dangling, "cannot open"},
		{fifo, "is a named pipe, not a regular file"},
		{missing, "no such file"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				evs, st, err := readAll(t, NewFileSource([]string{good, tc.path}, FileOptions{}))
				var se *SourceError
				if !errors.As(err, &se) || se.Source != tc.path || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want a *SourceError naming %s with %q", err, tc.path, tc.want)
				}
				_ = evs
				_ = st
				_, st, err = readAll(t, NewFileSource([]string{good, tc.path}, FileOptions{SkipUnreadable: true}))
				if err != nil {
					t.Errorf("with SkipUnreadable: %v", err)
				}
				if st.Files != 1 || st.Unreadable != 1 || st.AssumeRole != 1 || len(st.Skipped) != 1 ||
					st.Skipped[0].Item != tc.path || !strings.Contains(st.Skipped[0].Reason, tc.want) {
					t.Errorf("with SkipUnreadable: %+v", st)
				}
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("reading hung")
			}
		})
	}

	// In a folder, the pipe and the dangling link are unreadable too.
	_, st, err := readAll(t, NewFileSource([]string{dir}, FileOptions{SkipUnreadable: true}))
	if err != nil || st.Unreadable != 3 || st.Files != 1 {
		t.Errorf("folder: %+v %v", st, err)
	}
}

func TestFileSourcePermissionDenied(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode; the named pipe and dangling link cases cover unreadable files")
	}
	dir := t.TempDir()
	p := writeFile(t, dir, "secret.json", recordsDoc(t))
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	_, _, err := readAll(t, NewFileSource([]string{p}, FileOptions{}))
	if err == nil || !strings.Contains(err.Error(), "grant read access") {
		t.Errorf("err = %v", err)
	}
}

func TestFileSourceCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewFileSource([]string{invictusDir}, FileOptions{}).Read(ctx, Query{}, func(Event) {})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestFileSourceFailsOnFirstFileInOrder(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c", "d"} {
		writeFile(t, dir, n+".json", []byte("not json "+n))
	}
	_, _, err := readAll(t, NewFileSource([]string{dir}, FileOptions{Workers: 4}))
	var se *SourceError
	if !errors.As(err, &se) || filepath.Base(se.Source) != "a.json" {
		t.Errorf("err = %v, want the first file's", err)
	}
}

// A file reached under several names is read once, and the skip names the
// file that was read: a hard link, a link to a file, a path given twice
// (as a file and inside a folder).
func TestFileSourceSameFileOnce(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "logs/a.json", recordsDoc(t, set(assumeRole(), "eventID", "a1")))
	b := writeFile(t, dir, "logs/b.json", recordsDoc(t, set(assumeRole(), "eventID", "b1")))
	writeFile(t, dir, "logs/c.json", recordsDoc(t, set(assumeRole(), "eventID", "c1")))
	if err := os.Link(a, filepath.Join(dir, "logs", "z-hardlink.json")); err != nil {
		t.Skipf("cannot make a hard link here: %v", err)
	}
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(b, filepath.Join(other, "link-to-b.json")); err != nil {
		t.Fatal(err)
	}
	c := filepath.Join(dir, "logs", "c.json")

	evs, st, err := readAll(t, NewFileSource([]string{filepath.Join(dir, "logs"), other, c}, FileOptions{Workers: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 3 || st.AssumeRole != 3 || len(evs) != 3 || st.FilesSkipped != 3 {
		t.Fatalf("stats %+v, %d events; want 3 files read once each and 3 skipped", st, len(evs))
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		filepath.Join(dir, "logs", "z-hardlink.json"): "same file as " + a + ", read once",
		filepath.Join(other, "link-to-b.json"):        "same file as " + filepath.Join(realDir, "logs", "b.json") + ", read once",
		c:                                             "same file as " + c + ", read once",
	}
	for _, sk := range st.Skipped {
		if w, ok := want[sk.Item]; !ok || sk.Reason != w {
			t.Errorf("Skipped %s: %q, want %q", sk.Item, sk.Reason, w)
		}
		delete(want, sk.Item)
	}
	if len(want) != 0 {
		t.Errorf("not skipped: %v", want)
	}
}

// The walk stops handing out files after an unreadable one: the error names
// the first unreadable file in walk order, and the walk did not go on to
// the end of the folder.
func TestFileSourceStopsAfterError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.json", recordsDoc(t, set(assumeRole(), "eventID", "a1")))
	bad := writeFile(t, dir, "b.json", []byte(`{"Records":[{]}`))
	for i := range 50 {
		writeFile(t, dir, fmt.Sprintf("c%02d.json", i), recordsDoc(t, set(assumeRole(), "eventID", fmt.Sprint("c", i))))
	}
	var p awsProgress // counts the files the walk announced
	_, err := NewFileSource([]string{dir}, FileOptions{Workers: 1, Progress: &p}).Read(context.Background(), Query{}, func(Event) {})
	var se *SourceError
	if !errors.As(err, &se) || se.Source != bad {
		t.Fatalf("error %v, want one naming %s", err, bad)
	}
	p.mu.Lock()
	n := p.total
	p.mu.Unlock()
	if n >= 52 {
		t.Errorf("the walk handed out %d files of 52 after the second failed", n)
	}
}

// A JSON file that is not a CloudTrail document is passed over (and
// counted) in a folder that holds log files, but it is no evidence where
// it is all there is: given by its path, or every file of a folder given.
// A Records key in another case is refused wherever it is, since a decoder
// that ignores case would read its records.
func TestNotCloudTrailDocuments(t *testing.T) {
	dir := t.TempDir()
	other := []byte(`{"Version":"2012-10-17","Statement":[]}`)
	lower := bytes.Replace(recordsDoc(t, assumeRole()), []byte(`"Records"`), []byte(`"records"`), 1)
	mixed := filepath.Join(dir, "mixed")
	writeFile(t, mixed, "a.json", recordsDoc(t, assumeRole()))
	writeFile(t, mixed, "policy.json", other)
	onlyOther := filepath.Join(dir, "only-other")
	writeFile(t, onlyOther, "one.json", other)
	writeFile(t, onlyOther, "two.json.gz", gzipBytes(t, other))
	file := writeFile(t, dir, "policy.json", other)
	lowerFile := writeFile(t, dir, "lower/x.json", lower)
	// A record with a Records, Events or digest key beside its own: read
	// as the list or the digest, the record would be passed over.
	record := bytes.TrimSuffix(bytes.TrimSpace(mustJSON(t, assumeRole())), []byte("}"))
	recordPlus := func(name, extra string) string {
		return writeFile(t, dir, name, append(append(bytes.Clone(record), ","+extra...), '}'))
	}
	withRecords := recordPlus("both/records.json", `"Records":[]`)
	withEvents := recordPlus("both/events.json", `"Events":[]`)
	withDigest := recordPlus("both/digest.json", `"digestS3Object":"x"`)

	_, st, err := readAll(t, NewFileSource([]string{mixed}, FileOptions{}))
	if err != nil || st.Files != 1 || st.FilesSkipped != 1 || st.AssumeRole != 1 {
		t.Errorf("a folder with a log file and another JSON file: %v, %+v; want 1 read, 1 skipped", err, st)
	}
	for _, tc := range []struct{ path, want string }{
		{file, "not a CloudTrail document: a JSON object without Records, Events or event fields; give CloudTrail log files"},
		{onlyOther, "none of the folder's 2 .json and .json.gz files is a CloudTrail log file"},
		{lowerFile, `key "records" at byte 1: CloudTrail's is "Records" (keys are case-sensitive)`},
		{filepath.Dir(lowerFile), `key "records" at byte 1: CloudTrail's is "Records"`},
		{withRecords, "the document is both a list of records and a record (it has a record's keys, such as eventName, beside them)"},
		{withEvents, "the document is both a list of records and a record"},
		{withDigest, "the document is both a digest and a record"},
	} {
		_, _, err := readAll(t, NewFileSource([]string{tc.path}, FileOptions{}))
		var se *SourceError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want a SourceError with %q", tc.path, err, tc.want)
			continue
		}
		if want := tc.path; tc.path == filepath.Dir(lowerFile) {
			if se.Source != lowerFile {
				t.Errorf("error names %s, want %s", se.Source, lowerFile)
			}
		} else if se.Source != want {
			t.Errorf("error names %s, want %s", se.Source, want)
		}
		_, st, err = readAll(t, NewFileSource([]string{tc.path}, FileOptions{SkipUnreadable: true}))
		if err != nil || st.Unreadable != 1 || st.Files != 0 {
			t.Errorf("%s with SkipUnreadable: %v, %+v; want one unreadable", tc.path, err, st)
		}
	}
}

// A folder given after a path inside it had its log files read under that
// path: it is not a folder without documents. And the folder without
// documents is an error in walk order, before a later path's unreadable
// file, after an earlier one's.
func TestNotCloudTrailDocumentsSeveralPaths(t *testing.T) {
	dir := t.TempDir()
	other := []byte(`{"Version":"2012-10-17","Statement":[]}`)
	a := filepath.Join(dir, "A")
	log := writeFile(t, a, "sub/trail.json", recordsDoc(t, assumeRole()))
	writeFile(t, a, "iam-policy.json", other)
	for _, paths := range [][]string{{a}, {filepath.Join(a, "sub"), a}, {log, a}, {a, filepath.Join(a, "sub")}} {
		if _, st, err := readAll(t, NewFileSource(paths, FileOptions{})); err != nil || st.Files != 1 || st.AssumeRole != 1 {
			t.Errorf("%q: %v, %+v; want the log file read once and no error", paths, err, st)
		}
	}
	onlyOther := filepath.Join(dir, "only-other")
	writeFile(t, onlyOther, "x.json", other)
	broken := writeFile(t, dir, "broken.json", []byte(`{"Records":[`))
	for _, tc := range []struct {
		paths []string
		want  string
	}{
		{[]string{onlyOther, broken}, onlyOther},
		{[]string{broken, onlyOther}, broken},
	} {
		_, _, err := readAll(t, NewFileSource(tc.paths, FileOptions{Workers: 1}))
		var se *SourceError
		if !errors.As(err, &se) || se.Source != tc.want {
			t.Errorf("%q: error %v, want the first problem in walk order, %s", tc.paths, err, tc.want)
		}
		_, st, err := readAll(t, NewFileSource(tc.paths, FileOptions{SkipUnreadable: true}))
		if err != nil || st.Unreadable != 2 {
			t.Errorf("%q with SkipUnreadable: %v, %+v; want both unreadable", tc.paths, err, st)
		}
	}
}

// IsTrailFile tells the CloudTrail files a Read found, read or not, by
// whatever name the walk found them: a report must not replace one.
func TestIsTrailFile(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "logs/a.json", recordsDoc(t, set(assumeRole(), "eventID", "a1")))
	outside := writeFile(t, dir, "elsewhere/b.json", recordsDoc(t, set(assumeRole(), "eventID", "b1")))
	notes := writeFile(t, dir, "logs/notes.txt", []byte("not a log"))
	report := writeFile(t, dir, "logs/report.json", []byte(`{"findings":[]}`)) // an earlier report: read, no CloudTrail document
	digest := writeFile(t, dir, "logs/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/17/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261117T000000Z.json.gz", []byte("digest"))
	looseDigest := writeFile(t, dir, "logs/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261117T010000Z.json.gz", []byte("digest"))
	// A digest by its content, reached through a link named as a log.
	digestDoc := writeFile(t, dir, "elsewhere/d.json", []byte(`{"awsAccountId":"111122223333","digestS3Bucket":"b","digestS3Object":"o","digestPublicKeyFingerprint":"f","logFiles":[]}`))
	if err := os.Symlink(digestDoc, filepath.Join(dir, "logs", "latest.json")); err != nil {
		t.Fatal(err)
	}
	late := writeFile(t, dir, "logs/111122223333_CloudTrail_us-east-1_20261130T0000Z_abcdefgh.json", recordsDoc(t, set(assumeRole(), "eventID", "late")))
	broken := writeFile(t, dir, "logs/broken.json", []byte("{not json"))
	if err := os.Symlink(outside, filepath.Join(dir, "logs", "link.json")); err != nil {
		t.Fatal(err)
	}
	// A log of another day and a digest moved out of the folder, with a
	// link left in their place.
	movedLog := writeFile(t, dir, "archive/old.json.gz", []byte("old"))
	movedDigest := writeFile(t, dir, "archive/digest.json.gz", []byte("digest"))
	for link, target := range map[string]string{
		"111122223333_CloudTrail_us-east-1_20261101T0000Z_moved000.json.gz":             movedLog,
		"111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261117T020000Z.json.gz": movedDigest,
	} {
		if err := os.Symlink(target, filepath.Join(dir, "logs", link)); err != nil {
			t.Fatal(err)
		}
	}
	// A folder outside the walk, reached by a spelling through a link.
	other := writeFile(t, dir, "side/other.json", []byte("{}"))
	if err := os.MkdirAll(filepath.Join(dir, "side", "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "side", "inner"), filepath.Join(dir, "logs", "sub")); err != nil {
		t.Fatal(err)
	}
	// A folder link outside the walk into a folder inside it.
	lateDeep := writeFile(t, dir, "logs/deep/111122223333_CloudTrail_us-east-1_20261130T0000Z_deep0000.json", recordsDoc(t, set(assumeRole(), "eventID", "deep")))
	if err := os.MkdirAll(filepath.Join(dir, "logs", "deep", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "outlinks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "logs", "deep", "x"), filepath.Join(dir, "outlinks", "l")); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.json")
	hardLinks := os.Link(a, hard) == nil
	src := NewFileSource([]string{filepath.Join(dir, "logs")}, FileOptions{Workers: 2, SkipUnreadable: true})
	if IsTrailFile(src, a) {
		t.Error("IsTrailFile before Read: true")
	}
	q := Query{Start: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)}
	if _, err := src.Read(context.Background(), q, func(Event) {}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		a: true, outside: true, // read, one through a link in the folder
		digest: true, late: true, broken: true, // found, not read: a digest, a log of another day, one that could not be read
		looseDigest: true, digestDoc: true, // a digest by its name outside a digest folder; by its content, through a link
		movedLog: true, movedDigest: true, // passed over, through a link in the folder
		dir + "/logs/sub/../other.json": false, // side/other.json: the walk never entered side
		other:                           false, lateDeep: true,
		dir + "/outlinks/l/../" + filepath.Base(lateDeep): true, // the same file, spelled through a link from outside
		dir + "/elsewhere/../logs/a.json":                 true,
		notes:                                             false, // not named as a log
		report:                                            false, // read whole: no CloudTrail document
		filepath.Join(dir, "logs", "link.json"):           true,  // the link the walk followed: replacing it cuts the log out
		filepath.Join(dir, "logs", "sub"):                 true,  // a link to a folder the walk entered through it
		filepath.Join(dir, "missing.json"):                false,
	}
	if hardLinks {
		want[hard] = true // the same file by another name
	}
	for path, w := range want {
		if got := IsTrailFile(src, path); got != w {
			t.Errorf("IsTrailFile(%s) = %v, want %v", path, got, w)
		}
	}
	// Spelled another way: relative to the working folder.
	t.Chdir(dir)
	for path, w := range map[string]bool{filepath.Join("logs", "a.json"): true, "logs/../logs/report.json": false} {
		if got := IsTrailFile(src, path); got != w {
			t.Errorf("IsTrailFile(%s) = %v, want %v", path, got, w)
		}
	}
	if IsTrailFile(NewLookupSource(nil, nil, LookupOptions{}), a) {
		t.Error("a LookupEvents source holds no local file")
	}
}

// A report path that is a link the walk went through, or a link elsewhere
// to what the walk read, passed over or entered, is CloudTrail input:
// replacing the link would cut a log out of the next run.
func TestIsTrailFileLinks(t *testing.T) {
	dir := t.TempDir()
	archived := writeFile(t, dir, "archive/a.json", recordsDoc(t, set(assumeRole(), "eventID", "a1")))
	day := filepath.Join(dir, "archive", "day16")
	writeFile(t, day, "b.json", recordsDoc(t, set(assumeRole(), "eventID", "b1")))
	mid := filepath.Join(dir, "mid", "a.json")
	planted := filepath.Join(dir, "planted.json")
	for link, target := range map[string]string{
		mid:                                archived,
		filepath.Join(dir, "ct", "a.json"): mid, // ct/a.json -> mid/a.json -> archive/a.json
		filepath.Join(dir, "ct", "day16"):  day,
		planted:                            filepath.Join(dir, "archive", "unrelated.json"),
	} {
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, dir, "archive/unrelated.json", []byte("{}"))
	// A log-named link to an archive that is not there, and a link to an
	// earlier report that the walk read and found no CloudTrail in.
	dangling := filepath.Join(dir, "ct", "111122223333_CloudTrail_us-east-1_20261116T0815Z_arch0000.json.gz")
	if err := os.Symlink(filepath.Join(dir, "unmounted", "x.json.gz"), dangling); err != nil {
		t.Fatal(err)
	}
	report := writeFile(t, dir, "reports/r.json", []byte(`{"findings":[]}`))
	toReport := filepath.Join(dir, "ct", "latest.json")
	if err := os.Symlink(report, toReport); err != nil {
		t.Fatal(err)
	}
	src := NewFileSource([]string{filepath.Join(dir, "ct")}, FileOptions{Workers: 2, SkipUnreadable: true})
	if _, _, err := readAll(t, src); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		filepath.Join(dir, "ct", "a.json"): true,  // the link in the folder
		mid:                                true,  // a link in the middle of the chain
		archived:                           true,  // the file at its end
		filepath.Join(dir, "ct", "day16"):  true,  // a link to a folder the walk entered
		planted:                            false, // a link to a file the walk never found
		dangling:                           true,  // judged by its name in the folder
		toReport:                           false, // an earlier report
		report:                             false,
	} {
		if got := IsTrailFile(src, path); got != want {
			t.Errorf("IsTrailFile(%s) = %v, want %v", path, got, want)
		}
	}
}

// A symbolic link that cannot be followed may be a folder of logs (an
// archive not mounted), whatever its name: it is unreadable, except in a
// digest or Insights folder.
func TestDanglingLinkToFolder(t *testing.T) {
	dir := t.TempDir()
	trail := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail")
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/a.json", recordsDoc(t, set(assumeRole(), "eventID", "a1")))
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/d.json.gz", gzipBytes(t, []byte(`{"digestS3Object":"x"}`)))
	for _, link := range []string{filepath.Join(trail, "us-east-1"), filepath.Join(dir, "logs.example.com"), filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail-Digest", "us-east-1")} {
		if err := os.Symlink(filepath.Join(dir, "unmounted", filepath.Base(link)), link); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := readAll(t, NewFileSource([]string{dir}, FileOptions{}))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(trail, "us-east-1")) {
		t.Fatalf("a link to a folder that is not there: err = %v, want an error naming it", err)
	}
	_, st, err := readAll(t, NewFileSource([]string{dir}, FileOptions{SkipUnreadable: true}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 1 || st.Unreadable != 2 || st.FilesSkipped != 2 {
		t.Errorf("stats %+v: want 1 file read, the us-east-1 and logs.example.com links unreadable, the digest and the link in its folder skipped", st)
	}
	for _, link := range []string{filepath.Join(trail, "us-east-1"), filepath.Join(dir, "logs.example.com")} {
		if !slices.ContainsFunc(st.Skipped, func(s Skip) bool { return s.Item == link && strings.Contains(s.Reason, "no such file") }) {
			t.Errorf("%s is not said to be unreadable: %+v", link, st.Skipped)
		}
	}
}

// A folder of CloudTrail's date layout holds one day, month or year: as
// for an S3 prefix, a window with days outside it fails (they would be
// lost silently), and the next day's folder, where the log files of the
// window's last minutes are delivered, is a coverage gap.
func TestFileSourceDateFolder(t *testing.T) {
	dir := t.TempDir()
	region := "AWSLogs/111122223333/CloudTrail/us-east-1"
	writeFile(t, dir, region+"/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T1005Z_a.json", recordsDoc(t, set(assumeRole(), "eventID", "a1")))
	day := filepath.Join(dir, region, "2026", "11", "20")
	week := Query{Start: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}
	oneDay := Query{Start: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}
	read := func(path string, q Query, opts FileOptions) (Stats, error) {
		return NewFileSource([]string{path}, opts).Read(context.Background(), q, func(Event) {})
	}

	_, err := read(day, week, FileOptions{})
	if err == nil || !strings.Contains(err.Error(), "date folder 2026/11/20 does not hold the window's day 2026/11/16") || !strings.Contains(err.Error(), day) {
		t.Errorf("a week over one day's folder: err = %v", err)
	}
	st, err := read(day, week, FileOptions{SkipUnreadable: true})
	if err != nil || st.Unreadable != 1 || st.Files != 0 {
		t.Errorf("skipped: stats %+v, err %v", st, err)
	}
	// Through a link, the folder is judged by where it leads.
	link := filepath.Join(dir, "today")
	if err := os.Symlink(day, link); err != nil {
		t.Fatal(err)
	}
	if _, err := read(link, week, FileOptions{}); err == nil {
		t.Error("a week over a link to one day's folder passed")
	}

	for _, path := range []string{day, link} {
		st, err = read(path, oneDay, FileOptions{})
		if err != nil || st.Files != 1 {
			t.Fatalf("the day's folder for its day: stats %+v, err %v", st, err)
		}
		if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "day folders 2026/11/21") {
			t.Errorf("the next day's folder is not said to be left out: %q", st.Warnings)
		}
	}
	// The month's folder holds both days, the region's every day.
	for _, path := range []string{filepath.Join(dir, region, "2026", "11"), filepath.Join(dir, region), dir} {
		if st, err = read(path, oneDay, FileOptions{}); err != nil || len(st.Warnings) != 0 || st.Files != 1 {
			t.Errorf("%s: stats %+v, err %v", path, st, err)
		}
	}
	// Day folders given one by one hold the days they hold together; a day
	// folder inside another folder given is read whole through it.
	for _, d := range []string{"21", "22"} {
		writeFile(t, dir, region+"/2026/11/"+d+"/111122223333_CloudTrail_us-east-1_202611"+d+"T1005Z_a.json", recordsDoc(t, set(assumeRole(), "eventID", "d"+d)))
	}
	dayOf := func(d string) string { return filepath.Join(dir, region, "2026", "11", d) }
	twoDays := Query{Start: oneDay.Start, End: oneDay.End.Add(24 * time.Hour)}
	for _, tc := range []struct {
		paths   []string
		warning bool
	}{
		{[]string{dayOf("20"), dayOf("21"), dayOf("22")}, false},
		{[]string{dayOf("21"), dayOf("20")}, true},
		{[]string{dayOf("20"), filepath.Join(dir, region)}, false},
	} {
		st, err := NewFileSource(tc.paths, FileOptions{}).Read(context.Background(), twoDays, func(Event) {})
		if err != nil || (len(st.Warnings) == 1) != tc.warning || len(st.Warnings) > 1 {
			t.Errorf("%q: warnings %q, err %v; want a warning: %v", tc.paths, st.Warnings, err, tc.warning)
		}
	}
	if _, err := NewFileSource([]string{dayOf("20"), dayOf("22")}, FileOptions{}).Read(context.Background(), twoDays, func(Event) {}); err == nil || !strings.Contains(err.Error(), "date folders 2026/11/20, 2026/11/22 do not hold the window's day 2026/11/21") {
		t.Errorf("days 20 and 22 for a window of 20 and 21: %v", err)
	}

	// A copy of the AWSLogs folder's content keeps the layout below it.
	synced := filepath.Join(dir, "synced")
	writeFile(t, synced, "111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T1005Z_a.json", recordsDoc(t, set(assumeRole(), "eventID", "a1")))
	if _, err := read(filepath.Join(synced, "111122223333", "CloudTrail", "us-east-1", "2026", "11", "20"), week, FileOptions{}); err == nil {
		t.Error("a week over one day's folder of a copy without AWSLogs passed")
	}

	// A folder outside the layout (files copied into logs/20) is read as it is.
	writeFile(t, dir, "copy/AWSLogs-notes/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T1005Z_a.json", recordsDoc(t, set(assumeRole(), "eventID", "a1")))
	if st, err = read(filepath.Join(dir, "copy", "AWSLogs-notes", "2026", "11", "20"), week, FileOptions{}); err != nil || st.Files != 1 || len(st.Warnings) != 0 {
		t.Errorf("a folder outside the layout: stats %+v, err %v", st, err)
	}
}

// A folder or prefix that names one region folder leaves out the global
// region's, where the sessions opened through STS's global endpoint are
// logged, unless another source reads it.
func TestRegionFolderGaps(t *testing.T) {
	const trail = "AWSLogs/111122223333/CloudTrail/"
	pin := func(region string) Layout {
		return Layout{Store: "s3://b/", Trail: trail, Region: region, Folder: "s3://b/" + trail}
	}
	found := func(regions ...string) Layout {
		return Layout{Store: "s3://b/", Trail: trail, Folder: "s3://b/" + trail, Regions: regions}
	}
	eu := pin("eu-west-1")
	for _, tc := range []struct {
		name    string
		layouts [][]Layout // per source
		gaps    int
	}{
		{"one region folder of two", [][]Layout{{eu, found("eu-west-1", "us-east-1")}}, 1},
		{"the only region folder, not the global one", [][]Layout{{eu, found("eu-west-1")}}, 1},
		{"the global region folder of two", [][]Layout{{pin("us-east-1"), found("us-east-1", "eu-west-1")}}, 1},
		{"the global region folder, the only one", [][]Layout{{pin("us-east-1"), found("us-east-1")}}, 0},
		{"both, from two sources", [][]Layout{{eu, found("eu-west-1", "us-east-1")}, {pin("us-east-1"), found("eu-west-1", "us-east-1")}}, 0},
		{"and the trail folder above it", [][]Layout{{eu, found("eu-west-1", "us-east-1")}, {{Store: "s3://b/", Trail: "AWSLogs/"}}}, 0},
		{"and the trail folder above it, for another account", [][]Layout{{eu, found("eu-west-1", "us-east-1")}, {{Store: "s3://b/", Trail: "AWSLogs/", Keeps: func(a string) bool { return a == "444455556666" }}}}, 1},
		{"and the trail folder above it, for this account", [][]Layout{{eu, found("eu-west-1", "us-east-1")}, {{Store: "s3://b/", Trail: "AWSLogs/", Keeps: func(a string) bool { return a == "111122223333" }}}}, 0},
		{"and the global one of another account", [][]Layout{{eu, found("eu-west-1", "us-east-1")}, {{Store: "s3://b/", Trail: "AWSLogs/444455556666/CloudTrail/", Region: "us-east-1"}}}, 1},
		{"and the global one in another bucket", [][]Layout{{eu, found("eu-west-1", "us-east-1")}, {{Store: "s3://c/", Trail: trail, Region: "us-east-1"}}}, 1},
		{"and a local copy of the trail", [][]Layout{{eu, found("eu-west-1", "us-east-1")}, {{Trail: "tmp/" + trail}}}, 1},
		{"GovCloud", [][]Layout{{pin("us-gov-east-1"), pin("us-gov-west-1"), found("us-gov-east-1", "us-gov-west-1")}}, 0},
		{"GovCloud without its global region", [][]Layout{{pin("us-gov-east-1"), found("us-gov-east-1", "us-east-1")}, {pin("us-east-1")}}, 1},
		{"the CloudTrail folder", [][]Layout{{{Store: "s3://b/", Trail: trail}, found("eu-west-1", "us-east-1")}}, 0},
		{"the CloudTrail folder of a trail in one region", [][]Layout{{{Store: "s3://b/", Trail: trail}, found("eu-west-1")}}, 1},
		{"a folder that is no region's", [][]Layout{{{Store: "s3://b/", Trail: trail}, found("notes")}}, 0},
	} {
		var stats []Stats
		for i, ls := range tc.layouts {
			stats = append(stats, Stats{Source: fmt.Sprint("src", i), Layouts: ls})
		}
		if gaps := RegionFolderGaps(stats); len(gaps) != tc.gaps {
			t.Errorf("%s: %q, want %d gaps", tc.name, gaps, tc.gaps)
		} else if len(gaps) == 1 && !strings.HasPrefix(gaps[0], "s3://") {
			t.Errorf("%s: %q does not name the folder", tc.name, gaps)
		}
	}

	// The file source tells the layout of the folders it is given.
	dir := t.TempDir()
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/a.json", recordsDoc(t, set(assumeRole(), "eventID", "a1")))
	writeFile(t, dir, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/b.json", recordsDoc(t, set(assumeRole(), "eventID", "b1")))
	region := func(r string) string { return filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", r) }
	for _, tc := range []struct {
		paths []string
		gaps  int
	}{
		{[]string{region("eu-west-1")}, 1},
		{[]string{region("eu-west-1"), region("us-east-1")}, 0},
		{[]string{region("eu-west-1"), dir}, 0},
		{[]string{region("us-east-1")}, 1},
		{[]string{filepath.Join(region("eu-west-1"), "2024")}, 1},
		{[]string{filepath.Join(dir, "AWSLogs")}, 0},
	} {
		_, st, err := readAll(t, NewFileSource(tc.paths, FileOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		if gaps := RegionFolderGaps([]Stats{st}); len(gaps) != tc.gaps {
			t.Errorf("%q: gaps %q, want %d", tc.paths, gaps, tc.gaps)
		}
	}

	// Folders are judged by where they are, however they are named: through
	// links, relative paths, and in a copy of the AWSLogs folder's content.
	if err := os.Mkdir(filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", ".stfolder"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := t.TempDir()
	for name, target := range map[string]string{"use1": region("us-east-1"), "ct": filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail"), "top": dir} {
		if err := os.Symlink(target, filepath.Join(links, name)); err != nil {
			t.Fatal(err)
		}
	}
	// Links inside the folders given: to the logs, to one region folder
	// (whatever its name), from a copy to another copy's region folder.
	for name, target := range map[string]string{"agg/AWSLogs": filepath.Join(dir, "AWSLogs"), "sel/x": region("eu-west-1"),
		"copy/AWSLogs/111122223333/CloudTrail/us-east-1": region("us-east-1"), "copyb/AWSLogs/111122223333/CloudTrail/eu-west-1": region("eu-west-1"),
		"fake/CloudTrail/us-east-1": region("us-east-1")} {
		if err := os.MkdirAll(filepath.Join(links, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(links, name)); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, links, "copy/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/a.json", recordsDoc(t, set(assumeRole(), "eventID", "c1")))
	writeFile(t, links, "copyb/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/b.json", recordsDoc(t, set(assumeRole(), "eventID", "c2")))
	// A copy kept under a folder that looks like a CloudTrail folder.
	nested := filepath.Join(t.TempDir(), "999988887777", "CloudTrail", "audit")
	writeFile(t, nested, "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/a.json", recordsDoc(t, set(assumeRole(), "eventID", "n1")))
	writeFile(t, nested, "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/b.json", recordsDoc(t, set(assumeRole(), "eventID", "n2")))
	single := t.TempDir() // a copy of AWSLogs/'s content, of a trail in one region
	writeFile(t, single, "222233334444/CloudTrail/eu-west-1/2024/05/01/a.json", recordsDoc(t, set(assumeRole(), "eventID", "s1")))
	for _, tc := range []struct {
		cwd   string
		paths []string
		want  string // the gap said, "" for none
	}{
		{"", []string{filepath.Join(links, "use1")}, "the region folder eu-west-1 is not read"},
		{"", []string{filepath.Join(links, "ct", "us-east-1")}, "the region folder eu-west-1 is not read"},
		{"", []string{filepath.Join(links, "top")}, ""},
		{"", []string{filepath.Join(links, "top", "AWSLogs", "111122223333")}, ""},
		{"", []string{region("eu-west-1"), region("us-east-1")}, ""}, // .stfolder is no region
		{"", []string{filepath.Join(links, "agg")}, ""},
		{"", []string{filepath.Join(links, "sel")}, "the region folder us-east-1 is not read"},
		{"", []string{filepath.Join(links, "copy", "AWSLogs", "111122223333", "CloudTrail")}, ""},
		{"", []string{filepath.Join(links, "copyb")}, ""},
		{"", []string{filepath.Join(links, "fake")}, "the region folder eu-west-1 is not read"},
		{"", []string{nested}, ""},
		{"", []string{filepath.Join(single, "222233334444")}, "has no us-east-1 folder"},
		{filepath.Join(single, "222233334444", "CloudTrail"), []string{"."}, "has no us-east-1 folder"},
		{filepath.Join(single, "222233334444"), []string{"CloudTrail"}, "has no us-east-1 folder"},
	} {
		if tc.cwd != "" {
			t.Chdir(tc.cwd)
		}
		_, st, err := readAll(t, NewFileSource(tc.paths, FileOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		gaps := RegionFolderGaps([]Stats{st})
		if tc.want == "" && len(gaps) > 0 || tc.want != "" && (len(gaps) != 1 || !strings.Contains(gaps[0], tc.want) || strings.HasPrefix(gaps[0], " ")) {
			t.Errorf("%s %q: gaps %q, want %q", tc.cwd, tc.paths, gaps, tc.want)
		}
	}
}

func TestWithAWSLogs(t *testing.T) {
	for path, want := range map[string]string{
		"/x/AWSLogs/111122223333/CloudTrail/eu-west-1": "/x/AWSLogs/111122223333/CloudTrail/eu-west-1",
		"/x/111122223333/CloudTrail/eu-west-1/2026":    "/x/AWSLogs/111122223333/CloudTrail/eu-west-1/2026",
		"/x/o-abcdefghij/111122223333/CloudTrail":      "/x/AWSLogs/o-abcdefghij/111122223333/CloudTrail",
		"/x/logs/2026/11/20":                           "",
		"/x/1111222233/CloudTrail/eu-west-1":           "",
		"111122223333/CloudTrail":                      "AWSLogs/111122223333/CloudTrail",
	} {
		if got := withAWSLogs(path); got != want {
			t.Errorf("withAWSLogs(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestLayoutOf(t *testing.T) {
	for prefix, want := range map[string]Layout{
		"":                                {Store: "s3://b/", Trail: ""},
		"AWSLogs/":                        {Store: "s3://b/", Trail: "AWSLogs/"},
		"x/AWSLogs/o-abcdefghij/":         {Store: "s3://b/", Trail: "x/AWSLogs/o-abcdefghij/"},
		"AWSLogs/111122223333/CloudTrail": {Store: "s3://b/", Trail: "AWSLogs/111122223333/CloudTrail/"},
		"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/":          {Store: "s3://b/", Trail: "AWSLogs/111122223333/CloudTrail/", Region: "eu-west-1"},
		"x/AWSLogs/o-abcdefghij/111122223333/CloudTrail/us-east-1": {Store: "s3://b/", Trail: "x/AWSLogs/o-abcdefghij/111122223333/CloudTrail/", Region: "us-east-1"},
	} {
		l, err := parseLayout(prefix)
		if err != nil {
			t.Fatal(err)
		}
		if got := layoutOf("s3://b/", prefix, l); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %+v, want %+v", prefix, got, want)
		}
	}
}

// Files given by path of which none is a log file (a glob that caught only
// digest files) are no evidence, as a folder of them is not: unreadable,
// or skipped and counted with SkipUnreadable. One log file among them is
// enough.
func TestFilesGivenWithoutLogFile(t *testing.T) {
	dir := t.TempDir()
	digest := []byte(`{"awsAccountId":"111122223333","digestS3Bucket":"b","digestS3Object":"o","digestPublicKeyFingerprint":"f","logFiles":[]}`)
	d1 := writeFile(t, dir, "111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260310T1200Z.json", digest)
	d2 := writeFile(t, dir, "d2.json", digest)
	log := writeFile(t, dir, "111122223333_CloudTrail_us-east-1_20260310T1200Z_a.json", recordsDoc(t, assumeRole()))
	q := Query{Start: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)}
	_, err := NewFileSource([]string{d1, d2}, FileOptions{}).Read(context.Background(), q, func(Event) {})
	var se *SourceError
	if !errors.As(err, &se) || !strings.Contains(se.Err.Error(), "none of the files given is a CloudTrail log file") {
		t.Errorf("digests only: %v, want an unreadable source", err)
	}
	st, err := NewFileSource([]string{d1, d2}, FileOptions{SkipUnreadable: true}).Read(context.Background(), q, func(Event) {})
	if err != nil || st.Unreadable != 1 {
		t.Errorf("digests only, skipping unreadable sources: %d unreadable, %v", st.Unreadable, err)
	}
	st, err = NewFileSource([]string{d1, log, d2}, FileOptions{}).Read(context.Background(), q, func(Event) {})
	if err != nil || st.Files != 1 || st.AssumeRole != 1 {
		t.Errorf("a log file among digests: %+v, %v", st, err)
	}
}

// A path that does not exist and a link to nothing get different advice,
// and a file that starts with a NUL byte is not taken for UTF-16 text.
func TestOpenAndEncodingMessages(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(filepath.Join(dir, "nowhere.json"), link); err != nil {
		t.Skipf("cannot make a symbolic link here: %v", err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "missing.json"): "no such file or directory; check the path",
		link:                               "it is a symbolic link to nothing; fix the link",
	} {
		_, err := NewFileSource([]string{path}, FileOptions{}).Read(context.Background(), Query{}, func(Event) {})
		if err == nil || !strings.Contains(err.Error(), want) || (path != link && strings.Contains(err.Error(), "symbolic")) {
			t.Errorf("%s: %v, want %q", filepath.Base(path), err, want)
		}
	}
	for _, tc := range []struct{ doc, want, not string }{
		{"\x00{\"Records\":[]}", "invalid", "UTF-16"},
		{"\x00{\x00\"\x00R\x00", "UTF-16", ""},
	} {
		_, _, err := decode([]byte(tc.doc), "f.json", FileOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || tc.not != "" && strings.Contains(err.Error(), tc.not) {
			t.Errorf("%q: %v, want %q", tc.doc, err, tc.want)
		}
	}
}
