package actiontest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sentinel-check/sentinel-check/internal/testsvc"

	"go.yaml.in/yaml/v4"
)

// yamlSource is one YAML document the repository ships: the action, a
// workflow, or a workflow shown in the docs (line is where it starts).
type yamlSource struct {
	name string
	line int // line of the document's first line in name
	src  []byte
}

// docsAction is how the docs refer to this repository's action.
const docsAction = "sentinel-check/sentinel-check@main"

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// docsWorkflows returns the workflows shown in docs/github-action.md and
// in the README.
func docsWorkflows(t testing.TB, root string) []yamlSource {
	t.Helper()
	var out []yamlSource
	for _, name := range []string{"docs/github-action.md", "README.md"} {
		md, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range yamlBlock.FindAllSubmatchIndex(md, -1) {
			block := md[m[2]:m[3]]
			if !strings.Contains(string(block), "\njobs:") {
				continue
			}
			line := strings.Count(string(md[:m[2]]), "\n") + 1
			out = append(out, yamlSource{name: name, line: line, src: block})
			n++
		}
		if name == "docs/github-action.md" && n < 2 {
			t.Fatalf("%s shows %d workflows, want the complete workflow and the pull-request one", name, n)
		}
	}
	return out
}

func shippedYAML(t testing.TB, root string) []yamlSource {
	t.Helper()
	var out []yamlSource
	files := append([]string{filepath.Join(root, "action.yml")}, workflowFiles(t, root)...)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		out = append(out, yamlSource{name: rel, line: 1, src: src})
	}
	return append(out, docsWorkflows(t, root)...)
}

// visit calls fn for every key and value of every mapping in n.
func visit(n *yaml.Node, fn func(key, val *yaml.Node)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			fn(n.Content[i], n.Content[i+1])
		}
	}
	for _, c := range n.Content {
		visit(c, fn)
	}
}

func parseYAML(t *testing.T, s yamlSource) *yaml.Node {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(s.src, &root); err != nil {
		t.Fatalf("%s:%d: %v", s.name, s.line, err)
	}
	return &root
}

// No ${{ }} inside a script: a value expanded into shell source can
// become shell code. Values go through env: instead.
func TestNoExpressionsInScripts(t *testing.T) {
	root := testsvc.RepoRoot(t)
	runs := 0
	for _, s := range shippedYAML(t, root) {
		visit(parseYAML(t, s), func(k, v *yaml.Node) {
			if k.Value != "run" {
				return
			}
			runs++
			if strings.Contains(v.Value, "${{") {
				t.Errorf("%s:%d: a run: script holds a ${{ }} expression: pass the value through env: and read it as \"$NAME\"", s.name, s.line+k.Line-1)
			}
		})
	}
	if runs < 6 {
		t.Fatalf("found %d run: scripts, the walk over the YAML is broken", runs)
	}
}

var (
	pinnedUses = regexp.MustCompile(`^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)(/[A-Za-z0-9_./-]+)?@([0-9a-f]{40})$`)
	versionTag = regexp.MustCompile(`^# v\d+\.\d+\.\d+$`)
)

// Every action from another repository is pinned to a full commit SHA
// with its release in a comment, and one action has one pin everywhere.
func TestActionsPinned(t *testing.T) {
	root := testsvc.RepoRoot(t)
	pins := map[string]string{} // owner/repo -> sha and tag
	where := map[string]string{}
	count := 0
	for _, s := range shippedYAML(t, root) {
		visit(parseYAML(t, s), func(k, v *yaml.Node) {
			if k.Value != "uses" || v.Kind != yaml.ScalarNode {
				return
			}
			at := fmt.Sprintf("%s:%d", s.name, s.line+v.Line-1)
			uses := v.Value
			if strings.HasPrefix(uses, "./") || (strings.HasSuffix(s.name, ".md") && uses == docsAction) {
				return
			}
			count++
			m := pinnedUses.FindStringSubmatch(uses)
			if m == nil {
				t.Errorf("%s: uses: %s is not pinned to a full commit SHA (owner/repo@<40 hex digits> # vX.Y.Z)", at, uses)
				return
			}
			comment := strings.TrimSpace(v.LineComment)
			if !versionTag.MatchString(comment) {
				t.Errorf("%s: uses: %s has comment %q, want the release it pins, e.g. # v1.2.3", at, uses, comment)
			}
			pin := m[3] + " " + comment
			if prev, ok := pins[m[1]]; ok && prev != pin {
				t.Errorf("%s: %s is pinned to %s, but to %s at %s", at, m[1], pin, prev, where[m[1]])
			}
			pins[m[1]], where[m[1]] = pin, at
		})
	}
	if count < 5 {
		t.Fatalf("found %d uses: of other repositories, the walk over the YAML is broken", count)
	}
}

// The control for the two checks above.
func TestHygieneChecksCatch(t *testing.T) {
	src := yamlSource{name: "probe.yml", line: 1, src: []byte("steps:\n  - uses: actions/checkout@v7 # v7.0.1\n  - run: echo ${{ inputs.x }}\n")}
	var sawRun, sawUnpinned bool
	visit(parseYAML(t, src), func(k, v *yaml.Node) {
		if k.Value == "run" && strings.Contains(v.Value, "${{") {
			sawRun = true
		}
		if k.Value == "uses" && pinnedUses.FindStringSubmatch(v.Value) == nil && v.LineComment == "# v7.0.1" {
			sawUnpinned = true
		}
	})
	if !sawRun || !sawUnpinned {
		t.Errorf("the YAML walk missed the probe's problems: expression in run %v, unpinned uses %v", sawRun, sawUnpinned)
	}
}

// The workflows in the docs and the README are valid: actionlint checks them with the docs'
// reference to this action resolved to the local action.yml, so their
// inputs are checked against it.
func TestDocsWorkflowsLint(t *testing.T) {
	root := testsvc.RepoRoot(t)
	for _, s := range docsWorkflows(t, root) {
		src := strings.ReplaceAll(string(s.src), "uses: "+docsAction, "uses: ./")
		if src == string(s.src) {
			t.Errorf("%s:%d: the workflow does not use %s", s.name, s.line, docsAction)
		}
		for _, e := range lint(t, root, filepath.Join(root, ".github", "workflows", "docs-example.yml"), []byte(src)) {
			t.Errorf("%s:%d:%d: %s [%s]", s.name, s.line+e.Line-1, e.Column, e.Message, e.Kind)
		}
	}
}

var tableRow = regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\| ([^|]*) \\|")

// docsTable returns the first column and the second of the table under
// the heading.
func docsTable(t *testing.T, md, heading string) map[string]string {
	t.Helper()
	i := strings.Index(md, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("docs/github-action.md has no %q section", heading)
	}
	section := md[i+len(heading)+2:]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	rows := map[string]string{}
	for _, m := range tableRow.FindAllStringSubmatch(section, -1) {
		rows[m[1]] = strings.TrimSpace(m[2])
	}
	return rows
}

// The inputs and outputs tables match action.yml: every name, and the
// inputs' defaults.
func TestDocsTables(t *testing.T) {
	root := testsvc.RepoRoot(t)
	a, err := LoadAction(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "docs", "github-action.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	inputs := docsTable(t, md, "## Inputs")
	for name, in := range a.Inputs {
		got, ok := inputs[name]
		if !ok {
			t.Errorf("input %s is missing from the docs' inputs table", name)
			continue
		}
		want := "(empty)"
		if in.Default != nil && *in.Default != "" {
			want = "`" + *in.Default + "`"
		}
		if got != want {
			t.Errorf("the docs give input %s the default %s, action.yml has %s", name, got, want)
		}
	}
	for name := range inputs {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("the docs list input %s, which action.yml does not declare", name)
		}
	}
	outputs := docsTable(t, md, "## Outputs")
	for name := range a.Outputs {
		if _, ok := outputs[name]; !ok {
			t.Errorf("output %s is missing from the docs' outputs table", name)
		}
	}
	for name := range outputs {
		if _, ok := a.Outputs[name]; !ok {
			t.Errorf("the docs list output %s, which action.yml does not declare", name)
		}
	}
	if len(inputs) == 0 || len(outputs) == 0 {
		t.Fatal("the docs' tables were not found")
	}
}
