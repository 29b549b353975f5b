package cloudtrail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/sentinel-check/sentinel-check/cloudtrail/cloudtrailtest"
	"github.com/sentinel-check/sentinel-check/internal/awsaccount"
	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

// The S3 scenario: an account trail (111122223333) beside an organisation
// trail (o-abcdefghij: 444455556666, 777788889999), five days of log files,
// digest files, a stray object; the window is 2026-03-10 12:00 to
// 2026-03-12 00:00.
const (
	s3Org      = "o-abcdefghij"
	s3Account1 = "111122223333"
	s3Account2 = "444455556666"
	s3Account3 = "777788889999"
)

var (
	s3Start = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	s3End   = time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	// Log files are delivered at these times of every day; each holds two
	// assume-role calls made 9 and 3 minutes before and one other call.
	s3Deliveries = []time.Duration{7 * time.Minute, 10*time.Hour + 30*time.Minute, 12*time.Hour + 5*time.Minute, 23*time.Hour + 55*time.Minute}
)

type s3Folder struct{ org, account, region string }

var s3Folders = []s3Folder{
	{"", s3Account1, "us-east-1"}, {"", s3Account1, "eu-west-1"},
	{s3Org, s3Account2, "us-east-1"}, {s3Org, s3Account2, "eu-west-1"},
	{s3Org, s3Account3, "us-east-1"},
}

// s3Scenario builds the bucket's objects. read reports whether the source
// must read a log file, given the accounts and regions kept.
func s3Scenario(t testing.TB) map[string][]byte {
	objs := map[string][]byte{}
	for _, f := range s3Folders {
		for day := 9; day <= 13; day++ {
			midnight := time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC)
			for i, d := range s3Deliveries {
				at := midnight.Add(d)
				role := fmt.Sprintf("arn:aws:iam::%s:role/ProdAdmin", f.account)
				recs := []cloudtrailtest.Record{
					cloudtrailtest.Assume{Time: at.Add(-9 * time.Minute), Account: f.account, Region: f.region, Role: role,
						Session: fmt.Sprintf("a%d-%d", day, i), Identity: fmt.Sprintf("sentinel:alice:direct:%08x", day*10+i)}.Record(),
					cloudtrailtest.Assume{Time: at.Add(-3 * time.Minute), Name: EventAssumeRoleWithWebIdentity, Account: f.account, Region: f.region,
						Role: fmt.Sprintf("arn:aws:iam::%s:role/GitHubDeploy", f.account), Session: fmt.Sprintf("gha%d-%d", day, i)}.Record(),
					cloudtrailtest.Noise(at.Add(-5*time.Minute), f.account, f.region),
				}
				objs[cloudtrailtest.Key(f.org, f.account, f.region, at, fmt.Sprintf("%s%d", f.region[:2], i))] = cloudtrailtest.LogFile(t, recs...)
			}
			objs[cloudtrailtest.DigestKey(f.org, f.account, f.region, midnight.Add(time.Hour))] = cloudtrailtest.DigestFile(f.account, midnight.Add(time.Hour))
		}
	}
	objs["AWSLogs/"+s3Account1+"/CloudTrail/us-east-1/2026/03/11/notes.txt"] = []byte("not a log file")
	return objs
}

// s3Expected lists the log files of the scenario the source must read.
func s3Expected(keep func(f s3Folder) bool) []string {
	var keys []string
	for _, f := range s3Folders {
		if !keep(f) {
			continue
		}
		for day := 10; day <= 12; day++ {
			for i, d := range s3Deliveries {
				at := time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC).Add(d)
				if at.Before(s3Start.Add(-time.Hour)) {
					continue // delivered long before the window: cannot hold its events
				}
				keys = append(keys, cloudtrailtest.Key(f.org, f.account, f.region, at, fmt.Sprintf("%s%d", f.region[:2], i)))
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// s3Request is one HTTP request the S3 client sent.
type s3Request struct {
	method    string
	key       string // object key (GET/HEAD of an object)
	list      bool   // ListObjectsV2
	prefix    string // its prefix
	delimited bool
}

// s3Recorder records the requests and may answer some itself.
type s3Recorder struct {
	base      http.RoundTripper
	mu        sync.Mutex
	reqs      []s3Request
	intercept func(r s3Request) *http.Response
}

func (rec *s3Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	parts := strings.SplitN(strings.TrimPrefix(req.URL.Path, "/"), "/", 2)
	r := s3Request{method: req.Method}
	q := req.URL.Query()
	if q.Get("list-type") == "2" {
		r.list, r.prefix, r.delimited = true, q.Get("prefix"), q.Get("delimiter") == "/"
	} else if len(parts) == 2 {
		r.key = parts[1]
	}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, r)
	intercept := rec.intercept
	rec.mu.Unlock()
	if intercept != nil {
		if resp := intercept(r); resp != nil {
			resp.Request = req
			return resp, nil
		}
	}
	return rec.base.RoundTrip(req)
}

func (rec *s3Recorder) requests() []s3Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

func (rec *s3Recorder) reset() {
	rec.mu.Lock()
	rec.reqs = nil
	rec.mu.Unlock()
}

func (rec *s3Recorder) fetched() []string {
	var out []string
	for _, r := range rec.requests() {
		if r.method == http.MethodGet && !r.list && r.key != "" {
			out = append(out, r.key)
		}
	}
	slices.Sort(out)
	return out
}

func (rec *s3Recorder) listed() []string {
	var out []string
	for _, r := range rec.requests() {
		if r.list {
			p := r.prefix
			if r.delimited {
				p += " (folders)"
			}
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func newS3Client(t testing.TB, endpoint string, rt http.RoundTripper) *s3.Client {
	cfg := testsvc.AWSConfig(t, endpoint)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("S3RVER", "S3RVER", "") // s3rver's built-in key pair
	if rt != nil {
		cfg.HTTPClient = &http.Client{Transport: rt}
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
}

// s3Bucket creates a bucket on s3rver holding the objects, and an empty
// folder marker (the S3 console's "create folder") for every folder above
// them: s3rver 3.7.1 only reports a common prefix in a delimited listing
// when its folder directly holds an object, where S3 reports every one.
// The source ignores folder markers, as S3 clients do.
func s3Bucket(t testing.TB, client *s3.Client, bucket string, objs map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	objs = maps.Clone(objs)
	for k := range objs {
		for i, c := range k {
			if _, ok := objs[k[:i+1]]; c == '/' && !ok {
				objs[k[:i+1]] = nil
			}
		}
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("creating bucket %s: %v", bucket, err)
	}
	var g errgroup.Group
	g.SetLimit(8)
	for k, v := range objs {
		g.Go(func() error {
			_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(k), Body: bytes.NewReader(v)})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("uploading to %s: %v", bucket, err)
	}
}

// writeLocal writes the objects under dir with their keys as paths.
func awsWriteLocal(t testing.TB, dir string, objs map[string][]byte, keys []string) []string {
	t.Helper()
	var paths []string
	for _, k := range keys {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, objs[k], 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// bareEvents sorts events and drops where they were read.
func awsBareEvents(evs []Event) []Event {
	out := slices.Clone(evs)
	for i := range out {
		out[i].Origin = ""
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EventID < out[j].EventID })
	return out
}

func awsInWindow(evs []Event, start, end time.Time) []Event {
	var out []Event
	for _, e := range evs {
		if !e.EventTime.Before(start) && e.EventTime.Before(end) {
			out = append(out, e)
		}
	}
	return out
}

func readS3(t *testing.T, client *s3.Client, bucket, prefix string, opts S3Options, q Query) ([]Event, Stats, error) {
	t.Helper()
	var c awsCollected
	st, err := NewS3Source(client, bucket, prefix, opts).Read(context.Background(), q, c.emit)
	return awsBareEvents(c.evs), st, err
}

func TestS3Source(t *testing.T) {
	endpoint := testsvc.S3rver(t)
	rec := &s3Recorder{base: http.DefaultTransport}
	client := newS3Client(t, endpoint, rec)
	objs := s3Scenario(t)
	s3Bucket(t, newS3Client(t, endpoint, nil), "trail", objs)
	window := Query{Start: s3Start, End: s3End}
	all := func(s3Folder) bool { return true }

	t.Run("only the window's days are listed and read", func(t *testing.T) {
		rec.reset()
		evs, st, err := readS3(t, client, "trail", "", S3Options{}, window)
		if err != nil {
			t.Fatal(err)
		}
		want := s3Expected(all)
		if got := rec.fetched(); !slices.Equal(got, want) {
			t.Errorf("objects read:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		var wantListed []string
		wantListed = append(wantListed, "AWSLogs/ (folders)", "AWSLogs/"+s3Org+"/ (folders)")
		for _, a := range []string{"AWSLogs/" + s3Account1 + "/", "AWSLogs/" + s3Org + "/" + s3Account2 + "/", "AWSLogs/" + s3Org + "/" + s3Account3 + "/"} {
			wantListed = append(wantListed, a+" (folders)", a+"CloudTrail/ (folders)")
		}
		for _, f := range s3Folders {
			base := "AWSLogs/"
			if f.org != "" {
				base += f.org + "/"
			}
			for _, d := range []string{"10", "11", "12"} {
				wantListed = append(wantListed, base+f.account+"/CloudTrail/"+f.region+"/2026/03/"+d+"/")
			}
		}
		slices.Sort(wantListed)
		if got := rec.listed(); !slices.Equal(got, wantListed) {
			t.Errorf("listings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantListed, "\n"))
		}
		for _, r := range rec.requests() {
			if p := r.prefix + r.key; strings.Contains(p, "/03/09") || strings.Contains(p, "/03/13") || strings.Contains(p, "Digest") {
				t.Errorf("request outside the window's days or into digests: %+v", r)
			}
		}
		// HEAD bucket + 2 + 3×2 folder listings + 15 day listings + the objects.
		wantReq := 1 + 2 + 6 + 15 + len(want)
		if n := len(rec.requests()); st.Requests != int64(n) || n != wantReq {
			t.Errorf("requests: stats %d, sent %d, want %d", st.Requests, n, wantReq)
		}
		if st.Files != int64(len(want)) || st.FilesSkipped != 11 || st.Kind != "s3" || st.Source != "s3://trail/" {
			t.Errorf("stats: files %d skipped %d kind %q source %q; want %d read, 11 skipped (10 delivered before the window, 1 not a log file)",
				st.Files, st.FilesSkipped, st.Kind, st.Source, len(want))
		}
		if st.Records != int64(3*len(want)) || st.AssumeRole != int64(2*len(want)) || st.Bytes == 0 {
			t.Errorf("stats: %d records, %d assume-role, %d bytes; want %d and %d", st.Records, st.AssumeRole, st.Bytes, 3*len(want), 2*len(want))
		}
		digests := 0
		for _, s := range st.Skipped {
			if strings.HasSuffix(s.Item, "/CloudTrail-Digest/") {
				digests++
			}
		}
		if digests != 3 {
			t.Errorf("skipped %v: want the three CloudTrail-Digest/ folders listed", st.Skipped)
		}

		// The same events as the file source reading the same files...
		dir := t.TempDir()
		fileEvs, _, err := readAll(t, NewFileSource(awsWriteLocal(t, dir, objs, want), FileOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(evs, awsBareEvents(fileEvs)) {
			t.Errorf("S3 decoded %d events, the file source %d from the same files", len(evs), len(fileEvs))
		}
		// ...and every event of the window that the whole trail holds.
		var keys []string
		for k := range objs {
			keys = append(keys, k)
		}
		root := t.TempDir()
		awsWriteLocal(t, root, objs, keys)
		allEvs, _, err := readAll(t, NewFileSource([]string{root}, FileOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		wantIn := awsInWindow(awsBareEvents(allEvs), s3Start, s3End)
		gotIn := awsInWindow(evs, s3Start, s3End)
		if len(wantIn) == 0 || !slices.Equal(gotIn, wantIn) {
			t.Errorf("window events: S3 %d, whole trail %d", len(gotIn), len(wantIn))
		}
		// The event of 23:58 on the last day was delivered after midnight.
		late := 0
		for _, e := range gotIn {
			if e.EventTime.After(s3End.Add(-5 * time.Minute)) {
				late++
			}
		}
		if late == 0 {
			t.Error("no event of the window's last minutes: the day after the window was not read")
		}
	})

	t.Run("account and region filters", func(t *testing.T) {
		rec.reset()
		q := window
		q.Regions = []string{"us-east-1"}
		_, st, err := readS3(t, client, "trail", "AWSLogs/", S3Options{Accounts: []string{s3Account2, s3Account3}}, q)
		if err != nil {
			t.Fatal(err)
		}
		want := s3Expected(func(f s3Folder) bool { return f.account != s3Account1 && f.region == "us-east-1" })
		if got := rec.fetched(); !slices.Equal(got, want) || st.Files != int64(len(want)) {
			t.Errorf("objects read:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The prefix covers only the accounts the filter keeps.
		if len(st.Layouts) == 0 || st.Layouts[0].Keeps == nil || st.Layouts[0].Keeps(s3Account1) || !st.Layouts[0].Keeps(s3Account2) {
			t.Errorf("the prefix's layout does not carry the account filter: %+v", st.Layouts)
		}
		for _, p := range rec.listed() {
			if strings.Contains(p, s3Account1) || strings.Contains(p, "eu-west-1") {
				t.Errorf("listed %s, which the filters exclude", p)
			}
		}
		// What the filters leave out is in the report: each folder as a
		// skip, and the regions as a coverage gap (a role can be entered
		// through any region's STS endpoint).
		var leftOut []string
		for _, s := range st.Skipped {
			if strings.Contains(s.Reason, "not asked for") {
				leftOut = append(leftOut, s.Item)
			}
		}
		slices.Sort(leftOut)
		wantOut := []string{
			"s3://trail/AWSLogs/" + s3Account1 + "/",
			"s3://trail/AWSLogs/" + s3Org + "/" + s3Account2 + "/CloudTrail/eu-west-1/",
		}
		if !slices.Equal(leftOut, wantOut) {
			t.Errorf("folders left out by the filters, as skipped: %q, want %q", leftOut, wantOut)
		}
		if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "1 other region (eu-west-1)") || !strings.Contains(st.Warnings[0], "--region") {
			t.Errorf("warnings %q: want one naming eu-west-1, left out by the region filter", st.Warnings)
		}

		_, _, err = readS3(t, client, "trail", "", S3Options{Accounts: []string{"999999999999"}}, window)
		if err == nil || !strings.Contains(err.Error(), "999999999999") || !strings.Contains(err.Error(), s3Account1+", "+s3Account2+", "+s3Account3) {
			t.Errorf("unknown account: %v, want an error naming it and the accounts found", err)
		}
		q.Regions = []string{"ap-south-1"}
		_, _, err = readS3(t, client, "trail", "", S3Options{}, q)
		if err == nil || !strings.Contains(err.Error(), "ap-south-1") || !strings.Contains(err.Error(), "eu-west-1, us-east-1") {
			t.Errorf("unknown region: %v, want an error naming it and the regions found", err)
		}
		q.Regions = []string{"all"}
		if _, st, err := readS3(t, client, "trail", "", S3Options{}, q); err != nil || st.Files != int64(len(s3Expected(all))) {
			t.Errorf("region all: %d files, %v", st.Files, err)
		}
	})

	t.Run("a prefix named CloudTrail-Digest-something holds log files", func(t *testing.T) {
		// Only the layout's own CloudTrail-Digest folder and digest file
		// names mark digest files, never the prefix the user chose.
		moved := map[string][]byte{}
		for k, v := range objs {
			moved["CloudTrail-Digest-archive/"+k] = v
		}
		s3Bucket(t, newS3Client(t, endpoint, nil), "archive", moved)
		_, want, err := readS3(t, client, "trail", "", S3Options{}, window)
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := readS3(t, client, "archive", "CloudTrail-Digest-archive/", S3Options{}, window)
		if err != nil {
			t.Fatal(err)
		}
		if got.Files != want.Files || got.Records != want.Records || got.AssumeRole != want.AssumeRole || want.AssumeRole == 0 {
			t.Errorf("under CloudTrail-Digest-archive/: %d files, %d records, %d assume-role; want %d, %d, %d as at the bucket's root",
				got.Files, got.Records, got.AssumeRole, want.Files, want.Records, want.AssumeRole)
		}
	})

	t.Run("a prefix that names a missing account or region fails", func(t *testing.T) {
		// A typo in an account id or a region read nothing and passed.
		for _, tc := range []struct{ prefix, want string }{
			{"AWSLogs/111122223334/", "AWSLogs/111122223334/ holds no CloudTrail/ folder: check the organisation and account ids"},
			{"AWSLogs/111122223334/CloudTrail/", "AWSLogs/111122223334/CloudTrail/ holds no region folder"},
			{"AWSLogs/" + s3Org + "/" + s3Account2 + "/CloudTrail/us-east-l/", "CloudTrail/us-east-l/ holds nothing: check the region"},
			{"AWSLogs/" + s3Org + "/" + s3Account1 + "/", "holds no CloudTrail/ folder"},
		} {
			_, _, err := readS3(t, client, "trail", tc.prefix, S3Options{}, window)
			var se *SourceError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want a source error containing %q", tc.prefix, err, tc.want)
			}
		}
	})

	t.Run("a day-folder prefix and a window that ends before the day does", func(t *testing.T) {
		// CloudTrail may deliver the window's last events late, into the
		// next day's folder: still a coverage gap.
		prefix := "AWSLogs/" + s3Org + "/" + s3Account2 + "/CloudTrail/eu-west-1/2026/03/11"
		early := Query{Start: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 11, 22, 0, 0, 0, time.UTC)}
		if _, st, err := readS3(t, client, "trail", prefix, S3Options{}, early); err != nil || len(st.Warnings) != 1 {
			t.Errorf("window ending at 22:00: warnings %q, %v; want the next day's folder", st.Warnings, err)
		}
	})

	t.Run("a prefix inside the layout", func(t *testing.T) {
		for _, tc := range []struct {
			prefix  string
			keep    func(s3Folder) bool
			listing int
		}{
			// A region named in the prefix is listed once to check that it
			// exists, its CloudTrail folder once for the regions beside
			// it, then its day folders.
			{"AWSLogs/" + s3Org + "/" + s3Account2 + "/CloudTrail/eu-west-1/", func(f s3Folder) bool { return f.account == s3Account2 && f.region == "eu-west-1" }, 2 + 3},
			{"AWSLogs/" + s3Org + "/" + s3Account2 + "/CloudTrail/eu-west-1/2026/03/11", func(f s3Folder) bool { return false }, 2 + 1},
			{"AWSLogs/" + s3Org, func(f s3Folder) bool { return f.org != "" }, 1 + 2*2 + 3*3},
			{"AWSLogs/" + s3Account1 + "/", func(f s3Folder) bool { return f.account == s3Account1 }, 2 + 2*3},
		} {
			rec.reset()
			q := window
			if strings.HasSuffix(tc.prefix, "/11") {
				// A day folder as the prefix: the window must lie in that day.
				_, _, err := readS3(t, client, "trail", tc.prefix, S3Options{}, window)
				if err == nil || !strings.Contains(err.Error(), "does not hold the window's day 2026/03/10") {
					t.Errorf("%s with a window from the 10th: %v, want an error naming 2026/03/10", tc.prefix, err)
				}
				rec.reset()
				q = Query{Start: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)}
			}
			_, st, err := readS3(t, client, "trail", tc.prefix, S3Options{}, q)
			if err != nil {
				t.Fatalf("%s: %v", tc.prefix, err)
			}
			if strings.HasSuffix(tc.prefix, "/11") {
				found := false
				for _, sk := range st.Skipped {
					found = found || strings.Contains(sk.Reason, "day folders 2026/03/12") && strings.Contains(sk.Reason, "not read")
				}
				if !found {
					t.Errorf("%s: the delivery day 2026/03/12 outside the prefix is not reported: %v", tc.prefix, st.Skipped)
				}
				// A late delivery of the window's last events is in the
				// next day's folder: a coverage gap (SC2002), not only a skip.
				if len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "day folders 2026/03/12") {
					t.Errorf("%s: warnings %q, want the day folder outside the prefix", tc.prefix, st.Warnings)
				}
			}
			want := s3Expected(tc.keep)
			if strings.HasSuffix(tc.prefix, "/11") {
				want = nil
				for _, k := range s3Expected(func(f s3Folder) bool { return f.account == s3Account2 && f.region == "eu-west-1" }) {
					if strings.Contains(k, "/2026/03/11/") {
						want = append(want, k)
					}
				}
			}
			if got := rec.fetched(); !slices.Equal(got, want) || st.Files != int64(len(want)) {
				t.Errorf("%s: read %d objects, want %d", tc.prefix, len(got), len(want))
			}
			if got := len(rec.listed()); got != tc.listing {
				t.Errorf("%s: %d listings %v, want %d", tc.prefix, got, rec.listed(), tc.listing)
			}
			// A prefix that names a region tells the region folders beside
			// it, as RegionFolderGaps reads them.
			if strings.Contains(tc.prefix, "/eu-west-1") {
				found := false
				for _, l := range st.Layouts {
					found = found || l.Regions != nil && slices.Contains(l.Regions, "eu-west-1") && strings.HasSuffix(l.Trail, s3Account2+"/CloudTrail/")
				}
				if !found {
					t.Errorf("%s: the region folders beside it are not told: %+v", tc.prefix, st.Layouts)
				}
			}
		}
	})

	t.Run("an object deleted between listing and reading", func(t *testing.T) {
		plain := newS3Client(t, endpoint, nil)
		smallKeys := s3Expected(func(f s3Folder) bool { return f.account == s3Account1 && f.region == "us-east-1" })
		victim := smallKeys[len(smallKeys)/2]
		small := map[string][]byte{}
		for _, k := range smallKeys {
			small[k] = objs[k]
		}
		for _, skip := range []bool{false, true} {
			bucket := fmt.Sprintf("vanishing-%t", skip)
			s3Bucket(t, plain, bucket, small)
			r := &s3Recorder{base: http.DefaultTransport}
			var once sync.Once
			r.intercept = func(req s3Request) *http.Response {
				if req.method == http.MethodGet && req.key == victim {
					once.Do(func() {
						if _, err := plain.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(victim)}); err != nil {
							t.Errorf("deleting %s: %v", victim, err)
						}
					})
				}
				return nil
			}
			_, st, err := readS3(t, newS3Client(t, endpoint, r), bucket, "", S3Options{Files: FileOptions{SkipUnreadable: skip}}, window)
			if !skip {
				var se *SourceError
				if !errors.As(err, &se) || se.Source != "s3://"+bucket+"/"+victim || !strings.Contains(err.Error(), "NoSuchKey") ||
					!strings.Contains(err.Error(), "deleted between listing and reading") {
					t.Errorf("err = %v, want a *SourceError naming s3://%s/%s and NoSuchKey", err, bucket, victim)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Unreadable != 1 || st.Files != int64(len(small)-1) {
				t.Errorf("skipping: %d unreadable, %d read; want 1 and %d", st.Unreadable, st.Files, len(small)-1)
			}
			found := false
			for _, s := range st.Skipped {
				found = found || (s.Item == "s3://"+bucket+"/"+victim && strings.Contains(s.Reason, "NoSuchKey"))
			}
			if !found {
				t.Errorf("skipped %v: want the deleted object with its reason", st.Skipped)
			}
		}
	})

	t.Run("access denied names the IAM action", func(t *testing.T) {
		for _, tc := range []struct {
			deny   func(s3Request) bool
			action string
			source string
		}{
			{func(r s3Request) bool { return r.method == http.MethodGet && !r.list && r.key != "" }, "s3:GetObject", "s3://trail/AWSLogs/"},
			{func(r s3Request) bool { return r.list && strings.HasSuffix(r.prefix, "/CloudTrail/") }, "s3:ListBucket", "s3://trail/"},
			{func(r s3Request) bool { return r.method == http.MethodHead }, "s3:ListBucket", "s3://trail/"},
		} {
			r := &s3Recorder{base: http.DefaultTransport, intercept: func(req s3Request) *http.Response {
				if !tc.deny(req) {
					return nil
				}
				body := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R1</RequestId></Error>`
				if req.method == http.MethodHead {
					body = ""
				}
				return &http.Response{StatusCode: http.StatusForbidden, Status: "403 Forbidden", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
					Header: http.Header{"Content-Type": {"application/xml"}}, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
			}}
			_, _, err := readS3(t, newS3Client(t, endpoint, r), "trail", "", S3Options{}, window)
			var se *SourceError
			if !errors.As(err, &se) || !strings.HasPrefix(se.Source, tc.source) {
				t.Errorf("%s: err = %v, want a *SourceError for %s…", tc.action, err, tc.source)
				continue
			}
			for _, want := range []string{"access denied", "lacks the IAM permission " + tc.action, DocsIAM} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s: error %q does not say %q", tc.action, err, want)
				}
			}
		}
	})

	t.Run("a missing bucket or an empty prefix", func(t *testing.T) {
		_, _, err := readS3(t, client, "no-such-bucket", "", S3Options{}, window)
		if err == nil || !strings.Contains(err.Error(), `bucket "no-such-bucket" does not exist`) {
			t.Errorf("missing bucket: %v", err)
		}
		_, _, err = readS3(t, client, "trail", "elsewhere/", S3Options{}, window)
		if err == nil || !strings.Contains(err.Error(), "no CloudTrail log folders under s3://trail/elsewhere/AWSLogs/") {
			t.Errorf("empty prefix: %v", err)
		}
		_, _, err = readS3(t, client, "trail", "AWSLogs/"+s3Account1+"/CloudTrail-Digest/", S3Options{}, window)
		if err == nil || !strings.Contains(err.Error(), "want CloudTrail/ after the account id") {
			t.Errorf("digest prefix: %v", err)
		}
	})

	t.Run("progress", func(t *testing.T) {
		var p awsProgress
		_, st, err := readS3(t, client, "trail", "", S3Options{Files: FileOptions{Progress: &p}}, window)
		if err != nil {
			t.Fatal(err)
		}
		if p.starts != 1 || p.finishes != 1 || p.total != st.Files || p.done != st.Files || p.events != st.Records || p.unit != "objects" {
			t.Errorf("progress: %d starts, %d finishes, unit %q, %d of %d done, %d events; want one start and finish, %d objects, %d events", p.starts, p.finishes, p.unit, p.done, p.total, p.events, st.Files, st.Records)
		}
	})
}

// awsProgress records what a source reports.
type awsProgress struct {
	mu                  sync.Mutex
	starts, finishes    int
	unit                string
	total, done, events int64
}

func (p *awsProgress) Start(_, unit string) {
	p.mu.Lock()
	p.starts++
	p.unit = unit
	p.mu.Unlock()
}
func (p *awsProgress) Grow(n int64) { p.mu.Lock(); p.total += n; p.mu.Unlock() }
func (p *awsProgress) Add(d, e int64) {
	p.mu.Lock()
	p.done += d
	p.events += e
	p.mu.Unlock()
}
func (p *awsProgress) Finish() { p.mu.Lock(); p.finishes++; p.mu.Unlock() }

func TestParseS3URL(t *testing.T) {
	for _, tc := range []struct{ in, bucket, prefix, err string }{
		{"s3://trail", "trail", "", ""},
		{"s3://trail/", "trail", "", ""},
		{"s3://trail/logs/AWSLogs/", "trail", "logs/AWSLogs/", ""},
		{"s3:///AWSLogs", "", "", "names no bucket"},
		{"https://trail", "", "", "not an S3 URL"},
	} {
		b, p, err := ParseS3URL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || b != tc.bucket || p != tc.prefix {
			t.Errorf("%s = %q %q %v, want %q %q", tc.in, b, p, err, tc.bucket, tc.prefix)
		}
	}
}

func TestParseLayout(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		want   s3Layout
		err    string
	}{
		{"", s3Layout{root: "AWSLogs/"}, ""},
		{"my-trail", s3Layout{root: "my-trail/AWSLogs/"}, ""},
		{"a/b/", s3Layout{root: "a/b/AWSLogs/"}, ""},
		{"AWSLogs", s3Layout{root: "AWSLogs/"}, ""},
		{"x/AWSLogs/o-abcdefghij/", s3Layout{root: "x/AWSLogs/", org: "o-abcdefghij"}, ""},
		{"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03", s3Layout{root: "AWSLogs/", account: "111122223333", trail: true, region: "eu-west-1", date: []string{"2026", "03"}}, ""},
		{"AWSLogs/o-abcdefghij/111122223333/CloudTrail/", s3Layout{root: "AWSLogs/", org: "o-abcdefghij", account: "111122223333", trail: true}, ""},
		{"AWSLogs/1234/", s3Layout{}, "12-digit account id"},
		{"AWSLogs/111122223333/Config/", s3Layout{}, "want CloudTrail/"},
		{"AWSLogs/111122223333/CloudTrail/eu-west-1/26/", s3Layout{}, "date folder"},
		{"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/11/x.json.gz", s3Layout{}, "nothing after the day folder"},
	} {
		got, err := parseLayout(tc.prefix)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want %q", tc.prefix, err, tc.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q = %+v %v, want %+v", tc.prefix, got, err, tc.want)
		}
	}
}

func TestDayFolders(t *testing.T) {
	d := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		start, end string
		want       string
	}{
		{"2026-03-10T12:00:00Z", "2026-03-12T00:00:00Z", "2026/03/10/ 2026/03/11/ 2026/03/12/"},
		{"2026-03-10T12:00:00Z", "2026-03-10T13:00:00Z", "2026/03/10/ 2026/03/11/"},
		{"2026-02-28T23:00:00+02:00", "2026-03-01T00:00:01Z", "2026/02/28/ 2026/03/01/ 2026/03/02/"},
		{"2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z", "2026/12/31/ 2027/01/01/"},
		{"2026-03-10T00:00:00Z", "2026-03-10T00:00:00Z", ""},
	} {
		got := strings.Join(dayFolders(d(tc.start), d(tc.end), DefaultDeliverySlack), " ")
		if got != tc.want {
			t.Errorf("%s..%s = %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
}

func TestDeliveredBefore(t *testing.T) {
	at := time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"111122223333_CloudTrail_us-east-1_20260310T1030Z_ab12.json.gz", true},
		{"111122223333_CloudTrail_us-east-1_20260310T1059Z_ab12.json.gz", false}, // delivered up to 10:59:59
		{"111122223333_CloudTrail_us-east-1_20260310T1100Z_ab12.json", false},
		{"111122223333_CloudTrail_us-east-1_20260310T1030Z.json.gz", false}, // not CloudTrail's name: read
		{"notes.json", false},
	} {
		if got := deliveredBefore(tc.name, at); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// FuzzParseLayout checks that any prefix is either refused or understood
// whole: the layout it yields spells the prefix again.
func FuzzParseLayout(f *testing.F) {
	for _, s := range []string{"", "AWSLogs/", "logs/AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1/2026/03/11/",
		"AWSLogs//111122223333", "AWSLogs/o-abcdefghij/CloudTrail", "a/AWSLogs/b/AWSLogs", "AWSLogs/111122223333/CloudTrail/x/2026/1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, prefix string) {
		l, err := parseLayout(prefix)
		if err != nil {
			return
		}
		if !strings.HasSuffix(l.root, "AWSLogs/") || len(l.date) > 3 || (l.account != "" && !awsaccount.IsID(l.account)) {
			t.Fatalf("%q: layout %+v", prefix, l)
		}
		var segs []string
		for _, s := range strings.Split(prefix, "/") {
			if s != "" {
				segs = append(segs, s)
			}
		}
		if !slices.Contains(segs, "AWSLogs") {
			// The trail's own prefix: AWSLogs/ is below it.
			if want := strings.Join(append(segs, "AWSLogs"), "/") + "/"; l.root != want || l.account != "" || l.trail {
				t.Fatalf("%q: layout %+v, want only the root %q", prefix, l, want)
			}
			return
		}
		parts := []string{strings.TrimSuffix(l.root, "/")}
		for _, p := range []string{l.org, l.account} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		if l.trail {
			parts = append(parts, "CloudTrail")
		}
		if l.region != "" {
			parts = append(parts, l.region)
		}
		parts = append(parts, l.date...)
		if strings.Join(parts, "/") != strings.Join(segs, "/") {
			t.Fatalf("%q: layout %+v spells %q", prefix, l, strings.Join(parts, "/"))
		}
	})
}

// A listing page says whether more follow: a truncated page without a
// token cannot be followed and fails; a token without IsTruncated (some
// S3-compatible stores) is followed; a repeated token fails.
func TestS3NextToken(t *testing.T) {
	r := &s3Run{s: &s3Source{bucket: "b"}}
	tok := func(s string) *string { return &s }
	for _, tc := range []struct {
		name      string
		truncated *bool
		token     *string
		want      string // "" = the end, "error", or the token
	}{
		{"last page", aws.Bool(false), nil, ""},
		{"more pages", aws.Bool(true), tok("t1"), "t1"},
		{"truncated without a token", aws.Bool(true), nil, "error"},
		{"truncated with an empty token", aws.Bool(true), tok(""), "error"},
		{"a token without IsTruncated", nil, tok("t2"), "t2"},
		{"IsTruncated false beside a token", aws.Bool(false), tok("t3"), ""},
		{"neither", nil, nil, ""},
	} {
		next, err := r.nextToken("p/", &s3.ListObjectsV2Output{IsTruncated: tc.truncated, NextContinuationToken: tc.token}, map[string]bool{})
		got := ""
		switch {
		case err != nil:
			got = "error"
		case next != nil:
			got = *next
		}
		if got != tc.want {
			t.Errorf("%s: %q (%v), want %q", tc.name, got, err, tc.want)
		}
	}
	seen := map[string]bool{}
	out := &s3.ListObjectsV2Output{IsTruncated: aws.Bool(true), NextContinuationToken: tok("again")}
	if _, err := r.nextToken("p/", out, seen); err != nil {
		t.Fatal(err)
	}
	if _, err := r.nextToken("p/", out, seen); err == nil || !strings.Contains(err.Error(), "same continuation token twice") {
		t.Errorf("a repeated token: %v", err)
	}
}

// slowFirstS3 is flakyS3 where the objects whose key holds "A_slow" take
// 200 ms to arrive.
type slowFirstS3 struct{ flakyS3 }

func (f *slowFirstS3) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if strings.Contains(aws.ToString(in.Key), "A_slow") {
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(f.objects[aws.ToString(in.Key)]))}, nil
}

// With two corrupt objects, the error names the first in listing order,
// as the file source does, whatever InFlight and whichever download
// finishes first (it named the one that failed first in time).
func TestS3FirstErrorInListingOrder(t *testing.T) {
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	kA := cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(5*time.Minute), "A_slow")
	kB := cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(6*time.Minute), "B")
	objs := map[string][]byte{kA: []byte("garbage A"), kB: []byte("garbage B")}
	q := Query{Start: at.Add(-time.Hour), End: at.Add(time.Hour)}
	for _, opts := range []S3Options{{InFlight: 1}, {InFlight: 4}, {InFlight: 1, Prefetch: -1}, {InFlight: 4, Prefetch: -1}} {
		src := newS3Source(&slowFirstS3{flakyS3{objects: objs}}, "us-east-1", "b", "", opts)
		_, err := src.Read(context.Background(), q, func(Event) {})
		if err == nil || !strings.Contains(err.Error(), "A_slow") {
			t.Errorf("%+v: error %v, want the first object's (A_slow)", opts, err)
		}
	}
}

// pagedS3 lists each day folder in two pages: the first is flakyS3's
// listing with a continuation token, the second fails.
type pagedS3 struct {
	flakyS3
	getDelay time.Duration
}

func (f *pagedS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, o ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	if aws.ToString(in.Delimiter) == "" {
		if in.ContinuationToken != nil {
			return nil, errors.New("the second page broke")
		}
		out, err := f.flakyS3.ListObjectsV2(ctx, in, o...)
		if err == nil && len(out.Contents) > 0 {
			out.IsTruncated, out.NextContinuationToken = aws.Bool(true), aws.String("t2")
		}
		return out, err
	}
	return f.flakyS3.ListObjectsV2(ctx, in, o...)
}

func (f *pagedS3) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	time.Sleep(f.getDelay)
	return f.flakyS3.GetObject(ctx, in, o...)
}

// A listing page that fails comes after the objects of the pages before
// it: a corrupt object on page 1 is the error named, however long its
// download takes (the listing error came first in line).
func TestS3ListingErrorAfterItsObjects(t *testing.T) {
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	kA := cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(5*time.Minute), "OBJA")
	q := Query{Start: at.Add(-time.Hour), End: at.Add(time.Hour)}
	for _, d := range []time.Duration{0, 100 * time.Millisecond} {
		src := newS3Source(&pagedS3{flakyS3: flakyS3{objects: map[string][]byte{kA: []byte("garbage A")}}, getDelay: d}, "us-east-1", "b", "", S3Options{InFlight: 2})
		_, err := src.Read(context.Background(), q, func(Event) {})
		if err == nil || !strings.Contains(err.Error(), "OBJA") {
			t.Errorf("download delay %v: error %v, want the page-1 object's", d, err)
		}
	}
}

// An object beside the region folders (CloudTrail never writes one there)
// is not read, but it is in the report.
func TestS3ObjectsBesideRegionFolders(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	rec := assumeRole()
	set(rec, "eventTime", at.Format(time.RFC3339))
	doc := gzipBytes(t, recordsDoc(t, rec))
	objs := map[string][]byte{
		cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(5*time.Minute), "A"): doc,
		"AWSLogs/111122223333/CloudTrail/copied.json.gz":                                doc,
	}
	src := newS3Source(&flakyS3{objects: objs}, "us-east-1", "b", "", S3Options{})
	st, err := src.Read(context.Background(), Query{Start: at.Add(-time.Hour), End: at.Add(time.Hour)}, func(Event) {})
	if err != nil {
		t.Fatal(err)
	}
	want := Skip{Item: "s3://b/AWSLogs/111122223333/CloudTrail/", Reason: "1 object outside the region folders"}
	if st.Files != 1 || !slices.Contains(st.Skipped, want) {
		t.Errorf("%d files read, skipped %+v; want 1 read and %+v", st.Files, st.Skipped, want)
	}
}

// The source tells which accounts' folders it read (the engine compares
// them with the accounts the policy's profiles need): those of the bucket
// or prefix, less those a filter leaves out.
func TestS3Accounts(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	doc := gzipBytes(t, recordsDoc(t, set(assumeRole(), "eventTime", at.Format(time.RFC3339))))
	objs := map[string][]byte{
		cloudtrailtest.Key("", "111122223333", "us-east-1", at.Add(5*time.Minute), "A"): doc,
		cloudtrailtest.Key("", "777788889999", "us-east-1", at.Add(5*time.Minute), "B"): doc,
		// Another service's logs under an account folder without
		// CloudTrail/ (AWS Config, VPC Flow Logs), or a CloudTrail folder
		// without region folders: neither holds that account's sessions.
		"AWSLogs/444455556666/Config/eu-west-1/2024/5/1/ConfigSnapshot/x.json.gz": doc,
		"AWSLogs/555566667777/CloudTrail/notes.txt":                               doc,
	}
	q := Query{Start: at.Add(-time.Hour), End: at.Add(time.Hour), Needed: []string{"111122223333", "444455556666", "555566667777", "777788889999"}}
	for _, tc := range []struct {
		name, prefix string
		accounts     []string
		want         []string
	}{
		{"the bucket", "", nil, []string{"111122223333", "777788889999"}},
		{"a prefix naming one account", "AWSLogs/111122223333/", nil, []string{"111122223333"}},
		{"a filter", "", []string{"111122223333"}, []string{"111122223333"}},
	} {
		src := newS3Source(&flakyS3{objects: objs}, "us-east-1", "b", tc.prefix, S3Options{Accounts: tc.accounts})
		st, err := src.Read(context.Background(), q, func(Event) {})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !st.AccountsKnown || !slices.Equal(st.Accounts, tc.want) || len(st.Warnings) != 0 {
			t.Errorf("%s: accounts %v (known %v), warnings %q; want %v and no warning", tc.name, st.Accounts, st.AccountsKnown, st.Warnings, tc.want)
		}
	}
}

// The same list given twice (a source's regions and the query's) is
// described once in skip reasons and warnings.
func TestFilterDescribesEachListOnce(t *testing.T) {
	f := newFilter([]string{"us-east-1", "eu-west-1"}, []string{"us-east-1", "eu-west-1"})
	if !slices.Equal(f.desc, []string{"us-east-1, eu-west-1"}) || !f.keep("eu-west-1") || f.keep("ap-south-1") {
		t.Errorf("same list twice: desc %q", f.desc)
	}
	f = newFilter([]string{"us-east-1", "eu-west-1"}, []string{"eu-west-1"}, []string{"all"}, nil)
	if !slices.Equal(f.desc, []string{"us-east-1, eu-west-1", "eu-west-1"}) || f.keep("us-east-1") || !f.keep("eu-west-1") {
		t.Errorf("two lists: desc %q", f.desc)
	}
}

// A region must be one of some AWS partition: a mistyped one would filter
// out every region that holds logs.
func TestValidateRegions(t *testing.T) {
	for _, tc := range []struct {
		regions []string
		err     string
	}{
		{[]string{"eu-west-1", "us-gov-west-1", "cn-north-1", "all"}, ""},
		{[]string{"us-east-1", "eu-wset-1"}, `region "eu-wset-1" is not an AWS region; did you mean "eu-west-1"? (a region launched after this version of sentinel-check needs a newer one)`},
		{[]string{"EU-WEST-1"}, `region "EU-WEST-1" is not an AWS region name; did you mean "eu-west-1"?: use names such as eu-west-1 or us-east-1`},
		{[]string{"xy-zzzzz-7"}, `region "xy-zzzzz-7" is not an AWS region (a region`},
		{[]string{"eusc-de-east-1"}, ""},
		{[]string{"eu-west-1' OR 1=1"}, `region "eu-west-1' OR 1=1" is not an AWS region name`},
	} {
		err := ValidateRegions(tc.regions)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ValidateRegions(%q) = %v, want %q", tc.regions, err, tc.err)
		}
	}
}
