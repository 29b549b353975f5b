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

	"github.com/sentinel-check/sentinel-check/internal/english"
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
// wraps the detail text (0: no wrapping); color adds ANSI colors. Past
// MaxDiagnosticsShown diagnostics, the rest are counted, not written.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	shown, errs, warns := 0, 0, 0
	for _, d := range diags {
		switch {
		case d == nil:
			continue
		case shown == MaxDiagnosticsShown:
			if d.Severity == hcl.DiagError {
				errs++
			} else {
				warns++
			}
			continue
		case shown > 0:
			bw.WriteByte('\n')
		}
		shown++
		writeDiagnostic(bw, files, d, width, color)
	}
	if errs+warns > 0 {
		var more []string
		if errs > 0 {
			more = append(more, english.Count(errs, "more error", "more errors"))
		}
		if warns > 0 {
			more = append(more, english.Count(warns, "more warning", "more warnings"))
		}
		advice := "fix the ones above and run again."
		if errs == 0 {
			// Warnings do not fail the policy: fixing them is a choice,
			// so say where all of them are listed.
			advice = "--format json or sarif lists every one."
		}
		fmt.Fprintf(bw, "\n%s not shown: %s\n", strings.Join(more, " and "), advice)
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

// maxSnippet is the most characters of a source line a diagnostic shows:
// a longer line is cut around the range, with "…" where text is left out,
// so that a file of one long line (or many diagnostics on it) does not
// print it whole each time.
const maxSnippet = 120

// MaxDiagnosticsShown is the most diagnostics WriteDiagnostics writes: a
// broken file can give one per character, and the first ones are those
// to fix.
const MaxDiagnosticsShown = 50

// writeSnippet writes the first source line of rng and a ^~~ marker under
// the range (up to the end of that line, or of the part of it shown).
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
	line := []rune(strings.TrimRight(string(src[lineStart:lineEnd]), "\r"))
	col := min(utf8.RuneCount(src[lineStart:start]), len(line))
	end := min(max(rng.End.Byte, start), lineEnd)
	n := utf8.RuneCount(src[start:end])
	from, to := 0, len(line)
	if len(line) > maxSnippet {
		// Some context before the range, as much as fits after it.
		from = max(0, col-maxSnippet/3)
		to = min(len(line), from+maxSnippet)
		from = max(0, to-maxSnippet)
	}
	n = max(0, min(n, to-col))
	shown := sanitizeLine(string(line[from:to]))
	var marker strings.Builder
	if from > 0 {
		shown = "…" + shown
		marker.WriteByte(' ')
	}
	if to < len(line) {
		shown += "…"
	}
	for _, r := range line[from:col] {
		if r == '\t' {
			marker.WriteByte('\t')
		} else {
			marker.WriteByte(' ')
		}
	}
	markText := "^"
	if n > 1 {
		markText += strings.Repeat("~", n-1)
	}
	num := strconv.Itoa(rng.Start.Line)
	pad := strings.Repeat(" ", len(num))
	fmt.Fprintf(w, "%s %s %s\n", gutter(" "+num), gutter("|"), shown)
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
