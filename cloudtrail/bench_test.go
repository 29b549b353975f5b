package cloudtrail

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/sentinel-check/sentinel-check/internal/gunzip"
)

// Benchmarks of the decoder and the scan. The numbers the README quotes come
// from:
//
//	go test -run '^$' -bench . -benchmem ./cloudtrail

// benchRecords are assume-role records as CloudTrail writes them: one
// generated (broker call, ~1.4 KB) and one real (an AWS service call with an
// inline session policy, ~4 KB).
func benchRecords(b *testing.B) map[string][]byte {
	b.Helper()
	files, err := filepath.Glob(filepath.Join(invictusDir, "*.json"))
	if err != nil {
		b.Fatal(err)
	}
	out := map[string][]byte{"generated": mustJSON(b, assumeRole())}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		var doc struct{ Records []json.RawMessage }
		if err := json.Unmarshal(data, &doc); err != nil {
			b.Fatal(err)
		}
		for _, r := range doc.Records {
			if ev, ok, _ := DecodeRecord(r); ok && !ev.Failed() && len(r) > 3000 {
				out["real-with-policy"] = r
			}
		}
	}
	if len(out) != 2 {
		b.Fatal("no real assume-role record with a policy")
	}
	return out
}

func BenchmarkDecodeRecord(b *testing.B) {
	for name, rec := range benchRecords(b) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(rec)))
			b.ReportAllocs()
			for b.Loop() {
				if _, ok, err := DecodeRecord(rec); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// stdRecord is what encoding/json needs to decode the same fields; it is the
// baseline DecodeRecord is measured against (it matches keys without regard
// to case, which CloudTrail's reader must not do, and cannot tell a missing
// field from a mistyped one without more passes).
type stdRecord struct {
	EventSource, EventName, EventID, EventTime, AWSRegion string
	RecipientAccountID                                    string `json:"recipientAccountId"`
	SourceIPAddress, UserAgent, ErrorCode, ErrorMessage   string
	UserIdentity                                          *struct {
		Arn            string
		SessionContext *struct{ SourceIdentity string }
	}
	RequestParameters *struct{ RoleArn, RoleSessionName, SourceIdentity string }
	ResponseElements  *struct {
		Credentials     *struct{ AccessKeyID string }
		AssumedRoleUser *struct{ Arn string }
	}
}

func BenchmarkDecodeRecordStdlib(b *testing.B) {
	for name, rec := range benchRecords(b) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(rec)))
			b.ReportAllocs()
			for b.Loop() {
				var r stdRecord
				if err := json.Unmarshal(rec, &r); err != nil || r.EventName != "AssumeRole" {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchTrail returns one generated log file, raw and gzipped.
func benchTrail(b *testing.B) (raw, gz []byte) {
	b.Helper()
	gz, err := os.ReadFile(generatedFiles(b)[0])
	if err != nil {
		b.Fatal(err)
	}
	zr, err := stdgzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		b.Fatal(err)
	}
	raw, err = io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	return raw, gz
}

// BenchmarkDecodeStream measures the whole decoder on one file; MB/s are of
// decompressed JSON.
func BenchmarkDecodeStream(b *testing.B) {
	raw, gz := benchTrail(b)
	for _, c := range []struct {
		name string
		data []byte
	}{{"plain", raw}, {"gzip", gz}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				st, err := DecodeStream(bytes.NewReader(c.data), "f", FileOptions{}, func(Event) {})
				if err != nil || st.AssumeRole == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReferenceDecode is the plain decoder (encoding/json of the whole
// document), for scale.
func BenchmarkReferenceDecode(b *testing.B) {
	raw, _ := benchTrail(b)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := refDecode(raw, "f"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGunzip is the floor: decompressing the same file and nothing else.
func BenchmarkGunzip(b *testing.B) {
	raw, gz := benchTrail(b)
	buf := make([]byte, docBufferSize)
	b.Run("stdlib", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			zr, err := stdgzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(io.Discard, zr, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("klauspost", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			zr, err := kgzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(io.Discard, onlyReader{zr}, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gunzip", func(b *testing.B) { // the decoder the sources use
		b.SetBytes(int64(len(raw)))
		var zr gunzip.Reader
		for b.Loop() {
			if err := zr.Reset(bytes.NewReader(gz)); err != nil {
				b.Fatal(err)
			}
			if _, err := io.CopyBuffer(io.Discard, onlyReader{&zr}, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// onlyReader hides WriteTo so that CopyBuffer reads into the buffer, as the
// decoder does.
type onlyReader struct{ io.Reader }

// BenchmarkScan measures the scanner alone: finding every record's span.
func BenchmarkScan(b *testing.B) {
	raw, _ := benchTrail(b)
	b.SetBytes(int64(len(raw)))
	var s scanner
	for b.Loop() {
		if _, _, err := s.value(raw, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanRecords measures the scanner as the decoder uses it: every
// record scanned with its members noted and the prefilter asked.
func BenchmarkScanRecords(b *testing.B) {
	raw, _ := benchTrail(b)
	start := bytes.IndexByte(raw, '[') + 1
	b.SetBytes(int64(len(raw)))
	var s scanner
	for b.Loop() {
		n := 0
		for i := start; raw[i] == '{'; {
			end, _, err := s.record(raw, i)
			if err != nil {
				b.Fatal(err)
			}
			if s.mayBeAssumeRole(raw) {
				n++
			}
			i = end
			if raw[i] == ',' {
				i++
			}
		}
		if n == 0 {
			b.Fatal("no assume-role record")
		}
	}
}

// BenchmarkFileSource reads the generated trail with the default workers;
// MB/s are of decompressed JSON.
func BenchmarkFileSource(b *testing.B) {
	dir, sum := generatedTrail(b)
	b.SetBytes(sum.RawBytes)
	for b.Loop() {
		st, err := NewFileSource([]string{dir}, FileOptions{}).Read(context.Background(), Query{}, func(Event) {})
		if err != nil || st.Records != sum.Records {
			b.Fatal(err, st.Records)
		}
	}
}
