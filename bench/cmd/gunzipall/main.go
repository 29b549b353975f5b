// Command gunzipall is the floor sentinel-check's file source is measured
// against: it decompresses every *.json.gz file under the given folders with
// the gzip decoder the product uses (internal/gunzip), the same number of
// files at once as the product's workers, and discards the bytes. It
// prints the files and the decompressed bytes:
//
//	gunzipall [-workers N] [-lib gunzip|klauspost] [-whole] [-read] DIR…
//	files 850 decompressed_bytes 2115234567 workers 2
//
// -lib klauspost decompresses with klauspost/compress's gzip reader
// instead, the fastest gzip library for Go, for comparison.
// -whole reads each compressed file into memory before decompressing it
// (the library then decodes from a byte slice instead of a buffered file);
// -read takes the output in 512 KiB reads, copied out of the decompressor's
// window as the product's decoder takes it, instead of letting the
// decompressor write its window out. Both only measure the alternatives.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/sentinel-check/sentinel-check/internal/gunzip"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("gunzipall", flag.ContinueOnError)
	fl.SetOutput(stderr)
	workers := fl.Int("workers", 0, "files decompressed at once (default GOMAXPROCS, as sentinel-check)")
	whole := fl.Bool("whole", false, "read each compressed file into memory first")
	reads := fl.Bool("read", false, "take the output in 512 KiB reads instead of WriteTo")
	lib := fl.String("lib", "gunzip", "the gzip decoder: gunzip (the product's) or klauspost")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "gunzipall: no folder; usage: gunzipall [-workers N] DIR…")
		return 2
	}
	if *lib != "gunzip" && *lib != "klauspost" {
		fmt.Fprintf(stderr, "gunzipall: -lib %s: want gunzip or klauspost\n", *lib)
		return 2
	}
	if *workers <= 0 {
		*workers = runtime.GOMAXPROCS(0)
	}
	var files []string
	for _, dir := range fl.Args() {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json.gz") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			fmt.Fprintf(stderr, "gunzipall: listing %s: %v\n", dir, err)
			return 1
		}
	}
	jobs := make(chan string)
	var total atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := gunzipper{br: bufio.NewReaderSize(nil, 64<<10), whole: *whole, zr: new(gunzip.Reader)} // as the product reads files
			if *lib == "klauspost" {
				g.zr = new(gzip.Reader)
			}
			if *reads {
				g.buf = make([]byte, 512<<10)
			}
			for p := range jobs {
				n, err := g.gunzip(p)
				total.Add(n)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range files {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		fmt.Fprintf(stderr, "gunzipall: %v\n", firstErr)
		return 1
	}
	fmt.Fprintf(stdout, "files %d decompressed_bytes %d workers %d\n", len(files), total.Load(), *workers)
	return 0
}

// gunzipper decompresses one file at a time with reused buffers.
type gunzipper struct {
	br    *bufio.Reader
	zr    decoder
	whole bool
	buf   []byte // nil: io.Copy (the decompressor's WriteTo)
}

// decoder is what both gzip readers have.
type decoder interface {
	io.Reader
	Reset(io.Reader) error
	Multistream(bool)
}

func (g *gunzipper) gunzip(path string) (int64, error) {
	var src io.Reader
	if g.whole {
		data, err := os.ReadFile(path)
		if err != nil {
			return 0, err
		}
		src = bytes.NewReader(data)
	} else {
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		g.br.Reset(f)
		src = g.br
	}
	if err := g.zr.Reset(src); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	var n int64
	var err error
	if g.buf == nil {
		n, err = io.Copy(io.Discard, g.zr)
	} else {
		for err == nil {
			var k int
			k, err = g.zr.Read(g.buf)
			n += int64(k)
		}
		if err == io.EOF {
			err = nil
		}
	}
	if err != nil {
		return n, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}
