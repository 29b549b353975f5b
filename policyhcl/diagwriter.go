package policyhcl

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/mitchellh/go-wordwrap"

	"github.com/sentinel-check/sentinel-check/internal/safetext"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[1;33m"
	ansiCyan   = "\x1b[1;36m"
)

// WriteDiagnostics writes diags for a terminal, one after another:
//
//	policy.hcl:7:14: error: Invalid effect
//	   7 |   effect = "alow"
//	     |            ^~~~~~
//	  "alow" is not a valid effect; use one of … Did you mean "allow"?
//
// files supplies the source lines (Policy.HCLFiles); a diagnostic without
// a range, or whose file is not in files, is written without them. width
// wraps the detail text (0: no wrapping); color adds ANSI colors.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	for i, d := range diags {
		if d == nil {
			continue
		}
		if i > 0 {
			bw.WriteByte('\n')
		}
		writeDiagnostic(bw, files, d, width, color)
	}
	_ = bw.Flush()
	// File names, summaries and details come from the policy's author:
	// no line may read as a workflow command in an Actions log.
	if _, err := io.WriteString(w, safetext.Lines(buf.String())); err != nil {
		return fmt.Errorf("write diagnostics: %w", err)
	}
	return nil
}

func writeDiagnostic(w *bufio.Writer, files map[string]*hcl.File, d *hcl.Diagnostic, width uint, color bool) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	sev, sevColor := "error", ansiRed
	switch d.Severity {
	case hcl.DiagWarning:
		sev, sevColor = "warning", ansiYellow
	}
	if d.Subject != nil {
		col := d.Subject.Start.Column
		if f := files[d.Subject.Filename]; f != nil {
			col = CodePointColumn(f.Bytes, d.Subject.Start)
		}
		loc := fmt.Sprintf("%s:%d:%d:", sanitizeLine(d.Subject.Filename), d.Subject.Start.Line, col)
		w.WriteString(paint(ansiBold, loc) + " ")
	}
	w.WriteString(paint(sevColor, sev+":") + " " + paint(ansiBold, sanitizeLine(d.Summary)) + "\n")
	if d.Subject != nil {
		if f := files[d.Subject.Filename]; f != nil {
			writeSnippet(w, f.Bytes, *d.Subject, func(s string) string { return paint(sevColor, s) }, func(s string) string { return paint(ansiCyan, s) })
		}
	}
	if detail := sanitize(d.Detail); detail != "" {
		if width > 4 {
			detail = wordwrap.WrapString(detail, width-2)
		}
		for _, line := range strings.Split(detail, "\n") {
			w.WriteString("  " + line + "\n")
		}
	}
}

// writeSnippet writes the first source line of rng and a ^~~ marker under
// the range (up to the end of that line).
func writeSnippet(w *bufio.Writer, src []byte, rng hcl.Range, mark, gutter func(string) string) {
	start := rng.Start.Byte
	if start < 0 || start > len(src) || rng.Start.Line < 1 {
		return
	}
	lineStart := bytes.LastIndexByte(src[:start], '\n') + 1
	lineEnd := len(src)
	if i := bytes.IndexByte(src[start:], '\n'); i >= 0 {
		lineEnd = start + i
	}
	line := strings.TrimRight(string(src[lineStart:lineEnd]), "\r")
	end := min(max(rng.End.Byte, start), lineStart+len(line))
	if end < start {
		end = start
	}
	before := string(src[lineStart:start])
	under := string(src[start:end])
	num := strconv.Itoa(rng.Start.Line)
	pad := strings.Repeat(" ", len(num))
	var marker strings.Builder
	for _, r := range before {
		if r == '\t' {
			marker.WriteByte('\t')
		} else {
			marker.WriteByte(' ')
		}
	}
	n := utf8.RuneCountInString(under)
	markText := "^"
	if n > 1 {
		markText += strings.Repeat("~", n-1)
	}
	fmt.Fprintf(w, "%s %s %s\n", gutter(" "+num), gutter("|"), sanitizeLine(line))
	fmt.Fprintf(w, "%s %s %s%s\n", " "+pad, gutter("|"), marker.String(), mark(markText))
}

// sanitize replaces control characters other than newline and tab, and
// the invisible ones (bidi overrides, zero-width spaces), with '?', so a
// diagnostic cannot carry terminal escape sequences or reorder its text.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || r >= 0x80 && r <= 0x9f || safetext.Invisible(r) {
			return '?'
		}
		return r
	}, s)
}

// sanitizeLine is sanitize for one source line, where a newline is a
// control character too.
func sanitizeLine(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f || r >= 0x80 && r <= 0x9f || r == utf8.RuneError || safetext.Invisible(r) {
			return '?'
		}
		return r
	}, s)
}

// CodePointColumn is pos's column counted in Unicode code points, as every
// report shows it (SARIF declares columnKind unicodeCodePoints), from the
// policy's source: HCL counts grapheme clusters, which differ on a line with
// combining characters or joined emoji. pos.Column when src does not hold
// pos.
func CodePointColumn(src []byte, pos hcl.Pos) int {
	if pos.Byte < 0 || pos.Byte > len(src) || pos.Column <= 0 {
		return pos.Column
	}
	seg := src[bytes.LastIndexByte(src[:pos.Byte], '\n')+1 : pos.Byte]
	if utf8.RuneCount(seg) == len(seg) {
		return pos.Column // ASCII: every count agrees
	}
	n := utf8.RuneCount(seg) + 1
	if n < pos.Column || bytes.Count(src[:pos.Byte], []byte{'\n'})+1 != pos.Line {
		return pos.Column // pos is not a position of src
	}
	return n
}
