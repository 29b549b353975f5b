package policyhcl

import (
	"fmt"
	"github.com/sentinel-check/sentinel-check/internal/awsaccount"
	"github.com/sentinel-check/sentinel-check/internal/awsregion"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones must resolve on hosts without a zoneinfo database

	"github.com/hashicorp/hcl/v2"

	"github.com/sentinel-check/sentinel-check/internal/english"
)

var (
	rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "identity"},
		{Type: "session_table", LabelNames: []string{"name"}},
		{Type: "profile", LabelNames: []string{"name"}},
		{Type: "rule", LabelNames: []string{"name"}},
		{Type: "check", LabelNames: []string{"name"}},
		{Type: "cloudtrail"},
	}}
	identitySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "pattern", Required: true},
	}}
	sessionTableSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "region"}, {Name: "match"},
	}}
	profileSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "role_arns", Required: true}, {Name: "description"},
	}}
	ruleSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "effect", Required: true}, {Name: "profiles"}, {Name: "users"},
			{Name: "mode"}, {Name: "session_table"}, {Name: "reason"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "time"}},
	}
	timeSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "days"}, {Name: "timezone"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "hours"}},
	}
	hoursSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "start", Required: true}, {Name: "end", Required: true},
	}}
	checkSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "enabled"}, {Name: "severity"}, {Name: "min_compliance"},
	}}
	cloudTrailSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "source", Required: true}, {Name: "output_location"}, {Name: "regions"}, {Name: "accounts"},
	}}
)

// Allowed values.
var (
	effects    = []string{string(EffectAllow), string(EffectDeny), string(EffectRequireApproval), string(EffectRequireServer), string(EffectRequireServerSession)}
	modes      = []string{ModeServer, ModeCLI, ModeCredentialProcess}
	matchModes = []string{MatchAuto, MatchSourceIdentity, MatchUserProfileWindow}
	severities = []string{"error", "warning", "note"}
	dayNames   = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

	tableNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	regionRe    = regexp.MustCompile(`^[a-z]{2,}(-[a-z]+)+-[0-9]+$`)
	accountRe   = regexp.MustCompile(`^[0-9]{12}$`)
	clockRe     = regexp.MustCompile(`^([0-9]{1,2}):([0-9]{2})$`)
)

// roleArnShape is what every IAM role ARN looks like; a role_arns glob
// that cannot match it is almost certainly a mistake.
const roleArnShape = "arn:*:iam::*:role/*"

// loader decodes a set of files into one Policy.
type loader struct {
	decoder
	opts        Options
	p           *Policy
	parseFailed bool

	identityDecl *hcl.Range
	profileDecl  map[string]*Profile
	ruleDecl     map[string]*Rule
	tableDecl    map[string]*SessionTable
	checkDecl    map[string]*CheckConfig

	roleRanges    map[*Profile][]hcl.Range
	ruleProfRange map[*Rule][]hcl.Range
	ruleTableRng  map[*Rule]hcl.Range
	ruleEffectRng map[*Rule]hcl.Range
	badRule       map[*Rule]bool // rules with errors, left out of reachability checks
	lines         map[string]*lineIndex
}

func load(files []namedSource, opts Options) (*Policy, hcl.Diagnostics) {
	l := &loader{
		opts:          opts,
		p:             newPolicy(),
		profileDecl:   map[string]*Profile{},
		ruleDecl:      map[string]*Rule{},
		tableDecl:     map[string]*SessionTable{},
		checkDecl:     map[string]*CheckConfig{},
		roleRanges:    map[*Profile][]hcl.Range{},
		ruleProfRange: map[*Rule][]hcl.Range{},
		ruleTableRng:  map[*Rule]hcl.Range{},
		ruleEffectRng: map[*Rule]hcl.Range{},
		badRule:       map[*Rule]bool{},
		lines:         map[string]*lineIndex{},
	}
	for _, f := range files {
		l.p.Files = append(l.p.Files, f.name)
		l.p.Sources[f.name] = f.src
		ps := parse(f.name, f.src)
		l.diags = append(l.diags, ps.diags...)
		l.p.HCLFiles[f.name] = ps.file
		if ps.lines != nil {
			l.lines[f.name] = ps.lines
		}
		if ps.diags.HasErrors() {
			l.parseFailed = true
			continue
		}
		l.file(ps.file)
	}
	if len(files) == 0 {
		l.parseFailed = true
	}
	l.fixRanges()
	l.finish()
	sortDiagnostics(l.diags, l.p.Files)
	return l.p, l.diags
}

// fix maps a range in a rewritten file (see relaxSingleLineBlocks) back
// to the source's lines and columns. It is idempotent.
func (l *loader) fix(r hcl.Range) hcl.Range {
	if li := l.lines[r.Filename]; li != nil {
		return li.fix(r)
	}
	return r
}

// pos renders a range's start as file:line:col.
func (l *loader) pos(r hcl.Range) string {
	r = l.fix(r)
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, CodePointColumn(l.p.Sources[r.Filename], r.Start))
}

// fixRanges maps every range decoded so far back to the sources.
func (l *loader) fixRanges() {
	if len(l.lines) == 0 {
		return
	}
	for _, d := range l.diags {
		if d.Subject != nil {
			r := l.fix(*d.Subject)
			d.Subject = &r
		}
		if d.Context != nil {
			r := l.fix(*d.Context)
			d.Context = &r
		}
	}
	p := l.p
	p.Identity.Range = l.fix(p.Identity.Range)
	for _, t := range p.SessionTables {
		t.DeclRange = l.fix(t.DeclRange)
	}
	for _, pr := range p.Profiles {
		pr.DeclRange, pr.Range = l.fix(pr.DeclRange), l.fix(pr.Range)
		for i, r := range l.roleRanges[pr] {
			l.roleRanges[pr][i] = l.fix(r)
		}
	}
	for _, r := range p.Rules {
		r.DeclRange, r.Range = l.fix(r.DeclRange), l.fix(r.Range)
		for i, rr := range l.ruleProfRange[r] {
			l.ruleProfRange[r][i] = l.fix(rr)
		}
		l.ruleTableRng[r] = l.fix(l.ruleTableRng[r])
		l.ruleEffectRng[r] = l.fix(l.ruleEffectRng[r])
	}
	for _, c := range p.Checks {
		c.DeclRange = l.fix(c.DeclRange)
	}
	for _, c := range p.CloudTrail {
		c.DeclRange = l.fix(c.DeclRange)
	}
}

func (l *loader) file(f *hcl.File) {
	content, diags := bodyContent(f.Body, rootSchema, "a policy file")
	l.diags = append(l.diags, diags...)
	for _, b := range content.Blocks {
		switch b.Type {
		case "identity":
			l.identity(b)
		case "session_table":
			l.sessionTable(b)
		case "profile":
			l.profile(b)
		case "rule":
			l.rule(b)
		case "check":
			l.check(b)
		case "cloudtrail":
			l.cloudTrail(b)
		}
	}
}

// blockRange is the whole block, from its type keyword to its closing brace.
func blockRange(b *hcl.Block) hcl.Range {
	if r, ok := b.Body.(interface{ Range() hcl.Range }); ok {
		if br := r.Range(); br.Filename == b.DefRange.Filename && br.End.Byte >= b.DefRange.End.Byte {
			return hcl.RangeBetween(b.DefRange, br)
		}
	}
	return b.DefRange
}

// label checks a block's name.
func (l *loader) label(b *hcl.Block) (string, bool) {
	if len(b.Labels) != 1 {
		return "", false // hcl has reported it
	}
	name, rng := b.Labels[0], b.LabelRanges[0]
	switch {
	case strings.TrimSpace(name) == "":
		l.errorf(rng, "Empty name", "A %s block needs a non-empty name: %s \"name\" { … }.", b.Type, b.Type)
		return "", false
	case hasControl(name):
		l.errorf(rng, "Invalid name", "The name of a %s block must not contain control characters.", b.Type)
		return "", false
	}
	return name, true
}

func (l *loader) duplicate(kind, name string, rng, first hcl.Range) {
	l.errorf(rng, "Duplicate "+kind+" name",
		"A %s named %q was already declared at %s. Names must be unique across all policy files; rename or remove one of them.",
		kind, name, l.pos(first))
}

func (l *loader) identity(b *hcl.Block) {
	content, diags := bodyContent(b.Body, identitySchema, "an identity block")
	l.diags = append(l.diags, diags...)
	if l.identityDecl != nil {
		l.errorf(b.DefRange, "Duplicate identity block",
			"The identity block was already declared at %s; a policy has at most one. Remove one of them.", l.pos(*l.identityDecl))
		return
	}
	l.identityDecl = b.DefRange.Ptr()
	attr := content.Attributes["pattern"]
	if attr == nil {
		return
	}
	s, ok := l.str(attr)
	if !ok {
		return
	}
	re, ok := l.compileIdentity(s, attr.Expr.Range())
	if !ok {
		return
	}
	l.p.Identity = Identity{Patterns: []*regexp.Regexp{re}, Configured: true, Range: attr.Range}
}

func (l *loader) compileIdentity(s string, rng hcl.Range) (*regexp.Regexp, bool) {
	if s == "" {
		l.errorf(rng, "Empty identity pattern", "The identity pattern is empty; remove the identity block to use the broker's default pattern.")
		return nil, false
	}
	if len(s) > MaxPatternLength {
		l.errorf(rng, "Identity pattern too long", "The identity pattern is %d bytes long; at most %d are allowed.", len(s), MaxPatternLength)
		return nil, false
	}
	re, err := regexp.Compile(s)
	if err != nil {
		l.errorf(rng, "Invalid identity pattern", "The identity pattern is not a valid RE2 regular expression: %v. See https://github.com/google/re2/wiki/Syntax.", err)
		return nil, false
	}
	if re.SubexpIndex("user") < 0 {
		l.warnf(rng, "Identity pattern without user group",
			"The pattern has no (?P<user>…) group, so broker identities name no user: rules with a users condition cannot tell users apart, and session records cannot be matched by user and profile. Add a named group like (?P<user>[A-Za-z0-9]+).")
	}
	// regexp.Compile accepted s, so it parses.
	if parsed, err := syntax.Parse(s, syntax.Perl); err == nil {
		if name := groupsTogether(parsed); name != "" {
			l.errorf(rng, "Identity pattern group named twice",
				"The pattern names two groups %q that can both take part in one match, so its value would depend on their order. A name may be given to one group in each branch of an alternation ((?P<user>…)…|(?P<user>…)), not twice along one path.", name)
			return nil, false
		}
		if !(anchoredStart(parsed) && anchoredEnd(parsed)) {
			l.warnf(rng, "Unanchored identity pattern",
				"The pattern is not anchored with ^ and $, so it also matches a SourceIdentity that merely contains the broker's form, and such a foreign identity would count as the broker's. Start it with ^ and end it with $.")
		}
	}
	return re, true
}

// groupsTogether returns a group name that two groups of re carry and that
// can both take part in one match (along one path, or in a repetition), or
// "" when there is none: one group per branch of an alternation is fine.
func groupsTogether(re *syntax.Regexp) string {
	conflict := ""
	// walk returns, per name, how many of its groups can take part in one
	// match (together) and how many the subtree holds (total).
	var walk func(re *syntax.Regexp) (together, total map[string]int)
	walk = func(re *syntax.Regexp) (map[string]int, map[string]int) {
		together, total := map[string]int{}, map[string]int{}
		switch re.Op {
		case syntax.OpAlternate:
			for _, s := range re.Sub {
				tg, tt := walk(s)
				for n, c := range tg {
					together[n] = max(together[n], c)
				}
				for n, c := range tt {
					total[n] += c
				}
			}
		case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
			tg, tt := walk(re.Sub[0])
			total, together = tt, tt // another iteration may take another branch
			if re.Op == syntax.OpRepeat && re.Max == 1 {
				together = tg // taken at most once
			}
		default: // concatenation, capture, ?: every part can take part
			for _, s := range re.Sub {
				tg, tt := walk(s)
				for n, c := range tg {
					together[n] += c
				}
				for n, c := range tt {
					total[n] += c
				}
			}
			if re.Op == syntax.OpCapture && re.Name != "" {
				together[re.Name]++
				total[re.Name]++
			}
		}
		for n, c := range together {
			if c > 1 && conflict == "" {
				conflict = n
			}
		}
		return together, total
	}
	walk(re)
	return conflict
}

func anchoredStart(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginText:
		return true
	case syntax.OpConcat, syntax.OpCapture:
		return len(re.Sub) > 0 && anchoredStart(re.Sub[0])
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !anchoredStart(s) {
				return false
			}
		}
		return len(re.Sub) > 0
	}
	return false
}

func anchoredEnd(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEndText:
		return true
	case syntax.OpConcat, syntax.OpCapture:
		return len(re.Sub) > 0 && anchoredEnd(re.Sub[len(re.Sub)-1])
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !anchoredEnd(s) {
				return false
			}
		}
		return len(re.Sub) > 0
	}
	return false
}

func (l *loader) sessionTable(b *hcl.Block) {
	content, diags := bodyContent(b.Body, sessionTableSchema, "a session_table block")
	l.diags = append(l.diags, diags...)
	name, ok := l.label(b)
	if !ok {
		return
	}
	if !tableNameRe.MatchString(name) {
		l.errorf(b.LabelRanges[0], "Invalid session table name",
			"%q is not a DynamoDB table name: use 3 to 255 characters from A-Z, a-z, 0-9, \"_\", \"-\" and \".\".", name)
	}
	if first, dup := l.tableDecl[name]; dup {
		l.duplicate("session_table", name, b.LabelRanges[0], first.DeclRange)
		return
	}
	t := &SessionTable{Name: name, Match: MatchAuto, DeclRange: b.DefRange}
	l.tableDecl[name] = t
	l.p.SessionTables = append(l.p.SessionTables, t)
	if a := content.Attributes["region"]; a != nil {
		if s, ok := l.str(a); ok {
			l.checkRegion(s, a.Expr.Range())
			t.Region = s
		}
	}
	if a := content.Attributes["match"]; a != nil {
		if s, ok := l.str(a); ok {
			if l.oneOf("match mode", s, matchModes, a.Expr.Range()) {
				t.Match = s
			}
		}
	}
}

// oneOf reports whether s is an allowed value, and an error otherwise.
func (l *loader) oneOf(what, s string, allowed []string, rng hcl.Range) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	l.errorf(rng, "Invalid "+what, "%q is not a valid %s; use one of %s.%s", s, what, quoteList(allowed), didYouMean(s, allowed))
	return false
}

func (l *loader) checkRegion(s string, rng hcl.Range) {
	if !regionRe.MatchString(s) {
		l.errorf(rng, "Invalid region", "%q is not an AWS region name; use a region code like \"eu-west-1\".", s)
	}
}

// checkTrailRegion checks a region that selects what a CloudTrail source
// reads: besides its form, it must be a region of some AWS partition, as a
// mistyped one would leave out every region that holds logs.
func (l *loader) checkTrailRegion(s string, rng hcl.Range) {
	if !regionRe.MatchString(s) {
		l.checkRegion(s, rng)
		return
	}
	if !awsregion.Known(s) {
		l.errorf(rng, "Unknown region", "%q is not an AWS region (a region launched after this version of sentinel-check needs a newer one).%s", s, didYouMean(s, awsregion.All()))
	}
}

func (l *loader) profile(b *hcl.Block) {
	content, diags := bodyContent(b.Body, profileSchema, "a profile block")
	l.diags = append(l.diags, diags...)
	name, ok := l.label(b)
	if !ok {
		return
	}
	if first, dup := l.profileDecl[name]; dup {
		l.duplicate("profile", name, b.LabelRanges[0], first.DeclRange)
		return
	}
	p := &Profile{Name: name, DeclRange: b.DefRange, Range: blockRange(b)}
	l.profileDecl[name] = p
	l.p.Profiles = append(l.p.Profiles, p)
	if a := content.Attributes["description"]; a != nil {
		p.Description, _ = l.str(a)
	}
	a := content.Attributes["role_arns"]
	if a == nil {
		return
	}
	vals, rngs, ok := l.strList(a)
	if ok && len(vals) == 0 {
		l.errorf(a.Expr.Range(), "Empty role_arns",
			"Profile %q lists no roles; name at least one role ARN or glob, like \"arn:aws:iam::111122223333:role/ProdAdmin\".", name)
		return
	}
	for i, s := range vals {
		if j := strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }); j >= 0 {
			l.errorf(rngs[i], "Invalid role ARN",
				"%q holds %q at byte %d; an IAM role ARN has only printable ASCII characters and no spaces, so no role would map to profile %q through it. Remove the character.", s, string([]rune(s[j:])[0]), j, name)
			continue
		}
		g, ok := l.glob("role_arns", s, rngs[i])
		if !ok {
			continue
		}
		// A typo here would leave the role's sessions to no profile and
		// the policy passing: an error, like a bad account id.
		acct, literal := literalAccount(s)
		part, badPart := unknownPartition(s)
		badChar := badRoleNameChar(s)
		switch {
		case !canBeRoleARN(s):
			hint := "Write it like arn:aws:iam::111122223333:role/ProdAdmin (IAM role paths: role/PATH/NAME; globs * and ?)."
			if strings.Contains(s, ":sts:") || strings.Contains(s, ":assumed-role/") {
				hint = "This is the ARN of a role session (arn:aws:sts::<account>:assumed-role/<role>/<session>); list the role itself: arn:aws:iam::<account>:role/<role>."
			}
			l.errorf(rngs[i], "Not a role ARN",
				"%q cannot match any IAM role ARN, which looks like arn:<partition>:iam::<account>:role/<name>, so no role would map to profile %q through it. %s", s, name, hint)
			continue
		case strings.HasSuffix(s, "/"):
			l.errorf(rngs[i], "Not a role ARN",
				"%q ends in \"/\" and cannot match any IAM role ARN (a role ARN ends in the role's name, like arn:aws:iam::111122223333:role/ProdAdmin); no role would map to profile %q through it. Remove the trailing slash, or end the pattern with * to take every role under a path.", s, name)
			continue
		case secondARN(s):
			l.errorf(rngs[i], "Not a role ARN",
				"%q holds a second ARN; no role would map to profile %q through it. Write each role ARN as its own element of the list: [\"arn:aws:iam::111122223333:role/A\", \"arn:aws:iam::111122223333:role/B\"].", s, name)
			continue
		case badPart:
			l.errorf(rngs[i], "Unknown partition",
				"%q names the partition %q, which is no AWS partition (%s), so no role will map to profile %q through it.%s",
				s, part, strings.Join(partitionIDs, ", "), name, didYouMean(part, partitionIDs))
			continue
		case badChar != "":
			l.errorf(rngs[i], "Not a role name",
				"%q ends in a role name that holds %q, and an IAM role name has only letters, digits and + = , . @ _ -, so no role will map to profile %q through it. Remove the character.",
				s, badChar, name)
			continue
		case literal && !awsaccount.IsID(acct):
			l.errorf(rngs[i], "Not an account id",
				"%q names the account %q, which is not 12 digits as every AWS account id is, so no role will map to profile %q through it. Write the account id in full, like 111122223333.", s, acct, name)
		}
		p.RoleArns = append(p.RoleArns, g)
		l.roleRanges[p] = append(l.roleRanges[p], rngs[i])
	}
}

// canBeRoleARN reports whether the role_arns glob p can match some IAM role
// ARN: arn:PARTITION:iam::ACCOUNT:role/NAME, or role/PATH/NAME where the
// path may hold any printable ASCII character, colons included.
func canBeRoleARN(p string) bool {
	if _, ok := globsIntersect(p, roleArnShape, arnColons, nil); ok {
		return true
	}
	if strings.Count(p, ":") <= arnColons {
		return false
	}
	// Colons in the role's path: the five fields before it hold none.
	head, rest, _ := cutARNFields(p)
	if strings.ContainsAny(head, "*?") {
		return true // a wildcard there could take a colon: not judged
	}
	if _, ok := globsIntersect(head, "arn:*:iam::*", arnColons-1, nil); !ok {
		return false
	}
	_, ok := globsIntersect(rest, "role/*", -1, nil)
	return ok
}

// unknownPartition returns the partition field of the role ARN pattern p
// and true when it can match no AWS partition (arn:asw:…, arn:aws-gov:…,
// arn::…). A pattern with * in its first two fields is not judged: the
// wildcard could take colons.
func unknownPartition(p string) (string, bool) {
	f := strings.SplitN(p, ":", 3)
	if len(f) < 3 || strings.Contains(f[0]+f[1], "*") {
		return "", false
	}
	g, err := NewGlob(f[1])
	return f[1], err != nil || !slices.ContainsFunc(partitionIDs, g.Match)
}

// partitionIDs are the AWS partitions' names (aws, aws-cn, …).
var partitionIDs = func() []string {
	ids := make([]string, len(awsregion.Partitions))
	for i, p := range awsregion.Partitions {
		ids[i] = p.ID
	}
	return ids
}()

// badRoleNameChar is a character that the end of the role ARN pattern p
// holds and no role name can (…:role/ProdAdmin}), or "". The end is what
// follows the last wildcard and the last "/" after it: it can only match
// the end of the role's name, while a character before it may match one
// of the role's path, which may hold any printable character.
func badRoleNameChar(p string) string {
	tail := p[strings.LastIndexAny(p, "*?")+1:]
	tail = tail[strings.LastIndex(tail, "/")+1:]
	for _, r := range tail {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+=,.@_-", r)) {
			return string(r)
		}
	}
	return ""
}

// secondARN tells whether a role_arns pattern holds a second ARN, as when
// two are written in one string ("…:role/A,arn:aws:iam::…:role/B"): an
// "arn:" after a list separator. In a role's path "arn:" is plain text
// (…:role/learn:ops/Admin).
func secondARN(p string) bool {
	for i := 1; i < len(p); i++ {
		if strings.HasPrefix(p[i:], "arn:") && strings.ContainsRune(",;|", rune(p[i-1])) {
			return true
		}
	}
	return false
}

// literalAccount is the account field of a role ARN pattern when it holds
// no wildcard.
func literalAccount(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || strings.ContainsAny(parts[4], "*?") {
		return "", false
	}
	return parts[4], true
}

func (l *loader) glob(attr, s string, rng hcl.Range) (Glob, bool) {
	if len(s) > MaxPatternLength {
		l.errorf(rng, "Invalid glob", "This %s pattern is %d bytes long; at most %d are allowed.", attr, len(s), MaxPatternLength)
		return Glob{}, false
	}
	g, err := NewGlob(s)
	if err != nil {
		l.errorf(rng, "Invalid glob", "Invalid %s pattern: %v.", attr, err)
		return Glob{}, false
	}
	return g, true
}

func (l *loader) globs(a *hcl.Attribute) ([]Glob, []hcl.Range) {
	vals, rngs, _ := l.strList(a)
	var gs []Glob
	var grs []hcl.Range
	for i, s := range vals {
		if g, ok := l.glob(a.Name, s, rngs[i]); ok {
			gs = append(gs, g)
			grs = append(grs, rngs[i])
		}
	}
	return gs, grs
}

func (l *loader) rule(b *hcl.Block) {
	content, diags := bodyContent(b.Body, ruleSchema, "a rule block")
	l.diags = append(l.diags, diags...)
	name, ok := l.label(b)
	if !ok {
		return
	}
	if first, dup := l.ruleDecl[name]; dup {
		l.duplicate("rule", name, b.LabelRanges[0], first.DeclRange)
		return
	}
	r := &Rule{Name: name, DeclRange: b.DefRange, Range: blockRange(b)}
	l.ruleDecl[name] = r
	l.p.Rules = append(l.p.Rules, r)
	errsBefore := len(l.diags.Errs())
	defer func() {
		if len(l.diags.Errs()) > errsBefore {
			l.badRule[r] = true
		}
	}()
	attrs := content.Attributes
	if a := attrs["effect"]; a != nil {
		if s, ok := l.str(a); ok && l.oneOf("effect", s, effects, a.Expr.Range()) {
			r.Effect = Effect(s)
			l.ruleEffectRng[r] = a.Expr.Range()
		}
	}
	if a := attrs["profiles"]; a != nil {
		r.Profiles, l.ruleProfRange[r] = l.globs(a)
	}
	if a := attrs["users"]; a != nil {
		r.Users, _ = l.globs(a)
	}
	if a := attrs["mode"]; a != nil {
		vals, rngs, _ := l.strList(a)
		for i, s := range vals {
			if l.oneOf("mode", s, modes, rngs[i]) {
				r.Modes = append(r.Modes, s)
			}
		}
	}
	if a := attrs["session_table"]; a != nil {
		if s, ok := l.str(a); ok && s == "" {
			l.errorf(a.Expr.Range(), "Empty session table",
				"session_table = \"\" names no table; name a declared session_table block, or remove the argument to match the rule's sessions against every table's records.")
		} else if ok {
			r.SessionTable = s
			l.ruleTableRng[r] = a.Expr.Range()
		}
	}
	if a := attrs["reason"]; a != nil {
		r.Reason, _ = l.str(a)
	}
	for i, tb := range content.Blocks {
		if i > 0 {
			l.errorf(tb.DefRange, "Duplicate time block",
				"Rule %q already has a time block at %s; a rule has at most one. Merge them.", name, l.pos(content.Blocks[0].DefRange))
			continue
		}
		r.Time = l.timeWindow(tb)
	}
}

func (l *loader) timeWindow(b *hcl.Block) *TimeWindow {
	errsBefore := len(l.diags.Errs())
	content, diags := bodyContent(b.Body, timeSchema, "a time block")
	l.diags = append(l.diags, diags...)
	tw := &TimeWindow{Location: time.UTC}
	if a := content.Attributes["days"]; a != nil {
		vals, rngs, ok := l.strList(a)
		seen := map[time.Weekday]bool{}
		for i, s := range vals {
			d, ok := parseDay(s)
			if !ok {
				l.errorf(rngs[i], "Invalid day",
					"%q is not a day of the week; use a day's name, such as \"monday\" or \"mon\" (in any case).%s", s, didYouMean(s, dayNames))
				continue
			}
			if !seen[d] {
				seen[d] = true
				tw.Days = append(tw.Days, d)
			}
		}
		if ok && len(vals) == 0 {
			l.warnf(a.Expr.Range(), "Empty days",
				"An empty days list matches every day; remove the argument, or name the days the rule applies on.")
		}
	}
	if a := content.Attributes["timezone"]; a != nil {
		if s, ok := l.str(a); ok {
			if loc, ok := l.location(s, a.Expr.Range()); ok {
				tw.Location = loc
			}
		}
	}
	for i, hb := range content.Blocks {
		if i > 0 {
			l.errorf(hb.DefRange, "Duplicate hours block",
				"This time block already has an hours block at %s; a time block has at most one.", l.pos(content.Blocks[0].DefRange))
			continue
		}
		l.hours(hb, tw)
	}
	wholeDay := tw.HasHours && tw.Start == 0 && tw.End == 24*60
	if (len(tw.Days) == 0 || len(tw.Days) == 7) && (len(content.Blocks) == 0 || wholeDay) && len(l.diags.Errs()) == errsBefore {
		// It would match every time: the rule would apply as if it had
		// none, silently (a forgotten hours block), and the rules after
		// it that it hides would not be told about.
		l.errorf(b.DefRange, "Empty time block",
			"This time block names no days, or all seven, and no hours block or one of the whole day (00:00 to 24:00), so it matches every time. Add the days the rule applies on or an hours { start = \"08:00\" end = \"18:00\" } block, or remove the time block.")
	}
	return tw
}

func parseDay(s string) (time.Weekday, bool) {
	ls := strings.ToLower(s)
	for i, n := range dayNames {
		if ls == n || ls == n[:3] {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

func (l *loader) location(s string, rng hcl.Range) (*time.Location, bool) {
	const hint = "The timezone must be an IANA time zone name like \"Europe/Berlin\" or \"UTC\"."
	if s == "" || s == "Local" || strings.EqualFold(s, "local") {
		l.errorf(rng, "Invalid timezone", "%q does not name a fixed time zone. %s", s, hint)
		return nil, false
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		l.errorf(rng, "Unknown timezone", "Unknown time zone %q. %s", s, hint)
		return nil, false
	}
	return loc, true
}

func (l *loader) hours(b *hcl.Block, tw *TimeWindow) {
	content, diags := bodyContent(b.Body, hoursSchema, "an hours block")
	l.diags = append(l.diags, diags...)
	sa, ea := content.Attributes["start"], content.Attributes["end"]
	if sa == nil || ea == nil {
		return
	}
	start, ok1 := l.clock(sa, false)
	end, ok2 := l.clock(ea, true)
	if !ok1 || !ok2 {
		return
	}
	if start == end {
		l.errorf(hcl.RangeBetween(sa.Range, ea.Range), "Empty hours range",
			"start and end are both %s, which would match no time at all. To match the whole day remove the hours block.", fmtClock(start))
		return
	}
	tw.HasHours, tw.Start, tw.End = true, start, end
}

// clock reads "HH:MM" as minutes after midnight; "24:00" only as an end.
func (l *loader) clock(a *hcl.Attribute, isEnd bool) (int, bool) {
	s, ok := l.str(a)
	if !ok {
		return 0, false
	}
	allowed := "00:00 to 23:59"
	if isEnd {
		allowed = "00:00 to 24:00"
	}
	m := clockRe.FindStringSubmatch(s)
	if m == nil {
		l.errorf(a.Expr.Range(), "Invalid time of day", "%q is not a time of day; %s must be \"HH:MM\" in 24-hour form, from %s.", s, a.Name, allowed)
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	v := h*60 + mi
	if mi > 59 || h > 24 || v > 24*60 || (v == 24*60 && !isEnd) {
		l.errorf(a.Expr.Range(), "Invalid time of day", "%q is out of range; %s must be from %s.", s, a.Name, allowed)
		return 0, false
	}
	return v, true
}

func fmtClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func (l *loader) check(b *hcl.Block) {
	content, diags := bodyContent(b.Body, checkSchema, "a check block")
	l.diags = append(l.diags, diags...)
	name, ok := l.label(b)
	if !ok {
		return
	}
	if l.opts.KnownChecks != nil && !contains(l.opts.KnownChecks, name) {
		l.errorf(b.LabelRanges[0], "Unknown check",
			"There is no check named %q.%s Known checks: %s.", name, didYouMean(name, l.opts.KnownChecks), strings.Join(l.opts.KnownChecks, ", "))
	}
	key := name
	if id, ok := l.opts.CheckIDs[name]; ok {
		key = id
	}
	if first, dup := l.checkDecl[key]; dup {
		if first.Name == name {
			l.duplicate("check", name, b.LabelRanges[0], first.DeclRange)
		} else {
			l.errorf(b.LabelRanges[0], "Duplicate check block",
				"Check %q is %s, which the check block %q at %s already configures; a check has one block. Merge them into one.", name, key, first.Name, l.pos(first.DeclRange))
		}
		return
	}
	if contains(l.opts.FixedChecks, key) {
		l.warnf(b.DefRange, "Check cannot be configured",
			"Check %q (%s) reports the policy's own errors and warnings, each with its own severity, and a policy with errors is never evaluated: no setting can turn it off or change it, so this block changes nothing. Remove it.", name, key)
	}
	c := &CheckConfig{Name: name, DeclRange: b.DefRange}
	l.checkDecl[key] = c
	l.p.Checks = append(l.p.Checks, c)
	if a := content.Attributes["enabled"]; a != nil {
		if v, ok := l.boolean(a); ok {
			c.Enabled = &v
		}
	}
	if a := content.Attributes["severity"]; a != nil {
		if s, ok := l.str(a); ok && l.oneOf("severity", s, severities, a.Expr.Range()) {
			c.Severity = s
		}
	}
	if a := content.Attributes["min_compliance"]; a != nil {
		if l.opts.MinComplianceChecks != nil && !contains(l.opts.MinComplianceChecks, key) && (l.opts.KnownChecks == nil || contains(l.opts.KnownChecks, name)) {
			which := strconv.Quote(name)
			if key != name {
				which += " (" + key + ")"
			}
			l.warnf(a.Expr.Range(), "min_compliance has no effect",
				"Check %s has no compliance threshold: min_compliance only applies to %s, so this setting changes nothing. Remove it, or move it to that check's block.",
				which, strings.Join(l.opts.MinComplianceChecks, ", "))
		}
		if v, ok := l.number(a); ok {
			if v < 0 || v > 100 {
				l.errorf(a.Expr.Range(), "Invalid min_compliance",
					"min_compliance is a percentage from 0 to 100, got %s.", strconv.FormatFloat(v, 'g', -1, 64))
			} else if math.Abs(v*100-math.Round(v*100)) > 1e-6 {
				l.errorf(a.Expr.Range(), "Invalid min_compliance",
					"min_compliance has at most two decimals (a hundredth of a percent), got %s; round it, for example to %s.", strconv.FormatFloat(v, 'g', -1, 64), strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64))
			} else {
				if v > 0 && v <= 1 {
					pct := strconv.FormatFloat(math.Round(v*10000)/100, 'f', -1, 64)
					// 0.95 reads as a fraction, but means 0.95%: a
					// profile with nearly every session untracked passes.
					l.warnf(a.Expr.Range(), "min_compliance looks like a fraction",
						"min_compliance is a percentage from 0 to 100, so %s means %s%% of sessions tracked, not %s%%. Write %s if that is what you meant.",
						strconv.FormatFloat(v, 'g', -1, 64), strconv.FormatFloat(v, 'g', -1, 64), pct, pct)
				}
				c.MinCompliance = &v
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (l *loader) cloudTrail(b *hcl.Block) {
	content, diags := bodyContent(b.Body, cloudTrailSchema, "a cloudtrail block")
	l.diags = append(l.diags, diags...)
	c := &CloudTrailConfig{DeclRange: b.DefRange}
	l.p.CloudTrail = append(l.p.CloudTrail, c)
	if a := content.Attributes["source"]; a != nil {
		if s, ok := l.str(a); ok {
			l.checkSource(s, a.Expr.Range())
			c.Source = s
		}
	}
	if a := content.Attributes["output_location"]; a != nil {
		if s, ok := l.str(a); ok {
			if !strings.HasPrefix(s, "s3://") || len(s) <= len("s3://") {
				l.errorf(a.Expr.Range(), "Invalid output_location",
					"%q is not an S3 location; output_location is where Athena writes query results, like \"s3://my-athena-results/sentinel-check/\".", s)
			}
			c.OutputLocation = s
		}
	}
	if a := content.Attributes["regions"]; a != nil {
		vals, rngs, _ := l.strList(a)
		for i, s := range vals {
			l.checkTrailRegion(s, rngs[i])
		}
		c.Regions = vals
	}
	if a := content.Attributes["accounts"]; a != nil {
		vals, rngs, _ := l.strList(a)
		for i, s := range vals {
			if !accountRe.MatchString(s) {
				l.errorf(rngs[i], "Invalid account id", "%q is not an AWS account id; use the 12 digits, in quotes, like \"111122223333\".", s)
			}
		}
		c.Accounts = vals
	}
	// Settings the source does not read: the user expects them to filter.
	var kind string // of a source without errors
	switch {
	case strings.TrimSpace(c.Source) == "":
	case strings.HasPrefix(c.Source, "s3://"):
		kind = "aws"
	case strings.HasPrefix(c.Source, "lookup:"):
		kind = "lookup"
	case strings.HasPrefix(c.Source, "athena://"):
		kind = "athena"
	case !strings.Contains(c.Source, "://"):
		kind = "local"
	}
	for _, name := range []string{"regions", "accounts", "output_location"} {
		a := content.Attributes[name]
		if a == nil || kind == "" || kind == "athena" || name == "regions" && kind != "local" || name == "accounts" && kind != "local" && kind != "lookup" {
			continue
		}
		why, fix := "a folder or file is read whole", "Remove it, or read the trail from s3:// or athena://."
		switch {
		case name == "output_location":
			why, fix = "only an athena:// source writes query results", "Remove it."
		case kind == "lookup":
			why, fix = "LookupEvents returns the events of the credentials' account only", "Remove it, or read an organisation trail from s3:// or athena://."
		}
		l.warnf(a.NameRange, name+" has no effect",
			"The source %q does not read %s: %s, so this setting changes nothing. %s", c.Source, name, why, fix)
	}
}

func (l *loader) checkSource(s string, rng hcl.Range) {
	if strings.TrimSpace(s) == "" {
		l.errorf(rng, "Empty source", "source names where CloudTrail activity is read: a path, \"s3://bucket/prefix\", \"lookup:\" or \"athena://workgroup/database.table\".")
		return
	}
	if i := strings.Index(s, "://"); i > 0 && !strings.ContainsAny(s[:i], "/\\.") {
		scheme := s[:i]
		if scheme != "s3" && scheme != "athena" {
			l.errorf(rng, "Unknown source scheme",
				"%q is not a CloudTrail source scheme; use a path, \"s3://bucket/prefix\", \"lookup:\" or \"athena://workgroup/database.table\".%s", scheme+"://", didYouMean(scheme, []string{"s3", "athena"}))
		}
	}
}

// finish runs the checks that need every file.
func (l *loader) finish() {
	p := l.p
	if len(p.SessionTables) > 1 {
		// Sessions whose rule names no table are matched against every
		// table's records together: in one way.
		first := p.SessionTables[0]
		for _, t := range p.SessionTables[1:] {
			if t.Match != first.Match {
				l.errorf(t.DeclRange, "Session tables match differently",
					"Session table %q matches records by %q, and %q (at %s) by %q. A session whose rule names no session_table is matched against the records of every table together (a broker may keep a table per region), which takes one match mode: give the tables the same match.",
					t.Name, t.Match, first.Name, l.pos(first.DeclRange), first.Match)
				break
			}
		}
	}
	if !l.parseFailed {
		for _, r := range p.Rules {
			if r.SessionTable == "" {
				continue
			}
			rng := l.ruleTableRng[r]
			if _, ok := l.tableDecl[r.SessionTable]; !ok {
				names := make([]string, 0, len(p.SessionTables))
				for _, t := range p.SessionTables {
					names = append(names, t.Name)
				}
				declared := "No session_table block is declared"
				if len(names) > 0 {
					declared = "Declared: " + quoteList(names)
				}
				l.errorf(rng, "Undeclared session table",
					"Rule %q names session_table %q, but no session_table block has that name. %s.%s Declare it with session_table %q { … }.",
					r.Name, r.SessionTable, declared, didYouMean(r.SessionTable, names), r.SessionTable)
			}
		}
	}
	if l.opts.RequireProfile && !l.parseFailed && len(p.Profiles) == 0 && len(p.Files) > 0 {
		// A policy without profiles maps no role, so every check would
		// pass by checking nothing: most often the profiles are in a file
		// that was not read (not *.hcl, or in a sub-folder).
		name := p.Files[0]
		pos := hcl.Pos{Line: 1, Column: 1}
		l.errorf(hcl.Range{Filename: name, Start: pos, End: pos}, "No profile",
			"The policy (%s) has no profile block, so it maps no role and a check would pass by checking nothing. Declare each profile with profile \"NAME\" { role_arns = [\"arn:aws:iam::ACCOUNT:role/NAME\"] }; a policy folder contributes only its *.hcl files, not those in sub-folders.",
			english.Count(len(p.Files), "file", "files"))
	}
	l.overlaps()
	if !l.parseFailed && len(p.Profiles) > 0 {
		names := make([]string, len(p.Profiles))
		for i, pr := range p.Profiles {
			names[i] = pr.Name
		}
		for _, r := range p.Rules {
			for i, g := range r.Profiles {
				if !matchesAnyName(g, names) {
					l.warnf(l.ruleProfRange[r][i], "No profile matches",
						"No profile block has a name matching %q, so rule %q never applies through it.%s",
						g.Pattern, r.Name, didYouMean(g.Pattern, names))
				}
			}
		}
	}
	var catchAll *Rule
	budget := reachBudget
	for i, r := range p.Rules {
		if budget < 0 {
			l.warnWhole("Reachability check incomplete",
				"The policy has too many rules and profiles to compare every rule with the rules before it; some unreachable rules may not be reported.")
			break
		}
		if catchAll != nil {
			l.warnf(r.DeclRange, "Unreachable rule",
				"Rule %q can never match: rule %q at %s comes first and has no conditions, so it matches every access. Move this rule above it or remove it.",
				r.Name, catchAll.Name, l.pos(catchAll.DeclRange))
			continue
		}
		if len(r.Profiles) == 0 && len(r.Users) == 0 && len(r.Modes) == 0 && r.Time == nil && !l.badRule[r] {
			catchAll = r
			continue
		}
		if by := l.shadowedBy(p.Rules[:i], r, p.Profiles, &budget); by != nil {
			l.warnf(r.DeclRange, "Unreachable rule",
				"Rule %q can never match: rule %q at %s comes first, applies to every profile this rule names and has no other condition, so it matches every access to them. Move this rule above it or remove it.",
				r.Name, by.Name, l.pos(by.DeclRange))
		}
	}
	if p.Identity.Configured && len(p.Identity.Patterns) == 1 && p.Identity.Patterns[0].SubexpIndex("approval") < 0 {
		for _, r := range p.Rules {
			if r.Effect == EffectRequireApproval {
				l.warnf(l.ruleEffectRng[r], "Approval cannot be shown",
					"Rule %q requires approval, but the identity pattern at %s has no (?P<approval>…) group, so no access can ever show an approval id. Add the group to the pattern.",
					r.Name, l.pos(p.Identity.Range))
			}
		}
	}
}

// reachBudget bounds the glob matches of the unreachable-rule check, as
// overlapBudget bounds the overlap check's work: a policy of thousands of
// rules and profiles is checked in seconds, not hours.
const reachBudget = 20_000_000

// shadowedBy returns the earlier rule that matches every access to each
// declared profile r names (such as profiles = ["*"] with no other
// condition), so that r never decides one; nil when there is none. A rule
// without profiles is the catch-all case, judged by the caller.
func (l *loader) shadowedBy(earlier []*Rule, r *Rule, profiles []*Profile, budget *int) *Rule {
	if len(r.Profiles) == 0 {
		return nil
	}
	var named []string // the profiles r names, found once there is a rule to compare
	for _, e := range earlier {
		// Only a rule with no condition but its profiles matches every
		// access to them.
		if l.badRule[e] || len(e.Profiles) == 0 || len(e.Users) > 0 || e.Time != nil || len(e.Modes) > 0 {
			continue
		}
		if named == nil {
			named = []string{}
			for _, p := range profiles {
				if *budget -= len(r.Profiles); *budget < 0 {
					return nil
				}
				if MatchAny(r.Profiles, p.Name) {
					named = append(named, p.Name)
				}
			}
			if len(named) == 0 {
				return nil
			}
		}
		covered := true
		for _, n := range named {
			if *budget -= len(e.Profiles); *budget < 0 {
				return nil
			}
			if !e.coversProfile(n, "") {
				covered = false
				break
			}
		}
		if covered {
			return e
		}
	}
	return nil
}

func matchesAnyName(g Glob, names []string) bool {
	for _, n := range names {
		if g.Match(n) {
			return true
		}
	}
	return false
}

// sortDiagnostics orders diagnostics by file (in evaluation order), then
// position; diagnostics without a range come first, in their own order.
func sortDiagnostics(diags hcl.Diagnostics, files []string) {
	idx := make(map[string]int, len(files))
	for i, f := range files {
		idx[f] = i + 1
	}
	key := func(d *hcl.Diagnostic) (int, int) {
		if d.Subject == nil {
			return 0, 0
		}
		i, ok := idx[d.Subject.Filename]
		if !ok {
			i = len(files) + 1
		}
		return i, d.Subject.Start.Byte
	}
	sort.SliceStable(diags, func(a, b int) bool {
		fa, ba := key(diags[a])
		fb, bb := key(diags[b])
		if fa != fb {
			return fa < fb
		}
		return ba < bb
	})
}

// bodyContent is body.Content(schema) with the names schema allows added
// to an unknown argument's or block's error when HCL found none close to
// it ("roles" in a profile: its arguments are role_arns and description).
func bodyContent(body hcl.Body, schema *hcl.BodySchema, what string) (*hcl.BodyContent, hcl.Diagnostics) {
	content, diags := body.Content(schema)
	for _, d := range diags {
		if strings.Contains(d.Detail, "Did you mean") {
			continue
		}
		var names []string
		kind := "arguments"
		switch d.Summary {
		case "Unsupported argument":
			for _, a := range schema.Attributes {
				names = append(names, fmt.Sprintf("%q", a.Name))
			}
		case "Unsupported block type":
			kind = "blocks"
			for _, b := range schema.Blocks {
				names = append(names, fmt.Sprintf("%q", b.Type))
			}
		default:
			continue
		}
		if len(names) == 0 {
			d.Detail += fmt.Sprintf(" %s%s has no %s.", strings.ToUpper(what[:1]), what[1:], kind)
		} else {
			d.Detail += fmt.Sprintf(" The %s of %s: %s.", kind, what, strings.Join(names, ", "))
		}
	}
	return content, diags
}
