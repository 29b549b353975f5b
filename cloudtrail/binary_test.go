package cloudtrail

import (
	"reflect"
	"testing"
	"time"
)

// Every field but Origin survives the binary form, and fields() names
// every other string field of Event: a field added to Event without it
// fails here.
func TestEventBinaryRoundTrip(t *testing.T) {
	var e Event
	v := reflect.ValueOf(&e).Elem()
	strings := 0
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			if v.Type().Field(i).Name == "Origin" {
				continue
			}
			strings++
			f.SetString(v.Type().Field(i).Name + "\x00\xff\u202e…")
		case reflect.Struct:
			if v.Type().Field(i).Name != "EventTime" {
				t.Fatalf("Event.%s is a struct: AppendBinary does not write it", v.Type().Field(i).Name)
			}
		default:
			t.Fatalf("Event.%s is a %s: AppendBinary does not write it", v.Type().Field(i).Name, f.Kind())
		}
	}
	if n := len(e.fields()); n != strings {
		t.Fatalf("fields() lists %d fields, Event has %d strings", n, strings)
	}
	seen := map[*string]bool{}
	for _, p := range e.fields() {
		if seen[p] {
			t.Fatalf("fields() lists %q twice", *p)
		}
		seen[p] = true
	}
	for _, tm := range []time.Time{
		time.Date(2026, 11, 20, 9, 30, 1, 123456789, time.UTC),
		{},
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
	} {
		e.EventTime = tm
		b, err := e.AppendBinary([]byte("prefix"))
		if err != nil {
			t.Fatal(err)
		}
		var got Event
		if err := got.UnmarshalBinary(b[len("prefix"):]); err != nil {
			t.Fatal(err)
		}
		if got != e {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, e)
		}
	}
	// Cut anywhere, or with a byte more, it is refused.
	b, _ := e.AppendBinary(nil)
	for i := range len(b) {
		if err := new(Event).UnmarshalBinary(b[:i]); err == nil {
			t.Fatalf("the form cut to %d of %d bytes was read", i, len(b))
		}
	}
	if err := new(Event).UnmarshalBinary(append(b, 0)); err == nil {
		t.Fatal("the form with a byte more was read")
	}
}

func FuzzEventBinary(f *testing.F) {
	e := Event{EventID: "id", EventName: EventAssumeRole, EventTime: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), RoleArn: "arn:aws:iam::111122223333:role/Prod"}
	b, _ := e.AppendBinary(nil)
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{binaryVersion, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Event
		if e.UnmarshalBinary(b) != nil {
			return
		}
		again, err := e.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var e2 Event
		if err := e2.UnmarshalBinary(again); err != nil {
			t.Fatalf("the form of a read event is refused: %v", err)
		}
		if e2 != e {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", e, e2)
		}
	})
}
