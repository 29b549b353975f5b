//go:build unix

package cloudtrail

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sentinel-check/sentinel-check/cloudtrail/cloudtrailtest"
	"github.com/sentinel-check/sentinel-check/internal/testsvc"
	"github.com/sentinel-check/sentinel-check/internal/trailgen"
)

// cpuTime is the user and system CPU this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// trailObjects reads the files under dir as S3 objects, keyed by their
// paths below it.
func trailObjects(b *testing.B, dir string) map[string][]byte {
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
	return objs
}

// BenchmarkS3Source reads the generated trail from s3rver with the real SDK
// client and, in the same run, the same files from disk. MB/s are of
// decompressed JSON; cpu-s/GB is the CPU this process spent per GB of it
// (s3rver, which stands in for S3, runs in its own process and is not
// counted), so that the two say what reading from S3 adds to decoding.
// s3-streamed reads the objects without downloading any ahead (Prefetch
// -1).
func BenchmarkS3Source(b *testing.B) {
	dir, sum := generatedTrail(b)
	objs := trailObjects(b, dir)
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
	b.Run("s3-streamed", func(b *testing.B) {
		run(b, func() (Stats, error) {
			return NewS3Source(client, "bench-trail", "", S3Options{Prefetch: -1}).Read(context.Background(), Query{}, func(Event) {})
		})
	})
	b.Run("file", func(b *testing.B) {
		run(b, func() (Stats, error) {
			return NewFileSource([]string{dir}, FileOptions{}).Read(context.Background(), Query{}, func(Event) {})
		})
	})
}

// latencyClient is an S3 client of endpoint through a proxy on a loopback
// port of its own that holds every request for delay before passing it
// on: the time to first byte of S3, which s3rver on loopback does not
// have. It keeps idle connections as the command's client does.
func latencyClient(b *testing.B, endpoint string, delay time.Duration) *s3.Client {
	target, err := url.Parse(endpoint)
	if err != nil {
		b.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		time.Sleep(delay)
		rp.ServeHTTP(w, req)
	}))
	b.Cleanup(srv.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 128 // as internal/engine's client keeps them
	return newS3Client(b, srv.URL, tr)
}

// BenchmarkS3Latency reads 500 log files of the size CloudTrail writes (40
// records, about 50 KB of JSON each: the median of the real files under
// testdata/real is 21 KB) from s3rver through a proxy that delays every request
// by 20 ms, S3's usual time to first byte, with the real SDK client. The
// source's default is compared with the same source downloading no more
// objects at once than it decodes (Prefetch -1), and with the default
// through the proxy without the delay: what s3rver, the proxy and the
// client can serve on this machine, in the same run.
func BenchmarkS3Latency(b *testing.B) {
	dir := b.TempDir()
	sum, err := trailgen.Generate(trailgen.Options{Out: dir, Records: 20000, Files: 500, Seed: 7, AssumeRoleRate: 0.03})
	if err != nil {
		b.Fatal(err)
	}
	objs := trailObjects(b, dir)
	endpoint := testsvc.S3rver(b)
	s3Bucket(b, newS3Client(b, endpoint, nil), "latency-trail", objs)
	client := latencyClient(b, endpoint, 20*time.Millisecond)
	direct := latencyClient(b, endpoint, 0)
	for _, bc := range []struct {
		name   string
		client *s3.Client
		opts   S3Options
	}{
		{"20ms", client, S3Options{}},
		{"20ms-no-prefetch", client, S3Options{Prefetch: -1}},
		{"0ms", direct, S3Options{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(sum.RawBytes)
			for b.Loop() {
				st, err := NewS3Source(bc.client, "latency-trail", "", bc.opts).Read(context.Background(), Query{}, func(Event) {})
				if err != nil || st.Records != sum.Records || st.Files != int64(len(objs)) {
					b.Fatalf("read %d records in %d files, want %d in %d: %v", st.Records, st.Files, sum.Records, len(objs), err)
				}
			}
			b.ReportMetric(float64(len(objs))*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// BenchmarkS3LatencyFolders reads an organisation's layout, 12 accounts of
// 4 regions over a 7-day window (48 region folders, 384 day folders to list,
// a small log file in each), through the 20 ms proxy of BenchmarkS3Latency:
// the listings, one per day folder, wait as the downloads do. The default
// is compared with Prefetch -1, which lists and downloads no more at once
// than it decodes, in the same run.
func BenchmarkS3LatencyFolders(b *testing.B) {
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	objs := map[string][]byte{}
	for a := range 12 {
		account := fmt.Sprintf("1111222233%02d", a)
		for _, region := range []string{"us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"} {
			for day := range 8 {
				at := start.Add(time.Duration(day)*24*time.Hour + 10*time.Hour)
				rec := cloudtrailtest.Assume{Time: at, Account: account, Region: region, Role: "arn:aws:iam::" + account + ":role/ProdAdmin", Session: "s"}.Record()
				objs[cloudtrailtest.Key("", account, region, at.Add(5*time.Minute), "F")] = cloudtrailtest.LogFile(b, rec)
			}
		}
	}
	endpoint := testsvc.S3rver(b)
	s3Bucket(b, newS3Client(b, endpoint, nil), "org-folders", objs)
	client := latencyClient(b, endpoint, 20*time.Millisecond)
	q := Query{Start: start, End: start.Add(7 * 24 * time.Hour)}
	for _, bc := range []struct {
		name string
		opts S3Options
	}{
		{"default", S3Options{}},
		{"no-prefetch", S3Options{Prefetch: -1}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				st, err := NewS3Source(client, "org-folders", "", bc.opts).Read(context.Background(), q, func(Event) {})
				if err != nil || st.Files != 12*4*8 {
					b.Fatalf("read %d files, want %d: %v", st.Files, 12*4*8, err)
				}
			}
			b.ReportMetric(float64(12*4*8)*float64(b.N)/b.Elapsed().Seconds(), "day-folders/s")
		})
	}
}
