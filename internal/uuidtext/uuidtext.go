// Package uuidtext packs a UUID written in its canonical text form into its
// 16 bytes and back, so that the ids CloudTrail and the broker write (UUIDs)
// can be kept in 16 bytes instead of a 36-character string.
package uuidtext

import "encoding/hex"

// Len is the length of a UUID's canonical text form.
const Len = 36

// Pack returns the 16 bytes of s when s is a UUID in the canonical
// lower-case form (8-4-4-4-12 hex digits), the only form that converts back
// to the same text. Packed UUIDs compare (bytes.Compare) in the order of
// their texts (strings.Compare).
func Pack(s string) (u [16]byte, ok bool) {
	if len(s) != Len || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	k := 0
	for i := 0; i < Len; i += 2 {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i--
			continue
		}
		hi, ok1 := lowerHex(s[i])
		lo, ok2 := lowerHex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[k] = hi<<4 | lo
		k++
	}
	return u, true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Append appends the canonical text of the 16 bytes u.
func Append(dst []byte, u []byte) []byte {
	dst = hex.AppendEncode(dst, u[:4])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[4:6])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[6:8])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[8:10])
	dst = append(dst, '-')
	return hex.AppendEncode(dst, u[10:16])
}

// String returns the canonical text of u.
func String(u [16]byte) string { return string(Append(make([]byte, 0, Len), u[:])) }
