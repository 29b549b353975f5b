package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/internal/safetext"
)

func TestNeutralize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain ascii: a-b_c/d", "plain ascii: a-b_c/d"},
		{"\x1b[31mred", `\x1b[31mred`},
		{"a\r\nb", `a\x0d\x0ab`},
		{"bell\a", `bell\x07`},
		{"tab\there", `tab\x09here`},
		{"del\x7f", `del\x7f`},
		{"nul\x00", `nul\x00`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"nel \u0085", `nel \u0085`},
		{"\u202egnp.exe", `\u202egnp.exe`},
		{"iso \u2066x\u2069", `iso \u2066x\u2069`},
		{"marks \u200e\u200f\u061c", `marks \u200e\u200f\u061c`},
		{"seps \u2028\u2029", `seps \u2028\u2029`},
		{"bad \xff\xfe", `bad \xff\xfe`},
		{"truncated \xe2\x82", `truncated \xe2\x82`},
		{"unicode kept: é ü 日本 🔒 …", "unicode kept: é ü 日本 🔒 …"},
		{"zero width joiner kept: 👩\u200d💻", "zero width joiner kept: 👩\u200d💻"},
		// Invisible characters that make one value look like another.
		{"Prod\u200bAdmin", `Prod\u200bAdmin`},
		{"zw\u200cnj \u200dj\u2060wj \ufeffbom soft\u00adhyphen", `zw\u200cnj \u200dj\u2060wj \ufeffbom soft\u00adhyphen`},
		{"filler \u3164 \u115f", `filler \u3164 \u115f`},
		{"tag \U000e0041", `tag \U000e0041`},
		{"blanks a\u2800b a\u00a0b a\u2003b a\u202fb a\u3000b", `blanks a\u2800b a\u00a0b a\u2003b a\u202fb a\u3000b`},
		{"joiner after a letter a\u200d💻", `joiner after a letter a\u200d💻`},
		{"Prod\u034fAdmin Prod\ufe00Admin \u180b \U000e0100", `Prod\u034fAdmin Prod\ufe00Admin \u180b \U000e0100`},
		{"emoji presentation kept: ❤\ufe0f, after a letter: a\ufe0f", `emoji presentation kept: ❤` + "\ufe0f" + `, after a letter: a\ufe0f`},
		{"joiner after a kept selector: ❤\ufe0f\u200d🔥", "joiner after a kept selector: ❤\ufe0f\u200d🔥"},
		{"joiner after an escaped selector: ev-x\ufe0f\u200d💻", `joiner after an escaped selector: ev-x\ufe0f\u200d💻`},
	}
	for _, tt := range tests {
		if got := Neutralize(tt.in); got != tt.want {
			t.Errorf("Neutralize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a|b", `a\|b`},
		{`a\|b`, `a\\\|b`},
		{"`code`", "\\`code\\`"},
		{"[x](http://e)", `\[x\](http&#58;//e)`},
		{"see https://phish.example and www.phish.example", `see https&#58;//phish.example and www\.phish.example`},
		{"arn:aws:iam::1:role/R", "arn:aws:iam::1:role/R"},
		{"ftp://x.example", "ftp&#58;//x.example"},
		{"<b>&amp;", "&lt;b&gt;&amp;amp;"},
		{"line\nnext", `line\\x0anext`},
		{"*a* _b_ ~c~ #d $e$", `\*a\* \_b\_ \~c\~ \#d \$e\$`},
	}
	for _, tt := range tests {
		if got := MarkdownText(tt.in); got != tt.want {
			t.Errorf("MarkdownText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// unescapeData undoes the escaping as the Actions runner does
// (ActionCommand.Unescape*: one Replace per mapping, %25 last).
func unescapeData(s string) string {
	for _, m := range [][2]string{{"%0D", "\r"}, {"%0A", "\n"}, {"%25", "%"}} {
		s = strings.ReplaceAll(s, m[0], m[1])
	}
	return s
}

func unescapeProperty(s string) string {
	for _, m := range [][2]string{{"%0D", "\r"}, {"%0A", "\n"}, {"%3A", ":"}, {"%2C", ","}, {"%25", "%"}} {
		s = strings.ReplaceAll(s, m[0], m[1])
	}
	return s
}

func TestEscapeDataProperty(t *testing.T) {
	tests := []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"k:v,w", "k:v,w", "k%3Av%2Cw"},
		{"%0A", "%250A", "%250A"},
		{"::add-mask::x", "::add-mask::x", "%3A%3Aadd-mask%3A%3Ax"},
	}
	for _, tt := range tests {
		if got := EscapeData(tt.in); got != tt.data {
			t.Errorf("EscapeData(%q) = %q, want %q", tt.in, got, tt.data)
		}
		if got := EscapeProperty(tt.in); got != tt.prop {
			t.Errorf("EscapeProperty(%q) = %q, want %q", tt.in, got, tt.prop)
		}
	}
}

// addHostile seeds a fuzz target with the hostile values.
func addHostile(f *testing.F) {
	for _, v := range hostileValues {
		f.Add(v)
	}
}

// FuzzGitHubEscape: escaped data and properties never hold a raw CR or LF
// (nor, for properties, ':' or ','), the runner's unescaping gives the
// input back, and an annotation built from any message is one workflow
// command on one line.
func FuzzGitHubEscape(f *testing.F) {
	addHostile(f)
	f.Add("%%0A%250D%3A%2C")
	f.Fuzz(func(t *testing.T, s string) {
		d := EscapeData(s)
		if strings.ContainsAny(d, "\r\n") {
			t.Fatalf("EscapeData(%q) = %q holds CR or LF", s, d)
		}
		if got := unescapeData(d); got != s {
			t.Fatalf("unescape(EscapeData(%q)) = %q", s, got)
		}
		p := EscapeProperty(s)
		if strings.ContainsAny(p, "\r\n:,") {
			t.Fatalf("EscapeProperty(%q) = %q holds CR, LF, ':' or ','", s, p)
		}
		if got := unescapeProperty(p); got != s {
			t.Fatalf("unescape(EscapeProperty(%q)) = %q", s, got)
		}

		a := annotation{kind: "error", loc: location{File: s, Line: 1, Column: 1}, title: s, message: s}
		line := a.command()
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("annotation for %q spans lines: %q", s, line)
		}
		props, _, ok := parseCommand(line)
		if !ok {
			t.Fatalf("annotation for %q does not parse: %q", s, line)
		}
		if props["title"] != Neutralize(safetext.Clip(s, ghMaxTitle)) || props["file"] != Neutralize(s) {
			t.Fatalf("annotation for %q: properties %q", s, props)
		}
	})
}

var commandLine = regexp.MustCompile(`^::(error|warning|notice)( [^:]*)?::(.*)$`)

// parseCommand parses a workflow command line as the runner does: the
// properties end at the first "::"; each is key=value, separated by ",".
func parseCommand(line string) (props map[string]string, data string, ok bool) {
	m := commandLine.FindStringSubmatch(line)
	if m == nil {
		return nil, "", false
	}
	props = map[string]string{}
	if m[2] != "" {
		for _, kv := range strings.Split(strings.TrimPrefix(m[2], " "), ",") {
			k, v, found := strings.Cut(kv, "=")
			if !found || props[k] != "" {
				return nil, "", false
			}
			switch k {
			case "file", "line", "endLine", "col", "endColumn", "title":
			default:
				return nil, "", false
			}
			props[k] = unescapeProperty(v)
		}
	}
	return props, unescapeData(m[3]), true
}

// forbidden are the runes no text, markdown or github output may carry
// raw: they drive terminals or hide text.
func forbiddenRune(r rune) bool {
	return (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || safetext.Invisible(r)
}

// TestInjection renders the hostile values in every format and checks
// that none can do harm in its medium.
func TestInjection(t *testing.T) {
	r := hostileResult()

	t.Run("text", func(t *testing.T) {
		out := string(render(t, "text", r))
		checkNoForbidden(t, out)
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "::") {
				t.Errorf("a line starts a workflow command: %q", line)
			}
		}
	})

	t.Run("github", func(t *testing.T) {
		out := string(render(t, "github", r))
		checkNoForbidden(t, out)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(r.Findings) { // 5 errors, 5 warnings, 6 notes: all shown
			t.Errorf("%d lines for %d findings", len(lines), len(r.Findings))
		}
		for i, line := range lines {
			props, data, ok := parseCommand(line)
			if !ok {
				t.Errorf("line %d is not one well-formed command: %q", i, line)
				continue
			}
			if i < len(r.Findings) {
				f := r.Findings[i]
				if want := Neutralize(f.Message); data != want {
					t.Errorf("line %d: message %q, want %q", i, data, want)
				}
				if props["file"] != "policies/prod.hcl" {
					t.Errorf("line %d: file %q", i, props["file"])
				}
			}
		}
	})

	t.Run("markdown", func(t *testing.T) {
		out := string(render(t, "markdown", r))
		checkNoForbidden(t, out)
		if strings.ContainsAny(out, "<>") {
			t.Error("markdown holds a raw < or >")
		}
		// No GFM autolink: a value's URL must not render as a link.
		if strings.Contains(out, "://") || strings.Contains(out, "www.") {
			t.Error("markdown holds a URL that GitHub would turn into a link")
		}
		for _, line := range strings.Split(out, "\n") {
			if !strings.HasPrefix(line, "|") {
				for _, c := range []string{"[", "]", "`", "|"} {
					if n := unescapedCount(line, c[0]); n > 0 {
						t.Errorf("raw %s outside a table: %q", c, line)
					}
				}
				continue
			}
			cells := unescapedCount(line, '|') - 1
			if cells != 6 && cells != 8 { // the profile table, the sources table
				t.Errorf("table row with %d cells: %q", cells, line)
			}
			for _, c := range []string{"[", "]", "`"} {
				if n := unescapedCount(line, c[0]); n > 0 {
					t.Errorf("raw %s in a table row: %q", c, line)
				}
			}
		}
	})

	t.Run("json", func(t *testing.T) {
		out := render(t, "json", r)
		if !json.Valid(out) {
			t.Fatal("invalid JSON")
		}
		// No control character, DEL, C1 control or direction mark is raw:
		// each is a \u escape, so the JSON shown in a terminal is safe.
		checkNoForbidden(t, string(out))
		var got struct {
			Findings []struct {
				Message, Role string
				Events        []string
			}
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		for i, f := range r.Findings {
			// JSON carries the values exactly (each invalid byte becomes U+FFFD).
			want := string([]rune(f.Message))
			if got.Findings[i].Message != want || got.Findings[i].Role != string([]rune(f.Role)) {
				t.Errorf("finding %d does not round-trip: %q", i, got.Findings[i].Message)
			}
			if len(f.Events) > 0 && got.Findings[i].Events[0] != string([]rune(f.Events[0])) {
				t.Errorf("finding %d: event %q", i, got.Findings[i].Events[0])
			}
		}
	})

	t.Run("sarif", func(t *testing.T) {
		out := render(t, "sarif", r)
		// As in JSON, no invisible or control character is raw in the
		// log's text (a snippet of a policy holds what the file does).
		checkNoForbidden(t, string(out))
		// A policy line with a direction override, quoted in a snippet.
		rp := hostileResult()
		src := strings.Replace(testPolicy, "profile \"prod-admin\" {", "profile \"prod-admin\" { # \u202egnp.exe \x1b[31m", 1)
		if src == testPolicy {
			t.Fatal("the test policy has no prod-admin block")
		}
		rp.PolicySources = map[string][]byte{testPolicyFile: []byte(src)}
		snip := render(t, "sarif", rp)
		checkNoForbidden(t, string(snip))
		if !strings.Contains(string(snip), `\u202egnp.exe \u001b[31m`) {
			t.Error("the snippet does not hold the policy line, escaped")
		}
		log := decodeSARIF(t, out)
		for _, res := range *log.Runs[0].Results {
			checkNoForbidden(t, res.Message.Text)
			for _, rl := range res.RelatedLocations {
				checkNoForbidden(t, rl.Message.Text)
			}
			for k, v := range res.Properties {
				checkNoForbidden(t, fmt.Sprint(k, v))
			}
		}
		// Validity against SARIF and GitHub's rules: TestSARIFMultitool
		// runs the multitool on hostile.sarif.
	})
}

// unescapedCount counts c in line where no backslash escapes it.
func unescapedCount(line string, c byte) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case c:
			n++
		}
	}
	return n
}

func checkNoForbidden(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("output is not valid UTF-8: %q", safetext.Clip(s, 200))
	}
	for i, r := range s {
		if forbiddenRune(r) {
			t.Errorf("raw %U at byte %d: %q", r, i, safetext.Clip(s[max(0, i-40):], 80))
			return
		}
	}
}

func TestGitHubCaps(t *testing.T) {
	with := func(errors, warnings, notes int) *Result {
		r := cleanResult()
		add := func(n int, sev checks.Severity) {
			for i := 0; i < n; i++ {
				r.Findings = append(r.Findings, checks.Finding{CheckID: "SC1001", Check: "untracked-session", Severity: sev,
					Profile: fmt.Sprintf("p%d", len(r.Findings)), Message: "m", Range: rangeProdAdmin})
			}
		}
		add(errors, checks.SeverityError)
		add(warnings, checks.SeverityWarning)
		add(notes, checks.SeverityNote)
		return r
	}
	tests := []struct {
		e, w, n              int
		shownE, shownW, shNo int
		overflow             string
	}{
		// An error and a warning slot stay free for the Action's verdict
		// in the same step.
		{3, 0, 0, 3, 0, 0, ""},
		{9, 9, 10, 9, 9, 10, ""},
		{10, 10, 10, 9, 9, 9, "3 more findings not shown as annotations (1 error, 1 warning, 1 notice;"},
		{11, 0, 0, 9, 0, 0, "2 more findings not shown as annotations (2 errors, 0 warnings, 0 notices;"},
		{0, 0, 11, 0, 0, 9, "2 more findings not shown as annotations (0 errors, 0 warnings, 2 notices;"},
		{50, 30, 20, 9, 9, 9, "73 more findings not shown as annotations (41 errors, 21 warnings, 11 notices;"},
	}
	for _, tt := range tests {
		out := string(render(t, "github", with(tt.e, tt.w, tt.n)))
		count := map[string]int{}
		overflow := ""
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if line == "" {
				continue
			}
			props, data, ok := parseCommand(line)
			if !ok {
				t.Fatalf("bad line %q", line)
			}
			if props["file"] == "" {
				overflow = data
				continue
			}
			count[strings.SplitN(line[2:], " ", 2)[0]]++
		}
		if count["error"] != tt.shownE || count["warning"] != tt.shownW || count["notice"] != tt.shNo {
			t.Errorf("%d/%d/%d findings: shown %v, want %d/%d/%d", tt.e, tt.w, tt.n, count, tt.shownE, tt.shownW, tt.shNo)
		}
		if (tt.overflow == "") != (overflow == "") || !strings.HasPrefix(overflow, tt.overflow) {
			t.Errorf("%d/%d/%d findings: overflow notice %q, want prefix %q", tt.e, tt.w, tt.n, overflow, tt.overflow)
		}
		if tt.overflow != "" && !strings.HasSuffix(out, "report\n") {
			t.Errorf("the overflow notice is not the last line:\n%s", out)
		}
		if notices := strings.Count("\n"+out, "\n::notice"); notices > MaxAnnotationsPerKind {
			t.Errorf("%d notices printed, GitHub shows %d", notices, MaxAnnotationsPerKind)
		}
	}
}

func TestGitHubLocation(t *testing.T) {
	r := gapsResult()
	out := string(render(t, "github", r))
	lines := strings.Split(out, "\n")
	if want := "::error file=policies/prod.hcl,line=9,endLine=12,col=1,title=SC1001 untracked-session (prod-admin)::prod-admin: 2 of 20 sessions"; !strings.HasPrefix(lines[0], want) {
		t.Errorf("first annotation %q, want prefix %q", lines[0], want)
	}
	// A one-line range has an end column; a finding without a range falls
	// back to line 1 of the first policy file.
	for _, want := range []string{
		"::warning file=policies/prod.hcl,line=19,endLine=19,col=15,endColumn=52,title=policy warning%3A Overlapping role globs::",
		"::warning file=policies/prod.hcl,line=1,col=1,title=SC2002 no-data::source s3://trail-bucket",
	} {
		if !strings.Contains(out, "\n"+want) {
			t.Errorf("output lacks %q\n%s", want, out)
		}
	}
}

// FuzzJSONInvisible: the JSON report's escaping keeps every value (the
// document decodes to what encoding/json wrote) and leaves no control,
// C1 or direction character raw.
func FuzzJSONInvisible(f *testing.F) {
	addHostile(f)
	f.Add("tag \U000e0041 zw\u200bsp")
	f.Add("ev-x\ufe0f\u200d💻") // the selector after a letter is escaped, and so is the joiner
	f.Fuzz(func(t *testing.T, s string) {
		b, err := json.Marshal(map[string]string{"v": s, s: "k"})
		if err != nil {
			t.Skip()
		}
		out := escapeJSONInvisible(b)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON after escaping: %q", out)
		}
		var before, after map[string]string
		if err := json.Unmarshal(b, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(before, after) {
			t.Fatalf("values changed: %q -> %q", before, after)
		}
		for i, r := range string(out) {
			if forbiddenRune(r) && r != '\n' {
				t.Fatalf("raw %U at byte %d of %q", r, i, out)
			}
		}
	})
}

// FuzzMarkdownText: no value can end a table row, add a cell, or become a
// link GitHub would render.
func FuzzMarkdownText(f *testing.F) {
	addHostile(f)
	f.Add("see https://x.example and www.x.example")
	f.Fuzz(func(t *testing.T, s string) {
		out := MarkdownText(s)
		if strings.ContainsAny(out, "\n\r<>") || unescapedCount(out, '|') > 0 || unescapedCount(out, '[') > 0 || unescapedCount(out, '`') > 0 {
			t.Fatalf("MarkdownText(%q) = %q", s, out)
		}
		if strings.Contains(out, "://") || strings.Contains(out, "www.") {
			t.Fatalf("MarkdownText(%q) = %q holds a link", s, out)
		}
	})
}

// No report holds a workflow command: "##[" in a value is defused in the
// text report, and written "##\u005b" in JSON and SARIF (which may be
// printed in a step's log too), where it decodes to the same value.
func TestReportsDefuseWorkflowCommands(t *testing.T) {
	r := gapsResult()
	r.Findings[0].Message = "session named x##[error]forged"
	r.Findings[0].Events = []string{"x##[stop-commands]tok"}
	txt := string(render(t, "text", r))
	if strings.Contains(txt, "##[") || !strings.Contains(txt, `x##\[error]forged`) {
		t.Errorf("text report:\n%s", txt)
	}
	for _, format := range []string{"json", "sarif"} {
		out := render(t, format, r)
		if bytes.Contains(out, []byte("##[")) {
			t.Errorf("%s holds ##[:\n%s", format, out)
		}
		if !bytes.Contains(out, []byte(`x##\u005bstop-commands]tok`)) {
			t.Errorf("%s lost the event id:\n%s", format, out)
		}
		var v any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if b, _ := json.Marshal(v); !bytes.Contains(b, []byte("x##[stop-commands]tok")) {
			t.Errorf("%s does not decode to the event id", format)
		}
	}
	// (SARIF text escapes brackets, as its messages read them as links.)
	if sarif := string(render(t, "sarif", r)); !strings.Contains(sarif, `x##\\[error\\]forged`) {
		t.Errorf("the SARIF log changed the value:\n%s", sarif)
	}
}
