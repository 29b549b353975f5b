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
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return refResult{}, err
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return refResult{}, fmt.Errorf("data after the document: %v", err)
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
				r.record(m, origin)
			}
		case hasEvents:
			for k, tok := range v {
				if strings.EqualFold(k, "NextToken") && tok != nil && tok != "" {
					return refResult{}, errors.New("a NextToken: one page of more")
				}
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
	s, ok := m["CloudTrailEvent"].(string)
	if !ok {
		return errors.New("CloudTrailEvent is not a string")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var inner any
	if err := dec.Decode(&inner); err != nil {
		return err
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("data after the record")
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
	if hasCaseVariant(m, "eventSource", "eventName") {
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
	bad = hasCaseVariant(m, recordKeys...)
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
		bad = bad || hasCaseVariant(o, keys...)
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

// jsonUnmarshalNumber decodes one JSON value keeping numbers as json.Number.
func jsonUnmarshalNumber(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
