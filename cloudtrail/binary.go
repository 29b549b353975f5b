package cloudtrail

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// binaryVersion is the first byte of an event's binary form.
const binaryVersion = 1

// fields lists the string fields of an event in their binary order: all
// but Origin.
func (e *Event) fields() [15]*string {
	return [...]*string{
		&e.EventID, &e.SharedEventID, &e.EventName, &e.AWSRegion, &e.RecipientAccountID,
		&e.RoleArn, &e.RoleSessionName, &e.SourceIdentity, &e.SourceIdentityFrom,
		&e.CallerArn, &e.SourceIPAddress, &e.UserAgent, &e.AssumedRoleArn,
		&e.AccessKeyID, &e.ErrorCode,
	}
}

// AppendBinary appends the event's binary form to b: what a check keeps
// of an event on disk while it removes duplicates. It holds every field
// but Origin (where the event was read: nothing after the sources reads
// it, and it is a third of the size); EventTime is kept as an instant and
// read back in UTC, as the decoders give it.
func (e *Event) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, binaryVersion)
	b = binary.AppendVarint(b, e.EventTime.Unix())
	b = binary.AppendUvarint(b, uint64(e.EventTime.Nanosecond()))
	for _, f := range e.fields() {
		b = binary.AppendUvarint(b, uint64(len(*f)))
		b = append(b, *f...)
	}
	return b, nil
}

var errBinary = errors.New("not an event's binary form")

// UnmarshalBinary reads an event from the form AppendBinary writes.
func (e *Event) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || b[0] != binaryVersion {
		return errBinary
	}
	b = b[1:]
	sec, n := binary.Varint(b)
	if n <= 0 {
		return errBinary
	}
	b = b[n:]
	ns, n := binary.Uvarint(b)
	if n <= 0 || ns >= uint64(time.Second) {
		return errBinary
	}
	b = b[n:]
	*e = Event{EventTime: time.Unix(sec, int64(ns)).UTC()}
	for i, f := range e.fields() {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return fmt.Errorf("%w: field %d is cut", errBinary, i)
		}
		*f = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d bytes after its fields", errBinary, len(b))
	}
	return nil
}
