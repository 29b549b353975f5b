// Package safetext keeps text that holds values from policies, file names
// or CloudTrail from being read as a workflow command by the GitHub Actions
// runner, which reads every line a step prints, and bounds its length.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns line so that the runner finds no command in it: a line
// whose first characters after white space are "::" (the runner's
// ::command:: form) gets a backslash before them, and every "##[" (the
// older form, found anywhere in a line) becomes "##\[". Other text is kept.
func Line(line string) string {
	// The runner trims every Unicode space (U+00A0, U+2000…) first.
	if trimmed := strings.TrimLeftFunc(line, unicode.IsSpace); strings.HasPrefix(trimmed, "::") {
		line = line[:len(line)-len(trimmed)] + `\` + trimmed
	}
	if strings.Contains(line, "##[") {
		line = strings.ReplaceAll(line, "##[", `##\[`)
	}
	return line
}

// Lines is Line for each line of text.
func Lines(text string) string {
	if !strings.Contains(text, "::") && !strings.Contains(text, "##[") {
		return text
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = Line(l)
	}
	return strings.Join(lines, "\n")
}

// Clip shortens s to at most n bytes, cutting at a rune boundary and
// marking the cut with "…" (counted in n). n below 4 clips to "…".
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	return Prefix(s, n-len(ellipsis)) + ellipsis
}

// Prefix is the longest start of s that has at most n bytes and does not
// end inside a character: s itself when it is short enough.
func Prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:max(n, 0)]
}
