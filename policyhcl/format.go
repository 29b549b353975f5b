package policyhcl

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in canonical HCL layout (hclwrite's: aligned equals
// signs, two-space indentation, normalised spacing), ending with a single
// newline. A file that does not parse is not formatted: the syntax errors
// are returned instead. Format checks syntax only, not the policy's
// meaning.
func Format(filename string, src []byte) ([]byte, hcl.Diagnostics) {
	if len(src) > MaxFileSize {
		return nil, hcl.Diagnostics{pathError("Policy file too large",
			"Policy file %q is %d bytes, more than the %d bytes allowed.", filename, len(src), MaxFileSize)}
	}
	ps := parse(filename, src)
	if ps.diags.HasErrors() {
		return nil, ps.diags
	}
	out := hclwrite.Format(ps.text)
	// One final newline, none when the file is empty.
	end := len(out)
	for end > 0 && (out[end-1] == '\n' || out[end-1] == '\r' || out[end-1] == ' ' || out[end-1] == '\t') {
		end--
	}
	if end == 0 {
		return []byte{}, nil
	}
	return append(out[:end:end], '\n'), nil
}
