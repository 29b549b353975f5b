package checks

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/checks.md and the README's check table")

const beginMarker = "<!-- checks:begin (generated from the registry by `go test ./checks -update`) -->\n"
const endMarker = "<!-- checks:end -->"

// TestDocsUpToDate keeps docs/checks.md and the README's table in step with
// the registry.
func TestDocsUpToDate(t *testing.T) {
	root := filepath.Join("..")
	ref := filepath.Join(root, "docs", "checks.md")
	readme := filepath.Join(root, "README.md")

	got, _ := os.ReadFile(ref)
	want := Reference()
	rm, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(rm), beginMarker)
	j := strings.Index(string(rm), endMarker)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the check table markers %q … %q", beginMarker, endMarker)
	}
	newReadme := string(rm[:i+len(beginMarker)]) + Table() + string(rm[j:])
	if *update {
		if err := os.WriteFile(ref, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(readme, []byte(newReadme), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(got) != want {
		t.Errorf("docs/checks.md is stale: run go test ./checks -update")
	}
	if string(rm) != newReadme {
		t.Errorf("README.md's check table is stale: run go test ./checks -update")
	}
}

// TestRegistry checks the metadata every consumer relies on.
func TestRegistry(t *testing.T) {
	ids := map[string]bool{}
	names := map[string]bool{}
	for _, c := range All() {
		m := c.Meta()
		if ids[m.ID] || names[m.Name] {
			t.Errorf("duplicate check %s %s", m.ID, m.Name)
		}
		ids[m.ID], names[m.Name] = true, true
		if m.Title == "" || m.Doc == "" || m.HelpURL == "" || len(m.Tags) == 0 || m.SecuritySeverity == "" || m.Precision == "" {
			t.Errorf("%s: incomplete metadata %+v", m.ID, m)
		}
		if m.DefaultSeverity.Rank() == 0 {
			t.Errorf("%s: default severity %q", m.ID, m.DefaultSeverity)
		}
		if strings.HasSuffix(m.Title, ".") {
			t.Errorf("%s: title ends with a period", m.ID)
		}
		if got, ok := Lookup(m.Name); !ok || got.Meta().ID != m.ID {
			t.Errorf("Lookup(%q) failed", m.Name)
		}
		if got, ok := Lookup(m.ID); !ok || got.Meta().Name != m.Name {
			t.Errorf("Lookup(%q) failed", m.ID)
		}
	}
	want := []string{"SC0001", "SC1001", "SC1002", "SC1003", "SC1004", "SC1005", "SC2001", "SC2002"}
	for _, id := range want {
		if !ids[id] {
			t.Errorf("check %s is not registered", id)
		}
	}
	if len(ids) != len(want) {
		t.Errorf("registered %d checks, want %d", len(ids), len(want))
	}
}
