package policyhcl

import "strings"

// globsIntersect reports whether some string matches both glob patterns a
// and b, and returns one such string (where both patterns have a wildcard
// it holds "x"). With colons >= 0 only strings with exactly that many
// colons count: every IAM role ARN has five, so overlaps that need a
// wildcard to swallow a colon (arn:aws:iam::*:role/prod-* against
// arn:aws:iam::*:role/dev-*) are not reported. The answer is otherwise
// exact: a search of the product of the two patterns' automata. budget,
// when not nil, is charged one unit per state; once it is exhausted the
// search stops and reports no overlap.
func globsIntersect(a, b string, colons int, budget *int) (string, bool) {
	if !affixesCompatible(a, b) {
		return "", false
	}
	litA, litB := !strings.ContainsAny(a, "*?"), !strings.ContainsAny(b, "*?")
	if litA || litB {
		lit, other := a, b
		if !litA {
			lit, other = b, a
		}
		if (colons >= 0 && strings.Count(lit, ":") != colons) || !globMatch(other, lit) {
			return "", false
		}
		return lit, true
	}
	if colons > 0 && strings.Count(a, ":") == colons && strings.Count(b, ":") == colons {
		// Both patterns spell out every colon, so no wildcard can match
		// one: the fields between colons must overlap one by one. This
		// keeps the search small and lets the affix test reject most
		// pairs of ARN globs in a field.
		fa, fb := strings.Split(a, ":"), strings.Split(b, ":")
		ws := make([]string, len(fa))
		for i := range fa {
			w, ok := globsIntersect(fa[i], fb[i], 0, budget)
			if !ok {
				return "", false
			}
			ws[i] = w
		}
		return strings.Join(ws, ":"), true
	}
	ra, rb := []rune(a), []rune(b)
	nc := 1
	if colons >= 0 {
		nc = colons + 1
	}
	m := len(rb) + 1
	states := (len(ra) + 1) * m * nc
	if budget != nil {
		if *budget < states {
			*budget = -1
			return "", false
		}
		*budget -= states
	}
	type edge struct {
		prev int
		ch   rune // < 0: no character consumed
	}
	visited := make([]bool, states)
	parent := make([]edge, states)
	queue := make([]int, 0, 64)
	visited[0] = true
	queue = append(queue, 0)
	id := func(i, j, c int) int { return (i*m+j)*nc + c }
	push := func(from, i, j, c int, ch rune) {
		if ch == ':' && colons >= 0 {
			c++
			if c > colons {
				return
			}
		}
		s := id(i, j, c)
		if !visited[s] {
			visited[s] = true
			parent[s] = edge{from, ch}
			queue = append(queue, s)
		}
	}
	final := id(len(ra), len(rb), max(colons, 0))
	for q := 0; q < len(queue); q++ {
		s := queue[q]
		if s == final {
			var out []rune
			for s != 0 {
				e := parent[s]
				if e.ch >= 0 {
					out = append(out, e.ch)
				}
				s = e.prev
			}
			for x, y := 0, len(out)-1; x < y; x, y = x+1, y-1 {
				out[x], out[y] = out[y], out[x]
			}
			return string(out), true
		}
		c := s % nc
		i, j := (s/nc)/m, (s/nc)%m
		if i < len(ra) && ra[i] == '*' {
			push(s, i+1, j, c, -1)
		}
		if j < len(rb) && rb[j] == '*' {
			push(s, i, j+1, c, -1)
		}
		if i == len(ra) || j == len(rb) {
			continue
		}
		ca, cb := ra[i], rb[j]
		wa, wb := ca == '*' || ca == '?', cb == '*' || cb == '?'
		ni, nj := i+1, j+1
		if ca == '*' {
			ni = i
		}
		if cb == '*' {
			nj = j
		}
		switch {
		case wa && wb:
			if ni == i && nj == j {
				// Both stars: consuming a character only matters to
				// count colons.
				if colons >= 0 {
					push(s, i, j, c, ':')
				}
				continue
			}
			push(s, ni, nj, c, 'x')
			if colons >= 0 {
				push(s, ni, nj, c, ':')
			}
		case wa:
			push(s, ni, nj, c, cb)
		case wb, ca == cb:
			push(s, ni, nj, c, ca)
		}
	}
	return "", false
}

// pathIntersect is globsIntersect for role ARNs whose path holds a colon
// (arn:aws:iam::111122223333:role/team:ops/*), which the search for
// exactly five colons leaves out: the patterns' first five colons are the
// ARN's own, and only after them (in the role's path and name) may a
// wildcard match a colon. It finds nothing that search did not when
// neither pattern has a colon there.
func pathIntersect(a, b string, budget *int) (string, bool) {
	ha, ta, okA := cutARNFields(a)
	hb, tb, okB := cutARNFields(b)
	if !okA || !okB || !strings.Contains(ta, ":") && !strings.Contains(tb, ":") {
		return "", false
	}
	wh, ok := globsIntersect(ha, hb, arnColons-1, budget)
	if !ok {
		return "", false
	}
	wt, ok := globsIntersect(ta, tb, -1, budget)
	if !ok {
		return "", false
	}
	return wh + ":" + wt, true
}

// cutARNFields cuts a pattern at its fifth colon: the ARN's fields before
// the resource, and the resource (role/path/name).
func cutARNFields(p string) (head, resource string, ok bool) {
	i := -1
	for range arnColons {
		j := strings.IndexByte(p[i+1:], ':')
		if j < 0 {
			return "", "", false
		}
		i += 1 + j
	}
	return p[:i], p[i+1:], true
}

// globMatch matches s against a pattern that may not have passed NewGlob.
func globMatch(pattern, s string) bool {
	return Glob{Pattern: pattern, literal: !strings.ContainsAny(pattern, "*?")}.Match(s)
}

// affixesCompatible is a quick necessary condition for an overlap: the
// literal text before the first wildcard of one pattern must be a prefix
// of the other's, and likewise for the text after the last wildcard.
func affixesCompatible(a, b string) bool {
	return affixesMatch(literalPrefix(a), literalPrefix(b), literalSuffix(a), literalSuffix(b))
}

func affixesMatch(pa, pb, sa, sb string) bool {
	if !strings.HasPrefix(pa, pb) && !strings.HasPrefix(pb, pa) {
		return false
	}
	return strings.HasSuffix(sa, sb) || strings.HasSuffix(sb, sa)
}

// globShape holds what quickDisjoint needs of a pattern, computed once.
type globShape struct {
	pattern        string
	prefix, suffix string
	// per colon-separated field, when the pattern has exactly arnColons
	fieldPrefix, fieldSuffix []string
}

func newGlobShape(p string) globShape {
	s := globShape{pattern: p, prefix: literalPrefix(p), suffix: literalSuffix(p)}
	if strings.Count(p, ":") == arnColons {
		for _, f := range strings.Split(p, ":") {
			s.fieldPrefix = append(s.fieldPrefix, literalPrefix(f))
			s.fieldSuffix = append(s.fieldSuffix, literalSuffix(f))
		}
	}
	return s
}

// quickDisjoint reports pairs that cannot overlap, without allocating:
// most pairs of ARN globs differ in the literal text of some field.
func quickDisjoint(a, b *globShape) bool {
	if !affixesMatch(a.prefix, b.prefix, a.suffix, b.suffix) {
		return true
	}
	if a.fieldPrefix != nil && b.fieldPrefix != nil {
		for i := range a.fieldPrefix {
			if !affixesMatch(a.fieldPrefix[i], b.fieldPrefix[i], a.fieldSuffix[i], b.fieldSuffix[i]) {
				return true
			}
		}
	}
	return false
}

func literalPrefix(p string) string {
	if i := strings.IndexAny(p, "*?"); i >= 0 {
		return p[:i]
	}
	return p
}

func literalSuffix(p string) string {
	if i := strings.LastIndexAny(p, "*?"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// arnColons is how many colons every IAM role ARN has:
// arn:partition:iam::account:role/path/name.
const arnColons = 5

// overlapBudget bounds the work of the profile overlap check.
const overlapBudget = 50_000_000

// overlaps warns about a profile whose role_arns can match a role that an
// earlier profile's role_arns match too: such a role silently maps to the
// earlier profile. Each pair of profiles is reported once, at the later
// profile's first overlapping pattern.
func (l *loader) overlaps() {
	budget := overlapBudget
	ps := l.p.Profiles
	shapes := make([][]globShape, len(ps))
	for i, p := range ps {
		for _, g := range p.RoleArns {
			shapes[i] = append(shapes[i], newGlobShape(g.Pattern))
		}
	}
	for j := 1; j < len(ps); j++ {
		for i := 0; i < j; i++ {
			l.overlapPair(ps[i], ps[j], shapes[i], shapes[j], &budget)
			if budget < 0 {
				l.warnWhole("Overlap check incomplete",
					"The policy has too many or too long role_arns patterns to compare every pair of profiles; some overlapping profiles may not be reported.")
				return
			}
		}
	}
}

func (l *loader) overlapPair(first, later *Profile, firstShapes, laterShapes []globShape, budget *int) {
	for bj := range laterShapes {
		sb := &laterShapes[bj]
		for ai := range firstShapes {
			sa := &firstShapes[ai]
			if quickDisjoint(sa, sb) {
				continue
			}
			w, ok := globsIntersect(sa.pattern, sb.pattern, arnColons, budget)
			if !ok && *budget >= 0 {
				w, ok = pathIntersect(sa.pattern, sb.pattern, budget)
			}
			if *budget < 0 {
				return
			}
			if !ok {
				continue
			}
			l.warnf(l.roleRanges[later][bj], "Overlapping role_arns",
				"%q of profile %q overlaps %q of profile %q (%s): a role such as %q matches both. A role maps to the first profile in file order, so it belongs to %q. Make the patterns disjoint, or merge the profiles.",
				sb.pattern, later.Name, sa.pattern, first.Name, l.pos(first.DeclRange), w, first.Name)
			return
		}
	}
}
