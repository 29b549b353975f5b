package policyhcl

import (
	"bytes"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in canonical HCL layout (hclwrite's: aligned equals
// signs, two-space indentation, normalised spacing), ending with a single
// newline (CRLF when the file's first line ends in CRLF; in a file whose
// lines all end in CRLF, the lines formatting adds do too). A file that
// does not parse is not formatted: the syntax errors are returned instead. Format checks syntax only, not the policy's
// meaning, but it never changes that meaning: the layout it returns must
// hold the same tokens as the input (comments compared without their
// surrounding space), else it refuses, and so it does for input that is
// not UTF-8 or output larger than MaxFileSize.
func Format(filename string, src []byte) ([]byte, hcl.Diagnostics) {
	if len(src) > MaxFileSize {
		return nil, hcl.Diagnostics{pathError(filename, "Policy file too large",
			"Policy file %q is %d bytes, more than the %d bytes allowed.", filename, len(src), MaxFileSize)}
	}
	if !utf8.Valid(src) {
		return nil, hcl.Diagnostics{pathError(filename, "Policy file not UTF-8",
			"Policy file %q is not valid UTF-8; save it as UTF-8 before formatting it.", filename)}
	}
	ps := parse(filename, src)
	if ps.diags.HasErrors() {
		return nil, ps.diags
	}
	out := tightTrailingCommas(filename, hclwrite.Format(ps.text))
	// One final newline, none when the file is empty.
	end := len(out)
	for end > 0 && (out[end-1] == '\n' || out[end-1] == '\r' || out[end-1] == ' ' || out[end-1] == '\t') {
		end--
	}
	switch {
	case end == 0:
		out = []byte{}
	case firstLineCRLF(src):
		out = append(out[:end:end], '\r', '\n') // a CRLF file keeps CRLF to its end
		if bytes.Count(src, []byte("\n")) == bytes.Count(src, []byte("\r\n")) {
			// Every line of the file ends in CRLF: so do those that
			// formatting adds (splitting a one-line block). A file that
			// mixes both keeps its own, as a lone LF may be inside a
			// heredoc, whose text must not change.
			out = crlf(out)
		}
	default:
		out = append(out[:end:end], '\n')
	}
	if !sameTokens(filename, ps.text, out) {
		return nil, hcl.Diagnostics{pathError(filename, "Formatting would change the policy",
			"Formatting %q would join or split tokens (for example a number followed by a dot, such as 99 .5), which could change what the policy means; nothing was written. Fix the spacing by hand.", filename)}
	}
	if len(out) > MaxFileSize {
		return nil, hcl.Diagnostics{pathError(filename, "Formatted policy too large",
			"Formatting %q would make it %d bytes, more than the %d bytes a policy file may have; nothing was written.", filename, len(out), MaxFileSize)}
	}
	return out, nil
}

// tightTrailingCommas removes the space that hclwrite puts between a
// trailing comma and the bracket or parenthesis that closes its list on
// the same line: ["a", "b", ] becomes ["a", "b",]. A comment that ends
// such a line gets the spaces back before it, so that it stays in the
// column hclwrite aligned it to.
func tightTrailingCommas(filename string, b []byte) []byte {
	toks, _ := hclsyntax.LexConfig(b, filename, hcl.InitialPos)
	var out []byte
	last, removed := 0, 0 // removed: bytes taken out of the current line
	for i := 1; i < len(toks); i++ {
		t, prev := toks[i], toks[i-1]
		switch {
		case t.Type == hclsyntax.TokenNewline:
			removed = 0
		case t.Type == hclsyntax.TokenComment && removed > 0:
			out = append(out, b[last:t.Range.Start.Byte]...)
			out = append(out, bytes.Repeat([]byte{' '}, removed)...)
			last, removed = t.Range.Start.Byte, 0
		case prev.Type == hclsyntax.TokenComma && (t.Type == hclsyntax.TokenCBrack || t.Type == hclsyntax.TokenCParen):
			if gap := b[prev.Range.End.Byte:t.Range.Start.Byte]; len(gap) > 0 && len(bytes.Trim(gap, " \t")) == 0 {
				out = append(out, b[last:prev.Range.End.Byte]...)
				last, removed = t.Range.Start.Byte, removed+len(gap)
			}
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// firstLineCRLF reports whether src's first line ends in CRLF.
func firstLineCRLF(src []byte) bool {
	i := bytes.IndexByte(src, '\n')
	return i > 0 && src[i-1] == '\r'
}

// crlf returns b with each LF that no CR precedes made CRLF.
func crlf(b []byte) []byte {
	out := make([]byte, 0, len(b)+bytes.Count(b, []byte("\n")))
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// sameTokens reports whether a and b hold the same HCL tokens, newlines
// aside and comments compared without surrounding white space.
func sameTokens(filename string, a, b []byte) bool {
	ta := significant(filename, a)
	tb := significant(filename, b)
	if len(ta) != len(tb) {
		return false
	}
	for i := range ta {
		if ta[i].Type != tb[i].Type || !bytes.Equal(ta[i].Bytes, tb[i].Bytes) {
			return false
		}
	}
	return true
}

func significant(filename string, src []byte) hclsyntax.Tokens {
	toks, _ := hclsyntax.LexConfig(src, filename, hcl.InitialPos)
	out := toks[:0]
	for _, t := range toks {
		switch t.Type {
		case hclsyntax.TokenNewline, hclsyntax.TokenEOF:
			continue
		case hclsyntax.TokenComment:
			t.Bytes = bytes.TrimSpace(t.Bytes)
		}
		out = append(out, t)
	}
	return out
}
