package fspath

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRawDir(t *testing.T) {
	for in, want := range map[string]string{
		"f": ".", "/f": "/", "a/f": "a", "a/link/../f": "a/link/..", "a//f": "a/", "/a/b/f": "/a/b",
	} {
		if got := RawDir(in); got != want {
			t.Errorf("RawDir(%q) = %q, want %q", in, got, want)
		}
	}
}

// Real follows ".." after a link as the system does: filepath.Clean
// would drop the link.
func TestReal(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"work", "outside/sub"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "outside", "sub"), filepath.Join(dir, "work", "l")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(dir, "work"))
	for in, want := range map[string]string{
		"l/../r.json":     filepath.Join(dir, "outside", "r.json"),
		"r.json":          filepath.Join(dir, "work", "r.json"),
		dir + "/work/l/x": filepath.Join(dir, "outside", "sub", "x"),
	} {
		if got, ok := Real(in); !ok || got != want {
			t.Errorf("Real(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if got, ok := RealDir("missing/r.json"); !ok || got != filepath.Join(dir, "work", "missing") {
		t.Errorf("RealDir of a relative path in a missing folder = %q, %v", got, ok)
	}
	// Folders yet to be made are appended to the nearest that exists.
	for in, want := range map[string]string{
		"missing/deeper/r.json":  filepath.Join(dir, "work", "missing", "deeper", "r.json"),
		"l/../new/r.json":        filepath.Join(dir, "outside", "new", "r.json"),
		"l//../new//deep/r.json": filepath.Join(dir, "outside", "new", "deep", "r.json"),
	} {
		if got, ok := Real(in); !ok || got != want {
			t.Errorf("Real(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
