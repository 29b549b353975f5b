package policyhcl

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestDiagnosticsGolden loads each testdata/diag/<case>.hcl and compares
// the diagnostics, as WriteDiagnostics shows them, with <case>.out. The
// case named "color" is written with ANSI colors.
func TestDiagnosticsGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "diag", "*.hcl"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".hcl")
		t.Run(name, func(t *testing.T) {
			p, diags := Load([]string{path}, Options{KnownChecks: knownChecks})
			var buf bytes.Buffer
			if err := WriteDiagnostics(&buf, p.HCLFiles, diags, 100, name == "color"); err != nil {
				t.Fatal(err)
			}
			if name == "valid" && len(diags) != 0 {
				t.Errorf("valid.hcl must load without diagnostics")
			}
			if name != "valid" && len(diags) == 0 {
				t.Errorf("%s.hcl must produce diagnostics", name)
			}
			golden := filepath.Join("testdata", "diag", name+".out")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestDiagnosticsGolden -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("diagnostics differ from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", golden, buf.String(), want)
			}
		})
	}
}
