package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentinel-check/sentinel-check/internal/trailgen"
)

func TestReadTrail(t *testing.T) {
	dir := t.TempDir()
	sum, err := trailgen.Generate(trailgen.Options{Out: dir, Records: 3000, Files: 3, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"-workers", "2", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	want := fmt.Sprintf("files 3 records 3000 assume_role %d workers 2\n", sum.AssumeRole)
	if sum.AssumeRole == 0 || out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}

	// An unreadable file fails the run, naming it.
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"Records":[{]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run([]string{dir}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "bad.json") {
		t.Errorf("bad file: exit %d, stderr %q", code, errOut.String())
	}
	if code := run(nil, &out, &errOut); code != 2 {
		t.Errorf("no path: exit %d, want 2", code)
	}
}
