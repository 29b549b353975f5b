package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"github.com/sentinel-check/sentinel-check/internal/awsaccount"
	"github.com/sentinel-check/sentinel-check/internal/fspath"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sentinel-check/sentinel-check/internal/english"
)

// NewFileSource reads CloudTrail documents from local paths: files and
// folders. A folder is read recursively, following symbolic links (a folder
// already visited, for example through a link loop, is not entered again);
// in a folder only *.json and *.json.gz files are read and every other file
// is counted as skipped. A file named explicitly is always read, whatever
// its name. In a folder, a CloudTrail-Digest folder and a file named as a
// digest file (<account>_CloudTrail-Digest_…) are skipped: digest files
// hold hashes, no events (one given by its path is recognised by its
// content). In a folder, a log file whose CloudTrail name says it was
// delivered more than an hour before the window starts, or after the day
// following the window's end, is skipped too: it is taken to hold none of
// the window's events (CloudTrail delivers a file within minutes of its
// events, though AWS does not guarantee it), and the S3 source would not
// list its day folder either (SPEC §4: only the window's days are listed). A file given by its path
// that is not a CloudTrail document, and a folder given whose files hold
// none, are unreadable (no evidence, like an empty folder); in a folder
// that holds log files, such a file is skipped. Files are decoded
// concurrently by opts.Workers workers.
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

	mu sync.Mutex
	// walked is what the last Read's walk kept: the folders it entered
	// and the files it read (see IsTrailFile); notDocs the files it read
	// whole that held no CloudTrail document.
	walked  *walker
	notDocs map[any]bool // by fileIdentity
}

// IsTrailFile reports whether a report written at path would replace a
// CloudTrail file that src, a source of local files, found in its last
// Read: a file it read, by whatever name (a link in a folder read, a hard
// link, another spelling), a file that a link in a folder it entered leads
// to and that it passed over (a digest, a log of another day), or a file
// named as a log, digest or Insights file in a folder it entered, read or
// passed over. The folder is the one the system writes path into, ".."
// after a link resolved as the system does. A path that is a symbolic link
// (which writing there replaces) is CloudTrail input when it leads to such
// a file, or to a folder the walk entered (where the platform has device
// and inode numbers). A file it read whole that held no CloudTrail
// document (an earlier report) is not CloudTrail input, nor a file with
// another name (notes). It is false for other sources and for a path that
// does not exist. Without device and inode numbers (not unix), folders are
// told apart by their resolved paths and files by their folders only.
func IsTrailFile(src Source, path string) bool {
	s, ok := src.(*fileSource)
	if !ok {
		return false
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.walked
	if w == nil {
		return false
	}
	if id, ok := fileIdentity(path); ok && s.notDocs[id] {
		return false // an earlier report, by its name or through a link
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		// Replacing a link to a file the walk read or passed over, or to
		// a folder it entered, cuts what it leads to out of the next run
		// as surely as replacing the file would.
		if target, err := os.Stat(path); err == nil && w.holds(target) {
			return true
		}
		// A link named as a log in a folder the walk entered (one it
		// could not follow: an archive not mounted) is judged by its name.
	} else if !fi.Mode().IsRegular() {
		return false
	}
	if w.holds(fi) {
		return true
	}
	name := fi.Name()
	if !hasTrailName(name) && !isDigestName(name) && !isInsightName(name) {
		return false
	}
	switch id, ok := fileIdentity(fspath.RawDir(path)); id := id.(type) {
	case fileKey:
		return ok && w.visitedDirs[id]
	case string:
		return ok && w.visitedPaths[id]
	}
	return false
}

// holds reports whether the walk read the file fi describes, passed it
// over through a link, or entered the folder (by device and inode; false
// where the platform has none).
func (w *walker) holds(fi fs.FileInfo) bool {
	k, ok := keyOf(fi)
	if !ok {
		return false
	}
	if fi.IsDir() {
		return w.visitedDirs[k]
	}
	_, read := w.visitedFiles[k]
	return read || w.linkedOver[k]
}

// fileIdentity is what tells the file or folder at path apart, links
// followed: its device and inode (a fileKey), or where the platform has
// none its resolved absolute path (a string), as the walk tells folders
// apart.
func fileIdentity(path string) (any, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false
	}
	if k, ok := keyOf(fi); ok {
		return k, true
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, false
	}
	real, err := filepath.EvalSymlinks(abs)
	return filepath.Clean(real), err == nil
}

func (s *fileSource) Name() string { return strings.Join(s.paths, ", ") }

// fileJob is one file to decode, the idx-th found by the walk; readErr is
// set when it is already known to be unreadable.
type fileJob struct {
	idx      int
	top      int  // the path given by the user that led to it (fileSource.paths)
	explicit bool // the user gave its path
	path     string
	readErr  error
}

// Read decodes every file but the log files that the window rules out by
// the delivery time in their names (see NewFileSource); the query's
// accounts and regions are not used, and the caller applies the window to
// the events.
//
// The walk runs alongside the workers and hands them each file as it finds
// it, so that memory does not hold the list of files: only the folders and
// the hard-linked or linked-to files it must not read twice.
func (s *fileSource) Read(ctx context.Context, q Query, emit func(Event)) (Stats, error) {
	st := Stats{Source: s.Name(), Kind: "files"}
	prog := progressOr(s.opts.Progress)
	prog.Start(s.Name(), "files")
	defer prog.Finish()

	type result struct {
		job   fileJob
		stats Stats
		err   error
	}
	// On an error, files after the failing one stop (their reads abort, and
	// the walk stops handing out more) and files before it finish, so that
	// the error reported is the one of the first unreadable file in walk
	// order, whatever the scheduling.
	var stop atomic.Int64
	stop.Store(math.MaxInt64)
	jobs := make(chan fileJob)
	results := make(chan result)
	w := newWalker(func(job fileJob) bool {
		if ctx.Err() != nil || int64(job.idx) > stop.Load() {
			return false
		}
		prog.Grow(1)
		select {
		case jobs <- job:
			return true
		case <-ctx.Done():
			return false
		}
	})
	w.delivery = newDeliveryWindow(q, DefaultDeliverySlack)
	w.dates = dateFolderChecks(s.paths, q)
	go func() {
		defer close(jobs)
		for _, p := range s.paths {
			if !w.walkTop(p) {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				abort := func() error {
					if err := ctx.Err(); err != nil {
						return err
					}
					if int64(job.idx) > stop.Load() {
						return errStopped
					}
					return nil
				}
				fst, err := s.readFile(abort, job, emit)
				results <- result{job, fst, err}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	var firstErr error
	firstTop := len(s.paths)                 // the path given under which firstErr's file was found
	trailDocs := make([]int64, len(s.paths)) // per path given: files that held a CloudTrail document
	failed := make([]bool, len(s.paths))     // per path given: a file under it could not be read
	var notDocs []string                     // files read whole that held no CloudTrail document (reasonNotTrail)
	for r := range results {
		prog.Add(1, r.stats.Records)
		if r.err != nil {
			failed[r.job.top] = true
		} else if r.stats.Files > 0 {
			trailDocs[r.job.top]++
		} else if len(r.stats.Skipped) == 1 && r.stats.Skipped[0].Reason == reasonNotTrail {
			notDocs = append(notDocs, r.job.path)
		}
		switch {
		case r.err == nil:
			st.Add(r.stats)
		case errors.Is(r.err, errStopped) || ctx.Err() != nil && errors.Is(r.err, ctx.Err()):
		case s.opts.SkipUnreadable:
			part, said := readBefore(r.err, emit)
			prog.Add(0, part.Records)
			r.stats.Add(part)
			r.stats.Unreadable++
			r.stats.Skipped = append(r.stats.Skipped, Skip{Item: r.job.path, Reason: unreadableReason(r.err) + said})
			st.Add(r.stats)
		default:
			st.Bytes += r.stats.Bytes
			if int64(r.job.idx) < stop.Load() {
				stop.Store(int64(r.job.idx))
				firstErr, firstTop = r.err, r.job.top
			}
		}
	}
	// The walk is over: the jobs channel closed before the workers ended,
	// so w is read alone from here.
	// A file read whole that held no CloudTrail document (an earlier
	// report in the folder) is no CloudTrail file (see IsTrailFile).
	nd := map[any]bool{}
	for _, p := range notDocs {
		if id, ok := fileIdentity(p); ok {
			nd[id] = true
		}
	}
	s.mu.Lock()
	s.walked, s.notDocs = &walker{visitedDirs: w.visitedDirs, visitedPaths: w.visitedPaths, visitedFiles: w.visitedFiles, linkedOver: w.linkedOver}, nd
	s.mu.Unlock()
	st.FilesSkipped += w.skippedFiles
	st.Skipped = append(st.Skipped, w.skips...)
	st.Warnings = append(st.Warnings, w.warnings...)
	st.Layouts = append(w.layouts, trailLayouts(w.trailFolders)...)
	for _, k := range slices.Sorted(maps.Keys(w.readRegions)) {
		st.Layouts = append(st.Layouts, w.readRegions[k])
	}
	st.Skipped = append(st.Skipped, deliverySkips(s.Name(), w.early, w.late)...)
	if w.logFiles > 0 && w.delivered.unnamed == 0 {
		// Every log file found has CloudTrail's name, which starts with
		// the account whose logs it holds and gives its delivery time:
		// those are the accounts and days the files can hold, read or
		// passed over by their delivery time (a synced copy of a bucket
		// holds what the bucket does).
		st.Accounts, st.AccountsKnown = slices.Sorted(maps.Keys(w.delivered.days)), true
		st.Delivered, st.DeliveredKnown = w.delivered.byAccount(), true
	}
	// A folder whose files all turned out not to be CloudTrail documents
	// is no evidence, like an empty one. Only the paths walked whole
	// before the first unreadable file are judged: it is the error of the
	// first problem in walk order.
	var noDocs error
	if ctx.Err() == nil {
		for _, t := range w.withoutDocuments(trailDocs, failed, firstTop) {
			err := &SourceError{Source: t.path, Err: fmt.Errorf("none of the folder's %s is a CloudTrail log file (each is a digest file or %s): check the path, and that the logs were copied into it",
				english.Count(t.read, ".json or .json.gz file", ".json and .json.gz files"), notTrailWhy)}
			if !s.opts.SkipUnreadable {
				noDocs = err
				break
			}
			st.Unreadable++
			st.Skipped = append(st.Skipped, Skip{Item: t.path, Reason: "unreadable: " + err.Err.Error()})
		}
	}
	if noDocs == nil && firstErr == nil && ctx.Err() == nil && w.onlyFilesWithoutDocuments(trailDocs, failed) {
		// Files given by path, none a log file (digests, Insights files,
		// other JSON): no evidence, as a folder of them is not.
		err := &SourceError{Source: s.Name(), Err: fmt.Errorf("none of the files given is a CloudTrail log file (each is a digest file or %s): give the log files, or the folder that holds them", notTrailWhy)}
		if !s.opts.SkipUnreadable {
			noDocs = err
		} else {
			st.Unreadable++
			st.Skipped = append(st.Skipped, Skip{Item: s.Name(), Reason: "unreadable: " + err.Err.Error()})
		}
	}
	sort.SliceStable(st.Skipped, func(i, j int) bool { return st.Skipped[i].Item < st.Skipped[j].Item })
	if noDocs != nil {
		return st, noDocs
	}
	if firstErr != nil {
		return st, firstErr
	}
	if err := ctx.Err(); err != nil {
		return st, fmt.Errorf("reading %s: %w", s.Name(), err)
	}
	return st, nil
}

// withoutDocuments returns, in order, the folders given before path index
// limit whose files were read and held no CloudTrail document (docs counts
// them per path given), leaving out a folder with log files passed over by
// their delivery time, with a file that could not be read, or that holds
// another path given which had documents (its files were read under that
// path, the first to reach them).
func (w *walker) withoutDocuments(docs []int64, failed []bool, limit int) []walkTop {
	var out []walkTop
	for i, t := range w.tops {
		if i >= limit {
			break
		}
		if !t.folder || t.read == 0 || t.outside > 0 || docs[i] > 0 || failed[i] {
			continue
		}
		inside := false
		for j, u := range w.tops {
			inside = inside || j != i && docs[j] > 0 && within(u.path, t.path)
		}
		if !inside {
			out = append(out, t)
		}
	}
	return out
}

// onlyFilesWithoutDocuments tells whether every path given was a file,
// read whole, and none held a CloudTrail document (docs and failed per
// path given, as for withoutDocuments).
func (w *walker) onlyFilesWithoutDocuments(docs []int64, failed []bool) bool {
	for i, t := range w.tops {
		if t.folder || docs[i] > 0 || failed[i] {
			return false
		}
	}
	return len(w.tops) > 0
}

// within tells whether path is dir or lies under it, by their names.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
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
	if err == nil && job.explicit && st.Files == 0 && len(st.Skipped) == 1 && st.Skipped[0].Reason == reasonNotTrail {
		// In a folder such a file is passed over; one given by its path
		// was meant to be read.
		return Stats{Bytes: st.Bytes}, &SourceError{Source: job.path, Err: errors.New(reasonNotTrail + "; give CloudTrail log files ({\"Records\":[…]}) or the output of aws cloudtrail lookup-events")}
	}
	return st, err
}

func openProblem(err error) error {
	var pe *fs.PathError
	path := ""
	if errors.As(err, &pe) {
		err, path = pe.Err, pe.Path
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("cannot open: %w: it is a symbolic link to nothing; fix the link, or leave it out", err)
		}
		return fmt.Errorf("cannot open: %w; check the path", err)
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
	fix := "give CloudTrail log files or folders of them"
	if m&fs.ModeNamedPipe != 0 {
		// <(…) is one: log files are told by their names and read in
		// parallel, so a stream is not read.
		fix = "CloudTrail input is read from files, not streams such as <(…): write it to a .json or .json.gz file and give that"
	}
	return fmt.Errorf("is %s, not a regular file; %s", kind, fix)
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

// walker finds the files to read and hands each to send, in walk order.
type walker struct {
	send         func(fileJob) bool // false: stop walking
	found        int
	stopped      bool
	inSkipped    string // walking a CloudTrail-Digest or -Insight folder (the reason): its files are counted, not listed
	delivery     deliveryWindow
	dates        map[string]dateCheck // the folders given that end in a date folder
	warnings     []string             // coverage gaps (SC2002)
	layouts      []Layout             // of the folders given
	trailFolders map[string]bool      // the accounts' CloudTrail folders whose region folders it entered (real paths)
	readRegions  map[string]Layout    // the region folders it entered, by where they are
	early, late  int64                // log files passed over by their delivery time (counted in skippedFiles)
	logFiles     int64                // files named as log files, outside digest and Insights folders, read or not
	delivered    deliveryDays         // the accounts and days the CloudTrail names of those log files give
	unreadables  int64                // entries that could not be read (each is an error of its own)
	tops         []walkTop            // the paths given, in order
	skips        []Skip
	skippedFiles int64
	visitedDirs  map[fileKey]bool
	visitedPaths map[string]bool
	// visitedFiles holds every file read, to read none twice. Its path is
	// kept only for a file that can be reached by another name (hard
	// links, a link to it, a path given by the user); a file found as a
	// plain folder entry with one name can only be met again through a
	// link or a given path, and is then named by its resolved path.
	visitedFiles map[fileKey]string
	// linkedOver holds the files that a link in a folder walked leads to
	// and that the walk passed over (a digest, a log of another day): a
	// report must not replace them either (see IsTrailFile).
	linkedOver map[fileKey]bool
}

func newWalker(send func(fileJob) bool) *walker {
	return &walker{send: send, trailFolders: map[string]bool{}, readRegions: map[string]Layout{}, visitedDirs: map[fileKey]bool{}, visitedPaths: map[string]bool{}, visitedFiles: map[fileKey]string{}, linkedOver: map[fileKey]bool{}}
}

// walkTop is what the walk found under a path given by the user.
type walkTop struct {
	path    string
	folder  bool
	read    int64 // files handed out to be decoded (not unreadable ones)
	outside int64 // log files passed over by their delivery time
}

func (w *walker) add(path string, readErr error) {
	if w.stopped {
		return
	}
	top := len(w.tops) - 1
	if readErr == nil {
		w.tops[top].read++
	}
	if !w.send(fileJob{idx: w.found, top: top, explicit: !w.tops[top].folder, path: path, readErr: readErr}) {
		w.stopped = true
	}
	w.found++
}

func (w *walker) skipFile(path, reason string) {
	w.skippedFiles++
	w.skips = append(w.skips, Skip{Item: path, Reason: reason})
}

func (w *walker) unreadable(path string, err error) {
	w.unreadables++
	w.add(path, err)
}

// The folders of CloudTrail's layout that hold no log files of API calls.
const (
	digestFolder  = "CloudTrail-Digest"
	insightFolder = "CloudTrail-Insight"
)

// skippedFolder is the reason a folder of CloudTrail's layout named name is
// not read, or "".
func skippedFolder(name string) string {
	switch name {
	case digestFolder:
		return reasonDigestFolder
	case insightFolder:
		return reasonInsightFolder
	}
	return ""
}

// isInsightName tells whether a file's name is a CloudTrail Insights file's
// (<account>_CloudTrail-Insight_<region>_<time>_<id>.json.gz).
func isInsightName(name string) bool { return strings.Contains(name, "_"+insightFolder+"_") }

// isDigestName tells whether a file's name is a CloudTrail digest file's
// (<account>_CloudTrail-Digest_<region>_<trail>_<region>_<time>.json.gz).
// Only the name is tested, never the folders above it, which the user
// chose (an archive folder named CloudTrail-Digest-… holds log files too).
func isDigestName(name string) bool { return strings.Contains(name, "_"+digestFolder+"_") }

func hasTrailName(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".json.gz")
}

// localLayout reads what a folder's path fixes of CloudTrail's layout
// (…/AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD), as
// written or with its links resolved, whichever fixes more; ok is false
// when neither follows the layout (a folder of copied files). abs is the
// path it read, absolute and with forward slashes.
func localLayout(path string) (l s3Layout, abs string, ok bool) {
	a, err := filepath.Abs(path)
	if err != nil {
		return s3Layout{}, "", false
	}
	paths := []string{a}
	if real, err := filepath.EvalSymlinks(a); err == nil && real != a {
		paths = append(paths, real)
	}
	for _, p := range paths {
		p = withAWSLogs(filepath.ToSlash(p))
		if p == "" {
			continue
		}
		if pl, err := parseLayout(p); err == nil && (!ok || len(pl.date) > len(l.date) || pl.region != "" && l.region == "") {
			l, abs, ok = pl, p, true
		}
	}
	return l, abs, ok
}

// withAWSLogs returns path (forward slashes) when it has an AWSLogs folder;
// when it has an account's CloudTrail folder but no AWSLogs (a copy of the
// folder's content: aws s3 sync s3://bucket/AWSLogs/ logs), path with
// AWSLogs put back before the account (or its organisation) folder; "" for
// a path outside CloudTrail's layout.
func withAWSLogs(path string) string {
	segs := strings.Split(path, "/")
	if slices.Contains(segs, "AWSLogs") {
		return path
	}
	for i := 1; i < len(segs); i++ {
		if segs[i] != "CloudTrail" || !awsaccount.IsID(segs[i-1]) {
			continue
		}
		j := i - 1
		if j > 0 && orgIDPattern.MatchString(segs[j-1]) {
			j--
		}
		return strings.Join(append(slices.Clone(segs[:j]), append([]string{"AWSLogs"}, segs[j:]...)...), "/")
	}
	return ""
}

// dateCheck is what dateFolderChecks says of a folder given.
type dateCheck struct {
	missing error  // a day of the window that no folder given holds
	warning string // the delivery days after the window that none holds
}

// dateFolderChecks judges the folders given that end in a date folder of
// CloudTrail's layout as an S3 prefix is judged (see dateFolderCover), the
// date folders given for one region together: a folder inside another
// given is read whole through it, and day folders given one by one hold
// the days they hold together. What is said of a region's date folders is
// said at the first of them.
func dateFolderChecks(paths []string, q Query) map[string]dateCheck {
	type folder struct {
		path, abs string
		l         s3Layout
	}
	var dated []folder
	reals := make([]string, len(paths)) // each path given, absolute and links resolved
	for i, p := range paths {
		reals[i] = realPath(p)
		if l, abs, ok := localLayout(p); ok && len(l.date) > 0 {
			dated = append(dated, folder{p, abs, l})
		}
	}
	groups := map[string][]folder{}
	var keys []string
	for _, f := range dated {
		real := reals[slices.Index(paths, f.path)]
		inside := slices.ContainsFunc(reals, func(r string) bool {
			return real != r && strings.HasPrefix(real, strings.TrimSuffix(r, "/")+"/")
		})
		if inside {
			continue // read whole through the folder that holds it
		}
		k := layoutOf("", f.abs, f.l)
		key := k.Trail + k.Region
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], f)
	}
	out := map[string]dateCheck{}
	for _, key := range keys {
		var dates []string
		for _, f := range groups[key] {
			dates = append(dates, strings.Join(f.l.date, "/"))
		}
		missing, warning := dateFolderCover(dates, q, DefaultDeliverySlack, "folder")
		out[groups[key][0].path] = dateCheck{missing, warning}
	}
	return out
}

// realPath is path absolute, its links resolved (as written when they
// cannot be), with forward slashes: local folders are compared by where
// they are, however they were named (/tmp is /private/tmp on macOS).
func realPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return filepath.ToSlash(abs)
}

// splitTrail splits a real path at an account's CloudTrail folder
// (…/<account>/CloudTrail): that folder, and the region folder the path
// goes on to ("" when none); trail is "" for a path outside one.
func splitTrail(real string) (trail, region string) {
	segs := strings.Split(real, "/")
	for i := len(segs) - 1; i >= 1; i-- {
		if segs[i] == "CloudTrail" && awsaccount.IsID(segs[i-1]) {
			if i+1 < len(segs) {
				if region = segs[i+1]; !isRegionName(region) {
					return "", "" // a folder of another kind there: not the layout
				}
			}
			return strings.Join(segs[:i+1], "/"), region
		}
	}
	return "", ""
}

// folderLayout is the Layout of a folder given, by its real path: the
// CloudTrail folder and region folder it names, or the folder itself.
func folderLayout(path string) Layout {
	real := realPath(path)
	if trail, region := splitTrail(real); trail != "" {
		return Layout{Trail: trail + "/", Region: region, Folder: trail}
	}
	return Layout{Trail: strings.TrimSuffix(real, "/") + "/"}
}

// trailLayouts lists the region folders of the CloudTrail folders found
// (real paths): what RegionFolderGaps needs to tell the regions not read.
func trailLayouts(folders map[string]bool) []Layout {
	var out []Layout
	for _, dir := range slices.Sorted(maps.Keys(folders)) {
		lay := Layout{Trail: dir + "/", Folder: dir, Regions: []string{}}
		entries, _ := os.ReadDir(filepath.FromSlash(dir))
		for _, e := range entries {
			if fi, err := os.Stat(filepath.Join(filepath.FromSlash(dir), e.Name())); err == nil && fi.IsDir() {
				lay.Regions = append(lay.Regions, e.Name())
			}
		}
		out = append(out, lay)
	}
	return out
}

// errNoLogFiles is a folder given as a source that holds no log file.
var errNoLogFiles = errors.New("the folder holds no CloudTrail log files (*.json or *.json.gz outside CloudTrail-Digest and CloudTrail-Insight folders): check the path, and that the logs were copied into it")

// trailFolder notes an account's CloudTrail folder whose region folders
// the walk reads.
func (w *walker) trailFolder(real string) {
	if real != "" {
		w.trailFolders[real] = true
	}
}

// regionRead notes a folder the walk enters that is, or is in, a region
// folder of an account's CloudTrail folder, by where it is (a link or a
// relative path names it otherwise): that region is read.
func (w *walker) regionRead(dir string, viaLink bool) {
	trail, region := splitTrail(realPath(dir))
	if trail == "" || region == "" {
		return
	}
	if viaLink {
		// A link in a CloudTrail folder to another copy's region folder
		// is read as that folder's own region: the other copy's folders
		// beside it are not judged.
		if parent, _ := splitTrail(realPath(filepath.Dir(dir))); parent != "" && realPath(filepath.Dir(dir)) == parent {
			trail, region = parent, filepath.Base(dir)
		}
	}
	w.trailFolder(trail)
	w.readRegions[trail+"/"+region] = Layout{Trail: trail + "/", Region: region, Folder: trail}
}

// walkTop handles one path given by the user; false means the walk stopped.
func (w *walker) walkTop(path string) bool {
	fi, err := os.Stat(path)
	w.tops = append(w.tops, walkTop{path: path, folder: err == nil && fi.IsDir()})
	switch {
	case err != nil:
		w.unreadable(path, openProblem(err))
	case fi.IsDir():
		lay := folderLayout(path)
		if lay.Region != "" {
			w.trailFolder(lay.Folder)
		}
		w.layouts = append(w.layouts, lay)
		if c := w.dates[path]; c.missing != nil {
			// As for an S3 prefix: the days outside the folder would be
			// lost silently.
			w.unreadable(path, c.missing)
			break
		} else if c.warning != "" {
			w.skips = append(w.skips, Skip{Item: path, Reason: c.warning})
			w.warnings = append(w.warnings, c.warning+" ("+path+"); give the CloudTrail folder above to read them")
		}
		before, unreadable, outside := w.logFiles, w.unreadables, w.early+w.late
		entered := w.walkDir(path, fi, 0)
		w.tops[len(w.tops)-1].outside = w.early + w.late - outside
		if entered && !w.stopped && w.logFiles == before && w.unreadables == unreadable {
			// An empty folder is no evidence: most often a wrong path
			// or a copy that did not happen.
			w.unreadable(path, errNoLogFiles)
		}
	default:
		w.file(path, fi, true, true)
	}
	return !w.stopped
}

// file handles a file found by the walk. explicit: the user gave its path;
// linked: the path given or the folder entry is a symbolic link.
func (w *walker) file(path string, fi fs.FileInfo, explicit, linked bool) {
	passedOver := func() {
		if k, ok := keyOf(fi); ok && linked {
			w.linkedOver[k] = true
		}
	}
	if w.inSkipped != "" && !explicit {
		if hasTrailName(fi.Name()) {
			passedOver()
		}
		w.skippedFiles++ // listed once for the folder
		return
	}
	if !explicit && isDigestName(fi.Name()) {
		passedOver()
		w.skipFile(path, reasonDigest)
		return
	}
	if !explicit && isInsightName(fi.Name()) {
		passedOver()
		w.skipFile(path, reasonInsight)
		return
	}
	if !explicit && !hasTrailName(fi.Name()) {
		w.skipFile(path, reasonNotJSONName)
		return
	}
	w.logFiles++
	w.delivered.note(fi.Name())
	if !explicit {
		switch w.delivery.place(fi.Name(), layoutDay(filepath.Dir(path))) {
		case deliveredEarly:
			passedOver()
			w.skippedFiles++
			w.early++
			return
		case deliveredLate:
			passedOver()
			w.skippedFiles++
			w.late++
			return
		}
	}
	if !fi.Mode().IsRegular() {
		w.unreadable(path, notRegular(fi.Mode()))
		return
	}
	if k, ok := keyOf(fi); ok {
		if first, seen := w.visitedFiles[k]; seen {
			if first == "" {
				first = path
				if real, err := filepath.EvalSymlinks(path); err == nil {
					first = real
				}
			}
			w.skipFile(path, "same file as "+first+", read once")
			return
		}
		if explicit || linked || hardLinked(fi) {
			w.visitedFiles[k] = path
		} else {
			w.visitedFiles[k] = ""
		}
	}
	w.add(path, nil)
}

// walkDir walks a folder; false: it was walked already (through another
// path given, or a link), and is not walked again.
func (w *walker) walkDir(dir string, fi fs.FileInfo, depth int) bool {
	seen := false
	if k, ok := keyOf(fi); ok {
		seen = w.visitedDirs[k]
		w.visitedDirs[k] = true
	} else if id, ok := fileIdentity(dir); ok {
		// No device and inode here: the resolved absolute path tells
		// folders apart.
		real := id.(string)
		seen = w.visitedPaths[real]
		w.visitedPaths[real] = true
	}
	if seen {
		w.skips = append(w.skips, Skip{Item: dir, Reason: "folder already read (a symbolic link loop, a second link to it, or a path given inside another)"})
		return false
	}
	if depth > maxWalkDepth {
		w.unreadable(dir, fmt.Errorf("folders nested deeper than %d levels (a symbolic link loop?)", maxWalkDepth))
		return true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.unreadable(dir, fmt.Errorf("cannot list the folder: %w", err))
		return true
	}
	if reason := skippedFolder(filepath.Base(dir)); w.inSkipped == "" && depth > 0 && reason != "" {
		// A digest or Insights folder holds a file per region and account
		// every hour or so: it is one Skipped entry with the number of its
		// files, not one per file (they are all counted in FilesSkipped).
		w.inSkipped = reason
		before := w.skippedFiles
		defer func() {
			w.inSkipped = ""
			if n := w.skippedFiles - before; n > 0 {
				w.skips = append(w.skips, Skip{Item: dir, Reason: reason + ": " + english.Count(n, "file", "files")})
			}
		}()
	}
	for _, e := range entries {
		if w.stopped {
			return true
		}
		path := filepath.Join(dir, e.Name())
		var info fs.FileInfo
		if e.Type()&fs.ModeSymlink != 0 {
			info, err = os.Stat(path)
			if err != nil {
				// A link that cannot be followed may lead to a folder of
				// logs (an archive not mounted, a broken sync), whatever
				// its name (a bucket's, logs.example.com): unreadable,
				// except in a digest or Insights folder.
				if w.inSkipped != "" {
					w.skippedFiles++
				} else {
					w.unreadable(path, openProblem(err))
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
			if link := e.Type()&fs.ModeSymlink != 0; link || isRegionName(e.Name()) {
				w.regionRead(path, link)
			}
			w.walkDir(path, info, depth+1)
			continue
		}
		w.file(path, info, false, e.Type()&fs.ModeSymlink != 0)
	}
	return true
}
