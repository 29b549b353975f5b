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
	for _, w := range []string{"1", "3"} {
		var out, errOut bytes.Buffer
		if code := run([]string{"-workers", w, dir}, &out, &errOut); code != 0 {
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
	if code := run([]string{dir}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "c.json.gz") {
		t.Errorf("corrupt file: exit %d, stderr %q", code, errOut.String())
	}
	if code := run(nil, &out, &errOut); code != 2 {
		t.Errorf("no folder: exit %d, want 2", code)
	}
}
