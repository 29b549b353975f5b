// Package heapgoal keeps the garbage collector's headroom near a fixed size
// instead of a multiple of the live heap.
//
// By default (GOGC=100) the collector lets the heap grow to twice what
// survived the last cycle. What survives a check is mostly its join state
// (a digest per assume-role event, the session index), which only grows;
// what is allocated and dropped between cycles (decoded records, buffers)
// does not depend on the size of the trail. Doubling the join state gives
// the collector room it never needs, so peak memory would grow twice as
// fast as the state. Tune lowers GOGC as the live heap grows so that the
// headroom stays near a fixed number of bytes, never below a floor
// percentage that bounds the collector's CPU cost.
package heapgoal

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Defaults of Tune.
const (
	DefaultHeadroom   = 8 << 20 // bytes the heap may grow past the live heap
	DefaultMinPercent = 25      // the lowest GOGC set
)

// Percent returns the GOGC that gives a live heap of live bytes a headroom
// of headroom bytes: 100 (the default) while live is at most headroom,
// less above it, never below minPercent.
func Percent(live, headroom uint64, minPercent int) int {
	if live <= headroom {
		return 100
	}
	p := int(headroom * 100 / live)
	return max(p, minPercent)
}

// Tune sets GOGC after every collection to Percent of the live heap it
// left, until the returned stop is called (which restores the GOGC in
// effect before). It does nothing when the GOGC environment variable is
// set: the user chose the trade-off. It is meant for a command's main,
// not for a library: the setting is process-wide.
func Tune(headroom uint64, minPercent int) (stop func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	t := &tuner{headroom: headroom, min: minPercent, last: -1}
	t.sample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	gogc := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(gogc)
	prev := int(gogc[0].Value.Uint64())
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.stopped {
			t.stopped = true
			debug.SetGCPercent(prev)
		}
	}
}

type tuner struct {
	headroom uint64
	min      int
	last     int
	sample   []metrics.Sample
	mu       sync.Mutex // stop against after
	stopped  bool
}

// arm runs after the next collection: a cleanup runs once its object is
// found unreachable, which a collection does.
func (t *tuner) arm() {
	runtime.AddCleanup(new(marker), func(t *tuner) { t.after() }, t)
}

// marker is what arm lets become garbage; its pointer keeps it out of the
// allocator's tiny blocks, which could delay its cleanup.
type marker struct{ _ *marker }

// after runs on the runtime's cleanup goroutine after a collection.
func (t *tuner) after() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	metrics.Read(t.sample)
	if v := t.sample[0].Value; v.Kind() == metrics.KindUint64 {
		if p := Percent(v.Uint64(), t.headroom, t.min); p != t.last {
			debug.SetGCPercent(p)
			t.last = p
		}
	}
	t.arm()
}
