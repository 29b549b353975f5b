// Command readtrail reads CloudTrail files with sentinel-check's file source
// and nothing else (no policy, session records or report), so that the
// benchmark can tell the time of reading the trail from the time of the
// rest of a check. It prints what it read:
//
//	readtrail [-workers N] PATH…
//	files 875 records 1750000 assume_role 34969 workers 2
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("readtrail", flag.ContinueOnError)
	fl.SetOutput(stderr)
	workers := fl.Int("workers", 0, "files decoded at once (default GOMAXPROCS, as sentinel-check)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "readtrail: no path; usage: readtrail [-workers N] PATH…")
		return 2
	}
	opts := cloudtrail.FileOptions{Workers: *workers}.WithDefaults()
	var emitted atomic.Int64 // emit is called from several workers
	st, err := cloudtrail.NewFileSource(fl.Args(), opts).Read(context.Background(), cloudtrail.Query{}, func(cloudtrail.Event) { emitted.Add(1) })
	if err != nil {
		fmt.Fprintf(stderr, "readtrail: %v\n", err)
		return 1
	}
	if emitted.Load() != st.AssumeRole {
		fmt.Fprintf(stderr, "readtrail: %d events emitted, %d assume-role records counted\n", emitted.Load(), st.AssumeRole)
		return 1
	}
	fmt.Fprintf(stdout, "files %d records %d assume_role %d workers %d\n", st.Files, st.Records, st.AssumeRole, opts.Workers)
	return 0
}
