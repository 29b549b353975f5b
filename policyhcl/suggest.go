package policyhcl

import (
	"fmt"
	"strings"

	"github.com/sentinel-check/sentinel-check/internal/english"
)

// suggest is english.Suggest: the candidate closest to given, or "".
func suggest(given string, candidates []string) string { return english.Suggest(given, candidates) }

// didYouMean is " Did you mean "x"?" for the closest candidate, or "".
func didYouMean(given string, candidates []string) string {
	if s := suggest(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// quoteList renders names as "a", "b" or "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
