package cloudtrail

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeStreamReference compares DecodeStream with the plain decoder of
// reference_test.go on any bytes, plain and gzipped: whenever encoding/json
// reads a document, the fast decoder must read it too, with the same counts
// and events; whenever the fast decoder reads one, encoding/json must too.
// This is what proves the prefilter exact. Seeds: testdata/fuzz/FuzzDecodeStreamReference.
func FuzzDecodeStreamReference(f *testing.F) {
	f.Add(recordsDoc(f, assumeRole(), otherRecord("a")), false)
	f.Add(recordsDoc(f, set(assumeRole(), "requestParameters", "x")), true)
	f.Add(lookupDoc(f, assumeRole(), otherRecord("b")), false)
	f.Add(mustJSON(f, []any{assumeRole(), otherRecord("c")}), false)
	f.Add(mustJSON(f, assumeRole()), true)
	f.Add([]byte(`{"Records":[{"eventSource":"sts\u002eamazonaws.com","eventName":"AssumeRole","eventID":"x","eventTime":"2024-05-01T12:00:00Z","requestParameters":{"roleArn":"r"}}]}`), false)
	f.Add([]byte(`{"Records":[{"event\u0053ource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"x","eventTime":"2024-05-01T12:00:00Z","errorCode":"E"}]}`), false)
	f.Add([]byte(`{"Records":[{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventSource":"s3.amazonaws.com"}]}`), false)
	f.Add([]byte(`[{"CloudTrailEvent":"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRoleWithSAML\",\"eventID\":\"i\",\"eventTime\":\"2024-05-01T12:00:00Z\",\"errorCode\":\"x\"}"}]`), false)
	f.Add([]byte(`{"digestS3Object":"x"}`), false)
	f.Add([]byte(`{"Records":[{"eventSource":"s3.amazonaws.com","eventName":"GetObject","EventSource":"sts.amazonaws.com","EVENTNAME":"AssumeRole"},{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"x","eventTime":"2024-05-01T12:00:00Z","requestParameters":{"roleArn":"a","RoleArn":"b"},"Eventtime":"t"}]}`), false)
	f.Add([]byte(`{"NextToken":"a","NextToken":null,"Events":[]}`), false)
	f.Add([]byte(`{"nextToken":"a","Events":[]}`), false)
	f.Add([]byte(`[{"CloudTrailEvent":"{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}","cloudTrailEvent":"{}"},{"cloudtrailevent":"{}"}]`), false)
	f.Add([]byte(`{"EVENTSOURCE":"sts.amazonaws.com","EVENTNAME":"AssumeRole","EVENTID":"x"}`), false)
	f.Fuzz(func(t *testing.T, data []byte, gz bool) {
		if gz {
			data = gzipBytes(t, data)
		}
		opts := FileOptions{MaxRecordBytes: 1 << 20, MaxDecompressed: 16 << 20}
		evs, st, err := decode(data, "f.json", opts)
		ref, refErr := refDecode(data, "f.json")
		if err != nil {
			var se *SourceError
			if !errors.As(err, &se) || se.Source != "f.json" || strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error %q is not one line naming the file", err)
			}
			if len(evs) != 0 {
				t.Fatal("a failed document emitted events")
			}
			if refErr == nil && !documentedDifference(err, data) {
				t.Fatalf("encoding/json reads the document, the decoder fails: %v", err)
			}
			return
		}
		if refErr != nil && strings.Contains(refErr.Error(), "exceeded max depth") {
			return // encoding/json counts depth from the document, the decoder from the record
		}
		if refErr != nil {
			t.Fatalf("the decoder reads a document encoding/json rejects (%v): stats %+v", refErr, st)
		}
		got := Stats{Files: st.Files, FilesSkipped: st.FilesSkipped, Records: st.Records, RecordsSkipped: st.RecordsSkipped, AssumeRole: st.AssumeRole}
		if !reflect.DeepEqual(got, ref.stats) {
			t.Fatalf("stats %+v, reference %+v", got, ref.stats)
		}
		for i := range evs {
			// Ids keep bytes that are not UTF-8 (encoding/json: U+FFFD).
			evs[i].EventID, evs[i].SharedEventID = string([]rune(evs[i].EventID)), string([]rune(evs[i].SharedEventID))
		}
		if (len(evs) != 0 || len(ref.events) != 0) && !reflect.DeepEqual(evs, ref.events) {
			t.Fatalf("events differ:\n got %+v\nwant %+v", evs, ref.events)
		}
	})
}

// documentedDifference reports the cases where the decoder refuses what
// encoding/json reads, on purpose: a second Records or Events list (the
// streaming reader has already used the first; encoding/json keeps the last
// silently), a Records or Events key in another case (encoding/json
// matches keys ignoring case; the decoder refuses the document rather than
// skip it), a document that is both a list of records or a digest and a
// record (the reference reads the list and passes the record over), a
// value over the record cap, and nesting that passes the depth limit of
// encoding/json counted from the record, not the document.
func documentedDifference(err error, data []byte) bool {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "second Records or Events member"),
		strings.Contains(msg, "(keys are case-sensitive)"),
		strings.Contains(msg, "and a record (it has a record's keys"),
		strings.Contains(msg, "record cap"),
		strings.Contains(msg, "nesting deeper"):
		return true
	}
	return bytes.Count(data, []byte("[")) > maxDepth-10 || bytes.Count(data, []byte("{")) > maxDepth-10
}
