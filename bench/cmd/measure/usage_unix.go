//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// usage returns the CPU time (user+sys) and the peak resident set size in
// MiB of a finished command, from wait4's rusage.
func usage(ps *os.ProcessState) (time.Duration, float64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, false
	}
	rss := float64(ru.Maxrss) / 1024 // KiB on Linux
	if runtime.GOOS == "darwin" {
		rss /= 1024 // bytes on macOS
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), rss, true
}
