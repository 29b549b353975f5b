package sessions

import (
	"encoding/binary"
	"hash/maphash"
	"strings"
	"unsafe"

	"github.com/sentinel-check/sentinel-check/internal/uuidtext"
)

// strRef names a string kept in an arena in 4 bytes, where a string
// header takes 16: the chunk and offset of its encoding or, with bigRef
// set, its place among the strings kept alone. noStr is the empty string.
type strRef uint32

const (
	bigRef strRef = 1 << 31
	noStr  strRef = 1<<32 - 1

	arenaChunk = 64 << 10 // bytes of a chunk: an offset fits 16 bits
	maxChunks  = 1 << 15  // chunks a ref can name; past them strings are kept alone
)

// arena copies strings into shared chunks, so that a string costs its
// bytes (plus a length byte) and not an allocation rounded up to a size
// class and a 16-byte header. A broker's ids are UUIDs: one written in the
// canonical lower-case form is kept as its 16 bytes, not 36 characters.
// A chunk never grows past its capacity, so the bytes of the strings in
// it never move or change, and str returns them without a copy. The zero
// value is ready to use.
type arena struct {
	chunks [][]byte
	big    []string // strings longer than a chunk's eighth, and any past maxChunks
}

// add keeps s and returns its ref.
func (a *arena) add(s string) strRef {
	if s == "" {
		return noStr
	}
	if len(s) > arenaChunk/8 {
		return a.alone(s)
	}
	u, packed := uuidtext.Pack(s)
	size := 1 + 16
	if !packed {
		size = uvarintLen(uint64(len(s))<<1) + len(s)
	}
	last := len(a.chunks) - 1
	if last < 0 || cap(a.chunks[last])-len(a.chunks[last]) < size {
		if len(a.chunks) == maxChunks {
			return a.alone(s)
		}
		a.chunks = append(a.chunks, make([]byte, 0, arenaChunk))
		last++
	}
	c := a.chunks[last]
	off := len(c)
	if packed {
		c = append(c, 1) // the uvarint of length 0, flagged packed
		c = append(c, u[:]...)
	} else {
		c = binary.AppendUvarint(c, uint64(len(s))<<1)
		c = append(c, s...)
	}
	a.chunks[last] = c
	return strRef(last<<16 | off)
}

// uvarintLen is the length of x as a uvarint.
func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

func (a *arena) alone(s string) strRef {
	a.big = append(a.big, strings.Clone(s))
	return bigRef | strRef(len(a.big)-1)
}

// raw returns the bytes kept for r: the string itself, or a packed UUID's
// 16 bytes (packed true).
func (a *arena) raw(r strRef) (b []byte, packed bool) {
	c := a.chunks[r>>16]
	off := int(r & 0xffff)
	v, n := binary.Uvarint(c[off:])
	off += n
	if v&1 != 0 {
		return c[off : off+16], true
	}
	return c[off : off+int(v>>1)], false
}

// str returns the string r names: the arena's own bytes, without a copy,
// except for a packed UUID, whose text is made anew.
func (a *arena) str(r strRef) string {
	switch {
	case r == noStr:
		return ""
	case r&bigRef != 0:
		return a.big[r&^bigRef]
	}
	b, packed := a.raw(r)
	if packed {
		return string(uuidtext.Append(make([]byte, 0, uuidtext.Len), b))
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// eq reports whether r names s, without allocating.
func (a *arena) eq(r strRef, s string) bool {
	switch {
	case r == noStr:
		return s == ""
	case r&bigRef != 0:
		return a.big[r&^bigRef] == s
	}
	b, packed := a.raw(r)
	if !packed {
		return string(b) == s
	}
	u, ok := uuidtext.Pack(s)
	return ok && string(b) == string(u[:])
}

// hash hashes the string r names as refTable.find hashes a key: the
// maphash of its text.
func (a *arena) hash(seed maphash.Seed, r strRef) uint64 {
	var buf [uuidtext.Len]byte
	if r != noStr && r&bigRef == 0 {
		if b, packed := a.raw(r); packed {
			return maphash.Bytes(seed, uuidtext.Append(buf[:0], b))
		}
	}
	return maphash.String(seed, a.str(r))
}

// refTable is an open-addressing hash set of entry numbers keyed by a
// string the arena holds for each (see IndexBuilder and Index): 4 bytes a
// slot, where a map from string takes about 30 an entry.
type refTable struct {
	seed  maphash.Seed
	slots []int32 // -1: empty
	n     int
}

// find returns the entry of the table whose key (key(i) for entry i) is
// s, or -1.
func (t *refTable) find(s string, is func(int32, string) bool) int32 {
	if t.n == 0 {
		return -1
	}
	mask := uint64(len(t.slots) - 1)
	for h := maphash.String(t.seed, s) & mask; ; h = (h + 1) & mask {
		i := t.slots[h]
		if i < 0 {
			return -1
		}
		if is(i, s) {
			return i
		}
	}
}

// insert adds entry i, whose key is not in the table; hashOf hashes an
// entry's key (to place i, and the others when the table grows).
func (t *refTable) insert(i int32, hashOf func(int32) uint64) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow(max(16, 2*len(t.slots)), hashOf)
	}
	t.place(i, hashOf(i))
	t.n++
}

func (t *refTable) place(i int32, h uint64) {
	mask := uint64(len(t.slots) - 1)
	for h &= mask; t.slots[h] >= 0; h = (h + 1) & mask {
	}
	t.slots[h] = i
}

// grow makes the table size slots (a power of two) and places its entries
// again.
func (t *refTable) grow(size int, hashOf func(int32) uint64) {
	if t.slots == nil {
		t.seed = maphash.MakeSeed()
	}
	old := t.slots
	t.slots = make([]int32, size)
	for k := range t.slots {
		t.slots[k] = -1
	}
	for _, i := range old {
		if i >= 0 {
			t.place(i, hashOf(i))
		}
	}
}
