package cloudtrail

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cpuMeasure(name string, n int, size int, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	best := time.Duration(1 << 62)
	for r := 0; r < 5; r++ {
		t0 := threadCPU()
		for k := 0; k < n; k++ {
			f()
		}
		if d := threadCPU() - t0; d < best {
			best = d
		}
	}
	fmt.Printf("%-28s %7.1f MB/s (cpu)\n", name, float64(size)*float64(n)/best.Seconds()/1e6)
}

func TestCPUBench(t *testing.T) {
	if os.Getenv("CPUBENCH") == "" {
		t.Skip()
	}
	raw, gz := benchTrail(&testing.B{})
	n := 20
	cpuMeasure("gunzip WriteTo discard", n, len(raw), func() {
		zr, _ := kgzip.NewReader(bytes.NewReader(gz))
		io.Copy(io.Discard, zr)
	})
	cpuMeasure("stdlib gunzip discard", n, len(raw), func() {
		zr, _ := stdgzip.NewReader(bytes.NewReader(gz))
		io.Copy(io.Discard, zr)
	})
	buf := make([]byte, docBufferSize)
	cpuMeasure("gunzip Read 512K", n, len(raw), func() {
		zr, _ := kgzip.NewReader(bytes.NewReader(gz))
		io.CopyBuffer(io.Discard, onlyReader{zr}, buf)
	})
	cpuMeasure("DecodeStream gzip", n, len(raw), func() {
		DecodeStream(bytes.NewReader(gz), "f", FileOptions{}, func(Event) {})
	})
	cpuMeasure("DecodeStream plain", n, len(raw), func() {
		DecodeStream(bytes.NewReader(raw), "f", FileOptions{}, func(Event) {})
	})
	var s scanner
	start := bytes.IndexByte(raw, '[') + 1
	cpuMeasure("scan records", n, len(raw), func() {
		for i := start; raw[i] == '{'; {
			end, _, _ := s.record(raw, i)
			s.mayBeAssumeRole(raw)
			i = end
			if raw[i] == ',' {
				i++
			}
		}
	})
}

func procCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPUTrail(t *testing.T) {
	dir := os.Getenv("TRAIL")
	if dir == "" {
		t.Skip()
	}
	var files []string
	filepathWalk(dir, &files)
	run := func(name string, f func()) {
		for r := 0; r < 3; r++ {
			c0, w0 := procCPU(), time.Now()
			f()
			fmt.Printf("%-12s wall %6.2fs cpu %6.2fs\n", name, time.Since(w0).Seconds(), (procCPU() - c0).Seconds())
		}
	}
	run("gunzip", func() {
		jobs := make(chan string)
		done := make(chan bool)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			go func() {
				for p := range jobs {
					f, _ := os.Open(p)
					zr, _ := kgzip.NewReader(f)
					io.Copy(io.Discard, zr)
					f.Close()
				}
				done <- true
			}()
		}
		for _, p := range files {
			jobs <- p
		}
		close(jobs)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			<-done
		}
	})
	run("check", func() {
		st, err := NewFileSource([]string{dir}, FileOptions{}).Read(context.Background(), Query{}, func(Event) {})
		if err != nil || st.Records == 0 {
			t.Fatal(err)
		}
	})
}

func filepathWalk(dir string, out *[]string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json.gz") {
			*out = append(*out, p)
		}
		return nil
	})
}
