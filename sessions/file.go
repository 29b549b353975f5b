package sessions

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
)

// MaxFileBytes caps the decompressed size of a gzipped session file, so a
// gzip bomb fails with an error instead of exhausting memory.
const MaxFileBytes = 4 << 30

// NewFileStore reads session records exported to a file. The format is
// recognised from the content:
//
//   - a JSON array of records: [{"id":"…","user":"…",…}, …];
//   - JSON Lines: one record object per line;
//   - DynamoDB's export format: {"Item":{"id":{"S":"…"},"request_count":{"N":"3"},…}}
//     per line (DynamoDB JSON attribute values are also accepted bare, and
//     the output of `aws dynamodb scan`, {"Items":[…]}).
//
// A gzipped file (a DynamoDB export to S3 is .json.gz) is decompressed.
// Times are RFC 3339 strings (with or without fractional seconds).
//
// A file that is not valid JSON (a truncated array, a line that is not JSON)
// cannot be read: Load returns a *SourceError naming the path and the line.
// A well-formed record that cannot be used (no id, a time that does not
// parse, a value of the wrong type, not an object) is skipped and counted in
// Stats.RecordsSkipped with its line and reason; when an id appears twice
// the later record wins and the earlier one is counted as skipped. Nothing
// is dropped silently.
//
// Load returns every record of the file, whatever the query: an event in
// the window may match a record that ended long before it.
func NewFileStore(path string) Store { return &fileStore{path: path} }

type fileStore struct{ path string }

func (f *fileStore) Name() string { return f.path }

func (f *fileStore) Load(ctx context.Context, _ Query) ([]Record, Stats, error) {
	st := Stats{Source: f.path, Kind: "file"}
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, st, &SourceError{Source: f.path, Err: fmt.Errorf("cannot open the session file: %w", err)}
	}
	defer fh.Close()
	recs, err := readRecords(ctx, fh, f.path, &st)
	if err != nil {
		return nil, st, err
	}
	return recs, st, nil
}

// readRecords decodes a session file (see NewFileStore). name labels
// skipped records and errors.
func readRecords(ctx context.Context, src io.Reader, name string, st *Stats) ([]Record, error) {
	lr := &lineReader{r: src}
	br := bufio.NewReaderSize(lr, 64<<10)
	fail := func(off int64, err error) error {
		return &SourceError{Source: name, Line: lr.line(off), Err: err}
	}

	// A gzipped file: decompress, with a cap, and count lines in the
	// decompressed text.
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &SourceError{Source: name, Err: fmt.Errorf("not a valid gzip file: %w", err)}
		}
		defer zr.Close()
		lr = &lineReader{r: &capReader{r: gzipReader{zr}, left: MaxFileBytes}}
		br = bufio.NewReaderSize(lr, 64<<10)
	}

	// Skip a byte order mark and white space to see how the content starts.
	var base int64
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
		base = 3
	}
	var first byte
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil, nil // an empty file holds no records
		}
		if err != nil {
			return nil, fail(base, readErr(err))
		}
		if b == ' ' || b == '\t' || b == '\r' || b == '\n' {
			base++
			continue
		}
		first = b
		_ = br.UnreadByte()
		break
	}

	// errPos is the offset in the file where a decode error happened.
	var dec *json.Decoder
	errPos := func(err error) int64 {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return base + se.Offset
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return lr.off // truncated: the end of the file
		}
		return base + dec.InputOffset()
	}
	d := &fileDecoder{name: name, st: st, line: lr.line, byID: make(map[string]int)}
	dec = json.NewDecoder(br)
	switch first {
	case '[':
		if _, err := dec.Token(); err != nil {
			return nil, fail(base, syntaxErr(err))
		}
		for n := 1; dec.More(); n++ {
			if n%1024 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, fail(errPos(err), syntaxErr(err))
			}
			off := base + dec.InputOffset() - int64(len(raw))
			d.item(raw, fmt.Sprintf("%s:%d (element %d)", name, lr.line(off), n))
		}
		if _, err := dec.Token(); err != nil {
			return nil, fail(errPos(err), syntaxErr(err))
		}
		if err := expectEOF(dec); err != nil {
			return nil, fail(base+dec.InputOffset(), err)
		}
	case '{':
		for n := 1; ; n++ {
			if n%1024 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var raw json.RawMessage
			err := dec.Decode(&raw)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fail(errPos(err), syntaxErr(err))
			}
			off := base + dec.InputOffset() - int64(len(raw))
			d.document(raw, fmt.Sprintf("%s:%d", name, lr.line(off)))
		}
	default:
		return nil, fail(base, fmt.Errorf("not a session file: it starts with %q; want a JSON array of records, JSON Lines, or a DynamoDB export ({\"Item\":{…}} per line)", rune(first)))
	}
	return d.records(), nil
}

// fileDecoder turns the values of a session file into records.
type fileDecoder struct {
	name string
	st   *Stats
	line func(int64) int
	recs []Record
	at   []string       // where each record was read, for duplicate reports
	byID map[string]int // id -> index in recs
}

// document handles one top-level object of a JSON Lines file: a record, an
// {"Item":…} export line, or the {"Items":[…]} output of a scan.
func (d *fileDecoder) document(raw json.RawMessage, at string) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err == nil {
		if items, ok := obj["Items"]; ok && obj["id"] == nil && obj["Item"] == nil {
			var list []json.RawMessage
			if err := json.Unmarshal(items, &list); err != nil {
				d.st.addSkip(at, "Items is not a list of items")
				return
			}
			for i, it := range list {
				d.item(it, fmt.Sprintf("%s (Items[%d])", at, i))
			}
			return
		}
	}
	d.item(raw, at)
}

// item decodes one record value and keeps it or counts it as skipped.
func (d *fileDecoder) item(raw json.RawMessage, at string) {
	m, err := jsonAttrs(raw)
	if err == nil {
		var r Record
		if r, err = recordFromAttrs(m); err == nil {
			d.keep(r, at)
			return
		}
	}
	d.st.addSkip(at, skipReason(err))
}

func (d *fileDecoder) keep(r Record, at string) {
	if i, ok := d.byID[r.ID]; ok {
		d.st.addSkip(d.at[i], fmt.Sprintf("id %q appears again at %s; the later record is used", clip(r.ID), at))
		d.recs[i], d.at[i] = r, at
		return
	}
	d.byID[r.ID] = len(d.recs)
	d.recs = append(d.recs, r)
	d.at = append(d.at, at)
}

func (d *fileDecoder) records() []Record {
	d.st.Records = int64(len(d.recs))
	sortRecords(d.recs)
	return d.recs
}

// jsonAttrs reads the attributes of one record: a plain JSON object, an
// {"Item":{…}} export line, or a bare DynamoDB JSON item.
func jsonAttrs(raw json.RawMessage) (map[string]attr, error) {
	obj, err := jsonObject(raw)
	if err != nil {
		return nil, err
	}
	if item, ok := obj["Item"]; ok && obj["id"] == nil {
		inner, err := jsonObject(item)
		if err != nil {
			return nil, errors.New("Item is not an object of DynamoDB attribute values")
		}
		return dynamoJSONAttrs(inner)
	}
	if id, ok := obj["id"]; ok && firstByte(id) == '{' {
		return dynamoJSONAttrs(obj)
	}
	m := make(map[string]attr, len(obj))
	for k, v := range obj {
		m[k] = plainAttr(v)
	}
	return m, nil
}

// jsonObject unmarshals an object; anything else is a skip reason.
func jsonObject(raw json.RawMessage) (map[string]json.RawMessage, error) {
	if firstByte(raw) != '{' {
		return nil, fmt.Errorf("not an object but %s", jsonKind(raw))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("not a valid object: %w", err)
	}
	return obj, nil
}

// plainAttr classifies a plain JSON value.
func plainAttr(v json.RawMessage) attr {
	switch firstByte(v) {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return attr{kind: kindString, s: s}
		}
	case 'n':
		return attr{kind: kindNull}
	case 't', 'f':
		return attr{kind: kindBool}
	case '{', '[':
		return attr{kind: kindOther}
	default:
		return attr{kind: kindNumber, s: string(bytes.TrimSpace(v))}
	}
	return attr{kind: kindOther}
}

// dynamoJSONAttrs reads DynamoDB JSON: every value is {"S":…}, {"N":…},
// {"NULL":true}, {"BOOL":…} or another type tag.
func dynamoJSONAttrs(obj map[string]json.RawMessage) (map[string]attr, error) {
	m := make(map[string]attr, len(obj))
	for k, v := range obj {
		tv, err := jsonObject(v)
		if err != nil || len(tv) != 1 {
			return nil, fmt.Errorf("attribute %q is not a DynamoDB attribute value like {\"S\":\"…\"}", clip(k))
		}
		for tag, val := range tv {
			switch tag {
			case "S", "N":
				var s string
				if err := json.Unmarshal(val, &s); err != nil {
					return nil, fmt.Errorf("attribute %q: the value of %q is not a string", clip(k), tag)
				}
				kind := kindString
				if tag == "N" {
					kind = kindNumber
				}
				m[k] = attr{kind: kind, s: s}
			case "NULL":
				m[k] = attr{kind: kindNull}
			case "BOOL":
				m[k] = attr{kind: kindBool}
			default:
				m[k] = attr{kind: kindOther}
			}
		}
	}
	return m, nil
}

func firstByte(v []byte) byte {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

func jsonKind(v json.RawMessage) string {
	switch firstByte(v) {
	case '"':
		return "a string"
	case '[':
		return "an array"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// expectEOF fails when anything but white space follows the array.
func expectEOF(dec *json.Decoder) error {
	var extra json.RawMessage
	err := dec.Decode(&extra)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return syntaxErr(err)
	}
	return errors.New("unexpected data after the JSON array: a session file holds one array, or one record per line")
}

// syntaxErr words a JSON decoding error for the user.
func syntaxErr(err error) error {
	var se *json.SyntaxError
	var ce *capError
	var ge *gzipError
	switch {
	case errors.As(err, &ce):
		return err
	case errors.As(err, &ge):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errors.New("the file ends in the middle of a JSON value (truncated?)")
	case errors.As(err, &se):
		return fmt.Errorf("malformed JSON: %w", err)
	}
	return readErr(err)
}

func readErr(err error) error {
	var ce *capError
	var ge *gzipError
	if errors.As(err, &ce) || errors.As(err, &ge) {
		return err
	}
	return fmt.Errorf("cannot read the session file: %w", err)
}

// lineReader remembers where the newlines are so that an offset can be
// turned into a line number.
type lineReader struct {
	r        io.Reader
	off      int64
	newlines []int64
}

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		l.newlines = append(l.newlines, l.off+int64(i+j))
		i += j + 1
	}
	l.off += int64(n)
	return n, err
}

// line is the 1-based line holding byte offset off.
func (l *lineReader) line(off int64) int {
	return 1 + sort.Search(len(l.newlines), func(i int) bool { return l.newlines[i] >= off })
}

// capReader fails once more than left bytes were read.
type capReader struct {
	r    io.Reader
	left int64
}

type capError struct{ limit int64 }

func (e *capError) Error() string {
	return "the decompressed file is larger than " + strconv.FormatInt(e.limit>>20, 10) + " MiB (a gzip bomb?); decompress it and check its content"
}

func (c *capReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.left <= 0 {
		var one [1]byte
		if n, err := c.r.Read(one[:]); n == 0 && err != nil {
			return 0, err
		}
		return 0, &capError{limit: MaxFileBytes}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// gzipReader marks decompression errors so that a truncated gzip file is not
// reported as truncated JSON.
type gzipReader struct{ r io.Reader }

type gzipError struct{ err error }

func (e *gzipError) Error() string {
	if errors.Is(e.err, io.ErrUnexpectedEOF) {
		return "the gzip data is truncated"
	}
	return "the gzip data is corrupt: " + e.err.Error()
}

func (e *gzipError) Unwrap() error { return e.err }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &gzipError{err: err}
	}
	return n, err
}
