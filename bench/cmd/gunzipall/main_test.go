package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

func writeGzip(t *testing.T, path string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGunzipAll(t *testing.T) {
	dir := t.TempDir()
	writeGzip(t, filepath.Join(dir, "a.json.gz"), bytes.Repeat([]byte("x"), 100000))
	writeGzip(t, filepath.Join(dir, "sub", "b.json.gz"), []byte(`{"Records":[]}`))
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not read"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-workers", "1"}, {"-workers", "3"}, {"-workers", "1", "-whole"}, {"-workers", "1", "-read"}, {"-workers", "3", "-whole", "-read"}} {
		w := args[1]
		var out, errOut bytes.Buffer
		if code := run(append(args, dir), &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		if want := "files 2 decompressed_bytes 100014 workers " + w + "\n"; out.String() != want {
			t.Errorf("printed %q, want %q", out.String(), want)
		}
	}

	// A corrupt file fails the run, naming it.
	bad := filepath.Join(dir, "sub", "c.json.gz")
	if err := os.WriteFile(bad, []byte{0x1f, 0x8b, 8, 0, 0, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{dir}, {"-whole", "-read", dir}} {
		if code := run(args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "c.json.gz") {
			t.Errorf("corrupt file, %v: exit %d, stderr %q", args[:len(args)-1], code, errOut.String())
		}
	}
	if code := run(nil, &out, &errOut); code != 2 {
		t.Errorf("no folder: exit %d, want 2", code)
	}
}
