package report

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Values copied from CloudTrail (session names, user agents, role ARNs in
// messages) are attacker-controlled. Every formatter passes them through
// the functions below before they reach a terminal, a Markdown renderer or
// the Actions runner.

// Neutralize makes s safe to print on a terminal and to embed in a
// one-line context: C0 and C1 control characters (ESC, CR, LF, BEL, TAB,
// DEL, …), Unicode line and paragraph separators and bidirectional
// overrides are rendered visibly as Go-style escapes (\x1b, \u202e, and
// \U000e0041 outside the BMP), and bytes that are not UTF-8 as \xNN.
// Everything else is kept.
func Neutralize(s string) string {
	if isPlainASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	prev := rune(0) // the rune before, when it was kept
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		before := prev
		prev = 0
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, isInvisibleControl(r) && !emojiJoiner(before, r, s[i+size:]):
			if r > 0xffff {
				fmt.Fprintf(&b, `\U%08x`, r) // as Go writes it: \ue0041 would read as U+E004 and a 1
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
			prev = r
		}
		i += size
	}
	return b.String()
}

// isPlainASCII reports whether s has only printable ASCII.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// isInvisibleControl reports the characters that change or hide text where
// a reader cannot see them: every format character (Unicode's Cf: bidi
// embeddings, overrides, isolates and marks, the "Trojan Source" set, and
// zero-width spaces and joiners, the byte order mark, the soft hyphen, tag
// characters), the line and paragraph separators, the Hangul fillers that
// render as blanks, the combining grapheme joiner and the variation
// selectors. A value holding one ("Prod\u200bAdmin") would
// otherwise look the same as one without it.
func isInvisibleControl(r rune) bool {
	switch {
	case r == 0x2028, r == 0x2029, r == 0x115f, r == 0x1160, r == 0x3164, r == 0xffa0,
		r == 0x034f, r == 0x17b4, r == 0x17b5: // combining grapheme joiner, Khmer inherent vowels
		return true
	case r >= 0x180b && r <= 0x180f, r >= 0xfe00 && r <= 0xfe0f, r >= 0xe0100 && r <= 0xe01ef: // variation selectors
		return true
	}
	return r >= 0xad && unicode.Is(unicode.Cf, r)
}

// emojiJoiner reports whether r is part of an emoji: a zero width joiner
// between two pictographs (👩\u200d💻 is one emoji), or a text or emoji
// presentation selector after a pictograph (❤\ufe0f). It is kept there,
// and escaped everywhere else. prev is the rune before it, or 0 when that
// rune was escaped (a presentation selector kept counts as part of its
// emoji, one escaped joins nothing), and rest the text after it.
func emojiJoiner(prev, r rune, rest string) bool {
	switch r {
	case 0x200d:
		next, _ := utf8.DecodeRuneInString(rest)
		return (pictograph(prev) || prev == 0xfe0f) && pictograph(next)
	case 0xfe0e, 0xfe0f:
		return pictograph(prev)
	}
	return false
}

// pictograph roughly tells the emoji blocks: the symbols and dingbats and
// the supplementary pictographs.
func pictograph(r rune) bool {
	return r >= 0x2600 && r <= 0x27bf || r >= 0x1f000 && r <= 0x1faff
}

// EscapeData escapes a workflow command's data (the message after "::")
// exactly as @actions/core's escapeData: % first, then CR and LF.
func EscapeData(s string) string {
	s = strings.ReplaceAll(s, "%", "%25")
	s = strings.ReplaceAll(s, "\r", "%0D")
	return strings.ReplaceAll(s, "\n", "%0A")
}

// EscapeProperty escapes a workflow command's property value (file=,
// title=) exactly as @actions/core's escapeProperty: as data, and also
// ':' and ','.
func EscapeProperty(s string) string {
	s = EscapeData(s)
	s = strings.ReplaceAll(s, ":", "%3A")
	return strings.ReplaceAll(s, ",", "%2C")
}

// markdownReplacer escapes what Markdown (GitHub Flavored, with tables and
// math) would interpret: backslash first so no escape can be undone, the
// table delimiter, link brackets, emphasis, code spans, headings, math, and
// HTML as entities; and it defuses GFM's extended autolinks, so that no
// value shows as a link its author chose: the ':' of "://" as an entity
// (no http://, https:// or ftp:// link) and "www." with an escaped dot.
// (An e-mail address still becomes a mailto: link showing the address.)
var markdownReplacer = strings.NewReplacer(
	"://", "&#58;//",
	"www.", `www\.`,
	`\`, `\\`,
	"|", `\|`,
	"`", "\\`",
	"[", `\[`,
	"]", `\]`,
	"*", `\*`,
	"_", `\_`,
	"~", `\~`,
	"#", `\#`,
	"$", `\$`,
	"<", "&lt;",
	">", "&gt;",
	"&", "&amp;",
)

// MarkdownText makes an untrusted value safe inside Markdown text and
// table cells: control characters are neutralized (so no raw newline can
// end a row) and Markdown syntax is escaped (so no value can add a cell,
// a link, a heading or HTML).
func MarkdownText(s string) string {
	return markdownReplacer.Replace(Neutralize(s))
}

// escapeJSONInvisible rewrites, in JSON that encoding/json wrote, DEL, the
// C1 controls and the invisible direction marks as \uXXXX escapes. They can
// only occur inside strings there, so the document means the same (every
// value decodes to the same string), but a terminal or an editor that shows
// it cannot be made to reorder or hide text by a value from CloudTrail.
func escapeJSONInvisible(b []byte) []byte {
	clean := true
	for _, c := range b {
		if c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	prev := rune(0) // the rune before, when it was kept
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == 0x7f || r >= 0x80 && r <= 0x9f || isInvisibleControl(r) && !emojiJoiner(prev, r, string(b[i+size:min(len(b), i+size+utf8.UTFMax)])) {
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2) // outside the BMP: a surrogate pair
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
			prev = 0
		} else {
			out = append(out, b[i:i+size]...)
			prev = r
		}
		i += size
	}
	return out
}

// runnerCommandJSON rewrites every "##[" in JSON as "##\u005b": it can only
// occur inside strings there, which decode to the same value, but JSON
// printed in a step's log (--format json to stdout) would otherwise hold
// the runner's older workflow command form, which it finds anywhere in a
// line (##[stop-commands]… from a CloudTrail value would stop it reading
// the step's commands).
func runnerCommandJSON(b []byte) []byte {
	if !bytes.Contains(b, []byte("##[")) {
		return b
	}
	return bytes.ReplaceAll(b, []byte("##["), []byte(`##\u005b`))
}
