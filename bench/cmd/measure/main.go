// Command measure runs a command and prints one tab-separated line: a label,
// the wall time and the CPU time (user+sys) in seconds, the peak resident
// set size in MB (MiB), and the CPU seconds that other processes used while
// it ran. Time, CPU and peak come from the kernel's accounting of the child
// (wait4's rusage: for a shell pipeline, CPU is summed over the processes
// the shell waited for and the peak is the largest of them); the CPU of
// other processes is the machine's busy time in /proc/stat minus the
// command's own, "nan" where /proc/stat does not exist:
//
//	measure -label check -- bin/sentinel-check check …
//	check	1.234	2.345	21.5	0.02
//
// On a shared machine, -quiet waits (up to the given time) until other
// processes leave the CPUs idle before the command starts.
//
// The command's own output goes where measure's goes. A command that exits
// with an error makes measure fail with its exit code, so that a benchmark
// never reports the time of a failed run.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	fs.SetOutput(stderr)
	label := fs.String("label", "run", "first field of the output line")
	out := fs.String("o", "", "append the line to this file instead of printing it")
	quiet := fs.Duration("quiet", 0, "wait up to this long for other processes to leave the CPUs idle (below 0.1 CPU over 1s) before starting")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "measure: no command; usage: measure [-label L] [-o FILE] [-quiet 30s] -- COMMAND [ARG…]")
		return 2
	}
	if *quiet > 0 && !waitQuiet(*quiet) {
		fmt.Fprintf(stderr, "measure: %s: other processes kept the CPUs busy for %v; measuring anyway\n", *label, *quiet)
	}
	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	busy0, statOK := busyCPU()
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	busy1, statOK1 := busyCPU()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		fmt.Fprintf(stderr, "measure: cannot run %s: %v\n", fs.Arg(0), err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "measure: %s failed (%v); no figures recorded\n", *label, err)
		if code := exitErr.ExitCode(); code > 0 {
			return code
		}
		return 1
	}
	cpu, rss, ok := usage(cmd.ProcessState)
	if !ok {
		fmt.Fprintln(stderr, "measure: the system reports no peak memory for the command; run it on Linux or macOS")
		return 2
	}
	others := "nan"
	if statOK && statOK1 {
		others = fmt.Sprintf("%.2f", max(0, (busy1-busy0)-cpu.Seconds()))
	}
	line := fmt.Sprintf("%s\t%.3f\t%.3f\t%.1f\t%s\n", *label, wall.Seconds(), cpu.Seconds(), rss, others)
	if *out == "" {
		_, err = io.WriteString(stdout, line)
	} else {
		var f *os.File
		if f, err = os.OpenFile(*out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
			_, err = io.WriteString(f, line)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "measure: writing the result: %v\n", err)
		return 2
	}
	return 0
}

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux port.
const clockTicks = 100

// busyCPU returns the CPU seconds all processes have used since boot, from
// the first line of /proc/stat (user, nice, system, irq, softirq, steal).
func busyCPU() (float64, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return 0, false
	}
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, false
	}
	var busy float64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return 0, false
		}
		busy += v
	}
	return busy / clockTicks, true
}

// waitQuiet waits until the machine's CPUs were busy for less than 0.1 CPU
// seconds during one second, or until limit passed; it reports whether they
// were.
func waitQuiet(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		b0, ok := busyCPU()
		time.Sleep(time.Second)
		b1, ok1 := busyCPU()
		if !ok || !ok1 || b1-b0 < 0.1 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
