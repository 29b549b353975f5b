package cloudtrail

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// This file holds a validating JSON scanner over byte slices. It finds where
// a value ends without building it and checks the whole JSON grammar on the
// way (the same grammar encoding/json accepts).

// maxDepth is the deepest nesting accepted, the same limit as encoding/json.
const maxDepth = 10000

// errShort means the data ended inside a value: more input is needed.
var errShort = errors.New("unexpected end of JSON data")

// syntaxError is invalid JSON at an offset of the scanned slice.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// Flags a scan reports about the strings it passed.
const (
	flagEscape = 1 << iota // some string holds a backslash escape
)

// scanner keeps the nesting stack between calls so that scanning allocates
// nothing in the steady state. When it scans a record (see record), it also
// notes the record's own eventSource, eventName and CloudTrailEvent members.
type scanner struct {
	stack []byte

	track   bool  // noting the members of the outermost object
	pending int8  // the member whose value comes next (fieldSource, …)
	keyEsc  bool  // an outermost key used an escape or repeats: the notes are not exact
	wrapper bool  // the object has a CloudTrailEvent member
	seen    int8  // the noted members met so far (1<<fieldSource | 1<<fieldName)
	src     field // eventSource
	name    field // eventName
}

// field is the value of a noted member: its span when it is a string.
type field struct {
	start, end int // -1 when absent or not a string
	flags      int
}

const (
	fieldSource = 1 + iota
	fieldName
)

// record scans the object at b[i] like value and notes its eventSource and
// eventName members. A repeated one makes the notes inexact (keyEsc): the
// record is decoded, and refused there.
func (s *scanner) record(b []byte, i int) (int, int, error) {
	s.track, s.pending, s.keyEsc, s.wrapper, s.seen = true, 0, false, false, 0
	s.src, s.name = field{-1, -1, 0}, field{-1, -1, 0}
	end, flags, err := s.value(b, i)
	s.track, s.pending = false, 0
	return end, flags, err
}

// noteKey looks at a key of the outermost object.
func (s *scanner) noteKey(key []byte, flags int) {
	if flags&flagEscape != 0 {
		s.keyEsc = true
		return
	}
	switch string(key) {
	case "eventSource":
		s.pending = fieldSource
		s.once(fieldSource)
	case "eventName":
		s.pending = fieldName
		s.once(fieldName)
	case "CloudTrailEvent":
		s.wrapper = true
	default:
		// A decoder that ignores case (encoding/json into a struct)
		// would read EVENTNAME as eventName: such a record is decoded,
		// and refused there.
		// One byte tells almost every other key apart, here, cheaply.
		if (1<<uint(len(key)))&(1<<9|1<<11|1<<12|1<<15) != 0 && (key[5]|0x20 == 'n' || key[5]|0x20 == 's' || key[5] == 0xc5 || key[0]|0x20 == 'c') && foldsToCallKey(key) {
			s.keyEsc = true
		}
	}
}

// once notes a member of the record; met twice, the notes are not exact
// (which call the record is, is unknown).
func (s *scanner) once(which int8) {
	bit := int8(1) << which
	if s.seen&bit != 0 {
		s.keyEsc = true
	}
	s.seen |= bit
}

// foldsToCallKey tells whether key reads as eventSource, eventName or
// CloudTrailEvent to a decoder that ignores case (see foldsTo).
func foldsToCallKey(key []byte) bool {
	switch len(key) {
	case 9:
		return foldsTo(key, "eventName")
	case 11, 12: // eventſource: ſ is two bytes
		return foldsTo(key, "eventSource")
	}
	return foldsTo(key, "CloudTrailEvent")
}

// foldsTo reports whether key reads as name (ASCII letters) to a decoder
// that ignores case as encoding/json does: each letter in either case, and
// ſ (U+017F) for s and K (U+212A) for k, the only characters outside ASCII
// that fold to ASCII letters.
func foldsTo(key []byte, name string) bool {
	if len(key) < len(name) || len(key) > 3*len(name) {
		return false
	}
	j := 0
	for i := 0; i < len(name); i++ {
		c := name[i] | 0x20
		switch {
		case j < len(key) && key[j]|0x20 == c:
			j++
		case c == 's' && j+1 < len(key) && key[j] == 0xc5 && key[j+1] == 0xbf:
			j += 2
		case c == 'k' && j+2 < len(key) && key[j] == 0xe2 && key[j+1] == 0x84 && key[j+2] == 0xaa:
			j += 3
		default:
			return false
		}
	}
	return j == len(key)
}

func (s *scanner) noteValue(which int8, start, end, flags int) {
	f := field{start, end, flags}
	if which == fieldSource {
		s.src = f
	} else {
		s.name = f
	}
}

// mayBeAssumeRole tells, after record scanned rec, whether the record can
// be an sts assume-role call, or has no eventSource or eventName string. It
// is exact in one direction: a record for which it reports false is not one
// (DecodeRecord would say ok=false with no error); one for which it reports
// true still needs DecodeRecord.
func (s *scanner) mayBeAssumeRole(rec []byte) bool {
	if s.keyEsc {
		return true
	}
	if s.src.start < 0 || s.name.start < 0 {
		return true // not a CloudTrail record: DecodeRecord says why
	}
	if s.src.flags&flagEscape == 0 && string(rec[s.src.start:s.src.end]) != `"`+EventSourceSTS+`"` {
		return false
	}
	if s.name.flags&flagEscape == 0 {
		switch string(rec[s.name.start:s.name.end]) {
		case `"` + EventAssumeRole + `"`, `"` + EventAssumeRoleWithSAML + `"`, `"` + EventAssumeRoleWithWebIdentity + `"`:
		default:
			return false
		}
	}
	return true
}

const (
	swarOnes  = 0x0101010101010101
	swarHighs = 0x8080808080808080
)

// stringSpecial marks the bytes of x that end a run of plain string bytes:
// a quote, a backslash or a control character. Only the lowest marked byte
// is exact (borrows may mark bytes above it), which is all the caller uses.
// x^0x02 maps the quote (0x22) to 0x20 and keeps control characters below
// 0x20, so one "less than 0x21" test finds both.
func stringSpecial(x uint64) uint64 {
	y := x ^ (swarOnes * 0x02)
	s := x ^ (swarOnes * '\\')
	return ((y-swarOnes*0x21)&^y | (s-swarOnes)&^s) & swarHighs
}

// scanStringSWAR scans a string whose opening quote is at b[i-1] and returns
// the offset just past its closing quote, eight bytes at a step. It is
// scanString where no vector instructions are available.
func scanStringSWAR(b []byte, i int) (int, int, error) {
	i = skipPlainSWAR(b, i)
	if i < len(b) && b[i] == '"' {
		return i + 1, 0, nil
	}
	return scanStringSlow(b, i)
}

// scanStringSlow is scanString past the plain prefix: escapes, control
// characters and the end of the slice.
func scanStringSlow(b []byte, i int) (int, int, error) {
	flags := 0
	for {
		i = skipPlain(b, i)
		if i >= len(b) {
			return i, flags, errShort
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, flags, nil
		case c == '\\':
			if i+1 >= len(b) {
				return i, flags, errShort
			}
			flags |= flagEscape
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k >= len(b) {
						return k, flags, errShort
					}
					if !isHex(b[k]) {
						return k, flags, &syntaxError{k, fmt.Sprintf("invalid character %s in \\u escape", quoteByte(b[k]))}
					}
				}
				i += 6
			default:
				return i + 1, flags, &syntaxError{i + 1, fmt.Sprintf("invalid escape \\%s in string", quoteByte(b[i+1]))}
			}
		case c < 0x20:
			return i, flags, &syntaxError{i, fmt.Sprintf("invalid control character %s in string", quoteByte(c))}
		default:
			i++
		}
	}
}

// skipPlainSWAR returns the offset of the first byte at or after b[i] that
// is a quote, a backslash or a control character, or one at most seven
// bytes before the end of b when the bytes up to there are plain.
func skipPlainSWAR(b []byte, i int) int {
	for i+8 <= len(b) {
		if m := stringSpecial(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	return i
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// quoteByte shows a byte for an error message.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("0x%02x", c)
}

// scanNumber scans a JSON number starting at b[i]. A number is only known to
// end at the next byte that cannot continue it, so it reports errShort when
// the slice ends first.
func scanNumber(b []byte, i int) (int, error) {
	if b[i] == '-' {
		i++
		if i >= len(b) {
			return i, errShort
		}
	}
	switch c := b[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return i, &syntaxError{i, fmt.Sprintf("invalid character %s in number", quoteByte(c))}
	}
	if i >= len(b) {
		return i, errShort
	}
	if b[i] == '.' {
		i++
		if i >= len(b) {
			return i, errShort
		}
		if !isDigit(b[i]) {
			return i, &syntaxError{i, fmt.Sprintf("invalid character %s after decimal point in number", quoteByte(b[i]))}
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i >= len(b) {
			return i, errShort
		}
	}
	if b[i] == 'e' || b[i] == 'E' {
		i++
		if i >= len(b) {
			return i, errShort
		}
		if b[i] == '+' || b[i] == '-' {
			i++
			if i >= len(b) {
				return i, errShort
			}
		}
		if !isDigit(b[i]) {
			return i, &syntaxError{i, fmt.Sprintf("invalid character %s in exponent of number", quoteByte(b[i]))}
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i >= len(b) {
			return i, errShort
		}
	}
	return i, nil
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) {
			return i + k, errShort
		}
		if b[i+k] != lit[k] {
			return i + k, &syntaxError{i + k, fmt.Sprintf("invalid character %s in literal %s", quoteByte(b[i+k]), lit)}
		}
	}
	return i + len(lit), nil
}

// Scanner states.
const (
	stValue = iota // a value must follow
	stKey          // an object key must follow
	stAfter        // a value ended: a comma, a closing bracket or the end
)

// valueScalar scans the JSON value that starts at b[i] (no leading space) and
// returns the offset just past it and the string flags. It returns errShort
// when b ends inside the value and a *syntaxError for invalid JSON. A number
// at the top level ends at the end of b only when more data could not follow;
// callers only scan objects and arrays at the top level. scan_simd.go holds
// a copy, valueVec, that differs only in how it scans strings: change both
// (TestValueVectorIsValueScalar compares them).
func (s *scanner) valueScalar(b []byte, i int) (int, int, error) {
	flags := 0
	st := s.stack[:0]
	state := stValue
	for {
		if state == stAfter && len(st) == 0 {
			s.stack = st
			return i, flags, nil
		}
		if i >= len(b) {
			s.stack = st
			return i, flags, errShort
		}
		c := b[i]
		if c <= ' ' {
			i = skipSpace(b, i)
			if i >= len(b) {
				s.stack = st
				return i, flags, errShort
			}
			c = b[i]
		}
		switch state {
		case stKey:
			if c != '"' {
				s.stack = st
				return i, flags, &syntaxError{i, fmt.Sprintf("invalid character %s looking for beginning of object key string", quoteByte(c))}
			}
			j, f, err := scanString(b, i+1)
			flags |= f
			if err != nil {
				s.stack = st
				return j, flags, err
			}
			if s.track && len(st) == 1 {
				s.noteKey(b[i+1:j-1], f)
			}
			if j+1 < len(b) && b[j] == ':' && b[j+1] == '"' {
				// Fast path for the common "key":"value" member,
				// followed by another key or the end of the object.
				i = j + 1
				pending := s.pending
				s.pending = 0
				j, f, err = scanString(b, i+1)
				flags |= f
				if err != nil {
					s.stack = st
					return j, flags, err
				}
				if pending != 0 {
					s.noteValue(pending, i, j, f)
				}
				i = j
				if i+1 < len(b) && b[i] == ',' && b[i+1] == '"' {
					i++
					continue // state stays stKey
				}
				state = stAfter
				continue
			}
			if j < len(b) && b[j] == ':' {
				i = j + 1
				state = stValue
				continue
			}
			i = skipSpace(b, j)
			if i >= len(b) {
				s.stack = st
				return i, flags, errShort
			}
			if b[i] != ':' {
				s.stack = st
				return i, flags, &syntaxError{i, fmt.Sprintf("invalid character %s after object key", quoteByte(b[i]))}
			}
			i++
			state = stValue
		case stValue:
			pending := s.pending
			if pending != 0 {
				s.pending = 0
				if c != '"' {
					s.noteValue(pending, -1, -1, 0)
				}
			}
			switch {
			case c == '"':
				j, f, err := scanString(b, i+1)
				flags |= f
				if err != nil {
					s.stack = st
					return j, flags, err
				}
				if pending != 0 {
					s.noteValue(pending, i, j, f)
				}
				i = j
				state = stAfter
			case c == '{' || c == '[':
				if len(st) >= maxDepth {
					s.stack = st
					return i, flags, &syntaxError{i, fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
				}
				st = append(st, c)
				i = skipSpace(b, i+1)
				if i >= len(b) {
					s.stack = st
					return i, flags, errShort
				}
				switch {
				case c == '{' && b[i] == '}', c == '[' && b[i] == ']':
					st = st[:len(st)-1]
					i++
					state = stAfter
				case c == '{':
					state = stKey
				default:
					state = stValue
				}
			case c == '-' || isDigit(c):
				j, err := scanNumber(b, i)
				if err != nil {
					s.stack = st
					return j, flags, err
				}
				i = j
				state = stAfter
			case c == 't' || c == 'f' || c == 'n':
				j, err := scanLiteral(b, i, literal(c))
				if err != nil {
					s.stack = st
					return j, flags, err
				}
				i = j
				state = stAfter
			default:
				s.stack = st
				return i, flags, &syntaxError{i, fmt.Sprintf("invalid character %s looking for beginning of value", quoteByte(c))}
			}
		case stAfter:
			top := st[len(st)-1]
			switch {
			case c == ',':
				i++
				if top == '{' {
					state = stKey
				} else {
					state = stValue
				}
			case c == '}' && top == '{', c == ']' && top == '[':
				st = st[:len(st)-1]
				i++
				// Fast path: "},"key" continues the enclosing object.
				if len(st) > 0 && st[len(st)-1] == '{' && i+1 < len(b) && b[i] == ',' && b[i+1] == '"' {
					i++
					state = stKey
				}
			default:
				s.stack = st
				if top == '{' {
					return i, flags, &syntaxError{i, fmt.Sprintf("invalid character %s after object key:value pair", quoteByte(c))}
				}
				return i, flags, &syntaxError{i, fmt.Sprintf("invalid character %s after array element", quoteByte(c))}
			}
		}
	}
}

// kindOf names the JSON type of the value starting with c, for messages.
func kindOf(c byte) string {
	switch {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || isDigit(c):
		return "a number"
	}
	return "not JSON"
}

// literal is the JSON literal that starts with c ('t', 'f' or 'n').
func literal(c byte) string {
	switch c {
	case 't':
		return "true"
	case 'f':
		return "false"
	}
	return "null"
}
