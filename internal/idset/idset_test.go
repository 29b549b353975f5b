package idset

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/rand"
	"runtime"
	"testing"
)

func key(i uint64) Key {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], i)
	sum := sha256.Sum256(b[:])
	return Key(sum[:16])
}

// The set agrees with a map through every split, with keys added again.
func TestSetMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var s Set
	want := map[Key]bool{}
	for i := 0; i < 200000; i++ {
		k := key(uint64(rng.Intn(150000))) // about a quarter are repeats
		if got, isNew := s.Add(k), !want[k]; got != isNew {
			t.Fatalf("Add #%d: got new=%v, want %v", i, got, isNew)
		}
		want[k] = true
	}
	if s.Len() != len(want) {
		t.Fatalf("Len %d, want %d", s.Len(), len(want))
	}
	for i := uint64(0); i < 160000; i++ {
		if got := s.Has(key(i)); got != want[key(i)] {
			t.Fatalf("Has(key(%d)) = %v, want %v", i, got, want[key(i)])
		}
	}
	if s.bits < 10 {
		t.Fatalf("%d keys in %d buckets: the buckets did not split", s.Len(), 1<<s.bits)
	}
	for j, b := range s.buckets {
		for i := range b {
			if s.index(b[i]) != uint(j) || i > 0 && compare(b[i-1], b[i]) >= 0 {
				t.Fatalf("bucket %d is not sorted or holds a key of bucket %d", j, s.index(b[i]))
			}
		}
	}
}

// Keys that differ only in their last byte, or only in their first.
func TestSetNearKeys(t *testing.T) {
	var s Set
	var a, b Key
	b[15] = 1
	if !s.Add(a) || !s.Add(b) || s.Add(a) || s.Add(b) || s.Len() != 2 {
		t.Fatal("keys that differ in the last byte are not told apart")
	}
	var c Key
	c[0] = 0x80
	if s.Has(c) || !s.Add(c) || !s.Has(c) {
		t.Fatal("a key that differs in the first bit is not told apart")
	}
	var empty Set
	if empty.Has(a) || empty.Len() != 0 {
		t.Fatal("the zero Set is not empty")
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkAdd reports the time of an Add and the bytes a key holds once
// added, against a map of [16]byte keys.
func BenchmarkAdd(b *testing.B) {
	const n = 140000 // the assume-role events of the 4x benchmark trail
	keys := make([]Key, n)
	for i := range keys {
		keys[i] = key(uint64(i))
	}
	b.Run("idset", func(b *testing.B) {
		var perKey float64
		for b.Loop() {
			before := liveHeap()
			var s Set
			for _, k := range keys {
				s.Add(k)
			}
			perKey = float64(liveHeap()-before) / n
			runtime.KeepAlive(&s)
		}
		b.ReportMetric(perKey, "B/key")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/add")
	})
	b.Run("map", func(b *testing.B) {
		var perKey float64
		for b.Loop() {
			before := liveHeap()
			m := map[Key]struct{}{}
			for _, k := range keys {
				m[k] = struct{}{}
			}
			perKey = float64(liveHeap()-before) / n
			runtime.KeepAlive(m)
		}
		b.ReportMetric(perKey, "B/key")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/add")
	})
}

// compare is the byte order of the keys.
func TestCompareIsByteOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 100000; i++ {
		var a, b Key
		rng.Read(a[:])
		b = a
		switch rng.Intn(3) {
		case 0:
			b[rng.Intn(16)] ^= byte(1 << rng.Intn(8))
		case 1:
			rng.Read(b[:])
		}
		if got, want := compare(a, b), bytes.Compare(a[:], b[:]); got != want {
			t.Fatalf("compare(%x, %x) = %d, want %d", a, b, got, want)
		}
	}
}
