package cloudtrail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sentinel-check/sentinel-check/cloudtrail/cloudtrailtest"
)

// flakyS3 serves objects from memory with delimited listings; the body of
// an object breaks off (a connection reset) after half its bytes for the
// first breaks downloads.
type flakyS3 struct {
	objects map[string][]byte
	mu      sync.Mutex
	breaks  int
	gets    int
}

func (f *flakyS3) HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	return &s3.HeadBucketOutput{BucketRegion: aws.String("us-east-1")}, nil
}

func (f *flakyS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out := &s3.ListObjectsV2Output{IsTruncated: aws.Bool(false)}
	dirs := map[string]bool{}
	var keys []string
	for k := range f.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, aws.ToString(in.Prefix))
		if !ok {
			continue
		}
		if d := aws.ToString(in.Delimiter); d != "" {
			if i := strings.Index(rest, d); i >= 0 {
				dir := aws.ToString(in.Prefix) + rest[:i+1]
				if !dirs[dir] {
					dirs[dir] = true
					out.CommonPrefixes = append(out.CommonPrefixes, s3types.CommonPrefix{Prefix: aws.String(dir)})
				}
				continue
			}
		}
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(k), Size: aws.Int64(int64(len(f.objects[k])))})
	}
	return out, nil
}

type brokenBody struct{ r io.Reader }

func (b brokenBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, syscall.ECONNRESET
	}
	return n, err
}

func (f *flakyS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	b := f.objects[aws.ToString(in.Key)]
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.gets <= f.breaks {
		return &s3.GetObjectOutput{Body: io.NopCloser(brokenBody{bytes.NewReader(b[:len(b)/2])})}, nil
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

// A download that breaks off in the middle is read again: nothing of the
// broken attempt is emitted, and after maxBodyAttempts the object is
// unreadable with an error that says the connection broke off.
func TestS3BodyBreaksOff(t *testing.T) {
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	rec := cloudtrailtest.Assume{Time: at, Account: "111122223333", Role: "arn:aws:iam::111122223333:role/ProdAdmin", Session: "s"}.Record()
	key := cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(5*time.Minute), "X")
	q := Query{Start: at.Add(-time.Hour), End: at.Add(time.Hour)}
	for _, tc := range []struct {
		breaks   int
		prefetch int
		events   int
		wantErr  string
	}{
		{breaks: 0, events: 1},
		{breaks: 2, events: 1},
		{breaks: 3, wantErr: "the download broke off 3 times"},
		{breaks: 0, prefetch: -1, events: 1},
		{breaks: 2, prefetch: -1, events: 1},
		{breaks: 3, prefetch: -1, wantErr: "the download broke off 3 times"},
	} {
		api := &flakyS3{objects: map[string][]byte{key: cloudtrailtest.LogFile(t, rec)}, breaks: tc.breaks}
		src := newS3Source(api, "us-east-1", "b", "", S3Options{Prefetch: tc.prefetch})
		var n int
		var mu sync.Mutex
		st, err := src.Read(context.Background(), q, func(Event) { mu.Lock(); n++; mu.Unlock() })
		switch {
		case tc.wantErr != "":
			var se *SourceError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(se.Source, key) || !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("%d breaks: %v, want a *SourceError naming the object that says %q", tc.breaks, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%d breaks: %v", tc.breaks, err)
		}
		if n != tc.events || api.gets != min(tc.breaks+1, maxBodyAttempts) || st.Retries != int64(min(tc.breaks, maxBodyAttempts-1)) {
			t.Errorf("%d breaks: %d events, %d downloads, %d retries counted", tc.breaks, n, api.gets, st.Retries)
		}
	}
}
