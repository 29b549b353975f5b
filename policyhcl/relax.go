package policyhcl

import (
	"bytes"
	"sort"

	"github.com/apparentlymart/go-textseg/v15/textseg"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// HCL allows a block on one line only with a single argument, but the
// policy language documents one-line blocks like
//
//	hours { start = "08:00"  end = "20:00" }
//
// relaxSingleLineBlocks turns such blocks into multi-line ones by
// replacing one space (or a separating comma) at each argument boundary
// and inside each brace with a newline. Replacing bytes one for one keeps
// every byte offset, so ranges found in the rewritten text are mapped back
// to the original's lines and columns with a lineIndex of the original.
// It returns the rewritten text, or nil when nothing was rewritten.
func relaxSingleLineBlocks(name string, src []byte, diags hcl.Diagnostics) []byte {
	var mod []byte
	cur := src
	for iter := 0; iter < 16; iter++ {
		var subjects []int
		for _, d := range diags {
			if d.Summary == "Invalid single-argument block definition" && d.Subject != nil {
				subjects = append(subjects, d.Subject.Start.Byte)
			}
		}
		if len(subjects) == 0 {
			break
		}
		tokens, _ := hclsyntax.LexConfig(cur, name, hcl.InitialPos)
		next := append([]byte(nil), cur...)
		progress := false
		for _, b := range subjects {
			if splitBlockAt(tokens, next, b) {
				progress = true
			}
		}
		if !progress {
			break
		}
		mod, cur = next, next
		_, diags = hclsyntax.ParseConfig(cur, name, hcl.InitialPos)
	}
	return mod
}

func isOpener(t hclsyntax.TokenType) bool {
	switch t {
	case hclsyntax.TokenOBrace, hclsyntax.TokenOBrack, hclsyntax.TokenOParen,
		hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
		return true
	}
	return false
}

func isCloser(t hclsyntax.TokenType) bool {
	switch t {
	case hclsyntax.TokenCBrace, hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenTemplateSeqEnd:
		return true
	}
	return false
}

// splitBlockAt rewrites, in buf, the one-line block around the token that
// starts at byte offset at. It reports whether it changed anything; it
// changes nothing unless every boundary of the block can be split.
func splitBlockAt(tokens hclsyntax.Tokens, buf []byte, at int) bool {
	si := -1
	for i, t := range tokens {
		if t.Range.Start.Byte == at {
			si = i
			break
		}
	}
	if si < 0 {
		return false
	}
	open := -1
	for i, depth := si-1, 0; i >= 0; i-- {
		t := tokens[i].Type
		if isCloser(t) {
			depth++
		} else if isOpener(t) {
			if depth == 0 {
				if t == hclsyntax.TokenOBrace {
					open = i
				}
				break
			}
			depth--
		}
	}
	if open < 0 {
		return false
	}
	closeIdx := -1
	var edits []int
	for i, depth := open+1, 0; i < len(tokens); i++ {
		t := tokens[i].Type
		if t == hclsyntax.TokenEOF {
			return false
		}
		if isOpener(t) {
			depth++
			continue
		}
		if isCloser(t) {
			if depth == 0 {
				if t != hclsyntax.TokenCBrace {
					return false
				}
				closeIdx = i
				break
			}
			depth--
			continue
		}
		if depth == 0 && t == hclsyntax.TokenIdent && i+1 < len(tokens) && tokens[i+1].Type == hclsyntax.TokenEqual && i-1 > open {
			prev := tokens[i-1]
			switch {
			case endsLine(prev):
			case prev.Type == hclsyntax.TokenComma:
				edits = append(edits, prev.Range.Start.Byte)
			default:
				b, ok := gapBefore(buf, prev, tokens[i])
				if !ok {
					return false
				}
				edits = append(edits, b)
			}
		}
	}
	if closeIdx < 0 {
		return false
	}
	if tokens[open+1].Type != hclsyntax.TokenNewline {
		b, ok := gapBefore(buf, tokens[open], tokens[open+1])
		if !ok {
			return false
		}
		edits = append(edits, b)
	}
	if last := tokens[closeIdx-1]; !endsLine(last) && closeIdx-1 > open {
		b, ok := gapBefore(buf, last, tokens[closeIdx])
		if !ok {
			return false
		}
		edits = append(edits, b)
	}
	for _, b := range edits {
		buf[b] = '\n'
	}
	return len(edits) > 0
}

// endsLine reports whether t ends its line: a newline, or a comment that
// runs to the end of the line (# or //, whose token holds the newline).
func endsLine(t hclsyntax.Token) bool {
	return t.Type == hclsyntax.TokenNewline || t.Type == hclsyntax.TokenComment && bytes.HasSuffix(t.Bytes, []byte("\n"))
}

// gapBefore finds a space or tab between tokens a and b.
func gapBefore(buf []byte, a, b hclsyntax.Token) (int, bool) {
	i := b.Range.Start.Byte - 1
	if i >= a.Range.End.Byte && i >= 0 && i < len(buf) && (buf[i] == ' ' || buf[i] == '\t') {
		return i, true
	}
	return 0, false
}

// lineIndex turns byte offsets of a source into hcl positions: lines and
// columns counted in grapheme clusters, as hclsyntax counts them.
type lineIndex struct {
	src    []byte
	starts []int
}

func newLineIndex(src []byte) *lineIndex {
	li := &lineIndex{src: src, starts: []int{0}}
	for i, c := range src {
		if c == '\n' {
			li.starts = append(li.starts, i+1)
		}
	}
	return li
}

func (li *lineIndex) pos(b int) hcl.Pos {
	b = max(0, min(b, len(li.src)))
	line := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > b })
	seg := li.src[li.starts[line-1]:b]
	col := 1
	for len(seg) > 0 {
		adv, _, _ := textseg.ScanGraphemeClusters(seg, true)
		if adv <= 0 {
			adv = 1
		}
		seg = seg[adv:]
		col++
	}
	return hcl.Pos{Line: line, Column: col, Byte: b}
}

func (li *lineIndex) fix(r hcl.Range) hcl.Range {
	r.Start, r.End = li.pos(r.Start.Byte), li.pos(r.End.Byte)
	return r
}

func (li *lineIndex) fixDiags(diags hcl.Diagnostics, filename string) {
	for _, d := range diags {
		if d.Subject != nil && d.Subject.Filename == filename {
			r := li.fix(*d.Subject)
			d.Subject = &r
		}
		if d.Context != nil && d.Context.Filename == filename {
			r := li.fix(*d.Context)
			d.Context = &r
		}
	}
}
