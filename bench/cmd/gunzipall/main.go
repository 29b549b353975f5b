// Command gunzipall is the floor sentinel-check's file source is measured
// against: it decompresses every *.json.gz file under the given folders with
// the gzip library the product uses, the same number of files at once as
// the product's workers, and discards the bytes. It prints the files and
// the decompressed bytes:
//
//	gunzipall [-workers N] DIR…
//	files 850 decompressed_bytes 2115234567 workers 2
package main

import (
	"bufio"
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
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("gunzipall", flag.ContinueOnError)
	fl.SetOutput(stderr)
	workers := fl.Int("workers", 0, "files decompressed at once (default GOMAXPROCS, as sentinel-check)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "gunzipall: no folder; usage: gunzipall [-workers N] DIR…")
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
			br := bufio.NewReaderSize(nil, 64<<10) // as the product reads files
			var zr gzip.Reader
			for p := range jobs {
				n, err := gunzip(p, br, &zr)
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

func gunzip(path string, br *bufio.Reader, zr *gzip.Reader) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br.Reset(f)
	if err := zr.Reset(br); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		return n, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}
