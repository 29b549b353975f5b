package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sentinel-check/sentinel-check/internal/safetext"
)

// FieldError is an assume-role record that cannot be used because a field
// is missing or has the wrong type. Readers count such a record as skipped,
// with this error as the reason; they never drop it silently.
type FieldError struct {
	EventID string // the record's eventID, when it could be read
	Field   string // JSON path of the field, e.g. requestParameters.roleArn
	Problem string // e.g. "is a string, want an object"
}

func (e *FieldError) Error() string {
	s := e.Field + " " + e.Problem
	if e.EventID != "" {
		s = "event " + clip(e.EventID) + ": " + s
	}
	return s
}

// clip quotes an untrusted value for a message and bounds its length.
func clip(s string) string {
	const limit = 64
	if len(s) > limit {
		return strconv.Quote(safetext.Prefix(s, limit)) + "…"
	}
	return strconv.Quote(s)
}

var scannerPool = sync.Pool{New: func() any { return new(scanner) }}

// DecodeRecord decodes one JSON CloudTrail record, for example the
// CloudTrailEvent string of a LookupEvents result. ok reports whether the
// record is an sts assume-role call (AssumeRole, AssumeRoleWithSAML or
// AssumeRoleWithWebIdentity), successful or failed. An error with ok false
// means raw is not a JSON object; an error with ok true is a *FieldError: the
// record is an assume-role call whose fields cannot be used. Keys match
// exactly (CloudTrail's spelling); a key that is read, written twice, makes
// the record unusable (eventSource or eventName: whatever the call).
func DecodeRecord(raw []byte) (ev Event, ok bool, err error) {
	s := scannerPool.Get().(*scanner)
	defer scannerPool.Put(s)
	i := skipSpace(raw, 0)
	if i >= len(raw) {
		return Event{}, false, errors.New("record is empty; want a JSON object")
	}
	if raw[i] != '{' {
		return Event{}, false, fmt.Errorf("record is %s; want a JSON object", kindOf(raw[i]))
	}
	end, _, err := s.value(raw, i)
	if err != nil {
		return Event{}, false, recordSyntaxError(err, end)
	}
	if j := skipSpace(raw, end); j < len(raw) {
		return Event{}, false, fmt.Errorf("invalid JSON at byte %d of the record: data after the object", j)
	}
	return decodeObject(s, raw[i:end])
}

func recordSyntaxError(err error, off int) error {
	var se *syntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d of the record: %s", se.off, se.msg)
	}
	return fmt.Errorf("invalid JSON at byte %d of the record: %w", off, err)
}

// rawValue is one member value of an object: its bytes and string flags.
type rawValue struct {
	b     []byte
	flags int
}

func (v rawValue) present() bool { return len(v.b) > 0 && v.b[0] != 'n' }

// members calls fn for every member of the valid JSON object obj.
func members(s *scanner, obj []byte, fn func(key []byte, v rawValue)) error {
	i := skipSpace(obj, 1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for i < len(obj) {
		if obj[i] != '"' {
			return &syntaxError{i, "want an object key"}
		}
		ks := i
		j, kf, err := scanString(obj, i+1)
		if err != nil {
			return err
		}
		i = skipSpace(obj, j)
		if i >= len(obj) || obj[i] != ':' {
			return &syntaxError{i, "want a colon after an object key"}
		}
		i = skipSpace(obj, i+1)
		end, vf, err := s.value(obj, i)
		if err != nil {
			return err
		}
		if kf&flagEscape != 0 {
			fn([]byte(unquote(obj[ks:j], kf)), rawValue{obj[i:end], vf})
		} else {
			fn(obj[ks+1:j-1], rawValue{obj[i:end], vf})
		}
		i = skipSpace(obj, end)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
			continue
		}
		return nil
	}
	return nil
}

// unquote returns the string a valid JSON string literal q (quotes included)
// stands for, with the same result as encoding/json (invalid UTF-8 becomes
// U+FFFD).
func unquote(q []byte, flags int) string {
	inner := q[1 : len(q)-1]
	if flags&flagEscape == 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		// q was validated by the scanner; keep what can be kept.
		return string(bytes.ToValidUTF8(inner, []byte("\uFFFD")))
	}
	return s
}

// recordFields are the raw members of a record that the decoder reads.
type recordFields struct {
	eventSource, eventName, eventID, eventTime, awsRegion, recipientAccountID rawValue
	sourceIPAddress, userAgent, errorCode, errorMessage                       rawValue
	userIdentity, requestParameters, responseElements                         rawValue
	eventType, sharedEventID                                                  rawValue
	records                                                                   bool   // a Records member: a whole document
	caseKey, caseOf                                                           string // a key that differs from field caseOf only in case
	twiceKey                                                                  string // the first field written twice
}

// recordKeys are the members of a record that decodeObject reads.
var recordKeys = []string{"eventSource", "eventName", "eventID", "eventTime", "awsRegion", "recipientAccountId",
	"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "userIdentity", "requestParameters", "responseElements", "eventType", "sharedEventID"}

// caseVariant returns key and the name of names it differs from only in
// case (see foldsTo), or "" when there is none.
func caseVariant(key []byte, names []string) (string, string) {
	for _, n := range names {
		if string(key) != n && foldsTo(key, n) {
			return string(key), n
		}
	}
	return "", ""
}

func caseProblem(key, field string) string {
	return fmt.Sprintf("is also written %s, which a decoder that ignores case (encoding/json into a struct) would read as %s: CloudTrail's keys are case-sensitive and it writes no such key, so the record cannot be used", clip(key), field)
}

// isCallName tells the members that name a record's call.
func isCallName(field string) bool { return field == "eventSource" || field == "eventName" }

// caseError is the problem of a record with a key that differs from a
// field it reads only in case.
func caseError(key, field string, eventID rawValue) *FieldError {
	e := &FieldError{Field: field, Problem: caseProblem(key, field)}
	if isString(eventID) {
		e.EventID = unquote(eventID.b, eventID.flags)
	}
	return e
}

// twiceProblem is the problem of a member written twice in one object.
const twiceProblem = "is written twice, so which value CloudTrail wrote is unknown (it writes each key once, and readers differ on which copy they keep): the record cannot be used"

// twiceError is the problem of a record with a field written twice.
func twiceError(field string, eventID rawValue) *FieldError {
	e := &FieldError{Field: field, Problem: twiceProblem}
	if isString(eventID) && field != "eventID" {
		e.EventID = unquote(eventID.b, eventID.flags)
	}
	return e
}

// decodeObject decodes a record whose bytes are a valid JSON object.
func decodeObject(s *scanner, obj []byte) (Event, bool, error) {
	var f recordFields
	set := func(dst *rawValue, v rawValue, key string) {
		if dst.b != nil && f.twiceKey == "" {
			f.twiceKey = key
		}
		*dst = v
	}
	err := members(s, obj, func(key []byte, v rawValue) {
		switch k := string(key); k {
		case "eventSource":
			set(&f.eventSource, v, k)
		case "eventName":
			set(&f.eventName, v, k)
		case "eventID":
			set(&f.eventID, v, k)
		case "eventTime":
			set(&f.eventTime, v, k)
		case "awsRegion":
			set(&f.awsRegion, v, k)
		case "recipientAccountId":
			set(&f.recipientAccountID, v, k)
		case "sourceIPAddress":
			set(&f.sourceIPAddress, v, k)
		case "userAgent":
			set(&f.userAgent, v, k)
		case "errorCode":
			set(&f.errorCode, v, k)
		case "errorMessage":
			set(&f.errorMessage, v, k)
		case "userIdentity":
			set(&f.userIdentity, v, k)
		case "requestParameters":
			set(&f.requestParameters, v, k)
		case "responseElements":
			set(&f.responseElements, v, k)
		case "Records":
			f.records = true
		case "eventType":
			set(&f.eventType, v, k)
		case "sharedEventID":
			set(&f.sharedEventID, v, k)
		default:
			// The first variant found, or one of the call's name.
			if k, of := caseVariant(key, recordKeys); of != "" && (f.caseKey == "" || isCallName(of) && !isCallName(f.caseOf)) {
				f.caseKey, f.caseOf = k, of
			}
		}
	})
	if err != nil {
		return Event{}, false, recordSyntaxError(err, 0)
	}
	if isCallName(f.caseOf) {
		// A decoder that ignores case would read this member as the
		// field, and maybe see another call: the record cannot be used.
		return Event{}, false, caseError(f.caseKey, f.caseOf, f.eventID)
	}
	if isCallName(f.twiceKey) {
		// Which call the record is depends on the copy a reader keeps.
		return Event{}, false, twiceError(f.twiceKey, f.eventID)
	}
	// Every CloudTrail record names its call: one that does not cannot be
	// told apart from an assume-role call, and is not used.
	if !isString(f.eventSource) || !isString(f.eventName) {
		if isString(f.eventType) && unquote(f.eventType.b, f.eventType.flags) == EventTypeInsight {
			return Event{}, false, nil // an Insights event: its call is in insightDetails
		}
		return Event{}, false, fieldless(&f)
	}
	// Only a record whose eventSource and eventName are the strings of an
	// assume-role call is one; anything else is some other record.
	source, name := unquote(f.eventSource.b, f.eventSource.flags), unquote(f.eventName.b, f.eventName.flags)
	if !IsAssumeRole(source, name) {
		return Event{}, false, nil
	}
	if f.caseKey != "" {
		return Event{}, true, caseError(f.caseKey, f.caseOf, f.eventID)
	}
	if f.twiceKey != "" {
		return Event{}, true, twiceError(f.twiceKey, f.eventID)
	}
	d := fieldDecoder{s: s}
	ev := Event{EventName: name}
	ev.EventID = d.id(f.eventID, "eventID")
	d.eventID = ev.EventID
	if d.err == nil && ev.EventID == "" {
		d.fail("eventID", "is missing")
	}
	ev.SharedEventID = d.id(f.sharedEventID, "sharedEventID")
	ev.EventTime = d.time(f.eventTime, "eventTime")
	ev.AWSRegion = d.str(f.awsRegion, "awsRegion")
	ev.RecipientAccountID = d.str(f.recipientAccountID, "recipientAccountId")
	ev.SourceIPAddress = d.str(f.sourceIPAddress, "sourceIPAddress")
	ev.UserAgent = d.str(f.userAgent, "userAgent")
	ev.ErrorCode = d.str(f.errorCode, "errorCode")

	ui := d.pick(f.userIdentity, "userIdentity", "arn", "sessionContext")
	ev.CallerArn = d.str(ui[0], "userIdentity.arn")
	sc := d.pick(ui[1], "userIdentity.sessionContext", "sourceIdentity")
	callerIdentity := d.str(sc[0], "userIdentity.sessionContext.sourceIdentity")
	rp := d.pick(f.requestParameters, "requestParameters", "roleArn", "roleSessionName", "sourceIdentity")
	ev.RoleArn = d.str(rp[0], "requestParameters.roleArn")
	ev.RoleSessionName = d.str(rp[1], "requestParameters.roleSessionName")
	requestIdentity := d.str(rp[2], "requestParameters.sourceIdentity")
	re := d.pick(f.responseElements, "responseElements", "credentials", "assumedRoleUser")
	cr := d.pick(re[0], "responseElements.credentials", "accessKeyId")
	// Only the shortened key id is ever kept; the secret and token are not read.
	ev.AccessKeyID = ShortenKeyID(d.str(cr[0], "responseElements.credentials.accessKeyId"))
	au := d.pick(re[1], "responseElements.assumedRoleUser", "arn")
	ev.AssumedRoleArn = d.str(au[0], "responseElements.assumedRoleUser.arn")
	if ev.ErrorCode != "" && ev.RoleArn == "" {
		// A refused call often has no requestParameters; the role it asked
		// for is named in the message ("… on resource: arn:aws:iam::…:role/x").
		ev.RoleArn = roleFromErrorMessage(d.str(f.errorMessage, "errorMessage"))
	}
	switch {
	case requestIdentity != "":
		ev.SourceIdentity, ev.SourceIdentityFrom = requestIdentity, SourceIdentityFromRequest
	case callerIdentity != "":
		ev.SourceIdentity, ev.SourceIdentityFrom = callerIdentity, SourceIdentityFromCaller
	}
	if d.err == nil && ev.ErrorCode == "" && ev.RoleArn == "" {
		d.fail("requestParameters.roleArn", "is missing from a successful call")
	}
	if d.err != nil {
		return ev, true, d.err
	}
	return ev, true, nil
}

// roleFromErrorMessage returns the role ARN an AccessDenied message names
// after "on resource: ", or "".
func roleFromErrorMessage(msg string) string {
	const marker = "on resource: "
	i := strings.Index(msg, marker)
	if i < 0 {
		return ""
	}
	arn := msg[i+len(marker):]
	if j := strings.IndexAny(arn, " \t\n\r\"'"); j >= 0 {
		arn = arn[:j]
	}
	if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":role/") {
		return ""
	}
	return arn
}

func isString(v rawValue) bool { return len(v.b) > 0 && v.b[0] == '"' }

// EventTypeInsight is the eventType of a CloudTrail Insights event, which
// names the call it is about inside insightDetails, not at the top.
const EventTypeInsight = "AwsCloudTrailInsight"

// fieldless is the problem of a record whose eventSource or eventName is
// not a string.
func fieldless(f *recordFields) *FieldError {
	field, v := "eventSource", f.eventSource
	if isString(v) {
		field, v = "eventName", f.eventName
	}
	problem := "is missing"
	if len(v.b) > 0 {
		problem = "is " + kindOf(v.b[0]) + ", want a string"
	}
	problem += ": this is not a CloudTrail record (every record names its call)"
	if f.records {
		problem += "; it holds Records: an array of CloudTrail documents (as jq -s writes) is not read, pass the log files themselves"
	}
	e := &FieldError{Field: field, Problem: problem}
	if isString(f.eventID) {
		e.EventID = unquote(f.eventID.b, f.eventID.flags)
	}
	return e
}

// fieldDecoder reads typed fields and keeps the first problem.
type fieldDecoder struct {
	s       *scanner
	eventID string
	err     *FieldError
}

func (d *fieldDecoder) fail(field, problem string) {
	if d.err == nil {
		d.err = &FieldError{EventID: d.eventID, Field: field, Problem: problem}
	}
}

// str reads an optional string field: absent and null read as "".
func (d *fieldDecoder) str(v rawValue, field string) string {
	if !v.present() {
		return ""
	}
	if v.b[0] != '"' {
		d.fail(field, "is "+kindOf(v.b[0])+", want a string")
		return ""
	}
	return unquote(v.b, v.flags)
}

// id reads an optional string field that identifies an event, keeping
// bytes that are not UTF-8 as they are: ids that differ only there are
// different events (encoding/json would make each such byte U+FFFD, and
// two sessions one duplicate). Outputs escape them.
func (d *fieldDecoder) id(v rawValue, field string) string {
	if !v.present() || v.b[0] != '"' {
		return d.str(v, field)
	}
	return unquoteKeep(v.b, v.flags)
}

// unquoteKeep is unquote keeping the bytes that are not UTF-8 as they are.
// q is a valid JSON string literal (the scanner checked it).
func unquoteKeep(q []byte, flags int) string {
	inner := q[1 : len(q)-1]
	if flags&flagEscape == 0 {
		return string(inner)
	}
	b := make([]byte, 0, len(inner))
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		switch c = inner[i]; c {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(inner[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				// A pair makes one rune; a lone half is U+FFFD, as
				// encoding/json reads it.
				r2 := utf8.RuneError
				if i+6 < len(inner) && inner[i+1] == '\\' && inner[i+2] == 'u' {
					r2 = hex4(inner[i+3 : i+7])
				}
				if p := utf16.DecodeRune(r, r2); p != utf8.RuneError {
					r = p
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default: // '"', '\\', '/'
			b = append(b, c)
		}
	}
	return string(b)
}

// hex4 reads the four hex digits of a \u escape.
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

func (d *fieldDecoder) time(v rawValue, field string) time.Time {
	if !v.present() {
		d.fail(field, "is missing")
		return time.Time{}
	}
	if v.b[0] != '"' {
		d.fail(field, "is "+kindOf(v.b[0])+", want an RFC 3339 time string")
		return time.Time{}
	}
	s := unquote(v.b, v.flags)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		d.fail(field, "is "+clip(s)+", not an RFC 3339 time such as 2024-05-01T12:00:00Z")
		return time.Time{}
	}
	return t.UTC()
}

// pick returns the members named keys of an optional object field (absent
// and null have none), in the order of keys; one written twice is a
// problem.
func (d *fieldDecoder) pick(v rawValue, field string, keys ...string) [3]rawValue {
	var out [3]rawValue
	if !v.present() {
		return out
	}
	if v.b[0] != '{' {
		d.fail(field, "is "+kindOf(v.b[0])+", want an object")
		return out
	}
	caseKey, caseOf, twice := "", "", ""
	if err := members(d.s, v.b, func(key []byte, val rawValue) {
		for k, name := range keys {
			if string(key) == name {
				if out[k].b != nil && twice == "" {
					twice = name
				}
				out[k] = val
				return
			}
		}
		if caseKey == "" {
			caseKey, caseOf = caseVariant(key, keys)
		}
	}); err != nil {
		d.fail(field, "is not valid JSON: "+err.Error())
	}
	if caseKey != "" {
		d.fail(field+"."+caseOf, caseProblem(caseKey, caseOf))
	}
	if twice != "" {
		d.fail(field+"."+twice, twiceProblem)
	}
	return out
}

// lookupInner returns the unquoted CloudTrailEvent string of a LookupEvents
// result object obj (valid JSON). found is false when obj has no such member.
func lookupInner(s *scanner, obj []byte) (inner []byte, found bool, err error) {
	var v rawValue
	variant, twice := "", false
	if err := members(s, obj, func(key []byte, val rawValue) {
		if string(key) == "CloudTrailEvent" {
			twice = twice || v.b != nil
			v = val
		} else if variant == "" && foldsTo(key, "CloudTrailEvent") {
			variant = string(key)
		}
	}); err != nil {
		return nil, false, err
	}
	if variant != "" {
		// A decoder that ignores case would read that member's record.
		return nil, true, fmt.Errorf("CloudTrailEvent is also written %s, which a decoder that ignores case (encoding/json into a struct) would read as CloudTrailEvent: CloudTrail's keys are case-sensitive; fix the key, or leave the file out", clip(variant))
	}
	if twice {
		// Readers differ on which copy they keep: two records, one read.
		return nil, true, errors.New("CloudTrailEvent is written twice, so which record the event holds is unknown (lookup-events writes one); export the events again, or leave the file out")
	}
	if len(v.b) == 0 {
		return nil, false, nil
	}
	if v.b[0] != '"' {
		return nil, true, fmt.Errorf("CloudTrailEvent is %s, want a string holding a JSON record", kindOf(v.b[0]))
	}
	if v.flags&flagEscape == 0 {
		return v.b[1 : len(v.b)-1], true, nil
	}
	// Bytes that are not UTF-8 are kept for the record's decoder, which
	// keeps them in event ids (see fieldDecoder.id).
	return []byte(unquoteKeep(v.b, v.flags)), true, nil
}
