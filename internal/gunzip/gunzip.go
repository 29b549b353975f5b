// Package gunzip decompresses gzip streams (RFC 1952) whose members hold
// DEFLATE data (RFC 1951), for the log files the check reads: a Reader
// decodes one member at a time from a bufio.Reader, reading no byte past
// the member's end, as the gzip readers of the standard library and of
// klauspost/compress do.
//
// It is faster than those because of how it decodes: a 64-bit bit buffer
// refilled with one unaligned load, decoding tables that give a literal or
// a length with its extra bits in one lookup, two literals decoded per
// refill, and matches copied eight bytes at a time into an output buffer
// that keeps the 32 KiB window in front of what is decoded. Every member's
// CRC-32 and size are checked against its trailer, so a decoding error
// cannot go unnoticed: it is reported as corrupt data.
package gunzip

import (
	"bufio"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math/bits"
	"slices"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/sentinel-check/sentinel-check/internal/gzipmember"
)

// The errors a Reader returns besides its source's: a truncated stream is
// io.ErrUnexpectedEOF; a bad header gzip.ErrHeader; a member whose CRC-32
// or size differs from its trailer gzip.ErrChecksum; bad DEFLATE data a
// flate.CorruptInputError (the input offset is that of the read, not the
// exact byte). They are klauspost/compress's, so that callers tell them
// apart whichever reader they use.
var (
	ErrHeader   = gzip.ErrHeader
	ErrChecksum = gzip.ErrChecksum
)

const (
	windowSize = 32 << 10
	bufSize    = 512<<10 + windowSize
	// minRoom is the output space a symbol needs: the longest match (258
	// bytes) plus the 16 bytes a copy may write past its end.
	minRoom = 258 + 16

	llBits  = 11 // index bits of the literal/length table's first level
	dBits   = 8  // and of the distance table's
	maxCode = 15 // the longest DEFLATE code

	// A table entry: bits 0-3 the bits its lookup consumes, 4-7 the extra
	// bits that follow (or a subtable's index bits), 8-11 flags, 16-31 the
	// value (literal, length or distance base, subtable offset). An entry
	// that no code reaches, or whose symbol is not one, is 0: a new table
	// is cleared, not filled.
	fLit = 1 << 8  // a literal
	fEOB = 1 << 9  // the end of the block
	fSub = 1 << 10 // a subtable
	fLen = 1 << 11 // a length, or a distance
)

var (
	lenBase   = [29]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra  = [29]uint32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase  = [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra = [30]uint32{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	clOrder   = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

func llEntry(sym int) uint32 {
	switch {
	case sym < 256:
		return fLit | uint32(sym)<<16
	case sym == 256:
		return fEOB
	case sym < 286:
		return fLen | lenBase[sym-257]<<16 | lenExtra[sym-257]<<4
	}
	return 0 // 286 and 287 are not symbols
}

func dEntry(sym int) uint32 {
	if sym < 30 {
		return fLen | distBase[sym]<<16 | distExtra[sym]<<4
	}
	return 0 // 30 and 31 are not symbols
}

func clEntry(sym int) uint32 { return fLen | uint32(sym)<<16 }

// build makes the decoding table of a canonical Huffman code given by its
// code lengths, reusing table's memory: a first level of 1<<pbits entries
// indexed by the next pbits input bits, then a subtable per first-level
// entry that longer codes share. An over-subscribed code is an error, as
// is an incomplete one other than a single code of length 1 (what the
// standard library accepts); entries no code reaches are 0.
func build(lens []uint8, pbits uint, entry func(int) uint32, table []uint32) ([]uint32, error) {
	var count [maxCode + 1]int
	maxLen := 0
	for _, l := range lens {
		count[l]++
		maxLen = max(maxLen, int(l))
	}
	count[0] = 0
	var next [maxCode + 1]uint32
	left, code := 1, uint32(0)
	for l := 1; l <= maxCode; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return table, flate.CorruptInputError(0)
		}
		code = (code + uint32(count[l-1])) << 1
		next[l] = code
	}
	if left > 0 && maxLen != 0 && !(maxLen == 1 && count[1] == 1) {
		return table, flate.CorruptInputError(0)
	}
	size := 1 << pbits
	table = slices.Grow(table[:0], size)[:size]
	clear(table)
	subBits := uint(0)
	if maxLen > int(pbits) {
		subBits = uint(maxLen) - pbits
	}
	for sym, l := range lens {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		// The input holds codes most significant bit first, read from
		// the low end of the bit buffer: index by the reversed code.
		r := uint32(bits.Reverse16(uint16(c))) >> (16 - l)
		e := entry(sym)
		if e == 0 {
			continue // not a symbol: decoding it is an error
		}
		if uint(l) <= pbits {
			for i := r; i < uint32(size); i += 1 << l {
				table[i] = e | uint32(l)
			}
			continue
		}
		prefix := r & (1<<pbits - 1)
		st := int(table[prefix] >> 16)
		if table[prefix]&fSub == 0 {
			st = len(table)
			table = slices.Grow(table, 1<<subBits)[:st+1<<subBits]
			clear(table[st:])
			table[prefix] = fSub | uint32(st)<<16 | uint32(subBits)<<4 | uint32(pbits)
		}
		rest, ln := r>>pbits, uint32(l)-uint32(pbits)
		for i := rest; i < 1<<subBits; i += 1 << ln {
			table[st+int(i)] = e | ln
		}
	}
	return table, nil
}

var fixedLL, fixedD []uint32

func init() {
	var l [288]uint8
	for i := range l {
		switch {
		case i < 144:
			l[i] = 8
		case i < 256:
			l[i] = 9
		case i < 280:
			l[i] = 7
		default:
			l[i] = 8
		}
	}
	var err error
	if fixedLL, err = build(l[:], llBits, llEntry, nil); err != nil {
		panic(err)
	}
	// 32 codes of 5 bits, of which 30 and 31 are not symbols.
	var d [32]uint8
	for i := range d {
		d[i] = 5
	}
	if fixedD, err = build(d[:], dBits, dEntry, nil); err != nil {
		panic(err)
	}
}

type state uint8

const (
	stBlock   state = iota // a block header is next
	stStored               // inside a stored block
	stHuffman              // inside a Huffman-coded block
	stTrailer              // the last block ended: the trailer is next
	stDone                 // the member ended
)

// Reader decompresses a gzip stream. Reset starts it on a source; Read
// returns the member's data, then io.EOF at its end (or, in multistream
// mode, reads the members that follow). The zero value is ready for Reset.
type Reader struct {
	br    *bufio.Reader
	multi bool

	// buf[:w] is the output decoded so far that the window still needs,
	// buf[r:w] the part not read yet.
	buf  []byte
	r, w int

	// in[pos:] is the input not taken into the bit buffer yet: a view of
	// br's buffer, discarded from br as the bit buffer takes it.
	in    []byte
	pos   int
	eof   bool  // br has no more input
	inErr error // the error that ended br's input (io.EOF or the source's)

	// bitbuf holds bitsleft bits of input, least significant first; pad
	// of them (the top ones) are zeros added past the end of the input,
	// which a complete stream never reads.
	bitbuf   uint64
	bitsleft uint
	pad      uint

	st      state
	final   bool
	stored  int      // bytes left in the stored block
	ll, d   []uint32 // the block's tables
	dynLL   []uint32
	dynD    []uint32
	clTable []uint32
	lens    [286 + 30]uint8

	digest uint32 // CRC-32 of the member's output
	size   uint32 // its length, modulo 2^32
	err    error
}

// NewReader returns a Reader on r; see Reset.
func NewReader(r io.Reader) (*Reader, error) {
	z := new(Reader)
	if err := z.Reset(r); err != nil {
		return nil, err
	}
	return z, nil
}

// Reset reads the gzip header of the member that r starts with, and makes
// z read that member. r should be a *bufio.Reader: z then reads no byte
// of r past the member's end. Any other reader is wrapped in one. The
// error is the header's: io.EOF for an empty r, ErrHeader or the source's.
func (z *Reader) Reset(r io.Reader) error {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return z.start(br, nil)
}

// start reads a member's header from br; inErr is a source error that
// reading ahead took from br after what br holds (nil for a new stream).
func (z *Reader) start(br *bufio.Reader, inErr error) error {
	if z.buf == nil {
		z.buf = make([]byte, bufSize)
	}
	*z = Reader{br: br, multi: true, buf: z.buf, dynLL: z.dynLL, dynD: z.dynD, clTable: z.clTable}
	if inErr != nil {
		if br.Buffered() == 0 {
			z.err = inErr
			return inErr
		}
		// br holds the rest of the input, and the error ends it.
		z.in, _ = br.Peek(br.Buffered())
		z.eof, z.inErr = true, inErr
	}
	if _, err := br.Peek(1); err != nil {
		z.err = err // io.EOF: no member at all
		return err
	}
	z.err = z.header()
	z.sync()
	return z.err
}

// Multistream sets whether z reads the members that follow the first
// (true, the default: data after the last member that is not a member is
// gzipmember.ErrTrailing) or stops with io.EOF at the end of each member.
func (z *Reader) Multistream(ok bool) { z.multi = ok }

// Read reads decompressed data.
func (z *Reader) Read(p []byte) (int, error) {
	for {
		if z.r < z.w {
			n := copy(p, z.buf[z.r:z.w])
			z.r += n
			return n, nil
		}
		if z.err != nil || len(p) == 0 {
			return 0, z.err
		}
		if z.st == stDone {
			z.nextMember()
			continue
		}
		z.step()
	}
}

// WriteTo writes the decompressed data to w, from the output buffer
// itself (io.Copy uses it): the decompression alone, without a copy.
func (z *Reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if z.r < z.w {
			n, err := w.Write(z.buf[z.r:z.w])
			if err == nil && n < z.w-z.r {
				err = io.ErrShortWrite
			}
			z.r += n
			total += int64(n)
			if err != nil {
				return total, err
			}
			continue
		}
		if z.err != nil {
			if z.err == io.EOF {
				return total, nil
			}
			return total, z.err
		}
		if z.st == stDone {
			z.nextMember()
			continue
		}
		z.step()
	}
}

// nextMember starts the member that follows the one that ended, in
// multistream mode, or ends the stream with io.EOF.
func (z *Reader) nextMember() {
	if z.inErr != nil && z.inErr != io.EOF && (z.br.Buffered() == 0 || !z.multi) {
		// The source broke off after the member, or after what br holds:
		// reading ahead took its error from br, which gives an error once,
		// so it is returned here (one member at a time, no later Reset
		// would see it); what would have followed is unknown.
		z.err = z.inErr
		return
	}
	if !z.multi {
		z.err = io.EOF
		return
	}
	next, err := z.br.Peek(2)
	switch {
	case len(next) == 0 && err == io.EOF:
		z.err = io.EOF // the stream ends with the member
	case len(next) < 2 && err != nil && err != io.EOF:
		z.err = err // the source broke off
	case len(next) == 2 && next[0] == 0x1f && next[1] == 0x8b:
		inErr := z.inErr
		if inErr == io.EOF {
			inErr = nil
		}
		if err := z.start(z.br, inErr); err != nil {
			z.err = err
		}
	default:
		// Data after the last member: told apart from a member cut
		// short, which is an error of that member.
		z.err = gzipmember.ErrTrailing
	}
}

// step decodes what fits in the output buffer, checks the trailer at the
// member's end, and sets z.err on failure.
func (z *Reader) step() {
	if len(z.buf)-z.w < minRoom {
		// Keep the window, drop what was read before it.
		copy(z.buf, z.buf[z.w-windowSize:z.w])
		z.r, z.w = windowSize, windowSize
	}
	start := z.w
	err := z.decode()
	z.digest = crc32.Update(z.digest, crc32.IEEETable, z.buf[start:z.w])
	z.size += uint32(z.w - start)
	if err == nil && z.st == stTrailer {
		err = z.trailer()
	}
	z.sync()
	if err != nil {
		z.err = err
	}
}

// sync gives the whole bytes of the bit buffer back to the input and
// discards from br what the bit buffer took: br's position is then that
// of the next byte to read (the bit buffer keeps less than a byte).
func (z *Reader) sync() {
	real := uint(0)
	if z.bitsleft > z.pad {
		real = z.bitsleft - z.pad
	}
	z.pos -= int(real >> 3)
	z.bitsleft = real & 7
	z.bitbuf &= 1<<z.bitsleft - 1
	z.pad = 0
	if z.pos > 0 {
		_, _ = z.br.Discard(z.pos) // buffered: cannot fail
		z.in = z.in[z.pos:]
		z.pos = 0
	}
}

// more makes in[pos:] hold more input, unless br is at its end.
func (z *Reader) more() {
	if z.eof {
		return
	}
	z.sync()
	// Peek of the buffer's size fails only when the source ended.
	in, err := z.br.Peek(z.br.Size())
	if err != nil {
		z.eof, z.inErr = true, err
	}
	z.in, z.pos = in, 0
}

// need makes the bit buffer hold at least n (at most 56) bits, padding with
// zeros past the end of the input; it fails only on a source error.
func (z *Reader) need(n uint) error {
	for z.bitsleft < n {
		if z.pos >= len(z.in) {
			if !z.eof {
				z.more()
				continue
			}
			if z.inErr != io.EOF {
				return z.inErr
			}
			z.bitsleft += 8
			z.pad += 8
			continue
		}
		z.bitbuf |= uint64(z.in[z.pos]) << z.bitsleft
		z.pos++
		z.bitsleft += 8
	}
	return nil
}

// bits takes n bits (at most 32) from the input.
func (z *Reader) bits(n uint) (uint32, error) {
	if err := z.need(n); err != nil {
		return 0, err
	}
	v := uint32(z.bitbuf & (1<<n - 1))
	z.bitbuf >>= n
	z.bitsleft -= n
	if z.bitsleft < z.pad {
		return 0, io.ErrUnexpectedEOF
	}
	return v, nil
}

// header reads a member's gzip header (RFC 1952 2.3), checking its CRC-16
// when it has one.
func (z *Reader) header() error {
	var crc uint32
	var one [1]byte
	byteOf := func() (byte, error) {
		v, err := z.bits(8)
		one[0] = byte(v)
		crc = crc32.Update(crc, crc32.IEEETable, one[:])
		return one[0], err
	}
	var h [10]byte
	for i := range h {
		b, err := byteOf()
		if err != nil {
			return err
		}
		h[i] = b
	}
	if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 {
		return ErrHeader
	}
	flg := h[3]
	if flg&0xe0 != 0 {
		return ErrHeader // reserved flags (RFC 1952 2.3.1: must be zero)
	}
	if flg&0x04 != 0 { // FEXTRA
		lo, err := byteOf()
		if err != nil {
			return err
		}
		hi, err := byteOf()
		if err != nil {
			return err
		}
		for range int(lo) | int(hi)<<8 {
			if _, err := byteOf(); err != nil {
				return err
			}
		}
	}
	for _, f := range []byte{0x08, 0x10} { // FNAME, FCOMMENT: zero-terminated
		if flg&f == 0 {
			continue
		}
		for n := 0; ; n++ {
			b, err := byteOf()
			if err != nil {
				return err
			}
			if b == 0 {
				break
			}
			if n >= 511 {
				return ErrHeader // as compress/gzip: a name that long is not one
			}
		}
	}
	if flg&0x02 != 0 { // FHCRC
		want := crc & 0xffff
		lo, err := z.bits(8)
		if err != nil {
			return err
		}
		hi, err := z.bits(8)
		if err != nil {
			return err
		}
		if lo|hi<<8 != want {
			return ErrHeader
		}
	}
	z.st = stBlock
	return nil
}

// align drops the bits left of the input byte being read.
func (z *Reader) align() error {
	z.bitbuf >>= z.bitsleft & 7
	z.bitsleft -= z.bitsleft & 7
	if z.bitsleft < z.pad {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// trailer checks the member's CRC-32 and size (RFC 1952 2.3.1).
func (z *Reader) trailer() error {
	if err := z.align(); err != nil { // the rest of the last block's byte
		return err
	}
	crc, err := z.bits(32)
	if err != nil {
		return err
	}
	size, err := z.bits(32)
	if err != nil {
		return err
	}
	if crc != z.digest || size != z.size {
		return ErrChecksum
	}
	z.st = stDone
	return nil
}

// corrupt is the error of bad DEFLATE data.
func (z *Reader) corrupt() error { return flate.CorruptInputError(z.pos) }

// decode decodes blocks until the output buffer has less than minRoom
// bytes free, the last block ends, or an error.
func (z *Reader) decode() error {
	for len(z.buf)-z.w >= minRoom {
		switch z.st {
		case stBlock:
			if z.final {
				z.st = stTrailer
				return nil
			}
			if err := z.blockHeader(); err != nil {
				return err
			}
		case stStored:
			if err := z.copyStored(); err != nil {
				return err
			}
		case stHuffman:
			if err := z.huffman(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// blockHeader reads a block's header and, for a dynamic block, its code
// lengths (RFC 1951 3.2.3-3.2.7).
func (z *Reader) blockHeader() error {
	h, err := z.bits(3)
	if err != nil {
		return err
	}
	z.final = h&1 == 1
	switch h >> 1 {
	case 0:
		if err := z.align(); err != nil {
			return err
		}
		n, err := z.bits(16)
		if err != nil {
			return err
		}
		nn, err := z.bits(16)
		if err != nil {
			return err
		}
		if n != ^nn&0xffff {
			return z.corrupt()
		}
		z.stored, z.st = int(n), stStored
		return nil
	case 1:
		z.ll, z.d, z.st = fixedLL, fixedD, stHuffman
		return nil
	case 2:
		return z.dynamic()
	}
	return z.corrupt()
}

func (z *Reader) dynamic() error {
	v, err := z.bits(14)
	if err != nil {
		return err
	}
	nlit, ndist, nclen := int(v&31)+257, int(v>>5&31)+1, int(v>>10)+4
	if nlit > 286 || ndist > 30 {
		return z.corrupt()
	}
	var cl [19]uint8
	for i := range nclen {
		l, err := z.bits(3)
		if err != nil {
			return err
		}
		cl[clOrder[i]] = uint8(l)
	}
	if z.clTable, err = build(cl[:], 7, clEntry, z.clTable); err != nil {
		return z.corrupt()
	}
	lens := z.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if err := z.need(7); err != nil {
			return err
		}
		e := z.clTable[z.bitbuf&127]
		if e == 0 {
			return z.corrupt()
		}
		n := uint(e & 15)
		z.bitbuf >>= n
		z.bitsleft -= n
		if z.bitsleft < z.pad {
			return io.ErrUnexpectedEOF
		}
		sym := e >> 16
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		// 16 repeats the previous length 3-6 times, 17 and 18 repeat a
		// zero 3-10 and 11-138 times.
		var val uint8
		if sym == 16 {
			if i == 0 {
				return z.corrupt()
			}
			val = lens[i-1]
		}
		r, err := z.bits([...]uint{2, 3, 7}[sym-16])
		if err != nil {
			return err
		}
		rep := [...]int{3, 3, 11}[sym-16] + int(r)
		if i+rep > len(lens) {
			return z.corrupt()
		}
		for ; rep > 0; rep-- {
			lens[i] = val
			i++
		}
	}
	if lens[256] == 0 {
		return z.corrupt() // no end of block
	}
	if z.dynLL, err = build(lens[:nlit], llBits, llEntry, z.dynLL); err != nil {
		return z.corrupt()
	}
	if z.dynD, err = build(lens[nlit:], dBits, dEntry, z.dynD); err != nil {
		return z.corrupt()
	}
	z.ll, z.d, z.st = z.dynLL, z.dynD, stHuffman
	return nil
}

// copyStored copies a stored block's bytes (RFC 1951 3.2.4).
func (z *Reader) copyStored() error {
	for z.stored > 0 && len(z.buf)-z.w >= minRoom {
		// The header left the bit buffer byte-aligned: its whole bytes
		// come first.
		if z.bitsleft > z.pad {
			v, err := z.bits(8)
			if err != nil {
				return err
			}
			z.buf[z.w] = byte(v)
			z.w++
			z.stored--
			continue
		}
		if z.pos >= len(z.in) {
			if z.eof {
				if z.inErr != io.EOF {
					return z.inErr
				}
				return io.ErrUnexpectedEOF
			}
			z.more()
			continue
		}
		n := copy(z.buf[z.w:], z.in[z.pos:min(len(z.in), z.pos+z.stored)])
		z.w += n
		z.pos += n
		z.stored -= n
	}
	if z.stored == 0 {
		z.st = stBlock
	}
	return nil
}

// huffman decodes the symbols of a Huffman-coded block (RFC 1951 3.2.5)
// until the block ends or the output has less than minRoom bytes free.
// While 8 input bytes remain it refills the bit buffer with one load;
// near the end of the input it reads a byte at a time (slow).
func (z *Reader) huffman() error {
	ll, dt := z.ll, z.d
	buf := z.buf
	w := z.w
	bitbuf, bitsleft := z.bitbuf, z.bitsleft
	in, pos := z.in, z.pos
	var err error
	for {
		if w+minRoom > len(buf) {
			break
		}
		slow := false
		if pos+8 <= len(in) {
			bitbuf |= binary.LittleEndian.Uint64(in[pos:]) << bitsleft
			pos += int(63-bitsleft) >> 3
			bitsleft |= 56
		} else {
			// Fewer than 8 bytes of input: take what br has, or more
			// of it, a byte at a time.
			z.bitbuf, z.bitsleft, z.pos = bitbuf&(1<<bitsleft-1), bitsleft, pos
			if err = z.need(48); err != nil {
				break
			}
			bitbuf, bitsleft, in, pos = z.bitbuf, z.bitsleft, z.in, z.pos
			if z.pad == 0 && pos+8 <= len(in) {
				continue // more() brought more input
			}
			slow = true
		}
		e := ll[bitbuf&(1<<llBits-1)]
		if e&fSub != 0 {
			bitbuf >>= llBits
			bitsleft -= llBits
			e = ll[(e>>16)+uint32(bitbuf&(1<<(e>>4&15)-1))]
		}
		n := uint(e & 15)
		bitbuf >>= n
		bitsleft -= n
		if slow && bitsleft < z.pad {
			err = io.ErrUnexpectedEOF // the code ran past the input's end
			break
		}
		if e&fLit != 0 {
			buf[w] = byte(e >> 16)
			w++
			if !slow {
				// A second literal without a refill: 56 bits hold two
				// codes of at most 15 bits.
				e = ll[bitbuf&(1<<llBits-1)]
				if e&fLit != 0 {
					n = uint(e & 15)
					bitbuf >>= n
					bitsleft -= n
					buf[w] = byte(e >> 16)
					w++
				}
			}
			continue
		}
		if e&fLen == 0 {
			if e&fEOB == 0 {
				err = z.corrupt() // not a symbol
			} else {
				z.st = stBlock
			}
			break
		}
		x := uint(e >> 4 & 15)
		length := int(e>>16) + int(bitbuf&(1<<x-1))
		bitbuf >>= x
		bitsleft -= x
		e = dt[bitbuf&(1<<dBits-1)]
		if e&fSub != 0 {
			bitbuf >>= dBits
			bitsleft -= dBits
			e = dt[(e>>16)+uint32(bitbuf&(1<<(e>>4&15)-1))]
		}
		n = uint(e & 15)
		bitbuf >>= n
		bitsleft -= n
		x = uint(e >> 4 & 15)
		dist := int(e>>16) + int(bitbuf&(1<<x-1))
		bitbuf >>= x
		bitsleft -= x
		if slow && bitsleft < z.pad {
			err = io.ErrUnexpectedEOF
			break
		}
		if e&fLen == 0 {
			err = z.corrupt() // not a distance
			break
		}
		if dist > w {
			err = z.corrupt() // before the start of the member
			break
		}
		src := w - dist
		if dist >= 8 {
			// Eight bytes at a time: each word read was written before
			// (dist >= 8), and the copy may write up to 15 bytes past
			// its end, inside minRoom.
			binary.LittleEndian.PutUint64(buf[w:], binary.LittleEndian.Uint64(buf[src:]))
			binary.LittleEndian.PutUint64(buf[w+8:], binary.LittleEndian.Uint64(buf[src+8:]))
			if length > 16 {
				if length > 32 && dist >= length {
					copy(buf[w+16:w+length], buf[src+16:src+length])
				} else {
					for k := 16; k < length; k += 8 {
						binary.LittleEndian.PutUint64(buf[w+k:], binary.LittleEndian.Uint64(buf[src+k:]))
					}
				}
			}
		} else {
			for k := range length {
				buf[w+k] = buf[src+k]
			}
		}
		w += length
	}
	z.w = w
	z.bitbuf, z.bitsleft, z.in, z.pos = bitbuf&(1<<bitsleft-1), bitsleft, in, pos
	return err
}
