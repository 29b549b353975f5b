package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/engine"
	"github.com/sentinel-check/sentinel-check/internal/english"
	"github.com/sentinel-check/sentinel-check/internal/fspath"
	"github.com/sentinel-check/sentinel-check/internal/safetext"
	"github.com/sentinel-check/sentinel-check/internal/timewindow"
	"github.com/sentinel-check/sentinel-check/policyhcl"
	"github.com/sentinel-check/sentinel-check/report"
)

// maxWorkers bounds --workers: a mistyped 10000000 would start that many
// workers.
const maxWorkers = 1024

// Exit codes.
const (
	ExitOK       = 0 // no finding at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on (fmt --check: files would change)
	ExitUsage    = 2 // bad usage or a policy with errors
	ExitSource   = 3 // a source could not be read
	// ExitInterrupted is the shell's code for a run stopped by SIGINT
	// (Ctrl-C) or SIGTERM: nothing was checked and no report written.
	ExitInterrupted = 130
)

// Command is the CLI with its streams, so tests can run it end to end.
type Command struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Now is the clock (nil = time.Now).
	Now func() time.Time
	// Env overrides how AWS sources are opened (tests point it at local servers).
	Env *engine.Env
}

const usage = `sentinel-check proves that role sessions into AWS went through the credential broker.

Usage:
  sentinel-check check    [--policy PATH]... [--cloudtrail SRC]... [--sessions SRC]...
                          [--since 7d|RFC3339|DATE|yesterday] [--until ...] [--region R]... [--account ID]...
                          [--profile NAME]... [--format F[=FILE]]... [--fail-on error|warning|note|none]
                          [--base-dir DIR] [--category ID] [--skip-unreadable] [--aws-timeout 1m]
                          [--workers N] [--max-decompressed BYTES] [--max-record-bytes BYTES]
                          [--s3-downloads N] [--event-buffer BYTES] [--temp-dir DIR]
  sentinel-check validate [--policy PATH]... [--format F[=FILE]]... [--base-dir DIR] [--category ID]
                          [--fail-on error|warning|note|none] [PATH]...
  sentinel-check fmt      [--check] [PATH]...
  sentinel-check checks   [--format text|json]  list the checks
  sentinel-check athena-ddl --bucket B --account ID... [--org-id o-...] [--organisation] [--prefix P] [--region R]...
                          [--database DB] [--table NAME] [--start-date yyyy/MM/dd]
                          print the CREATE EXTERNAL TABLE for a CloudTrail bucket in Athena
  sentinel-check version

Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or policy error,
3 a source could not be read or an output file written, 130 interrupted (SIGINT,
SIGTERM; 143 for a SIGTERM while the reports are being written), 141 the pipe
the report went to closed early (SIGPIPE).
Run 'sentinel-check COMMAND -h' for a command's flags.
`

// Main runs the command line and returns the exit code.
func (c Command) Main(args []string) int {
	if len(args) < 2 {
		fmt.Fprint(c.Stderr, usage)
		return ExitUsage
	}
	switch args[1] {
	case "check":
		return c.check(args[2:])
	case "validate":
		return c.validate(args[2:])
	case "fmt":
		return c.fmt(args[2:])
	case "checks":
		return c.listChecks(args[2:])
	case "version", "--version", "-v":
		if len(args) > 2 {
			switch args[2] {
			case "-h", "-help", "--help":
				return c.Main([]string{args[0], "help", strings.TrimLeft(args[1], "-")})
			}
			return c.usageError(fmt.Errorf("%s takes no arguments (got %q)", args[1], args[2]))
		}
	}
	switch args[1] {
	case "athena-ddl":
		return c.athenaDDL(args[2:])
	case "version", "--version", "-v":
		fmt.Fprintf(c.Stdout, "sentinel-check %s\n", engine.Version)
		return ExitOK
	case "help", "-h", "--help":
		if len(args) > 2 {
			switch args[2] {
			case "check", "validate", "fmt", "athena-ddl", "checks":
				return c.Main([]string{args[0], args[2], "-h"})
			}
			if cmd := command(strings.TrimLeft(args[2], "-")); cmd != nil {
				fmt.Fprintf(c.Stdout, "Usage: %s\n\n%s\n\nExit codes: %s.\n", cmd.synopsis, cmd.does, cmd.exits)
				return ExitOK
			}
			return c.unknownCommand(args[2])
		}
		fmt.Fprint(c.Stdout, usage)
		return ExitOK
	}
	return c.unknownCommand(args[1])
}

// unknownCommand is the usage error for a command that does not exist.
func (c Command) unknownCommand(name string) int {
	names := make([]string, len(commands))
	for i, cmd := range commands {
		names[i] = cmd.name
	}
	hint := ""
	if s := english.Suggest(name, names); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	c.errorf("unknown command %q%s: use %s", name, hint, strings.Join(names, ", "))
	fmt.Fprintf(c.Stderr, "\n%s", usage)
	return ExitUsage
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// commands are the commands with their synopsis and what they do, for
// their -h and for suggestions.
var commands = []struct{ name, synopsis, does, exits string }{
	{"check", "sentinel-check check [flags]", "Checks the role sessions that CloudTrail recorded against the policy and the broker's session records.",
		"0 no finding at or above --fail-on, 1 findings, 2 usage or policy error, 3 a source could not be read or an output file written, 130 or 143 interrupted"},
	{"validate", "sentinel-check validate [flags] [PATH]... (a path starting with - after --)", "Checks a whole policy (its profiles included) without reading any activity.",
		"0 valid, 1 policy warnings at or above --fail-on, 2 usage or policy error, 3 an output file could not be written"},
	{"fmt", "sentinel-check fmt [--check] [PATH]... (a path starting with - after --)", "Formats policy files canonically.",
		"0 formatted (--check: nothing to change), 1 --check: files would change, 2 usage error or a file that cannot be read or formatted, 3 a file could not be written"},
	{"checks", "sentinel-check checks [--format text|json]", "Lists the checks: id, name, default severity and title (json: also the help URL, tags, GitHub security severity and precision).", "0, 2 usage error"},
	{"athena-ddl", "sentinel-check athena-ddl [flags]", "Prints the CREATE EXTERNAL TABLE for a CloudTrail bucket in Athena.", "0 printed, 2 usage error"},
	{"version", "sentinel-check version", "Prints the version.", "0"},
	{"help", "sentinel-check help [COMMAND]", "Shows this help, or a command's.", "0, 2 an unknown command"},
}

// command is the entry of commands named name, or nil.
func command(name string) *struct{ name, synopsis, does, exits string } {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func (c Command) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("sentinel-check "+name, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	fs.Usage = func() { writeFlagUsage(fs.Output(), fs, name) }
	return fs
}

// writeFlagUsage is a command's -h: its synopsis, what it does and its
// flags, written with two dashes as the documentation writes them.
func writeFlagUsage(w io.Writer, fs *flag.FlagSet, name string) {
	cmd := command(name)
	fmt.Fprintf(w, "Usage: %s\n\n%s\n\nFlags:\n", cmd.synopsis, cmd.does)
	fs.VisitAll(func(f *flag.Flag) {
		arg, help := flag.UnquoteUsage(&flag.Flag{Name: f.Name, Usage: f.Usage, Value: flagValueOf(f)})
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		fmt.Fprintf(w, "%s\n      %s", line, help)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
	fmt.Fprintf(w, "\nExit codes: %s.\n", cmd.exits)
}

// parse parses flags; it returns an exit code when the caller must stop.
// -h writes the command's usage to stdout; a bad flag writes the error and
// the usage to stderr.
func (c Command) parse(fs *flag.FlagSet, args []string) (int, bool) {
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Value.(type) {
		case *multi, wrapped:
		case interface{ IsBoolFlag() bool }:
			f.Value = &onceBool{onceValue{Value: f.Value}}
		default:
			f.Value = &onceValue{Value: f.Value}
		}
	})
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	err := fs.Parse(args)
	fs.SetOutput(c.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = c.Stdout.Write(buf.Bytes())
		return ExitOK, true
	case err != nil:
		c.errorf("%s; run %s -h for its flags", flagProblem(fs, err), fs.Name())
		return ExitUsage, true
	}
	return 0, false
}

// testRunOptions, when set, sees the options of a check's run (tests).
var testRunOptions func(engine.Options)

// minEventBuffer is the smallest --event-buffer: a size such as "4"
// (meant as MiB) would write a file for every few events. maxEventBuffer
// is the most the events' store takes (dedup).
const (
	minEventBuffer = 64 << 10
	maxEventBuffer = 1 << 30
)

// checkTempDir refuses a --temp-dir that is no folder.
func checkTempDir(dir string) error {
	if dir == "" {
		return nil
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("--temp-dir %s: no such folder; make it, or leave the flag out to use the system's temporary folder", dir)
	case err != nil:
		return fmt.Errorf("--temp-dir: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("--temp-dir %s: not a folder; give a folder where temporary files may be written", dir)
	}
	return nil
}

// byteSize is a size flag: bytes, or a number with a unit (KiB, MiB, GiB,
// TiB; KB, MB, GB, TB are powers of 1000; K, M, G, T are KiB…), as 4GiB
// or "4 GiB". 0 is the default.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	unit := map[string]int64{"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "kb": 1e3, "m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9, "t": 1 << 40, "tib": 1 << 40, "tb": 1e12}[strings.ToLower(strings.TrimSpace(t[i:]))]
	if err != nil || unit == 0 {
		return fmt.Errorf("want a number of bytes, or one with a unit such as 512MiB, 4GiB or 1GB")
	}
	if n > math.MaxInt64/unit {
		return fmt.Errorf("too large: at most %d bytes", int64(math.MaxInt64))
	}
	*b = byteSize(n * unit)
	return nil
}

// flagProblem says what is wrong with a command line the flag package
// refused, with the two dashes the documentation writes: an unknown flag
// with the closest one, a bad value with what is allowed.
func flagProblem(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		name = strings.TrimLeft(name, "-")
		if s := english.Suggest(name, names); s != "" {
			return fmt.Sprintf("unknown flag --%s (did you mean --%s?)", name, s)
		}
		return fmt.Sprintf("unknown flag --%s", name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Sprintf("--%s needs a value", strings.TrimLeft(name, "-"))
	}
	// invalid value "V" for flag -NAME: PROBLEM, or (a boolean flag)
	// invalid boolean value "V" for -NAME: PROBLEM
	var value, rest string
	for _, form := range [][2]string{{"invalid value ", " for flag -"}, {"invalid boolean value ", " for -"}} {
		if _, after, ok := strings.Cut(msg, form[0]); ok {
			if q, err := strconv.QuotedPrefix(after); err == nil {
				value, _ = strconv.Unquote(q)
				rest = strings.TrimPrefix(after[len(q):], form[1])
			}
			break
		}
	}
	name, problem, ok := strings.Cut(rest, ": ")
	if !ok {
		return msg
	}
	f := fs.Lookup(name)
	if f == nil {
		return msg
	}
	want := ""
	switch fmt.Sprintf("%T", flagValueOf(f)) {
	case "*flag.intValue", "*flag.int64Value", "*flag.uintValue":
		want = "a whole number"
	case "*flag.durationValue":
		want = "a duration such as 30s, 2m or 1h"
	case "*flag.boolValue":
		want = "true or false"
	}
	if want != "" && (problem == "parse error" || problem == "value out of range") {
		return fmt.Sprintf("--%s %q: want %s", name, value, want)
	}
	return fmt.Sprintf("--%s %q: %s", name, value, problem)
}

// onceValue is a flag that takes one value: given again with another
// value, it is refused, as the flag package would keep the last one
// silently (a wrapper's --fail-on error, then --fail-on none). The
// repeatable flags are multi.
type onceValue struct {
	flag.Value
	set bool
	raw string
}

func (o *onceValue) Set(s string) error {
	if o.set && s != o.raw {
		return fmt.Errorf("already given as %q: give it once", o.raw)
	}
	o.set, o.raw = true, s
	return o.Value.Set(s)
}

// onceBool is onceValue for a boolean flag, which takes no value.
type onceBool struct{ onceValue }

func (*onceBool) IsBoolFlag() bool { return true }

// wrapped is onceValue and onceBool: a flag's value under them.
type wrapped interface{ defined() flag.Value }

func (o *onceValue) defined() flag.Value { return o.Value }

// flagValueOf is the value a flag was defined with, under onceValue.
func flagValueOf(f *flag.Flag) flag.Value {
	if w, ok := f.Value.(wrapped); ok {
		return w.defined()
	}
	return f.Value
}

// parseMixed is parse for commands that take paths: flags may follow them
// (validate a.hcl --format json), as in tflint or actionlint; after "--"
// every argument is a path.
func (c Command) parseMixed(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var paths []string
	for {
		if code, stop := c.parse(fs, args); stop {
			return nil, code, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return paths, 0, false
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" && !flagValue(fs, args, n-1) {
			return append(paths, rest...), 0, false
		}
		paths = append(paths, rest[0])
		args = rest[1:]
	}
}

// flagValue tells whether args[i] was the value of the flag before it
// ("--category --"), not an argument of its own.
func flagValue(fs *flag.FlagSet, args []string, i int) bool {
	if i == 0 {
		return false
	}
	prev := args[i-1]
	if !strings.HasPrefix(prev, "-") || strings.Contains(prev, "=") || prev == "--" {
		return false
	}
	f := fs.Lookup(strings.TrimLeft(prev, "-"))
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

func (c Command) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c Command) check(args []string) int {
	fs := c.flagSet("check")
	var policies, trails, sess, regions, accounts, profiles, formats multi
	fs.Var(&policies, "policy", "policy file or folder of *.hcl (repeatable; default .sentinel-check.hcl or .sentinel-check/)")
	fs.Var(&trails, "cloudtrail", "CloudTrail source: PATH, s3://BUCKET/PREFIX, lookup: or athena://WORKGROUP/DATABASE.TABLE (repeatable)")
	fs.Var(&sess, "sessions", "session records: FILE (JSON, JSON Lines, DynamoDB export) or dynamodb://TABLE (default: the policy's session_table blocks)")
	since := fs.String("since", "", "start of the window: a duration (7d, 36h; back from --until when that is a time, else from now), an RFC 3339 time, a UTC date, now, today or yesterday (default: 7d before --until)")
	until := fs.String("until", "", "end of the window, exclusive: a duration back from now, an RFC 3339 time, or a UTC date, now, today or yesterday (that whole day; never after now) (default now)")
	fs.Var(&regions, "region", "AWS region (repeatable; LookupEvents reads each, \"all\" = every enabled region; us-east-1, where the global STS endpoint logs, is always added; without it LookupEvents reads the configured region and reports SC2002)")
	fs.Var(&accounts, "account", "only this AWS account's logs (repeatable; S3 and Athena sources)")
	fs.Var(&profiles, "profile", "only report these profiles (repeatable, globs); findings of no profile are kept: SC2001's roles that no profile maps, SC2002 about the data read")
	fs.Var(&formats, "format", "output FORMAT or FORMAT=FILE: text, json, sarif, markdown, github (repeatable; default text)")
	failOn := fs.String("fail-on", "error", "exit 1 on findings at or above: error, warning, note or none")
	baseDir := fs.String("base-dir", "", "directory that SARIF and annotation paths are relative to (default: $GITHUB_WORKSPACE, else the enclosing git repository's root, else the current directory)")
	skip := fs.Bool("skip-unreadable", false, "count unreadable sources and report them as SC2002 instead of failing with exit code 3")
	workers := fs.Int("workers", 0, "local files decoded in parallel, at most 1024 (default: number of CPUs; S3 decodes 2 objects per CPU at once)")
	s3Downloads := fs.Int("s3-downloads", cloudtrail.DefaultS3Prefetch, "S3 log files downloaded at once ahead of their decoding, at most 1024; 0 streams each into its decoder instead")
	var maxDecomp, maxRecord byteSize
	fs.Var(&maxDecomp, "max-decompressed", "largest decompressed size of one log file: bytes, or with a unit (512MiB, 4GiB, 1GB) (default 4GiB)")
	fs.Var(&maxRecord, "max-record-bytes", "largest single CloudTrail record: bytes, or with a unit (64MiB) (default 64MiB)")
	var eventBuffer byteSize
	fs.Var(&eventBuffer, "event-buffer", "memory for the assume-role events read, until they are de-duplicated; past it they are written to --temp-dir: 64KiB to 1GiB (default 1MiB)")
	tempDir := fs.String("temp-dir", "", "folder for the assume-role events past --event-buffer (default: $TMPDIR, else /tmp)")
	awsTimeout := fs.Duration("aws-timeout", engine.DefaultAWSTimeout, "how long an AWS request may wait for a response, or for more of one, before it is retried or fails")
	category := fs.String("category", "", "SARIF automationDetails.id (default sentinel-check/)")
	if code, stop := c.parse(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fmt.Errorf("unexpected argument %q: check takes only flags", fs.Arg(0)))
	}
	if *workers < 0 {
		return c.usageError(fmt.Errorf("--workers %d: must not be negative; 0 (the default) is one per CPU", *workers))
	}
	if *workers > maxWorkers {
		return c.usageError(fmt.Errorf("--workers %d: at most %d (each worker holds a decompression buffer; the default, one per CPU, keeps the CPUs busy)", *workers, maxWorkers))
	}
	if *s3Downloads < 0 || *s3Downloads > maxWorkers {
		return c.usageError(fmt.Errorf("--s3-downloads %d: want 0 to %d (the default, %d, hides S3's time to first byte behind the decoding of the files before; 0 downloads each file as it is decoded)", *s3Downloads, maxWorkers, cloudtrail.DefaultS3Prefetch))
	}
	if eventBuffer != 0 && (eventBuffer < minEventBuffer || eventBuffer > maxEventBuffer) {
		return c.usageError(fmt.Errorf("--event-buffer %d: want 64KiB to 1GiB (a size such as 64MiB); the default is 1MiB", eventBuffer))
	}
	if err := checkTempDir(*tempDir); err != nil {
		return c.usageError(err)
	}
	fail, err := parseFailOn(*failOn)
	if err != nil {
		return c.usageError(err)
	}
	outs, err := parseFormats(formats)
	if err != nil {
		return c.usageError(err)
	}
	start, end, err := timewindow.Parse(*since, *until, c.now())
	if err != nil {
		return c.usageError(err)
	}
	pol, diags, code := c.loadPolicy(policies)
	if pol == nil {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	env := c.Env
	if env == nil {
		env = &engine.Env{}
	}
	if err := cloudtrail.ValidateAccounts(accounts); err != nil {
		return c.usageError(fmt.Errorf("--account: %w", err))
	}
	// The sources read: the flags', else the policy's cloudtrail blocks.
	sources := []string(trails)
	if len(sources) == 0 {
		for _, ct := range pol.CloudTrail {
			sources = append(sources, ct.Source)
		}
	}
	if slices.ContainsFunc(sources, isAWSSource) {
		// Region names filter the AWS sources' folders, partitions and
		// requests; alone, --region only sets the SDK's region (a local
		// DynamoDB may take any name).
		if err := cloudtrail.ValidateRegions(regions); err != nil {
			return c.usageError(fmt.Errorf("--region: %w", err))
		}
	} else if err := cloudtrail.ValidateRegions(regions); err != nil {
		// A typo is still worth a word, though nothing is filtered.
		c.errorf("warning: --region: %v; it filters nothing here, as local log files are read whole (it sets the AWS region of DynamoDB session tables, if any)", err)
	}
	if len(sources) > 0 && len(accounts) > 0 && !slices.ContainsFunc(sources, filtersAccounts) {
		c.errorf("warning: --account selects the accounts that S3 and Athena sources read; local log files and LookupEvents (the credentials' account) are read whatever their accounts")
	}
	env.Regions, env.Accounts = regions, accounts
	if len(regions) > 0 && regions[0] != "all" {
		env.Region = regions[0]
	}
	if *awsTimeout <= 0 {
		return c.usageError(fmt.Errorf("--aws-timeout %v: want a positive duration such as 30s or 2m", *awsTimeout))
	}
	env.Timeout = *awsTimeout
	env.Files = cloudtrail.FileOptions{Workers: *workers, MaxDecompressed: int64(maxDecomp), MaxRecordBytes: int64(maxRecord), SkipUnreadable: *skip}
	env.S3Prefetch = *s3Downloads
	if env.S3Prefetch == 0 {
		env.S3Prefetch = -1 // none
	}
	var progress cloudtrail.Progress // only when stderr is a terminal
	if bar := cloudtrail.TerminalBar(c.Stderr); bar != nil {
		progress = bar
	}
	env.Files.Progress = progress

	if err := checkOutputsNotRead(outs, checkInputs(pol, trails, sess)); err != nil {
		return c.usageError(err)
	}
	if err := checkBaseDir(*baseDir); err != nil {
		return c.usageError(err)
	}
	base := resolveBaseDir(*baseDir)
	c.warnOutsideBase(base, pol.Sources, outs)
	opts := engine.Options{
		Policy: pol, Start: start, End: end, Profiles: profiles,
		BaseDir: base, SkipUnreadable: *skip, Category: *category, FailOn: fail,
		Diagnostics: diags,
		Query:       cloudtrail.Query{Regions: regions, Accounts: accounts},
		EventBuffer: int(eventBuffer), TempDir: *tempDir, Progress: progress,
	}
	if len(trails) == 0 {
		for _, ct := range pol.CloudTrail {
			src, err := engine.OpenCloudTrail(ctx, relativeTo(ct.Source, ct.DeclRange.Filename), ct, env)
			if err != nil {
				return c.runError(ctx, err)
			}
			opts.CloudTrail = append(opts.CloudTrail, src)
		}
	}
	for _, t := range trails {
		src, err := engine.OpenCloudTrail(ctx, t, nil, env)
		if err != nil {
			return c.runError(ctx, err)
		}
		opts.CloudTrail = append(opts.CloudTrail, src)
	}
	if len(sess) == 0 {
		for _, st := range pol.SessionTables {
			store, err := engine.OpenSessionTable(ctx, st, env)
			if err != nil {
				return c.runError(ctx, err)
			}
			opts.Sessions = append(opts.Sessions, engine.SessionSource{Table: st.Name, Store: store})
		}
	}
	for _, s := range sess {
		store, err := engine.OpenSessions(ctx, s, env)
		if err != nil {
			return c.runError(ctx, err)
		}
		opts.Sessions = append(opts.Sessions, engine.SessionSource{Store: store})
	}

	if testRunOptions != nil {
		testRunOptions(opts)
	}
	res, err := engine.Run(ctx, opts)
	if err != nil {
		return c.runError(ctx, err)
	}
	if err := checkOutputsNotReadByTrails(outs, opts.CloudTrail); err != nil {
		return c.usageError(err)
	}
	// From here a signal ends the process at once, with the exit code it
	// would give (130, 143): writing to a FIFO with no reader must stay
	// interruptible. A handler of its own, not the default disposition,
	// which is "ignored" for SIGINT when a shell started the check in the
	// background (as the Action does, to pass a cancellation on).
	stop()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer func() { signal.Stop(sigs); close(sigs) }()
	go func() {
		if s, ok := <-sigs; ok {
			code := 130
			if s == syscall.SIGTERM {
				code = 143
			}
			os.Exit(code)
		}
	}()
	if code := c.writeOutputs(res, outs); code != ExitOK {
		return code
	}
	if fail != checks.SeverityNone && engine.MaxSeverity(res.Findings).Rank() >= fail.Rank() && len(res.Findings) > 0 {
		return ExitFindings
	}
	return ExitOK
}

func (c Command) validate(args []string) int {
	fs := c.flagSet("validate")
	var policies, formats multi
	fs.Var(&policies, "policy", "policy file or folder of *.hcl (repeatable; default .sentinel-check.hcl or .sentinel-check/)")
	fs.Var(&formats, "format", "output FORMAT or FORMAT=FILE: text, json, sarif, markdown or github (repeatable; default text)")
	baseDir := fs.String("base-dir", "", "directory that SARIF paths are relative to (default: $GITHUB_WORKSPACE, else the enclosing git repository's root, else the current directory)")
	category := fs.String("category", report.ValidateCategory, "SARIF automationDetails.id (apart from check's, whose alerts an upload of this one would close; empty means the default)")
	failOn := fs.String("fail-on", "error", "exit 1 on policy warnings (overlapping profiles, unreachable rules, …) when warning or note: error, warning, note or none; errors always exit 2")
	paths, code, stop := c.parseMixed(fs, args)
	if stop {
		return code
	}
	fail, err := parseFailOn(*failOn)
	if err != nil {
		return c.usageError(err)
	}
	policies = append(policies, paths...)
	outs, err := parseFormats(formats)
	if err != nil {
		return c.usageError(err)
	}
	paths, err = policyPaths(policies, "pass --policy FILE or FOLDER")
	if err != nil {
		return c.usageError(err)
	}
	if err := checkBaseDir(*baseDir); err != nil {
		return c.usageError(err)
	}
	pol, diags := policyhcl.Load(paths, checks.PolicyOptions())
	if err := checkOutputsNotRead(outs, policyInputs(pol)); err != nil {
		return c.usageError(err)
	}
	base := resolveBaseDir(*baseDir)
	res := &report.Result{
		Tool:     report.Tool{Name: "sentinel-check", Version: engine.Version, InformationURI: engine.InformationURI},
		BaseDir:  base,
		Rules:    engine.RuleMetas(nil),
		Findings: checks.FromDiagnostics(diags),
		Category: cmp.Or(*category, report.ValidateCategory),
	}
	res.Summary.Findings = len(res.Findings)
	res.FailOn = fail
	if diags.HasErrors() || pol == nil {
		res.FailOn = checks.SeverityError // errors fail whatever --fail-on says
	}
	res.Policy = &report.PolicySummary{}
	if pol != nil {
		res.PolicySources = pol.Sources
		res.Policy = &report.PolicySummary{Files: len(pol.Files), Profiles: len(pol.Profiles), Rules: len(pol.Rules), SessionTables: len(pol.SessionTables)}
	}
	if len(diags) > 0 {
		c.writeDiagnostics(pol, diags)
	}
	c.warnOutsideBase(base, res.PolicySources, outs)
	valid := pol != nil && !diags.HasErrors()
	// failing counts the findings that fail a valid policy: a gate can
	// be as strict as a linter's, warnings failing it too.
	failing := func() int {
		n := 0
		for _, f := range res.Findings {
			if fail != checks.SeverityNone && f.Severity.Rank() >= fail.Rank() {
				n++
			}
		}
		return n
	}
	// The text report: on stdout, the verdict of a valid policy (the
	// diagnostics went to stderr); in a file, the diagnostics and the
	// verdict.
	code = c.writeRendered(outs, func(o output, w io.Writer) error {
		if o.name != "text" {
			f, _ := report.Lookup(o.name)
			return f(w, res)
		}
		if o.file != "" && len(diags) > 0 {
			var files map[string]*hcl.File
			if pol != nil {
				files = pol.HCLFiles
			}
			if err := policyhcl.WriteDiagnostics(w, files, diags, 100, false); err != nil {
				return err
			}
		}
		switch {
		case valid:
			gate := ""
			if n := failing(); n > 0 {
				gate = fmt.Sprintf("; %s at or above --fail-on %s %s it", english.Count(n, "finding", "findings"), fail, english.Plural(n, "fails", "fail"))
			}
			_, err := fmt.Fprintf(w, "policy is valid: %s, %s, %s, %s%s\n",
				english.Count(len(pol.Files), "file", "files"), english.Count(len(pol.Profiles), "profile", "profiles"),
				english.Count(len(pol.Rules), "rule", "rules"), english.Count(len(pol.SessionTables), "session table", "session tables"), gate)
			return err
		case o.file != "":
			_, err := fmt.Fprintf(w, "policy is not valid: %s\n", english.Count(len(diags.Errs()), "error", "errors"))
			return err
		}
		return nil
	})
	if code != ExitOK {
		return code
	}
	if !valid {
		return ExitUsage
	}
	if failing() > 0 {
		return ExitFindings
	}
	return ExitOK
}

func (c Command) fmt(args []string) int {
	fs := c.flagSet("fmt")
	checkOnly := fs.Bool("check", false, "do not write; list files that are not formatted and exit 1 if any")
	paths, code, stop := c.parseMixed(fs, args)
	if stop {
		return code
	}
	if len(paths) == 0 {
		var err error
		if paths, err = policyPaths(nil, "name FILE or FOLDER"); err != nil {
			return c.usageError(err)
		}
	}
	files, diags := policyhcl.Files(paths)
	// Read as validate and check read them: a file that cannot be read (a
	// dangling link such as an editor's lock file) is a diagnostic.
	srcs := make([][]byte, len(files))
	for i, f := range files {
		src, d := policyhcl.ReadFile(f)
		if d != nil {
			diags = append(diags, d)
			continue
		}
		srcs[i] = src
	}
	if diags.HasErrors() {
		c.writeDiagnostics(nil, diags)
		return ExitUsage
	}
	// Every file is formatted before any is written: one that cannot be
	// formatted leaves them all as they were.
	type rewrite struct {
		file string
		out  []byte
	}
	var rewrites []rewrite
	for i, f := range files {
		src := srcs[i]
		out, diags := policyhcl.Format(f, src)
		if diags.HasErrors() {
			c.errorf("%s cannot be formatted; nothing was written:", f)
			_ = policyhcl.WriteDiagnostics(c.Stderr, map[string]*hcl.File{f: {Bytes: src}}, diags, 100, false)
			return ExitUsage
		}
		if !bytes.Equal(src, out) {
			rewrites = append(rewrites, rewrite{f, out})
		}
	}
	changed := len(rewrites)
	for _, rw := range rewrites {
		if !*checkOnly {
			if err := rewritePolicy(rw.file, rw.out); err != nil {
				c.errorf("formatting %s: %v", rw.file, err)
				return ExitSource
			}
		}
		fmt.Fprintln(c.Stdout, safetext.Line(report.Neutralize(rw.file)))
	}
	if *checkOnly && changed > 0 {
		c.errorf("%d of %d files are not formatted; run 'sentinel-check fmt' to fix them", changed, len(files))
		return ExitFindings
	}
	return ExitOK
}

func (c Command) listChecks(args []string) int {
	fs := c.flagSet("checks")
	format := fs.String("format", "text", "text, or json: an array of the checks for tools")
	if code, stop := c.parse(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fmt.Errorf("unexpected argument %q: checks takes only --format", fs.Arg(0)))
	}
	switch *format {
	case "text":
		for _, ch := range checks.All() {
			m := ch.Meta()
			fmt.Fprintf(c.Stdout, "%s  %-20s %-8s %s\n", m.ID, m.Name, m.DefaultSeverity, m.Title)
		}
	case "json":
		type jsonCheck struct {
			ID               string   `json:"id"`
			Name             string   `json:"name"`
			Title            string   `json:"title"`
			DefaultSeverity  string   `json:"default_severity"`
			HelpURL          string   `json:"help_url"`
			Tags             []string `json:"tags"`
			SecuritySeverity string   `json:"security_severity"`
			Precision        string   `json:"precision"`
			Configurable     bool     `json:"configurable"` // a policy's check block may turn it off or change its severity
		}
		var out []jsonCheck
		for _, ch := range checks.All() {
			m := ch.Meta()
			out = append(out, jsonCheck{m.ID, m.Name, m.Title, string(m.DefaultSeverity), m.HelpURL, m.Tags, m.SecuritySeverity, m.Precision, !m.Fixed})
		}
		enc := json.NewEncoder(c.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return ExitSource
		}
	default:
		return c.usageError(fmt.Errorf("--format %q: checks writes text or json", *format))
	}
	return ExitOK
}

// loadPolicy loads the policy and prints its diagnostics; nil means stop
// with the returned code.
func (c Command) loadPolicy(paths []string) (*policyhcl.Policy, hcl.Diagnostics, int) {
	paths, err := policyPaths(paths, "pass --policy FILE or FOLDER")
	if err != nil {
		return nil, nil, c.usageError(err)
	}
	pol, diags, err := engine.LoadPolicy(paths)
	if len(diags) > 0 {
		c.writeDiagnostics(pol, diags)
	}
	if err != nil {
		c.errorf("the policy has %s; nothing was checked", english.Count(len(diags.Errs()), "error", "errors"))
		return nil, nil, ExitUsage
	}
	return pol, diags, ExitOK
}

func (c Command) writeDiagnostics(pol *policyhcl.Policy, diags hcl.Diagnostics) {
	var files map[string]*hcl.File
	if pol != nil {
		files = pol.HCLFiles
	}
	_ = policyhcl.WriteDiagnostics(c.Stderr, files, diags, 100, false)
}

// policyPaths applies the default policy location; how says how to name
// one (the command's flag or its arguments).
func policyPaths(paths []string, how string) ([]string, error) {
	if len(paths) > 0 {
		// An empty path (an unset variable in --policy "$POLICY") would
		// read the current folder: neither what was written nor the
		// default.
		if slices.Contains(paths, "") {
			return nil, fmt.Errorf("empty policy path: %s", how)
		}
		return paths, nil
	}
	var found []string
	for _, p := range []string{".sentinel-check.hcl", ".sentinel-check"} {
		if _, err := os.Stat(p); err == nil {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no policy: %s, or create .sentinel-check.hcl or .sentinel-check/ in the current directory", how)
	case 2:
		// Reading one would silently drop the other's rules.
		return nil, fmt.Errorf("both .sentinel-check.hcl and .sentinel-check/ exist: keep one, or %s for each to read both", how)
	}
	return found, nil
}

type output struct{ name, file string }

// input is a local file that a command reads, and what it is.
type input struct{ path, what string }

// policyInputs are the policy files read.
func policyInputs(pol *policyhcl.Policy) []input {
	var ins []input
	for _, f := range pol.Files {
		ins = append(ins, input{path: f, what: "a policy file"})
	}
	return ins
}

// checkInputs are the local files a check is given: the policy's files,
// the --sessions files and the CloudTrail files given by path (the flags',
// else the policy's cloudtrail blocks'). The files read in CloudTrail
// folders are known once they are read (checkOutputsNotReadByTrails).
func checkInputs(pol *policyhcl.Policy, trails, sess []string) []input {
	ins := policyInputs(pol)
	for _, s := range sess {
		if !strings.Contains(s, "://") {
			ins = append(ins, input{path: s, what: "a --sessions file"})
		}
	}
	paths := trails
	if len(paths) == 0 {
		for _, ct := range pol.CloudTrail {
			paths = append(paths, relativeTo(ct.Source, ct.DeclRange.Filename))
		}
	}
	for _, p := range paths {
		if isAWSSource(p) || strings.Contains(p, "://") {
			continue
		}
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			ins = append(ins, input{path: p, what: "a CloudTrail file"})
		}
	}
	return ins
}

// checkOutputsNotRead refuses an output file that would replace a file the
// command is given: one of the input files (by any name, or the file a
// link given as input points to). Reports are written after the reading,
// over what was read: a report over the policy or the session export would
// destroy it. A device or FIFO is written to, never replaced, and a file
// yet to be created replaces nothing.
func checkOutputsNotRead(outs []output, ins []input) error {
	for _, o := range fileOutputs(outs) {
		fo, err := os.Lstat(o.file)
		if err != nil || !fo.Mode().IsRegular() && fo.Mode()&os.ModeSymlink == 0 {
			continue
		}
		for _, in := range ins {
			same := false
			if fi, err := os.Lstat(in.path); err == nil {
				same = os.SameFile(fo, fi)
			}
			if fi, err := os.Stat(in.path); err == nil {
				same = same || os.SameFile(fo, fi)
			}
			if same {
				return fmt.Errorf("--format %s=%s would replace %s, %s this run reads; write the report to another file", o.name, o.file, in.path, in.what)
			}
		}
	}
	return nil
}

// fileOutputs are the outputs written to a file by its name, which writing
// may replace: not stdout, nor a descriptor (/dev/fd/N, /dev/stderr).
func fileOutputs(outs []output) []output {
	var files []output
	for _, o := range outs {
		if _, ok := descriptorOf(o.file); o.file != "" && !ok {
			files = append(files, o)
		}
	}
	return files
}

// checkOutputsNotReadByTrails refuses, once the sources are read, an
// output file that is a CloudTrail file a local source found (see
// cloudtrail.IsTrailFile): a log file read or passed over by its delivery
// time, a digest or Insights file, by whatever name the walk reached it (a
// link in the folder to a file elsewhere, a hard link). The other files of
// a folder (an earlier report, notes) may be replaced.
func checkOutputsNotReadByTrails(outs []output, srcs []cloudtrail.Source) error {
	for _, o := range fileOutputs(outs) {
		for _, src := range srcs {
			if cloudtrail.IsTrailFile(src, o.file) {
				return fmt.Errorf("--format %s=%s would replace CloudTrail input that this run found in %s (a log, digest or Insights file, read or passed over, or a file it could not read); write the report to another file", o.name, o.file, src.Name())
			}
		}
	}
	return nil
}

// realPath is path made absolute with the links of its folders resolved;
// its last name is kept (a link there is replaced, not followed).
func realPath(path string) string {
	if real, ok := fspath.Real(path); ok {
		return real // "m/../f" resolved as the system writes it
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	return abs
}

// isAWSSource tells whether a --cloudtrail value names an AWS source, which
// --region filters.
func isAWSSource(spec string) bool {
	return filtersAccounts(spec) || strings.HasPrefix(spec, "lookup:")
}

// filtersAccounts tells whether --account filters a --cloudtrail source.
func filtersAccounts(spec string) bool {
	return strings.HasPrefix(spec, "s3://") || strings.HasPrefix(spec, "athena://")
}

// warnOutsideBase warns, when a SARIF log or annotations are written, about
// each policy file outside the base folder: its results would point at
// ../…, a path code scanning cannot show in the repository.
func (c Command) warnOutsideBase(base string, files map[string][]byte, outs []output) {
	located := false
	for _, o := range outs {
		located = located || o.name == "sarif" || o.name == "github"
	}
	if !located {
		return
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	slices.Sort(names)
	for _, f := range names {
		if rel := report.RelPath(base, f); escapes(rel) {
			c.errorf("warning: the policy file %s is outside the base folder %s, so its results point at %s, which code scanning cannot show; run from the repository or pass --base-dir", f, base, rel)
		}
	}
}

func parseFormats(fs []string) ([]output, error) {
	if len(fs) == 0 {
		return []output{{name: "text"}}, nil
	}
	var out []output
	stdout := 0
	files := map[string]string{} // cleaned path -> the --format that writes it
	for _, f := range fs {
		name, file, _ := strings.Cut(f, "=")
		if _, ok := report.Lookup(name); !ok {
			return nil, fmt.Errorf("unknown format %q: use %s, optionally as FORMAT=FILE", name, strings.Join(report.Names(), ", "))
		}
		fd, isFD := descriptorOf(file)
		if file == "-" || isFD && fd == 1 {
			file = "" // stdout, counted as such
		} else if file == "" && strings.Contains(f, "=") {
			return nil, fmt.Errorf("--format %s: the file name is empty; use FORMAT or FORMAT=FILE", f)
		}
		if file == "" {
			stdout++
		} else {
			if err := checkOutputPath(file); err != nil {
				return nil, fmt.Errorf("--format %s: %w", f, err)
			}
			key := fmt.Sprintf("descriptor %d", fd)
			if !isFD {
				// The last name is replaced, never followed; the folders
				// above it are followed, so two spellings of one folder meet.
				key = realPath(file)
			}
			if first, dup := files[key]; dup {
				return nil, fmt.Errorf("--format %s and --format %s write the same file; give each its own", first, f)
			}
			files[key] = f
		}
		out = append(out, output{name: name, file: file})
	}
	if stdout > 1 {
		return nil, errors.New("more than one --format writes to stdout; give all but one a file: --format json=report.json")
	}
	return out, nil
}

func parseFailOn(s string) (checks.Severity, error) {
	switch sev := checks.Severity(s); sev {
	case checks.SeverityError, checks.SeverityWarning, checks.SeverityNote, checks.SeverityNone:
		return sev, nil
	}
	return "", fmt.Errorf("--fail-on %q: use error, warning, note or none", s)
}

func (c Command) writeOutputs(res *report.Result, outs []output) int {
	return c.writeRendered(outs, func(o output, w io.Writer) error {
		f, _ := report.Lookup(o.name)
		return f(w, res)
	})
}

// writeRendered writes each output as render makes it: to stdout, to a
// descriptor, or to a file replaced whole. Every output is made before any
// is written, and every file written beside its path before any replaces
// it, so that an output that cannot be made or written leaves the reports
// in files as they were (a rename that fails after others were done is
// still an error, exit 3).
func (c Command) writeRendered(outs []output, render func(o output, w io.Writer) error) int {
	bufs := make([][]byte, len(outs))
	for i, o := range outs {
		var buf bytes.Buffer
		if err := render(o, &buf); err != nil {
			c.errorf("writing %s output: %v", o.name, err)
			return ExitSource
		}
		bufs[i] = buf.Bytes()
	}
	// Stdout, descriptors, devices and FIFOs first: written as they are,
	// they cannot be taken back, and a run killed while it writes them
	// (a closed pipe, Ctrl-C at a FIFO without reader) leaves no file made.
	direct := make([]bool, len(outs))
	for i, o := range outs {
		_, fd := descriptorOf(o.file)
		if direct[i] = o.file == "" || fd || isDeviceOrFIFO(o.file); !direct[i] {
			continue
		}
		if err := c.writeDirect(o.file, bufs[i]); err != nil {
			if o.file == "" {
				c.errorf("writing %s output: %v", o.name, err)
			} else {
				c.errorf("writing %s: %v", o.file, err)
			}
			return ExitSource
		}
	}
	var files []*stagedFile
	defer func() {
		for i := len(files) - 1; i >= 0; i-- { // the last staged first: an earlier one may have made its folder
			files[i].abort()
		}
	}()
	for i, o := range outs {
		if direct[i] {
			continue
		}
		f, err := stageFile(o.file, bufs[i], 0o644)
		if err != nil {
			c.errorf("writing %s: %v", o.file, err)
			return ExitSource
		}
		files = append(files, f)
	}
	for len(files) > 0 {
		f := files[0]
		if err := f.commit(); err != nil {
			c.errorf("writing %s: %v", f.path, err)
			return ExitSource
		}
		files = files[1:]
	}
	return ExitOK
}

// writeDirect writes data as it is: to stdout (file ""), to one of this
// process's descriptors, or to a device or FIFO.
func (c Command) writeDirect(file string, data []byte) error {
	if fd, ok := descriptorOf(file); ok {
		return writeDescriptor(c.Stderr, fd, file, data)
	}
	if file == "" {
		_, err := c.Stdout.Write(data)
		return err
	}
	return writeOpen(file, os.O_WRONLY, data)
}

// descriptorOf returns the descriptor number when path names one of this
// process's open files: /dev/stdout, /dev/stderr, /dev/fd/N (as bash's
// process substitution gives) or /proc/self/fd/N. A report goes to that
// descriptor as it is open (appending when it was opened to append), never
// to the path opened again or replaced.
func descriptorOf(path string) (int, bool) {
	p := filepath.Clean(path)
	switch p {
	case "/dev/stdout":
		return 1, true
	case "/dev/stderr":
		return 2, true
	}
	for _, dir := range []string{"/dev/fd/", "/proc/self/fd/"} {
		if n, ok := strings.CutPrefix(p, dir); ok {
			if fd, err := strconv.Atoi(n); err == nil && fd >= 0 && strconv.Itoa(fd) == n {
				return fd, true
			}
		}
	}
	return 0, false
}

// writeDescriptor writes data to the process's descriptor fd named path:
// stderr is the command's own; another is opened again to append, so that
// a file it redirects keeps what is already in it (a pipe or terminal is
// written to as usual).
func writeDescriptor(stderr io.Writer, fd int, path string, data []byte) error {
	if fd == 2 {
		_, err := stderr.Write(data)
		return err
	}
	return writeOpen(path, os.O_WRONLY|os.O_APPEND, data)
}

// writeOpen writes data to the existing file path opened with flag.
func writeOpen(path string, flag int, data []byte) error {
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// checkOutputPath refuses an output path that is or names a folder, and one
// inside the working folder whose folders lead out of it through a symbolic
// link: a link checked out with a repository must not send a report
// elsewhere.
func checkOutputPath(path string) error {
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a folder; give a file name in it", path)
	}
	if _, ok := descriptorOf(path); ok {
		return nil
	}
	// A name that ends in a separator, "." or ".." is a folder's, whether
	// it exists or not: writing it would make the folder, then fail.
	if os.IsPathSeparator(path[len(path)-1]) || filepath.Base(path) == "." || filepath.Base(path) == ".." {
		return fmt.Errorf("%s names a folder; give a file name in it", path)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil
	}
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(cwd, abs)
	}
	realCwd, err := filepath.EvalSymlinks(cwd)
	if err != nil {
		return nil
	}
	raw, err := fspath.Abs(path)
	if err != nil {
		return nil
	}
	// Where the system writes the report (in "l/../f", ".." is the parent
	// of the folder the link l leads to), and where the text says it goes.
	real, ok := fspath.RealDir(raw)
	text := filepath.Clean(path) // the place the text names, from the working folder's real place
	if !filepath.IsAbs(text) {
		text = filepath.Join(realCwd, text)
	}
	named, _ := fspath.RealDir(text)
	// A place the user named outside the working folder is theirs to
	// name; a path inside it, or one whose links take it elsewhere than
	// its text says, must not lead out through a link.
	if ok && !within(realCwd, real) && (within(cwd, abs) || real != named) {
		return fmt.Errorf("the folder of %s leads out of the working folder through a symbolic link (to %s); give a path without the link", path, real)
	}
	return nil
}

// within reports whether path is base or inside it.
func within(base, path string) bool {
	rel, err := filepath.Rel(base, path)
	return err == nil && !escapes(filepath.ToSlash(rel))
}

// escapes reports whether a relative path (forward slashes) leads out of
// the folder it is relative to.
func escapes(rel string) bool { return rel == ".." || strings.HasPrefix(rel, "../") }

// rewritePolicy replaces a policy file with its formatted text: through a
// symbolic link to its target (the user named the policy), keeping the
// file's permissions.
func rewritePolicy(path string, data []byte) error {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return writeFileMode(path, data, fi.Mode().Perm())
}

// writeFileMode writes data to a new file beside path, with permissions
// perm, and renames it over path, so that a reader never sees half a
// report (see stageFile).
func writeFileMode(path string, data []byte, perm os.FileMode) error {
	if isDeviceOrFIFO(path) {
		return writeOpen(path, os.O_WRONLY, data)
	}
	f, err := stageFile(path, data, perm)
	if err != nil {
		return err
	}
	defer f.abort()
	return f.commit()
}

// isDeviceOrFIFO reports whether path is a device or a FIFO (/dev/null, a
// named pipe the user named): written to, never replaced.
func isDeviceOrFIFO(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&(os.ModeDevice|os.ModeNamedPipe) != 0
}

// stagedFile is a file written beside the path it is to replace.
type stagedFile struct {
	tmp, path string
	made      []string // the folders made for it, deepest first
}

// stageFile writes data to a new file beside path, making the missing
// folders (where the system reads "l/../new", as the checks read it). A
// symbolic link at path is replaced when it is committed, never followed
// (a link planted in a checked-out repository must not make the report
// overwrite its target).
func stageFile(path string, data []byte, perm os.FileMode) (*stagedFile, error) {
	f := &stagedFile{path: path}
	dir := fspath.RawDir(path)
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		f.made = append(f.made, d)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.abort()
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".sentinel-check-*")
	if err != nil {
		f.abort()
		return nil, err
	}
	f.tmp = tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		f.abort()
		return nil, err
	}
	return f, nil
}

// commit renames the staged file over its path.
func (f *stagedFile) commit() error {
	if err := os.Rename(f.tmp, f.path); err != nil {
		return err
	}
	f.tmp, f.made = "", nil
	return nil
}

// abort removes what stageFile made, unless committed.
func (f *stagedFile) abort() {
	if f.tmp != "" {
		os.Remove(f.tmp)
		f.tmp = ""
	}
	for _, d := range f.made {
		os.Remove(d) // only when empty: another output may have been staged there
	}
	f.made = nil
}

// resolveBaseDir defaults to the repository root (the nearest folder with
// .git), else the current directory.
// checkBaseDir refuses a --base-dir that is not a folder: every location
// in the reports would be wrong.
func checkBaseDir(dir string) error {
	if dir == "" {
		return nil
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("--base-dir %s: %w; give the folder that report paths are relative to (the repository root)", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("--base-dir %s is a file, not a folder; give the folder that report paths are relative to (the repository root)", dir)
	}
	return nil
}

func resolveBaseDir(dir string) string {
	if dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			return abs
		}
		return dir
	}
	if ws := os.Getenv("GITHUB_WORKSPACE"); ws != "" {
		return ws
	}
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return wd
		}
		d = parent
	}
}

// relativeTo resolves a cloudtrail block's relative path against the
// folder of the policy file that declares it; URLs pass unchanged.
func relativeTo(src, policyFile string) string {
	if src == "" || strings.Contains(src, ":") || filepath.IsAbs(src) || policyFile == "" {
		return src
	}
	return filepath.Join(filepath.Dir(policyFile), src)
}

// errorf writes one line of error to stderr. Its values may come from
// CloudTrail (file names, S3 keys, AWS messages quote them): control
// characters are neutralised, so that no value can move the cursor or
// start a workflow command on a line of its own in a GitHub Actions log.
func (c Command) errorf(format string, args ...any) {
	fmt.Fprintf(c.Stderr, "sentinel-check: %s\n", safetext.Line(report.Neutralize(fmt.Sprintf(format, args...))))
}

func (c Command) usageError(err error) int {
	c.errorf("%v", err)
	return ExitUsage
}

// runError maps an error from opening or reading sources to an exit code;
// a run stopped by a signal is interrupted, whatever the error it caused.
func (c Command) runError(ctx context.Context, err error) int {
	if ctx.Err() != nil {
		c.errorf("interrupted: nothing was checked and no report was written")
		return ExitInterrupted
	}
	var ue *engine.UsageError
	var pe *engine.PolicyError
	switch {
	case errors.As(err, &ue):
		c.errorf("%v", err)
		return ExitUsage
	case errors.As(err, &pe):
		_ = policyhcl.WriteDiagnostics(c.Stderr, pe.Files, pe.Diags, 100, false)
		return ExitUsage
	}
	// Several sources that failed at once: one line each.
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			c.errorf("%v", e)
		}
		return ExitSource
	}
	c.errorf("%v", err)
	return ExitSource
}
