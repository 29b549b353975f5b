package actiontest

import (
	"fmt"
	"strings"
)

// Context is what an expression can read: the contexts a composite
// action's steps see. Only the forms sentinel-check's action uses are
// supported; anything else is an error, never a guess.
type Context struct {
	// Inputs are the action's inputs by lower-case name, defaults applied.
	Inputs map[string]string
	// Github holds github.* properties (workspace, action_path, ...).
	Github map[string]string
	// Runner holds runner.* properties (temp, os, ...).
	Runner map[string]string
	// Steps maps a step id to its outputs; a declared step that has not run
	// has a nil map (its outputs read as the empty string).
	Steps map[string]map[string]string
	// Failed is the job status that success(), failure() and always() read.
	Failed bool
}

// Interpolate replaces every ${{ expression }} in s with the expression's
// value as a string.
func (c *Context) Interpolate(s string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${{")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return "", fmt.Errorf("unterminated ${{ in %q: close it with }}", s)
		}
		v, err := c.Eval(s[i+3 : i+j])
		if err != nil {
			return "", err
		}
		b.WriteString(s[:i])
		b.WriteString(toString(v))
		s = s[i+j+2:]
	}
}

// Condition evaluates a step's if: as the runner does: an optional
// ${{ }} wrapper, and an implicit success() && unless the condition calls a
// status function itself. An empty condition is success().
func (c *Context) Condition(cond string) (bool, error) {
	cond = strings.TrimSpace(cond)
	if strings.HasPrefix(cond, "${{") && strings.HasSuffix(cond, "}}") && strings.Count(cond, "${{") == 1 {
		cond = strings.TrimSpace(cond[3 : len(cond)-2])
	}
	if cond == "" {
		return !c.Failed, nil
	}
	v, err := c.Eval(cond)
	if err != nil {
		return false, err
	}
	ok := truthy(v)
	if !callsStatus(cond) {
		ok = ok && !c.Failed
	}
	return ok, nil
}

func callsStatus(cond string) bool {
	for _, f := range []string{"always(", "success(", "failure(", "cancelled("} {
		if strings.Contains(cond, f) {
			return true
		}
	}
	return false
}

// Eval evaluates one expression (without the ${{ }}): property paths,
// string literals, true/false, ==, !=, !, &&, ||, parentheses and the
// status functions.
func (c *Context) Eval(expr string) (any, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, ctx: c, src: expr}
	v, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("expression %q: unexpected %q after the end", expr, p.toks[p.pos].text)
	}
	return v, nil
}

type tokKind int

const (
	tokIdent tokKind = iota
	tokString
	tokOp
)

type token struct {
	kind tokKind
	text string
}

func isIdentStart(r byte) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func isIdentPart(r byte) bool {
	return isIdentStart(r) || r == '-' || r >= '0' && r <= '9'
}

func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		switch ch := s[i]; {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
		case ch == '\'':
			var b strings.Builder
			j := i + 1
			for ; ; j++ {
				if j >= len(s) {
					return nil, fmt.Errorf("expression %q: unterminated string literal", s)
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' { // '' is an escaped quote
						b.WriteByte('\'')
						j++
						continue
					}
					break
				}
				b.WriteByte(s[j])
			}
			toks = append(toks, token{tokString, b.String()})
			i = j + 1
		case isIdentStart(ch):
			j := i
			for j < len(s) && (isIdentPart(s[j]) || s[j] == '.') {
				j++
			}
			toks = append(toks, token{tokIdent, s[i:j]})
			i = j
		default:
			op := ""
			for _, o := range []string{"==", "!=", "&&", "||", "!", "(", ")"} {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, fmt.Errorf("expression %q: %q is not supported here (property paths, 'strings', ==, !=, !, &&, ||, parentheses and status functions are)", s, s[i:])
			}
			toks = append(toks, token{tokOp, op})
			i += len(op)
		}
	}
	return toks, nil
}

type parser struct {
	toks []token
	pos  int
	ctx  *Context
	src  string
}

func (p *parser) peekOp(op string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == tokOp && p.toks[p.pos].text == op
}

func (p *parser) or() (any, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peekOp("||") {
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		if !truthy(l) {
			l = r
		}
	}
	return l, nil
}

func (p *parser) and() (any, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peekOp("&&") {
		p.pos++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		if truthy(l) {
			l = r
		}
	}
	return l, nil
}

func (p *parser) unary() (any, error) {
	if p.peekOp("!") {
		p.pos++
		v, err := p.unary()
		if err != nil {
			return nil, err
		}
		return !truthy(v), nil
	}
	return p.compare()
}

func (p *parser) compare() (any, error) {
	l, err := p.primary()
	if err != nil {
		return nil, err
	}
	if p.peekOp("==") || p.peekOp("!=") {
		op := p.toks[p.pos].text
		p.pos++
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		eq, err := p.equal(l, r)
		if err != nil {
			return nil, err
		}
		return eq == (op == "=="), nil
	}
	return l, nil
}

// equal compares like the runner for the types supported: strings
// case-insensitively, booleans exactly. Mixed types are an error: the
// runner's numeric coercion is not modelled.
func (p *parser) equal(l, r any) (bool, error) {
	switch lv := l.(type) {
	case string:
		if rv, ok := r.(string); ok {
			return strings.EqualFold(lv, rv), nil
		}
	case bool:
		if rv, ok := r.(bool); ok {
			return lv == rv, nil
		}
	}
	return false, fmt.Errorf("expression %q: comparing %T with %T is not supported; compare strings with strings", p.src, l, r)
}

func (p *parser) primary() (any, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("expression %q ends early", p.src)
	}
	t := p.toks[p.pos]
	p.pos++
	switch t.kind {
	case tokString:
		return t.text, nil
	case tokOp:
		if t.text != "(" {
			return nil, fmt.Errorf("expression %q: unexpected %q", p.src, t.text)
		}
		v, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.peekOp(")") {
			return nil, fmt.Errorf("expression %q: missing )", p.src)
		}
		p.pos++
		return v, nil
	}
	switch t.text {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	if p.peekOp("(") {
		p.pos++
		if !p.peekOp(")") {
			return nil, fmt.Errorf("expression %q: %s() takes no arguments here", p.src, t.text)
		}
		p.pos++
		switch t.text {
		case "always":
			return true, nil
		case "success":
			return !p.ctx.Failed, nil
		case "failure":
			return p.ctx.Failed, nil
		case "cancelled":
			return false, nil
		}
		return nil, fmt.Errorf("expression %q: function %s() is not supported (always, success, failure and cancelled are)", p.src, t.text)
	}
	return p.ctx.property(t.text)
}

// property resolves a dotted path.
func (c *Context) property(path string) (any, error) {
	parts := strings.Split(path, ".")
	lookup := func(m map[string]string, key string) (any, error) {
		v, ok := m[key]
		if !ok {
			return nil, fmt.Errorf("%s is not defined", path)
		}
		return v, nil
	}
	switch {
	case len(parts) == 2 && parts[0] == "inputs":
		return lookup(c.Inputs, strings.ToLower(parts[1]))
	case len(parts) == 2 && parts[0] == "github":
		return lookup(c.Github, parts[1])
	case len(parts) == 2 && parts[0] == "runner":
		return lookup(c.Runner, parts[1])
	case len(parts) == 4 && parts[0] == "steps" && parts[2] == "outputs":
		outs, ok := c.Steps[parts[1]]
		if !ok {
			return nil, fmt.Errorf("%s: no step has id %q", path, parts[1])
		}
		return outs[parts[3]], nil // a step that has not run, or did not set it: ""
	}
	return nil, fmt.Errorf("%s is not supported: use inputs.NAME, github.NAME, runner.NAME or steps.ID.outputs.NAME", path)
}

func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v != ""
	}
	return v != nil
}

func toString(v any) string {
	switch v := v.(type) {
	case bool:
		if v {
			return "true"
		}
		return "false"
	case string:
		return v
	}
	return fmt.Sprint(v)
}
