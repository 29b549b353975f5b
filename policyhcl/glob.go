package policyhcl

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Glob is a pattern where `*` matches any run of characters (`/` and `:`
// included, as in IAM ARN wildcards) and `?` exactly one character; every
// other character matches itself, case-sensitively.
type Glob struct {
	Pattern string
	literal bool
}

// NewGlob checks a pattern and returns the Glob. Empty patterns and
// patterns with control characters are refused.
func NewGlob(pattern string) (Glob, error) {
	if pattern == "" {
		return Glob{}, fmt.Errorf("empty pattern: a glob needs at least one character; use \"*\" to match anything")
	}
	if !utf8.ValidString(pattern) {
		return Glob{}, fmt.Errorf("pattern %q is not valid UTF-8", pattern)
	}
	for _, r := range pattern {
		if r < 0x20 || r == 0x7f {
			return Glob{}, fmt.Errorf("pattern %q contains a control character; only printable characters, '*' and '?' are allowed", pattern)
		}
	}
	return Glob{Pattern: pattern, literal: !strings.ContainsAny(pattern, "*?")}, nil
}

// MustGlob is NewGlob for patterns known to be valid; it panics otherwise.
func MustGlob(pattern string) Glob {
	g, err := NewGlob(pattern)
	if err != nil {
		panic(err)
	}
	return g
}

// Match reports whether s matches the whole pattern. It runs in
// O(len(pattern)×len(s)) at worst, without backtracking blow-up.
func (g Glob) Match(s string) bool {
	if g.literal {
		return g.Pattern == s
	}
	p := g.Pattern
	var pi, si int
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[si:])
				pi++
				si += n
				continue
			default:
				if p[pi] == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP >= 0 {
			// let the last star absorb one more character
			_, n := utf8.DecodeRuneInString(s[starS:])
			starS += n
			pi, si = starP+1, starS
			continue
		}
		return false
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// IsLiteral reports whether the pattern has no wildcard.
func (g Glob) IsLiteral() bool { return g.literal }

func (g Glob) String() string { return g.Pattern }

// MatchAny reports whether s matches one of gs; an empty list matches anything.
func MatchAny(gs []Glob, s string) bool {
	if len(gs) == 0 {
		return true
	}
	for _, g := range gs {
		if g.Match(s) {
			return true
		}
	}
	return false
}
