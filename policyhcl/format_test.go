package policyhcl

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"aligns and indents", "rule \"r\" {\neffect=\"allow\"\n      profiles    =   [ \"a\",\"b\" ]\n}\n",
			"rule \"r\" {\n  effect   = \"allow\"\n  profiles = [\"a\", \"b\"]\n}\n"},
		{"one-line block with several arguments becomes multi-line",
			"rule \"r\" {\n  effect = \"allow\"\n  time {\n    hours { start = \"08:00\"  end = \"20:00\" }\n  }\n}\n",
			"rule \"r\" {\n  effect = \"allow\"\n  time {\n    hours {\n      start = \"08:00\"\n      end   = \"20:00\"\n    }\n  }\n}\n"},
		{"one-line block with one argument stays", "profile \"p\" { role_arns = [\"x\"] }\n", "profile \"p\" { role_arns = [\"x\"] }\n"},
		{"adds the final newline", "check \"SC1001\" {\n  enabled = true\n}", "check \"SC1001\" {\n  enabled = true\n}\n"},
		{"drops trailing blank lines", "cloudtrail {\n  source = \"./logs\"\n}\n\n\n\n", "cloudtrail {\n  source = \"./logs\"\n}\n"},
		{"keeps comments", "# policy\nrule \"r\" { # why\n  effect = \"deny\" # no\n}\n", "# policy\nrule \"r\" {        # why\n  effect = \"deny\" # no\n}\n"},
		{"no space before the bracket after a trailing comma", "profile \"p\" {\n  role_arns = [\"a\",\"b\",]\n  x = f(1,2,  )\n  y = [\n    \"a\",\n  ]\n  z = {a = 1,}\n}\n",
			"profile \"p\" {\n  role_arns = [\"a\", \"b\",]\n  x         = f(1, 2,)\n  y = [\n    \"a\",\n  ]\n  z = { a = 1, }\n}\n"},
		{"a comment that ends a line of a split block adds no blank line", "rule \"r\" { effect = \"allow\" # why\n reason = \"x\" }\nrule \"s\" { effect = \"deny\" // why\n\treason = \"y\" }\n",
			"rule \"r\" {\n  effect = \"allow\" # why\n  reason = \"x\"\n}\nrule \"s\" {\n  effect = \"deny\" // why\n  reason = \"y\"\n}\n"},
		{"a comment after a trailing comma stays in its column", "a = [1, ] # c\nbb = f(2, 3,) // d\nccc = 4 # e\n",
			"a   = [1,]      # c\nbb  = f(2, 3,)  // d\nccc = 4         # e\n"},
		{"empty file", "", ""},
		{"formats without checking meaning", "unknown_block {\nfoo=1\n}\n", "unknown_block {\n  foo = 1\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := Format("p.hcl", []byte(tt.in))
			if diags.HasErrors() {
				t.Fatalf("Format: %v", diags)
			}
			if string(got) != tt.want {
				t.Errorf("Format:\n%s\nwant:\n%s", got, tt.want)
			}
			again, _ := Format("p.hcl", got)
			if !bytes.Equal(again, got) {
				t.Errorf("Format is not idempotent:\n%s\nthen:\n%s", got, again)
			}
		})
	}
}

func TestFormatSpecExampleLoadsTheSame(t *testing.T) {
	out, diags := Format("policy.hcl", []byte(specExample))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	before := mustLoad(t, map[string]string{"policy.hcl": specExample})
	after := mustLoad(t, map[string]string{"policy.hcl": string(out)})
	bt, at := before.Rules[0].Time, after.Rules[0].Time
	if len(before.Rules) != len(after.Rules) || !reflect.DeepEqual(bt.Days, at.Days) || bt.Start != at.Start || bt.End != at.End || bt.Location.String() != at.Location.String() {
		t.Error("formatting changed the policy")
	}
	if !strings.Contains(string(out), "hours {\n      start = \"08:00\"\n      end   = \"20:00\"\n    }") {
		t.Errorf("the one-line hours block was not expanded:\n%s", out)
	}
}

func TestFormatRefusesSyntaxErrors(t *testing.T) {
	src := []byte("rule \"r\" {\n  effect = \"allow\"\n  profiles = [\"a\" \"b\"]\n}\n")
	out, diags := Format("bad.hcl", src)
	if out != nil || !diags.HasErrors() {
		t.Fatalf("Format = %q, %v; want no output and an error", out, diags)
	}
	if d := diags[0]; d.Subject == nil || d.Subject.Filename != "bad.hcl" || d.Subject.Start.Line != 3 {
		t.Errorf("the error must point at bad.hcl line 3: %v", d.Subject)
	}
	if _, diags := Format("big.hcl", bytes.Repeat([]byte("#"), MaxFileSize+1)); !diags.HasErrors() {
		t.Error("Format must refuse an oversized file")
	}
}

func TestWriteDiagnostics(t *testing.T) {
	src := "rule \"r\" {\n\teffect = \"é-alow\"\n}\n"
	files := map[string]*hcl.File{"p.hcl": {Bytes: []byte(src)}}
	start := strings.Index(src, `"é`)
	end := start + len(`"é-alow"`)
	subject := hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: 2, Column: 11, Byte: start}, End: hcl.Pos{Line: 2, Column: 19, Byte: end}}
	multi := hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: 1, Column: 1, Byte: 0}, End: hcl.Pos{Line: 3, Column: 2, Byte: len(src) - 1}}
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Invalid effect", Detail: "A long detail that will be wrapped at the given width because it goes on and on.", Subject: &subject},
		{Severity: hcl.DiagWarning, Summary: "Whole block", Detail: "Only the first line is shown.", Subject: &multi},
		{Severity: hcl.DiagError, Summary: "No range", Detail: "Cannot read policy path \"x\"."},
		{Severity: hcl.DiagError, Summary: "Unknown file", Subject: &hcl.Range{Filename: "other.hcl", Start: hcl.Pos{Line: 4, Column: 2, Byte: 40}}},
		{Severity: hcl.DiagError, Summary: "Escapes \x1b[31m", Detail: "are\x1b]0; dropped", Subject: &hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: 9, Column: 1, Byte: 9999}}},
	}
	var b strings.Builder
	if err := WriteDiagnostics(&b, files, diags, 40, false); err != nil {
		t.Fatal(err)
	}
	want := "p.hcl:2:11: error: Invalid effect\n" +
		" 2 | \teffect = \"é-alow\"\n" +
		"   | \t         ^~~~~~~~\n" +
		"  A long detail that will be wrapped at\n" +
		"  the given width because it goes on and\n" +
		"  on.\n" +
		"\n" +
		"p.hcl:1:1: warning: Whole block\n" +
		" 1 | rule \"r\" {\n" +
		"   | ^~~~~~~~~~\n" +
		"  Only the first line is shown.\n" +
		"\n" +
		"error: No range\n" +
		"  Cannot read policy path \"x\".\n" +
		"\n" +
		"other.hcl:4:2: error: Unknown file\n" +
		"\n" +
		"p.hcl:9:1: error: Escapes ?[31m\n" +
		"  are?]0; dropped\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if err := WriteDiagnostics(failingWriter{}, files, diags, 0, true); err == nil {
		t.Error("a write error must be returned")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, bytes.ErrTooLarge }

// Format never changes what a policy means: input whose layout hclwrite
// would merge into other tokens is refused, and so is input that is not
// UTF-8.
func TestFormatRefusesChangingTokens(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"a number and a dot", "check \"SC1001\" {\n  min_compliance = 99 .5\n}\n", "would join or split tokens"},
		{"a number and a dot with an exponent", "x = 0 .e0\n", "would join or split tokens"},
		{"not UTF-8", "x = 1 # \xea\n", "not valid UTF-8"},
	} {
		out, diags := Format("p.hcl", []byte(tc.src))
		if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
			t.Errorf("%s: %q, %v; want an error saying %q", tc.name, out, diags, tc.want)
		}
	}
	// What keeps its tokens is formatted as before.
	if out, diags := Format("p.hcl", []byte("x=1 # c\ny = [ 1,2 ]\n")); diags.HasErrors() || string(out) != "x = 1 # c\ny = [1, 2]\n" {
		t.Errorf("plain layout: %q, %v", out, diags)
	}
}

// A file with CRLF line ends keeps them, its last line too: formatting it
// twice changes nothing.
func TestFormatCRLF(t *testing.T) {
	out, diags := Format("p.hcl", []byte("x=1\r\ny = 2\r\n"))
	if diags.HasErrors() || string(out) != "x = 1\r\ny = 2\r\n" {
		t.Fatalf("%q, %v", out, diags)
	}
	if again, _ := Format("p.hcl", out); string(again) != string(out) {
		t.Errorf("formatting again changed %q into %q", out, again)
	}
	for _, tc := range []struct{ in, want string }{
		// The lines that splitting a one-line block adds end in CRLF too.
		{"rule \"r\" { effect = \"allow\"  reason = \"x\" }\r\n", "rule \"r\" {\r\n  effect = \"allow\"\r\n  reason = \"x\"\r\n}\r\n"},
		{"time {\r\n  hours { start = \"08:00\" end = \"20:00\" }\r\n}\r\n",
			"time {\r\n  hours {\r\n    start = \"08:00\"\r\n    end   = \"20:00\"\r\n  }\r\n}\r\n"},
		// An LF file with a CRLF in it ends as it starts, in LF.
		{"x = 1\n# a note\r\ny = 2\n", "x = 1\n# a note\r\ny = 2\n"},
		// A CRLF file with a lone LF keeps its lines as they are.
		{"x = 1\r\n# a note\ny = 2\r\n", "x = 1\r\n# a note\ny = 2\r\n"},
	} {
		out, diags := Format("p.hcl", []byte(tc.in))
		if diags.HasErrors() || string(out) != tc.want {
			t.Errorf("Format(%q) = %q, %v; want %q", tc.in, out, diags, tc.want)
		}
	}
}

// A policy line quoted in a diagnostic shows its bidi overrides, zero-width
// spaces and C1 controls as '?': they cannot reorder or hide the text on
// a terminal.
func TestWriteDiagnosticsInvisible(t *testing.T) {
	src := "profile \"a\u202egnp\u200b\u009b\" {\n}\n"
	files := map[string]*hcl.File{"p.hcl": {Bytes: []byte(src)}}
	subject := hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: 1, Column: 1, Byte: 0}, End: hcl.Pos{Line: 1, Column: 8, Byte: 7}}
	var b strings.Builder
	if err := WriteDiagnostics(&b, files, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Bad \u202ename", Subject: &subject}}, 80, false); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.ContainsAny(out, "\u202e\u200b\u009b") || !strings.Contains(out, `profile "a?gnp??" {`) || !strings.Contains(out, "Bad ?name") {
		t.Errorf("output %q: want the invisible characters as ?", out)
	}
}
