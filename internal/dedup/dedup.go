// Package dedup removes duplicates from a stream of records by a 16-byte
// key in bounded memory. Records are kept in memory up to a budget; past
// it they are sorted by key and written to a temporary file (a run; on
// systems other than Windows it is unlinked as soon as it is made, so
// that nothing is left behind whatever ends the process), and
// at the end the runs are merged: every record is given back once, in key
// order, saying whether an earlier record had its key. Memory stays near
// the budget whatever the number of records; the disk holds them all.
//
// It exists for the de-duplication of CloudTrail events by digest, whose
// set would otherwise grow with the trail (tens of millions of assume-role
// events over a month of an organisation's activity).
package dedup

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"unsafe"
)

// Key is a record's key. Records with equal keys are duplicates.
type Key [16]byte

// DefaultBudget is the memory a Set uses for records before it writes
// them to disk.
const DefaultBudget = 1 << 20

// fanIn is the number of runs merged into one: once fanIn runs of one
// size are written they become one run of the next size, so a record is
// written about log_fanIn(records / budget) times and the open files
// stay few.
const fanIn = 64

// While runs are merged, each is read through a buffer of mergeBuf bytes
// shared out among them, readBuf at most and minReadBuf at least: the
// memory of a merge stays the same whatever the number of runs (up to
// mergeBuf/minReadBuf of them).
const (
	mergeBuf   = 512 << 10
	readBuf    = 32 << 10
	minReadBuf = 4 << 10
)

// entry is a record held in memory: its key, its number among the
// records in memory, whether it is exempt from de-duplication, and where
// its bytes are in Set.buf.
type entry struct {
	key    Key
	seq    int32
	off, n int32
	uniq   bool
}

const entryCost = int(unsafe.Sizeof(entry{}))

// maxRecord bounds one record, and maxBudget the budget: the records in
// memory must fit an entry's int32 offsets.
const (
	maxRecord = 1 << 30
	maxBudget = 1 << 30
)

// run is a sorted run on disk: its records in key order, equal keys in
// the order they were added. level counts the merges that made it.
type run struct {
	f     *os.File
	name  string // "" once the file is unlinked (it goes when it is closed)
	size  int64
	n     int64
	level int
}

// Set de-duplicates records. Add records, then call Each once, then
// Close (which removes the temporary files; it may be called at any
// time). It is not safe for concurrent use.
type Set struct {
	dir    string // where the runs are written ("" = os.TempDir())
	budget int
	buf    []byte
	ents   []entry
	runs   []*run
	n      int64
	err    error // the first write error: the Set is unusable after it
	done   bool
}

// New returns a Set that keeps at most about budget bytes of records in
// memory (DefaultBudget when budget <= 0, at most 1 GiB) and writes the
// rest into temporary files in dir (os.TempDir() when dir is "").
func New(dir string, budget int) *Set {
	if budget <= 0 {
		budget = DefaultBudget
	}
	return &Set{dir: dir, budget: min(budget, maxBudget)}
}

// Len is the number of records added.
func (s *Set) Len() int64 { return s.n }

// Runs is the number of runs on disk (0 while every record fits the
// budget).
func (s *Set) Runs() int { return len(s.runs) }

// Levels is the highest number of merges a run on disk went through (0:
// none was merged).
func (s *Set) Levels() int {
	l := 0
	for _, r := range s.runs {
		l = max(l, r.level)
	}
	return l
}

// Add adds a record with key k; uniq records are never duplicates, nor do
// they make another record one. rec is copied. When the records in memory
// are written, ctx can stop the merges that may follow (its error is then
// returned, and the Set is unusable).
func (s *Set) Add(ctx context.Context, k Key, uniq bool, rec []byte) error {
	switch {
	case s.err != nil:
		return s.err
	case s.done:
		return errors.New("dedup: Add after Each")
	case len(rec) > maxRecord:
		return fmt.Errorf("dedup: a record of %d bytes is larger than the limit of %d", len(rec), maxRecord)
	}
	if len(s.ents) > 0 && len(s.buf)+len(rec)+(len(s.ents)+1)*entryCost > s.budget {
		if err := s.spill(ctx); err != nil {
			s.err = err
			return err
		}
	}
	s.ents = append(s.ents, entry{key: k, seq: int32(len(s.ents)), off: int32(len(s.buf)), n: int32(len(rec)), uniq: uniq})
	s.buf = append(s.buf, rec...)
	s.n++
	return nil
}

// cmpEntry orders entries by key, then in the order they were added.
func cmpEntry(a, b entry) int {
	if c := bytes.Compare(a.key[:], b.key[:]); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// spill writes the records in memory as a run, then merges the last
// fanIn runs while they have the same level.
func (s *Set) spill(ctx context.Context) error {
	slices.SortFunc(s.ents, cmpEntry)
	w, err := s.newRun()
	if err != nil {
		return err
	}
	for _, e := range s.ents {
		if err := w.write(e.key, e.uniq, s.buf[e.off:e.off+e.n]); err != nil {
			return w.fail(err)
		}
	}
	r, err := w.finish()
	if err != nil {
		return err
	}
	s.runs = append(s.runs, r)
	s.ents, s.buf = s.ents[:0], s.buf[:0]
	for len(s.runs) >= fanIn {
		last := s.runs[len(s.runs)-fanIn:]
		if last[0].level != last[len(last)-1].level {
			break // levels only fall along the list: not fanIn of one level
		}
		m, err := s.merge(ctx, last)
		if err != nil {
			return err
		}
		s.runs = append(s.runs[:len(s.runs)-fanIn], m)
	}
	return nil
}

// unlinkEarly is whether a run's file is unlinked as soon as it is made
// (Windows cannot remove an open file; tests turn it off to see that Close
// removes the files).
var unlinkEarly = runtime.GOOS != "windows"

// runWriter writes a run, counting its records.
type runWriter struct {
	r *run
	w *bufio.Writer
	n int64
}

// newRun creates an empty run. Where the system allows it the file is
// unlinked at once, so that nothing is left behind whatever ends the
// process.
func (s *Set) newRun() (*runWriter, error) {
	f, err := os.CreateTemp(s.dir, "sentinel-check-*.run")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary file: %w", err)
	}
	r := &run{f: f, name: f.Name()}
	if unlinkEarly && os.Remove(r.name) == nil {
		r.name = ""
	}
	return &runWriter{r: r, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// finish flushes the run and returns it, with its size and records.
func (w *runWriter) finish() (*run, error) {
	if err := w.w.Flush(); err != nil {
		return nil, w.fail(err)
	}
	size, err := w.r.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, w.fail(err)
	}
	w.r.size, w.r.n = size, w.n
	return w.r, nil
}

// fail closes and removes a run that could not be written.
func (w *runWriter) fail(err error) error {
	w.r.close()
	return fmt.Errorf("writing a temporary file: %w", err)
}

func (r *run) close() {
	r.f.Close()
	if r.name != "" {
		os.Remove(r.name)
	}
}

// write writes a record as its key, a flag byte (1: uniq), its length as
// a uvarint, and its bytes.
func (rw *runWriter) write(k Key, uniq bool, rec []byte) error {
	rw.n++
	w := rw.w
	var hdr [len(Key{}) + 1 + binary.MaxVarintLen64]byte
	copy(hdr[:], k[:])
	if uniq {
		hdr[len(k)] = 1
	}
	n := binary.PutUvarint(hdr[len(k)+1:], uint64(len(rec)))
	if _, err := w.Write(hdr[:len(k)+1+n]); err != nil {
		return err
	}
	_, err := w.Write(rec)
	return err
}

// merge merges runs (consecutive in the list, so in the order their
// records were added) into one run of the next level, and closes them.
func (s *Set) merge(ctx context.Context, runs []*run) (*run, error) {
	w, err := s.newRun()
	if err != nil {
		return nil, err
	}
	if err := s.mergeInto(ctx, runs, nil, w.write); err != nil {
		w.r.close()
		return nil, err
	}
	m, err := w.finish()
	if err != nil {
		return nil, err
	}
	m.level = runs[0].level + 1
	for _, r := range runs {
		r.close()
	}
	return m, nil
}

// source is one input of a merge: a run being read, or the records in
// memory (sorted).
type source struct {
	idx  int // the order of the input: earlier inputs hold earlier records
	r    *bufio.Reader
	left int64 // records not read yet
	mem  []entry
	buf  []byte // of mem: Set.buf

	key  Key
	uniq bool
	rec  []byte
}

// next reads the source's next record into key, uniq and rec; false at
// its end.
func (src *source) next() (bool, error) {
	if src.r == nil {
		if len(src.mem) == 0 {
			return false, nil
		}
		e := src.mem[0]
		src.mem = src.mem[1:]
		src.key, src.uniq, src.rec = e.key, e.uniq, src.buf[e.off:e.off+e.n]
		return true, nil
	}
	if src.left == 0 {
		return false, nil
	}
	src.left--
	var hdr [len(Key{}) + 1]byte
	if _, err := io.ReadFull(src.r, hdr[:]); err != nil {
		return false, src.cut(err)
	}
	copy(src.key[:], hdr[:])
	src.uniq = hdr[len(Key{})] == 1
	n, err := binary.ReadUvarint(src.r)
	if err != nil {
		return false, src.cut(err)
	}
	if n > maxRecord {
		return false, fmt.Errorf("a temporary file holds a record of %d bytes, more than was written: it was changed while it was read", n)
	}
	if uint64(cap(src.rec)) < n {
		src.rec = make([]byte, n)
	}
	src.rec = src.rec[:n]
	if _, err := io.ReadFull(src.r, src.rec); err != nil {
		return false, src.cut(err)
	}
	return true, nil
}

func (src *source) cut(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading a temporary file: %w (it was changed or cut while it was read)", err)
}

// readBufSize is the buffer of each of n runs merged together.
func readBufSize(n int) int {
	return max(minReadBuf, min(readBuf, mergeBuf/max(n, 1)))
}

// sources is a min-heap of sources by their current key, then input order.
type sources []*source

func (h sources) Len() int { return len(h) }
func (h sources) Less(i, j int) bool {
	if c := bytes.Compare(h[i].key[:], h[j].key[:]); c != 0 {
		return c < 0
	}
	return h[i].idx < h[j].idx
}
func (h sources) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *sources) Push(x any)   { *h = append(*h, x.(*source)) }
func (h *sources) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergeInto gives fn the records of runs, then of mem, in key order;
// records with equal keys in the order they were added. It stops with
// ctx's error once ctx is done.
func (s *Set) mergeInto(ctx context.Context, runs []*run, mem []entry, fn func(k Key, uniq bool, rec []byte) error) error {
	h := make(sources, 0, len(runs)+1)
	size := readBufSize(len(runs))
	for i, r := range runs {
		src := &source{idx: i, r: bufio.NewReaderSize(io.NewSectionReader(r.f, 0, r.size), size), left: r.n}
		ok, err := src.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, src)
		}
	}
	if len(mem) > 0 {
		src := &source{idx: len(runs), mem: mem, buf: s.buf}
		if ok, _ := src.next(); ok {
			h = append(h, src)
		}
	}
	heap.Init(&h)
	for n := 0; len(h) > 0; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		src := h[0]
		if err := fn(src.key, src.uniq, src.rec); err != nil {
			return err
		}
		ok, err := src.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// Each gives fn every record added, in key order, with dup true when an
// earlier record (in that order: records with equal keys come in the
// order they were added) had its key; uniq records are never dup. rec is
// only valid during the call. Each may be called once; it stops at fn's
// first error and returns it, or with ctx's error once ctx is done.
func (s *Set) Each(ctx context.Context, fn func(rec []byte, dup bool) error) error {
	if s.err != nil {
		return s.err
	}
	if s.done {
		return errors.New("dedup: Each called twice")
	}
	s.done = true
	slices.SortFunc(s.ents, cmpEntry)
	var last Key
	have := false
	return s.mergeInto(ctx, s.runs, s.ents, func(k Key, uniq bool, rec []byte) error {
		if uniq {
			return fn(rec, false)
		}
		dup := have && k == last
		last, have = k, true
		return fn(rec, dup)
	})
}

// Close removes the temporary files. It may be called more than once,
// and before Each: the records are then dropped, and Add and Each fail
// (they never see an empty set in place of the records dropped).
func (s *Set) Close() {
	for _, r := range s.runs {
		r.close()
	}
	s.runs = nil
	s.ents, s.buf = nil, nil
	if s.err == nil {
		s.err = errClosed
	}
}

// errClosed is the error of Add and Each after Close.
var errClosed = errors.New("dedup: the set was closed, and its records dropped")
