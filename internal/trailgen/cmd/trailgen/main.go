// Command trailgen writes a realistic, deterministic CloudTrail trail (gzipped
// log files in the S3 key layout) and the matching session export, for tests
// and benchmarks:
//
//	go run ./internal/trailgen/cmd/trailgen -out /tmp/trail -records 1000000 -files 500 -seed 1 -sessions /tmp/trail/sessions.jsonl
//
// It prints a JSON summary: files, records, bytes, and the assume-role calls
// by the category each must be classified in.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sentinel-check/sentinel-check/internal/trailgen"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trailgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o trailgen.Options
	var start string
	fs.StringVar(&o.Out, "out", "", "folder to write the trail into (required)")
	fs.IntVar(&o.Records, "records", 10000, "records in all files")
	fs.IntVar(&o.Files, "files", 0, "log files (default: one per 2,000 records)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed; the same seed writes the same bytes")
	fs.StringVar(&o.Sessions, "sessions", "", "write the session export (JSON Lines) to this file")
	fs.StringVar(&start, "start", "2026-11-16T00:00:00Z", "time of the first events (RFC 3339)")
	fs.DurationVar(&o.Span, "span", 7*24*time.Hour, "time the files are spread over")
	fs.Float64Var(&o.AssumeRoleRate, "assume-role-rate", 0.02, "share of records that are sts assume-role calls")
	fs.IntVar(&o.Workers, "workers", 0, "files written at once (default GOMAXPROCS)")
	fs.IntVar(&o.Level, "level", 6, "gzip level")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	t, err := time.Parse(time.RFC3339, start)
	if err != nil {
		fmt.Fprintf(stderr, "trailgen: -start %q is not an RFC 3339 time such as 2026-11-16T00:00:00Z\n", start)
		return 2
	}
	o.Start = t
	if o.Out == "" {
		fmt.Fprintln(stderr, "trailgen: -out is required: the folder to write the trail into")
		return 2
	}
	sum, err := trailgen.Generate(o)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sum); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
