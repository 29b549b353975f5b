package awsaccount

import (
	"regexp"
	"testing"
)

// The expression IsID reads by hand.
var idRE = regexp.MustCompile(`^[0-9]{12}$`)

// IsID tells account ids as idRE does.
func FuzzIsID(f *testing.F) {
	for _, s := range []string{"111122223333", "11112222333", "1111222233334", "11112222333x", "", "١١١١٢٢٢٢٣٣٣٣", "111122223333\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsID(s), idRE.MatchString(s); got != want {
			t.Errorf("IsID(%q) = %t, want %t", s, got, want)
		}
	})
}
