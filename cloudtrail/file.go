package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// NewFileSource reads CloudTrail documents from local paths: files and
// folders. A folder is read recursively, following symbolic links (a folder
// already visited, for example through a link loop, is not entered again);
// in a folder only *.json and *.json.gz files are read and every other file
// is counted as skipped. A file named explicitly is always read, whatever
// its name. Files whose path holds "CloudTrail-Digest" are digest files and
// are skipped. Files are decoded concurrently by opts.Workers workers.
//
// Every file found lands in exactly one of Stats.Files (decoded),
// Stats.FilesSkipped (passed over on purpose, with a Skipped reason) and
// Stats.Unreadable (could not be read; only with SkipUnreadable, else Read
// fails with a *SourceError naming the file).
func NewFileSource(paths []string, opts FileOptions) Source {
	return &fileSource{paths: append([]string(nil), paths...), opts: opts.WithDefaults()}
}

type fileSource struct {
	paths []string
	opts  FileOptions
}

func (s *fileSource) Name() string { return strings.Join(s.paths, ", ") }

// fileJob is one file to decode; readErr is set when it is already known to
// be unreadable.
type fileJob struct {
	path    string
	readErr error
}

// Read decodes every file. The query is not used: files cannot be narrowed
// by time before they are read, and the caller applies the window.
func (s *fileSource) Read(ctx context.Context, _ Query, emit func(Event)) (Stats, error) {
	st := Stats{Source: s.Name(), Kind: "files"}
	w := walker{visitedDirs: map[fileKey]bool{}, visitedPaths: map[string]bool{}, visitedFiles: map[fileKey]string{}}
	for _, p := range s.paths {
		w.walkTop(p)
	}
	st.FilesSkipped += w.skippedFiles
	st.Skipped = append(st.Skipped, w.skips...)
	prog := progressOr(s.opts.Progress)
	prog.Start(s.Name(), "files")
	prog.Grow(int64(len(w.jobs)))
	defer prog.Finish()

	type result struct {
		idx   int
		stats Stats
		err   error
	}
	// On an error, files after the failing one stop (their reads abort) and
	// files before it finish, so that the error reported is the one of the
	// first unreadable file in walk order, whatever the scheduling.
	var stop atomic.Int64
	stop.Store(math.MaxInt64)
	jobs := make(chan int)
	results := make(chan result)
	workers := min(s.opts.Workers, len(w.jobs))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				abort := func() error {
					if err := ctx.Err(); err != nil {
						return err
					}
					if int64(i) > stop.Load() {
						return errStopped
					}
					return nil
				}
				fst, err := s.readFile(abort, w.jobs[i], emit)
				results <- result{i, fst, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range w.jobs {
			if ctx.Err() != nil || int64(i) > stop.Load() {
				return
			}
			jobs <- i
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	var firstErr error
	for r := range results {
		prog.Add(1, r.stats.Records)
		switch {
		case r.err == nil:
			st.Add(r.stats)
		case errors.Is(r.err, errStopped) || ctx.Err() != nil && errors.Is(r.err, ctx.Err()):
		case s.opts.SkipUnreadable:
			r.stats.Unreadable++
			r.stats.Skipped = append(r.stats.Skipped, Skip{Item: w.jobs[r.idx].path, Reason: unreadableReason(r.err)})
			st.Add(r.stats)
		default:
			st.Bytes += r.stats.Bytes
			if int64(r.idx) < stop.Load() {
				stop.Store(int64(r.idx))
				firstErr = r.err
			}
		}
	}
	sort.SliceStable(st.Skipped, func(i, j int) bool { return st.Skipped[i].Item < st.Skipped[j].Item })
	if firstErr != nil {
		return st, firstErr
	}
	if err := ctx.Err(); err != nil {
		return st, fmt.Errorf("reading %s: %w", s.Name(), err)
	}
	return st, nil
}

// unreadableReason is the Skipped reason of an unreadable file: the error
// without the path, which is the Skipped item already.
func unreadableReason(err error) string {
	var se *SourceError
	if errors.As(err, &se) {
		return "unreadable: " + se.Err.Error()
	}
	return "unreadable: " + err.Error()
}

// errStopped aborts the read of a file after an earlier file failed.
var errStopped = errors.New("stopped after an earlier file failed")

func (s *fileSource) readFile(abort func() error, job fileJob, emit func(Event)) (Stats, error) {
	if err := abort(); err != nil {
		return Stats{}, err
	}
	if job.readErr != nil {
		return Stats{}, &SourceError{Source: job.path, Err: job.readErr}
	}
	f, err := os.Open(job.path)
	if err != nil {
		return Stats{}, &SourceError{Source: job.path, Err: openProblem(err)}
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return Stats{}, &SourceError{Source: job.path, Err: err}
	} else if !fi.Mode().IsRegular() {
		return Stats{}, &SourceError{Source: job.path, Err: notRegular(fi.Mode())}
	}
	st, err := DecodeStream(&abortReader{abort: abort, r: f}, job.path, s.opts, emit)
	if err != nil {
		if aerr := abort(); aerr != nil {
			return st, aerr
		}
	}
	return st, err
}

func openProblem(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot open: %w; check the path (a dangling symbolic link points nowhere)", err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot open: %w; grant read access to the file", err)
	}
	return fmt.Errorf("cannot open: %w", err)
}

func notRegular(m fs.FileMode) error {
	kind := "a special file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	}
	return fmt.Errorf("is %s, not a regular file; give CloudTrail log files or folders of them", kind)
}

// abortReader stops reading once abort reports an error.
type abortReader struct {
	abort func() error
	r     io.Reader
}

func (a *abortReader) Read(p []byte) (int, error) {
	if err := a.abort(); err != nil {
		return 0, err
	}
	return a.r.Read(p)
}

// maxWalkDepth guards the walk on systems where folders cannot be told
// apart by device and inode.
const maxWalkDepth = 256

// walker lists the files to read.
type walker struct {
	jobs         []fileJob
	skips        []Skip
	skippedFiles int64
	visitedDirs  map[fileKey]bool
	visitedPaths map[string]bool
	visitedFiles map[fileKey]string
}

func (w *walker) skipFile(path, reason string) {
	w.skippedFiles++
	w.skips = append(w.skips, Skip{Item: path, Reason: reason})
}

func (w *walker) unreadable(path string, err error) {
	w.jobs = append(w.jobs, fileJob{path: path, readErr: err})
}

func isDigestPath(path string) bool { return strings.Contains(path, "CloudTrail-Digest") }

func hasTrailName(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".json.gz")
}

// walkTop handles one path given by the user.
func (w *walker) walkTop(path string) {
	fi, err := os.Stat(path)
	if err != nil {
		w.unreadable(path, openProblem(err))
		return
	}
	if fi.IsDir() {
		w.walkDir(path, fi, 0)
		return
	}
	w.file(path, fi, true)
}

func (w *walker) file(path string, fi fs.FileInfo, explicit bool) {
	if isDigestPath(path) {
		w.skipFile(path, reasonDigest)
		return
	}
	if !explicit && !hasTrailName(fi.Name()) {
		w.skipFile(path, reasonNotJSONName)
		return
	}
	if !fi.Mode().IsRegular() {
		w.unreadable(path, notRegular(fi.Mode()))
		return
	}
	if k, ok := keyOf(fi); ok {
		if first, seen := w.visitedFiles[k]; seen {
			w.skipFile(path, "same file as "+first+", read once")
			return
		}
		w.visitedFiles[k] = path
	}
	w.jobs = append(w.jobs, fileJob{path: path})
}

func (w *walker) walkDir(dir string, fi fs.FileInfo, depth int) {
	seen := false
	if k, ok := keyOf(fi); ok {
		seen = w.visitedDirs[k]
		w.visitedDirs[k] = true
	} else if real, err := filepath.EvalSymlinks(dir); err == nil {
		// No device and inode here: the resolved path tells folders apart.
		real = filepath.Clean(real)
		seen = w.visitedPaths[real]
		w.visitedPaths[real] = true
	}
	if seen {
		w.skips = append(w.skips, Skip{Item: dir, Reason: "folder already read (a symbolic link loop or a second link to it)"})
		return
	}
	if depth > maxWalkDepth {
		w.unreadable(dir, fmt.Errorf("folders nested deeper than %d levels (a symbolic link loop?)", maxWalkDepth))
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.unreadable(dir, fmt.Errorf("cannot list the folder: %w", err))
		return
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		var info fs.FileInfo
		if e.Type()&fs.ModeSymlink != 0 {
			info, err = os.Stat(path)
			if err != nil {
				if hasTrailName(e.Name()) {
					w.unreadable(path, openProblem(err))
				} else {
					w.skipFile(path, reasonNotJSONName+" (a symbolic link that cannot be followed)")
				}
				continue
			}
		} else {
			info, err = e.Info()
			if err != nil {
				w.unreadable(path, err)
				continue
			}
		}
		if info.IsDir() {
			w.walkDir(path, info, depth+1)
			continue
		}
		w.file(path, info, false)
	}
}
