package dedup

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

var ctx = context.Background()

type rec struct {
	key  Key
	uniq bool
	body []byte
}

type got struct {
	body string
	dup  bool
}

// want is what Each must give: the records stably sorted by key, each
// non-uniq one a dup when an earlier non-uniq one had its key.
func want(recs []rec) []got {
	s := slices.Clone(recs)
	slices.SortStableFunc(s, func(a, b rec) int { return bytes.Compare(a.key[:], b.key[:]) })
	var out []got
	seen := map[Key]bool{}
	for _, r := range s {
		dup := !r.uniq && seen[r.key]
		if !r.uniq {
			seen[r.key] = true
		}
		out = append(out, got{string(r.body), dup})
	}
	return out
}

func each(t *testing.T, s *Set) []got {
	t.Helper()
	var out []got
	if err := s.Each(ctx, func(b []byte, dup bool) error {
		out = append(out, got{string(b), dup})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// Records with few distinct keys (so many duplicates), some uniq, of
// random sizes, through budgets from one that holds everything to one
// that writes a run every record or two (thousands of runs: merges of
// merges).
func TestEachMatchesSort(t *testing.T) {
	for _, tc := range []struct {
		n, keys, budget int
		wantRuns        bool
	}{
		{0, 1, 1 << 20, false},
		{1, 1, 1 << 20, false},
		{2000, 50, 1 << 20, false},
		{2000, 50, 4096, true},
		{2000, 3000, 4096, true},
		{9000, 700, 120, true}, // ~1 record a run: two levels of merges
		{300, 1, 200, true},
	} {
		t.Run(fmt.Sprintf("n%d-keys%d-budget%d", tc.n, tc.keys, tc.budget), func(t *testing.T) {
			// Keep the files' names, as on Windows, so that the folder
			// shows whether Close removed them.
			unlinkEarly = false
			defer func() { unlinkEarly = runtime.GOOS != "windows" }()
			rng := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.budget)))
			dir := t.TempDir()
			s := New(dir, tc.budget)
			defer s.Close()
			var recs []rec
			for i := range tc.n {
				var k Key
				binary.BigEndian.PutUint64(k[:8], uint64(rng.IntN(tc.keys))*0x9e3779b97f4a7c15)
				r := rec{key: k, uniq: rng.IntN(10) == 0, body: fmt.Appendf(nil, "%d:%s", i, strings.Repeat("x", rng.IntN(60)))}
				if rng.IntN(8) == 0 {
					r.body = nil // an empty record shares its offset with the next
				}
				recs = append(recs, r)
				if err := s.Add(ctx, r.key, r.uniq, r.body); err != nil {
					t.Fatal(err)
				}
			}
			if (s.Runs() > 0) != tc.wantRuns {
				t.Errorf("%d runs on disk, want some: %v", s.Runs(), tc.wantRuns)
			}
			if tc.n == 9000 {
				if levels := s.Levels(); levels < 2 {
					t.Errorf("highest run level %d, want merges of merges (2)", levels)
				}
				if len(s.runs) > 3*fanIn {
					t.Errorf("%d runs open, want at most %d", len(s.runs), 3*fanIn)
				}
			}
			if s.Len() != int64(tc.n) {
				t.Errorf("Len %d, want %d", s.Len(), tc.n)
			}
			g, w := each(t, s), want(recs)
			if !slices.Equal(g, w) {
				t.Fatalf("Each gave %d records, want %d; first difference at %d", len(g), len(w), firstDiff(g, w))
			}
			if files, _ := os.ReadDir(dir); len(files) != s.Runs() {
				t.Errorf("%d files in the folder for %d runs", len(files), s.Runs())
			}
			s.Close()
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("Close left %d entries in the temporary folder", len(left))
			}
		})
	}
}

func firstDiff(a, b []got) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// Records that fit the budget never touch the disk: no file is made (the
// folder given does not even exist).
func TestNoDiskWithinBudget(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "missing"), 1<<20)
	defer s.Close()
	for i := range 100 {
		if err := s.Add(ctx, Key{byte(i % 7)}, false, []byte("event")); err != nil {
			t.Fatal(err)
		}
	}
	g := each(t, s)
	dups := 0
	for _, r := range g {
		if r.dup {
			dups++
		}
	}
	if len(g) != 100 || dups != 93 {
		t.Errorf("%d records, %d dups; want 100, 93", len(g), dups)
	}
}

// A closed set has dropped its records: Each and Add fail instead of
// giving none, in memory and with runs on disk alike.
func TestClosed(t *testing.T) {
	for _, budget := range []int{1 << 20, 1} {
		s := New(t.TempDir(), budget)
		for i := range 10 {
			if err := s.Add(ctx, Key{byte(i)}, false, []byte("event")); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		n := 0
		if err := s.Each(ctx, func([]byte, bool) error { n++; return nil }); err == nil || n != 0 {
			t.Errorf("budget %d: Each after Close gave %d records and error %v, want an error", budget, n, err)
		}
		if err := s.Add(ctx, Key{1}, false, []byte("event")); err == nil {
			t.Errorf("budget %d: Add after Close succeeded", budget)
		}
		s.Close() // again: no panic
	}
}

// A folder that cannot be written fails Add with the error, and every
// later call with the same one.
func TestUnwritableFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	s := New(dir, 64)
	defer s.Close()
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		err = s.Add(ctx, Key{byte(i)}, false, []byte(strings.Repeat("e", 40)))
	}
	if err == nil || !strings.Contains(err.Error(), "creating a temporary file") || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("Add into a missing folder: %v, want the folder's error", err)
	}
	if err2 := s.Add(ctx, Key{1}, false, nil); err2 != err {
		t.Errorf("the next Add: %v, want the same error", err2)
	}
	if err2 := s.Each(ctx, func([]byte, bool) error { return nil }); err2 != err {
		t.Errorf("Each: %v, want the same error", err2)
	}
}

// A cancelled context stops Each, and the merges of Add.
func TestCancel(t *testing.T) {
	c, cancel := context.WithCancel(ctx)
	s := New(t.TempDir(), 100)
	defer s.Close()
	for i := range 20 {
		if err := s.Add(c, Key{byte(i)}, false, []byte(strings.Repeat("r", 30))); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	calls := 0
	err := s.Each(c, func([]byte, bool) error { calls++; return nil })
	if err != context.Canceled || calls != 0 {
		t.Fatalf("Each after cancel: %v after %d records, want context.Canceled at once", err, calls)
	}
	s2 := New(t.TempDir(), 100)
	defer s2.Close()
	for i := 0; err == nil && i < 64*4; i++ {
		err = s2.Add(c, Key{byte(i)}, false, []byte(strings.Repeat("r", 30)))
	}
	if err != context.Canceled {
		t.Fatalf("Add past 64 runs after cancel: %v, want context.Canceled from the merge", err)
	}
}

// A run changed on disk while it is read is an error, not a short list.
func TestCutRun(t *testing.T) {
	s := New(t.TempDir(), 100)
	defer s.Close()
	for i := range 20 {
		if err := s.Add(ctx, Key{byte(i)}, false, []byte(strings.Repeat("r", 30))); err != nil {
			t.Fatal(err)
		}
	}
	if s.Runs() == 0 {
		t.Fatal("no run written")
	}
	if err := s.runs[0].f.Truncate(s.runs[0].size - 5); err != nil {
		t.Fatal(err)
	}
	err := s.Each(ctx, func([]byte, bool) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "cut") {
		t.Fatalf("Each over a cut run: %v, want an error", err)
	}
}

func BenchmarkAddEach(b *testing.B) {
	body := []byte(strings.Repeat("e", 400))
	for _, budget := range []int{64 << 20, DefaultBudget} {
		b.Run(fmt.Sprintf("budget%dMiB", budget>>20), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			s := New(b.TempDir(), budget)
			defer s.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			for range b.N {
				var k Key
				binary.LittleEndian.PutUint64(k[:], rng.Uint64())
				if err := s.Add(ctx, k, false, body); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.Each(ctx, func([]byte, bool) error { return nil }); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// Merging many runs takes no more memory than merging a few: the read
// buffers share mergeBuf. Each allocates its buffers once, so the bytes it
// allocates bound them.
func TestMergeMemoryFlat(t *testing.T) {
	for _, runs := range []int{8, 60} {
		t.Run(fmt.Sprint(runs, " runs"), func(t *testing.T) {
			const budget = 4 << 10
			s := New(t.TempDir(), budget)
			defer s.Close()
			body := bytes.Repeat([]byte("e"), 100)
			for i := 0; s.Runs() < runs; i++ {
				var k Key
				binary.BigEndian.PutUint64(k[:], uint64(i*7919%100003))
				if err := s.Add(ctx, k, false, body); err != nil {
					t.Fatal(err)
				}
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			n := 0
			if err := s.Each(ctx, func([]byte, bool) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			if n != int(s.Len()) {
				t.Fatalf("Each gave %d records of %d", n, s.Len())
			}
			if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(mergeBuf+192<<10); got > limit {
				t.Errorf("merging %d runs allocated %d bytes; want at most %d", s.Runs(), got, limit)
			}
		})
	}
}
