package safetext

import (
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"::error title=x::y":          `\::error title=x::y`,
		"  ::add-mask::secret":        `  \::add-mask::secret`,
		"a.hcl:1:2: error: ::x":       "a.hcl:1:2: error: ::x",
		"see ##[error]forged":         `see ##\[error]forged`,
		"##[set-output name=x;]y ##[": `##\[set-output name=x;]y ##\[`,
		"plain text":                  "plain text",
		"\t::warning::x":              "\t\\::warning::x",
		"\u00a0::error::x":            "\u00a0\\::error::x",
		"\u2003 ::notice::x":          "\u2003 \\::notice::x",
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
	if got, want := Lines("ok\n  ::error::x\n##[debug]y"), "ok\n  \\::error::x\n##\\[debug]y"; got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefg…"},
		{"日本語日本語", 8, "日…"}, // never cuts inside a rune
		{"abc", 0, "…"},
	}
	for _, tt := range tests {
		got := Clip(tt.in, tt.n)
		if got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) is not valid UTF-8", tt.in, tt.n)
		}
	}
}

func TestPrefix(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc"},
		{"AAé", 3, "AA"}, // never cuts inside a rune
		{"AAé", 4, "AAé"},
		{"日本", 5, "日"},
		{"abc", 0, ""},
		{"abc", -1, ""},
		{"a\xff\xfeb", 2, "a\xff"}, // invalid bytes are their own characters
	}
	for _, tt := range tests {
		if got := Prefix(tt.in, tt.n); got != tt.want {
			t.Errorf("Prefix(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
