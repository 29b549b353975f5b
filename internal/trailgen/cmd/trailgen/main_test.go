package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	code := run([]string{"-out", dir, "-records", "500", "-files", "2", "-seed", "9", "-sessions", filepath.Join(dir, "s.jsonl")}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var sum struct {
		Files, Records int64
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.Files != 2 || sum.Records != 500 {
		t.Errorf("summary %s (%v)", out.String(), err)
	}
	for _, args := range [][]string{{}, {"-out", dir, "-start", "monday"}, {"-nope"}} {
		errOut.Reset()
		if code := run(args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "-") {
			t.Errorf("%v: exit %d, %q", args, code, errOut.String())
		}
	}
}
