//go:build unix

package cloudtrail

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

// cpuTime is the user and system CPU this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkS3Source reads the generated trail from s3rver with the real SDK
// client and, in the same run, the same files from disk. MB/s are of
// decompressed JSON; cpu-s/GB is the CPU this process spent per GB of it
// (s3rver, which stands in for S3, runs in its own process and is not
// counted), so that the two say what reading from S3 adds to decoding.
func BenchmarkS3Source(b *testing.B) {
	dir, sum := generatedTrail(b)
	objs := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		objs[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	client := newS3Client(b, testsvc.S3rver(b), nil)
	s3Bucket(b, client, "bench-trail", objs)

	run := func(b *testing.B, read func() (Stats, error)) {
		b.SetBytes(sum.RawBytes)
		cpu0 := cpuTime(b)
		for b.Loop() {
			st, err := read()
			if err != nil || st.Records != sum.Records || st.AssumeRole != sum.AssumeRole {
				b.Fatalf("read %d records and %d assume-role, want %d and %d: %v", st.Records, st.AssumeRole, sum.Records, sum.AssumeRole, err)
			}
		}
		gb := float64(sum.RawBytes) * float64(b.N) / 1e9
		b.ReportMetric((cpuTime(b)-cpu0).Seconds()/gb, "cpu-s/GB")
	}
	b.Run("s3", func(b *testing.B) {
		run(b, func() (Stats, error) {
			return NewS3Source(client, "bench-trail", "", S3Options{}).Read(context.Background(), Query{}, func(Event) {})
		})
	})
	b.Run("file", func(b *testing.B) {
		run(b, func() (Stats, error) {
			return NewFileSource([]string{dir}, FileOptions{}).Read(context.Background(), Query{}, func(Event) {})
		})
	})
}
