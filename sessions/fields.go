package sessions

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
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

// attr is one attribute value: its kind and, for strings and numbers, its text.
type attr struct {
	kind attrKind
	s    string
}

// maxFieldLen bounds the text of one attribute in a skip reason.
const maxFieldLen = 64

// recordFromAttrs builds a Record from a record's attributes. The error is a
// reason to skip the record: id missing or not a string, a time that is not
// RFC 3339, a value of the wrong type. Unknown attributes are ignored.
func recordFromAttrs(m map[string]attr) (Record, error) {
	var r Record
	var errs []error
	str := func(name string, dst *string) {
		a, ok := m[name]
		if !ok || a.kind == kindNull {
			return
		}
		if a.kind != kindString {
			errs = append(errs, fmt.Errorf("%s is %s, want a string", name, a.kind))
			return
		}
		*dst = a.s
	}
	tm := func(name string, dst *time.Time) {
		a, ok := m[name]
		if !ok || a.kind == kindNull || (a.kind == kindString && a.s == "") {
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
	num := func(name string, dst *int64) {
		a, ok := m[name]
		if !ok || a.kind == kindNull || (a.kind == kindString && a.s == "") {
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

	if a, ok := m["id"]; !ok || a.kind == kindNull {
		errs = append(errs, errors.New("no id attribute"))
	} else if a.kind != kindString {
		errs = append(errs, fmt.Errorf("id is %s, want a string", a.kind))
	} else if a.s == "" {
		errs = append(errs, errors.New("id is empty"))
	} else {
		r.ID = a.s
	}
	str("user", &r.User)
	str("profile", &r.Profile)
	str("server_instance_id", &r.ServerInstanceID)
	str("status", &r.Status)
	str("source_identity", &r.SourceIdentity)
	str("revoked_by", &r.RevokedBy)
	str("revoked_reason", &r.RevokedReason)
	tm("started_at", &r.StartedAt)
	tm("last_access_at", &r.LastAccessAt)
	tm("expires_at", &r.ExpiresAt)
	tm("created_at", &r.CreatedAt)
	tm("updated_at", &r.UpdatedAt)
	num("request_count", &r.RequestCount)
	num("ttl", &r.TTL)
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
	cut := maxFieldLen
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// skipReason turns a record error into a one-line reason.
func skipReason(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// maxSkipList caps Stats.Skipped; RecordsSkipped always counts every skip.
const maxSkipList = 100

// addSkip counts a skipped record and lists it while the list is short.
func (s *Stats) addSkip(item, reason string) {
	s.RecordsSkipped++
	if len(s.Skipped) < maxSkipList {
		s.Skipped = append(s.Skipped, Skip{Item: item, Reason: reason})
	}
}

// sortRecords orders records by created_at, then id, so that a store's
// result never depends on page or goroutine order.
func sortRecords(rs []Record) {
	sort.SliceStable(rs, func(i, j int) bool {
		if !rs[i].CreatedAt.Equal(rs[j].CreatedAt) {
			return rs[i].CreatedAt.Before(rs[j].CreatedAt)
		}
		return rs[i].ID < rs[j].ID
	})
}
