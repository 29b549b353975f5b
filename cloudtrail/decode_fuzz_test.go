package cloudtrail_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
)

// The fuzz targets of the decoder compare it with encoding/json: whatever
// the bytes, the streaming decoder, the single-record decoder and a plain
// encoding/json reading must agree, and bad input is an error, never a
// panic. Seeds live in testdata/fuzz/<target>/.

// fuzzRecord is a valid assume-role record used to build seeds.
const fuzzRecord = `{"eventVersion":"1.08","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",` +
	`"eventTime":"2024-05-01T12:00:00Z","eventID":"ev-1","awsRegion":"us-east-1","recipientAccountId":"111122223333",` +
	`"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Broker/b","sessionContext":{"sourceIdentity":"sentinel:bob:direct:0badc0de"}},` +
	`"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ProdAdmin","roleSessionName":"s","sourceIdentity":"sentinel:alice:direct:1a2b3c4d"},` +
	`"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLEKEY123456","sessionToken":"TOKEN","secretAccessKey":"SECRET"},"assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/ProdAdmin/s"}},` +
	`"sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2"}`

// refValue reads a record with encoding/json (numbers kept as text), its
// repeated keys marked (see cloudtrail.RefTwice).
func refValue(raw []byte) (map[string]any, bool) {
	if !json.Valid(raw) {
		return nil, false
	}
	v, err := cloudtrail.RefValue(raw)
	if err != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// refEvent is what the decoder must return for a record that encoding/json
// read as m: the expected event, whether it is an assume-role call, and
// whether some field is missing or mistyped.
func isStringField(m map[string]any, key string) bool {
	_, ok := m[key].(string)
	return ok
}

func refEvent(m map[string]any) (ev cloudtrail.Event, isAR, bad bool) {
	src, ok1 := m["eventSource"].(string)
	name, ok2 := m["eventName"].(string)
	if !ok1 || !ok2 || !cloudtrail.IsAssumeRole(src, name) {
		return cloudtrail.Event{}, false, false
	}
	// A member the decoder reads written twice makes the record unusable.
	bad = cloudtrail.RefTwice(m, cloudtrail.RefRecordKeys...)
	str := func(obj map[string]any, key string) string {
		bad = bad || cloudtrail.RefTwice(obj, key)
		v, present := obj[key]
		if !present || v == nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			bad = true
		}
		return s
	}
	obj := func(parent map[string]any, key string) map[string]any {
		bad = bad || cloudtrail.RefTwice(parent, key)
		v, present := parent[key]
		if !present || v == nil {
			return map[string]any{}
		}
		o, ok := v.(map[string]any)
		if !ok {
			bad = true
			return map[string]any{}
		}
		return o
	}
	ev.EventName = name
	ev.EventID = str(m, "eventID")
	if ev.EventID == "" {
		bad = true
	}
	switch t := m["eventTime"].(type) {
	case string:
		pt, err := time.Parse(time.RFC3339, t)
		if err != nil {
			bad = true
		}
		ev.EventTime = pt.UTC()
	default:
		bad = true
	}
	ev.AWSRegion = str(m, "awsRegion")
	ev.RecipientAccountID = str(m, "recipientAccountId")
	ev.SourceIPAddress = str(m, "sourceIPAddress")
	ev.UserAgent = str(m, "userAgent")
	ev.ErrorCode = str(m, "errorCode")
	str(m, "errorMessage")
	ui := obj(m, "userIdentity")
	ev.CallerArn = str(ui, "arn")
	caller := str(obj(ui, "sessionContext"), "sourceIdentity")
	rp := obj(m, "requestParameters")
	ev.RoleArn = str(rp, "roleArn")
	ev.RoleSessionName = str(rp, "roleSessionName")
	request := str(rp, "sourceIdentity")
	re := obj(m, "responseElements")
	ev.AccessKeyID = cloudtrail.ShortenKeyID(str(obj(re, "credentials"), "accessKeyId"))
	ev.AssumedRoleArn = str(obj(re, "assumedRoleUser"), "arn")
	switch {
	case request != "":
		ev.SourceIdentity, ev.SourceIdentityFrom = request, cloudtrail.SourceIdentityFromRequest
	case caller != "":
		ev.SourceIdentity, ev.SourceIdentityFrom = caller, cloudtrail.SourceIdentityFromCaller
	}
	if ev.ErrorCode == "" && ev.RoleArn == "" {
		bad = true
	}
	return ev, true, bad
}

// checkEvent asserts what holds for every event the decoder emits.
func checkEvent(t *testing.T, ev cloudtrail.Event) {
	t.Helper()
	if !cloudtrail.IsAssumeRole(cloudtrail.EventSourceSTS, ev.EventName) {
		t.Fatalf("emitted a record that is not an assume-role call: %q", ev.EventName)
	}
	if ev.EventID == "" || ev.EventTime.IsZero() {
		t.Fatalf("emitted an event without id or time: %+v", ev)
	}
	if ev.ErrorCode == "" && ev.RoleArn == "" {
		t.Fatalf("emitted a successful call without a role: %+v", ev)
	}
	if len(ev.AccessKeyID) > 8 && !strings.Contains(ev.AccessKeyID, "…") {
		t.Fatalf("a full access key id left the decoder: %q", ev.AccessKeyID)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte(fuzzRecord))
	f.Add([]byte(`{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"x","eventTime":"2024-05-01T12:00:00Z","errorCode":"AccessDenied","errorMessage":"User: u is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::1:role/x"}`))
	f.Add([]byte(`{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"x","eventTime":12,"requestParameters":"roleArn"}`))
	f.Add([]byte(`{"event\u0053ource":"sts.amazonaws.com","eventName":"Assume\u0052ole","eventID":"x","eventTime":"2024-05-01T12:00:00Z","requestParameters":{"roleArn":"r"}}`))
	f.Add([]byte(`{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte("{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRole\",\"eventID\":\"\xff\xfe\",\"eventTime\":\"2024-05-01T12:00:00Z\",\"requestParameters\":{\"roleArn\":\"\x1b[31m\"}}"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, ok, err := cloudtrail.DecodeRecord(raw)
		m, valid := refValue(raw)
		if !valid {
			if err == nil {
				t.Fatalf("accepted a record encoding/json rejects (ok=%v): %q", ok, raw)
			}
			if ok {
				t.Fatalf("reported an invalid record as an assume-role call: %v", err)
			}
			return
		}
		want, isAR, bad := refEvent(m)
		if _, named := m["eventSource"].(string); (!named || !isStringField(m, "eventName")) && m["eventType"] != cloudtrail.EventTypeInsight || cloudtrail.RefTwice(m, "eventSource", "eventName") {
			// Not a CloudTrail record: unusable, never an assume-role call.
			var fe *cloudtrail.FieldError
			if ok || !errors.As(err, &fe) {
				t.Fatalf("a record without eventSource and eventName strings: ok = %v, err = %v; want a *FieldError", ok, err)
			}
			return
		}
		if !ok && err != nil {
			t.Fatalf("rejected a JSON object encoding/json reads: %v", err)
		}
		if ok != isAR {
			t.Fatalf("ok = %v, encoding/json says assume-role = %v", ok, isAR)
		}
		if !ok {
			return
		}
		var fe *cloudtrail.FieldError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error on an assume-role record is %T, want *FieldError: %v", err, err)
		}
		if bad != (err != nil) {
			t.Fatalf("field error = %v, encoding/json finds a bad field = %v", err, bad)
		}
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err.Error())
			}
			return
		}
		checkEvent(t, ev)
		if want.ErrorCode != "" && want.RoleArn == "" {
			want.RoleArn = ev.RoleArn // taken from errorMessage; not modelled here
		}
		// Ids keep bytes that are not UTF-8, which encoding/json makes
		// U+FFFD one by one.
		ev.EventID, ev.SharedEventID = string([]rune(ev.EventID)), string([]rune(ev.SharedEventID))
		if !reflect.DeepEqual(ev, want) {
			t.Fatalf("decoded\n  %+v\nencoding/json reads\n  %+v", ev, want)
		}
	})
}

// decodeAll runs DecodeStream and collects the events.
func decodeAll(r io.Reader, opts cloudtrail.FileOptions) ([]cloudtrail.Event, cloudtrail.Stats, error) {
	var evs []cloudtrail.Event
	st, err := cloudtrail.DecodeStream(r, "f.json", opts, func(e cloudtrail.Event) { evs = append(evs, e) })
	for i := range evs {
		evs[i].Origin = ""
	}
	return evs, st, err
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// sameOutcome compares two decodings of the same document, Bytes aside.
func sameOutcome(t *testing.T, what string, evA, evB []cloudtrail.Event, stA, stB cloudtrail.Stats, errA, errB error) {
	t.Helper()
	if (errA == nil) != (errB == nil) || errA != nil && errA.Error() != errB.Error() {
		t.Fatalf("%s: error %v, plain read gives %v", what, errB, errA)
	}
	stA.Bytes, stB.Bytes = 0, 0
	if !reflect.DeepEqual(stA, stB) {
		t.Fatalf("%s: stats %+v, plain read gives %+v", what, stB, stA)
	}
	if !reflect.DeepEqual(evA, evB) {
		t.Fatalf("%s: %d events, plain read gives %d", what, len(evB), len(evA))
	}
}

// recordsOf returns the elements of the Records array when data is, for
// encoding/json, an object with exactly one member named Records (or Events
// absent) that is an array; ok is false otherwise.
func recordsOf(data []byte) ([]json.RawMessage, bool) {
	if !json.Valid(data) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var recs []json.RawMessage
	found := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		switch key {
		case "Records":
			if found {
				return nil, false
			}
			found = true
			if err := json.Unmarshal(raw, &recs); err != nil {
				return nil, false
			}
		case "Events":
			return nil, false
		}
	}
	return recs, found
}

func FuzzDecodeStream(f *testing.F) {
	f.Add([]byte(`{"Records":[`+fuzzRecord+`]}`), uint8(7))
	f.Add([]byte(`{"Events":[{"CloudTrailEvent":`+strconvQuote(fuzzRecord)+`}]}`), uint8(1))
	f.Add([]byte(`[`+fuzzRecord+`,{"eventSource":"s3.amazonaws.com"}]`), uint8(200))
	f.Add([]byte(fuzzRecord), uint8(3))
	f.Add([]byte(`{"Records":"x"}`), uint8(0))
	f.Add([]byte(`{"Records":[1]}`), uint8(0))
	f.Add([]byte(`{"digestPublicKeyFingerprint":"x","logFiles":[]}`), uint8(0))
	f.Add([]byte(`{"Records":[`+fuzzRecord), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		opts := cloudtrail.FileOptions{MaxRecordBytes: 1 << 20, MaxDecompressed: 8 << 20}
		evs, st, err := decodeAll(bytes.NewReader(data), opts)
		if err != nil {
			var se *cloudtrail.SourceError
			if !errors.As(err, &se) || se.Source != "f.json" {
				t.Fatalf("error does not name the file: %v", err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err.Error())
			}
			if len(evs) != 0 {
				t.Fatalf("a failed document emitted %d events", len(evs))
			}
		} else {
			if st.Files+st.FilesSkipped != 1 {
				t.Fatalf("a document read whole is %d files and %d skipped, want one in all", st.Files, st.FilesSkipped)
			}
			if int64(len(evs)) > st.AssumeRole || st.AssumeRole+st.RecordsSkipped > st.Records {
				t.Fatalf("counts do not add up: %d events, stats %+v", len(evs), st)
			}
			for _, ev := range evs {
				checkEvent(t, ev)
			}
		}
		// The same bytes delivered in small reads, or gzipped, decode the
		// same (gzip is detected by its magic bytes, so data that is gzip
		// already would be decompressed only once).
		cevs, cst, cerr := decodeAll(&chunkReader{bytes.NewReader(data), int(chunk) + 1}, opts)
		sameOutcome(t, "small reads", evs, cevs, st, cst, err, cerr)
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			return
		}
		gevs, gst, gerr := decodeAll(bytes.NewReader(gzipped(data)), opts)
		sameOutcome(t, "gzip", evs, gevs, st, gst, err, gerr)
		// A decompression cap below the size fails (with the cap, unless
		// the data is bad before it); at or above it changes nothing.
		if n := int64(len(data)); n > 1 {
			capped := opts
			capped.MaxDecompressed = n - 1
			_, _, cerr := decodeAll(bytes.NewReader(gzipped(data)), capped)
			if err == nil && !errors.Is(cerr, cloudtrail.ErrDecompressedCap) || cerr == nil {
				t.Fatalf("a cap of %d bytes on %d bytes: %v, want ErrDecompressedCap", n-1, n, cerr)
			}
			capped.MaxDecompressed = n
			xevs, xst, xerr := decodeAll(bytes.NewReader(gzipped(data)), capped)
			sameOutcome(t, "cap at size", evs, xevs, st, xst, err, xerr)
		}
		// A {"Records":[…]} document decodes as its records do one by one.
		recs, ok := recordsOf(data)
		if !ok {
			return
		}
		var want []cloudtrail.Event
		var skipped, ar int64
		for _, r := range recs {
			ev, isAR, rerr := cloudtrail.DecodeRecord(r)
			var fe *cloudtrail.FieldError
			switch {
			case !isAR && errors.As(rerr, &fe):
				skipped++ // not a CloudTrail record: unusable
			case !isAR && rerr != nil:
				if err == nil {
					t.Fatalf("a document with a non-object record was accepted")
				}
				return
			case isAR && rerr != nil:
				skipped++
			case isAR:
				ar++
				want = append(want, ev)
			}
		}
		if err != nil {
			if !strings.Contains(err.Error(), "larger than the record cap") && !strings.Contains(err.Error(), "does not fit the record cap") {
				t.Fatalf("encoding/json reads the document, the decoder fails: %v", err)
			}
			return
		}
		if st.Records != int64(len(recs)) || st.RecordsSkipped != skipped || int64(len(evs)) != ar {
			t.Fatalf("stats %+v and %d events; one by one: %d records, %d skipped, %d events", st, len(evs), len(recs), skipped, ar)
		}
		if len(want) == 0 && len(evs) == 0 {
			return
		}
		if !reflect.DeepEqual(evs, want) {
			t.Fatalf("streamed events differ from one-by-one decoding:\n  %+v\n  %+v", evs, want)
		}
	})
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func FuzzFileSource(f *testing.F) {
	f.Add([]byte(`{"Records":[`+fuzzRecord+`]}`), false)
	f.Add([]byte(`{"Records":[`+fuzzRecord+`]`), true)
	f.Add([]byte(``), true)
	f.Add([]byte("\x1f\x8b\x08\x00"), false)
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "a.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		gz := data
		if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			gz = gzipped(data)
		}
		if err := os.WriteFile(filepath.Join(dir, "b.json.gz"), gz, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := cloudtrail.FileOptions{Workers: 2, MaxRecordBytes: 1 << 20, MaxDecompressed: 8 << 20, SkipUnreadable: skip}
		wantEvs, wantSt, wantErr := decodeAll(bytes.NewReader(data), opts)
		// A folder none of whose files holds a CloudTrail document (a
		// digest, another JSON object) is no evidence: unreadable as a
		// whole.
		noDocs := wantErr == nil && wantSt.Files == 0
		var got []cloudtrail.Event
		src := cloudtrail.NewFileSource([]string{dir}, opts)
		var mu sync.Mutex
		st, err := src.Read(context.Background(), cloudtrail.Query{}, func(e cloudtrail.Event) {
			mu.Lock()
			got = append(got, e)
			mu.Unlock()
		})
		want := int64(2)
		if noDocs {
			want = 3 // and the folder
		}
		if seen := st.Files + st.FilesSkipped + st.Unreadable; err == nil && seen != want {
			t.Fatalf("two files: %d read, %d skipped, %d unreadable", st.Files, st.FilesSkipped, st.Unreadable)
		}
		switch {
		case noDocs && skip:
			if err != nil || st.Unreadable != 1 || st.FilesSkipped != 2 || len(got) != 0 {
				t.Fatalf("no CloudTrail document, with SkipUnreadable: err %v, %d skipped, %d unreadable, %d events; want both files skipped and the folder unreadable", err, st.FilesSkipped, st.Unreadable, len(got))
			}
		case noDocs:
			var se *cloudtrail.SourceError
			if !errors.As(err, &se) || se.Source != dir {
				t.Fatalf("no CloudTrail document: error %v, want one naming the folder %s", err, dir)
			}
		case wantErr != nil && skip:
			if err != nil || st.Unreadable != 2 || st.Files != 0 {
				t.Fatalf("with SkipUnreadable: err %v, %d read, %d unreadable; want both files unreadable", err, st.Files, st.Unreadable)
			}
			// The events read before the error are used, and counted:
			// the same of both files, which hold the same JSON.
			byOrigin := map[string][]cloudtrail.Event{}
			for _, e := range got {
				o := e.Origin
				e.Origin = ""
				byOrigin[o] = append(byOrigin[o], e)
			}
			a, b := byOrigin[filepath.Join(dir, "a.json")], byOrigin[filepath.Join(dir, "b.json.gz")]
			if len(a)+len(b) != len(got) || !reflect.DeepEqual(a, b) || st.AssumeRole != int64(len(got)) || st.Records%2 != 0 {
				t.Fatalf("with SkipUnreadable: events before the error differ between the two files (%d and %d of %d), or are not counted (%d assume-role, %d records)", len(a), len(b), len(got), st.AssumeRole, st.Records)
			}
		case wantErr != nil:
			var se *cloudtrail.SourceError
			if !errors.As(err, &se) || !strings.HasPrefix(se.Source, dir) {
				t.Fatalf("error %v does not name a file of %s", err, dir)
			}
		default:
			if err != nil || len(got) != 2*len(wantEvs) {
				t.Fatalf("err %v, %d events, want %d", err, len(got), 2*len(wantEvs))
			}
		}
	})
}
