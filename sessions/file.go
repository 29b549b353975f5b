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
	"io/fs"
	"os"
	"slices"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sentinel-check/sentinel-check/internal/gzipmember"
)

// MaxFileBytes caps the decompressed size of a gzipped session file, so a
// gzip bomb fails with an error instead of exhausting memory.
const MaxFileBytes = 4 << 30

// MaxRecordSpan caps the bytes the JSON decoder may read for one record,
// with the white space before it: DynamoDB items are at most 400 KB, and
// without a cap a record or a run of blank lines without end would be
// held in memory whole.
const MaxRecordSpan = 1 << 20

// MaxScanDocument is MaxRecordSpan for the first value of a file, which may
// be the whole answer of `aws dynamodb scan` ({"Items":[…]}): some 300,000
// session records.
const MaxScanDocument = 256 << 20

// drainLimit is how far past a JSON error in a gzipped file the rest is
// decompressed to look for the gzip error that may explain it.
const drainLimit = 64 << 20

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
// Stats.RecordsSkipped and Stats.RecordsUnusable with its line and reason
// (the engine fails the run on it unless told to skip unreadable input);
// when an id appears twice one version is used (see IndexBuilder: the most
// final status, then the later updated_at; revoked or expired from the
// earliest updated_at that says so) and the other is counted as skipped; an
// id with an unusable version is left out of the index.
// Nothing is dropped silently.
//
// Load hands every record of the file to the builder as it is decoded,
// whatever the query: an event in the window may match a record that ended
// long before it.
func NewFileStore(path string) Store { return &fileStore{path: path} }

type fileStore struct{ path string }

func (f *fileStore) Name() string { return f.path }

func (f *fileStore) Load(ctx context.Context, _ Query, b *IndexBuilder) (Stats, error) {
	st := Stats{Source: f.path, Kind: "file"}
	fh, err := openCtx(ctx, f.path)
	if err != nil {
		if ctx.Err() != nil {
			return st, err
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is the source's name
		}
		fix := ""
		if errors.Is(err, fs.ErrNotExist) {
			fix = "; check the path"
		}
		return st, &SourceError{Source: f.path, Err: fmt.Errorf("cannot open the session file: %w%s", err, fix)}
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil && fi.IsDir() {
		return st, &SourceError{Source: f.path, Err: errors.New("is a folder, not a session file: give the broker's export (a JSON array, JSON Lines or a DynamoDB export) or dynamodb://TABLE")}
	}
	// A read from a named pipe waits for its writer: the context's end
	// makes it return (a pipe's reads take a deadline; a regular file's
	// never wait).
	stop := context.AfterFunc(ctx, func() { _ = fh.SetReadDeadline(time.Now()) })
	defer stop()
	err = readRecords(ctx, fh, f.path, &st, b)
	if err != nil && ctx.Err() != nil {
		return st, ctx.Err()
	}
	return st, err
}

// openCtx opens path, giving up when ctx ends first: opening a named pipe
// (--sessions <(…)) waits for a writer, and a signal must still end the
// run. The abandoned open closes its file if it ever returns.
func openCtx(ctx context.Context, path string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// readRecords decodes a session file (see NewFileStore) and adds its records
// to b as they are read. name labels skipped records and errors.
func readRecords(ctx context.Context, src io.Reader, name string, st *Stats, b *IndexBuilder) error {
	lr := &lineReader{r: src}
	br := bufio.NewReaderSize(lr, 64<<10)
	gzipped := false
	fail := func(off int64, err error) error {
		var ge *gzipError
		if gzipped && !errors.As(err, &ge) {
			// Corrupt deflate data can decompress to bytes that are not
			// JSON before the checksum shows it: the gzip error, if the
			// rest of the stream holds one, is the problem to report.
			// Up to drainLimit more bytes are read for it, without
			// noting their lines, and not after a cancellation.
			lr.ignore = true
			var derr error
			for left := drainLimit; left > 0 && derr == nil && ctx.Err() == nil; left -= 64 << 10 {
				_, derr = io.CopyN(io.Discard, br, 64<<10)
			}
			if errors.As(derr, &ge) {
				return &SourceError{Source: name, Err: ge}
			}
		}
		return &SourceError{Source: name, Line: lr.line(off), Err: err}
	}

	// A gzipped file: decompress, with a cap, and count lines in the
	// decompressed text.
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return &SourceError{Source: name, Err: fmt.Errorf("not a valid gzip file: %w", err)}
		}
		defer zr.Close()
		gzipped = true
		lr = &lineReader{r: &capReader{r: gzipReader{gzipmember.New(zr, br)}, left: MaxFileBytes, limit: MaxFileBytes}}
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
		c, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil // an empty file holds no records
		}
		if err != nil {
			return fail(base, readErr(err))
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			base++
			if base%(64<<10) == 0 {
				lr.line(base) // forget the newlines passed
				if err := ctx.Err(); err != nil {
					return err // a pipe of endless blank lines
				}
			}
			continue
		}
		first = c
		_ = br.UnreadByte()
		break
	}

	// errPos is the offset in the file where a decode error happened.
	var dec *json.Decoder
	errPos := func(err error) int64 {
		var se *json.SyntaxError
		var ce *capError
		switch {
		case errors.As(err, &se):
			return base + se.Offset
		case errors.As(err, &ce) && ce.record:
			return base + dec.InputOffset() + gapEnd(dec.Buffered())
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return lr.off // truncated: the end of the file
		}
		return base + dec.InputOffset()
	}
	// elementErrPos is errPos for an array element. The offset of a syntax
	// error inside an element counts only the bytes the decoder scanned as
	// values, not the '[', the commas and the white space before them
	// that it read as tokens; so the error is found again in the element,
	// which starts where the decoder stopped. noComma: the element failed
	// before its value, for want of a comma, at an offset that is right.
	elementErrPos := func(err error, noComma bool) int64 {
		var se *json.SyntaxError
		if !errors.As(err, &se) || noComma {
			return errPos(err)
		}
		rest, _ := io.ReadAll(dec.Buffered())
		var v json.RawMessage
		if errors.As(json.Unmarshal(rest, &v), &se) {
			return base + dec.InputOffset() + se.Offset
		}
		return errPos(err)
	}
	d := &fileDecoder{name: name, st: st, b: b, base: b.Len()}
	// span caps what the decoder reads for each value (see MaxRecordSpan):
	// reset before each one, it bounds the decoder's buffer, and the
	// newlines lr notes before the next offset asked for.
	span := &capReader{r: br, limit: MaxRecordSpan, record: true}
	dec = json.NewDecoder(span)
	var raw json.RawMessage // reused: nothing keeps it past one value
	switch first {
	case '[':
		span.reset()
		if _, err := dec.Token(); err != nil {
			return fail(base, syntaxErr(err))
		}
		for n := int64(1); span.reset() && dec.More(); n++ {
			if n%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			pre := dec.InputOffset()
			if err := dec.Decode(&raw); err != nil {
				return fail(elementErrPos(err, n > 1 && dec.InputOffset() == pre), syntaxErr(err))
			}
			off := base + dec.InputOffset() - int64(len(raw))
			d.item(raw, loc{line: int64(lr.line(off)), n: n, kind: locElement})
		}
		span.reset()
		if _, err := dec.Token(); err != nil {
			return fail(errPos(err), syntaxErr(err))
		}
		span.reset()
		if err := expectEOF(dec); err != nil {
			var ce *capError
			if errors.As(err, &ce) {
				return fail(errPos(err), err)
			}
			return fail(base+dec.InputOffset(), err)
		}
	case '{':
		span.limit = MaxScanDocument // the first value may be a scan's answer
		for n := 1; ; n++ {
			if n%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			span.reset()
			span.limit = MaxRecordSpan
			err := dec.Decode(&raw)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fail(errPos(err), syntaxErr(err))
			}
			off := base + dec.InputOffset() - int64(len(raw))
			if err := d.document(raw, loc{line: int64(lr.line(off))}); err != nil {
				return fail(off, err)
			}
		}
	default:
		return fail(base, fmt.Errorf("not a session file: it starts with %q; want a JSON array of records, JSON Lines, or a DynamoDB export ({\"Item\":{…}} per line)", rune(first)))
	}
	st.Records = int64(b.Len() - d.base)
	return nil
}

// fileDecoder turns the values of a session file into records and hands
// them to the index builder. Of each record kept it remembers only where it
// was read, to name both places when its id appears again.
type fileDecoder struct {
	name string
	st   *Stats
	b    *IndexBuilder
	base int   // b.Len() when the file started
	locs []loc // where the record in slot base+i was read
}

// locKind says how a loc is shown.
type locKind uint8

const (
	locLine    locKind = iota // a JSON Lines document: name:line
	locElement                // an array element: name:line (element n)
	locItems                  // an item of a scan's Items: name:line (Items[n])
)

// loc is where a value was read.
type loc struct {
	line int64
	n    int64
	kind locKind
}

// at shows a loc in a skip: "file:12", "file:3 (element 2)", "file:1 (Items[4])".
func (d *fileDecoder) at(l loc) string {
	switch l.kind {
	case locElement:
		return fmt.Sprintf("%s:%d (element %d)", d.name, l.line, l.n)
	case locItems:
		return fmt.Sprintf("%s:%d (Items[%d])", d.name, l.line, l.n)
	}
	return fmt.Sprintf("%s:%d", d.name, l.line)
}

// document handles one top-level object of a JSON Lines file: a record, an
// {"Item":…} export line, or the {"Items":[…]} output of a scan.
// A scan's output that holds a NextToken or a LastEvaluatedKey is one page
// of a longer result: the error is the store's, since the records of the
// other pages (any of them a revocation) may be missing. Pages cannot be
// shown to follow one another (their tokens are opaque), so a page with
// one is refused even when other pages follow it in the file.
func (d *fileDecoder) document(raw json.RawMessage, l loc) error {
	m, ok := scanMembers(raw)
	if ok && m.items != nil && (m.item != nil || slices.ContainsFunc(m.vals[:], func(v []byte) bool { return v != nil })) {
		// Read as one, the other would be lost (any of it a revocation).
		return errors.New("the line holds both a scan's Items and a record's attributes or an Item, and one of them would be lost; give each record, or each scan's output, a line of its own")
	}
	if ok && m.item != nil && slices.ContainsFunc(m.vals[:], func(v []byte) bool { return v != nil }) {
		// An export line's Item beside a record's own attributes: reading
		// either would drop the other (a revoked status in it, say).
		return errors.New("the line holds both an Item and a record's attributes, and one of them would be lost; give each record a line of its own")
	}
	if ok && m.items != nil {
		if m.variant != "" {
			// A reader that ignores case would take its records too.
			return fmt.Errorf("the scan output holds %q, which differs from %s only in case, so which records the broker's table holds is unknown; export the scan again", m.variant, caseVariantOf(m.variant))
		}
		if m.dup == "Items" || m.dup == "Count" || m.dup == "ScannedCount" {
			return fmt.Errorf("the scan output holds %s twice, so one list of records would be lost or its size is unknown; export the scan again", m.dup)
		}
		if m.nextKey != "" {
			return fmt.Errorf("the scan output holds a %s: it is one page of a longer result, and the records of the other pages may be missing; "+
				"export the whole scan as one answer (aws dynamodb scan without --max-items, --starting-token or --no-paginate), or read the table with a session_table block", m.nextKey)
		}
		var list []json.RawMessage
		if err := json.Unmarshal(m.items, &list); err != nil {
			d.poisonAll(raw)
			d.st.addUnusable(d.at(l), "Items is not a list of items")
			return nil
		}
		if m.count != nil {
			// The CLI counts the items it returns: a list that holds
			// another number was cut or edited.
			if n, err := strconv.ParseInt(string(m.count), 10, 64); err != nil || n != int64(len(list)) {
				return fmt.Errorf("the scan output says Count %s but holds %d items, so records are missing or were added; export the scan again", clip(string(m.count)), len(list))
			}
		}
		if m.scanned != nil {
			// A scan with --filter-expression reads more items than it
			// returns: the ones left out (a revoked status, say) are not
			// in the file.
			if n, err := strconv.ParseInt(string(m.scanned), 10, 64); err != nil || n != int64(len(list)) {
				return fmt.Errorf("the scan output says ScannedCount %s but holds %d items: the scan was filtered (--filter-expression), "+
					"and the records it left out (a revocation among them) are missing; export the whole table without a filter, or read it with a session_table block",
					clip(string(m.scanned)), len(list))
			}
		}
		for i, it := range list {
			d.item(it, loc{line: l.line, n: int64(i), kind: locItems})
		}
		return nil
	}
	d.scanned(raw, &m, ok, l)
	return nil
}

// item decodes one record value and keeps it or counts it as skipped.
func (d *fileDecoder) item(raw json.RawMessage, l loc) {
	m, ok := scanMembers(raw)
	d.scanned(raw, &m, ok, l)
}

// scanned is item once scanMembers has walked raw.
func (d *fileDecoder) scanned(raw json.RawMessage, m *members, ok bool, l loc) {
	var a attrs
	err := attrsOf(raw, m, ok, &a)
	if err == nil {
		var r Record
		if r, err = recordFromAttrs(&a); err == nil {
			d.keep(r, l)
			return
		}
	}
	id, ok := a.id()
	if !ok {
		id = ""
	}
	if si := a.sourceIdentity(); id != "" || si != "" {
		d.b.Poison(id, si) // this version may be its revocation: use none
	}
	d.poisonAll(raw)
	d.st.addUnusable(d.at(l), skipReason(err))
}

// poisonAll leaves out every id, and keeps known every source_identity,
// that the unusable value raw was written with, not only the last one of
// a repeated attribute or tag.
func (d *fileDecoder) poisonAll(raw []byte) {
	for _, id := range attrValues(raw, "id") {
		d.b.Poison(id, "")
	}
	for _, si := range attrValues(raw, "source_identity") {
		d.b.Poison("", si)
	}
}

// attrValues lists every string value that the unusable value raw gives
// the attribute name, at any depth: in plain JSON, in DynamoDB JSON
// ({"S":…}, tags repeated or not), in an Item or a list of Items, in an
// array, repeated keys included. Any of them may name the record that raw
// was a version of.
func attrValues(raw []byte, name string) []string {
	var out []string
	add := func(v json.RawMessage) {
		var s string
		if json.Unmarshal(v, &s) == nil && s != "" {
			out = append(out, s)
		}
	}
	var walk func(raw []byte, depth int)
	walk = func(raw []byte, depth int) {
		if depth > maxPoisonDepth {
			return
		}
		switch firstByte(raw) {
		case '[':
			var list []json.RawMessage
			if json.Unmarshal(raw, &list) == nil {
				for _, v := range list {
					walk(v, depth+1)
				}
			}
		case '{':
			eachMember(raw, func(k string, v json.RawMessage) bool {
				switch {
				case k == name && firstByte(v) == '{': // {"S":…}
					eachMember(v, func(tag string, tv json.RawMessage) bool {
						if tag == "S" {
							add(tv)
						}
						return true
					})
				case k == name:
					add(v)
				default:
					walk(v, depth+1)
				}
				return true
			})
		}
	}
	walk(raw, 0)
	return out
}

// maxPoisonDepth bounds how deep attrValues looks: the values a record
// version can hold its id in are a few levels down at most.
const maxPoisonDepth = 16

// keep adds r to the index builder. When its id was read before, one
// version is used (see IndexBuilder) and the other is counted as skipped.
func (d *fileDecoder) keep(r Record, l loc) {
	slot, dup, kept := d.b.Add(r)
	i := slot - d.base
	if i < 0 {
		// The builder held the id before this file.
		d.st.addSkip(d.name, fmt.Sprintf("id %q was read before this file and appears again at %s; %s", clip(r.ID), d.at(l), usedAt(kept, d.at(l))))
		return
	}
	if !dup {
		d.locs = append(d.locs, l) // a new id takes the next slot: i == len(d.locs)
		return
	}
	if !kept {
		d.st.addSkip(d.at(l), fmt.Sprintf("id %q appeared before at %s; %s", clip(r.ID), d.at(d.locs[i]), usedVersion("at "+d.at(d.locs[i]))))
		return
	}
	d.st.addSkip(d.at(d.locs[i]), fmt.Sprintf("id %q appears again at %s; %s", clip(r.ID), d.at(l), usedVersion("at "+d.at(l))))
	d.locs[i] = l
}

// usedVersion says which of two versions of a record is used, and why.
func usedVersion(where string) string {
	return "the version " + where + " is used (revoked wins over expired over active, then the later updated_at, then the shorter window; revoked or expired from the earliest updated_at that says so)"
}

// usedAt is usedVersion for a version at loc or, when kept is false, the
// one read before.
func usedAt(kept bool, loc string) string {
	if kept {
		return usedVersion("at " + loc)
	}
	return usedVersion("read before")
}

// recordAttrs reads the attributes of one record: a plain JSON object, an
// {"Item":{…}} export line, or a bare DynamoDB JSON item.
func recordAttrs(raw json.RawMessage, a *attrs) error {
	m, ok := scanMembers(raw)
	return attrsOf(raw, &m, ok, a)
}

// attrsOf is recordAttrs with raw's members already walked (m, ok as
// scanMembers returned them).
func attrsOf(raw json.RawMessage, m *members, ok bool, a *attrs) error {
	// Every attribute is read before a repeated one is reported: the id
	// and source_identity of an unusable record must be known.
	err := attrsOfOnce(raw, m, ok, a)
	if err == nil && ok {
		dup := m.dup
		if inner, iok := scanMembers(m.item); dup == "" && m.item != nil && m.vals[fID] == nil && iok {
			dup = inner.dup
		}
		if dup != "" {
			err = repeatedErr(dup)
		}
	}
	return err
}

func repeatedErr(name string) error {
	return fmt.Errorf("the attribute %s appears twice in the record, so which value the broker wrote is unknown; fix the record", name)
}

// repeatedKey is the first name a record reads (an attribute, Item or
// Items) that raw, a JSON object, holds twice, or "".
func repeatedKey(raw []byte) string {
	return firstRepeated(raw, func(k string) bool {
		_, known := fieldOf(k)
		return known || k == "Item" || k == "Items"
	})
}

// firstRepeated is the first member name of the JSON object raw for which
// counts is true that raw holds twice, or "".
func firstRepeated(raw []byte, counts func(string) bool) string {
	seen := map[string]bool{}
	dup := ""
	eachMember(raw, func(k string, _ json.RawMessage) bool {
		if counts(k) {
			if seen[k] {
				dup = k
				return false
			}
			seen[k] = true
		}
		return true
	})
	return dup
}

// eachMember calls f with each member of the JSON object raw, in order and
// repeats included, until f returns false. Nothing is called when raw is
// not a valid object.
func eachMember(raw []byte, f func(k string, v json.RawMessage) bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return
		}
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return
		}
		k, _ := t.(string)
		if !f(k, v) {
			return
		}
	}
}

func attrsOfOnce(raw json.RawMessage, m *members, ok bool, a *attrs) error {
	if firstByte(raw) != '{' {
		return fmt.Errorf("not an object but %s", jsonKind(raw))
	}
	if !ok {
		// Not valid JSON (the decoders validate every value first, so
		// this does not happen): the map decoder says what is wrong.
		return jsonAttrs(raw, a)
	}
	if err := mixedRecord(m.items != nil, m.item != nil, slices.ContainsFunc(m.vals[:], func(v []byte) bool { return v != nil })); err != nil {
		return err
	}
	if m.item != nil && m.vals[fID] == nil {
		inner, err := jsonObject(m.item)
		if err != nil {
			return errors.New("Item is not an object of DynamoDB attribute values")
		}
		err = dynamoJSONAttrs(inner, a)
		if m.variant != "" {
			a.noteVariant(m.variant)
		}
		return err
	}
	if id := m.vals[fID]; id != nil && firstByte(id) == '{' {
		obj, err := jsonObject(raw)
		if err != nil {
			return err
		}
		return dynamoJSONAttrs(obj, a)
	}
	for f, v := range m.vals {
		if v != nil {
			a[f] = plainAttr(v)
		}
	}
	if m.variant != "" {
		a.noteVariant(m.variant)
	}
	return nil
}

// mixedRecord refuses a record value (an element of an array or of a
// scan's Items) that holds a scan's Items, or an Item beside attributes of
// its own: read as one, the other would be lost (a revoked status in it,
// say). A line of JSON Lines is refused for the same by document.
func mixedRecord(items, item, attrs bool) error {
	switch {
	case items:
		return errors.New("the record holds a scan's Items, and the records in them would be lost; give each record, or each scan's output, a value of its own")
	case item && attrs:
		return errors.New("the record holds both an Item and a record's attributes, and one of them would be lost; give each record a value of its own")
	}
	return nil
}

// jsonAttrs is recordAttrs decoding raw into a map first.
func jsonAttrs(raw json.RawMessage, a *attrs) error {
	obj, err := jsonObject(raw)
	if err != nil {
		return err
	}
	dup := repeatedKey(raw)
	attrs := false
	for k := range obj {
		_, known := fieldOf(k)
		attrs = attrs || known
	}
	if err := mixedRecord(obj["Items"] != nil, obj["Item"] != nil, attrs); err != nil {
		return err
	}
	if item, ok := obj["Item"]; ok && obj["id"] == nil {
		inner, err := jsonObject(item)
		if err != nil {
			return errors.New("Item is not an object of DynamoDB attribute values")
		}
		if err := dynamoJSONAttrs(inner, a); err != nil {
			return err
		}
		if dup == "" {
			dup = repeatedKey(item)
		}
	} else if id, ok := obj["id"]; ok && firstByte(id) == '{' {
		if err := dynamoJSONAttrs(obj, a); err != nil {
			return err
		}
	} else {
		for k, v := range obj {
			a.setAttr(k, plainAttr(v))
		}
	}
	if dup != "" {
		return repeatedErr(dup)
	}
	return nil
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
		if s, ok := unquoteFast(v); ok {
			return attr{kind: kindString, s: s}
		}
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
func dynamoJSONAttrs(obj map[string]json.RawMessage, a *attrs) error {
	// Every attribute is read, in name order, before the first problem is
	// reported: the id and source_identity of an unusable record must be
	// known whatever attribute is broken (see IndexBuilder.Poison).
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var first error
	fail := func(k string, err error) {
		a.setAttr(k, attr{kind: kindOther})
		if first == nil {
			first = err
		}
	}
	for _, k := range keys {
		tv, err := jsonObject(obj[k])
		if err != nil || len(tv) != 1 {
			fail(k, fmt.Errorf("attribute %q is not a DynamoDB attribute value like {\"S\":\"…\"}", clip(k)))
			continue
		}
		if _, known := fieldOf(k); known && firstRepeated(obj[k], func(string) bool { return true }) != "" {
			// {"S":"revoked","S":"active"}: the last one would win.
			fail(k, fmt.Errorf("attribute %q holds its type tag twice, so which value the broker wrote is unknown; fix the record", clip(k)))
			continue
		}
		for tag, val := range tv {
			switch tag {
			case "S", "N":
				var s string
				if err := json.Unmarshal(val, &s); err != nil {
					fail(k, fmt.Errorf("attribute %q: the value of %q is not a string", clip(k), tag))
					continue
				}
				kind := kindString
				if tag == "N" {
					kind = kindNumber
				}
				a.setAttr(k, attr{kind: kind, s: s})
			case "NULL":
				a.setAttr(k, attr{kind: kindNull})
			case "BOOL":
				a.setAttr(k, attr{kind: kindBool})
			default:
				a.setAttr(k, attr{kind: kindOther})
			}
		}
	}
	return first
}

// unquoteFast returns the text of a JSON string without escapes, which is
// its bytes; false when it needs the full decoder.
func unquoteFast(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	body := v[1 : len(v)-1]
	for _, c := range body {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(body) {
		return "", false // the decoder replaces invalid bytes
	}
	return string(body), true
}

// members are the values scanMembers found in a JSON object: the raw value
// of each attribute a Record reads and of Item and Items, the last one when
// a name repeats (as when decoding into a map). A value present is never
// nil.
type members struct {
	vals        [numFields][]byte
	item, items []byte
	nextKey     string // "NextToken" or "LastEvaluatedKey" when one is set (not null or "")
	dup         string // the first of those names that appeared twice
	variant     string // the first name that differs from one of those only in case
	count       []byte // a scan's Count: how many Items it returned
	scanned     []byte // a scan's ScannedCount: how many items it read before its filter
}

// scanMembers walks a JSON object that a decoder already validated, in one
// pass and without decoding the values. false when raw is not such an
// object.
func scanMembers(raw []byte) (m members, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return m, false
	}
	i++
	for {
		i = skipSpace(raw, i)
		if i >= len(raw) {
			return m, false
		}
		switch raw[i] {
		case '}':
			return m, true
		case ',':
			i++
			continue
		case '"':
		default:
			return m, false
		}
		kEnd, esc := stringEnd(raw, i)
		if kEnd < 0 {
			return m, false
		}
		qkey := raw[i:kEnd]
		i = skipSpace(raw, kEnd)
		if i >= len(raw) || raw[i] != ':' {
			return m, false
		}
		i = skipSpace(raw, i+1)
		vEnd := valueEnd(raw, i)
		if vEnd < 0 {
			return m, false
		}
		if !m.set(qkey, esc, raw[i:vEnd]) {
			return m, false
		}
		i = vEnd
	}
}

// set keeps v when the quoted name qkey is one scanMembers looks for.
func (m *members) set(qkey []byte, esc bool, v []byte) bool {
	key := qkey[1 : len(qkey)-1]
	if esc || !utf8.Valid(key) {
		var s string
		if json.Unmarshal(qkey, &s) != nil {
			return false
		}
		key = []byte(s)
	}
	twice := false
	switch string(key) {
	case "Item":
		twice, m.item = m.item != nil, v
	case "Items":
		twice, m.items = m.items != nil, v
	case "Count":
		twice, m.count = m.count != nil, v
	case "ScannedCount":
		twice, m.scanned = m.scanned != nil, v
	case "NextToken", "LastEvaluatedKey":
		if string(v) != "null" && string(v) != `""` {
			m.nextKey = string(key)
		}
	default:
		if f, ok := fieldOf(string(key)); ok {
			twice, m.vals[f] = m.vals[f] != nil, v
		} else if m.variant == "" && caseVariantOf(string(key)) != "" {
			m.variant = string(key)
		}
	}
	if twice && m.dup == "" {
		m.dup = string(key)
	}
	return true
}

// isDelim reports whether c ends a number or a literal.
func isDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// stringEnd is the index after the closing quote of the string opening at
// b[i], and whether it holds an escape; -1 when it is not closed.
func stringEnd(b []byte, i int) (int, bool) {
	esc := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			esc = true
			j++
		case '"':
			return j + 1, esc
		}
	}
	return -1, esc
}

// valueEnd is the index after the JSON value starting at b[i]; -1 when it
// does not end.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); {
			switch b[j] {
			case '"':
				end, _ := stringEnd(b, j)
				if end < 0 {
					return -1
				}
				j = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return -1
	}
	j := i
	for j < len(b) && !isDelim(b[j]) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

func firstByte(v []byte) byte {
	if i := skipSpace(v, 0); i < len(v) {
		return v[i]
	}
	return 0
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
		return errors.New("the file ends in the middle of a JSON value (truncated?); export it again")
	case errors.As(err, &se):
		return fmt.Errorf("malformed JSON: %w; a session file is a JSON array, JSON Lines or a DynamoDB export: fix the line, or export it again", err)
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

// gapEnd is where a value that exceeded MaxRecordSpan starts in r, the
// decoder's buffered bytes after the previous value: past the white space
// and one comma, or, when that is all there is, on the line after the
// previous value's.
func gapEnd(r io.Reader) int64 {
	b, _ := io.ReadAll(r)
	comma, firstLine := false, int64(-1)
	for i, c := range b {
		switch {
		case c == '\n' && firstLine < 0:
			firstLine = int64(i) + 1
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c == ',' && !comma:
			comma = true
		default:
			return int64(i)
		}
	}
	return max(firstLine, 0)
}

// lineReader remembers where the newlines are so that an offset can be
// turned into a line number. Offsets are asked for in increasing order (the
// decoder reads forwards), so it forgets the newlines before the last
// offset asked for: it holds only those of the text read ahead.
type lineReader struct {
	r        io.Reader
	off      int64
	newlines []int64 // offsets of the newlines after those counted in passed
	passed   int
	ignore   bool // stop noting newlines: no line is asked for past off
}

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n && !l.ignore; {
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

// line is the 1-based line holding byte offset off. off must not be before
// an offset asked for earlier.
func (l *lineReader) line(off int64) int {
	i := sort.Search(len(l.newlines), func(i int) bool { return l.newlines[i] >= off })
	l.passed += i
	// Move the rest (those read ahead) to the front, so that appending
	// reuses the array instead of allocating after it.
	l.newlines = l.newlines[:copy(l.newlines, l.newlines[i:])]
	return 1 + l.passed
}

// capReader fails once more than left bytes were read (limit: left when
// it starts; record: it caps a record's span, not a file).
type capReader struct {
	r      io.Reader
	left   int64
	limit  int64
	span   int64 // the limit when the current span started
	record bool
}

// reset starts a new span; it returns true, to be used in a loop
// condition.
func (c *capReader) reset() bool {
	c.left, c.span = c.limit, c.limit
	return true
}

type capError struct {
	limit  int64
	record bool
}

func (e *capError) Error() string {
	if e.record && e.limit == MaxScanDocument {
		return "more than " + strconv.FormatInt(e.limit>>20, 10) + " MiB without a complete JSON value: a scan's answer is read whole up to that size; read the table with dynamodb://TABLE, or export it as JSON Lines (one record a line)"
	}
	if e.record {
		return "more than " + strconv.FormatInt(e.limit>>20, 10) + " MiB without a complete record: no session record is that large (DynamoDB items are at most 400 KB), so this is not a session export, or it holds that much white space between records"
	}
	return "the decompressed file is larger than " + strconv.FormatInt(e.limit>>20, 10) + " MiB (a gzip bomb?); decompress it and check its content"
}

func (c *capReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.left <= 0 && c.record {
		// No byte is read to see whether more follow: the decoder may
		// read on after the error, and must not miss it.
		return 0, &capError{limit: c.span, record: true}
	}
	if c.left <= 0 {
		var one [1]byte
		if n, err := c.r.Read(one[:]); n == 0 && err != nil {
			return 0, err
		}
		return 0, &capError{limit: c.limit, record: c.record}
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
	if errors.Is(e.err, gzipmember.ErrTrailing) {
		return e.err.Error() + ": the file was changed after it was compressed; remove the extra bytes, or compress the file again"
	}
	if errors.Is(e.err, io.ErrUnexpectedEOF) {
		return "the gzip data is truncated: the file was cut short; export or download it again"
	}
	return "the gzip data is corrupt: " + e.err.Error() + ": the file was damaged after it was written; export or download it again"
}

func (e *gzipError) Unwrap() error { return e.err }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &gzipError{err: err}
	}
	return n, err
}
