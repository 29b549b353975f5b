package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/hashicorp/hcl/v2"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/sentinel-check/sentinel-check/checks"
)

// GitHub code scanning's limits on one SARIF run
// (docs.github.com: "SARIF support for code scanning").
const (
	// MaxSARIFResults is the most results GitHub accepts in one run.
	MaxSARIFResults = 25000
	// maxSARIFLocations caps related locations per result.
	maxSARIFLocations = 1000
	// maxSARIFTags caps tags per rule.
	maxSARIFTags = 20
	// maxSARIFEvents caps the event ids listed in a result's properties;
	// the JSON report lists them all.
	maxSARIFEvents = 20
)

// sarifResultCap is the cap in force: MaxSARIFResults, lowered only by
// tests.
var sarifResultCap = MaxSARIFResults

// srcRoot is the uriBaseId every artifact location is relative to: the
// base directory, in GitHub code scanning the repository root.
const srcRoot = "%SRCROOT%"

// defaultInformationURI is the driver's informationUri when the Result
// does not name one.
const defaultInformationURI = "https://github.com/sentinel-check/sentinel-check"

// unknownVersion is the driver's version when the Result names none (a
// development build).
const unknownVersion = "0.0.0-dev"

var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// SARIF writes a SARIF 2.1.0 log with one run for GitHub code scanning:
// full rule metadata, every result located in a policy file relative to
// BaseDir (the profile block, or line 1 of the first policy file), the
// rules that demanded tracking as related locations, a line-independent
// partialFingerprints.primaryLocationLineHash per (check, profile, role), a
// stable automationDetails.id, and at most MaxSARIFResults results (a
// run-level notification says how many were left out).
func SARIF(w io.Writer, r *Result) error {
	log := sarif.NewReport()

	name := r.Tool.Name
	if name == "" {
		name = "sentinel-check"
	}
	info := r.Tool.InformationURI
	if info == "" {
		info = defaultInformationURI
	}
	run := sarif.NewRunWithInformationURI(name, info)
	v := r.Tool.Version
	if v == "" {
		v = unknownVersion
	}
	run.Tool.Driver.Version = &v
	if sv := strings.TrimPrefix(v, "v"); semverRE.MatchString(sv) {
		run.Tool.Driver.SemanticVersion = &sv
	}
	run.WithColumnKind("unicodeCodePoints")
	base := sarif.NewArtifactLocation().WithDescription(
		sarif.NewMessage().WithText("The base directory (--base-dir) that policy file paths are relative to: the repository root."))
	run.WithOriginalUriBaseIds(map[string]sarif.ArtifactLocation{srcRoot: *base})
	category := r.Category
	if category == "" {
		category = DefaultCategory
	}
	if !strings.HasSuffix(category, "/") {
		// Code scanning takes the category from the id up to its last
		// slash: without one, every category would be the same.
		category += "/"
	}
	run.WithAutomationDetails(sarif.NewRunAutomationDetails().WithID(category))

	// Rules, in registry order; a finding of a check missing from Rules
	// gets a minimal rule so that ruleIndex always resolves.
	ruleIndex := make(map[string]int, len(r.Rules))
	for _, m := range r.Rules {
		if _, dup := ruleIndex[m.ID]; dup {
			continue
		}
		ruleIndex[m.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.AddRule(sarifRule(m))
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if _, ok := ruleIndex[f.CheckID]; !ok {
			ruleIndex[f.CheckID] = len(run.Tool.Driver.Rules)
			run.Tool.Driver.AddRule(sarifRule(checks.Meta{ID: f.CheckID, Name: f.Check, Title: f.Check, DefaultSeverity: f.Severity}))
		}
	}

	profiles := r.profileIndex()
	occurrences := make(map[string]int)
	shown := r.Findings
	if len(shown) > sarifResultCap {
		// Keep the most severe (findings normally come sorted already).
		shown = slices.Clone(shown)
		slices.SortStableFunc(shown, func(a, b checks.Finding) int { return b.Severity.Rank() - a.Severity.Rank() })
		shown = shown[:sarifResultCap]
	}
	for i := range shown {
		f := &shown[i]
		res := sarif.NewRuleResult(f.CheckID).
			WithRuleIndex(ruleIndex[f.CheckID]).
			WithLevel(sarifLevel(f.Severity)).
			WithMessage(sarif.NewTextMessage(sarifText(f.Message)))
		res.AddLocation(r.sarifLocation(f.Range, ""))
		for j, rel := range f.Related {
			if j == maxSARIFLocations {
				break
			}
			res.AddRelatedLocation(r.sarifLocation(rel.Range, rel.Message).WithID(j + 1))
		}
		key := fingerprintKey(f)
		occurrences[key]++
		res.WithPartialFingerprints(map[string]string{
			"primaryLocationLineHash": fmt.Sprintf("%s:%d", key, occurrences[key]),
		})
		res.WithProperties(sarifResultProperties(f, profiles[f.Profile]))
		run.AddResult(res)
	}

	inv := sarif.NewInvocation().WithExecutionSuccessful(true)
	if left := len(r.Findings) - len(shown); left > 0 {
		inv.AddToolExecutionNotification(sarif.NewNotification().
			WithLevel(sarif.LevelWarning).
			WithMessage(sarif.NewTextMessage(fmt.Sprintf(
				"%d of %d findings were left out of this run: GitHub code scanning accepts at most %d results per run. The JSON report lists every finding.",
				left, len(r.Findings), sarifResultCap))))
	}
	for _, d := range r.Diagnostics {
		n := sarif.NewNotification().
			WithLevel(sarifLevel(checks.Severity(diagSeverity(d)))).
			WithMessage(sarif.NewTextMessage(sarifText(diagText(d))))
		var rng hcl.Range
		if d.Subject != nil {
			rng = *d.Subject
		}
		n.AddLocation(r.sarifLocation(rng, ""))
		inv.AddToolConfigurationNotification(n)
	}
	run.AddInvocation(inv)
	log.AddRun(run)

	var raw bytes.Buffer
	if err := log.Write(&raw); err != nil {
		return fmt.Errorf("encode sarif report: %w", err)
	}
	if err := tidySARIF(w, raw.Bytes()); err != nil {
		return fmt.Errorf("write sarif report: %w", err)
	}
	return nil
}

// sarifRule turns a check's metadata into a reportingDescriptor.
func sarifRule(m checks.Meta) *sarif.ReportingDescriptor {
	title := m.Title
	if title == "" {
		title = m.Name
	}
	doc := strings.TrimSpace(m.Doc)
	full := firstParagraph(doc)
	if full == "" {
		full = title
		doc = title
	}
	rule := sarif.NewRule(m.ID).
		WithName(pascalCase(m.Name)).
		WithShortDescription(sarif.NewMultiformatMessageString().WithText(sentence(title))).
		WithFullDescription(sarif.NewMultiformatMessageString().WithText(sentence(full))).
		WithHelp(sarif.NewMultiformatMessageString().WithText(doc).WithMarkdown(doc)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(m.DefaultSeverity)).WithEnabled(!m.Disabled))
	if m.HelpURL != "" {
		rule.WithHelpURI(m.HelpURL)
	}
	props := sarif.NewPropertyBag()
	tags := make([]string, 0, len(m.Tags)+1)
	seen := map[string]bool{}
	for _, t := range append([]string{"security"}, m.Tags...) {
		if t != "" && !seen[t] && len(tags) < maxSARIFTags {
			seen[t] = true
			tags = append(tags, t)
		}
	}
	props.WithTags(tags)
	if m.SecuritySeverity != "" {
		props.Add("security-severity", securitySeverity(m.SecuritySeverity, m.DefaultSeverity))
	}
	if m.Precision != "" {
		props.Add("precision", m.Precision)
	}
	rule.WithProperties(props)
	return rule
}

// sarifLocation locates rng (or line 1 of the first policy file) with a
// %SRCROOT%-relative URI and a region; msg becomes the location's message.
func (r *Result) sarifLocation(rng hcl.Range, msg string) *sarif.Location {
	l := r.locate(rng)
	art := sarif.NewArtifactLocation().WithURI(uriReference(l.File)).WithURIBaseID(srcRoot)
	region := sarif.NewRegion().WithStartLine(l.Line).WithStartColumn(l.Column)
	if l.EndLine > 0 {
		region.WithEndLine(l.EndLine)
		if l.EndColumn > 0 {
			region.WithEndColumn(l.EndColumn)
		}
	}
	if snip := r.snippet(l); snip != "" {
		region.WithSnippet(sarif.NewArtifactContent().WithText(snip))
	}
	loc := sarif.NewLocation().WithPhysicalLocation(
		sarif.NewPhysicalLocation().WithArtifactLocation(art).WithRegion(region))
	if msg != "" {
		loc.WithMessage(sarif.NewTextMessage(sarifText(msg)))
	}
	return loc
}

// maxSnippetLines caps a region snippet; the file itself is in the
// repository.
const maxSnippetLines = 10

// snippet returns the lines of l's region from the policy sources.
func (r *Result) snippet(l location) string {
	src, ok := r.PolicySources[l.Source]
	if !ok || l.Fallback {
		return ""
	}
	end := max(l.EndLine, l.Line)
	end = min(end, l.Line+maxSnippetLines-1)
	lines := strings.SplitAfter(string(src), "\n")
	if l.Line > len(lines) {
		return ""
	}
	end = min(end, len(lines))
	return strings.Join(lines[l.Line-1:end], "")
}

// securitySeverity caps a check's security-severity score by the severity
// in force, so that a check a policy turns into a note does not show as a
// High alert in code scanning (which ranks security rules by the score:
// below 4 low, below 7 medium).
func securitySeverity(score string, sev checks.Severity) string {
	limit := map[checks.Severity]float64{checks.SeverityNote: 3.9, checks.SeverityWarning: 6.9}[sev]
	v, err := strconv.ParseFloat(score, 64)
	if err != nil || limit == 0 || v <= limit {
		return score
	}
	return strconv.FormatFloat(limit, 'f', 1, 64)
}

// uriReference escapes a relative path as a URI reference.
func uriReference(p string) string {
	return (&url.URL{Path: p}).String()
}

// hclPosition matches the line and column after a file name with an
// extension ("policy.hcl:12:3", "policy.conf:4").
var hclPosition = regexp.MustCompile(`(\.[A-Za-z0-9]+):\d+(?::\d+)?`)

// fingerprintKey is the line-independent identity of a finding: a hash of
// (check id, profile, role). Moving or editing the profile block keeps it,
// so the alert stays the same one; another profile or role gets another.
func fingerprintKey(f *checks.Finding) string {
	key := f.CheckID + "\x00" + f.Profile + "\x00" + f.Role
	if f.Profile == "" && f.Role == "" && f.CheckID != "SC2002" {
		// Findings about no profile (policy errors) are told apart by
		// what they say, not by their position in the list. SC2002 about
		// the run is one finding whose message changes with the window
		// and the sources: it stays one alert. Positions in the message
		// ("policy.hcl:12:3") are left out, so a line added above the
		// finding keeps its alert.
		key += "\x00" + hclPosition.ReplaceAllString(f.Message, "$1")
	}
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:8])
}

// sarifResultProperties carries the profile's numbers and the first event
// ids.
func sarifResultProperties(f *checks.Finding, p *ProfileReport) *sarif.PropertyBag {
	props := sarif.NewPropertyBag()
	if f.Profile != "" {
		props.Add("profile", Neutralize(f.Profile))
	}
	if f.Role != "" {
		props.Add("role", Neutralize(f.Role))
	}
	if p != nil {
		props.Add("sessions", p.Sessions)
		props.Add("tracked", p.Tracked)
		props.Add("untracked", p.Untracked)
		props.Add("complianceRate", json.Number(p.Rate()))
		props.Add("deniedAttempts", p.DeniedAttempts)
	}
	events := make([]string, 0, min(len(f.Events), maxSARIFEvents))
	for _, e := range f.Events[:min(len(f.Events), maxSARIFEvents)] {
		events = append(events, Neutralize(e))
	}
	props.Add("events", events)
	props.Add("eventCount", max(f.EventCount, len(f.Events)))
	return props
}

// sarifLevel maps a severity to a SARIF level; an unknown severity is
// shown as an error rather than played down.
func sarifLevel(s checks.Severity) string {
	switch s {
	case checks.SeverityWarning:
		return sarif.LevelWarning
	case checks.SeverityNote:
		return sarif.LevelNote
	}
	return sarif.LevelError
}

// sarifText neutralizes an untrusted message, escapes the square brackets
// that would otherwise read as embedded links ("[text](1)", SARIF §3.11.6),
// and ends it as a sentence, as SARIF's message guidelines ask.
func sarifText(s string) string {
	s = Neutralize(s)
	if strings.ContainsAny(s, "[]") {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '[' || c == ']':
				b.WriteByte('\\')
			case c == '\\' && i+1 < len(s) && (s[i+1] == '[' || s[i+1] == ']'):
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		s = b.String()
	}
	return sentence(s)
}

// sentence trims s and ends it with a period unless it already ends with
// one (or with "!" or "?").
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// pascalCase turns "untracked-session" into "UntrackedSession".
func pascalCase(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '-' || r == '_' || r == ' ' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
