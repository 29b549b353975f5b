//go:build goexperiment.simd && amd64

package cloudtrail

import (
	"fmt"
	"math/bits"
	"simd/archsimd"
)

// useAVX2 tells whether the CPU runs the 32-byte string scan; without AVX2
// the scanner keeps to eight bytes at a step.
var useAVX2 = archsimd.X86.AVX2()

// stringSpecial32 marks, one bit a byte, the quotes, backslashes and control
// characters of the 32 bytes at b[0:32].
func stringSpecial32(b []byte) uint32 {
	x := archsimd.LoadUint8x32Slice(b)
	q := x.Equal(vecQuote)
	bs := x.Equal(vecBackslash)
	ctl := x.Min(vecCtl).Equal(x) // x < 0x20
	return q.Or(bs).Or(ctl).ToBits()
}

// The constants of stringSpecial32, broadcast once: loading a vector is
// cheaper than broadcasting a byte at every call.
var (
	vecQuote     = archsimd.BroadcastUint8x32('"')
	vecBackslash = archsimd.BroadcastUint8x32('\\')
	vecCtl       = archsimd.BroadcastUint8x32(0x1f)
)

// scanString scans a string whose opening quote is at b[i-1] and returns the
// offset just past its closing quote and the string flags, 32 bytes at a
// step.
func scanString(b []byte, i int) (int, int, error) {
	if !useAVX2 {
		return scanStringSWAR(b, i)
	}
	for i+32 <= len(b) {
		m := stringSpecial32(b[i : i+32])
		if m == 0 {
			i += 32
			continue
		}
		i += bits.TrailingZeros32(m)
		if b[i] == '"' {
			return i + 1, 0, nil
		}
		return scanStringSlow(b, i)
	}
	return scanStringSWAR(b, i)
}

// skipPlain returns the offset of the first quote, backslash or control
// character at or after b[i]; see skipPlainSWAR.
func skipPlain(b []byte, i int) int {
	if useAVX2 {
		for i+32 <= len(b) {
			if m := stringSpecial32(b[i : i+32]); m != 0 {
				return i + bits.TrailingZeros32(m)
			}
			i += 32
		}
	}
	return skipPlainSWAR(b, i)
}

// value scans the JSON value that starts at b[i]; see valueScalar.
func (s *scanner) value(b []byte, i int) (int, int, error) {
	if useAVX2 {
		return s.valueVec(b, i)
	}
	return s.valueScalar(b, i)
}

// strWindow holds the quotes, backslashes and control characters of the 64
// bytes at b[base:], one bit a byte, so that a string that ends in them is
// scanned with a few bit operations.
type strWindow struct {
	base int
	mask uint64
}

// end returns the offset just past the closing quote of the string whose
// body starts at b[i] when the window shows that it ends there with no
// escape or control character, and -1 otherwise (then see miss). It is
// small enough to be inlined.
func (w *strWindow) end(b []byte, i int) int {
	if off := uint(i - w.base); off < 64 {
		if m := w.mask >> off; m != 0 {
			if j := i + bits.TrailingZeros64(m); j < len(b) && b[j] == '"' {
				return j + 1
			}
		}
	}
	return -1
}

// miss is scanString when end could not end the string: it moves the window
// to b[i:] (when 64 bytes remain), so that the strings that follow the one
// that crossed the old window's end find their ends in the new one, and
// scans the string.
func (w *strWindow) miss(b []byte, i int) (int, int, error) {
	if i+64 <= len(b) {
		w.base = i
		w.mask = uint64(stringSpecial32(b[i:i+32])) | uint64(stringSpecial32(b[i+32:i+64]))<<32
		m := w.mask
		if m == 0 {
			return scanString(b, i+64) // plain up to the window's end
		}
		j := i + bits.TrailingZeros64(m)
		if b[j] == '"' {
			return j + 1, 0, nil
		}
		return scanStringSlow(b, j)
	}
	return scanString(b, i)
}

// valueVec is valueScalar with strings scanned through a strWindow.
func (s *scanner) valueVec(b []byte, i int) (int, int, error) {
	flags := 0
	w := strWindow{base: -1 << 62}
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
			j, f, err := w.end(b, i+1), 0, error(nil)
			if j < 0 {
				j, f, err = w.miss(b, i+1)
			}
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
				if j = w.end(b, i+1); j >= 0 {
					f, err = 0, nil
				} else {
					j, f, err = w.miss(b, i+1)
				}
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
				j, f, err := w.end(b, i+1), 0, error(nil)
				if j < 0 {
					j, f, err = w.miss(b, i+1)
				}
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
