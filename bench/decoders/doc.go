// Package decoders compares JSON libraries on sentinel-check's CloudTrail
// reading: the product's own validating scanner (package cloudtrail) against
// encoding/json, github.com/goccy/go-json, github.com/bytedance/sonic and
// github.com/minio/simdjson-go. It is a module of its own, with the main
// module replaced by ../.., so that the libraries it measures never enter
// the main module's dependencies. It holds tests and benchmarks only.
//
// # Running
//
// From this folder (no network, no service; a run of each set takes about
// 2.5 minutes on 2 cores):
//
//	go test -run . -bench . -benchtime 2s
//	go test -run '^$' -bench . -count 5 -benchtime 1s | tee /tmp/decoders.txt
//	GOEXPERIMENT=simd go test -run '^$' -bench . -count 5 -benchtime 1s | tee /tmp/decoders-simd.txt
//	go run golang.org/x/perf/cmd/benchstat@latest scalar=/tmp/decoders.txt simd=/tmp/decoders-simd.txt
//
// GOEXPERIMENT=simd builds the product's AVX2 string scan
// (cloudtrail/scan_simd.go); it changes "ours" only. When the main module
// has gained a dependency since this module's go.sum was written, run with
// GOFLAGS=-mod=mod, or go mod tidy in this folder.
//
// # Inputs
//
//   - generated: one file written by internal/trailgen (2,000 records, seed
//     1), decompressed in memory: 2,489,031 bytes, 33 assume-role records;
//   - real: the 2,900 records of the 55 real log files in
//     cloudtrail/testdata/real/invictus-ir_aws_dataset, joined byte for byte
//     into one {"Records":[…]} document: 3,660,199 bytes, 49 AssumeRole
//     records (13 of them AccessDenied);
//   - one generated record (a broker's AssumeRole with a SourceIdentity) and
//     one real record (event 4bd2a6f6-dddc-49e6-ba7d-08f73e809e64, an IAM
//     user's AssumeRole).
//
// # What is measured
//
// BenchmarkDocument validates a whole document and decodes its assume-role
// records (eventSource sts.amazonaws.com, eventName AssumeRole,
// AssumeRoleWithSAML or AssumeRoleWithWebIdentity) into cloudtrail.Event;
// MB/s is of uncompressed JSON. An iteration that finds another number of
// records than the generator wrote (or 49) fails.
//   - ours: cloudtrail.DecodeStream over a bytes.Reader. It streams: it
//     holds one record at a time, whatever the document's size;
//   - encoding-json, goccy-go-json, sonic (its default API, sonic.Unmarshal):
//     Unmarshal into struct{ Records []json.RawMessage }, each record into a
//     struct of eventSource and eventName, the assume-role ones into the
//     full record struct. These need the whole document in memory;
//   - simdjson-go: simdjson.Parse with the ParsedJson reused between
//     iterations, then a walk of its tape; simdjson-go-nocopy adds
//     simdjson.WithCopyStrings(false). Skipped on a CPU without AVX2 and
//     CLMUL (simdjson.SupportedCPU).
//
// BenchmarkRecord decodes one assume-role record into the fields
// sentinel-check reads: eventTime, eventSource, eventName, awsRegion,
// eventID, sharedEventID, recipientAccountId, errorCode, errorMessage, sourceIPAddress,
// userAgent, requestParameters.roleArn, roleSessionName and sourceIdentity,
// responseElements.credentials.accessKeyId and assumedRoleUser.arn,
// userIdentity.type, arn and principalId, and
// userIdentity.sessionContext.sourceIdentity. Ours is cloudtrail.DecodeRecord
// (the decoder of Athena rows and LookupEvents results; log files reach the
// same field decoder only for their assume-role records, after the scan).
//
// The tests keep the comparison between correct implementations:
// TestLibrariesAgree and TestRecordsAgree check that every library yields
// the same events, field for field, as the product's decoder, and
// TestMalformedInput that each rejects invalid JSON anywhere in a document
// or record, even in members nobody reads. Known exception: sonic's default
// API lets a control character, a bad escape or a bad \u escape through in
// a member it skips (its Config leaves ValidateString off). No library
// here, the product's included, rejects invalid UTF-8 in strings.
//
// # Figures
//
// Medians of 5 runs of 1 s, go1.26.8 linux/amd64, AMD EPYC, 2 cores;
// goccy/go-json v0.12.0, sonic v1.15.5, simdjson-go v0.4.5. Document in
// MB/s (generated / real); record in ns/op and allocs/op (generated / real).
//
//	library              document MB/s      record ns/op     allocs
//	ours (scalar)        2,177 / 2,225      3,085 / 2,529    15 / 14
//	ours (AVX2, simd)    3,103 / 3,309      2,147 / 1,768    15 / 14
//	encoding/json           89 /    90     11,997 / 10,502   25 / 24
//	goccy/go-json          944 /   957      1,183 / 1,127    17 / 16
//	sonic                  422 /   499      2,840 / 2,472    19 / 17
//	simdjson-go          1,059 / 1,152      2,923 / 2,591    25 / 23
//	simdjson-go nocopy   1,114 / 1,190      2,498 / 2,248    25 / 23
//
// The other libraries' figures come from the run without GOEXPERIMENT=simd;
// in the run with it (which changes none of their code) they moved by up to
// 13%, and simdjson-go's on the generated document by a third: read
// differences of that size as noise. Allocated bytes per document: ours 37 /
// 61 KiB (its buffers are pooled), simdjson-go 45–90 KiB (the tape is
// reused), goccy 2.8 / 4.2 MiB, encoding/json 3.4 / 4.9 MiB, sonic 8.2 /
// 12.2 MiB.
//
// By these numbers the product's scanner reads whole log files 1.9 times
// (scalar) to 2.8 times (AVX2) as fast as the fastest library here
// (simdjson-go), in bounded memory. On a single record goccy/go-json is 1.6
// to 2.6 times as fast as DecodeRecord.
package decoders
