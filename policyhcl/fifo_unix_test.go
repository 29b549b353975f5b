//go:build unix

package policyhcl

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A named pipe in a policy folder is an error that names it, never opened:
// with no writer, opening it would wait forever.
func TestFilesRefusesFIFOInFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.hcl"), []byte(`profile "p" { role_arns = ["arn:aws:iam::111122223333:role/P"] }`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "b.hcl"), 0o644); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
	names, diags := Files([]string{dir})
	if !diags.HasErrors() || !strings.Contains(diags.Error(), `"b.hcl"`) || !strings.Contains(diags.Error(), "is a named pipe, not a regular file") {
		t.Fatalf("diagnostics %v, want an error naming b.hcl as a named pipe", diags)
	}
	if len(names) != 1 || filepath.Base(names[0]) != "a.hcl" {
		t.Errorf("files %v, want only a.hcl", names)
	}
	// Load returns (does not block) with the same error.
	if _, diags := Load([]string{dir}, Options{}); !diags.HasErrors() {
		t.Error("Load of a folder with a named pipe has no error")
	}
}
