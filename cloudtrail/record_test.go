package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDecodeRecordFields(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	full := Event{
		EventID:            "3f1c0d4e-0000-4000-8000-000000000001",
		EventName:          "AssumeRole",
		EventTime:          t0,
		AWSRegion:          "us-east-1",
		RecipientAccountID: "111122223333",
		RoleArn:            "arn:aws:iam::111122223333:role/ProdAdmin",
		RoleSessionName:    "alice-session",
		SourceIdentity:     "sentinel:alice:direct:1a2b3c4d",
		SourceIdentityFrom: SourceIdentityFromRequest,
		CallerArn:          "arn:aws:sts::111122223333:assumed-role/SentinelBroker/alice",
		SourceIPAddress:    "203.0.113.7",
		UserAgent:          "aws-sdk-go-v2/1.30.0",
		AssumedRoleArn:     "arn:aws:sts::111122223333:assumed-role/ProdAdmin/alice-session",
		AccessKeyID:        "ASIA…3456",
	}
	edit := func(f func(e *Event)) Event {
		e := full
		f(&e)
		return e
	}
	tests := []struct {
		name string
		raw  string // used when rec is nil
		rec  map[string]any
		want Event
		ok   bool
		// fieldErr names the field of a *FieldError; syntax means any other error.
		fieldErr string
		syntax   bool
	}{
		{name: "assume role with broker identity", rec: assumeRole(), want: full, ok: true},
		{
			name: "role chaining keeps the caller's identity",
			rec: set(set(assumeRole(), "requestParameters.sourceIdentity", del),
				"userIdentity.sessionContext.sourceIdentity", "sentinel:alice:9f8e7d6c:1a2b3c4d"),
			want: edit(func(e *Event) {
				e.SourceIdentity, e.SourceIdentityFrom = "sentinel:alice:9f8e7d6c:1a2b3c4d", SourceIdentityFromCaller
			}),
			ok: true,
		},
		{
			name: "request identity wins over the caller's",
			rec:  set(assumeRole(), "userIdentity.sessionContext.sourceIdentity", "sentinel:bob:direct:00000000"),
			want: full, ok: true,
		},
		{
			name: "no identity anywhere",
			rec:  set(assumeRole(), "requestParameters.sourceIdentity", del),
			want: edit(func(e *Event) { e.SourceIdentity, e.SourceIdentityFrom = "", "" }),
			ok:   true,
		},
		{
			name: "target role is roleArn, not the caller's session issuer",
			rec:  set(assumeRole(), "requestParameters.roleArn", "arn:aws:iam::444455556666:role/Other"),
			want: edit(func(e *Event) { e.RoleArn = "arn:aws:iam::444455556666:role/Other" }),
			ok:   true,
		},
		{
			name: "with SAML",
			rec: set(set(set(assumeRole(), "eventName", "AssumeRoleWithSAML"), "userIdentity",
				map[string]any{"type": "SAMLUser", "principalId": "x", "userName": "alice@example.com"}),
				"requestParameters.principalArn", "arn:aws:iam::111122223333:saml-provider/Okta"),
			want: edit(func(e *Event) { e.EventName, e.CallerArn = "AssumeRoleWithSAML", "" }),
			ok:   true,
		},
		{
			name: "with web identity",
			rec: set(set(assumeRole(), "eventName", "AssumeRoleWithWebIdentity"), "userIdentity",
				map[string]any{"type": "WebIdentityUser", "identityProvider": "token.actions.githubusercontent.com"}),
			want: edit(func(e *Event) { e.EventName, e.CallerArn = "AssumeRoleWithWebIdentity", "" }),
			ok:   true,
		},
		{
			name: "failed call with null requestParameters",
			rec: set(set(set(set(assumeRole(), "requestParameters", nil), "responseElements", nil),
				"errorCode", "AccessDenied"),
				"errorMessage", "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/ProdAdmin"),
			want: edit(func(e *Event) {
				e.ErrorCode = "AccessDenied"
				e.RoleSessionName, e.SourceIdentity, e.SourceIdentityFrom, e.AssumedRoleArn, e.AccessKeyID = "", "", "", "", ""
			}),
			ok: true,
		},
		{
			name: "failed call whose message names no role",
			rec: set(set(set(assumeRole(), "requestParameters", nil), "responseElements", nil),
				"errorCode", "ThrottlingException"),
			want: edit(func(e *Event) {
				e.ErrorCode = "ThrottlingException"
				e.RoleArn, e.RoleSessionName, e.SourceIdentity, e.SourceIdentityFrom, e.AssumedRoleArn, e.AccessKeyID = "", "", "", "", "", ""
			}),
			ok: true,
		},
		{
			name: "time with an offset is kept in UTC",
			rec:  set(assumeRole(), "eventTime", "2024-05-01T14:00:00+02:00"),
			want: full, ok: true,
		},
		{name: "another service", rec: otherRecord("e1"), ok: false},
		{name: "another sts call", rec: set(assumeRole(), "eventName", "GetCallerIdentity"), ok: false},
		{name: "assume role of another service", rec: set(assumeRole(), "eventSource", "iam.amazonaws.com"), ok: false},
		// A record that does not name its call is not a CloudTrail record.
		{name: "eventSource not a string", rec: set(assumeRole(), "eventSource", 5), ok: false, fieldErr: "eventSource"},
		{name: "eventName null", rec: set(assumeRole(), "eventName", nil), ok: false, fieldErr: "eventName"},
		{name: "no fields at all", raw: `{}`, ok: false, fieldErr: "eventSource"},
		{name: "a whole document as a record", raw: `{"Records":[]}`, ok: false, fieldErr: "eventSource"},
		{name: "requestParameters a string", rec: set(assumeRole(), "requestParameters", "roleArn"), ok: true, fieldErr: "requestParameters"},
		{name: "eventTime a number", rec: set(assumeRole(), "eventTime", 1714564800), ok: true, fieldErr: "eventTime"},
		{name: "eventTime not a time", rec: set(assumeRole(), "eventTime", "yesterday"), ok: true, fieldErr: "eventTime"},
		{name: "eventTime missing", rec: set(assumeRole(), "eventTime", del), ok: true, fieldErr: "eventTime"},
		{name: "eventID missing", rec: set(assumeRole(), "eventID", del), ok: true, fieldErr: "eventID"},
		{name: "roleArn a number", rec: set(assumeRole(), "requestParameters.roleArn", 7), ok: true, fieldErr: "requestParameters.roleArn"},
		{name: "successful call without roleArn", rec: set(assumeRole(), "requestParameters.roleArn", del), ok: true, fieldErr: "requestParameters.roleArn"},
		{name: "credentials an array", rec: set(assumeRole(), "responseElements.credentials", []any{1}), ok: true, fieldErr: "responseElements.credentials"},
		{name: "caller identity a bool", rec: set(assumeRole(), "userIdentity.sessionContext.sourceIdentity", true), ok: true, fieldErr: "userIdentity.sessionContext.sourceIdentity"},
		{
			name: "escaped keys and values decode like any JSON reader",
			raw:  `{"event\u0053ource":"sts\u002eamazonaws.com","eventName":"Assume\u0052ole","eventID":"e\"1","eventTime":"2024-05-01T12:00:00Z","requestParameters":{"roleArn":"arn:aws:iam::1:role/a\/b"}}`,
			want: Event{EventID: `e"1`, EventName: "AssumeRole", EventTime: t0, RoleArn: "arn:aws:iam::1:role/a/b"},
			ok:   true,
		},
		{
			name:     "keys match exactly",
			raw:      `{"EventSource":"sts.amazonaws.com","eventname":"AssumeRole","eventID":"e","eventTime":"2024-05-01T12:00:00Z"}`,
			ok:       false,
			fieldErr: "eventSource",
		},
		// A key read written twice: which copy counts is unknown.
		{
			name:     "the call's name written twice",
			raw:      `{"eventSource":"s3.amazonaws.com","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"a","eventTime":"2024-05-01T12:00:00Z","requestParameters":{"roleArn":"arn:aws:iam::1:role/x"}}`,
			ok:       false,
			fieldErr: "eventSource",
		},
		{
			name:     "a field of an assume-role call written twice",
			raw:      `{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"a","eventID":"b","eventTime":"2024-05-01T12:00:00Z","requestParameters":{"roleArn":"arn:aws:iam::1:role/x"}}`,
			ok:       true,
			fieldErr: "eventID",
		},
		{
			name:     "a nested field written twice",
			raw:      `{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"a","eventTime":"2024-05-01T12:00:00Z","requestParameters":{"roleArn":7,"roleArn":"arn:aws:iam::1:role/x"}}`,
			ok:       true,
			fieldErr: "requestParameters.roleArn",
		},
		{name: "not JSON", raw: `{"eventSource":`, syntax: true},
		{name: "an array", raw: `[{"eventSource":"sts.amazonaws.com"}]`, syntax: true},
		{name: "data after the object", raw: `{} {}`, syntax: true},
		{name: "empty", raw: ` `, syntax: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.raw)
			if tt.rec != nil {
				raw = mustJSON(t, tt.rec)
			}
			ev, ok, err := DecodeRecord(raw)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (err %v)", ok, tt.ok, err)
			}
			switch {
			case tt.syntax:
				var fe *FieldError
				if err == nil || errors.As(err, &fe) {
					t.Fatalf("err = %v, want a syntax error", err)
				}
				return
			case tt.fieldErr != "":
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tt.fieldErr {
					t.Fatalf("err = %v, want a field error on %s", err, tt.fieldErr)
				}
				return
			case err != nil:
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(ev, tt.want) {
				t.Errorf("event differs:\n got %+v\nwant %+v", ev, tt.want)
			}
			if ok {
				// The reference decoder agrees.
				var m map[string]any
				if ref, rok, bad := refRecord(mustMap(t, raw, &m)); !rok || bad || !reflect.DeepEqual(ref, ev) {
					t.Errorf("reference decoder disagrees: %+v ok=%v bad=%v", ref, rok, bad)
				}
			}
		})
	}
}

func mustMap(t *testing.T, raw []byte, m *map[string]any) map[string]any {
	t.Helper()
	if err := jsonUnmarshalNumber(raw, m); err != nil {
		t.Fatal(err)
	}
	return *m
}

func TestDecodeRecordNeverKeepsCredentials(t *testing.T) {
	ev, ok, err := DecodeRecord(mustJSON(t, assumeRole()))
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	v := reflect.ValueOf(ev)
	for i := 0; i < v.NumField(); i++ {
		s, isString := v.Field(i).Interface().(string)
		if !isString {
			continue
		}
		for _, secret := range []string{testToken, "secretSHOULDNEVERAPPEAR", "ASIAEXAMPLEKEY123456"} {
			if strings.Contains(s, secret) {
				t.Errorf("field %s holds a credential: %q", v.Type().Field(i).Name, s)
			}
		}
	}
	if ev.AccessKeyID != "ASIA…3456" {
		t.Errorf("AccessKeyID = %q, want the shortened id", ev.AccessKeyID)
	}
}

func TestFieldErrorMessage(t *testing.T) {
	_, _, err := DecodeRecord(mustJSON(t, set(assumeRole(), "requestParameters", "x")))
	want := `event "3f1c0d4e-0000-4000-8000-000000000001": requestParameters is a string, want an object`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	_, _, err = DecodeRecord(mustJSON(t, set(assumeRole(), "eventTime", "soon\x1b[31m")))
	if err == nil || !strings.Contains(err.Error(), `"soon\x1b[31m"`) {
		t.Errorf("err = %v, want the bad value quoted with control characters escaped", err)
	}
	// A long value is cut before the character that crosses the limit,
	// never inside it.
	long := strings.Repeat("A", 63) + "éé"
	_, _, err = DecodeRecord(mustJSON(t, set(set(assumeRole(), "eventID", long), "requestParameters.roleArn", 42)))
	want = `event "` + strings.Repeat("A", 63) + `"…: requestParameters.roleArn is a number, want a string`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// Event ids keep the bytes that are not UTF-8: two sessions whose ids
// differ only there were counted as one (each byte became U+FFFD).
func TestEventIDKeepsInvalidBytes(t *testing.T) {
	rec := func(id string) []byte {
		return []byte(`{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"` + id + `","eventTime":"2024-05-01T12:00:00Z","requestParameters":{"roleArn":"arn:aws:iam::1:role/x"}}`)
	}
	seen := map[string]string{}
	for _, id := range []string{"x\xff", "x\xfe", "x\xef\xbf\xbd", `x\ufffd`, "x\xff\\n", "x\xfe\\n"} {
		ev, ok, err := DecodeRecord(rec(id))
		if !ok || err != nil {
			t.Fatalf("%q: ok=%v err=%v", id, ok, err)
		}
		if prev, dup := seen[ev.EventID]; dup && !(id == `x\ufffd` && prev == "x\xef\xbf\xbd") {
			t.Errorf("ids %q and %q decode to the same %q", prev, id, ev.EventID)
		}
		seen[ev.EventID] = id
	}
}

// unquoteKeep reads a JSON string as encoding/json does, except that it
// keeps the bytes that are not UTF-8 (encoding/json makes each U+FFFD).
func FuzzUnquoteKeep(f *testing.F) {
	for _, s := range []string{`"a"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\ude00\ud83d"`, `"\"\\\/\b\f\n\r\t"`, "\"\xff\\u00e9\"", `"\uD83D\uDE00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, q []byte) {
		var want string
		if json.Unmarshal(q, &want) != nil || len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
			return
		}
		got := unquoteKeep(q, flagEscape)
		if string([]rune(got)) != want {
			t.Fatalf("%q: got %q, encoding/json %q", q, got, want)
		}
		if utf8.Valid(q) && got != want {
			t.Fatalf("%q: got %q, want %q", q, got, want)
		}
		if plain := bytes.IndexByte(q[1:len(q)-1], '\\') < 0; plain && got != string(q[1:len(q)-1]) {
			t.Fatalf("%q: bytes not kept: %q", q, got)
		}
	})
}

// The same holds for a record inside a LookupEvents result's
// CloudTrailEvent string.
func TestLookupEventIDKeepsInvalidBytes(t *testing.T) {
	inner := func(id string) string {
		return `{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRole\",\"eventID\":\"` + id + `\",\"eventTime\":\"2024-05-01T12:00:00Z\",\"requestParameters\":{\"roleArn\":\"arn:aws:iam::1:role/x\"}}`
	}
	doc := `{"Events":[{"CloudTrailEvent":"` + inner("a\xffb") + `"},{"CloudTrailEvent":"` + inner("a\xfeb") + `"}]}`
	evs, _, err := decode([]byte(doc), "f.json", FileOptions{})
	if err != nil || len(evs) != 2 || evs[0].EventID == evs[1].EventID {
		t.Fatalf("%v, %d events %+v: want two ids", err, len(evs), evs)
	}
}
