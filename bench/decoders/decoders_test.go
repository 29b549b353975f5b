package decoders

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bytedance/sonic"
	gojson "github.com/goccy/go-json"
	"github.com/klauspost/cpuid/v2"
	"github.com/minio/simdjson-go"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/trailgen"
)

// The inputs.
const (
	// genRecords records in one generated file (~2.6 MB of JSON).
	genRecords = 2000
	genSeed    = 1

	// realDir holds 55 real CloudTrail files (2,900 records, 49 sts
	// AssumeRole records: see cloudtrail/testdata/real/README.md).
	realDir        = "../../cloudtrail/testdata/real/invictus-ir_aws_dataset/CloudTrail"
	realAssumeRole = 49
	// realRecordFile and realRecordID name the real record of the record
	// benchmark: a successful AssumeRole by an IAM user.
	realRecordFile = realDir + "/218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json"
	realRecordID   = "4bd2a6f6-dddc-49e6-ba7d-08f73e809e64"
)

// document is a whole {"Records":[…]} document and the number of
// assume-role records in it.
type document struct {
	name string
	json []byte
	want int
}

// fixture is what the tests and benchmarks read, built once per process.
type fixture struct {
	docs    []document // generated, real
	records []document // one assume-role record each: generated, real (want is 1)
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func load(tb testing.TB) *fixture {
	tb.Helper()
	fixOnce.Do(func() { fix, fixErr = build() })
	if fixErr != nil {
		tb.Fatal(fixErr)
	}
	return fix
}

func build() (*fixture, error) {
	gen, genRec, err := generated()
	if err != nil {
		return nil, err
	}
	real, err := realDocument()
	if err != nil {
		return nil, err
	}
	realRec, err := recordByID(realRecordFile, realRecordID)
	if err != nil {
		return nil, err
	}
	return &fixture{
		docs:    []document{gen, real},
		records: []document{{name: "generated", json: genRec, want: 1}, {name: "real", json: realRec, want: 1}},
	}, nil
}

// generated writes one trailgen file into a temporary folder, reads it back
// decompressed, and picks its first successful AssumeRole by an assumed role
// that carries a SourceIdentity (the broker's shape).
func generated() (document, []byte, error) {
	dir, err := os.MkdirTemp("", "decoders-")
	if err != nil {
		return document{}, nil, err
	}
	defer os.RemoveAll(dir)
	sum, err := trailgen.Generate(trailgen.Options{Out: dir, Records: genRecords, Files: 1, Seed: genSeed, Workers: 1})
	if err != nil {
		return document{}, nil, err
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".json.gz") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return document{}, nil, err
	}
	if len(files) != 1 {
		return document{}, nil, fmt.Errorf("trailgen wrote %d files, want 1", len(files))
	}
	f, err := os.Open(files[0])
	if err != nil {
		return document{}, nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return document{}, nil, err
	}
	doc, err := io.ReadAll(zr)
	if err != nil {
		return document{}, nil, err
	}
	if int64(len(doc)) != sum.RawBytes {
		return document{}, nil, fmt.Errorf("generated document has %d bytes, trailgen says %d", len(doc), sum.RawBytes)
	}
	var list recordList
	if err := json.Unmarshal(doc, &list); err != nil {
		return document{}, nil, err
	}
	for _, raw := range list.Records {
		var r record
		if err := json.Unmarshal(raw, &r); err != nil {
			return document{}, nil, err
		}
		if r.EventName == cloudtrail.EventAssumeRole && r.ErrorCode == "" &&
			r.UserIdentity.Type == "AssumedRole" && r.RequestParameters.SourceIdentity != "" {
			return document{name: "generated", json: doc, want: int(sum.AssumeRole)}, raw, nil
		}
	}
	return document{}, nil, errors.New("generated document has no successful AssumeRole with a SourceIdentity; change genSeed")
}

// realDocument joins the records of every real file, byte for byte, into
// one {"Records":[…]} document.
func realDocument() (document, error) {
	names, err := filepath.Glob(filepath.Join(realDir, "*.json"))
	if err != nil {
		return document{}, err
	}
	if len(names) == 0 {
		return document{}, fmt.Errorf("no *.json file in %s", realDir)
	}
	slices.Sort(names)
	doc := []byte(`{"Records":[`)
	n := 0
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return document{}, err
		}
		var list recordList
		if err := json.Unmarshal(b, &list); err != nil {
			return document{}, fmt.Errorf("%s: %w", name, err)
		}
		for _, raw := range list.Records {
			if n > 0 {
				doc = append(doc, ',')
			}
			doc = append(doc, raw...)
			n++
		}
	}
	doc = append(doc, "]}"...)
	return document{name: "real", json: doc, want: realAssumeRole}, nil
}

func recordByID(path, id string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list recordList
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, raw := range list.Records {
		var r record
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, err
		}
		if r.EventID == id {
			return raw, nil
		}
	}
	return nil, fmt.Errorf("%s has no record %s", path, id)
}

// recordList is the document as the reflection libraries read it.
type recordList struct {
	Records []json.RawMessage `json:"Records"`
}

// recordKind is what tells an assume-role record from the others.
type recordKind struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
}

// record holds the fields of an assume-role record that sentinel-check
// reads (cloudtrail.Event), plus the caller's type and principalId.
type record struct {
	EventTime          time.Time `json:"eventTime"`
	EventSource        string    `json:"eventSource"`
	EventName          string    `json:"eventName"`
	AWSRegion          string    `json:"awsRegion"`
	EventID            string    `json:"eventID"`
	SharedEventID      string    `json:"sharedEventID"`
	RecipientAccountID string    `json:"recipientAccountId"`
	ErrorCode          string    `json:"errorCode"`
	ErrorMessage       string    `json:"errorMessage"`
	SourceIPAddress    string    `json:"sourceIPAddress"`
	UserAgent          string    `json:"userAgent"`
	UserIdentity       struct {
		Type           string `json:"type"`
		Arn            string `json:"arn"`
		PrincipalID    string `json:"principalId"`
		SessionContext struct {
			SourceIdentity string `json:"sourceIdentity"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	RequestParameters struct {
		RoleArn         string `json:"roleArn"`
		RoleSessionName string `json:"roleSessionName"`
		SourceIdentity  string `json:"sourceIdentity"`
	} `json:"requestParameters"`
	ResponseElements struct {
		Credentials struct {
			AccessKeyID string `json:"accessKeyId"`
		} `json:"credentials"`
		AssumedRoleUser struct {
			Arn string `json:"arn"`
		} `json:"assumedRoleUser"`
	} `json:"responseElements"`
}

// event applies cloudtrail.DecodeRecord's rules to r.
func (r *record) event() cloudtrail.Event {
	ev := cloudtrail.Event{
		EventID:            r.EventID,
		SharedEventID:      r.SharedEventID,
		EventName:          r.EventName,
		EventTime:          r.EventTime.UTC(),
		AWSRegion:          r.AWSRegion,
		RecipientAccountID: r.RecipientAccountID,
		RoleArn:            r.RequestParameters.RoleArn,
		RoleSessionName:    r.RequestParameters.RoleSessionName,
		CallerArn:          r.UserIdentity.Arn,
		SourceIPAddress:    r.SourceIPAddress,
		UserAgent:          r.UserAgent,
		AssumedRoleArn:     r.ResponseElements.AssumedRoleUser.Arn,
		AccessKeyID:        cloudtrail.ShortenKeyID(r.ResponseElements.Credentials.AccessKeyID),
		ErrorCode:          r.ErrorCode,
	}
	if ev.ErrorCode != "" && ev.RoleArn == "" {
		ev.RoleArn = roleFromErrorMessage(r.ErrorMessage)
	}
	switch {
	case r.RequestParameters.SourceIdentity != "":
		ev.SourceIdentity, ev.SourceIdentityFrom = r.RequestParameters.SourceIdentity, cloudtrail.SourceIdentityFromRequest
	case r.UserIdentity.SessionContext.SourceIdentity != "":
		ev.SourceIdentity, ev.SourceIdentityFrom = r.UserIdentity.SessionContext.SourceIdentity, cloudtrail.SourceIdentityFromCaller
	}
	return ev
}

// roleFromErrorMessage is the role ARN an AccessDenied message names after
// "on resource: ", as cloudtrail.DecodeRecord reads it.
func roleFromErrorMessage(msg string) string {
	_, arn, ok := strings.Cut(msg, "on resource: ")
	if !ok {
		return ""
	}
	if j := strings.IndexAny(arn, " \t\n\r\"'"); j >= 0 {
		arn = arn[:j]
	}
	if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":role/") {
		return ""
	}
	return arn
}

// A decoder is one library's way of doing the product's work.
type decoder interface {
	// document validates a whole {"Records":[…]} document and appends its
	// assume-role records, decoded, to dst.
	document(doc []byte, dst []cloudtrail.Event) ([]cloudtrail.Event, error)
	// record decodes one assume-role record.
	record(raw []byte) (cloudtrail.Event, error)
}

// lib names a decoder; skip, when set, tells why it cannot run here.
type lib struct {
	name string
	new  func() decoder
	skip func() string
}

var libs = []lib{
	{name: "ours", new: func() decoder { return ours{} }},
	{name: "encoding-json", new: func() decoder { return reflective{json.Unmarshal} }},
	{name: "goccy-go-json", new: func() decoder { return reflective{gojson.Unmarshal} }},
	{name: "sonic", new: func() decoder { return reflective{sonic.Unmarshal} }, skip: sonicSkip},
	{name: "simdjson-go", new: func() decoder { return &simd{} }, skip: simdSkip},
	{name: "simdjson-go-nocopy", new: func() decoder { return &simd{opts: []simdjson.ParserOption{simdjson.WithCopyStrings(false)}} }, skip: simdSkip},
}

// sonicSkip: sonic's native code is built for AVX and AVX2.
func sonicSkip() string {
	if !cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2) {
		return "sonic needs AVX and AVX2, which this CPU lacks"
	}
	return ""
}

// skipUnsupported skips tb when the library cannot run on this CPU.
func (l lib) skipUnsupported(tb testing.TB) {
	tb.Helper()
	if l.skip != nil {
		if why := l.skip(); why != "" {
			tb.Skip(why)
		}
	}
}

func simdSkip() string {
	if !simdjson.SupportedCPU() {
		return "simdjson-go needs AVX2 and CLMUL, which this CPU lacks"
	}
	return ""
}

// ours is sentinel-check's own scanner.
type ours struct{}

func (ours) document(doc []byte, dst []cloudtrail.Event) ([]cloudtrail.Event, error) {
	st, err := cloudtrail.DecodeStream(bytes.NewReader(doc), "document", cloudtrail.FileOptions{}, func(ev cloudtrail.Event) {
		dst = append(dst, ev)
	})
	if err == nil && st.RecordsSkipped > 0 {
		err = fmt.Errorf("%d records skipped: %v", st.RecordsSkipped, st.Skipped)
	}
	return dst, err
}

func (ours) record(raw []byte) (cloudtrail.Event, error) {
	ev, ok, err := cloudtrail.DecodeRecord(raw)
	if err == nil && !ok {
		err = errors.New("not an assume-role record")
	}
	return ev, err
}

// reflective is a library with encoding/json's Unmarshal.
type reflective struct {
	unmarshal func([]byte, any) error
}

func (l reflective) document(doc []byte, dst []cloudtrail.Event) ([]cloudtrail.Event, error) {
	var list recordList
	if err := l.unmarshal(doc, &list); err != nil {
		return dst, err
	}
	for _, raw := range list.Records {
		var k recordKind
		if err := l.unmarshal(raw, &k); err != nil {
			return dst, err
		}
		if !cloudtrail.IsAssumeRole(k.EventSource, k.EventName) {
			continue
		}
		var r record
		if err := l.unmarshal(raw, &r); err != nil {
			return dst, err
		}
		dst = append(dst, r.event())
	}
	return dst, nil
}

func (l reflective) record(raw []byte) (cloudtrail.Event, error) {
	var r record
	err := l.unmarshal(raw, &r)
	return r.event(), err
}

// simd is minio/simdjson-go: the whole input is parsed into a tape (which
// validates it), then walked. The tape is reused between calls.
type simd struct {
	opts []simdjson.ParserOption
	pj   *simdjson.ParsedJson
	it   simdjson.Iter
	obj  simdjson.Object
	arr  simdjson.Array
	el   simdjson.Element
}

func (s *simd) parse(b []byte) (*simdjson.Object, error) {
	pj, err := simdjson.Parse(b, s.pj, s.opts...)
	if err != nil {
		return nil, err
	}
	s.pj = pj
	it := pj.Iter()
	if it.Advance() != simdjson.TypeRoot {
		return nil, errors.New("no JSON value")
	}
	t, root, err := it.Root(&s.it)
	if err != nil {
		return nil, err
	}
	if t != simdjson.TypeObject {
		return nil, fmt.Errorf("top level is %v, want an object", t)
	}
	return root.Object(&s.obj)
}

func (s *simd) document(doc []byte, dst []cloudtrail.Event) ([]cloudtrail.Event, error) {
	top, err := s.parse(doc)
	if err != nil {
		return dst, err
	}
	el := top.FindKey("Records", &s.el)
	if el == nil || el.Type != simdjson.TypeArray {
		return dst, errors.New("no Records array")
	}
	arr, err := el.Iter.Array(&s.arr)
	if err != nil {
		return dst, err
	}
	recs := arr.Iter()
	var obj simdjson.Object
	var val simdjson.Iter // not members(): its closure would allocate per record
	for {
		t := recs.Advance()
		if t == simdjson.TypeNone {
			return dst, nil
		}
		if t != simdjson.TypeObject {
			return dst, fmt.Errorf("record is %v, want an object", t)
		}
		if _, err := recs.Object(&obj); err != nil {
			return dst, err
		}
		whole := obj // the walk below moves obj; keep the start
		var source, name []byte
		for {
			key, t, err := obj.NextElementBytes(&val)
			if err != nil {
				return dst, err
			}
			if t == simdjson.TypeNone {
				break
			}
			if t != simdjson.TypeString {
				continue
			}
			switch string(key) {
			case "eventSource":
				source, _ = val.StringBytes()
			case "eventName":
				name, _ = val.StringBytes()
			}
		}
		if !cloudtrail.IsAssumeRole(string(source), string(name)) {
			continue
		}
		var r record
		if err := simdRecord(&whole, &r); err != nil {
			return dst, err
		}
		dst = append(dst, r.event())
	}
}

func (s *simd) record(raw []byte) (cloudtrail.Event, error) {
	obj, err := s.parse(raw)
	if err != nil {
		return cloudtrail.Event{}, err
	}
	var r record
	err = simdRecord(obj, &r)
	return r.event(), err
}

// members calls fn for each member of obj, which it walks.
func members(obj *simdjson.Object, fn func(key []byte, t simdjson.Type, v *simdjson.Iter) error) error {
	var v simdjson.Iter
	for {
		key, t, err := obj.NextElementBytes(&v)
		if err != nil {
			return err
		}
		if t == simdjson.TypeNone {
			return nil
		}
		if err := fn(key, t, &v); err != nil {
			return err
		}
	}
}

// object walks v's members when v is an object; null and other kinds have
// none.
func object(t simdjson.Type, v *simdjson.Iter, fn func(key []byte, t simdjson.Type, v *simdjson.Iter) error) error {
	if t != simdjson.TypeObject {
		return nil
	}
	var o simdjson.Object
	if _, err := v.Object(&o); err != nil {
		return err
	}
	return members(&o, fn)
}

// objectStr reads the string member name of v when v is an object.
func objectStr(t simdjson.Type, v *simdjson.Iter, name string, dst *string) error {
	return object(t, v, func(key []byte, t simdjson.Type, v *simdjson.Iter) error {
		if string(key) == name {
			return str(t, v, dst)
		}
		return nil
	})
}

// str reads a string member; other kinds read as "".
func str(t simdjson.Type, v *simdjson.Iter, dst *string) error {
	if t != simdjson.TypeString {
		return nil
	}
	s, err := v.String()
	*dst = s
	return err
}

func simdRecord(obj *simdjson.Object, r *record) error {
	return members(obj, func(key []byte, t simdjson.Type, v *simdjson.Iter) error {
		switch string(key) {
		case "eventTime":
			var s string
			if err := str(t, v, &s); err != nil {
				return err
			}
			tm, err := time.Parse(time.RFC3339, s)
			r.EventTime = tm
			return err
		case "eventSource":
			return str(t, v, &r.EventSource)
		case "eventName":
			return str(t, v, &r.EventName)
		case "awsRegion":
			return str(t, v, &r.AWSRegion)
		case "eventID":
			return str(t, v, &r.EventID)
		case "sharedEventID":
			return str(t, v, &r.SharedEventID)
		case "recipientAccountId":
			return str(t, v, &r.RecipientAccountID)
		case "errorCode":
			return str(t, v, &r.ErrorCode)
		case "errorMessage":
			return str(t, v, &r.ErrorMessage)
		case "sourceIPAddress":
			return str(t, v, &r.SourceIPAddress)
		case "userAgent":
			return str(t, v, &r.UserAgent)
		case "userIdentity":
			ui := &r.UserIdentity
			return object(t, v, func(key []byte, t simdjson.Type, v *simdjson.Iter) error {
				switch string(key) {
				case "type":
					return str(t, v, &ui.Type)
				case "arn":
					return str(t, v, &ui.Arn)
				case "principalId":
					return str(t, v, &ui.PrincipalID)
				case "sessionContext":
					return objectStr(t, v, "sourceIdentity", &ui.SessionContext.SourceIdentity)
				}
				return nil
			})
		case "requestParameters":
			rp := &r.RequestParameters
			return object(t, v, func(key []byte, t simdjson.Type, v *simdjson.Iter) error {
				switch string(key) {
				case "roleArn":
					return str(t, v, &rp.RoleArn)
				case "roleSessionName":
					return str(t, v, &rp.RoleSessionName)
				case "sourceIdentity":
					return str(t, v, &rp.SourceIdentity)
				}
				return nil
			})
		case "responseElements":
			re := &r.ResponseElements
			return object(t, v, func(key []byte, t simdjson.Type, v *simdjson.Iter) error {
				switch string(key) {
				case "credentials":
					return objectStr(t, v, "accessKeyId", &re.Credentials.AccessKeyID)
				case "assumedRoleUser":
					return objectStr(t, v, "arn", &re.AssumedRoleUser.Arn)
				}
				return nil
			})
		}
		return nil
	})
}

// normal drops what differs between equal decodings: where the event was
// read, and the time's location pointer.
func normal(ev cloudtrail.Event) cloudtrail.Event {
	ev.Origin = ""
	ev.EventTime = ev.EventTime.UTC()
	return ev
}

func ids(evs []cloudtrail.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.EventID
	}
	return out
}

// TestLibrariesAgree checks that every library extracts the same
// assume-role records from the documents as the product's own decoder, with
// the same fields, so the benchmarks compare correct implementations.
func TestLibrariesAgree(t *testing.T) {
	f := load(t)
	for _, d := range f.docs {
		want, err := ours{}.document(d.json, nil)
		if err != nil {
			t.Fatalf("%s: ours: %v", d.name, err)
		}
		if len(want) != d.want {
			t.Fatalf("%s: ours found %d assume-role records, want %d", d.name, len(want), d.want)
		}
		t.Logf("%s: %d bytes, %d assume-role records", d.name, len(d.json), len(want))
		wantIDs := ids(want)
		for _, l := range libs[1:] {
			t.Run(d.name+"/"+l.name, func(t *testing.T) {
				l.skipUnsupported(t)
				got, err := l.new().document(d.json, nil)
				if err != nil {
					t.Fatal(err)
				}
				if gotIDs := ids(got); !slices.Equal(gotIDs, wantIDs) {
					t.Fatalf("event ids differ from ours:\n got %q\nwant %q", gotIDs, wantIDs)
				}
				for i := range want {
					if g, w := normal(got[i]), normal(want[i]); g != w {
						t.Errorf("event %s differs from ours:\n got %+v\nwant %+v", w.EventID, g, w)
					}
				}
			})
		}
	}
}

// TestRecordsAgree checks the record benchmark's inputs: every library
// decodes each record to the same event as the product's decoder.
func TestRecordsAgree(t *testing.T) {
	f := load(t)
	for _, r := range f.records {
		want, err := ours{}.record(r.json)
		if err != nil {
			t.Fatalf("%s: ours: %v", r.name, err)
		}
		if want.RoleArn == "" || want.AssumedRoleArn == "" || want.CallerArn == "" {
			t.Fatalf("%s: ours decoded %+v; want a successful call with its role, caller and session", r.name, want)
		}
		for _, l := range libs[1:] {
			t.Run(r.name+"/"+l.name, func(t *testing.T) {
				l.skipUnsupported(t)
				got, err := l.new().record(r.json)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := normal(got), normal(want); g != w {
					t.Errorf("differs from ours:\n got %+v\nwant %+v", g, w)
				}
			})
		}
	}
}

// TestMalformedInput checks that every library rejects a document with one
// invalid record that is not an assume-role call (and so is otherwise
// passed over), and an assume-role record with one invalid member that
// sentinel-check does not read: validating all of the input is part of the
// work measured. accepted lists what a library's default API is known to
// let through; a change there is a change to the comparison (see doc.go).
func TestMalformedInput(t *testing.T) {
	f := load(t)
	good := string(f.records[1].json)
	members := []struct{ name, member string }{
		{"trailing comma", `"x":{"a":[1,2,]}`},
		{"control character", "\"x\":\"a\x01b\""},
		{"leading zero", `"x":01`},
		{"number without digits", `"x":1.e5`},
		{"bad escape", `"x":"\q"`},
		{"bad unicode escape", `"x":"\u12G4"`},
		{"bad literal", `"x":tru`},
		{"missing colon", `"x" 1`},
		{"unclosed object", `"x":{"a":1`},
		{"invalid UTF-8", "\"x\":\"a\xffb\""},
	}
	type input struct{ name, doc, record string }
	var inputs []input
	for _, m := range members {
		inputs = append(inputs, input{
			name:   m.name,
			doc:    `{"Records":[{"eventSource":"s3.amazonaws.com","eventName":"GetObject",` + m.member + `},` + good + `]}`,
			record: `{` + m.member + `,` + good[1:],
		})
	}
	inputs = append(inputs,
		input{name: "truncated", doc: `{"Records":[` + good + `,` + good, record: good[:len(good)-1]},
		input{name: "valid", doc: `{"Records":[{"eventSource":"s3.amazonaws.com","eventName":"GetObject","x":{"a":[1,-2.5e3,true,false,null,"\u00e9\n"]}},` + good + `]}`},
	)
	accepted := map[string][]string{
		// sonic's default Config leaves ValidateString off and skips
		// unread members without checking their strings.
		"sonic": {"control character", "bad escape", "bad unicode escape"},
	}
	// None of them checks that strings are UTF-8 (CloudTrail writes UTF-8).
	acceptedByAll := []string{"invalid UTF-8"}
	for _, l := range libs {
		for _, in := range inputs {
			t.Run(l.name+"/"+in.name, func(t *testing.T) {
				l.skipUnsupported(t)
				reject := in.name != "valid" && !slices.Contains(accepted[l.name], in.name) && !slices.Contains(acceptedByAll, in.name)
				evs, err := l.new().document([]byte(in.doc), nil)
				if (err != nil) != reject {
					t.Errorf("document rejected = %v (%v), want %v", err != nil, err, reject)
				}
				if err == nil && len(evs) != 1 {
					t.Errorf("document gave %d events, want 1", len(evs))
				}
				if in.record == "" {
					return
				}
				if _, err := l.new().record([]byte(in.record)); (err != nil) != reject {
					t.Errorf("record rejected = %v (%v), want %v", err != nil, err, reject)
				}
			})
		}
	}
}

var sink []cloudtrail.Event

// BenchmarkDocument validates a whole document and decodes its assume-role
// records: MB/s of uncompressed JSON.
func BenchmarkDocument(b *testing.B) {
	f := load(b)
	for _, d := range f.docs {
		for _, l := range libs {
			b.Run(d.name+"/"+l.name, func(b *testing.B) {
				l.skipUnsupported(b)
				dec := l.new()
				b.SetBytes(int64(len(d.json)))
				b.ReportAllocs()
				var evs []cloudtrail.Event
				for b.Loop() {
					var err error
					evs, err = dec.document(d.json, evs[:0])
					if err != nil {
						b.Fatal(err)
					}
					if len(evs) != d.want {
						b.Fatalf("found %d assume-role records, want %d", len(evs), d.want)
					}
				}
				sink = evs
			})
		}
	}
}

var eventSink cloudtrail.Event

// BenchmarkRecord decodes one assume-role record into the fields
// sentinel-check reads.
func BenchmarkRecord(b *testing.B) {
	f := load(b)
	for _, r := range f.records {
		for _, l := range libs {
			b.Run(r.name+"/"+l.name, func(b *testing.B) {
				l.skipUnsupported(b)
				dec := l.new()
				b.SetBytes(int64(len(r.json)))
				b.ReportAllocs()
				var ev cloudtrail.Event
				for b.Loop() {
					var err error
					ev, err = dec.record(r.json)
					if err != nil {
						b.Fatal(err)
					}
				}
				if ev.RoleArn == "" {
					b.Fatal("decoded no roleArn")
				}
				eventSink = ev
			})
		}
	}
}
