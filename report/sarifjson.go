package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// go-sarif writes every array its constructors make ([] for graphs, stacks,
// fixes, …) and the "unset" sentinel -1 for indexes and offsets. Both mean
// the same as leaving the property out (SARIF §3.7.3, §3.4), and the SARIF
// multitool flags the sentinels (SARIF2004, "optimize file size"). tidySARIF
// re-encodes the library's JSON without them, keeping the member order.

// sentinelKeys are the properties whose value -1 means "unset".
var sentinelKeys = map[string]bool{
	"index": true, "byteOffset": true, "charOffset": true, "rank": true, "id": true, "ruleIndex": true,
}

// keptEmpty are the arrays that carry meaning when empty: a run with
// "results": [] is a scan that found nothing, and GitHub requires the
// driver's "rules".
var keptEmpty = map[string]bool{"results": true, "rules": true}

// jsonValue is one parsed value. Scalars keep their bytes exactly as
// encoding/json wrote them (strings stay escaped), so re-encoding copies
// them.
type jsonValue struct {
	kind    byte // '{', '[', or 0 for a scalar
	raw     []byte
	members []jsonMember // objects, in document order
	items   []jsonValue  // arrays
}

// jsonMember is one property of an object; key is unquoted (SARIF's
// property names have no escapes).
type jsonMember struct {
	key   string
	value jsonValue
}

// tidySARIF writes src, the compact JSON that encoding/json wrote, to w
// indented by two spaces, without sentinel -1 values, empty arrays and
// empty objects.
func tidySARIF(w io.Writer, src []byte) error {
	p := &jsonParser{src: src}
	v, err := p.value()
	if err != nil {
		return fmt.Errorf("re-read sarif at byte %d: %w", p.pos, err)
	}
	var buf bytes.Buffer
	buf.Grow(len(src) + len(src)/2)
	encodeTidy(&buf, v, 0)
	buf.WriteByte('\n')
	// As in the JSON report: a value (a policy's description in a
	// snippet, a CloudTrail id) cannot hide or reorder text in a viewer.
	_, err = w.Write(runnerCommandJSON(escapeJSONInvisible(buf.Bytes())))
	return err
}

// jsonParser reads the compact, valid JSON that encoding/json writes.
type jsonParser struct {
	src []byte
	pos int
}

var errBadJSON = errors.New("unexpected input")

func (p *jsonParser) value() (jsonValue, error) {
	if p.pos >= len(p.src) {
		return jsonValue{}, errBadJSON
	}
	switch c := p.src[p.pos]; c {
	case '{':
		p.pos++
		v := jsonValue{kind: '{'}
		if p.peek('}') {
			return v, nil
		}
		for {
			key, err := p.str()
			if err != nil {
				return v, err
			}
			if !p.peek(':') {
				return v, errBadJSON
			}
			val, err := p.value()
			if err != nil {
				return v, err
			}
			v.members = append(v.members, jsonMember{string(key[1 : len(key)-1]), val})
			if p.peek(',') {
				continue
			}
			if p.peek('}') {
				return v, nil
			}
			return v, errBadJSON
		}
	case '[':
		p.pos++
		v := jsonValue{kind: '['}
		if p.peek(']') {
			return v, nil
		}
		for {
			item, err := p.value()
			if err != nil {
				return v, err
			}
			v.items = append(v.items, item)
			if p.peek(',') {
				continue
			}
			if p.peek(']') {
				return v, nil
			}
			return v, errBadJSON
		}
	case '"':
		raw, err := p.str()
		return jsonValue{raw: raw}, err
	default:
		start := p.pos
		for p.pos < len(p.src) && strings.IndexByte("-+.0123456789eEtruefalsn", p.src[p.pos]) >= 0 {
			p.pos++
		}
		if p.pos == start {
			return jsonValue{}, errBadJSON
		}
		return jsonValue{raw: p.src[start:p.pos]}, nil
	}
}

// peek consumes c if it is next.
func (p *jsonParser) peek(c byte) bool {
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// str reads a string and returns it with its quotes, still escaped.
func (p *jsonParser) str() ([]byte, error) {
	if !p.peek('"') {
		return nil, errBadJSON
	}
	start := p.pos - 1
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '\\':
			p.pos += 2
		case '"':
			p.pos++
			return p.src[start:p.pos], nil
		default:
			p.pos++
		}
	}
	return nil, errBadJSON
}

// dropped reports whether an object member is left out.
func dropped(m jsonMember) bool {
	switch m.value.kind {
	case '[':
		return len(m.value.items) == 0 && !keptEmpty[m.key]
	case '{':
		return len(m.value.members) == 0
	}
	raw := string(m.value.raw)
	return raw == "null" || (raw == "-1" && sentinelKeys[m.key])
}

// encodeTidy writes v indented at depth.
func encodeTidy(buf *bytes.Buffer, v jsonValue, depth int) {
	switch v.kind {
	case '{':
		n := 0
		for _, m := range v.members {
			if !dropped(m) {
				n++
			}
		}
		if n == 0 {
			buf.WriteString("{}")
			return
		}
		buf.WriteString("{\n")
		for _, m := range v.members {
			if dropped(m) {
				continue
			}
			indent(buf, depth+1)
			buf.WriteByte('"')
			buf.WriteString(m.key)
			buf.WriteString("\": ")
			encodeTidy(buf, m.value, depth+1)
			if n--; n > 0 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		indent(buf, depth)
		buf.WriteByte('}')
	case '[':
		if len(v.items) == 0 {
			buf.WriteString("[]")
			return
		}
		buf.WriteString("[\n")
		for i, e := range v.items {
			indent(buf, depth+1)
			encodeTidy(buf, e, depth+1)
			if i < len(v.items)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		indent(buf, depth)
		buf.WriteByte(']')
	default:
		buf.Write(v.raw)
	}
}

func indent(buf *bytes.Buffer, depth int) {
	for range depth {
		buf.WriteString("  ")
	}
}
