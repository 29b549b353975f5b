package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestMeasure(t *testing.T) {
	var out, errOut bytes.Buffer
	// A command that allocates and spins a little, so that RSS and time are
	// above zero.
	if code := run([]string{"-label", "sh", "--", "sh", "-c", "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	f := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\t")
	if len(f) != 5 || f[0] != "sh" {
		t.Fatalf("line %q, want label, wall, cpu, rss, others' cpu", out.String())
	}
	for _, v := range f[1:] {
		if x, err := strconv.ParseFloat(v, 64); err != nil || x < 0 {
			t.Errorf("field %q of %q is not a non-negative number", v, out.String())
		}
	}
	if rss, _ := strconv.ParseFloat(f[3], 64); rss <= 0 {
		t.Errorf("peak RSS %s MB, want above 0", f[3])
	}

	// -o appends, one line per run.
	file := filepath.Join(t.TempDir(), "runs.tsv")
	for range 2 {
		if code := run([]string{"-o", file, "-label", "x", "-quiet", "1ms", "--", "true"}, &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
	}
	data, err := os.ReadFile(file)
	if err != nil || strings.Count(string(data), "x\t") != 2 {
		t.Errorf("runs file %q (%v), want two lines", data, err)
	}
}

func TestMeasureFailures(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--", "sh", "-c", "exit 3"}, 3, "failed"},
		{[]string{"--", "/nonexistent/command"}, 2, "cannot run"},
		{[]string{}, 2, "no command"},
	} {
		var out, errOut bytes.Buffer
		code := run(c.args, &out, &errOut)
		if code != c.code || !strings.Contains(errOut.String(), c.msg) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, out.String(), errOut.String(), c.code, c.msg)
		}
	}
}
