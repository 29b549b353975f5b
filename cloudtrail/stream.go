package cloudtrail

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sentinel-check/sentinel-check/internal/gunzip"
	"github.com/sentinel-check/sentinel-check/internal/gzipmember"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
)

// Defaults of FileOptions.
const (
	DefaultMaxDecompressed int64 = 4 << 30
	DefaultMaxRecordBytes  int64 = 64 << 20
)

// FileOptions tune how CloudTrail documents are read. The zero value is
// ready to use.
type FileOptions struct {
	// Workers is the number of files decoded concurrently; 0 means GOMAXPROCS.
	Workers int
	// MaxDecompressed caps one file's decompressed bytes (a gzip bomb
	// guard); 0 means DefaultMaxDecompressed (4 GiB).
	MaxDecompressed int64
	// MaxRecordBytes caps one record (and any other single JSON value at the
	// top of a document); 0 means DefaultMaxRecordBytes (64 MiB). A larger
	// record is an error, never a reason to buffer without bound.
	MaxRecordBytes int64
	// SkipUnreadable counts an unreadable or corrupt file (Stats.Unreadable
	// and a Stats.Skipped entry with the reason) instead of failing the read.
	SkipUnreadable bool
	// Progress receives the files (or objects) found and read and the
	// records they held; nil reports nothing.
	Progress Progress
}

// WithDefaults returns o with every zero field set to its default.
func (o FileOptions) WithDefaults() FileOptions {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxDecompressed <= 0 {
		o.MaxDecompressed = DefaultMaxDecompressed
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	return o
}

// maxSkipDetails bounds the Skipped entries one document adds for its
// records; the counts stay exact and one entry says how many more there were.
const maxSkipDetails = 100

// Buffer sizes.
const (
	readBufferSize  = 64 << 10  // bufio in front of the raw stream
	docBufferSize   = 512 << 10 // decoded bytes held at once (grows for big records)
	maxPooledBuffer = 4 << 20   // larger buffers are left to the collector
)

var (
	bufioPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}
	gzipPool  sync.Pool // *gunzip.Reader
	bufPool   = sync.Pool{New: func() any { b := make([]byte, docBufferSize); return &b }}
)

// Reasons used in Skipped entries for whole documents.
const (
	reasonDigest        = "CloudTrail digest file (holds hashes of log files, no events)"
	reasonDigestFolder  = "folder of CloudTrail digest files (hashes of log files, no events)"
	reasonInsight       = "CloudTrail Insights file (unusual activity summaries, no API calls)"
	reasonInsightFolder = "folder of CloudTrail Insights files (unusual activity summaries, no API calls)"
	reasonNotTrail      = "not a CloudTrail document: " + notTrailWhy
	notTrailWhy         = "a JSON object without Records, Events or event fields"
	reasonNotJSONName   = "not a .json or .json.gz file"
)

// DecodeStream decodes one CloudTrail document from r and calls emit for
// every sts assume-role record in it, successful or failed. gzip is detected
// by its magic bytes, not by a name. origin names the file or object in
// errors, Skipped entries and Event.Origin.
//
// Accepted shapes: {"Records":[…]} (CloudTrail log files); the output of
// `aws cloudtrail lookup-events` ({"Events":[{"CloudTrailEvent":"…"}]}); a
// bare array of records or of LookupEvents results; a single record object.
// A digest file or a JSON object that is not CloudTrail is counted as a
// skipped file. Records are streamed: memory holds one record at a time
// (bounded by MaxRecordBytes), never the whole document. Every record is
// checked to be valid JSON while its end is found, and the scan notes its
// own eventSource and eventName members, so only the records that are sts
// assume-role calls by those members are decoded further.
//
// A document is decoded whole or not at all: emit is called only after the
// whole document was read, and an error (a *SourceError naming origin, the
// record index and the byte offset) means no event of it was emitted and
// its records were not counted (the returned Stats then hold only Bytes).
// With opts.SkipUnreadable the error keeps the records read before it, for
// the source to use once it gives the document up (see readBefore).
// An assume-role record with a missing or mistyped field does not fail the
// document: it is counted in RecordsSkipped with a Skipped entry.
func DecodeStream(r io.Reader, origin string, opts FileOptions, emit func(Event)) (Stats, error) {
	opts = opts.WithDefaults()
	cr := &countingReader{r: r}
	br := bufioPool.Get().(*bufio.Reader)
	br.Reset(cr)
	defer func() {
		br.Reset(nil)
		bufioPool.Put(br)
	}()

	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := getGzip(br)
		if err != nil {
			return Stats{Bytes: cr.n}, &SourceError{Source: origin, Err: fmt.Errorf("reading the gzip header: %w", gzipProblem(err))}
		}
		defer gzipPool.Put(zr)
		src = &gzipErrReader{zr} // member after member, as gzip -d reads them
	}
	src = &capReader{r: src, left: opts.MaxDecompressed, limit: opts.MaxDecompressed, gzip: src != io.Reader(br)}

	bp := bufPool.Get().(*[]byte)
	d := &docDecoder{
		src:    src,
		origin: origin,
		buf:    *bp,
		pin:    -1,
		maxRec: opts.MaxRecordBytes,
	}
	err := d.run()
	if cap(d.buf) <= maxPooledBuffer {
		*bp = d.buf[:cap(d.buf)]
		bufPool.Put(bp)
	}
	if err == nil && d.skipped > maxSkipDetails {
		d.stats.Skipped = append(d.stats.Skipped, Skip{Item: origin, Reason: fmt.Sprintf("%d more skipped records not listed", d.skipped-maxSkipDetails)})
	}
	d.stats.Bytes = cr.n
	if err != nil {
		se := &SourceError{Source: origin, Err: err}
		if opts.SkipUnreadable {
			se.read = &docPart{stats: d.stats, events: d.events}
		}
		return Stats{Bytes: cr.n}, se
	}
	for _, ev := range d.events {
		emit(ev)
	}
	return d.stats, nil
}

func getGzip(r io.Reader) (*gunzip.Reader, error) {
	zr, ok := gzipPool.Get().(*gunzip.Reader)
	if !ok {
		zr = new(gunzip.Reader)
	}
	if err := zr.Reset(r); err != nil {
		gzipPool.Put(zr)
		return nil, err
	}
	return zr, nil
}

// gzipProblem turns a decompression error into one that says what it means.
func gzipProblem(err error) error {
	switch {
	case errors.Is(err, gzipmember.ErrTrailing):
		return fmt.Errorf("%w: the file was changed after it was compressed; remove the extra bytes, or download it again", err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("the gzip stream is truncated (%w); the file was cut short, download it again", err)
	}
	return fmt.Errorf("the gzip stream is corrupt (%w): the file was damaged after it was written; download it again, or leave it out", err)
}

// gzipErrReader marks errors that come from decompression.
type gzipErrReader struct{ r io.Reader }

type decompressError struct{ err error }

func (e *decompressError) Error() string { return "decompressing: " + gzipProblem(e.err).Error() }
func (e *decompressError) Unwrap() error { return e.err }

func (g *gzipErrReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = &decompressError{err}
	}
	return n, err
}

// countingReader counts the raw bytes read.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ErrDecompressedCap is returned (wrapped) when a document decompresses to
// more than FileOptions.MaxDecompressed bytes.
var ErrDecompressedCap = errors.New("decompressed size exceeds the cap")

// capReader fails once more than limit bytes were read.
type capReader struct {
	r     io.Reader
	left  int64
	limit int64
	gzip  bool
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, c.err()
	}
	if int64(len(p))-1 > c.left { // not c.left+1, which overflows at the largest cap
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, c.err()
	}
	return n, err
}

func (c *capReader) err() error {
	if !c.gzip {
		return fmt.Errorf("%w of %s: the file is larger; raise it with --max-decompressed BYTES if the file is genuine", ErrDecompressedCap, sizeString(c.limit))
	}
	return fmt.Errorf("%w of %s: the file may be a gzip bomb; raise it with --max-decompressed BYTES if the file is genuine", ErrDecompressedCap, sizeString(c.limit))
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Array shapes.
type shape int

const (
	shapeRecords shape = iota // {"Records":[…]}
	shapeEvents               // {"Events":[…]} from lookup-events
	shapeBare                 // […]
	shapeSingle               // {…} one record
)

func (s shape) label(idx int) string {
	switch s {
	case shapeRecords:
		return fmt.Sprintf("Records[%d]", idx)
	case shapeEvents:
		return fmt.Sprintf("Events[%d]", idx)
	case shapeBare:
		return fmt.Sprintf("record [%d]", idx)
	}
	return "the record"
}

// docDecoder reads one document from a stream of decompressed bytes.
// buf[pos:end] is unread; buf[0] is at stream offset base.
type docDecoder struct {
	src      io.Reader
	origin   string
	buf      []byte
	pos, end int
	base     int64
	eof      bool
	rerr     error
	pin      int // index of the first byte that must stay in buf, or -1
	maxRec   int64
	sc       scanner
	stats    Stats
	events   []Event
	skipped  int
	zeroRead int
}

func (d *docDecoder) off(i int) int64 { return d.base + int64(i) }

var errBufferLimit = errors.New("value larger than the buffer limit")

// fill reads more data, keeping buf[keep:] (and the pinned bytes). It
// returns the new index of keep. Reading stops at a full buffer or EOF.
func (d *docDecoder) fill(keep int) (int, error) {
	if d.rerr != nil {
		return keep, d.rerr
	}
	lo := keep
	if d.pin >= 0 && d.pin < lo {
		lo = d.pin
	}
	if lo > 0 {
		n := copy(d.buf, d.buf[lo:d.end])
		d.base += int64(lo)
		d.pos -= lo
		d.end = n
		keep -= lo
		if d.pin >= 0 {
			d.pin -= lo
		}
	}
	if d.end == len(d.buf) {
		limit := d.maxRec + docBufferSize
		if d.maxRec > math.MaxInt64-docBufferSize {
			limit = math.MaxInt64 // a cap near the largest int64: none
		}
		if int64(len(d.buf)) >= limit {
			return keep, errBufferLimit
		}
		size := min(2*int64(len(d.buf)), limit)
		nb := make([]byte, size)
		copy(nb, d.buf[:d.end])
		d.buf = nb
	}
	for d.end < len(d.buf) && !d.eof {
		n, err := d.src.Read(d.buf[d.end:])
		d.end += n
		switch {
		case err == io.EOF:
			d.eof = true
		case err != nil:
			d.rerr = fmt.Errorf("after %d decompressed bytes: %w", d.off(d.end), err)
			return keep, d.rerr
		case n == 0:
			d.zeroRead++
			if d.zeroRead > 100 {
				d.rerr = io.ErrNoProgress
				return keep, d.rerr
			}
		}
	}
	return keep, nil
}

// peek skips space and returns the next byte without consuming it; ok is
// false at the end of the data.
func (d *docDecoder) peek() (byte, bool, error) {
	for {
		d.pos = skipSpace(d.buf[:d.end], d.pos)
		if d.pos < d.end {
			return d.buf[d.pos], true, nil
		}
		if d.eof {
			return 0, false, nil
		}
		if _, err := d.fill(d.pos); err != nil {
			return 0, false, err
		}
	}
}

// need is peek where the end of data means a truncated document.
func (d *docDecoder) need(what string) (byte, error) {
	c, ok, err := d.peek()
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("unexpected end of data at byte %d, want %s; the file is truncated", d.off(d.pos), what)
	}
	return c, nil
}

// What scan scans.
type scanMode int

const (
	modeAny    scanMode = iota // any value
	modeString                 // a string (buf[start] is its quote)
	modeRecord                 // a record object, noting its members (scanner.record)
)

// scan scans the value starting at buf[start], reading more data as needed.
// It returns the new index of start and the end of the value.
// what names the scanned value in errors; it is formatted only on an error.
type what struct {
	text string
	sh   shape
	idx  int
}

func (w what) String() string {
	if w.text != "" {
		return w.text
	}
	return w.sh.label(w.idx)
}

// tooLarge is the error of a value at buf[start] larger than the record cap.
func (d *docDecoder) tooLarge(w what, start int) error {
	return fmt.Errorf("%s at byte %d is larger than the record cap of %s; raise it with --max-record-bytes BYTES if the file is genuine", w, d.off(start), sizeString(d.maxRec))
}

func (d *docDecoder) scan(start int, mode scanMode, w what) (int, int, int, error) {
	for {
		var end, flags int
		var err error
		switch mode {
		case modeString:
			end, flags, err = scanString(d.buf[:d.end], start+1)
		case modeRecord:
			end, flags, err = d.sc.record(d.buf[:d.end], start)
		default:
			end, flags, err = d.sc.value(d.buf[:d.end], start)
		}
		if err == nil {
			if int64(end-start) > d.maxRec {
				return start, end, flags, d.tooLarge(w, start)
			}
			return start, end, flags, nil
		}
		var se *syntaxError
		if errors.As(err, &se) {
			return start, end, flags, fmt.Errorf("%s at byte %d: invalid JSON at byte %d: %s", w, d.off(start), d.off(se.off), se.msg)
		}
		if int64(d.end-start) > d.maxRec {
			return start, end, flags, d.tooLarge(w, start)
		}
		if d.eof {
			return start, end, flags, fmt.Errorf("%s at byte %d: unexpected end of data at byte %d; the file is truncated", w, d.off(start), d.off(d.end))
		}
		if start, err = d.fill(start); err != nil {
			if errors.Is(err, errBufferLimit) {
				return start, end, flags, fmt.Errorf("%s at byte %d: the document does not fit the record cap of %s; raise it with --max-record-bytes BYTES if the file is genuine", w, d.off(start), sizeString(d.maxRec))
			}
			return start, end, flags, err
		}
	}
}

func (d *docDecoder) run() error {
	c, ok, err := d.peek()
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the file is empty; want a CloudTrail JSON document")
	}
	switch c {
	case '{':
		err = d.object()
	case '[':
		d.stats.Files = 1
		err = d.array(shapeBare)
	case '"':
		return errors.New("the document is a string; want a CloudTrail JSON object or array")
	default:
		if hint := encodingHint(d.buf[d.pos:d.end]); hint != "" {
			return errors.New(hint)
		}
		return fmt.Errorf("invalid character %s at byte %d: the file is not a JSON object or array; want a CloudTrail JSON document", quoteByte(c), d.off(d.pos))
	}
	if err != nil {
		return err
	}
	c, ok, err = d.peek()
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("invalid character %s at byte %d after the JSON document; want the end of the file", quoteByte(c), d.off(d.pos))
	}
	return nil
}

// object reads a top-level object: a Records or Events wrapper, a digest,
// or a single record.
func (d *docDecoder) object() error {
	d.pin = d.pos
	d.pos++
	// nextToken: a NextToken member, or one a decoder that ignores case
	// reads as one, names a next page.
	var wrapped, digest, eventish, events, nextToken bool
	for first := true; ; first = false {
		c, err := d.need("an object key")
		if err != nil {
			return err
		}
		if first && c == '}' {
			d.pos++
			break
		}
		if c != '"' {
			return fmt.Errorf("invalid character %s at byte %d, want an object key", quoteByte(c), d.off(d.pos))
		}
		start, end, kflags, err := d.scan(d.pos, modeString, what{text: "an object key"})
		if err != nil {
			return err
		}
		keyOff := d.off(start)
		var key string
		if kflags&flagEscape != 0 {
			key = unquote(d.buf[start:end], kflags)
		} else {
			key = string(d.buf[start+1 : end-1])
		}
		d.pos = end
		if c, err = d.need("a colon"); err != nil {
			return err
		}
		if c != ':' {
			return fmt.Errorf("invalid character %s at byte %d after an object key, want a colon", quoteByte(c), d.off(d.pos))
		}
		d.pos++
		if c, err = d.need("a value"); err != nil {
			return err
		}
		switch key {
		case "Records", "Events":
			if wrapped {
				return fmt.Errorf("second Records or Events member at byte %d; a document holds one list of records", d.off(d.pos))
			}
			if c != '[' {
				return fmt.Errorf("%s at byte %d is %s, want an array of records", key, d.off(d.pos), kindOf(c))
			}
			wrapped = true
			d.pin = -1
			d.stats.Files = 1
			sh := shapeRecords
			if key == "Events" {
				sh, events = shapeEvents, true
			}
			if err := d.array(sh); err != nil {
				return err
			}
		default:
			for _, want := range []string{"Records", "Events"} {
				if strings.EqualFold(key, want) {
					// A decoder that ignores case (encoding/json into a
					// struct) would read the records: refuse the file
					// rather than pass it over as not CloudTrail.
					return fmt.Errorf("key %s at byte %d: CloudTrail's is %q (keys are case-sensitive); fix the key, or leave the file out", clip(key), keyOff, want)
				}
			}
			switch key {
			case "digestPublicKeyFingerprint", "digestS3Object":
				digest = true
			case "eventVersion", "eventSource", "eventName", "eventID", "CloudTrailEvent":
				eventish = true
			default:
				// A record whose keys differ from a record's only in case
				// is a record to a decoder that ignores case: decoded,
				// and refused there.
				_, of := caseVariant([]byte(key), eventishKeys)
				eventish = eventish || of != ""
			}
			start, end, _, err := d.scan(d.pos, modeAny, what{text: "the value of " + clip(key)})
			if err != nil {
				return err
			}
			v := d.buf[start:end]
			if string(v) != "null" && string(v) != `""` && foldsTo([]byte(key), "NextToken") {
				// Any token, in any copy or spelling, may be the one that
				// was written: the file may be one page of a longer result.
				nextToken = true
			}
			d.pos = end
		}
		if c, err = d.need("a comma or '}'"); err != nil {
			return err
		}
		switch c {
		case ',':
			d.pos++
			continue
		case '}':
			d.pos++
		default:
			return fmt.Errorf("invalid character %s at byte %d after an object member, want a comma or '}'", quoteByte(c), d.off(d.pos))
		}
		break
	}
	if events && nextToken {
		// aws cloudtrail lookup-events --max-items N prints one page and
		// the token of the next: the events after it would be missing.
		return errors.New("the lookup-events output holds a NextToken: it is one page of a longer result, and the events of the next pages are missing; export every page (aws cloudtrail lookup-events without --max-items), or read the API with --cloudtrail lookup:")
	}
	if eventish && (wrapped || digest) {
		// Read as a list of records or a digest, its own record would be
		// passed over, and another reader could take it as a record.
		kind := "a digest"
		if wrapped {
			kind = "a list of records"
		}
		return fmt.Errorf("the document is both %s and a record (it has a record's keys, such as eventName, beside them); fix the file, or leave it out", kind)
	}
	switch {
	case wrapped:
	case digest:
		d.stats.FilesSkipped = 1
		d.stats.Skipped = append(d.stats.Skipped, Skip{Item: d.origin, Reason: reasonDigest})
	case eventish:
		d.stats.Files = 1
		start := d.pin
		if int64(d.pos-start) > d.maxRec {
			// The cap holds for a record alone in its document as for
			// one in a list.
			return d.tooLarge(what{sh: shapeSingle}, start)
		}
		if _, _, err := d.sc.record(d.buf[:d.pos], start); err != nil {
			return fmt.Errorf("the record at byte %d: %w", d.off(start), err)
		}
		if err := d.record(shapeSingle, 0, d.buf[:d.pos], start); err != nil {
			return err
		}
	default:
		d.stats.FilesSkipped = 1
		d.stats.Skipped = append(d.stats.Skipped, Skip{Item: d.origin, Reason: reasonNotTrail})
	}
	d.pin = -1
	return nil
}

// array streams the records of an array starting at buf[pos] == '['.
func (d *docDecoder) array(sh shape) error {
	d.pos++
	c, err := d.need("a record or ']'")
	if err != nil {
		return err
	}
	if c == ']' {
		d.pos++
		return nil
	}
	for idx := 0; ; idx++ {
		c, err := d.need("a record")
		if err != nil {
			return err
		}
		if c != '{' {
			if kindOf(c) == "not JSON" {
				return fmt.Errorf("%s at byte %d: invalid character %s, want a record object", sh.label(idx), d.off(d.pos), quoteByte(c))
			}
			return fmt.Errorf("%s at byte %d is %s, want a record object", sh.label(idx), d.off(d.pos), kindOf(c))
		}
		start, end, _, err := d.scan(d.pos, modeRecord, what{sh: sh, idx: idx})
		if err != nil {
			return err
		}
		d.pos = end
		if err := d.record(sh, idx, d.buf[:end], start); err != nil {
			return err
		}
		if c, err = d.need("a comma or ']'"); err != nil {
			return err
		}
		switch c {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return fmt.Errorf("invalid character %s at byte %d after %s, want a comma or ']'", quoteByte(c), d.off(d.pos), sh.label(idx))
		}
	}
}

// record handles one record object (valid JSON) at buf[at:len(buf)], just
// scanned by scanner.record, whose notes it uses; buf indexes match the
// notes.
func (d *docDecoder) record(sh shape, idx int, buf []byte, at int) error {
	// A record that fails the document is not counted: the records read
	// before it are (see readBefore).
	if err := d.oneRecord(sh, idx, buf, at); err != nil {
		return err
	}
	d.stats.Records++
	return nil
}

func (d *docDecoder) oneRecord(sh shape, idx int, buf []byte, at int) error {
	rec := buf[at:]
	if sh == shapeEvents || d.sc.wrapper || d.sc.keyEsc {
		inner, found, err := lookupInner(&d.sc, rec)
		if err != nil {
			return fmt.Errorf("%s at byte %d: %w", sh.label(idx), d.off(at), err)
		}
		if found {
			return d.inner(sh, idx, inner, at)
		}
		if sh == shapeEvents {
			return fmt.Errorf("%s at byte %d has no CloudTrailEvent member; want the output of aws cloudtrail lookup-events", sh.label(idx), d.off(at))
		}
		// lookupInner scanned again without notes: take them anew.
		if _, _, err := d.sc.record(buf, at); err != nil {
			return fmt.Errorf("%s at byte %d: %w", sh.label(idx), d.off(at), err)
		}
	}
	if !d.sc.mayBeAssumeRole(buf) {
		return nil
	}
	return d.decode(sh, idx, rec)
}

// eventishKeys are the keys that make an object a record.
var eventishKeys = []string{"eventVersion", "eventSource", "eventName", "eventID", "CloudTrailEvent"}

// jsonStart tells the bytes a JSON document's text can start with.
func jsonStart(c byte) bool { return c == '{' || c == '[' || isSpace(c) }

// encodingHint says what is wrong with a document that starts with a byte
// order mark or is UTF-16 text, or "" when it does neither.
func encodingHint(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return "the file starts with a UTF-8 byte order mark, which CloudTrail never writes and JSON does not allow; remove its first three bytes (sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)"
	case len(b) >= 4 && b[0] == 0xff && b[1] == 0xfe && jsonStart(b[2]) && b[3] == 0, // little-endian, with a byte order mark
		len(b) >= 4 && b[0] == 0xfe && b[1] == 0xff && b[2] == 0 && jsonStart(b[3]), // big-endian, with one
		len(b) >= 4 && b[0] == 0 && jsonStart(b[1]) && b[2] == 0:                    // big-endian, without
		return "the file is UTF-16 text, and CloudTrail writes UTF-8 JSON; convert it (iconv -f UTF-16 -t UTF-8 FILE)"
	}
	return ""
}

// inner handles the record held in a CloudTrailEvent string.
func (d *docDecoder) inner(sh shape, idx int, rec []byte, at int) error {
	i := skipSpace(rec, 0)
	if i >= len(rec) || rec[i] != '{' {
		what := "empty"
		if i < len(rec) {
			what = kindOf(rec[i])
			if !json.Valid(rec) {
				what = "not JSON"
			}
		}
		return fmt.Errorf("%s at byte %d: CloudTrailEvent is %s, want a JSON record object", sh.label(idx), d.off(at), what)
	}
	end, _, err := d.sc.record(rec, i)
	if err == nil {
		if j := skipSpace(rec, end); j < len(rec) {
			err = &syntaxError{j, "data after the record"}
		}
	}
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%s at byte %d: CloudTrailEvent is not valid JSON: %s at byte %d of the string", sh.label(idx), d.off(at), se.msg, se.off)
		}
		return fmt.Errorf("%s at byte %d: CloudTrailEvent is truncated JSON", sh.label(idx), d.off(at))
	}
	if !d.sc.mayBeAssumeRole(rec) {
		return nil
	}
	return d.decode(sh, idx, rec[i:end])
}

func (d *docDecoder) decode(sh shape, idx int, rec []byte) error {
	ev, ok, err := decodeObject(&d.sc, rec)
	if err != nil {
		var fe *FieldError
		if !errors.As(err, &fe) {
			return fmt.Errorf("%s: %w", sh.label(idx), err)
		}
		d.stats.RecordsSkipped++
		d.skipped++
		if d.skipped <= maxSkipDetails {
			d.stats.Skipped = append(d.stats.Skipped, Skip{Item: d.origin + ": " + sh.label(idx), Reason: err.Error()})
		}
		return nil
	}
	if !ok {
		return nil
	}
	ev.Origin = d.origin
	d.stats.AssumeRole++
	d.events = append(d.events, ev)
	return nil
}
