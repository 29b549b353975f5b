package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Values copied from CloudTrail and policies are attacker-controlled: every
// output passes them through Neutralize (or an escape built on Invisible)
// before they reach a terminal, a Markdown renderer or the Actions runner.

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
		case r >= 0x80 && r <= 0x9f, Invisible(r) && !EmojiJoiner(before, r, s[i+size:]):
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

// Invisible reports the characters that change or hide text where
// a reader cannot see them: every format character (Unicode's Cf: bidi
// embeddings, overrides, isolates and marks, the "Trojan Source" set, and
// zero-width spaces and joiners, the byte order mark, the soft hyphen, tag
// characters), the line and paragraph separators, the spaces other than
// ASCII's and the Hangul fillers and braille blank that render as blanks, the combining grapheme joiner and the variation
// selectors. A value holding one ("Prod\u200bAdmin") would
// otherwise look the same as one without it.
func Invisible(r rune) bool {
	switch {
	case r == 0x2028, r == 0x2029, r == 0x115f, r == 0x1160, r == 0x3164, r == 0xffa0,
		r == 0x034f, r == 0x17b4, r == 0x17b5: // combining grapheme joiner, Khmer inherent vowels
		return true
	case r >= 0x180b && r <= 0x180f, r >= 0xfe00 && r <= 0xfe0f, r >= 0xe0100 && r <= 0xe01ef: // variation selectors
		return true
	case r == 0x2800, r > ' ' && unicode.Is(unicode.Zs, r): // the braille blank, and every space but ASCII's (no-break, en, ideographic, …)
		return true
	}
	return r >= 0xad && unicode.Is(unicode.Cf, r)
}

// EmojiJoiner reports whether r is part of an emoji: a zero width joiner
// between two pictographs (👩\u200d💻 is one emoji), or a text or emoji
// presentation selector after a pictograph (❤\ufe0f). It is kept there,
// and escaped everywhere else. prev is the rune before it, or 0 when that
// rune was escaped (a presentation selector kept counts as part of its
// emoji, one escaped joins nothing), and rest the text after it.
func EmojiJoiner(prev, r rune, rest string) bool {
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
