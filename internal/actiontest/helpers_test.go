package actiontest

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
	cliOut  []byte
	cliDir  string
)

var (
	tempOnce sync.Once
	tempDir  string
	tempErr  error
)

// runnerTemp is RUNNER_TEMP for every run of the action in this package:
// shared, so the action's go build finds its binary up to date and only
// the first run links it (each run's reports go to a folder of its own).
func runnerTemp(t testing.TB) string {
	t.Helper()
	tempOnce.Do(func() { tempDir, tempErr = os.MkdirTemp("", "sentinel-check-runner-") })
	if tempErr != nil {
		t.Fatal(tempErr)
	}
	return tempDir
}

// TestMain removes what the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{cliDir, tempDir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// cli builds sentinel-check once for the package's tests.
func cli(t testing.TB) string {
	t.Helper()
	root := testsvc.RepoRoot(t)
	cliOnce.Do(func() {
		cliDir, cliErr = os.MkdirTemp("", "sentinel-check-cli-")
		if cliErr != nil {
			return
		}
		cliPath = filepath.Join(cliDir, "sentinel-check")
		cmd := exec.Command("go", "build", "-o", cliPath, "./cmd/sentinel-check")
		cmd.Dir = root
		cliOut, cliErr = cmd.CombinedOutput()
	})
	if cliErr != nil {
		t.Fatalf("build sentinel-check: %v\n%s", cliErr, cliOut)
	}
	return cliPath
}

// copyTree copies the folder src to dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sarifDoc is the part of a SARIF log the tests read.
type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		AutomationDetails struct {
			ID string `json:"id"`
		} `json:"automationDetails"`
		Results []sarifResult `json:"results"`
	} `json:"runs"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	Level     string `json:"level"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine int `json:"startLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
	} `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          struct {
		Profile string `json:"profile"`
		Role    string `json:"role"`
	} `json:"properties"`
}

func readSARIF(t testing.TB, path string) *sarifDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the SARIF log: %v", err)
	}
	var doc sarifDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s is not JSON: %v", path, err)
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 {
		t.Fatalf("%s: version %q with %d runs, want SARIF 2.1.0 with one run", path, doc.Version, len(doc.Runs))
	}
	return &doc
}
