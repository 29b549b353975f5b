//go:build goexperiment.simd && amd64

package cloudtrail

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// The 32-byte string scan must end where the eight-byte one does, with the
// same flags and error, on strings whose special bytes fall anywhere in and
// across the vectors.
func TestScanStringVectorMatchesSWAR(t *testing.T) {
	if !useAVX2 {
		t.Skip("the CPU has no AVX2")
	}
	r := rand.New(rand.NewPCG(3, 4))
	pick := []byte{'"', '\\', 'u', 'n', '0', 'a', 'F', 0, 0x1f, 0x20, 0x21, 0x5c ^ 0x80, 0x7f, 0xa2, 0xff}
	b := make([]byte, 0, 200)
	for n := 0; n < 200000; n++ {
		b = b[:r.IntN(160)]
		for i := range b {
			if r.IntN(8) == 0 {
				b[i] = pick[r.IntN(len(pick))]
			} else {
				b[i] = 'a' + byte(r.IntN(26))
			}
		}
		i := 0
		if len(b) > 0 {
			i = r.IntN(len(b))
		}
		wantEnd, wantFlags, wantErr := scanStringSWAR(b, i)
		gotEnd, gotFlags, gotErr := scanString(b, i)
		if gotEnd != wantEnd || gotFlags != wantFlags || errText(gotErr) != errText(wantErr) {
			t.Fatalf("%q at %d: got %d %d %v, want %d %d %v", b, i, gotEnd, gotFlags, gotErr, wantEnd, wantFlags, wantErr)
		}
		if got, want := skipPlain(b, i), skipPlainSWAR(b, i); got != want && !(got >= len(b)-7 && want >= len(b)-7 && plainUpTo(b, i, max(got, want))) {
			t.Fatalf("%q at %d: skipPlain %d, SWAR %d", b, i, got, want)
		}
	}
}

func plainUpTo(b []byte, i, end int) bool {
	for ; i < end; i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
			return false
		}
	}
	return true
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// The vector scan of a value must agree with the scalar one on every input:
// the end, the flags, the record notes and the error with its offset.
// Documents are random mixes of JSON tokens, so that strings, escapes and
// errors fall across the 64-byte windows.
func TestValueVectorMatchesScalar(t *testing.T) {
	if !useAVX2 {
		t.Skip("the CPU has no AVX2")
	}
	r := rand.New(rand.NewPCG(5, 6))
	toks := []string{`{`, `}`, `[`, `]`, `,`, `:`, ` `, "\n", `"eventSource"`, `"eventName"`, `"sts.amazonaws.com"`,
		`"AssumeRole"`, `"a"`, `""`, `"` + string(make([]byte, 70)) + `"`, `"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"`,
		`"x\"y"`, `"\u00e9"`, `"\q"`, "\"\x01\"", `"é"`, `12`, `-0.5e3`, `true`, `null`, `"`, `\`}
	var vs, ss scanner
	b := make([]byte, 0, 2000)
	for n := 0; n < 100000; n++ {
		b = append(b[:0], '{')
		for k := r.IntN(120); k > 0; k-- {
			if r.IntN(3) == 0 {
				b = append(b, `"k":"v",`...)
				continue
			}
			b = append(b, toks[r.IntN(len(toks))]...)
		}
		if r.IntN(2) == 0 {
			b = append(b, '}')
		}
		vEnd, vFlags, vErr := vs.record(b, 0)
		sEnd, sFlags, sErr := ss.recordScalar(b, 0)
		if vEnd != sEnd || vFlags != sFlags || errText(vErr) != errText(sErr) || vs.src != ss.src || vs.name != ss.name ||
			vs.keyEsc != ss.keyEsc || vs.wrapper != ss.wrapper {
			t.Fatalf("%q: vector %d %d %v, scalar %d %d %v", b, vEnd, vFlags, vErr, sEnd, sFlags, sErr)
		}
		var ve, se *syntaxError
		if errors.As(vErr, &ve) && errors.As(sErr, &se) && ve.off != se.off {
			t.Fatalf("%q: error at %d, scalar at %d", b, ve.off, se.off)
		}
	}
}

// recordScalar is record with the scalar value scan.
func (s *scanner) recordScalar(b []byte, i int) (int, int, error) {
	s.track, s.pending, s.keyEsc, s.wrapper, s.seen = true, 0, false, false, 0
	s.src, s.name = field{-1, -1, 0}, field{-1, -1, 0}
	end, flags, err := s.valueScalar(b, i)
	s.track, s.pending = false, 0
	return end, flags, err
}

// valueVec is a copy of valueScalar with its string scans replaced: undoing
// the replacement must give valueScalar back, so that a change to one is
// made to the other.
func TestValueVectorIsValueScalar(t *testing.T) {
	body := func(file, name string) string {
		t.Helper()
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		s := string(src)
		start := strings.Index(s, "func (s *scanner) "+name+"(")
		if start < 0 {
			t.Fatalf("%s: no %s", file, name)
		}
		n := strings.Index(s[start:], "\n}\n")
		if n < 0 {
			t.Fatalf("%s: %s does not end", file, name)
		}
		return s[start : start+n]
	}
	vec := body("scan_simd.go", "valueVec")
	for _, r := range []struct{ vec, scalar string }{
		{"valueVec", "valueScalar"},
		{"\tw := strWindow{base: -1 << 62}\n", ""},
		{"j, f, err := w.end(b, i+1), 0, error(nil)\n\t\t\tif j < 0 {\n\t\t\t\tj, f, err = w.miss(b, i+1)\n\t\t\t}", "j, f, err := scanString(b, i+1)"},
		{"if j = w.end(b, i+1); j >= 0 {\n\t\t\t\t\tf, err = 0, nil\n\t\t\t\t} else {\n\t\t\t\t\tj, f, err = w.miss(b, i+1)\n\t\t\t\t}", "j, f, err = scanString(b, i+1)"},
		{"j, f, err := w.end(b, i+1), 0, error(nil)\n\t\t\t\tif j < 0 {\n\t\t\t\t\tj, f, err = w.miss(b, i+1)\n\t\t\t\t}", "j, f, err := scanString(b, i+1)"},
	} {
		if !strings.Contains(vec, r.vec) {
			t.Fatalf("valueVec no longer holds %q", r.vec)
		}
		vec = strings.ReplaceAll(vec, r.vec, r.scalar)
	}
	if scalar := body("scan.go", "valueScalar"); vec != scalar {
		t.Errorf("valueVec differs from valueScalar beyond its string scans:\n%s", lineDiff(vec, scalar))
	}
}

// lineDiff shows the first line where a and b differ.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  valueVec:    %s\n  valueScalar: %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}
