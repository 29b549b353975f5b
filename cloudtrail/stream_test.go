package cloudtrail

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDecodeStreamShapes(t *testing.T) {
	ar := assumeRole()
	failed := set(set(set(assumeRole(), "requestParameters", nil), "errorCode", "AccessDenied"), "eventID", "failed-1")
	oneRecord := mustJSON(t, ar)
	tests := []struct {
		name       string
		data       []byte
		wantEvents int
		want       Stats // Files, FilesSkipped, Records, RecordsSkipped, AssumeRole
		reason     string
	}{
		{
			name:       "records",
			data:       recordsDoc(t, otherRecord("a"), ar, otherRecord("b"), failed),
			wantEvents: 2, want: Stats{Files: 1, Records: 4, AssumeRole: 2},
		},
		{
			name:       "records gzipped",
			data:       gzipBytes(t, recordsDoc(t, otherRecord("a"), ar, otherRecord("b"), failed)),
			wantEvents: 2, want: Stats{Files: 1, Records: 4, AssumeRole: 2},
		},
		{
			name: "records, pretty printed, Records not first",
			data: []byte("\n{ \"Version\" : [1, {\"x\": null}],\n  \"Records\" : [\n  " + string(oneRecord) + " ,\n" +
				string(mustJSON(t, otherRecord("x"))) + "\n ] , \"after\": true }\n\n"),
			wantEvents: 1, want: Stats{Files: 1, Records: 2, AssumeRole: 1},
		},
		{name: "empty records", data: []byte(`{"Records":[]}`), want: Stats{Files: 1}},
		{
			name:       "lookup-events output",
			data:       lookupDoc(t, ar, otherRecord("o"), failed),
			wantEvents: 2, want: Stats{Files: 1, Records: 3, AssumeRole: 2},
		},
		{
			name:       "lookup-events output gzipped",
			data:       gzipBytes(t, lookupDoc(t, ar)),
			wantEvents: 1, want: Stats{Files: 1, Records: 1, AssumeRole: 1},
		},
		{
			name:       "bare array of records",
			data:       mustJSON(t, []any{ar, otherRecord("o")}),
			wantEvents: 1, want: Stats{Files: 1, Records: 2, AssumeRole: 1},
		},
		{
			name:       "bare array of lookup results",
			data:       []byte(strings.TrimSuffix(strings.TrimPrefix(string(lookupDoc(t, ar, failed)), `{"Events":`), `}`)),
			wantEvents: 2, want: Stats{Files: 1, Records: 2, AssumeRole: 2},
		},
		{name: "single record", data: oneRecord, wantEvents: 1, want: Stats{Files: 1, Records: 1, AssumeRole: 1}},
		{name: "single other record", data: mustJSON(t, otherRecord("o")), want: Stats{Files: 1, Records: 1}},
		{
			name: "digest file",
			data: []byte(`{"awsAccountId":"111122223333","digestStartTime":"2024-05-01T11:00:00Z","digestS3Bucket":"b","digestS3Object":"AWSLogs/x","digestPublicKeyFingerprint":"ab","logFiles":[]}`),
			want: Stats{FilesSkipped: 1}, reason: reasonDigest,
		},
		{name: "other JSON", data: []byte(`{"name":"package","version":"1.0.0"}`), want: Stats{FilesSkipped: 1}, reason: reasonNotTrail},
		{name: "empty object", data: []byte(`{}`), want: Stats{FilesSkipped: 1}, reason: reasonNotTrail},
		{
			name:       "an assume-role record with a bad field is skipped, the rest is read",
			data:       recordsDoc(t, ar, set(assumeRole(), "requestParameters", "oops"), otherRecord("x")),
			wantEvents: 1, want: Stats{Files: 1, Records: 3, RecordsSkipped: 1, AssumeRole: 1},
			reason: `event "3f1c0d4e-0000-4000-8000-000000000001": requestParameters is a string, want an object`,
		},
		{
			name:       "invalid UTF-8 inside a string is replaced, as encoding/json does",
			data:       bytes.Replace(recordsDoc(t, ar), []byte("alice-session"), []byte("alice\xff-session"), 1),
			wantEvents: 1, want: Stats{Files: 1, Records: 1, AssumeRole: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, st, err := decode(tt.data, "dir/file.json", FileOptions{})
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(evs) != tt.wantEvents {
				t.Errorf("%d events, want %d", len(evs), tt.wantEvents)
			}
			got := Stats{Files: st.Files, FilesSkipped: st.FilesSkipped, Records: st.Records, RecordsSkipped: st.RecordsSkipped, AssumeRole: st.AssumeRole}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("stats = %+v, want %+v", got, tt.want)
			}
			if st.Bytes != int64(len(tt.data)) {
				t.Errorf("Bytes = %d, want %d", st.Bytes, len(tt.data))
			}
			if tt.reason != "" {
				if len(st.Skipped) != 1 || st.Skipped[0].Reason != tt.reason || !strings.HasPrefix(st.Skipped[0].Item, "dir/file.json") {
					t.Errorf("Skipped = %+v, want one entry naming the file with reason %q", st.Skipped, tt.reason)
				}
			} else if len(st.Skipped) != 0 {
				t.Errorf("Skipped = %+v, want none", st.Skipped)
			}
			for _, e := range evs {
				if e.Origin != "dir/file.json" {
					t.Errorf("Origin = %q", e.Origin)
				}
			}
			compareWithReference(t, tt.data, "dir/file.json", evs, st)
		})
	}
}

// compareWithReference checks DecodeStream's result against the plain
// encoding/json decoder.
func compareWithReference(t *testing.T, data []byte, origin string, evs []Event, st Stats) {
	t.Helper()
	ref, err := refDecode(data, origin)
	if err != nil {
		t.Fatalf("reference decoder failed: %v", err)
	}
	got := Stats{Files: st.Files, FilesSkipped: st.FilesSkipped, Records: st.Records, RecordsSkipped: st.RecordsSkipped, AssumeRole: st.AssumeRole}
	if !reflect.DeepEqual(got, ref.stats) {
		t.Errorf("stats %+v, reference %+v", got, ref.stats)
	}
	if len(evs) == 0 && len(ref.events) == 0 {
		return
	}
	if !reflect.DeepEqual(evs, ref.events) {
		t.Errorf("events differ from the reference decoder's:\n got %+v\nwant %+v", evs, ref.events)
	}
}

func TestDecodeStreamSkipDetailsAreBounded(t *testing.T) {
	var recs []map[string]any
	for range maxSkipDetails + 5 {
		recs = append(recs, set(assumeRole(), "eventTime", 5))
	}
	_, st, err := decode(recordsDoc(t, recs...), "f.json", FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.RecordsSkipped != maxSkipDetails+5 || len(st.Skipped) != maxSkipDetails+1 {
		t.Fatalf("RecordsSkipped = %d, %d Skipped entries", st.RecordsSkipped, len(st.Skipped))
	}
	if last := st.Skipped[maxSkipDetails]; last.Reason != "5 more skipped records not listed" {
		t.Errorf("last entry = %+v", last)
	}
	if first := st.Skipped[0]; first.Item != "f.json: Records[0]" {
		t.Errorf("first entry = %+v, want the file and the record index", first)
	}
}

// bigRecordReader yields {"Records":[{"a":"xxxx… of n bytes without holding them.
type bigRecordReader struct {
	head []byte
	n    int64
}

func (r *bigRecordReader) Read(p []byte) (int, error) {
	if len(r.head) > 0 {
		k := copy(p, r.head)
		r.head = r.head[k:]
		return k, nil
	}
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := int64(len(p))
	if k > r.n {
		k = r.n
	}
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.n -= k
	return int(k), nil
}

func TestDecodeStreamBadInput(t *testing.T) {
	ar := mustJSON(t, assumeRole())
	good := recordsDoc(t, otherRecord("a"), assumeRole())
	gz := gzipBytes(t, good)
	bomb := gzipBytes(t, append(append([]byte(`{"Records":[`), bytes.Repeat([]byte(" "), 3<<20)...), []byte(`]}`)...))
	tests := []struct {
		name string
		data []byte
		r    io.Reader // instead of data
		opts FileOptions
		want []string // substrings of the error
	}{
		{name: "truncated gzip", data: gz[:len(gz)/2], want: []string{"gzip stream is truncated"}},
		{name: "gzip with a bad checksum", data: append(append([]byte{}, gz[:len(gz)-8]...), 0, 0, 0, 0, 0, 0, 0, 0), want: []string{"gzip stream is corrupt"}},
		{name: "gzip header only", data: gz[:5], want: []string{"gzip header", "truncated"}},
		{name: "gzip with a few bytes after it", data: append(append([]byte{}, gz...), "garbage"...), want: []string{"data after the end of the gzip stream is not gzip data", "remove the extra bytes"}},
		{name: "gzip with many bytes after it", data: append(append([]byte{}, gz...), bytes.Repeat([]byte("x"), 40)...), want: []string{"data after the end of the gzip stream is not gzip data"}},
		{name: "gzip bomb", data: bomb, opts: FileOptions{MaxDecompressed: 1 << 20}, want: []string{"exceeds the cap", "1 MiB", "--max-decompressed", "gzip bomb"}},
		{name: "plain file over the cap", data: good, opts: FileOptions{MaxDecompressed: 100}, want: []string{"exceeds the cap of 100 bytes", "the file is larger"}},
		{name: "not JSON", data: []byte("hello, world"), want: []string{"invalid character 'h' at byte 0", "not a JSON object or array"}},
		{name: "a JSON string", data: []byte(`"Records"`), want: []string{"document is a string"}},
		{name: "Records not an array", data: []byte(`{"Records":{"eventID":"x"}}`), want: []string{"Records at byte 11 is an object, want an array"}},
		{name: "record not an object", data: []byte(`{"Records":[` + string(ar) + `, "x"]}`), want: []string{"Records[1]", "is a string, want a record object"}},
		{name: "record with a syntax error", data: []byte(`{"Records":[{"a":1},{"a":tru}]}`), want: []string{"Records[1] at byte 20", "invalid JSON at byte 28", "literal true"}},
		{name: "truncated JSON", data: good[:len(good)-40], want: []string{"Records[1]", "unexpected end of data", "truncated"}},
		{name: "truncated after a record", data: []byte(`{"Records":[{"a":1}`), want: []string{"unexpected end of data at byte 19", "truncated"}},
		{name: "missing comma", data: []byte(`{"Records":[{"a":1} {"a":2}]}`), want: []string{"after Records[0], want a comma"}},
		{name: "trailing comma", data: []byte(`{"Records":[{"a":1},]}`), want: []string{"Records[1]", "want a record object"}},
		{name: "data after the document", data: append(append([]byte{}, good...), []byte(` {"Records":[]}`)...), want: []string{"after the JSON document"}},
		{name: "empty file", data: nil, want: []string{"the file is empty"}},
		{name: "byte order mark", data: []byte("\xef\xbb\xbf{\"Records\":[]}"), want: []string{"starts with a UTF-8 byte order mark", "remove its first three bytes"}},
		{name: "UTF-16 with a byte order mark", data: []byte("\xff\xfe{\x00\"\x00"), want: []string{"UTF-16 text", "iconv -f UTF-16 -t UTF-8"}},
		{name: "CloudTrailEvent a word", data: []byte(`{"Events":[{"CloudTrailEvent":"nope"}]}`), want: []string{"Events[0]", "CloudTrailEvent is not JSON, want a JSON record object"}},
		{name: "CloudTrailEvent null", data: []byte(`{"Events":[{"CloudTrailEvent":"null"}]}`), want: []string{"Events[0]", "CloudTrailEvent is null, want a JSON record object"}},
		{name: "only space", data: []byte(" \n\t "), want: []string{"the file is empty"}},
		{name: "empty gzip", data: gzipBytes(t, nil), want: []string{"the file is empty"}},
		{name: "non-UTF-8 bytes outside strings", data: []byte("{\"Records\":[\xff\xfe]}"), want: []string{"Records[0] at byte 12", "invalid character 0xff"}},
		{name: "control character in a string", data: []byte("{\"Records\":[{\"a\":\"x\x01\"}]}"), want: []string{"Records[0]", "invalid control character 0x01"}},
		{name: "huge record", data: []byte(`{"Records":[{"a":"` + strings.Repeat("x", 3<<20) + `"}]}`), opts: FileOptions{MaxRecordBytes: 1 << 20}, want: []string{"Records[0] at byte 12 is larger than the record cap of 1 MiB", "--max-record-bytes"}},
		{
			name: "100 MB single line with the default cap",
			r:    &bigRecordReader{head: []byte(`{"Records":[{"a":"`), n: 100 << 20},
			want: []string{"Records[0] at byte 12 is larger than the record cap of 64 MiB"},
		},
		{name: "record over a cap smaller than the buffer", data: []byte(`{"Records":[{"eventID":"x"},{"a":"` + strings.Repeat("x", 2000) + `"}]}`), opts: FileOptions{MaxRecordBytes: 1000}, want: []string{"Records[1] at byte 28 is larger than the record cap of", "--max-record-bytes"}},
		{name: "single record over the cap", data: []byte(`{"eventID":"` + strings.Repeat("x", 2<<20) + `"}`), opts: FileOptions{MaxRecordBytes: 1 << 20}, want: []string{"--max-record-bytes"}},
		{name: "single record over the cap in small members", data: []byte(`{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"x"` + strings.Repeat(`,"p":"`+strings.Repeat("x", 500)+`"`, 4) + `}`), opts: FileOptions{MaxRecordBytes: 1000}, want: []string{"the record at byte 0 is larger than the record cap of", "--max-record-bytes"}},
		{name: "second Records list", data: []byte(`{"Records":[],"Records":[]}`), want: []string{"second Records or Events member"}},
		// Read as the list or the digest, the document's own record would
		// be passed over.
		{name: "a record with a Records list", data: []byte(`{"eventName":"AssumeRole","Records":[` + string(ar) + `]}`), want: []string{"the document is both a list of records and a record", "fix the file, or leave it out"}},
		{name: "a Records list, then a record's key", data: []byte(`{"Records":[` + string(ar) + `],"eventSource":"sts.amazonaws.com"}`), want: []string{"both a list of records and a record"}},
		{name: "a record with an Events list", data: []byte(`{"Events":[],"CloudTrailEvent":"{}"}`), want: []string{"both a list of records and a record"}},
		{name: "a digest with a record's key", data: []byte(`{"digestS3Object":"x","eventID":"y"}`), want: []string{"the document is both a digest and a record"}},
		{name: "lookup-events page with a NextToken", data: []byte(`{"Events":[],"NextToken":"eyJ0b2tlbiI6IDF9"}`), want: []string{"holds a NextToken", "one page of a longer result", "without --max-items"}},
		{name: "NextToken before the events", data: []byte(`{"NextToken":"t","Events":[]}`), want: []string{"holds a NextToken"}},
		{name: "lookup event without CloudTrailEvent", data: []byte(`{"Events":[{"EventId":"x"}]}`), want: []string{"Events[0] at byte 11 has no CloudTrailEvent member"}},
		{name: "CloudTrailEvent not JSON", data: []byte(`{"Events":[{"CloudTrailEvent":"{\"eventID\":"}]}`), want: []string{"Events[0]", "CloudTrailEvent is truncated JSON"}},
		{name: "CloudTrailEvent not a string", data: []byte(`{"Events":[{"CloudTrailEvent":{}}]}`), want: []string{"Events[0]", "CloudTrailEvent is an object, want a string"}},
		{name: "deep nesting", data: []byte(`{"Records":[{"a":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}]}`), want: []string{"nesting deeper than 10000 levels"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			if r == nil {
				r = bytes.NewReader(tt.data)
			}
			emitted := 0
			st, err := DecodeStream(r, "logs/bad.json.gz", tt.opts, func(Event) { emitted++ })
			if err == nil {
				t.Fatalf("no error; stats %+v", st)
			}
			var se *SourceError
			if !errors.As(err, &se) || se.Source != "logs/bad.json.gz" {
				t.Fatalf("err = %v (%T), want a *SourceError naming the file", err, err)
			}
			if !strings.HasPrefix(err.Error(), "logs/bad.json.gz: ") {
				t.Errorf("message %q does not start with the file", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if emitted != 0 || st.Records != 0 || st.AssumeRole != 0 {
				t.Errorf("an unreadable document emitted %d events and counted %d records", emitted, st.Records)
			}
		})
	}
}

// A record cap near the largest int64 is no cap: the buffer's limit does
// not wrap around (it did, and refused every record over the buffer).
func TestDecodeStreamLargestRecordCap(t *testing.T) {
	big := set(assumeRole(), "userAgent", strings.Repeat("u", 2*docBufferSize))
	for _, limit := range []int64{math.MaxInt64, math.MaxInt64 - docBufferSize + 1, math.MaxInt64 - docBufferSize} {
		st, err := DecodeStream(bytes.NewReader(recordsDoc(t, big)), "big.json", FileOptions{MaxRecordBytes: limit}, func(Event) {})
		if err != nil || st.AssumeRole != 1 {
			t.Errorf("cap %d: %v, %d assume-role events; want the record read", limit, err, st.AssumeRole)
		}
	}
}

func TestDecodeStreamRecordAcrossBufferRefills(t *testing.T) {
	// Records larger than the first buffer, and many small ones, so that
	// records straddle refills and the buffer grows.
	big := set(assumeRole(), "userAgent", strings.Repeat("u", docBufferSize+1000))
	var recs []map[string]any
	for i := range 3000 {
		if i%500 == 7 {
			recs = append(recs, big)
			continue
		}
		recs = append(recs, otherRecord("id"))
	}
	data := recordsDoc(t, recs...)
	for _, d := range [][]byte{data, gzipBytes(t, data)} {
		n := 0
		st, err := DecodeStream(iotestOneByteAtStart(d), "f", FileOptions{}, func(Event) { n++ })
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != 3000 || st.AssumeRole != 6 || n != 6 {
			t.Errorf("stats %+v", st)
		}
	}
}

// iotestOneByteAtStart returns a reader that yields short reads, so that
// refills see partial data.
func iotestOneByteAtStart(b []byte) io.Reader { return &shortReader{b: b} }

type shortReader struct {
	b []byte
	i int
}

func (r *shortReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	r.i++
	n := r.i%7000 + 1
	if n > len(p) {
		n = len(p)
	}
	if n > len(r.b) {
		n = len(r.b)
	}
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

// The record cap holds for records much smaller than the read buffer: a
// record of exactly the cap is read, one byte more is refused.
func TestRecordCapBoundary(t *testing.T) {
	rec := `{"eventID":"x","a":"` + strings.Repeat("y", 100) + `"}`
	doc := []byte(`{"Records":[` + rec + `]}`)
	n := int64(len(rec))
	if _, st, err := decode(doc, "f.json", FileOptions{MaxRecordBytes: n}); err != nil || st.Records != 1 {
		t.Errorf("a record of exactly the cap (%d bytes): %+v, %v", n, st, err)
	}
	if _, _, err := decode(doc, "f.json", FileOptions{MaxRecordBytes: n - 1}); err == nil || !strings.Contains(err.Error(), "larger than the record cap") {
		t.Errorf("a record one byte over the cap: %v", err)
	}
}

// A gzip file of several members (as concatenated .gz files are) is read
// as one stream, as gzip -d reads it, even when a record spans members.
func TestDecodeStreamGzipMembers(t *testing.T) {
	ar := mustJSON(t, assumeRole())
	doc := []byte(`{"Records":[` + string(ar) + `,` + string(mustJSON(t, set(assumeRole(), "eventID", "second"))) + `]}`)
	cut := len(doc) / 2
	data := append(gzipBytes(t, doc[:cut]), gzipBytes(t, doc[cut:])...)
	data = append(data, gzipBytes(t, nil)...) // an empty member at the end
	evs, st, err := decode(data, "m.json.gz", FileOptions{})
	if err != nil || st.Records != 2 || len(evs) != 2 {
		t.Fatalf("%d records, %d events, %v; want 2 and 2", st.Records, len(evs), err)
	}
}

// A read that breaks off right after a gzip member ends is the read's
// error (which the S3 source retries), not the end of the file.
func TestDecodeStreamBreakAtMemberEnd(t *testing.T) {
	reset := errors.New("connection reset by peer")
	doc := []byte(`{"Records":[` + string(mustJSON(t, assumeRole())) + `]}`)
	broken := io.MultiReader(bytes.NewReader(gzipBytes(t, doc[:20])), iotest.ErrReader(reset))
	_, err := DecodeStream(broken, "b.json.gz", FileOptions{}, func(Event) {})
	if !errors.Is(err, reset) {
		t.Fatalf("error = %v, want the read's error", err)
	}
	// A source whose error is returned once, then io.EOF: the decoder's
	// read-ahead takes it, and it must still end the read.
	once := io.MultiReader(bytes.NewReader(gzipBytes(t, doc)), &errOnce{err: reset})
	if _, err := DecodeStream(once, "b.json.gz", FileOptions{}, func(Event) {}); !errors.Is(err, reset) {
		t.Fatalf("an error returned once: error = %v, want the read's error", err)
	}
}

// errOnce returns err once, then io.EOF.
type errOnce struct {
	err   error
	fired bool
}

func (e *errOnce) Read([]byte) (int, error) {
	if e.fired {
		return 0, io.EOF
	}
	e.fired = true
	return 0, e.err
}

// encoding/json decoding into a struct reads keys without regard to case
// (ſ for s, K for k too), the last of them winning: a record with such a
// variant of a key the decoder reads could be another call to it. The
// record cannot be used, however its exact keys read; before, one whose
// exact eventSource was s3's was passed over as not an assume-role call.
func TestDecodeStreamCaseVariantKeys(t *testing.T) {
	other := `"eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"x","eventTime":"2026-11-17T10:00:00Z"`
	sts := `"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"x","eventTime":"2026-11-17T10:00:00Z","awsRegion":"us-east-1"`
	for _, tc := range []struct {
		name, record string
		skipped      int64
		field        string
	}{
		{"EventSource and EVENTNAME after the exact keys", `{` + other + `,"EventSource":"sts.amazonaws.com","EVENTNAME":"AssumeRole"}`, 1, "eventSource"},
		{"eventſource", `{` + other + `,"eventſource":"sts.amazonaws.com","eventname":"AssumeRole"}`, 1, "eventSource"},
		{"a case variant before the exact key", `{"EVENTSOURCE":"sts.amazonaws.com",` + other + `}`, 1, "eventSource"},
		{"RoleArn beside roleArn", `{` + sts + `,"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Allowed","RoleArn":"arn:aws:iam::111122223333:role/ProdAdmin"}}`, 1, "requestParameters.roleArn"},
		{"a case variant of a key of an assume-role call", `{` + sts + `,"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/A"},"ErrorCode":"AccessDenied"}`, 1, "errorCode"},
		{"a case variant of a key read only of assume-role calls, in another call", `{` + other + `,"EVENTTIME":"2026-11-17T10:00:00Z","RequestParameters":{}}`, 0, ""},
		{"keys that only look alike", `{` + other + `,"eventSources":"sts.amazonaws.com","event_name":"AssumeRole","eventNamé":"x"}`, 0, ""},
	} {
		for _, doc := range [][]byte{
			[]byte(`{"Records":[` + tc.record + `]}`),
			[]byte(`{"Events":[{"CloudTrailEvent":` + strconv.Quote(tc.record) + `}]}`),
		} {
			evs, st, err := decode(doc, "f.json", FileOptions{})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if len(evs) != 0 || st.RecordsSkipped != tc.skipped {
				t.Errorf("%s: %d events, %d unusable records; want 0 and %d", tc.name, len(evs), st.RecordsSkipped, tc.skipped)
				continue
			}
			if tc.skipped > 0 && (len(st.Skipped) != 1 || !strings.Contains(st.Skipped[0].Reason, tc.field+" is also written")) {
				t.Errorf("%s: skipped %+v, want the reason to name %s", tc.name, st.Skipped, tc.field)
			}
		}
	}
}

// A member the decoder reads, written twice in a record, makes the record
// unusable: which copy counts is unknown (encoding/json and jq keep the
// last, other readers the first), so an AssumeRole call written again as
// GetObject is never passed over. The call's names make any record
// unusable; the other members only an assume-role call.
func TestDecodeStreamRepeatedKeys(t *testing.T) {
	const (
		other = `"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"o1","eventTime":"2026-11-17T10:00:00Z"`
		sts   = `"eventVersion":"1.08","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"a1","eventTime":"2026-11-17T10:00:00Z"`
		role  = `"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ProdAdmin"}`
	)
	for _, tc := range []struct {
		name, record string
		skipped      int64
		field        string
	}{
		{"eventName, then another call", `{` + sts + `,` + role + `,"eventName":"GetObject"}`, 1, "eventName"},
		{"eventName, another call first", `{` + other + `,"eventName":"AssumeRole"}`, 1, "eventName"},
		{"eventSource written twice", `{` + sts + `,` + role + `,"eventSource":"s3.amazonaws.com"}`, 1, "eventSource"},
		{"the same call's name twice", `{` + other + `,"eventName":"GetObject"}`, 1, "eventName"},
		{"an escaped spelling of eventName", `{` + sts + `,` + role + `,"event\u004eame":"GetObject"}`, 1, "eventName"},
		{"roleArn written twice", `{` + sts + `,"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ProdAdmin","roleArn":"arn:aws:iam::999999999999:role/Other"}}`, 1, "requestParameters.roleArn"},
		{"errorCode, then null", `{` + sts + `,` + role + `,"errorCode":"AccessDenied","errorCode":null}`, 1, "errorCode"},
		{"eventID written twice", `{` + sts + `,` + role + `,"eventID":"a2"}`, 1, "eventID"},
		{"sourceIdentity written twice", `{` + sts + `,"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ProdAdmin","sourceIdentity":"a","sourceIdentity":"b"}}`, 1, "requestParameters.sourceIdentity"},
		{"a member read only of assume-role calls, in another call", `{` + other + `,"eventTime":"2026-11-17T10:00:01Z","userAgent":"a","userAgent":"b"}`, 0, ""},
		{"a member the decoder does not read", `{` + sts + `,` + role + `,"readOnly":false,"readOnly":true}`, 0, ""},
	} {
		for _, doc := range [][]byte{
			[]byte(`{"Records":[` + tc.record + `]}`),
			[]byte(`{"Events":[{"CloudTrailEvent":` + strconv.Quote(tc.record) + `}]}`),
			[]byte(tc.record),
		} {
			evs, st, err := decode(doc, "f.json", FileOptions{})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			wantEvents := 0
			if tc.skipped == 0 && strings.Contains(tc.record, "AssumeRole") {
				wantEvents = 1
			}
			if len(evs) != wantEvents || st.RecordsSkipped != tc.skipped {
				t.Errorf("%s: %d events, %d unusable records; want %d and %d", tc.name, len(evs), st.RecordsSkipped, wantEvents, tc.skipped)
				continue
			}
			if tc.skipped > 0 && (len(st.Skipped) != 1 || !strings.Contains(st.Skipped[0].Reason, tc.field+" is written twice")) {
				t.Errorf("%s: skipped %+v, want the reason to name %s", tc.name, st.Skipped, tc.field)
			}
		}
	}
}

// The same holds for the keys around records: a LookupEvents result's
// CloudTrailEvent, a single record's keys, and NextToken.
func TestDecodeStreamCaseVariantWrappers(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		err       string // "" when the file is read
		skipped   int64
	}{
		{"CloudTrailEvent beside cloudTrailEvent", `{"Events":[{"CloudTrailEvent":"{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}","cloudTrailEvent":"{}"}]}`, "CloudTrailEvent is also written", 0},
		{"the same in a bare array", `[{"CloudTrailEvent":"{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}","cloudTrailEvent":"{}"}]`, "CloudTrailEvent is also written", 0},
		{"a single record in another case", `{"EVENTSOURCE":"sts.amazonaws.com","EVENTNAME":"AssumeRole","EVENTID":"x"}`, "", 1},
		{"nextToken", `{"Events":[],"nextToken":"eyJ"}`, "NextToken", 0},
		{"a null nextToken", `{"Events":[],"nextToken":null}`, "", 0},
		{"a nextToken written again as null", `{"nextToken":"a","nextToken":null,"Events":[]}`, "NextToken", 0},
		{"NextToken written again as null", `{"Events":[],"NextToken":"eyJ","NextToken":null}`, "NextToken", 0},
		{"CloudTrailEvent written twice", `{"Events":[{"CloudTrailEvent":"{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}","CloudTrailEvent":"{}"}]}`, "CloudTrailEvent is written twice", 0},
		{"a nextToken written again with a value", `{"nextToken":null,"nextToken":"a","Events":[]}`, "NextToken", 0},
		{"two spellings, one with a value", `{"nextToken":"a","NextToKen":null,"Events":[]}`, "NextToken", 0},
	} {
		_, st, err := decode([]byte(tc.doc), "f.json", FileOptions{})
		switch {
		case tc.err == "" && err != nil, tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
		case err == nil && st.RecordsSkipped != tc.skipped:
			t.Errorf("%s: %d unusable records, want %d", tc.name, st.RecordsSkipped, tc.skipped)
		}
	}
}

func TestFoldsTo(t *testing.T) {
	for _, tc := range []struct {
		key, name string
		want      bool
	}{
		{"eventSource", "eventSource", true},
		{"EVENTSOURCE", "eventSource", true},
		{"eventſource", "eventSource", true},
		{"eventSourcE", "eventSource", true},
		{"eventSources", "eventSource", false},
		{"eventSourc", "eventSource", false},
		{"event_ource", "eventSource", false},
		{"eventſſource", "eventSource", false},
		{"\u212aey", "key", true},
		{"ke\u212a", "kek", true},
		{"\u212a", "s", false},
		{"eventName", "eventNamf", false},
		{"eventNam\xc5", "eventName", false},
		{"", "a", false},
	} {
		if got := foldsTo([]byte(tc.key), tc.name); got != tc.want || got != (tc.key != "" && strings.EqualFold(tc.key, tc.name)) {
			t.Errorf("foldsTo(%q, %q) = %v, want %v (as strings.EqualFold)", tc.key, tc.name, got, tc.want)
		}
	}
}

// With SkipUnreadable a failed document keeps the records read before the
// error, and only those: the record that failed it is not counted, nor
// called checked.
func TestReadBeforeTheError(t *testing.T) {
	rec := func(id string) string {
		return strconv.Quote(`{"eventVersion":"1.08","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"` + id + `","eventTime":"2026-11-17T10:00:00Z","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Prod"}}`)
	}
	for name, doc := range map[string]string{
		"a lookup-events result that fails": `{"Events":[{"CloudTrailEvent":` + rec("e1") + `},{"CloudTrailEvent":` + rec("e2") + `},{"CloudTrailEvent":` + rec("e3") + `,"CloudTrailEvent":` + rec("e4") + `}]}`,
		"a truncated log file":              `{"Records":[` + mustUnquote(t, rec("e1")) + `,` + mustUnquote(t, rec("e2")) + `,` + mustUnquote(t, rec("e3"))[:40],
	} {
		evs, _, err := decode([]byte(doc), "f.json", FileOptions{SkipUnreadable: true})
		if err == nil || len(evs) != 0 {
			t.Fatalf("%s: err %v, %d events emitted; want the document to fail and emit nothing", name, err, len(evs))
		}
		var got []Event
		st, said := readBefore(err, func(e Event) { got = append(got, e) })
		if len(got) != 2 || st.Records != 2 || st.AssumeRole != 2 || st.Files != 0 || said != "; its 2 records before the error were checked" {
			t.Errorf("%s: %d events, stats %+v, %q; want the 2 records before the error", name, len(got), st, said)
		}
		// Without SkipUnreadable nothing is kept.
		_, _, err = decode([]byte(doc), "f.json", FileOptions{})
		if st, _ := readBefore(err, func(Event) { t.Errorf("%s: an event kept without SkipUnreadable", name) }); st.Records != 0 {
			t.Errorf("%s: %d records kept without SkipUnreadable", name, st.Records)
		}
	}
}

func mustUnquote(t *testing.T, q string) string {
	t.Helper()
	s, err := strconv.Unquote(q)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The largest cap reads a file as any other: c.left+1 overflowed there
// and a slice bound went negative (a panic).
func TestLargestDecompressedCap(t *testing.T) {
	evs, st, err := decode([]byte(`{"Records":[]}`), "f.json", FileOptions{MaxDecompressed: math.MaxInt64})
	if err != nil || len(evs) != 0 || st.Files != 1 {
		t.Fatalf("%v, %+v", err, st)
	}
}

// A record wrapped in a CloudTrailEvent string is read by the record it
// holds in every shape a file can have: the keys beside the string (a
// GetObject call's, here) never decide which call it is.
func TestDecodeStreamWrappedRecordInEveryShape(t *testing.T) {
	inner := strconv.Quote(`{"eventVersion":"1.08","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"e1","eventTime":"2026-11-17T10:00:00Z","awsRegion":"us-east-1","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ProdAdmin","roleSessionName":"bob"}}`)
	for _, wrapper := range []string{
		`{"CloudTrailEvent":` + inner + `}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"GetObject","CloudTrailEvent":` + inner + `}`,
		`{"CloudTrailEvent":` + inner + `,"eventSource":"s3.amazonaws.com","eventName":"GetObject"}`,
	} {
		for _, doc := range []string{
			`{"Records":[` + wrapper + `]}`,
			`[` + wrapper + `]`,
			wrapper,
			`{"Events":[` + wrapper + `]}`,
		} {
			evs, st, err := decode([]byte(doc), "f.json", FileOptions{})
			if err != nil {
				t.Errorf("%s: %v", doc, err)
				continue
			}
			if len(evs) != 1 || evs[0].EventName != "AssumeRole" || evs[0].EventID != "e1" || st.Records != 1 || st.RecordsSkipped != 0 {
				t.Errorf("%s: %d events %+v, stats %+v; want the wrapped AssumeRole e1", doc, len(evs), evs, st)
			}
		}
	}
}
