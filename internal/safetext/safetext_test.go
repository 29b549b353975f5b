package safetext

import "testing"

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
