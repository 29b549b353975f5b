package cloudtrail

import (
	"bytes"
	"os"
	"testing"
)

func laxEnd(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		c := b[i]
		if c == '"' {
			j, _, err := scanString(b, i+1)
			if err != nil {
				return -1
			}
			i = j
			continue
		}
		switch c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}

func TestCPULax(t *testing.T) {
	if os.Getenv("CPUBENCH") == "" {
		t.Skip()
	}
	raw, _ := benchTrail(&testing.B{})
	start := bytes.IndexByte(raw, '[') + 1
	cpuMeasure("lax records", 20, len(raw), func() {
		for i := start; raw[i] == '{'; {
			i = laxEnd(raw, i)
			if raw[i] == ',' {
				i++
			}
		}
	})
	var s scanner
	cpuMeasure("scan records", 20, len(raw), func() {
		for i := start; raw[i] == '{'; {
			end, _, _ := s.record(raw, i)
			i = end
			if raw[i] == ',' {
				i++
			}
		}
	})
	cpuMeasure("swar only", 20, len(raw), func() {
		n := 0
		for i := 0; i+8 <= len(raw); i += 8 {
			if stringSpecial(leUint64(raw[i:])) != 0 {
				n++
			}
		}
		if n == 0 {
			t.Fatal()
		}
	})
}

func leUint64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
