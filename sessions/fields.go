package sessions

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/safetext"
)

// attrKind is the type of one attribute value, whatever the encoding it came
// in (plain JSON, DynamoDB JSON, or the SDK's AttributeValue).
type attrKind int

const (
	kindNull attrKind = iota
	kindString
	kindNumber
	kindBool
	kindOther // map, list, set, binary
)

func (k attrKind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindBool:
		return "a boolean"
	}
	return "a map, list, set or binary value"
}

// attr is one attribute value: its kind and, for strings and numbers, its
// text. An attribute the record does not have is the zero attr, which reads
// as null.
type attr struct {
	kind attrKind
	s    string
}

// field is one of the attributes a Record is built from.
type field int

const (
	fID field = iota
	fUser
	fProfile
	fServerInstanceID
	fStatus
	fSourceIdentity
	fRevokedBy
	fRevokedReason
	fStartedAt
	fLastAccessAt
	fExpiresAt
	fCreatedAt
	fUpdatedAt
	fRequestCount
	fTTL
	numFields
)

// fieldOf is the field an attribute name stands for; false for an
// attribute a Record does not read.
func fieldOf(name string) (field, bool) {
	switch name {
	case "id":
		return fID, true
	case "user":
		return fUser, true
	case "profile":
		return fProfile, true
	case "server_instance_id":
		return fServerInstanceID, true
	case "status":
		return fStatus, true
	case "source_identity":
		return fSourceIdentity, true
	case "revoked_by":
		return fRevokedBy, true
	case "revoked_reason":
		return fRevokedReason, true
	case "started_at":
		return fStartedAt, true
	case "last_access_at":
		return fLastAccessAt, true
	case "expires_at":
		return fExpiresAt, true
	case "created_at":
		return fCreatedAt, true
	case "updated_at":
		return fUpdatedAt, true
	case "request_count":
		return fRequestCount, true
	case "ttl":
		return fTTL, true
	}
	return 0, false
}

// attrs are the attributes of one record that a Record reads, by field,
// and at fCaseVariant the first attribute named like one of them but in
// another case (its name as a string), if any.
type attrs [numFields + 1]attr

const fCaseVariant = numFields

// setAttr records the attribute name, when a Record reads it.
func (a *attrs) setAttr(name string, v attr) {
	if f, ok := fieldOf(name); ok {
		a[f] = v
	} else {
		a.noteVariant(name)
	}
}

// noteVariant keeps name when it is the first attribute name that differs
// from one a record reads only in case.
func (a *attrs) noteVariant(name string) {
	if a[fCaseVariant].kind == kindNull && caseVariantOf(name) != "" {
		a[fCaseVariant] = attr{kind: kindString, s: name}
	}
}

// recordNames are the names a record's reader looks for.
var recordNames = []string{"id", "user", "profile", "server_instance_id", "status", "source_identity",
	"revoked_by", "revoked_reason", "started_at", "last_access_at", "expires_at", "created_at",
	"updated_at", "request_count", "ttl", "Item", "Items"}

// caseVariantOf is the name a record's reader looks for that name differs
// from only in case (as Unicode folds it: ſ is s, K is k), or "".
func caseVariantOf(name string) string {
	for _, n := range recordNames {
		if name != n && len(name) >= len(n) && strings.EqualFold(name, n) {
			return n
		}
	}
	return ""
}

// id is the record's id when it could be read (a string that is not
// empty), whatever else is wrong with the record.
func (a *attrs) id() (string, bool) {
	v := a[fID]
	return v.s, v.kind == kindString && v.s != ""
}

// sourceIdentity is the record's source_identity when it could be read as a
// string, whatever else is wrong with the record.
func (a *attrs) sourceIdentity() string {
	if v := a[fSourceIdentity]; v.kind == kindString {
		return strings.TrimSpace(v.s)
	}
	return ""
}

// maxFieldLen bounds the text of one attribute in a skip reason.
const maxFieldLen = 64

// recordFromAttrs builds a Record from a record's attributes. The error is a
// reason to skip the record: id missing or not a string, a time that is not
// RFC 3339, a value of the wrong type. Unknown attributes are ignored.
func recordFromAttrs(m *attrs) (Record, error) {
	var r Record
	var errs []error
	str := func(f field, name string, dst *string) {
		a := m[f]
		if a.kind == kindNull {
			return
		}
		if a.kind != kindString {
			errs = append(errs, fmt.Errorf("%s is %s, want a string", name, a.kind))
			return
		}
		*dst = a.s
	}
	tm := func(f field, name string, dst *time.Time) {
		a := m[f]
		if a.kind == kindNull || (a.kind == kindString && a.s == "") {
			return
		}
		if a.kind != kindString {
			errs = append(errs, fmt.Errorf("%s is %s, want an RFC 3339 time string", name, a.kind))
			return
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(a.s))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not an RFC 3339 time (e.g. 2025-01-02T15:04:05Z)", name, clip(a.s)))
			return
		}
		*dst = t.UTC()
	}
	num := func(f field, name string, dst *int64) {
		a := m[f]
		if a.kind == kindNull || (a.kind == kindString && a.s == "") {
			return
		}
		if a.kind != kindNumber && a.kind != kindString {
			errs = append(errs, fmt.Errorf("%s is %s, want a number", name, a.kind))
			return
		}
		n, err := parseInt(a.s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q is not a whole number", name, clip(a.s)))
			return
		}
		*dst = n
	}

	if v := m[fCaseVariant]; v.kind == kindString {
		// A revocation written as "Status" would otherwise be lost.
		n := caseVariantOf(v.s)
		errs = append(errs, fmt.Errorf("the attribute %q differs from %s only in case: the broker writes %s, and a reader that ignores case would take one for the other, so the record cannot be used (a revocation may be lost); fix the attribute's name", clip(v.s), n, n))
	}
	if a := m[fID]; a.kind == kindNull {
		errs = append(errs, errors.New("no id attribute"))
	} else if a.kind != kindString {
		errs = append(errs, fmt.Errorf("id is %s, want a string", a.kind))
	} else if a.s == "" {
		errs = append(errs, errors.New("id is empty"))
	} else {
		r.ID = a.s
	}
	str(fUser, "user", &r.User)
	str(fProfile, "profile", &r.Profile)
	str(fServerInstanceID, "server_instance_id", &r.ServerInstanceID)
	str(fStatus, "status", &r.Status)
	str(fSourceIdentity, "source_identity", &r.SourceIdentity)
	// Read without surrounding white space, as status and the times are:
	// STS allows none in a source identity, so written with some the
	// record would match no event (a revocation passed over).
	r.SourceIdentity = strings.TrimSpace(r.SourceIdentity)
	str(fRevokedBy, "revoked_by", &r.RevokedBy)
	str(fRevokedReason, "revoked_reason", &r.RevokedReason)
	tm(fStartedAt, "started_at", &r.StartedAt)
	tm(fLastAccessAt, "last_access_at", &r.LastAccessAt)
	tm(fExpiresAt, "expires_at", &r.ExpiresAt)
	tm(fCreatedAt, "created_at", &r.CreatedAt)
	tm(fUpdatedAt, "updated_at", &r.UpdatedAt)
	num(fRequestCount, "request_count", &r.RequestCount)
	num(fTTL, "ttl", &r.TTL)
	// A status the broker does not write (such as "terminated") cannot
	// show whether the session was live: the record is unusable, not
	// taken as active. A record without one was never revoked (revoking
	// writes it): its times decide.
	if st := strings.TrimSpace(r.Status); st != "" && !strings.EqualFold(st, StatusActive) &&
		!strings.EqualFold(st, StatusRevoked) && !strings.EqualFold(st, StatusExpired) {
		errs = append(errs, fmt.Errorf("status %q is not active, revoked or expired", clip(r.Status)))
	} else if r.End().IsZero() && !strings.EqualFold(st, StatusRevoked) && !strings.EqualFold(st, StatusExpired) {
		// A session that the record does not end cannot be shown live
		// at any time: matched by its source_identity it would track
		// every session with that identity, however late. A Go broker
		// writes the zero time for a time it never set.
		errs = append(errs, errors.New("neither expires_at nor last_access_at is set (absent, empty or the zero time 0001-01-01T00:00:00Z), so the record cannot show when its session ended; the broker writes expires_at on every record"))
	}
	if len(errs) > 0 {
		return Record{}, errors.Join(errs...)
	}
	return r, nil
}

// parseInt reads a DynamoDB number that must be whole: "3", "3.0", "3e2".
func parseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return 0, errors.New("not a whole number")
	}
	return int64(f), nil
}

// clip shortens an untrusted value for a message.
func clip(s string) string {
	if len(s) <= maxFieldLen {
		return s
	}
	return safetext.Prefix(s, maxFieldLen) + "…"
}

// skipReason turns a record error into a one-line reason.
func skipReason(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// maxSkipList caps Stats.Skipped; RecordsSkipped always counts every skip.
const maxSkipList = 100

// addUnusable counts a record that could not be used as skipped and
// unusable, and lists it while the list is short.
func (s *Stats) addUnusable(item, reason string) {
	s.RecordsUnusable++
	if s.FirstUnusable == nil {
		s.FirstUnusable = &Skip{Item: item, Reason: reason}
	}
	s.addSkip(item, reason)
}

// addSkip counts a skipped record and lists it while the list is short.
func (s *Stats) addSkip(item, reason string) {
	s.RecordsSkipped++
	if len(s.Skipped) < maxSkipList {
		s.Skipped = append(s.Skipped, Skip{Item: item, Reason: reason})
	}
}
