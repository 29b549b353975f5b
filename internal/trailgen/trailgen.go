// Package trailgen writes realistic, deterministic CloudTrail log files for
// tests and benchmarks: gzipped {"Records":[…]} files in the S3 key layout
// (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<time>_<random>.json.gz),
// ~1.3 KB records with the field mix of real trails (IAM users, assumed
// roles, AWS services, errors, many event sources), of which a small share
// are sts assume-role calls, plus the broker's session export (JSON Lines of
// session records, SPEC §5) matching them.
//
// The assume-role calls go into the roles of examples/policy.hcl, so that
// policy can check a generated trail. Each successful call into a broker role
// (ProdAdmin, ProdReadOnly, Developer) is made to fall in one known category
// (Summary.ByCategory), which lets tests check the classification of a whole
// trail.
package trailgen

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/sentinel-check/sentinel-check/sessions"
)

// Options say what to generate. The zero value of a field takes its default.
type Options struct {
	Out     string // folder to write into (required)
	Records int    // records in all files; default 10,000
	Files   int    // log files; default one per 2,000 records, at least 1
	Seed    uint64 // the same seed writes the same bytes
	// Start and Span place the events: file i covers a five-minute slot at
	// Start + i×Span/Files. Defaults: 2026-11-16T00:00:00Z (a Monday), 7 days.
	Start time.Time
	Span  time.Duration
	// AssumeRoleRate is the share of records that are sts assume-role calls;
	// default 0.02.
	AssumeRoleRate float64
	// Sessions is the path of the session export to write (JSON Lines);
	// empty writes none.
	Sessions string
	// Workers is the number of files written at once; default GOMAXPROCS.
	Workers int
	// Level is the gzip level; default 6 (what CloudTrail's files compare to).
	Level int
}

// Categories of successful assume-role calls into broker roles (SPEC §6).
const (
	Tracked          = "tracked"
	NoSourceIdentity = "no_source_identity"
	Foreign          = "foreign_source_identity"
	Orphaned         = "orphaned"
	Revoked          = "revoked"
	Expired          = "expired"
)

// Summary tells what was written.
type Summary struct {
	Files    int64 `json:"files"`
	Records  int64 `json:"records"`
	Bytes    int64 `json:"bytes"`     // compressed, on disk
	RawBytes int64 `json:"raw_bytes"` // uncompressed JSON
	// AssumeRole counts the sts assume-role records, Failed those with an
	// errorCode among them.
	AssumeRole int64 `json:"assume_role"`
	Failed     int64 `json:"failed"`
	// ByCategory counts the successful calls into broker roles by the
	// category they must be classified in.
	ByCategory map[string]int64 `json:"by_category"`
	// Other counts the successful calls into other roles (AWS services,
	// OIDC deployments, the audit role, unmapped roles).
	Other int64 `json:"other"`
	// Sessions counts the session records written.
	Sessions int64     `json:"sessions"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

// Accounts and roles of the generated organisation.
const (
	ProdAccount    = "111122223333"
	StagingAccount = "444455556666"
	SandboxAccount = "777788889999"
)

// BrokerRoles maps the roles the broker hands out to their profile names.
var BrokerRoles = map[string]string{
	"arn:aws:iam::" + ProdAccount + ":role/ProdAdmin":    "prod-admin",
	"arn:aws:iam::" + ProdAccount + ":role/ProdReadOnly": "prod-readonly",
	"arn:aws:iam::" + StagingAccount + ":role/Developer": "staging-dev",
}

var (
	brokerRoleList = func() []string {
		var r []string
		for k := range BrokerRoles {
			r = append(r, k)
		}
		sort.Strings(r)
		return r
	}()
	accounts = []string{ProdAccount, StagingAccount, SandboxAccount}
	regions  = []string{"us-east-1", "eu-west-1", "eu-central-1"}
)

func (o *Options) defaults() error {
	if o.Out == "" {
		return errors.New("trailgen: no output folder; set Options.Out")
	}
	if o.Records <= 0 {
		o.Records = 10000
	}
	if o.Files <= 0 {
		o.Files = max(1, o.Records/2000)
	}
	if o.Files > o.Records {
		o.Files = o.Records
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	}
	if o.Span <= 0 {
		o.Span = 7 * 24 * time.Hour
	}
	if o.AssumeRoleRate <= 0 {
		o.AssumeRoleRate = 0.02
	}
	if o.AssumeRoleRate > 1 {
		return fmt.Errorf("trailgen: AssumeRoleRate %v is above 1; use a share such as 0.02", o.AssumeRoleRate)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Level == 0 {
		o.Level = 6
	}
	return nil
}

// fileResult is what one file contributed.
type fileResult struct {
	sum      Summary
	sessions []sessions.Record
	err      error
}

// Generate writes the trail and the session export.
func Generate(opts Options) (Summary, error) {
	if err := opts.defaults(); err != nil {
		return Summary{}, err
	}
	results := make([]fileResult, opts.Files)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(opts.Workers, opts.Files) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGen(&opts)
			for i := range next {
				results[i] = g.file(i)
			}
		}()
	}
	for i := range opts.Files {
		next <- i
	}
	close(next)
	wg.Wait()

	sum := Summary{ByCategory: map[string]int64{}, Start: opts.Start, End: opts.Start.Add(opts.Span)}
	var recs []sessions.Record
	for _, r := range results {
		if r.err != nil {
			return sum, r.err
		}
		sum.Files += r.sum.Files
		sum.Records += r.sum.Records
		sum.Bytes += r.sum.Bytes
		sum.RawBytes += r.sum.RawBytes
		sum.AssumeRole += r.sum.AssumeRole
		sum.Failed += r.sum.Failed
		sum.Other += r.sum.Other
		for k, v := range r.sum.ByCategory {
			sum.ByCategory[k] += v
		}
		recs = append(recs, r.sessions...)
	}
	if opts.Sessions != "" {
		if err := writeSessions(opts.Sessions, recs); err != nil {
			return sum, err
		}
		sum.Sessions = int64(len(recs))
	}
	return sum, nil
}

func writeSessions(path string, recs []sessions.Record) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("trailgen: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("trailgen: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return fmt.Errorf("trailgen: writing %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("trailgen: writing %s: %w", path, err)
	}
	return f.Close()
}

// gen writes files; one per worker.
type gen struct {
	o   *Options
	r   *rand.Rand
	buf []byte
	zw  *gzip.Writer
	sum Summary
	ses []sessions.Record
	// per file
	fileIdx         int
	account, region string
	slot            time.Time
}

func newGen(o *Options) *gen {
	zw, _ := gzip.NewWriterLevel(nil, o.Level)
	return &gen{o: o, zw: zw, buf: make([]byte, 0, 4<<20)}
}

// file writes log file i.
func (g *gen) file(i int) fileResult {
	o := g.o
	g.r = rand.New(rand.NewPCG(o.Seed, uint64(i)+1))
	g.sum = Summary{ByCategory: map[string]int64{}}
	g.ses = nil
	g.fileIdx = i
	g.account = accounts[i%len(accounts)]
	g.region = regions[(i/len(accounts))%len(regions)]
	g.slot = o.Start.Add(time.Duration(int64(o.Span) * int64(i) / int64(o.Files))).Truncate(5 * time.Minute)
	if g.slot.Before(o.Start) {
		g.slot = o.Start
	}
	n := o.Records / o.Files
	if i < o.Records%o.Files {
		n++
	}
	end := g.slot.Add(5 * time.Minute)
	name := fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", g.account, g.region, end.Format("20060102T1504Z"), g.alnum(16))
	dir := filepath.Join(o.Out, "AWSLogs", g.account, "CloudTrail", g.region, g.slot.Format("2006/01/02"))
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fileResult{err: fmt.Errorf("trailgen: %w", err)}
	}
	f, err := os.Create(path)
	if err != nil {
		return fileResult{err: fmt.Errorf("trailgen: %w", err)}
	}
	cw := &countWriter{w: f}
	bw := bufio.NewWriterSize(cw, 256<<10)
	g.zw.Reset(bw)
	g.buf = append(g.buf[:0], `{"Records":[`...)
	for k := range n {
		if k > 0 {
			g.buf = append(g.buf, ',')
		}
		g.record()
		if len(g.buf) > 1<<20 {
			if err := g.flush(); err != nil {
				f.Close()
				return fileResult{err: err}
			}
		}
	}
	g.buf = append(g.buf, "]}"...)
	err = g.flush()
	if err == nil {
		err = g.zw.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fileResult{err: fmt.Errorf("trailgen: writing %s: %w", path, err)}
	}
	g.sum.Files = 1
	g.sum.Records = int64(n)
	g.sum.Bytes = cw.n
	return fileResult{sum: g.sum, sessions: g.ses}
}

func (g *gen) flush() error {
	g.sum.RawBytes += int64(len(g.buf))
	_, err := g.zw.Write(g.buf)
	g.buf = g.buf[:0]
	return err
}

type countWriter struct {
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
