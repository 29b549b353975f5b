package heapgoal

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		live, headroom uint64
		min, want      int
	}{
		{0, 8 * mb, 25, 100},
		{8 * mb, 8 * mb, 25, 100},  // up to the headroom: the default
		{16 * mb, 8 * mb, 25, 50},  // twice the headroom: half
		{20 * mb, 8 * mb, 25, 40},  // 8 MiB past 20 MiB
		{32 * mb, 8 * mb, 25, 25},  // the floor reached
		{500 * mb, 8 * mb, 25, 25}, // never below it
		{500 * mb, 8 * mb, 10, 10},
	} {
		if got := Percent(tc.live, tc.headroom, tc.min); got != tc.want {
			t.Errorf("Percent(%d MiB, %d MiB, %d) = %d, want %d", tc.live/mb, tc.headroom/mb, tc.min, got, tc.want)
		}
	}
}

func gogc() int64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// A live heap of 48 MiB with 16 MiB of headroom: GOGC becomes 33 after the
// next collection, and stop restores it.
func TestTuneSetsGOGCAfterACollection(t *testing.T) {
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	before := gogc()
	live := make([][]byte, 48)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	stop := Tune(16<<20, 25)
	defer stop()
	want := int64(Percent(48<<20, 16<<20, 25)) // 33
	deadline := time.Now().Add(10 * time.Second)
	for gogc() != want {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d after collections, want %d", gogc(), want)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	runtime.KeepAlive(live)
	stop()
	if got := gogc(); got != before {
		t.Errorf("after stop GOGC is %d, want the %d it was before", got, before)
	}
	// Stopped: a later collection leaves GOGC alone.
	debug.SetGCPercent(77)
	defer debug.SetGCPercent(int(before))
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	runtime.GC()
	if got := gogc(); got != 77 {
		t.Errorf("GOGC is %d after stop and a collection, want 77 (left alone)", got)
	}
}

// With GOGC in the environment, Tune changes nothing: the user chose.
func TestTuneLeavesAChosenGOGC(t *testing.T) {
	t.Setenv("GOGC", "200")
	debug.SetGCPercent(200)
	defer debug.SetGCPercent(100)
	live := make([]byte, 64<<20)
	stop := Tune(1<<20, 25)
	defer stop()
	for range 3 {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	runtime.KeepAlive(live)
	if got := gogc(); got != 200 {
		t.Errorf("GOGC is %d, want the 200 the environment chose", got)
	}
}
