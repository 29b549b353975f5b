// Package idset holds a set of 16-byte digests in about 19 bytes a digest,
// against some 34 in a Go map of [16]byte keys. It exists for the
// de-duplication of CloudTrail events by id, whose set is the part of a
// check's memory that grows with the trail.
package idset

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sort"
)

// Key is a digest. Keys must be spread uniformly, and out of the reach of
// whoever supplies the data they digest (such as the leading bytes of a
// SHA-256 sum over a secret random salt and the data): their leading bits
// choose their bucket, and keys made to share them would make one bucket
// hold them all, with inserts that copy the whole bucket.
type Key [16]byte

// Buckets hold this many keys on average before they split in two.
const maxAvg = 48

// Set is a set of keys: 2^bits buckets, each a sorted slice of the keys
// whose leading bits are its number. A bucket grows by an eighth at a time,
// and when the buckets hold more than maxAvg keys on average each one splits
// by the next bit, which keeps inserts (a binary search and a short copy)
// cheap at any size. The zero value is an empty set; it is not safe for
// concurrent use.
type Set struct {
	bits    uint
	buckets [][]Key
	n       int
}

// Len is the number of keys in the set.
func (s *Set) Len() int { return s.n }

// Add adds k and reports whether it was new.
func (s *Set) Add(k Key) bool {
	if s.buckets == nil {
		s.bits = 4
		s.buckets = make([][]Key, 1<<s.bits)
	}
	b := &s.buckets[s.index(k)]
	i, found := slices.BinarySearchFunc(*b, k, compare)
	if found {
		return false
	}
	if len(*b) == cap(*b) {
		*b = clone(*b)
	}
	*b = slices.Insert(*b, i, k)
	s.n++
	if s.n > maxAvg<<s.bits {
		s.split()
	}
	return true
}

// Has reports whether k is in the set.
func (s *Set) Has(k Key) bool {
	if s.buckets == nil {
		return false
	}
	_, found := slices.BinarySearchFunc(s.buckets[s.index(k)], k, compare)
	return found
}

// compare orders keys as big-endian numbers, which is their byte order.
func compare(a, b Key) int {
	if c := cmp.Compare(binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])); c != 0 {
		return c
	}
	return cmp.Compare(binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]))
}

// index is the bucket of k: its leading bits.
func (s *Set) index(k Key) uint {
	return uint(binary.BigEndian.Uint64(k[:8]) >> (64 - s.bits))
}

// split doubles the buckets: bucket j becomes 2j (its keys whose next bit
// is 0) and 2j+1. A bucket is sorted, so that bit splits it at one point;
// each half gets its own array so that the old one can be freed.
func (s *Set) split() {
	bit := 63 - s.bits // the next bit, counted from the right of the leading 64
	nb := make([][]Key, 2*len(s.buckets))
	for j, b := range s.buckets {
		p := sort.Search(len(b), func(i int) bool {
			return binary.BigEndian.Uint64(b[i][:8])>>bit&1 == 1
		})
		nb[2*j] = clone(b[:p])
		nb[2*j+1] = clone(b[p:])
		s.buckets[j] = nil
	}
	s.buckets = nb
	s.bits++
}

// clone copies b into a new array with room for an eighth more keys (and
// what the allocator's size class adds). slices.Grow would double a small
// slice.
func clone(b []Key) []Key {
	if len(b) == 0 {
		return nil
	}
	return append(slices.Grow([]Key(nil), len(b)+len(b)/8+2), b...)
}
