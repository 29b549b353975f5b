package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/sentinel-check/sentinel-check/internal/awsaccount"
	"github.com/sentinel-check/sentinel-check/internal/awsattempt"
	"github.com/sentinel-check/sentinel-check/internal/english"
)

// Defaults of S3Options.Prefetch and PrefetchBytes: 64 downloads at once
// keep two decoders busy with files of 50 KB of JSON at 20 ms to first
// byte (BenchmarkS3Latency); 8 MiB of buffers hold 4 to 8 MiB of
// compressed files, 50 to 100 MB of JSON, what two CPUs decode in 40 to
// 80 ms: more than S3 takes to start sending the next ones.
const (
	DefaultS3Prefetch      = 64
	DefaultS3PrefetchBytes = 8 << 20
)

// MaxPrefetchedObject is the largest log file downloaded ahead of its
// decoding: 1 MiB of gzip is about 10 MB of JSON, which takes longer to
// decode than its first byte takes to come, so downloading it ahead gains
// little and holds its bytes.
const MaxPrefetchedObject = 1 << 20

// DefaultDeliverySlack is how long after the window's end S3 day folders
// are still listed: CloudTrail delivers a log file after the events it
// holds (typically within 15 minutes), in the folder of its delivery day.
const DefaultDeliverySlack = 24 * time.Hour

// S3Options tune the S3 source. The zero value is ready to use.
type S3Options struct {
	// Files configures decoding (size caps, SkipUnreadable, Progress); its
	// Workers field is not used here, see InFlight.
	Files FileOptions
	// Progress receives the objects listed and read (nil: Files.Progress,
	// else nothing).
	Progress Progress
	// InFlight bounds the objects decoded at once; 0 means 2×GOMAXPROCS.
	InFlight int
	// Prefetch bounds the log files downloaded whole, at once, ahead of
	// their decoding (0: DefaultS3Prefetch; -1: none, each object is
	// streamed into its decoder), and PrefetchBytes the bytes they hold
	// (0: DefaultS3PrefetchBytes). Log files are small and every GET first
	// waits for S3's time to first byte, so a read that downloads only as
	// many as it decodes waits more than it decodes. A file listed larger
	// than MaxPrefetchedObject, or than a quarter of PrefetchBytes, is
	// streamed into its decoder. The larger of InFlight and Prefetch
	// bounds the listings made at once.
	Prefetch      int
	PrefetchBytes int64
	// Accounts and Regions keep only these accounts' and regions' folders
	// (empty = all; "all" = all). The Query's Accounts and Regions apply too.
	Accounts, Regions []string
	// DeliverySlack is how long after the window's end day folders are still
	// listed; 0 means DefaultDeliverySlack (one day).
	DeliverySlack time.Duration
}

// s3API is the part of *s3.Client the source uses.
type s3API interface {
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// ParseS3URL splits s3://bucket/prefix. The prefix may be empty.
func ParseS3URL(spec string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(spec, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an S3 URL: want s3://BUCKET/PREFIX", spec)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket: want s3://BUCKET/PREFIX, e.g. s3://my-trail-bucket/AWSLogs/", spec)
	}
	if strings.ContainsAny(bucket, " \t\n") {
		return "", "", fmt.Errorf("bucket name %q holds spaces: want s3://BUCKET/PREFIX", bucket)
	}
	return bucket, prefix, nil
}

// NewS3Source reads CloudTrail log files from s3://bucket/prefix. prefix is
// the trail's S3 key prefix (the folder that holds AWSLogs/) or any folder
// inside the layout, such as AWSLogs/, AWSLogs/<account>/,
// AWSLogs/<org-id>/<account>/CloudTrail/<region>/ or a year, month or day
// folder below it.
//
// Read discovers the accounts (also under an organisation id) and regions
// with delimited listings, then lists only the day folders
// AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/ from the
// window's first day to the day of its end plus DeliverySlack, for the
// accounts and regions the filters keep. CloudTrail-Digest/ and other
// folders beside CloudTrail/ are not read (each is listed in
// Stats.Skipped). Objects are decoded in parallel, at most InFlight at
// once; up to Prefetch small ones are downloaded ahead of their decoding
// and the others streamed into DecodeStream (see S3Options).
//
// Stats count the objects read (Files), passed over (FilesSkipped: log
// files delivered long before the window, by the time in their name;
// non-log objects), the bytes downloaded, the records decoded, and every
// HTTP request sent (Requests, retries included) and retried (Retries).
func NewS3Source(client *s3.Client, bucket, prefix string, opts S3Options) Source {
	region := ""
	if client != nil {
		region = client.Options().Region
	}
	return newS3Source(client, region, bucket, prefix, opts)
}

func newS3Source(api s3API, region, bucket, prefix string, opts S3Options) *s3Source {
	if opts.InFlight <= 0 {
		opts.InFlight = 2 * runtime.GOMAXPROCS(0)
	}
	if opts.Prefetch == 0 {
		opts.Prefetch = DefaultS3Prefetch
	}
	if opts.PrefetchBytes <= 0 {
		opts.PrefetchBytes = DefaultS3PrefetchBytes
	}
	if opts.DeliverySlack <= 0 {
		opts.DeliverySlack = DefaultDeliverySlack
	}
	if opts.Progress == nil {
		opts.Progress = opts.Files.Progress
	}
	opts.Files = opts.Files.WithDefaults()
	return &s3Source{api: api, clientRegion: region, bucket: bucket, prefix: prefix, opts: opts}
}

type s3Source struct {
	api          s3API
	clientRegion string
	bucket       string
	prefix       string
	opts         S3Options
}

func (s *s3Source) Name() string { return "s3://" + s.bucket + "/" + s.prefix }

// listings is how many listings are made at once: as many as downloads,
// as each waits for S3's time to first byte too (an organisation's trail
// has a day folder per account, region and day to list).
func (s *s3Source) listings() int { return max(s.opts.InFlight, s.opts.Prefetch) }

// Layout patterns.
var (
	orgIDPattern    = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	yearPattern     = regexp.MustCompile(`^[0-9]{4}$`)
	twoDigitPattern = regexp.MustCompile(`^[0-9]{2}$`)
)

// s3Layout is the part of the layout fixed by the prefix.
type s3Layout struct {
	root    string   // key prefix ending in "AWSLogs/"
	org     string   // organisation id, if the prefix names it
	account string   // account id, if the prefix names it
	trail   bool     // the prefix reaches CloudTrail/
	region  string   // region, if the prefix names it
	date    []string // YYYY, MM, DD given by the prefix (0 to 3 of them)
}

// parseLayout reads what the prefix fixes of the CloudTrail key layout.
func parseLayout(prefix string) (s3Layout, error) {
	var segs []string
	for _, s := range strings.Split(prefix, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	at := slices.Index(segs, "AWSLogs")
	if at < 0 {
		root := strings.Join(segs, "/")
		if root != "" {
			root += "/"
		}
		return s3Layout{root: root + "AWSLogs/"}, nil
	}
	l := s3Layout{root: strings.Join(segs[:at+1], "/") + "/"}
	rest := segs[at+1:]
	bad := func(what, got string) (s3Layout, error) {
		return s3Layout{}, fmt.Errorf("the prefix does not follow CloudTrail's layout AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/: want %s, got %q", what, got)
	}
	i := 0
	if i < len(rest) && orgIDPattern.MatchString(rest[i]) {
		l.org = rest[i]
		i++
	}
	if i < len(rest) {
		if !awsaccount.IsID(rest[i]) {
			return bad("a 12-digit account id or an organisation id (o-…) after AWSLogs/", rest[i])
		}
		l.account = rest[i]
		i++
	}
	if i < len(rest) {
		if rest[i] != "CloudTrail" {
			return bad("CloudTrail/ after the account id (digest and insight files hold no API calls)", rest[i])
		}
		l.trail = true
		i++
	}
	if i < len(rest) {
		l.region = rest[i]
		i++
	}
	for _, p := range []*regexp.Regexp{yearPattern, twoDigitPattern, twoDigitPattern} {
		if i >= len(rest) {
			break
		}
		if !p.MatchString(rest[i]) {
			return bad("a date folder YYYY/MM/DD after the region", rest[i])
		}
		l.date = append(l.date, rest[i])
		i++
	}
	if i < len(rest) {
		return bad("nothing after the day folder (give a folder, not a file)", rest[i])
	}
	return l, nil
}

// filter keeps names found in every non-empty list ("all" = no limit); desc
// describes the lists, each once.
type filter struct {
	sets []map[string]bool
	desc []string
}

func newFilter(lists ...[]string) filter {
	var f filter
	for _, l := range lists {
		if len(l) == 0 || slices.Contains(l, "all") || slices.Contains(f.desc, strings.Join(l, ", ")) {
			continue // no limit, or the same list again (the source's and the query's)
		}
		m := map[string]bool{}
		for _, v := range l {
			m[v] = true
		}
		f.sets = append(f.sets, m)
		f.desc = append(f.desc, strings.Join(l, ", "))
	}
	return f
}

func (f filter) keep(v string) bool {
	for _, m := range f.sets {
		if !m[v] {
			return false
		}
	}
	return true
}

func (f filter) active() bool { return len(f.sets) > 0 }

// dayFolders lists the YYYY/MM/DD/ folders that can hold events of
// [start, end): from start's day to the day of end plus slack.
func dayFolders(start, end time.Time, slack time.Duration) []string {
	if !end.After(start) {
		return nil
	}
	day := func(t time.Time) time.Time {
		t = t.UTC()
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	first, last := day(start), day(end.Add(-time.Nanosecond).Add(slack))
	var out []string
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format("2006/01/02/"))
	}
	return out
}

// s3Object is one object to read.
type s3Object struct {
	key  string
	size int64
	// pos is the object's place in listing order: its folder's index,
	// then its place in the folder (-1: the folder's listing itself).
	pos s3Pos
	// got is the object's first download when it was prefetched (see
	// S3Options.Prefetch), nil when it is to be streamed.
	got *s3Download
}

// s3Download is an object downloaded whole before it is decoded: its
// bytes and what ended them (nil: the whole body), or the error of its
// GetObject.
type s3Download struct {
	data    []byte // what is left to read of buf
	buf     *[]byte
	bodyErr error
	getErr  error
	release func() // gives its bytes back to the prefetch budget
}

// downloadBufs keeps the buffers of the downloads decoded for the next
// ones, by size class: minDownloadBuf << i bytes, up to twice
// MaxPrefetchedObject (fresh buffers would be zeroed each time, and
// collected).
var downloadBufs [8]sync.Pool

const minDownloadBuf = 16 << 10

// downloadClass returns the size class of a buffer for n bytes, and false
// when n is larger than every class.
func downloadClass(n int64) (int, bool) {
	for i := range downloadBufs {
		if n <= minDownloadBuf<<i {
			return i, true
		}
	}
	return 0, false
}

// downloadBufSize is the capacity of the buffer that downloadBuf gives
// for n bytes: its size class, what the prefetch budget counts.
func downloadBufSize(n int64) int64 {
	if i, ok := downloadClass(n); ok {
		return minDownloadBuf << i
	}
	return n
}

// downloadBuf returns an empty buffer that holds at least n bytes.
func downloadBuf(n int64) *[]byte {
	if i, ok := downloadClass(n); ok {
		if b, ok := downloadBufs[i].Get().(*[]byte); ok {
			*b = (*b)[:0]
			return b
		}
	}
	b := make([]byte, 0, downloadBufSize(n))
	return &b
}

// putDownloadBuf gives a buffer of downloadBuf back.
func putDownloadBuf(b *[]byte) {
	if i, ok := downloadClass(int64(cap(*b))); ok && cap(*b) == minDownloadBuf<<i {
		downloadBufs[i].Put(b)
	}
}

func (d *s3Download) Read(p []byte) (int, error) {
	if len(d.data) == 0 {
		if d.bodyErr != nil {
			return 0, d.bodyErr
		}
		return 0, io.EOF
	}
	n := copy(p, d.data)
	d.data = d.data[n:]
	return n, nil
}

type s3Pos struct{ folder, seq int }

func (p s3Pos) before(o s3Pos) bool {
	return p.folder < o.folder || p.folder == o.folder && p.seq < o.seq
}

// s3Run is the state of one Read.
type s3Run struct {
	s        *s3Source
	q        Query
	region   string // region requests go to ("" = the client's)
	accounts filter
	regions  filter
	prog     Progress

	requests atomic.Int64
	retries  atomic.Int64

	mu    sync.Mutex
	st    Stats
	skips []Skip
	// first is the error of the first object (or listing) in listing
	// order that failed, so that the error reported does not depend on
	// InFlight or on which download finished first (failed: first is set).
	first     error
	firstPos  s3Pos
	firstFail bool
	// counts of objects passed over, by reason, summarised in one Skip each
	early, other int64
	// the accounts and days the CloudTrail names of the log files listed
	// give
	delivered deliveryDays
}

// optFns returns the per-request options: the bucket's region and the
// request counter. Call it once per API call.
func (r *s3Run) optFns() func(*s3.Options) {
	n := 0
	hook := awsattempt.Hook(func(context.Context) error {
		n++
		r.requests.Add(1)
		if n > 1 {
			r.retries.Add(1)
		}
		return nil
	})
	region := r.region
	return func(o *s3.Options) {
		if region != "" {
			o.Region = region
		}
		// Log files uploaded without a checksum are common: no warning each.
		o.DisableLogOutputChecksumValidationSkipped = true
		o.APIOptions = append(o.APIOptions, hook)
	}
}

func (r *s3Run) url(key string) string { return "s3://" + r.s.bucket + "/" + key }

// trailFound notes an account's CloudTrail folder and its region folders
// (prefixes ending in "/"), as RegionFolderGaps reads them.
func (r *s3Run) trailFound(trail string, regionPrefixes []string) {
	regions := make([]string, 0, len(regionPrefixes))
	for _, rp := range regionPrefixes {
		regions = append(regions, last(rp))
	}
	r.mu.Lock()
	r.st.Layouts = append(r.st.Layouts, Layout{Store: "s3://" + r.s.bucket + "/", Trail: trail, Folder: r.url(trail), Regions: regions})
	r.mu.Unlock()
}

func (r *s3Run) skip(item, reason string) {
	r.mu.Lock()
	r.skips = append(r.skips, Skip{Item: item, Reason: reason})
	r.mu.Unlock()
}

func (r *s3Run) awsErr(action, key string, err error) error {
	src := r.s.Name()
	res := fmt.Sprintf("bucket %q", r.s.bucket)
	if key != "" {
		src = r.url(key)
		res = fmt.Sprintf("the objects of bucket %q", r.s.bucket)
	}
	region := r.region
	if region == "" {
		region = r.s.clientRegion
	}
	return AWSError(AWSCall{Source: src, Action: action, Resource: res, Region: region}, err)
}

// Read lists and reads the log files of the window.
func (s *s3Source) Read(ctx context.Context, q Query, emit func(Event)) (Stats, error) {
	r := &s3Run{
		s:        s,
		q:        q,
		accounts: newFilter(s.opts.Accounts, q.Accounts),
		regions:  newFilter(s.opts.Regions, q.Regions),
		prog:     progressOr(s.opts.Progress),
	}
	r.st = Stats{Source: s.Name(), Kind: "s3"}
	r.prog.Start(s.Name(), "objects")
	defer r.prog.Finish()
	err := r.read(ctx, emit)
	st := r.stats()
	if err != nil {
		if ctx.Err() != nil && !errors.As(err, new(*SourceError)) {
			return st, fmt.Errorf("reading %s: %w", s.Name(), ctx.Err())
		}
		return st, err
	}
	return st, nil
}

func (r *s3Run) stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.Requests = r.requests.Load()
	st.Retries = r.retries.Load()
	st.Skipped = append(append([]Skip(nil), st.Skipped...), r.skips...)
	st.Skipped = append(st.Skipped, deliverySkips(r.s.Name(), r.early, 0)...)
	if r.delivered.unnamed == 0 {
		st.Delivered, st.DeliveredKnown = r.delivered.byAccount(), true
	}
	if r.other > 0 {
		st.Skipped = append(st.Skipped, Skip{Item: r.s.Name(), Reason: fmt.Sprintf(
			"%d objects in day folders that are not log files (not *.json or *.json.gz, or digest files)", r.other)})
	}
	sort.SliceStable(st.Skipped, func(i, j int) bool { return st.Skipped[i].Item < st.Skipped[j].Item })
	return st
}

func (r *s3Run) read(ctx context.Context, emit func(Event)) error {
	layout, err := parseLayout(r.s.prefix)
	if err != nil {
		return &SourceError{Source: r.s.Name(), Err: err}
	}
	given := layoutOf("s3://"+r.s.bucket+"/", r.s.prefix, layout)
	given.Folder = r.url(given.Trail)
	if r.accounts.active() {
		given.Keeps = r.accounts.keep
	}
	r.mu.Lock()
	r.st.Layouts = append(r.st.Layouts, given)
	r.mu.Unlock()
	if err := r.followBucketRegion(ctx); err != nil {
		return err
	}
	regionPrefixes, err := r.discover(ctx, layout)
	if err != nil {
		return err
	}
	var folders []string
	if !r.q.Start.IsZero() && !r.q.End.IsZero() {
		days := dayFolders(r.q.Start, r.q.End, r.s.opts.DeliverySlack)
		want := strings.Join(layout.date, "/")
		var dates []string
		if want != "" {
			dates = []string{want}
		}
		missing, warning := dateFolderCover(dates, r.q, r.s.opts.DeliverySlack, "prefix")
		if missing != nil {
			return &SourceError{Source: r.s.Name(), Err: missing}
		}
		if warning != "" {
			r.skip(r.s.Name(), warning)
			r.mu.Lock()
			r.st.Warnings = append(r.st.Warnings, warning+"; shorten the prefix to the CloudTrail folder to read them")
			r.mu.Unlock()
		}
		for _, rp := range regionPrefixes {
			for _, d := range days {
				if strings.HasPrefix(d, want) {
					folders = append(folders, rp+d)
				}
			}
		}
	} else {
		// No window: read everything under the region folders.
		for _, rp := range regionPrefixes {
			folders = append(folders, rp+strings.Join(layout.date, "/"))
		}
	}
	return r.listAndFetch(ctx, folders, emit)
}

// followBucketRegion asks the bucket's region (HeadBucket) and sends the
// following requests there when it differs from the client's.
func (r *s3Run) followBucketRegion(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		out, err := r.s.api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &r.s.bucket}, r.optFns())
		if err == nil {
			if out.BucketRegion != nil && *out.BucketRegion != "" && *out.BucketRegion != r.s.clientRegion {
				r.region = *out.BucketRegion
			}
			return nil
		}
		current := r.region
		if current == "" {
			current = r.s.clientRegion
		}
		if reg := bucketRegionHeader(err); reg != "" && reg != current && attempt == 0 {
			r.region = reg
			continue
		}
		if isCode(err, "NotFound", "NoSuchBucket") {
			return &SourceError{Source: r.s.Name(), Err: &awsError{
				msg: fmt.Sprintf("bucket %q does not exist (or is in another AWS partition); check the bucket name in %s", r.s.bucket, r.s.Name()),
				err: err,
			}}
		}
		return r.awsErr("s3:ListBucket", "", err)
	}
}

// bucketRegionHeader is the x-amz-bucket-region header of an S3 error
// response: S3 names the bucket's region when a request went elsewhere.
func bucketRegionHeader(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}

func isCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && slices.Contains(codes, apiErr.ErrorCode())
}

// listDirs lists the sub-folders of prefix (a delimited listing); objects
// directly in prefix are returned apart.
func (r *s3Run) listDirs(ctx context.Context, prefix string) (dirs, objects []string, err error) {
	in := &s3.ListObjectsV2Input{Bucket: &r.s.bucket, Prefix: &prefix, Delimiter: aws.String("/")}
	seen := map[string]bool{}
	for {
		out, err := r.s.api.ListObjectsV2(ctx, in, r.optFns())
		if err != nil {
			return nil, nil, r.awsErr("s3:ListBucket", "", err)
		}
		for _, cp := range out.CommonPrefixes {
			if cp.Prefix != nil {
				dirs = append(dirs, *cp.Prefix)
			}
		}
		for _, o := range out.Contents {
			// Keys ending in "/" are folder markers (the S3 console's "create
			// folder"): no content.
			if o.Key != nil && !strings.HasSuffix(*o.Key, "/") {
				objects = append(objects, *o.Key)
			}
		}
		next, err := r.nextToken(prefix, out, seen)
		if err != nil || next == nil {
			return dirs, objects, err
		}
		in.ContinuationToken = next
	}
}

// nextToken returns the continuation token of a listing page, nil at the
// end, and an error when S3 repeats a token (a listing that would loop).
func (r *s3Run) nextToken(prefix string, out *s3.ListObjectsV2Output, seen map[string]bool) (*string, error) {
	hasToken := out.NextContinuationToken != nil && *out.NextContinuationToken != ""
	truncated := out.IsTruncated != nil && *out.IsTruncated
	switch {
	case truncated && !hasToken:
		return nil, &SourceError{Source: r.url(prefix), Err: errors.New("S3 says the listing is truncated but gives no continuation token, so the rest of it cannot be listed; the S3-compatible store may not follow ListObjectsV2: run again, or read a local copy of the logs")}
	case !hasToken, out.IsTruncated != nil && !truncated:
		return nil, nil // the last page (a token beside IsTruncated=false is not followed)
	}
	// A token without IsTruncated (some S3-compatible stores) is followed.
	tok := *out.NextContinuationToken
	if seen[tok] {
		return nil, &SourceError{Source: r.url(prefix), Err: errors.New("S3 returned the same continuation token twice while listing; the listing would never end: run again, and report it if it persists")}
	}
	seen[tok] = true
	return &tok, nil
}

// last is the final folder name of a prefix ending in "/".
func last(prefix string) string {
	p := strings.TrimSuffix(prefix, "/")
	return p[strings.LastIndex(p, "/")+1:]
}

// discover returns the region folders to read:
// <root>[<org>/]<account>/CloudTrail/<region>/.
func (r *s3Run) discover(ctx context.Context, l s3Layout) ([]string, error) {
	accountPrefixes, err := r.accountPrefixes(ctx, l)
	if err != nil {
		return nil, err
	}
	var (
		mu      sync.Mutex
		regions []string
		found   = map[string]bool{}
		leftOut = map[string]bool{} // regions whose folders the filter leaves out
		// held are the accounts with a region folder in their CloudTrail
		// folder: another account's folder (AWS Config, VPC Flow Logs and
		// load balancers write under AWSLogs/<account>/ too) holds none of
		// its sessions.
		held = map[string]bool{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.s.listings())
	for _, ap := range accountPrefixes {
		g.Go(func() error {
			trail := ap + "CloudTrail/"
			if !l.trail {
				dirs, objs, err := r.listDirs(gctx, ap)
				if err != nil {
					return err
				}
				hasTrail := false
				for _, d := range dirs {
					switch last(d) {
					case "CloudTrail":
						hasTrail = true
					case "CloudTrail-Digest":
						r.skip(r.url(d), reasonDigest)
					case "CloudTrail-Insight":
						r.skip(r.url(d), reasonInsightFolder)
					default:
						r.skip(r.url(d), "not a CloudTrail log folder")
					}
				}
				if len(objs) > 0 {
					r.skip(r.url(ap), fmt.Sprintf("%d objects outside the CloudTrail layout", len(objs)))
				}
				if !hasTrail {
					if l.account != "" {
						// The prefix names this account: a typo would
						// otherwise read nothing and pass.
						return &SourceError{Source: r.s.Name(), Err: fmt.Errorf("%s holds no CloudTrail/ folder: check the organisation and account ids in the prefix", r.url(ap))}
					}
					r.skip(r.url(ap), "no CloudTrail/ folder: no log files for this account")
					return nil
				}
			}
			var rps []string
			if l.region != "" {
				// The prefix names the region folder: it must exist (a
				// typo such as us-east-l would read nothing and pass).
				rp := trail + l.region + "/"
				dirs, objs, err := r.listDirs(gctx, rp)
				if err != nil {
					return err
				}
				if len(dirs)+len(objs) == 0 {
					return &SourceError{Source: r.s.Name(), Err: fmt.Errorf("%s holds nothing: check the region (and the account) in the prefix", r.url(rp))}
				}
				rps = []string{rp}
				mu.Lock()
				found[l.region] = true
				mu.Unlock()
				// The region folders beside it, which the prefix leaves
				// out (see RegionFolderGaps).
				siblings, _, err := r.listDirs(gctx, trail)
				if err != nil {
					return err
				}
				r.trailFound(trail, siblings)
			} else {
				dirs, objs, err := r.listDirs(gctx, trail)
				if err != nil {
					return err
				}
				if len(objs) > 0 {
					r.skip(r.url(trail), english.Count(len(objs), "object", "objects")+" outside the region folders")
				}
				if len(dirs) == 0 && l.account != "" {
					return &SourceError{Source: r.s.Name(), Err: fmt.Errorf("%s holds no region folder: check the organisation and account ids in the prefix", r.url(trail))}
				}
				rps = dirs
				r.trailFound(trail, dirs)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(rps) > 0 {
				held[last(ap)] = true
			}
			for _, rp := range rps {
				found[last(rp)] = true
				if r.regions.keep(last(rp)) {
					regions = append(regions, rp)
				} else {
					leftOut[last(rp)] = true
					r.skip(r.url(rp), "region not asked for ("+strings.Join(r.regions.desc, "; ")+"): not listed")
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.st.Accounts = slices.DeleteFunc(r.st.Accounts, func(a string) bool { return !held[a] })
	r.mu.Unlock()
	if len(regions) == 0 && r.regions.active() && len(found) > 0 {
		return nil, &SourceError{Source: r.s.Name(), Err: fmt.Errorf(
			"no logs of the regions asked for (%s); the trail has logs of: %s; change --region or the cloudtrail block's regions",
			strings.Join(r.regions.desc, "; "), strings.Join(sortedKeys(found), ", "))}
	}
	if len(leftOut) > 0 && len(regions) > 0 {
		// Roles are global and every region has an STS endpoint: a role
		// entered through a region left out is not checked. Asking for
		// fewer regions is a choice, but one that the report must show.
		names := sortedKeys(leftOut)
		r.mu.Lock()
		r.st.Warnings = append(r.st.Warnings, fmt.Sprintf(
			"the trail has logs of %s (%s), which the regions asked for (%s) leave out: sessions opened through %s STS endpoints are not checked; add them with --region (or --region all)",
			english.Count(len(names), "other region", "other regions"), strings.Join(names, ", "), strings.Join(r.regions.desc, "; "), english.Plural(len(names), "its", "their")))
		r.mu.Unlock()
	}
	sort.Strings(regions)
	return regions, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// accountPrefixes returns the account folders to read, <root>[<org>/]<account>/.
func (r *s3Run) accountPrefixes(ctx context.Context, l s3Layout) ([]string, error) {
	var candidates []string // account folders, before the account filter
	switch {
	case l.account != "":
		p := l.root
		if l.org != "" {
			p += l.org + "/"
		}
		candidates = []string{p + l.account + "/"}
	case l.org != "":
		dirs, objs, err := r.listDirs(ctx, l.root+l.org+"/")
		if err != nil {
			return nil, err
		}
		candidates = r.accountsIn(dirs, objs, l.root+l.org+"/")
	default:
		dirs, objs, err := r.listDirs(ctx, l.root)
		if err != nil {
			return nil, err
		}
		var orgs []string
		for _, d := range dirs {
			if orgIDPattern.MatchString(last(d)) {
				orgs = append(orgs, d)
			}
		}
		candidates = r.accountsIn(dirs, objs, l.root)
		results := make([][]string, len(orgs))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(r.s.listings())
		for i, o := range orgs {
			g.Go(func() error {
				dirs, objs, err := r.listDirs(gctx, o)
				if err != nil {
					return err
				}
				results[i] = r.accountsIn(dirs, objs, o)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for _, res := range results {
			candidates = append(candidates, res...)
		}
	}
	if len(candidates) == 0 {
		return nil, &SourceError{Source: r.s.Name(), Err: fmt.Errorf(
			"no CloudTrail log folders under s3://%s/%s: want AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/ "+
				"(or AWSLogs/<org-id>/<account>/… for an organisation trail); point at the trail's S3 prefix, the folder that holds AWSLogs/",
			r.s.bucket, l.root)}
	}
	var out, seen, kept []string
	for _, c := range candidates {
		acct := last(c)
		seen = append(seen, acct)
		if r.accounts.keep(acct) {
			out = append(out, c)
			kept = append(kept, acct)
		} else {
			r.skip(r.url(c), "account not asked for ("+strings.Join(r.accounts.desc, "; ")+"): not listed")
		}
	}
	r.mu.Lock()
	r.st.Accounts, r.st.AccountsKnown = sortedUnique(kept), true
	r.mu.Unlock()
	if len(out) == 0 {
		slices.Sort(seen)
		return nil, &SourceError{Source: r.s.Name(), Err: fmt.Errorf(
			"no logs of the accounts asked for (%s); the trail has logs of: %s; change --account or the cloudtrail block's accounts",
			strings.Join(r.accounts.desc, "; "), strings.Join(slices.Compact(seen), ", "))}
	}
	return out, nil
}

// accountsIn keeps the account folders of a listing and notes the rest.
func (r *s3Run) accountsIn(dirs, objs []string, parent string) []string {
	var out []string
	for _, d := range dirs {
		name := last(d)
		switch {
		case awsaccount.IsID(name):
			out = append(out, d)
		case orgIDPattern.MatchString(name) && parent != "" && strings.HasSuffix(parent, "AWSLogs/"):
			// read by the caller
		default:
			r.skip(r.url(d), "not an account folder (want a 12-digit account id or an organisation id)")
		}
	}
	if len(objs) > 0 {
		r.skip(r.url(parent), fmt.Sprintf("%d objects outside the CloudTrail layout", len(objs)))
	}
	return out
}

// listAndFetch lists the folders and reads their log files: InFlight
// decodings at a time, Prefetch downloads of the log files that are
// decoded from memory, and the larger of the two listings (see S3Options).
//
// An error does not stop the read at once: the objects before the failed
// one in listing order are still read, those after it are not, and the
// error of the first that failed is returned, as the file source does,
// whatever InFlight and the order in which downloads finish.
func (r *s3Run) listAndFetch(ctx context.Context, folders []string, emit func(Event)) error {
	g, gctx := errgroup.WithContext(ctx)
	objects := make(chan s3Object, r.s.opts.InFlight)
	g.Go(func() error {
		defer close(objects)
		lg, lctx := errgroup.WithContext(gctx)
		lg.SetLimit(r.s.listings())
		for i, f := range folders {
			lg.Go(func() error { return r.listFolder(lctx, i, f, objects) })
		}
		return lg.Wait()
	})
	decode := objects
	if r.s.opts.Prefetch > 0 {
		decode = make(chan s3Object)
		g.Go(func() error {
			defer close(decode)
			return r.prefetch(gctx, objects, decode)
		})
	}
	for range r.s.opts.InFlight {
		g.Go(func() error {
			for o := range decode {
				if gctx.Err() != nil {
					o.got.done()
					return gctx.Err() // a download needs no request to see it
				}
				if r.after(o.pos) {
					o.got.done()
					continue // an earlier object failed: the run fails on it
				}
				err := r.fetch(gctx, o, emit)
				o.got.done()
				if err != nil {
					if gctx.Err() != nil {
						return err
					}
					r.fail(o.pos, err)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first
}

// fail records the error of the object or listing at pos, if it is the
// first in listing order so far.
func (r *s3Run) fail(pos s3Pos, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.firstFail || pos.before(r.firstPos) {
		r.first, r.firstPos, r.firstFail = err, pos, true
	}
}

// after tells whether an object or listing at pos comes after one that
// failed: it need not be read.
func (r *s3Run) after(pos s3Pos) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstFail && r.firstPos.before(pos)
}

// listFolder lists every object under a day folder and queues the log files.
//
// A listing that fails is an error at the place of the next object it
// would have listed (see fail): the objects listed before it come first.
func (r *s3Run) listFolder(ctx context.Context, fi int, folder string, out chan<- s3Object) error {
	seq := 0 // the next object's place in the folder
	err := func() error {
		in := &s3.ListObjectsV2Input{Bucket: &r.s.bucket, Prefix: &folder}
		seen := map[string]bool{}
		earliest := r.q.Start.Add(-nameTimeMargin)
		for {
			if r.after(s3Pos{fi, seq}) {
				return nil // an earlier object failed
			}
			page, err := r.s.api.ListObjectsV2(ctx, in, r.optFns())
			if err != nil {
				return r.awsErr("s3:ListBucket", "", err)
			}
			var queue []s3Object
			for _, o := range page.Contents {
				if o.Key == nil || strings.HasSuffix(*o.Key, "/") {
					continue // a folder marker
				}
				key := *o.Key
				name := key[strings.LastIndex(key, "/")+1:]
				if isDigestName(name) || isInsightName(name) || !hasTrailName(name) {
					r.mu.Lock()
					r.st.FilesSkipped++
					r.other++
					r.mu.Unlock()
					continue
				}
				early := !r.q.Start.IsZero() && deliveredBefore(name, earliest)
				r.mu.Lock()
				r.delivered.note(name) // read or passed over, its day counts
				if early {
					r.st.FilesSkipped++
					r.early++
				}
				r.mu.Unlock()
				if early {
					continue
				}
				size := int64(0)
				if o.Size != nil {
					size = *o.Size
				}
				queue = append(queue, s3Object{key: key, size: size, pos: s3Pos{fi, seq}})
				seq++
			}
			r.prog.Grow(int64(len(queue)))
			for _, o := range queue {
				select {
				case out <- o:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			next, err := r.nextToken(folder, page, seen)
			if err != nil || next == nil {
				return err
			}
			in.ContinuationToken = next
		}
	}()
	if err != nil && ctx.Err() == nil {
		r.fail(s3Pos{fi, seq}, err)
		return nil
	}
	return err
}

// prefetch passes the objects on to the decoders, downloading those listed
// no larger than MaxPrefetchedObject and a quarter of PrefetchBytes first,
// Prefetch at once and holding buffers of at most PrefetchBytes (a buffer,
// at least 16 KiB, is less than twice its file).
func (r *s3Run) prefetch(ctx context.Context, in <-chan s3Object, out chan<- s3Object) error {
	budget := semaphore.NewWeighted(r.s.opts.PrefetchBytes)
	largest := min(MaxPrefetchedObject, r.s.opts.PrefetchBytes/4)
	g, gctx := errgroup.WithContext(ctx)
	for range r.s.opts.Prefetch {
		g.Go(func() error {
			for o := range in {
				if r.after(o.pos) {
					continue // an earlier object failed: the run fails on it
				}
				if held := downloadBufSize(o.size + 1); o.size <= largest && held <= r.s.opts.PrefetchBytes {
					// The budget counts the buffer, not the listed size.
					if err := budget.Acquire(gctx, held); err != nil {
						return err
					}
					if o.got = r.download(gctx, o); o.got != nil {
						o.got.release = func() { budget.Release(held) }
					} else {
						budget.Release(held) // streamed
					}
				}
				select {
				case out <- o:
				case <-gctx.Done():
					o.got.done()
					return gctx.Err()
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// download reads object o whole, up to the size it was listed with. An
// object found larger (written again since it was listed) is streamed
// instead: download returns nil.
func (r *s3Run) download(ctx context.Context, o s3Object) *s3Download {
	out, err := r.s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: &r.s.bucket, Key: &o.key}, r.optFns())
	if err != nil {
		return &s3Download{getErr: err}
	}
	defer out.Body.Close()
	buf := downloadBuf(o.size + 1)
	b := *buf
	empty := 0 // reads in a row that gave nothing
	for int64(len(b)) <= o.size {
		n, err := out.Body.Read(b[len(b) : o.size+1]) // the buffer holds o.size+1
		b = b[:len(b)+n]
		switch {
		case n > 0:
			empty = 0
		case err == nil:
			if empty++; empty == maxEmptyReads {
				err = io.ErrNoProgress // as bufio says when streamed
			}
		}
		if err != nil {
			*buf = b
			d := &s3Download{data: b, buf: buf}
			if err != io.EOF {
				d.bodyErr = &bodyError{err}
			}
			return d
		}
	}
	putDownloadBuf(buf)
	return nil
}

// maxEmptyReads is how many reads in a row may give no byte and no error
// before a download fails, as in bufio.
const maxEmptyReads = 100

// done gives a download's bytes back to the prefetch budget, and its
// buffer for the next download; d may be nil.
func (d *s3Download) done() {
	if d == nil {
		return
	}
	if d.release != nil {
		d.release()
		d.release = nil
	}
	if d.buf != nil {
		putDownloadBuf(d.buf)
		d.buf, d.data = nil, nil
	}
}

// maxBodyAttempts bounds the downloads of one object whose body broke off
// in the middle (a connection reset, a stall): DecodeStream emits nothing
// from a failed attempt, so reading the object again is safe.
const maxBodyAttempts = 3

// fetch downloads one object and decodes it.
func (r *s3Run) fetch(ctx context.Context, o s3Object, emit func(Event)) error {
	var st Stats
	var err error
	for attempt := 1; ; attempt++ {
		st, err = r.fetchObject(ctx, o, emit)
		o.got = nil // a download that broke off is streamed again
		var be *bodyError
		if err == nil || ctx.Err() != nil || !errors.As(err, &be) {
			break
		}
		if attempt == maxBodyAttempts {
			last := &SourceError{Source: r.url(o.key), Err: fmt.Errorf("the download broke off %d times, the last after %d bytes (%w): the connection to S3 is unstable; run again", attempt, st.Bytes, be.err)}
			if se := (*SourceError)(nil); errors.As(err, &se) {
				last.read = se.read // the records read before the last break
			}
			err = last
			break
		}
		r.retries.Add(1)
	}
	if err == nil {
		r.mu.Lock()
		r.st.Add(st)
		r.mu.Unlock()
		r.prog.Add(1, st.Records)
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !r.s.opts.Files.SkipUnreadable {
		return err
	}
	part, said := readBefore(err, emit)
	r.mu.Lock()
	r.st.Bytes += st.Bytes
	r.st.Add(part)
	r.st.Unreadable++
	r.st.Skipped = append(r.st.Skipped, Skip{Item: r.url(o.key), Reason: unreadableReason(err) + said})
	r.mu.Unlock()
	r.prog.Add(1, part.Records)
	return nil
}

func (r *s3Run) fetchObject(ctx context.Context, o s3Object, emit func(Event)) (Stats, error) {
	var out *s3.GetObjectOutput
	var err error
	if o.got != nil {
		if err = o.got.getErr; err == nil {
			return DecodeStream(o.got, r.url(o.key), r.s.opts.Files, emit)
		}
	} else {
		out, err = r.s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: &r.s.bucket, Key: &o.key}, r.optFns())
	}
	if err != nil {
		if isCode(err, "NoSuchKey") {
			return Stats{}, &SourceError{Source: r.url(o.key), Err: &awsError{
				msg: "the object was deleted between listing and reading it (NoSuchKey); CloudTrail never deletes log files, " +
					"so a lifecycle rule or another program removed it: run again, or pass --skip-unreadable to count it and go on",
				err: err,
			}}
		}
		return Stats{}, r.awsErr("s3:GetObject", o.key, err)
	}
	defer out.Body.Close()
	st, err := DecodeStream(bodyReader{out.Body}, r.url(o.key), r.s.opts.Files, emit)
	if err != nil {
		return st, err
	}
	// Drain what the decoder did not need so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(out.Body, 64<<10))
	return st, nil
}

// compile-time check that the real client fits.
var _ s3API = (*s3.Client)(nil)

// bodyError is a failure to read an object's body (the connection broke
// off), as opposed to a problem with what the object holds.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "the download broke off: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// bodyReader marks the errors of an object's body as bodyErrors.
type bodyReader struct{ r io.Reader }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyError{err}
	}
	return n, err
}
