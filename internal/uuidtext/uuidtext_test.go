package uuidtext

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

var canonical = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestPack(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"e60d58b6-84a2-4102-8de7-ad94253f8940", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", true},
		{"E60D58B6-84A2-4102-8DE7-AD94253F8940", false}, // upper case reads back in lower case
		{"e60d58b6-84a2-4102-8de7-ad94253f894", false},
		{"e60d58b6-84a2-4102-8de7-ad94253f89400", false},
		{"e60d58b684a2-4102-8de7-ad94253f89400", false},
		{"e60d58b6-84a2-4102-8de7-ad94253f894g", false},
		{"{60d58b6-84a2-4102-8de7-ad94253f8940", false},
		{"", false},
	} {
		u, ok := Pack(tc.in)
		if ok != tc.ok {
			t.Errorf("Pack(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if ok && String(u) != tc.in {
			t.Errorf("String(Pack(%q)) = %q", tc.in, String(u))
		}
	}
}

// FuzzPack checks Pack against the canonical form's regular expression,
// that a packed UUID reads back as its text, and that packed UUIDs compare
// in the order of their texts.
func FuzzPack(f *testing.F) {
	f.Add("e60d58b6-84a2-4102-8de7-ad94253f8940", "a8aab818-cf46-44c9-b65b-515bb3f9248d")
	f.Add("09999999-0000-0000-0000-000000000000", "0a000000-0000-0000-0000-000000000000")
	f.Add("E60D58B6-84A2-4102-8DE7-AD94253F8940", "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		ua, oka := Pack(a)
		if oka != canonical.MatchString(a) {
			t.Fatalf("Pack(%q) ok = %v, the canonical form says %v", a, oka, !oka)
		}
		if !oka {
			return
		}
		if String(ua) != a {
			t.Fatalf("String(Pack(%q)) = %q", a, String(ua))
		}
		if ub, okb := Pack(b); okb && bytes.Compare(ua[:], ub[:]) != strings.Compare(a, b) {
			t.Fatalf("%q and %q: packed order %d, text order %d", a, b, bytes.Compare(ua[:], ub[:]), strings.Compare(a, b))
		}
	})
}
