package gunzip

import (
	"bufio"
	"bytes"
	stdflate "compress/flate"
	stdgzip "compress/gzip"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/sentinel-check/sentinel-check/internal/gzipmember"
)

// samples are the uncompressed inputs of the differential tests: CloudTrail
// JSON, text, incompressible bytes (stored blocks), short-distance runs
// (copies that overlap their source), and sizes around the output buffer's.
func samples(t testing.TB) map[string][]byte {
	t.Helper()
	rng := rand.New(rand.NewSource(1))
	random := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	var trail []byte
	files, _ := filepath.Glob("../../cloudtrail/testdata/real/invictus-ir_aws_dataset/CloudTrail/*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		trail = append(trail, b...)
	}
	if len(trail) == 0 {
		t.Fatal("no CloudTrail files under cloudtrail/testdata/real")
	}
	var runs bytes.Buffer
	for i := 0; runs.Len() < 300<<10; i++ {
		runs.WriteString(strings.Repeat(string(rune('a'+i%7)), 1+i%300))
		runs.WriteString(strings.Repeat("ab", i%40))
		runs.WriteString(strings.Repeat("abcdefg", i%20))
		runs.Write(random(i % 5))
	}
	big := bytes.Repeat(trail, 1+(3*bufSize)/len(trail))
	return map[string][]byte{
		"empty":         nil,
		"one byte":      {'x'},
		"cloudtrail":    trail,
		"random":        random(200 << 10),
		"runs":          runs.Bytes(),
		"buffer size":   big[:bufSize],
		"3x the buffer": big,
		"text and random": append(append(append([]byte{}, trail[:50000]...), random(70000)...),
			trail[:90000]...),
	}
}

// compressions returns the gzip encodings of data that the tests read:
// every level of klauspost/compress and of the standard library (stored,
// Huffman-only, fixed and dynamic blocks, flushes between them).
func compressions(t testing.TB, data []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for lvl := -2; lvl <= 9; lvl++ {
		var b bytes.Buffer
		w, err := gzip.NewWriterLevel(&b, lvl)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		w.Close()
		out[fmt.Sprintf("klauspost level %d", lvl)] = b.Bytes()
		b = bytes.Buffer{}
		sw, err := stdgzip.NewWriterLevel(&b, lvl)
		if err != nil {
			t.Fatal(err)
		}
		// Flushes in between: empty stored blocks, blocks that start
		// anywhere.
		for i := 0; i < len(data); i += 40000 {
			sw.Write(data[i:min(len(data), i+40000)])
			if i%80000 == 0 {
				sw.Flush()
			}
		}
		sw.Close()
		out[fmt.Sprintf("stdlib level %d", lvl)] = b.Bytes()
	}
	// A header with every optional field, and its CRC-16.
	var b bytes.Buffer
	sw := stdgzip.NewWriter(&b)
	sw.Name, sw.Comment, sw.Extra = "a name.json", "a comment", []byte("extra field")
	sw.Write(data)
	sw.Close()
	out["header fields"] = b.Bytes()
	out["header CRC-16"] = withHeaderCRC(t, data)
	return out
}

// withHeaderCRC is a gzip member of data whose header has FHCRC.
func withHeaderCRC(t testing.TB, data []byte) []byte {
	t.Helper()
	h := []byte{0x1f, 0x8b, 8, 0x02 | 0x08, 0, 0, 0, 0, 0, 255}
	h = append(h, "name\x00"...)
	c := crc32.ChecksumIEEE(h)
	h = append(h, byte(c), byte(c>>8))
	var body bytes.Buffer
	fw, _ := stdflate.NewWriter(&body, 6)
	fw.Write(data)
	fw.Close()
	out := append(h, body.Bytes()...)
	d := crc32.ChecksumIEEE(data)
	n := uint32(len(data))
	return append(out, byte(d), byte(d>>8), byte(d>>16), byte(d>>24), byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
}

// readAll reads the stream with reads of varying sizes.
func readAll(z *Reader, rng *rand.Rand) ([]byte, error) {
	var out []byte
	for {
		p := make([]byte, 1+rng.Intn(70000))
		if rng.Intn(4) == 0 {
			p = p[:1+rng.Intn(7)]
		}
		n, err := z.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// Every encoding of every sample decodes to the sample, as with
// klauspost/compress's reader.
func TestDecodesWhatTheLibrariesWrite(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	var z Reader
	for name, data := range samples(t) {
		for enc, gz := range compressions(t, data) {
			if err := z.Reset(bufio.NewReaderSize(bytes.NewReader(gz), 1<<10+rng.Intn(64<<10))); err != nil {
				t.Fatalf("%s, %s: Reset: %v", name, enc, err)
			}
			got, err := readAll(&z, rng)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s, %s: %d bytes, %v; want the %d bytes written", name, enc, len(got), err, len(data))
			}
		}
	}
}

// WriteTo (io.Copy) writes what Read returns.
func TestWriteTo(t *testing.T) {
	s := samples(t)
	for _, name := range []string{"3x the buffer", "empty", "random"} {
		gz := compressions(t, s[name])["stdlib level 6"]
		z, err := NewReader(bytes.NewReader(append(bytes.Clone(gz), gz...)))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		n, err := io.Copy(&out, z)
		if want := append(bytes.Clone(s[name]), s[name]...); err != nil || n != int64(len(want)) || !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s, two members: io.Copy wrote %d bytes, %v; want %d", name, n, err, len(want))
		}
		z, err = NewReader(bytes.NewReader(gz[:len(gz)-3]))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, z); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s, truncated: io.Copy: %v, want %v", name, err, io.ErrUnexpectedEOF)
		}
	}
}

// Members are read one after the other (multistream), or one at a time
// with the source left at the next member's first byte.
func TestMembers(t *testing.T) {
	s := samples(t)
	a, b := compressions(t, s["cloudtrail"])["stdlib level 6"], compressions(t, s["runs"])["klauspost level 1"]
	both := append(append([]byte{}, a...), b...)
	z, err := NewReader(bytes.NewReader(both))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(z)
	if want := append(append([]byte{}, s["cloudtrail"]...), s["runs"]...); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("multistream: %d bytes, %v; want %d", len(got), err, len(want))
	}
	br := bufio.NewReader(bytes.NewReader(append(both, "trailing"...)))
	if err := z.Reset(br); err != nil {
		t.Fatal(err)
	}
	z.Multistream(false)
	got, err = io.ReadAll(z)
	if err != nil || !bytes.Equal(got, s["cloudtrail"]) {
		t.Fatalf("first member: %d bytes, %v", len(got), err)
	}
	if next, _ := br.Peek(2); !bytes.Equal(next, []byte{0x1f, 0x8b}) {
		t.Fatalf("after the first member the source is at %q, want the second member's magic", next)
	}
	if err := z.Reset(br); err != nil {
		t.Fatal(err)
	}
	z.Multistream(false)
	got, err = io.ReadAll(z)
	if err != nil || !bytes.Equal(got, s["runs"]) {
		t.Fatalf("second member: %d bytes, %v", len(got), err)
	}
	if rest, _ := io.ReadAll(br); string(rest) != "trailing" {
		t.Fatalf("after the second member the source holds %q, want the trailing bytes", rest)
	}
}

// onceErr is a source that fails once after its data, then says io.EOF:
// an error that reading ahead takes from a bufio.Reader, which returns it
// once.
type onceErr struct {
	data  []byte
	fired bool
}

var errBroke = errors.New("connection reset")

func (o *onceErr) Read(p []byte) (int, error) {
	if len(o.data) > 0 {
		n := copy(p, o.data)
		o.data = o.data[n:]
		return n, nil
	}
	if !o.fired {
		o.fired = true
		return 0, errBroke
	}
	return 0, io.EOF
}

// A source that breaks off after a member, or inside the next one, is an
// error, never the end of the stream; so is what follows a member in
// multistream mode when it is not a member.
func TestSourceErrorAfterAMember(t *testing.T) {
	gz := compressions(t, []byte(`{"Records":[]}`))["stdlib level 6"]
	two := append(bytes.Clone(gz), gz[:15]...)
	for _, tc := range []struct {
		name  string
		data  []byte
		multi bool
	}{
		{"after the member, one member at a time", gz, false},
		{"after the member", gz, true},
		{"inside the next member", two, true},
		{"after two members", append(bytes.Clone(gz), gz...), true},
		{"after two members, one member at a time", append(bytes.Clone(gz), gz...), false},
	} {
		z, err := NewReader(bufio.NewReader(&onceErr{data: tc.data}))
		if err != nil {
			t.Fatal(err)
		}
		z.Multistream(tc.multi)
		_, err = io.ReadAll(z)
		if !errors.Is(err, errBroke) {
			t.Errorf("%s: %v, want %v", tc.name, err, errBroke)
		}
	}
	for after, want := range map[string]error{"garbage": gzipmember.ErrTrailing, "\x1f": gzipmember.ErrTrailing, "\x1f\x8b\x08": io.ErrUnexpectedEOF} {
		z, err := NewReader(bytes.NewReader(append(bytes.Clone(gz), after...)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(z); !errors.Is(err, want) {
			t.Errorf("multistream, a member followed by %q: %v, want %v", after, err, want)
		}
	}
}

// WriteTo stops at a short write, as io.Copy's contract asks.
func TestWriteToShortWrite(t *testing.T) {
	z, err := NewReader(bytes.NewReader(compressions(t, []byte("hello, hello, hello"))["stdlib level 6"]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := z.WriteTo(shortWriter{}); err != io.ErrShortWrite {
		t.Errorf("WriteTo a writer that takes nothing: %v, want %v", err, io.ErrShortWrite)
	}
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return 0, nil }

// A stream cut short anywhere is io.ErrUnexpectedEOF (io.EOF when nothing
// is left at all), never data taken for whole.
func TestTruncated(t *testing.T) {
	s := samples(t)
	for _, enc := range []string{"stdlib level 6", "klauspost level 1", "stdlib level 0", "header fields", "header CRC-16"} {
		gz := compressions(t, s["cloudtrail"][:20000])[enc]
		for n := range len(gz) {
			z, err := NewReader(bytes.NewReader(gz[:n]))
			if err == nil {
				_, err = io.ReadAll(z)
			}
			if n == 0 && err == io.EOF {
				continue
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%s cut to %d of %d bytes: %v, want %v", enc, n, len(gz), err, io.ErrUnexpectedEOF)
			}
		}
	}
}

// Damaged streams fail as klauspost/compress's reader fails on them (or
// decode to what it decodes), and never panic.
func TestDamaged(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	s := samples(t)
	gzs := compressions(t, s["cloudtrail"][:30000])
	for i := 0; i < 3000; i++ {
		gz := bytes.Clone(gzs[[]string{"stdlib level 6", "klauspost level 1", "klauspost level -2", "stdlib level 0", "header CRC-16"}[i%5]])
		for range 1 + rng.Intn(3) {
			at := rng.Intn(len(gz))
			if i%3 == 0 {
				at = rng.Intn(24) // the header and the first block's
			}
			gz[at] ^= byte(1 + rng.Intn(255))
		}
		compare(t, gz)
	}
}

// A header with a reserved flag, another method than DEFLATE, or another
// magic is not a gzip header, as for klauspost/compress.
func TestBadHeader(t *testing.T) {
	gz := compressions(t, []byte("hello, hello"))["stdlib level 6"]
	for _, bad := range []struct{ at, xor byte }{{3, 0x20}, {3, 0x40}, {3, 0x80}, {2, 1}, {0, 1}, {1, 0x80}} {
		b := bytes.Clone(gz)
		b[bad.at] ^= bad.xor
		if _, err := NewReader(bytes.NewReader(b)); err != ErrHeader {
			t.Errorf("byte %d ^ %#x: %v, want %v", bad.at, bad.xor, err, ErrHeader)
		}
		compare(t, b)
	}
}

// compare decodes one member with both readers and fails the test when
// they disagree on whether it is valid, or on its content.
func compare(t *testing.T, gz []byte) {
	t.Helper()
	want, werr := firstMember(new(gzip.Reader), gz)
	got, gerr := firstMember(new(Reader), gz)
	if (werr == nil) != (gerr == nil) || werr == nil && !bytes.Equal(got, want) {
		t.Fatalf("%x:\nklauspost: %d bytes, %v\ngunzip:    %d bytes, %v", gz, len(want), werr, len(got), gerr)
	}
}

// firstMember decodes the first member of gz with d.
func firstMember(d interface {
	io.Reader
	Reset(io.Reader) error
	Multistream(bool)
}, gz []byte) ([]byte, error) {
	if err := d.Reset(bytes.NewReader(gz)); err != nil {
		return nil, err
	}
	d.Multistream(false)
	return io.ReadAll(d)
}

func FuzzReader(f *testing.F) {
	s := samples(f)
	for _, enc := range []string{"stdlib level 6", "klauspost level 1", "stdlib level 0", "klauspost level -2", "header fields", "header CRC-16"} {
		f.Add(compressions(f, s["cloudtrail"][:3000])[enc])
		f.Add(compressions(f, s["runs"][:3000])[enc])
	}
	f.Fuzz(func(t *testing.T, gz []byte) { compare(t, gz) })
}

// BenchmarkGunzip decodes the same files with this reader and with
// klauspost/compress's, reading 512 KiB at a time as the file source does.
func BenchmarkGunzip(b *testing.B) {
	data := samples(b)["3x the buffer"]
	gz := compressions(b, data)["stdlib level 6"]
	buf := make([]byte, 512<<10)
	run := func(b *testing.B, r interface {
		io.Reader
		Reset(io.Reader) error
	}) {
		b.SetBytes(int64(len(data)))
		br := bufio.NewReaderSize(nil, 64<<10)
		for b.Loop() {
			br.Reset(bytes.NewReader(gz))
			if err := r.Reset(br); err != nil {
				b.Fatal(err)
			}
			for {
				_, err := r.Read(buf)
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("gunzip", func(b *testing.B) { run(b, new(Reader)) })
	b.Run("klauspost", func(b *testing.B) { run(b, new(gzip.Reader)) })
	_ = flate.CorruptInputError(0)
}
