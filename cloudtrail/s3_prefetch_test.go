package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sentinel-check/sentinel-check/cloudtrail/cloudtrailtest"
)

// eventKeys are the events' ids with their files, sorted: what two reads
// of the same objects must both give.
func eventKeys(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.EventID + " " + e.Origin
	}
	slices.Sort(out)
	return out
}

// Prefetched, streamed, or some of each: the same events and counts.
func TestS3PrefetchMatchesStreaming(t *testing.T) {
	objs := s3Scenario(t)
	// Larger files too, whose downloads take buffers of other sizes.
	for i, n := range []int{300, 1200, 5000} {
		at := s3Start.Add(time.Duration(i+1) * time.Hour)
		recs := []cloudtrailtest.Record{cloudtrailtest.Assume{Time: at, Account: s3Account1, Role: "arn:aws:iam::" + s3Account1 + ":role/ProdAdmin", Session: fmt.Sprintf("big%d", i)}.Record()}
		for j := range n {
			recs = append(recs, cloudtrailtest.Noise(at.Add(time.Duration(j)*time.Millisecond), s3Account1, "us-east-1"))
		}
		objs[cloudtrailtest.Key("", s3Account1, "us-east-1", at.Add(5*time.Minute), fmt.Sprintf("BIG%d", i))] = cloudtrailtest.LogFile(t, recs...)
	}
	q := Query{Start: s3Start, End: s3End}
	read := func(opts S3Options) ([]string, Stats) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var c awsCollected
		st, err := newS3Source(&flakyS3{objects: objs}, "us-east-1", "b", "", opts).Read(ctx, q, c.emit)
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		return eventKeys(c.evs), st
	}
	wantEvs, wantSt := read(S3Options{Prefetch: -1})
	if len(wantEvs) == 0 || wantSt.Files == 0 {
		t.Fatalf("the scenario read nothing: %+v", wantSt)
	}
	for _, opts := range []S3Options{
		{},
		{Prefetch: 1, InFlight: 1},
		{PrefetchBytes: 1},        // every file larger than a quarter: streamed
		{PrefetchBytes: 64 << 10}, // the small files prefetched (16 KiB buffers), the larger ones streamed
		{Prefetch: 3, PrefetchBytes: 48 << 10, InFlight: 2}, // 3 buffers of 16 KiB
	} {
		evs, st := read(opts)
		if !slices.Equal(evs, wantEvs) {
			t.Errorf("%+v: %d events, want the %d read streamed", opts, len(evs), len(wantEvs))
		}
		if st.Files != wantSt.Files || st.Records != wantSt.Records || st.AssumeRole != wantSt.AssumeRole || st.Bytes != wantSt.Bytes || st.FilesSkipped != wantSt.FilesSkipped || st.Requests != wantSt.Requests {
			t.Errorf("%+v: stats %+v, want those of the read streamed %+v", opts, st, wantSt)
		}
	}
}

// countingS3 is flakyS3 that counts its GetObject calls and, when
// listSize is set, lists the sizes it returns.
type countingS3 struct {
	flakyS3
	listSize func(key string, size int64) int64
	mu       sync.Mutex
	gets     int
}

func (f *countingS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, o ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out, err := f.flakyS3.ListObjectsV2(ctx, in, o...)
	if err == nil && f.listSize != nil {
		for i, obj := range out.Contents {
			out.Contents[i].Size = aws.Int64(f.listSize(aws.ToString(obj.Key), aws.ToInt64(obj.Size)))
		}
	}
	return out, err
}

func (f *countingS3) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	f.gets++
	f.mu.Unlock()
	return f.flakyS3.GetObject(ctx, in, o...)
}

func (f *countingS3) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets
}

// sameFiles serves n copies of one log file of one assume-role call at at,
// and the source that reads them with one decoder, 10 downloads at once
// and a budget of the buffers of 4 files.
func sameFiles(t *testing.T, n int) (*countingS3, *s3Source, time.Time) {
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	file := cloudtrailtest.LogFile(t, cloudtrailtest.Assume{Time: at, Account: "111122223333", Role: "arn:aws:iam::111122223333:role/ProdAdmin", Session: "s"}.Record())
	objs := map[string][]byte{}
	for i := range n {
		objs[cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(5*time.Minute), fmt.Sprintf("F%02d", i))] = file
	}
	api := &countingS3{flakyS3: flakyS3{objects: objs}}
	return api, newS3Source(api, "us-east-1", "b", "", S3Options{InFlight: 1, Prefetch: 10, PrefetchBytes: 4 * downloadBufSize(int64(len(file))+1)}), at
}

// heldRead starts src's read of the files of sameFiles with its first
// event held (emit, if not nil, sees every event once it goes on), and
// returns release, which lets it go on, and the read's error to come.
func heldRead(ctx context.Context, src *s3Source, at time.Time, emit func()) (release func(), done <-chan error) {
	hold := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		_, err := src.Read(ctx, Query{Start: at.Add(-time.Hour), End: at.Add(time.Hour)}, func(Event) {
			once.Do(func() { <-hold })
			if emit != nil {
				emit()
			}
		})
		errc <- err
	}()
	return func() { close(hold) }, errc
}

// waitGets waits until api has served n downloads, or 10 s.
func waitGets(api *countingS3, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for api.count() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// While the decoder is held, downloads stop once the files downloaded and
// not yet decoded fill PrefetchBytes, however many downloads Prefetch
// allows.
func TestS3PrefetchBudget(t *testing.T) {
	api, src, at := sameFiles(t, 20)
	var n atomic.Int64
	release, done := heldRead(context.Background(), src, at, func() { n.Add(1) })
	// The file being decoded and three more fill the 4 files' budget.
	waitGets(api, 4)
	time.Sleep(200 * time.Millisecond)
	if got := api.count(); got != 4 {
		t.Errorf("%d files downloaded while the first was being decoded, want 4 (a budget of 4 files)", got)
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n.Load() != 20 || api.count() != 20 {
		t.Errorf("%d events from %d downloads, want 20 from 20", n.Load(), api.count())
	}
}

// An object written again, larger, after it was listed is streamed by a
// second download; one found smaller is decoded from what arrived. No
// object larger than the budget waits for it (which would never end).
func TestS3PrefetchSizeChanged(t *testing.T) {
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	rec := func(s string) cloudtrailtest.Record {
		return cloudtrailtest.Assume{Time: at, Account: "111122223333", Role: "arn:aws:iam::111122223333:role/ProdAdmin", Session: s}.Record()
	}
	grown := cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(5*time.Minute), "GROWN")
	shrunk := cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(5*time.Minute), "SHRUNK")
	same := cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(5*time.Minute), "SAME")
	objs := map[string][]byte{
		grown:  cloudtrailtest.LogFile(t, rec("g1"), rec("g2")),
		shrunk: cloudtrailtest.LogFile(t, rec("s1")),
		same:   cloudtrailtest.LogFile(t, rec("x1")),
	}
	q := Query{Start: at.Add(-time.Hour), End: at.Add(time.Hour)}
	for _, tc := range []struct {
		name  string
		opts  S3Options
		list  func(key string, size int64) int64
		gets  int
		files int64
	}{
		{"grown", S3Options{}, func(k string, n int64) int64 {
			if k == grown {
				return n / 2
			}
			return n
		}, 4, 3},
		{"listed as empty", S3Options{}, func(k string, n int64) int64 {
			if k == grown {
				return 0
			}
			return n
		}, 4, 3},
		{"shrunk", S3Options{}, func(k string, n int64) int64 {
			if k == shrunk {
				return n * 3
			}
			return n
		}, 3, 3},
		{"larger than the budget", S3Options{PrefetchBytes: 10}, func(_ string, n int64) int64 { return n }, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &countingS3{flakyS3: flakyS3{objects: objs}, listSize: tc.list}
			src := newS3Source(api, "us-east-1", "b", "", tc.opts)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var c awsCollected
			st, err := src.Read(ctx, q, c.emit)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.evs) != 4 || st.Files != tc.files || api.count() != tc.gets {
				t.Errorf("%d events from %d files in %d downloads, want 4 from %d in %d", len(c.evs), st.Files, api.count(), tc.files, tc.gets)
			}
		})
	}
}

// listGateS3 is flakyS3 whose listings take 20 ms, counting the most made
// at once.
type listGateS3 struct {
	flakyS3
	mu        sync.Mutex
	now, most int
}

func (f *listGateS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, o ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	f.mu.Lock()
	f.now++
	f.most = max(f.most, f.now)
	f.mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	f.mu.Lock()
	f.now--
	f.mu.Unlock()
	return f.flakyS3.ListObjectsV2(ctx, in, o...)
}

// Listings wait for S3 as downloads do: as many are made at once as
// files are downloaded (the larger of InFlight and Prefetch).
func TestS3ListingsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		opts     S3Options
		min, max int
	}{
		{S3Options{InFlight: 1, Prefetch: 8}, 2, 8},
		{S3Options{InFlight: 1, Prefetch: -1}, 1, 1},
		{S3Options{InFlight: 3, Prefetch: -1}, 2, 3},
	} {
		api := &listGateS3{flakyS3: flakyS3{objects: s3Scenario(t)}}
		if _, err := newS3Source(api, "us-east-1", "b", "", tc.opts).Read(context.Background(), Query{Start: s3Start, End: s3End}, func(Event) {}); err != nil {
			t.Fatal(err)
		}
		if api.most < tc.min || api.most > tc.max {
			t.Errorf("%+v: %d listings at once, want %d to %d", tc.opts, api.most, tc.min, tc.max)
		}
	}
}

// A read cancelled while downloads wait for the budget and the decoder is
// busy ends with the cancellation, and nothing waits for ever.
func TestS3PrefetchCancelled(t *testing.T) {
	api, src, at := sameFiles(t, 50)
	ctx, cancel := context.WithCancel(context.Background())
	var events atomic.Int64
	release, done := heldRead(ctx, src, at, func() { events.Add(1) })
	waitGets(api, 4)
	cancel()
	release()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || events.Load() > 1 || api.count() > 4 {
			t.Errorf("err = %v after %d events and %d downloads; want the cancellation after 1 and 4", err, events.Load(), api.count())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not end after it was cancelled")
	}
}

// stuckS3 serves bodies whose reads give nothing, and no error.
type stuckS3 struct{ flakyS3 }

type stuckBody struct{}

func (stuckBody) Read([]byte) (int, error) { return 0, nil }

func (f *stuckS3) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return &s3.GetObjectOutput{Body: io.NopCloser(stuckBody{})}, nil
}

// A body that gives nothing, and no error, fails the read (as bufio does
// when it is streamed) instead of being read for ever.
func TestS3DownloadMakesNoProgress(t *testing.T) {
	_, _, at := sameFiles(t, 0)
	key := cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(5*time.Minute), "X")
	objs := map[string][]byte{key: []byte("listed with its size")}
	for _, prefetch := range []int{-1, 0} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := newS3Source(&stuckS3{flakyS3{objects: objs}}, "us-east-1", "b", "", S3Options{Prefetch: prefetch}).Read(ctx, Query{Start: at.Add(-time.Hour), End: at.Add(time.Hour)}, func(Event) {})
		cancel()
		if !errors.Is(err, io.ErrNoProgress) || !strings.Contains(err.Error(), key) {
			t.Errorf("prefetch %d: %v, want an error naming %s that says the reads made no progress", prefetch, err, key)
		}
	}
}

// The budget counts the buffers downloads take, not the sizes listed: a
// file listed empty still takes 16 KiB.
func TestS3PrefetchBudgetCountsBuffers(t *testing.T) {
	for _, tc := range []struct{ size, want int64 }{{0, 16 << 10}, {1, 16 << 10}, {16<<10 - 1, 16 << 10}, {16 << 10, 32 << 10}, {1 << 20, 2 << 20}} {
		if got := downloadBufSize(tc.size + 1); got != tc.want {
			t.Errorf("a file of %d bytes takes %d of the budget, want %d", tc.size, got, tc.want)
		}
		if b := downloadBuf(tc.size + 1); int64(cap(*b)) != tc.want {
			t.Errorf("a file of %d bytes gets a buffer of %d, want %d", tc.size, cap(*b), tc.want)
		}
	}
	// 10 files of a few hundred bytes, a budget of 3 buffers (which the
	// sizes listed would not fill): 3 downloads while the decoder is held.
	api, _, at := sameFiles(t, 10)
	src := newS3Source(api, "us-east-1", "b", "", S3Options{InFlight: 1, Prefetch: 10, PrefetchBytes: 3 * 16 << 10})
	release, done := heldRead(context.Background(), src, at, nil)
	waitGets(api, 3)
	time.Sleep(200 * time.Millisecond)
	got := api.count()
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got != 3 {
		t.Errorf("%d files downloaded while the first was being decoded, want 3 (a budget of 3 buffers)", got)
	}
}
