package cloudtrail

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

func TestStringSpecialFindsTheFirstSpecialByte(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := []byte{'"', '\\', 0, 1, 0x1f, 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff, 'a'}
	for n := 0; n < 300000; n++ {
		var b [8]byte
		for i := range b {
			if r.IntN(2) == 0 {
				b[i] = pick[r.IntN(len(pick))]
			} else {
				b[i] = byte(r.IntN(256))
			}
		}
		want := 8
		for i, c := range b {
			if c == '"' || c == '\\' || c < 0x20 {
				want = i
				break
			}
		}
		m := stringSpecial(binary.LittleEndian.Uint64(b[:]))
		got := 8
		if m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if got != want {
			t.Fatalf("%x: got %d want %d", b, got, want)
		}
	}
}
