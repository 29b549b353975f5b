package policyhcl

import (
	"regexp"
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		// ARN wildcards: * spans "/" and ":".
		{"arn:aws:iam::*:role/prod-*", "arn:aws:iam::111122223333:role/prod-admin", true},
		{"arn:aws:iam::*:role/prod-*", "arn:aws:iam::111122223333:role/team/prod-admin", false},
		{"arn:aws:iam::*:role/*prod-*", "arn:aws:iam::111122223333:role/team/prod-admin", true},
		{"arn:aws:iam::*", "arn:aws:iam::111122223333:role/a/b/c", true},
		{"arn:*:role/x", "arn:aws:iam::111122223333:role/x", true},
		{"arn:*:role/x", "arn:aws:iam::111122223333:role/x/y", false},
		{"*", "", true},
		{"*", "anything:at/all", true},
		{"**", "a", true},
		// ? is exactly one character, a rune, not a byte.
		{"arn:aws:iam::11112222333?:role/x", "arn:aws:iam::111122223333:role/x", true},
		{"arn:aws:iam::11112222333?:role/x", "arn:aws:iam::11112222333:role/x", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "abbc", false},
		{"a?c", "aéc", true},
		{"?", "", false},
		{"*?", "", false},
		{"*?", "x", true},
		// Exact and case-sensitive otherwise.
		{"prod-admin", "prod-admin", true},
		{"prod-admin", "Prod-admin", false},
		{"prod-admin", "prod-admin ", false},
		{"prod-*", "PROD-admin", false},
		{"prod-*", "prod-", true},
		{"*-admin", "prod-admin", true},
		{"*-admin", "prod-admins", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"a*a*a*a*b", strings.Repeat("a", 100), false},
		// Regexp metacharacters are literal.
		{"a.c", "abc", false},
		{"a.c", "a.c", true},
		{"[ab]", "a", false},
		{"[ab]", "[ab]", true},
	}
	for _, tt := range tests {
		g, err := NewGlob(tt.pattern)
		if err != nil {
			t.Fatalf("NewGlob(%q): %v", tt.pattern, err)
		}
		if got := g.Match(tt.s); got != tt.want {
			t.Errorf("Glob(%q).Match(%q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
		if got := globRef(t, tt.pattern).MatchString(tt.s); got != tt.want {
			t.Errorf("reference for %q on %q = %v, want %v (test table is wrong)", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestNewGlobRefuses(t *testing.T) {
	for _, p := range []string{"", "a\tb", "a\nb", "\x7f", "\xff"} {
		if _, err := NewGlob(p); err == nil {
			t.Errorf("NewGlob(%q) accepted a bad pattern", p)
		}
	}
}

func TestMatchAny(t *testing.T) {
	if !MatchAny(nil, "x") {
		t.Error("an empty list must match anything")
	}
	gs := []Glob{MustGlob("a*"), MustGlob("b")}
	if !MatchAny(gs, "b") || !MatchAny(gs, "abc") || MatchAny(gs, "c") {
		t.Error("MatchAny does not try every glob")
	}
}

// globRef is the reference implementation of glob matching: a regexp.
func globRef(t testing.TB, pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`)$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		t.Fatalf("reference regexp for %q: %v", pattern, err)
	}
	return re
}

func TestGlobsIntersectARNs(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		// A wildcard may not swallow a colon to make an overlap: no role ARN has one there.
		{"arn:aws:iam::*:role/prod-*", "arn:aws:iam::*:role/dev-*", false},
		{"arn:aws:iam::*:role/prod-*", "arn:aws:iam::*:role/*/dev-*", true}, // role/prod-/dev-x: a path
		{"arn:aws:iam::*:role/prod-*", "arn:aws:iam::111122223333:role/*", true},
		{"arn:aws:iam::*:role/*", "*", true},
		{"*", "*", true},
		{"arn:*", "arn:aws:iam::1:role/x:y", false}, // six colons
		{"arn:aws:iam::1?:role/a", "arn:aws:iam::*:role/a", true},
		{"arn:aws:iam::111122223333:user/x", roleArnShape, false},
		{"arn:aws:iam::111122223333:role/x", roleArnShape, true},
		{"ProdAdmin", roleArnShape, false},
	}
	for _, tt := range tests {
		for _, pair := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			w, got := globsIntersect(pair[0], pair[1], arnColons, nil)
			if got != tt.want {
				t.Errorf("globsIntersect(%q, %q, 5) = %v (%q), want %v", pair[0], pair[1], got, w, tt.want)
				continue
			}
			if got && (!MustGlob(pair[0]).Match(w) || !MustGlob(pair[1]).Match(w) || strings.Count(w, ":") != 5) {
				t.Errorf("globsIntersect(%q, %q, 5): bad witness %q", pair[0], pair[1], w)
			}
		}
	}
}

func TestGlobsIntersect(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"arn:aws:iam::*:role/prod-*", "arn:aws:iam::111122223333:role/prod-admin", true},
		{"arn:aws:iam::*:role/prod-*", "arn:aws:iam::111122223333:role/dev-admin", false},
		{"arn:aws:iam::*:role/prod-*", "arn:aws:iam::111122223333:role/*", true},
		{"arn:aws:iam::111122223333:role/*", "arn:aws:iam::444455556666:role/*", false},
		{"*-admin", "prod-*", true},
		{"*-admin", "*-readonly", false},
		{"a?c", "a*", true},
		{"a?c", "ab", false},
		{"a?c", "a??c", false},
		{"x", "x", true},
		{"x", "y", false},
		{"*", "anything", true},
		{"*a*", "*b*", true},
		{"a*", "*b", true},
		{"a*", "b*", false},
	}
	for _, tt := range tests {
		for _, pair := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			w, got := globsIntersect(pair[0], pair[1], -1, nil)
			if got != tt.want {
				t.Errorf("globsIntersect(%q, %q) = %v, want %v", pair[0], pair[1], got, tt.want)
				continue
			}
			if got && !(MustGlob(pair[0]).Match(w) && MustGlob(pair[1]).Match(w)) {
				t.Errorf("globsIntersect(%q, %q): witness %q does not match both", pair[0], pair[1], w)
			}
		}
	}
	budget := 10
	if _, ok := globsIntersect("a*"+strings.Repeat("b", 50), "a*"+strings.Repeat("b", 40), -1, &budget); ok || budget >= 0 {
		t.Errorf("an exhausted budget must stop the search, got ok=%v budget=%d", ok, budget)
	}
}

// A role's path may hold colons: after the ARN's own five colons a
// wildcard may match one, before them it may not.
func TestPathIntersect(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"arn:aws:iam::111122223333:role/*Dev*", "arn:aws:iam::111122223333:role/prod:eu/*", true},
		{"arn:aws:iam::*:role/*", "arn:aws:iam::111122223333:role/team:ops/Admin", true},
		{"arn:aws:iam::111122223333:role/a:*", "arn:aws:iam::111122223333:role/*:b", true},
		{"arn:aws:iam::111122223333:role/a:*", "arn:aws:iam::444455556666:role/a:*", false},
		{"arn:aws:iam::111122223333:role/x:*", "arn:aws:iam::111122223333:role/y:*", false},
		// No colon after the fifth: the search for five colons decides.
		{"arn:aws:iam::*:role/prod-*", "arn:aws:iam::*:role/dev-*", false},
		{"*", "arn:aws:iam::1:role/x:y", false},
	} {
		for _, pair := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			w, got := pathIntersect(pair[0], pair[1], nil)
			if got != tt.want {
				t.Errorf("pathIntersect(%q, %q) = %v (%q), want %v", pair[0], pair[1], got, w, tt.want)
				continue
			}
			if got && (!MustGlob(pair[0]).Match(w) || !MustGlob(pair[1]).Match(w) || strings.Count(w, ":") < 5) {
				t.Errorf("pathIntersect(%q, %q): bad witness %q", pair[0], pair[1], w)
			}
		}
	}
}
