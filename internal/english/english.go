// Package english words counts and suggestions for messages and reports.
package english

import (
	"strconv"
	"strings"
)

// Count is "1 file" or "2 files": n with the singular or the plural word.
func Count[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return strconv.FormatInt(int64(n), 10) + " " + one
	}
	return strconv.FormatInt(int64(n), 10) + " " + many
}

// levenshtein is the edit distance between a and b, counted in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Suggest returns the candidate closest to given, or "" when none is close
// enough: a case-insensitive match wins, then the smallest edit distance
// below a threshold that grows with the length of the word.
func Suggest(given string, candidates []string) string {
	if given == "" || len(given) > 256 {
		return ""
	}
	for _, c := range candidates {
		if strings.EqualFold(c, given) {
			return c
		}
	}
	lower := strings.ToLower(given)
	best, bestDist := "", 0
	for _, c := range candidates {
		d := levenshtein(lower, strings.ToLower(c))
		limit := 2
		if n := len(c); n >= 10 {
			limit = 3
		} else if n <= 3 {
			limit = 1
		}
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// Plural is one or many, as n asks.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
