package trailgen

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/sessions"
)

func TestGenerateMatchesItsSummary(t *testing.T) {
	dir := t.TempDir()
	sum, err := Generate(Options{Out: filepath.Join(dir, "trail"), Records: 30000, Files: 12, Seed: 7, Sessions: filepath.Join(dir, "sessions.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 12 || sum.Records != 30000 {
		t.Fatalf("summary %+v", sum)
	}
	if avg := sum.RawBytes / sum.Records; avg < 1100 || avg > 1500 {
		t.Errorf("records average %d bytes, want about 1.3 KB", avg)
	}
	if rate := float64(sum.AssumeRole) / float64(sum.Records); rate < 0.015 || rate > 0.025 {
		t.Errorf("assume-role share %.3f, want about 0.02", rate)
	}
	for _, c := range []string{Tracked, NoSourceIdentity, Foreign, Orphaned, Revoked, Expired} {
		if sum.ByCategory[c] == 0 {
			t.Errorf("no %s calls", c)
		}
	}

	// The S3 key layout.
	layout := regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4}/\d{2}/\d{2})/(\d{12})_CloudTrail_([a-z0-9-]+)_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$`)
	n := 0
	err = filepath.WalkDir(filepath.Join(dir, "trail"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(dir, "trail"), p)
		m := layout.FindStringSubmatch(filepath.ToSlash(rel))
		if m == nil || m[1] != m[4] || m[2] != m[5] {
			t.Errorf("%s does not follow the S3 key layout", rel)
		}
		n++
		return nil
	})
	if err != nil || n != 12 {
		t.Fatalf("%d files, %v", n, err)
	}

	// The decoder reads back what the summary says.
	var mu sync.Mutex
	var evs []cloudtrail.Event
	st, err := cloudtrail.NewFileSource([]string{filepath.Join(dir, "trail")}, cloudtrail.FileOptions{}).Read(context.Background(), cloudtrail.Query{}, func(e cloudtrail.Event) {
		mu.Lock()
		evs = append(evs, e)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 12 || st.Records != sum.Records || st.AssumeRole != sum.AssumeRole || st.RecordsSkipped != 0 || st.Bytes != sum.Bytes {
		t.Errorf("decoder stats %+v, summary %+v", st, sum)
	}

	// Classify the broker calls the plain way and compare with the summary.
	recs := readSessions(t, filepath.Join(dir, "sessions.jsonl"))
	if int64(len(recs)) != sum.Sessions || sum.Sessions != sum.ByCategory[Tracked]+sum.ByCategory[Revoked]+sum.ByCategory[Expired] {
		t.Errorf("%d session records, summary says %d", len(recs), sum.Sessions)
	}
	bySI := map[string]sessions.Record{}
	for _, r := range recs {
		if _, dup := bySI[r.SourceIdentity]; dup {
			t.Errorf("two records share the identity %s", r.SourceIdentity)
		}
		bySI[r.SourceIdentity] = r
	}
	broker := regexp.MustCompile(`^sentinel[:.](?P<user>[A-Za-z0-9]{1,20})[:.](?:(?:direct|[0-9a-f]{8})[:.])?[0-9a-f]{8}$`)
	got := map[string]int64{}
	var failed, other int64
	for _, e := range evs {
		if e.Failed() {
			failed++
			if e.RoleArn == "" {
				t.Errorf("failed call %s names no role", e.EventID)
			}
			continue
		}
		if _, ok := BrokerRoles[e.RoleArn]; !ok {
			other++
			continue
		}
		var cat string
		switch {
		case e.SourceIdentity == "":
			cat = NoSourceIdentity
		case !broker.MatchString(e.SourceIdentity):
			cat = Foreign
		default:
			r, ok := bySI[e.SourceIdentity]
			switch {
			case !ok:
				cat = Orphaned
			case r.Status == sessions.StatusRevoked && r.RevokedAt().Before(e.EventTime):
				cat = Revoked
			case r.End().Add(5 * time.Minute).Before(e.EventTime):
				cat = Expired
			case r.StartedAt.Add(-5*time.Minute).After(e.EventTime) || r.Profile != BrokerRoles[e.RoleArn]:
				t.Errorf("event %s does not fit its record %+v", e.EventID, r)
			default:
				cat = Tracked
			}
		}
		got[cat]++
	}
	if failed != sum.Failed || other != sum.Other {
		t.Errorf("failed %d other %d, summary %d %d", failed, other, sum.Failed, sum.Other)
	}
	for c, v := range sum.ByCategory {
		if got[c] != v {
			t.Errorf("%s: %d events, summary says %d", c, got[c], v)
		}
	}
}

func readSessions(t *testing.T, path string) []sessions.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []sessions.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r sessions.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.ID == "" || r.User == "" || r.Profile == "" || r.Status == "" || r.StartedAt.IsZero() || r.ExpiresAt.IsZero() || r.CreatedAt.IsZero() || r.UpdatedAt.IsZero() || r.TTL == 0 {
			t.Errorf("incomplete record %+v", r)
		}
		out = append(out, r)
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	hash := func(seed uint64, workers int) string {
		dir := t.TempDir()
		if _, err := Generate(Options{Out: dir, Records: 5000, Files: 5, Seed: seed, Workers: workers, Sessions: filepath.Join(dir, "s.jsonl")}); err != nil {
			t.Fatal(err)
		}
		var names []string
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				names = append(names, p)
			}
			return err
		})
		sort.Strings(names)
		h := sha256.New()
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			h.Write([]byte(strings.TrimPrefix(n, dir)))
			h.Write(b)
		}
		return string(h.Sum(nil))
	}
	if hash(3, 1) != hash(3, 4) {
		t.Error("the same seed wrote different trails")
	}
	if hash(3, 2) == hash(4, 2) {
		t.Error("different seeds wrote the same trail")
	}
}

func TestGenerateRejectsBadOptions(t *testing.T) {
	if _, err := Generate(Options{}); err == nil || !strings.Contains(err.Error(), "Options.Out") {
		t.Errorf("err = %v", err)
	}
	if _, err := Generate(Options{Out: t.TempDir(), AssumeRoleRate: 2}); err == nil {
		t.Error("no error for a share above 1")
	}
}
