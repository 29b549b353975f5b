package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// This file holds the straightforward decoder the fast one is compared with:
// the standard library's gzip, encoding/json of the whole document into
// generic values, and the field rules of SPEC §4 written plainly over maps.

type refResult struct {
	events []Event
	stats  Stats // Files, FilesSkipped, Records, RecordsSkipped, AssumeRole
}

// refDecode decodes a whole document; err means it is unreadable.
func refDecode(data []byte, origin string) (refResult, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return refResult{}, err
		}
		if data, err = io.ReadAll(zr); err != nil {
			return refResult{}, err
		}
	}
	doc, err := refParse(data)
	if err != nil {
		return refResult{}, err
	}
	var r refResult
	switch v := doc.(type) {
	case map[string]any:
		records, hasRecords := v["Records"]
		events, hasEvents := v["Events"]
		_, fp := v["digestPublicKeyFingerprint"]
		_, so := v["digestS3Object"]
		switch {
		case hasRecords && hasEvents:
			return refResult{}, errors.New("both Records and Events")
		case hasRecords:
			r.stats.Files = 1
			arr, ok := records.([]any)
			if !ok {
				return refResult{}, errors.New("Records is not an array")
			}
			for _, e := range arr {
				m, ok := e.(map[string]any)
				if !ok {
					return refResult{}, errors.New("record is not an object")
				}
				if err := r.exportRecord(m, origin); err != nil {
					return refResult{}, err
				}
			}
		case hasEvents:
			if v[refToken] != nil {
				return refResult{}, errors.New("a NextToken: one page of more")
			}
			r.stats.Files = 1
			arr, ok := events.([]any)
			if !ok {
				return refResult{}, errors.New("Events is not an array")
			}
			for _, e := range arr {
				m, ok := e.(map[string]any)
				if !ok {
					return refResult{}, errors.New("event is not an object")
				}
				if _, has := m["CloudTrailEvent"]; !has {
					return refResult{}, errors.New("no CloudTrailEvent")
				}
				if err := r.wrapped(m, origin); err != nil {
					return refResult{}, err
				}
			}
		case fp || so:
			r.stats.FilesSkipped = 1
		default:
			eventish := false
			for k := range v {
				for _, e := range []string{"eventVersion", "eventSource", "eventName", "eventID", "CloudTrailEvent"} {
					eventish = eventish || strings.EqualFold(k, e)
				}
			}
			if !eventish {
				r.stats.FilesSkipped = 1
				break
			}
			r.stats.Files = 1
			if err := r.exportRecord(v, origin); err != nil {
				return refResult{}, err
			}
		}
	case []any:
		r.stats.Files = 1
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return refResult{}, errors.New("record is not an object")
			}
			if err := r.exportRecord(m, origin); err != nil {
				return refResult{}, err
			}
		}
	default:
		return refResult{}, errors.New("not an object or array")
	}
	return r, nil
}

// exportRecord is a record of an export shape: a record or a LookupEvents
// result.
func (r *refResult) exportRecord(m map[string]any, origin string) error {
	if _, has := m["CloudTrailEvent"]; has || hasCaseVariant(m, "CloudTrailEvent") {
		return r.wrapped(m, origin)
	}
	r.record(m, origin)
	return nil
}

func (r *refResult) wrapped(m map[string]any, origin string) error {
	if hasCaseVariant(m, "CloudTrailEvent") {
		return errors.New("CloudTrailEvent in another case")
	}
	if RefTwice(m, "CloudTrailEvent") {
		return errors.New("CloudTrailEvent twice")
	}
	s, ok := m["CloudTrailEvent"].(string)
	if !ok {
		return errors.New("CloudTrailEvent is not a string")
	}
	inner, err := refParse([]byte(s))
	if err != nil {
		return err
	}
	im, ok := inner.(map[string]any)
	if !ok {
		return errors.New("CloudTrailEvent is not an object")
	}
	r.record(im, origin)
	return nil
}

func (r *refResult) record(m map[string]any, origin string) {
	r.stats.Records++
	ev, ok, bad := refRecord(m)
	switch {
	case !ok:
	case bad:
		r.stats.RecordsSkipped++
	default:
		ev.Origin = origin
		r.stats.AssumeRole++
		r.events = append(r.events, ev)
	}
}

// refRecord applies the field rules to one record. bad means an assume-role
// record with a missing or mistyped field.
func refRecord(m map[string]any) (ev Event, ok, bad bool) {
	// A key that differs from one read only in case, as encoding/json
	// into a struct would read it, makes the record unusable: always for
	// the call's names, else in an assume-role call.
	// So does one written twice: which copy counts is unknown.
	if hasCaseVariant(m, "eventSource", "eventName") || RefTwice(m, "eventSource", "eventName") {
		return Event{}, true, true
	}
	source, okSource := m["eventSource"].(string)
	name, okName := m["eventName"].(string)
	if !okSource || !okName {
		if t, _ := m["eventType"].(string); t == EventTypeInsight {
			return Event{}, false, false // an Insights event
		}
		return Event{}, true, true // not a CloudTrail record: unusable
	}
	if !IsAssumeRole(source, name) {
		return Event{}, false, false
	}
	bad = hasCaseVariant(m, recordKeys...) || RefTwice(m, recordKeys...)
	str := func(v any) string {
		switch s := v.(type) {
		case nil:
			return ""
		case string:
			return s
		}
		bad = true
		return ""
	}
	obj := func(v any) map[string]any {
		switch o := v.(type) {
		case nil:
			return nil
		case map[string]any:
			return o
		}
		bad = true
		return nil
	}
	picked := func(v any, keys ...string) map[string]any {
		o := obj(v)
		bad = bad || hasCaseVariant(o, keys...) || RefTwice(o, keys...)
		return o
	}
	ev.EventName = name
	ev.EventID = str(m["eventID"])
	if ev.EventID == "" {
		bad = true
	}
	ev.SharedEventID = str(m["sharedEventID"])
	ts, isString := m["eventTime"].(string)
	t, err := time.Parse(time.RFC3339, ts)
	if !isString || err != nil {
		bad = true
	}
	ev.EventTime = t.UTC()
	ev.AWSRegion = str(m["awsRegion"])
	ev.RecipientAccountID = str(m["recipientAccountId"])
	ev.SourceIPAddress = str(m["sourceIPAddress"])
	ev.UserAgent = str(m["userAgent"])
	ev.ErrorCode = str(m["errorCode"])
	ui := picked(m["userIdentity"], "arn", "sessionContext")
	ev.CallerArn = str(ui["arn"])
	callerIdentity := str(picked(ui["sessionContext"], "sourceIdentity")["sourceIdentity"])
	rp := picked(m["requestParameters"], "roleArn", "roleSessionName", "sourceIdentity")
	ev.RoleArn = str(rp["roleArn"])
	ev.RoleSessionName = str(rp["roleSessionName"])
	requestIdentity := str(rp["sourceIdentity"])
	re := picked(m["responseElements"], "credentials", "assumedRoleUser")
	ev.AccessKeyID = ShortenKeyID(str(picked(re["credentials"], "accessKeyId")["accessKeyId"]))
	ev.AssumedRoleArn = str(picked(re["assumedRoleUser"], "arn")["arn"])
	if ev.ErrorCode != "" && ev.RoleArn == "" {
		ev.RoleArn = roleFromErrorMessage(str(m["errorMessage"]))
	}
	switch {
	case requestIdentity != "":
		ev.SourceIdentity, ev.SourceIdentityFrom = requestIdentity, SourceIdentityFromRequest
	case callerIdentity != "":
		ev.SourceIdentity, ev.SourceIdentityFrom = callerIdentity, SourceIdentityFromCaller
	}
	if ev.ErrorCode == "" && ev.RoleArn == "" {
		bad = true
	}
	return ev, true, bad
}

// hasCaseVariant tells whether m has a key that differs from one of names
// only in case.
func hasCaseVariant(m map[string]any, names ...string) bool {
	for k := range m {
		for _, n := range names {
			if k != n && strings.EqualFold(k, n) {
				return true
			}
		}
	}
	return false
}

// Marks refParse adds to an object: a key that starts with a byte no
// decoded key can hold (invalid UTF-8 becomes U+FFFD).
const (
	refTwicePrefix = "\xfftwice:" // + a key the object holds more than once
	refToken       = "\xfftoken"  // a key NextToken in any case, not null or ""
)

// refParse decodes one JSON document with encoding/json's tokens (numbers
// kept as json.Number) into generic values, the last copy of a repeated
// key kept as encoding/json keeps it, and marks each object's repeated
// keys and NextToken members (see refTwicePrefix).
func refParse(data []byte) (any, error) {
	// Decode first: its errors (a depth limit among them) are the
	// reference's.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the document: %v", err)
	}
	dec = json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return refParseValue(dec)
}

func refParseValue(dec *json.Decoder) (any, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k := kt.(string)
			v, err := refParseValue(dec)
			if err != nil {
				return nil, err
			}
			if _, seen := m[k]; seen {
				m[refTwicePrefix+k] = true
			}
			if strings.EqualFold(k, "NextToken") && v != nil && v != "" {
				m[refToken] = true
			}
			m[k] = v
		}
		_, err := dec.Token()
		return m, err
	case json.Delim('['):
		a := []any{}
		for dec.More() {
			v, err := refParseValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return t, nil
}

// RefValue reads one JSON value as refParse does (for the fuzz targets).
func RefValue(raw []byte) (any, error) { return refParse(raw) }

// RefTwice tells whether the object m, as refParse made it, holds one of
// names more than once.
func RefTwice(m map[string]any, names ...string) bool {
	for _, n := range names {
		if m[refTwicePrefix+n] != nil {
			return true
		}
	}
	return false
}

// RefRecordKeys are the members of a record the decoder reads.
var RefRecordKeys = recordKeys

// jsonUnmarshalNumber decodes one JSON value keeping numbers as json.Number.
func jsonUnmarshalNumber(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
