package cloudtrail

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sentinel-check/sentinel-check/internal/trailgen"
)

var (
	genOnce sync.Once
	genDir  string
	genSum  trailgen.Summary
	genErr  error
)

// generatedTrail writes a small generated trail once per test binary.
func generatedTrail(t testing.TB) (string, trailgen.Summary) {
	t.Helper()
	genOnce.Do(func() {
		genDir, genErr = os.MkdirTemp("", "cloudtrail-gen-")
		if genErr == nil {
			genSum, genErr = trailgen.Generate(trailgen.Options{Out: genDir, Records: 20000, Files: 8, Seed: 42, AssumeRoleRate: 0.03})
		}
	})
	if genErr != nil {
		t.Fatal(genErr)
	}
	return genDir, genSum
}

func TestMain(m *testing.M) {
	code := m.Run()
	if genDir != "" {
		os.RemoveAll(genDir)
	}
	os.Exit(code)
}

func generatedFiles(t testing.TB) []string {
	dir, _ := generatedTrail(t)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".json.gz") {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated files: %v", err)
	}
	return files
}

// TestGeneratedTrailMatchesReference compares the fast decoder with the
// plain one on generated files, gzipped and not, and in the export shapes.
func TestGeneratedTrailMatchesReference(t *testing.T) {
	for _, f := range generatedFiles(t) {
		gz, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		evs, st, err := decode(gz, f, FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st.AssumeRole == 0 {
			t.Fatalf("%s: no assume-role records", f)
		}
		compareWithReference(t, gz, f, evs, st)
	}
	_, sum := generatedTrail(t)
	dir, _ := generatedTrail(t)
	_, st, err := readAll(t, NewFileSource([]string{dir}, FileOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != sum.Records || st.AssumeRole != sum.AssumeRole || st.Bytes != sum.Bytes || st.Files != sum.Files {
		t.Errorf("stats %+v, generator's summary %+v", st, sum)
	}
}
