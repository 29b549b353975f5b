package athenatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// The evaluator runs the SELECT dialect that sentinel-check generates, with
// Athena's semantics for it, over a Table:
//
//	SELECT expr [AS alias], … FROM "db"."table" WHERE pred AND pred …
//	expr: column, struct.field.path, 'string', json_extract_scalar(expr, '$.a.b')
//	pred: expr (= | <> | < | <= | > | >=) expr | expr IN (expr, …) | expr BETWEEN expr AND expr
//
// Anything else is a SYNTAX_ERROR, as a query Athena cannot run would be.
// Columns resolve case-insensitively against the CloudTrail table's schema
// and the table's partition columns; an unknown one is COLUMN_NOT_FOUND.
// NULL compares as unknown (false in WHERE).

type tokKind int

const (
	tkIdent tokKind = iota
	tkQuoted
	tkString
	tkOp
	tkEOF
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lex(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
			i++
		case c == '_' || isLetter(c):
			j := i + 1
			for j < len(src) && (src[j] == '_' || isLetter(src[j]) || isDigit(src[j])) {
				j++
			}
			out = append(out, token{tkIdent, src[i:j], i})
			i = j
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, syntaxErr(i, "unterminated %c", c)
				}
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(src[j])
				j++
			}
			kind := tkString
			if c == '"' {
				kind = tkQuoted
			}
			out = append(out, token{kind, b.String(), i})
			i = j + 1
		default:
			for _, op := range []string{"<=", ">=", "<>", "!=", "(", ")", ",", ".", "=", "<", ">", "*"} {
				if strings.HasPrefix(src[i:], op) {
					out = append(out, token{tkOp, op, i})
					i += len(op)
					goto next
				}
			}
			return nil, syntaxErr(i, "unexpected character %q", c)
		next:
		}
	}
	return append(out, token{tkEOF, "", len(src)}), nil
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

func syntaxErr(pos int, format string, args ...any) error {
	return fmt.Errorf("SYNTAX_ERROR: offset %d: %s", pos, fmt.Sprintf(format, args...))
}

// expr is a value expression.
type expr interface{}

type colRef struct {
	path []string
	pos  int
}

type strLit struct{ v string }

type call struct {
	name string
	args []expr
	pos  int
}

type pred struct {
	op   string // = <> < <= > >= IN BETWEEN, ISNULL, CALL (l a boolean function), OR, AND, NOT (of subs)
	l    expr
	args []expr
	subs []pred
}

type selectItem struct {
	e    expr
	name string
}

type query struct {
	items       []selectItem
	db, table   string
	where       []pred
	tablePos    int
	partitionIx []bool // per predicate: references only partition columns
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) keyword(kw string) bool {
	t := p.peek()
	if t.kind == tkIdent && strings.EqualFold(t.text, kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) op(o string) bool {
	t := p.peek()
	if t.kind == tkOp && t.text == o {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(o string) error {
	if !p.op(o) {
		t := p.peek()
		return syntaxErr(t.pos, "want %q, found %q", o, t.text)
	}
	return nil
}

func (p *parser) name() (string, error) {
	t := p.next()
	if t.kind != tkIdent && t.kind != tkQuoted {
		return "", syntaxErr(t.pos, "want a name, found %q", t.text)
	}
	return t.text, nil
}

func parse(src string) (*query, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	q := &query{}
	if !p.keyword("SELECT") {
		return nil, syntaxErr(0, "want SELECT")
	}
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		it := selectItem{e: e}
		if p.keyword("AS") {
			if it.name, err = p.name(); err != nil {
				return nil, err
			}
		} else if c, ok := e.(colRef); ok {
			it.name = c.path[len(c.path)-1]
		} else {
			it.name = fmt.Sprintf("_col%d", len(q.items))
		}
		it.name = strings.ToLower(it.name)
		q.items = append(q.items, it)
		if !p.op(",") {
			break
		}
	}
	if !p.keyword("FROM") {
		return nil, syntaxErr(p.peek().pos, "want FROM, found %q", p.peek().text)
	}
	q.tablePos = p.peek().pos
	first, err := p.name()
	if err != nil {
		return nil, err
	}
	if p.op(".") {
		q.db = first
		if q.table, err = p.name(); err != nil {
			return nil, err
		}
	} else {
		q.table = first
	}
	if p.keyword("WHERE") {
		for {
			pr, err := p.pred()
			if err != nil {
				return nil, err
			}
			q.where = append(q.where, pr)
			if !p.keyword("AND") {
				break
			}
		}
	}
	if t := p.peek(); t.kind != tkEOF {
		return nil, syntaxErr(t.pos, "unexpected %q", t.text)
	}
	return q, nil
}

func (p *parser) expr() (expr, error) {
	t := p.next()
	switch t.kind {
	case tkString:
		return strLit{t.text}, nil
	case tkIdent, tkQuoted:
		if t.kind == tkIdent && p.op("(") {
			c := call{name: strings.ToLower(t.text), pos: t.pos}
			for {
				a, err := p.expr()
				if err != nil {
					return nil, err
				}
				c.args = append(c.args, a)
				if !p.op(",") {
					break
				}
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return c, nil
		}
		c := colRef{path: []string{t.text}, pos: t.pos}
		for p.op(".") {
			n, err := p.name()
			if err != nil {
				return nil, err
			}
			c.path = append(c.path, n)
		}
		return c, nil
	}
	return nil, syntaxErr(t.pos, "want an expression, found %q", t.text)
}

var comparisons = map[string]bool{"=": true, "<>": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

// pred reads a predicate: NOT pred, a parenthesized OR of ANDs, or a
// simple one.
func (p *parser) pred() (pred, error) {
	if p.keyword("NOT") {
		sub, err := p.pred()
		return pred{op: "NOT", subs: []pred{sub}}, err
	}
	if p.op("(") {
		or := pred{op: "OR"}
		for {
			and := pred{op: "AND"}
			for {
				sub, err := p.pred()
				if err != nil {
					return pred{}, err
				}
				and.subs = append(and.subs, sub)
				if !p.keyword("AND") {
					break
				}
			}
			or.subs = append(or.subs, and)
			if !p.keyword("OR") {
				break
			}
		}
		return or, p.expect(")")
	}
	return p.simplePred()
}

func (p *parser) simplePred() (pred, error) {
	l, err := p.expr()
	if err != nil {
		return pred{}, err
	}
	if c, ok := l.(call); ok && c.name == "regexp_like" {
		return pred{op: "CALL", l: l}, nil
	}
	t := p.peek()
	switch {
	case p.keyword("IS"):
		not := p.keyword("NOT")
		if !p.keyword("NULL") {
			return pred{}, syntaxErr(p.peek().pos, "want NULL after IS")
		}
		pr := pred{op: "ISNULL", l: l}
		if not {
			pr = pred{op: "NOT", subs: []pred{pr}}
		}
		return pr, nil
	case t.kind == tkOp && comparisons[t.text]:
		p.i++
		r, err := p.expr()
		if err != nil {
			return pred{}, err
		}
		op := t.text
		if op == "!=" {
			op = "<>"
		}
		return pred{op: op, l: l, args: []expr{r}}, nil
	case p.keyword("IN"):
		if err := p.expect("("); err != nil {
			return pred{}, err
		}
		pr := pred{op: "IN", l: l}
		for {
			a, err := p.expr()
			if err != nil {
				return pred{}, err
			}
			pr.args = append(pr.args, a)
			if !p.op(",") {
				break
			}
		}
		return pr, p.expect(")")
	case p.keyword("BETWEEN"):
		lo, err := p.expr()
		if err != nil {
			return pred{}, err
		}
		if !p.keyword("AND") {
			return pred{}, syntaxErr(p.peek().pos, "want AND in BETWEEN")
		}
		hi, err := p.expr()
		if err != nil {
			return pred{}, err
		}
		return pred{op: "BETWEEN", l: l, args: []expr{lo, hi}}, nil
	}
	return pred{}, syntaxErr(t.pos, "want a comparison, found %q", t.text)
}

// schema lists the CloudTrail table's columns and struct fields (lowercase,
// dotted), as the Athena documentation's table declares them plus
// useridentity.sessioncontext.sourceidentity.
var schema = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range []string{
		"eventversion", "useridentity", "useridentity.type", "useridentity.principalid", "useridentity.arn",
		"useridentity.accountid", "useridentity.invokedby", "useridentity.accesskeyid", "useridentity.username",
		"useridentity.sessioncontext", "useridentity.sessioncontext.attributes",
		"useridentity.sessioncontext.attributes.mfaauthenticated", "useridentity.sessioncontext.attributes.creationdate",
		"useridentity.sessioncontext.sessionissuer", "useridentity.sessioncontext.sessionissuer.type",
		"useridentity.sessioncontext.sessionissuer.principalid", "useridentity.sessioncontext.sessionissuer.arn",
		"useridentity.sessioncontext.sessionissuer.accountid", "useridentity.sessioncontext.sessionissuer.username",
		"useridentity.sessioncontext.sourceidentity",
		"eventtime", "eventsource", "eventname", "awsregion", "sourceipaddress", "useragent", "errorcode",
		"errormessage", "requestparameters", "responseelements", "additionaleventdata", "requestid", "eventid",
		"resources", "eventtype", "apiversion", "readonly", "recipientaccountid", "serviceeventdetails",
		"sharedeventid", "vpcendpointid",
	} {
		m[c] = true
	}
	return m
}()

// recordKey maps a lowercase column name to the record's member names.
func lookupCI(obj map[string]any, name string) (any, bool) {
	if v, ok := obj[name]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// env evaluates expressions over one row of a table.
type env struct {
	t   *Table
	row *Row
}

// checkColumns resolves every column of q against the table, so that an
// unknown column fails the query even when the table is empty.
func (t *Table) checkColumns(q *query) error {
	var walk func(e expr) error
	walk = func(e expr) error {
		switch e := e.(type) {
		case colRef:
			return t.checkColumn(e)
		case call:
			if e.name != "json_extract_scalar" && e.name != "regexp_like" || len(e.args) != 2 {
				return fmt.Errorf("FUNCTION_NOT_FOUND: offset %d: function '%s' with %d arguments not registered", e.pos, e.name, len(e.args))
			}
			lit, ok := e.args[1].(strLit)
			if !ok {
				return fmt.Errorf("SYNTAX_ERROR: offset %d: %s needs a constant second argument", e.pos, e.name)
			}
			if e.name == "regexp_like" {
				if _, err := regexp.Compile(lit.v); err != nil {
					return fmt.Errorf("INVALID_FUNCTION_ARGUMENT: offset %d: %v", e.pos, err)
				}
			}
			for _, a := range e.args {
				if err := walk(a); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, it := range q.items {
		if err := walk(it.e); err != nil {
			return err
		}
	}
	// walkPred checks a predicate's columns and tells whether it reads
	// only partition columns.
	var walkPred func(p pred) (bool, error)
	walkPred = func(p pred) (bool, error) {
		onlyParts := true
		for _, sub := range p.subs {
			only, err := walkPred(sub)
			if err != nil {
				return false, err
			}
			onlyParts = onlyParts && only
		}
		if p.l == nil {
			return onlyParts, nil
		}
		for _, e := range append([]expr{p.l}, p.args...) {
			if err := walk(e); err != nil {
				return false, err
			}
			if c, ok := e.(colRef); ok && !t.isPartition(c) {
				onlyParts = false
			}
			if _, ok := e.(call); ok {
				onlyParts = false
			}
		}
		return onlyParts, nil
	}
	q.partitionIx = make([]bool, len(q.where))
	for i, p := range q.where {
		only, err := walkPred(p)
		if err != nil {
			return err
		}
		q.partitionIx[i] = only
	}
	return nil
}

func (t *Table) isPartition(c colRef) bool {
	if len(c.path) != 1 {
		return false
	}
	_, ok := t.partition(c.path[0])
	return ok
}

func (t *Table) partition(name string) (string, bool) {
	for col, part := range t.Partitions {
		if strings.EqualFold(col, name) {
			return part, true
		}
	}
	return "", false
}

func (t *Table) checkColumn(c colRef) error {
	if t.isPartition(c) {
		return nil
	}
	path := strings.ToLower(strings.Join(c.path, "."))
	if !schema[path] || (t.NoSourceIdentity && path == "useridentity.sessioncontext.sourceidentity") {
		return fmt.Errorf("COLUMN_NOT_FOUND: offset %d: Column '%s' cannot be resolved or requester is not authorized to access requested resources", c.pos, path)
	}
	return nil
}

func (e env) eval(x expr) *string {
	switch x := x.(type) {
	case strLit:
		v := x.v
		return &v
	case colRef:
		if part, ok := e.t.partition(x.path[0]); ok && len(x.path) == 1 {
			v, ok := e.row.Partitions[part]
			if !ok {
				return nil
			}
			return &v
		}
		var cur any = e.row.record()
		for _, name := range x.path {
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			if cur, ok = lookupCI(obj, name); !ok {
				return nil
			}
		}
		return text(cur)
	case call:
		if x.name != "json_extract_scalar" {
			return nil
		}
		doc := e.eval(x.args[0])
		path := x.args[1].(strLit).v
		if doc == nil {
			return nil
		}
		return jsonExtractScalar(*doc, path)
	}
	return nil
}

// text is a JSON value as an Athena string column holds it: strings as
// they are, other scalars as their JSON text, objects and arrays as JSON.
func text(v any) *string {
	var s string
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		s = v
	case json.Number:
		s = v.String()
	case bool:
		s = fmt.Sprint(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil
		}
		s = string(b)
	}
	return &s
}

// jsonExtractScalar is Athena's json_extract_scalar for $.a.b paths: the
// scalar at the path as text, NULL for objects, arrays, null, a missing
// member or a document that is not JSON.
func jsonExtractScalar(doc, path string) *string {
	if !strings.HasPrefix(path, "$") {
		return nil
	}
	var v any
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil
	}
	for _, key := range strings.Split(path, ".")[1:] {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok = obj[key]; !ok {
			return nil
		}
	}
	switch v.(type) {
	case map[string]any, []any, nil:
		return nil
	}
	return text(v)
}

// tri is SQL's three-valued logic: a comparison with NULL is unknown, and
// WHERE keeps only the rows whose predicates are all true.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triNull
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func (e env) test(p pred) tri {
	switch p.op {
	case "NOT":
		switch e.test(p.subs[0]) {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		}
		return triNull
	case "AND", "OR":
		unit, zero := triTrue, triFalse // AND: one false decides
		if p.op == "OR" {
			unit, zero = triFalse, triTrue // OR: one true decides
		}
		res := unit
		for _, sub := range p.subs {
			switch e.test(sub) {
			case zero:
				return zero
			case triNull:
				res = triNull
			}
		}
		return res
	case "ISNULL":
		return triOf(e.eval(p.l) == nil)
	case "CALL":
		c := p.l.(call)
		v := e.eval(c.args[0])
		if v == nil {
			return triNull
		}
		return triOf(regexp.MustCompile(c.args[1].(strLit).v).MatchString(*v))
	}
	l := e.eval(p.l)
	if l == nil {
		return triNull
	}
	switch p.op {
	case "IN":
		for _, a := range p.args {
			if r := e.eval(a); r != nil && *l == *r {
				return triTrue
			}
		}
		return triFalse
	case "BETWEEN":
		lo, hi := e.eval(p.args[0]), e.eval(p.args[1])
		if lo == nil || hi == nil {
			return triNull
		}
		return triOf(*lo <= *l && *l <= *hi)
	}
	r := e.eval(p.args[0])
	if r == nil {
		return triNull
	}
	switch p.op {
	case "=":
		return triOf(*l == *r)
	case "<>":
		return triOf(*l != *r)
	case "<":
		return triOf(*l < *r)
	case "<=":
		return triOf(*l <= *r)
	case ">":
		return triOf(*l > *r)
	case ">=":
		return triOf(*l >= *r)
	}
	return triFalse
}

// Result is what a query returns: column names, rows of nullable strings
// (nil = NULL) and the bytes it scanned.
type Result struct {
	Columns      []string
	Rows         [][]*string
	BytesScanned int64
}

// Query runs sql over the table with Athena's semantics for the dialect
// above. Bytes scanned count every row of the partitions that the
// predicates on partition columns alone select (partition pruning).
func (t *Table) Query(sql string) (*Result, error) {
	q, err := parse(sql)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(q.table, t.Name) || (q.db != "" && !strings.EqualFold(q.db, t.Database)) {
		return nil, fmt.Errorf("TABLE_NOT_FOUND: offset %d: Table 'awsdatacatalog.%s.%s' does not exist", q.tablePos, strings.ToLower(q.db), strings.ToLower(q.table))
	}
	if err := t.checkColumns(q); err != nil {
		return nil, err
	}
	res := &Result{}
	for _, it := range q.items {
		res.Columns = append(res.Columns, it.name)
	}
	for i := range t.Rows {
		e := env{t: t, row: &t.Rows[i]}
		scanned, match := true, true
		for k, p := range q.where {
			if e.test(p) != triTrue {
				match = false
				if q.partitionIx[k] {
					scanned = false
				}
			}
		}
		if scanned {
			res.BytesScanned += int64(len(t.Rows[i].Raw))
		}
		if !match {
			continue
		}
		out := make([]*string, len(q.items))
		for k, it := range q.items {
			out[k] = e.eval(it.e)
		}
		res.Rows = append(res.Rows, out)
	}
	return res, nil
}

// record decodes the row's JSON once.
func (r *Row) record() map[string]any {
	if r.rec == nil {
		d := json.NewDecoder(bytes.NewReader(r.Raw))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil || m == nil {
			m = map[string]any{}
		}
		r.rec = m
	}
	return r.rec
}
