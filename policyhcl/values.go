package policyhcl

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// decoder collects the diagnostics of one Load.
type decoder struct {
	diags hcl.Diagnostics
}

func (d *decoder) add(sev hcl.DiagnosticSeverity, rng hcl.Range, summary, detail string, args ...any) {
	r := rng
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: sev,
		Summary:  summary,
		Detail:   fmt.Sprintf(detail, args...),
		Subject:  &r,
	})
}

func (d *decoder) errorf(rng hcl.Range, summary, detail string, args ...any) {
	d.add(hcl.DiagError, rng, summary, detail, args...)
}

func (d *decoder) warnf(rng hcl.Range, summary, detail string, args ...any) {
	d.add(hcl.DiagWarning, rng, summary, detail, args...)
}

// warnWhole is a warning about the whole policy, at no place in it.
func (d *decoder) warnWhole(summary, detail string) {
	d.diags = append(d.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: detail})
}

// value evaluates a literal expression: no variables, no functions. It
// reports hcl's own diagnostics, with a friendlier one for an unquoted word.
func (d *decoder) value(name string, expr hcl.Expression) (cty.Value, bool) {
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		if st, ok := expr.(*hclsyntax.ScopeTraversalExpr); ok && len(st.Traversal) == 1 {
			word := st.Traversal.RootName()
			d.errorf(expr.Range(), "Unquoted string",
				"%s is read as a variable reference, but policy values must be literals. Put the text in double quotes: %q.",
				word, word)
			return cty.NilVal, false
		}
		for _, diag := range diags {
			if diag.Severity == hcl.DiagError && strings.Contains(diag.Summary, "not allowed") {
				diag.Detail += " Policy values must be literals: strings in double quotes, numbers, true/false, and lists of them."
			}
		}
		d.diags = append(d.diags, diags...)
		return cty.NilVal, false
	}
	d.diags = append(d.diags, diags...)
	if !v.IsWhollyKnown() {
		d.errorf(expr.Range(), "Invalid value", "The value of %s cannot be known while reading the policy; use a literal value.", name)
		return cty.NilVal, false
	}
	if v.IsNull() {
		d.errorf(expr.Range(), "Invalid value", "%s must not be null; set a value or remove the argument.", name)
		return cty.NilVal, false
	}
	return v, true
}

// str reads a string attribute.
func (d *decoder) str(attr *hcl.Attribute) (string, bool) {
	return d.strExpr(fmt.Sprintf("%q", attr.Name), attr.Expr)
}

func (d *decoder) strExpr(name string, expr hcl.Expression) (string, bool) {
	v, ok := d.value(name, expr)
	if !ok {
		return "", false
	}
	if v.Type() != cty.String {
		d.errorf(expr.Range(), "Incorrect value type",
			"%s must be a string, got %s. Put the value in double quotes.", name, v.Type().FriendlyName())
		return "", false
	}
	return v.AsString(), true
}

// strList reads a list of strings with the range of each element. ok is
// false when the attribute is not a list of strings; elements that are
// not strings are reported and left out.
func (d *decoder) strList(attr *hcl.Attribute) ([]string, []hcl.Range, bool) {
	exprs, ldiags := hcl.ExprList(attr.Expr)
	if ldiags.HasErrors() {
		// Not a [ ... ] literal: evaluate it whole.
		v, ok := d.value(fmt.Sprintf("%q", attr.Name), attr.Expr)
		if !ok {
			return nil, nil, false
		}
		ty := v.Type()
		if ty == cty.String {
			d.errorf(attr.Expr.Range(), "Incorrect value type",
				"%q must be a list of strings; write it in brackets: %s = [%q].", attr.Name, attr.Name, v.AsString())
			return nil, nil, false
		}
		if !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
			d.errorf(attr.Expr.Range(), "Incorrect value type",
				"%q must be a list of strings, like [\"a\", \"b\"]; got %s.", attr.Name, ty.FriendlyName())
			return nil, nil, false
		}
		var out []string
		var rngs []hcl.Range
		good := true
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			if ev.IsNull() || ev.Type() != cty.String {
				d.errorf(attr.Expr.Range(), "Incorrect value type",
					"%q must be a list of strings; an element is %s.", attr.Name, ev.Type().FriendlyName())
				good = false
				continue
			}
			out = append(out, ev.AsString())
			rngs = append(rngs, attr.Expr.Range())
		}
		return out, rngs, good
	}
	out := make([]string, 0, len(exprs))
	rngs := make([]hcl.Range, 0, len(exprs))
	good := true
	for i, e := range exprs {
		s, ok := d.strExpr(fmt.Sprintf("Element %d of %q", i+1, attr.Name), e)
		if !ok {
			good = false
			continue
		}
		out = append(out, s)
		rngs = append(rngs, e.Range())
	}
	return out, rngs, good
}

// boolean reads a bool attribute.
func (d *decoder) boolean(attr *hcl.Attribute) (bool, bool) {
	v, ok := d.value(fmt.Sprintf("%q", attr.Name), attr.Expr)
	if !ok {
		return false, false
	}
	if v.Type() != cty.Bool {
		d.errorf(attr.Expr.Range(), "Incorrect value type",
			"%q must be true or false (without quotes), got %s.", attr.Name, v.Type().FriendlyName())
		return false, false
	}
	return v.True(), true
}

// number reads a number attribute.
func (d *decoder) number(attr *hcl.Attribute) (float64, bool) {
	v, ok := d.value(fmt.Sprintf("%q", attr.Name), attr.Expr)
	if !ok {
		return 0, false
	}
	if v.Type() != cty.Number {
		d.errorf(attr.Expr.Range(), "Incorrect value type",
			"%q must be a number (without quotes), got %s.", attr.Name, v.Type().FriendlyName())
		return 0, false
	}
	f, _ := v.AsBigFloat().Float64()
	return f, true
}

// hasControl reports whether s holds a control character.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
