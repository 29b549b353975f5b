package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/trailgen"
	"github.com/sentinel-check/sentinel-check/report"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// spillTrail generates a trail of about 1,500 assume-role events with its
// session export, and a second folder that repeats a third of its files
// (duplicates, as from an organisation trail and an account's own).
func spillTrail(t *testing.T) (logs []string, sessFile string) {
	t.Helper()
	dir := t.TempDir()
	sessFile = filepath.Join(dir, "sessions.jsonl")
	if _, err := trailgen.Generate(trailgen.Options{Out: filepath.Join(dir, "logs"), Records: 30000, Files: 9, Seed: 7,
		AssumeRoleRate: 0.05, Sessions: sessFile}); err != nil {
		t.Fatal(err)
	}
	var files []string
	root := filepath.Join(dir, "logs")
	if err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".json.gz") {
			files = append(files, p)
		}
		return err
	}); err != nil || len(files) != 9 {
		t.Fatalf("%d generated files (%v), want 9", len(files), err)
	}
	again := filepath.Join(dir, "again")
	for _, f := range files[:3] {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		to := filepath.Join(again, rel)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []string{filepath.Join(dir, "logs"), again}, sessFile
}

// spillOptions are the options of a check of the generated trail's week
// with the example policy.
func spillOptions(t *testing.T, store sessions.Store, tempDir string, buffer int, srcs ...cloudtrail.Source) Options {
	t.Helper()
	pol, _, err := LoadPolicy([]string{"../../examples/policy.hcl"})
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Policy: pol, CloudTrail: srcs, Sessions: []SessionSource{{Store: store}},
		Start: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
		TempDir: tempDir, EventBuffer: buffer,
	}
}

// fileSource reads the files or folders paths.
func fileSource(paths ...string) cloudtrail.Source {
	return cloudtrail.NewFileSource(paths, cloudtrail.FileOptions{})
}

func spillRun(t *testing.T, logs []string, sessFile, tempDir string, buffer int) (*report.Result, string) {
	t.Helper()
	var srcs []cloudtrail.Source
	for _, l := range logs {
		srcs = append(srcs, fileSource(l))
	}
	res, err := Run(context.Background(), spillOptions(t, sessions.NewFileStore(sessFile), tempDir, buffer, srcs...))
	if err != nil {
		return nil, err.Error()
	}
	format, _ := report.Lookup("json")
	var buf bytes.Buffer
	if err := format(&buf, res); err != nil {
		t.Fatal(err)
	}
	return res, buf.String()
}

// Events kept in memory and events written to disk in a hundred runs (64
// of them merged into one: merges of merges are tested in internal/dedup)
// give the same report, and the duplicates are counted alike.
// The temporary folder is empty afterwards.
func TestSpilledEventsGiveTheSameReport(t *testing.T) {
	logs, sessFile := spillTrail(t)
	tmp := t.TempDir()
	var runs, levels int
	testFinished = func(c *collector) { runs, levels = c.runs, c.levels }
	defer func() { testFinished = nil }()

	memRes, mem := spillRun(t, logs, sessFile, tmp, 64<<20)
	if runs != 0 {
		t.Fatalf("%d runs on disk with a 64 MiB buffer, want none", runs)
	}
	diskRes, disk := spillRun(t, logs, sessFile, tmp, 1024)
	if runs == 0 || levels == 0 {
		t.Fatalf("%d runs on disk with a 1 KiB buffer, %d merged; want 64 of them merged", runs, levels)
	}
	if memRes == nil || diskRes == nil {
		t.Fatalf("a run failed: %s %s", mem, disk)
	}
	if mem != disk {
		t.Errorf("the reports differ:\nin memory: %.2000s\non disk:   %.2000s", mem, disk)
	}
	tot := memRes.Sources.Totals
	if tot.Duplicates == 0 || tot.AssumeRoleEvents < 1000 || tot.Sessions == 0 {
		t.Errorf("totals %+v: want duplicates and more than 1,000 events", tot)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("%d entries left in the temporary folder", len(left))
	}
	// The files are unlinked at once on Linux: that they are closed shows
	// in the process's open files.
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, fd := range fds {
			if to, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(to, tmp) {
				t.Errorf("a temporary file is still open after the run: %s", to)
			}
		}
	}
}

// A temporary folder that cannot be written fails the run with an error
// that names it and says what to do.
func TestSpillFolderMissing(t *testing.T) {
	logs, sessFile := spillTrail(t)
	missing := filepath.Join(t.TempDir(), "gone")
	res, msg := spillRun(t, logs, sessFile, missing, 1024)
	if res != nil {
		t.Fatal("the run passed without its temporary folder")
	}
	for _, want := range []string{"temporary files (--temp-dir " + missing + ")", "no such file", "make sure the folder exists", "--event-buffer"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
}

// slowStore is a session store that takes 3 s unless its context ends.
type slowStore struct{}

func (slowStore) Name() string { return "slow-table" }

func (slowStore) Load(ctx context.Context, q sessions.Query, b *sessions.IndexBuilder) (sessions.Stats, error) {
	select {
	case <-ctx.Done():
		return sessions.Stats{}, ctx.Err()
	case <-time.After(3 * time.Second):
		return sessions.Stats{}, nil
	}
}

// When the temporary files fail, the session records stop too: the run
// fails at once, with the temporary files' error and not the session
// store's cancellation.
func TestSpillFailureStopsTheSessionRecords(t *testing.T) {
	logs, _ := spillTrail(t)
	o := spillOptions(t, slowStore{}, filepath.Join(t.TempDir(), "gone"), 1024, fileSource(logs[0]))
	t0 := time.Now()
	_, err := Run(context.Background(), o)
	if took := time.Since(t0); took > 2*time.Second {
		t.Errorf("the run failed after %v: it waited for the session records", took)
	}
	if err == nil || !strings.Contains(err.Error(), "temporary files") || strings.Contains(err.Error(), "slow-table") {
		t.Errorf("error %v, want the temporary files' alone", err)
	}
}

// cancellingSource reads like a file source, then cancels the run, as a
// Ctrl-C after the last log file would.
type cancellingSource struct {
	cloudtrail.Source
	cancel func()
}

func (s cancellingSource) Read(ctx context.Context, q cloudtrail.Query, emit func(cloudtrail.Event)) (cloudtrail.Stats, error) {
	st, err := s.Source.Read(ctx, q, emit)
	s.cancel()
	return st, err
}

// A run cancelled once its sources are read fails (the command then says
// "interrupted" and writes no report) instead of going on to classify.
func TestCancelAfterTheSources(t *testing.T) {
	logs, sessFile := spillTrail(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, buffer := range []int{1024, 64 << 20} {
		res, err := Run(ctx, spillOptions(t, sessions.NewFileStore(sessFile), t.TempDir(), buffer, cancellingSource{fileSource(logs...), cancel}))
		if res != nil || !errors.Is(err, context.Canceled) {
			t.Errorf("buffer %d: result %v, error %v; want no result and context.Canceled", buffer, res != nil, err)
		}
	}
}

// recordProgress records what a Progress is told.
type recordProgress struct {
	names       []string
	total, done int64
	finished    int
}

func (p *recordProgress) Start(name, unit string) { p.names = append(p.names, name+" ("+unit+")") }
func (p *recordProgress) Grow(n int64)            { p.total += n }
func (p *recordProgress) Add(done, events int64)  { p.done += done }
func (p *recordProgress) Finish()                 { p.finished++ }

// The final pass over events written to disk is reported, every event of
// it; one over events kept in memory, which takes no time, is not.
func TestSpillProgress(t *testing.T) {
	logs, sessFile := spillTrail(t)
	for _, buffer := range []int{1024, 64 << 20} {
		p := &recordProgress{}
		o := spillOptions(t, sessions.NewFileStore(sessFile), t.TempDir(), buffer, fileSource(logs...))
		o.Progress = p
		res, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		events := res.Sources.Totals.AssumeRoleEvents
		if buffer == 1024 {
			if len(p.names) != 1 || p.names[0] != "merging and classifying the assume-role events (events)" || p.total != events || p.done != events || p.finished != 1 {
				t.Errorf("progress %+v, want one line over the %d events", p, events)
			}
		} else if len(p.names) != 0 || p.done != 0 {
			t.Errorf("progress %+v over events in memory, want none", p)
		}
	}
}
