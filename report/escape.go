package report

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sentinel-check/sentinel-check/internal/safetext"
)

// Values copied from CloudTrail (session names, user agents, role ARNs in
// messages) are attacker-controlled. Every formatter passes them through
// the functions below before they reach a terminal, a Markdown renderer or
// the Actions runner.

// Neutralize makes s safe to print on a terminal and to embed in a
// one-line context (see safetext.Neutralize).
func Neutralize(s string) string { return safetext.Neutralize(s) }

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
		if r == 0x7f || r >= 0x80 && r <= 0x9f || safetext.Invisible(r) && !safetext.EmojiJoiner(prev, r, string(b[i+size:min(len(b), i+size+utf8.UTFMax)])) {
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
