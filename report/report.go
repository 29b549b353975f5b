package report

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/internal/english"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// Formatter writes a Result in one format. It only returns the writer's
// errors and errors in the Result it cannot represent; it never prints
// anywhere but w.
type Formatter func(w io.Writer, r *Result) error

// DefaultCategory is SARIF's automationDetails.id when Result.Category is
// empty: GitHub code scanning's category for sentinel-check's alerts.
const DefaultCategory = "sentinel-check/"

// ValidateCategory is the category of `validate`'s SARIF: code scanning
// replaces a category's alerts with each upload, so a log of policy
// diagnostics uploaded under DefaultCategory would close every alert of
// the last check.
const ValidateCategory = "sentinel-check/validate/"

// DefaultPolicyFile is the policy path that locates findings when neither
// the finding nor the Result names a policy file.
const DefaultPolicyFile = ".sentinel-check.hcl"

// names lists the formats in the order Names returns them.
var names = []string{"text", "json", "sarif", "markdown", "github"}

var formatters = map[string]Formatter{
	"text":     Text,
	"json":     JSON,
	"sarif":    SARIF,
	"markdown": Markdown,
	"github":   GitHub,
}

// Lookup returns the formatter registered under name.
func Lookup(name string) (Formatter, bool) {
	f, ok := formatters[name]
	return f, ok
}

// Names lists the registered formats: text, json, sarif, markdown, github.
func Names() []string { return slices.Clone(names) }

// RelPath returns file relative to baseDir with forward slashes, the form
// SARIF artifact URIs and workflow annotations use. Both are made absolute
// against the working directory first, so a relative policy path and a
// relative base directory compare as the user means them. An empty baseDir
// keeps file as given (cleaned); a file outside baseDir keeps its "../"
// steps; when no relative path exists (another volume) file is returned
// cleaned, with forward slashes.
func RelPath(baseDir, file string) string {
	if file == "" {
		return ""
	}
	clean := filepath.ToSlash(filepath.Clean(file))
	if baseDir == "" {
		return clean
	}
	absBase, err := filepath.Abs(baseDir)
	if err != nil {
		return clean
	}
	absFile, err := filepath.Abs(file)
	if err != nil {
		return clean
	}
	rel, err := filepath.Rel(absBase, absFile)
	if err != nil {
		return clean
	}
	return filepath.ToSlash(rel)
}

// failOn is the severity in force for the verdict.
func (r *Result) failOn() checks.Severity {
	if r.FailOn == "" {
		return checks.SeverityError
	}
	return r.FailOn
}

// Failed reports whether some finding is at or above FailOn.
func (r *Result) Failed() bool {
	min := r.failOn().Rank()
	if min == 0 { // none
		return false
	}
	for i := range r.Findings {
		if r.Findings[i].Severity.Rank() >= min {
			return true
		}
	}
	return false
}

// severityCounts counts findings by severity.
type severityCounts struct{ errors, warnings, notes, other int }

func countSeverities(fs []checks.Finding) severityCounts {
	var c severityCounts
	for i := range fs {
		switch fs[i].Severity {
		case checks.SeverityError:
			c.errors++
		case checks.SeverityWarning:
			c.warnings++
		case checks.SeverityNote:
			c.notes++
		default:
			c.other++
		}
	}
	return c
}

func (c severityCounts) total() int { return c.errors + c.warnings + c.notes + c.other }

// verdictLine is the one-line verdict shared by text and markdown:
// "FAIL — 3 findings (2 errors, 1 warning, 0 notes)".
func verdictLine(r *Result) string {
	c := countSeverities(r.Findings)
	v := "PASS"
	if r.Failed() {
		v = "FAIL"
	}
	return fmt.Sprintf("%s — %s (%s, %s, %s)", v, english.Count(c.total(), "finding", "findings"),
		english.Count(c.errors, "error", "errors"), english.Count(c.warnings, "warning", "warnings"), english.Count(c.notes, "note", "notes"))
}

// Profile verdicts, icon-free so they survive every medium.
const (
	VerdictPass        = "PASS"
	VerdictGap         = "GAP"
	VerdictNoData      = "NO DATA"
	VerdictNotRequired = "NOT REQUIRED"
	VerdictFindings    = "FINDINGS"
)

// Verdict says how a profile stands on tracking: GAP when a session that
// required tracking was not tracked, NOT REQUIRED when no rule demands
// tracked sessions, NO DATA when it is required but had no sessions, and
// PASS otherwise.
func (p *ProfileReport) Verdict() string {
	switch {
	case p.HasGap:
		return VerdictGap
	case !p.Required:
		return VerdictNotRequired
	case p.Sessions == 0:
		return VerdictNoData
	}
	return VerdictPass
}

// ProfileVerdict is Verdict with the profile's findings, and SC2002 about
// the run's data, taken into account: a warning or an error (a bypass, a
// denied access, a source not read whole), or a note when FailOn is note,
// shows FINDINGS, never NOT REQUIRED or PASS: a finding that fails the run
// always shows, and a lenient --fail-on does not turn a warning into a
// PASS.
func (r *Result) ProfileVerdict(p *ProfileReport) string {
	v := p.Verdict()
	if v == VerdictGap || v == VerdictNoData {
		return v
	}
	min := checks.SeverityWarning.Rank()
	if f := r.failOn().Rank(); f > 0 && f < min {
		min = f
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		// SC2002 about the run (a source not read whole, regions not read,
		// no assume-role call at all) leaves every profile unproven.
		if (f.Profile == p.Profile || f.Profile == "" && f.CheckID == "SC2002") && f.Severity.Rank() >= min {
			return VerdictFindings
		}
	}
	return v
}

// location is where a finding is shown, resolved for files relative to
// the base directory. Every finding gets one: a finding without a range
// falls back to line 1 of the first policy file.
type location struct {
	File               string // relative to BaseDir, forward slashes
	Source             string // the file name as given (a PolicySources key)
	Line, Column       int    // 1-based
	EndLine, EndColumn int    // 0 when unknown
	Fallback           bool   // the finding had no range of its own
}

// locate resolves rng, falling back to the first policy file.
func (r *Result) locate(rng hcl.Range) location {
	if rng.Filename == "" {
		f := r.firstPolicyFile()
		return location{File: RelPath(r.BaseDir, f), Source: f, Line: 1, Column: 1, Fallback: true}
	}
	src := r.PolicySources[rng.Filename]
	l := location{
		File:   RelPath(r.BaseDir, rng.Filename),
		Source: rng.Filename,
		Line:   max(rng.Start.Line, 1),
		Column: max(policyhcl.CodePointColumn(src, rng.Start), 1),
	}
	if rng.End.Line >= l.Line {
		l.EndLine = rng.End.Line
		if end := policyhcl.CodePointColumn(src, rng.End); end > 0 && (l.EndLine > l.Line || end >= l.Column) {
			l.EndColumn = end
		}
	}
	return l
}

// firstPolicyFile is the lexically first policy file known to the Result.
func (r *Result) firstPolicyFile() string {
	if len(r.PolicySources) > 0 {
		files := make([]string, 0, len(r.PolicySources))
		for f := range r.PolicySources {
			files = append(files, f)
		}
		slices.Sort(files)
		return files[0]
	}
	first := ""
	for i := range r.Findings {
		f := r.Findings[i].Range.Filename
		if f != "" && (first == "" || f < first) {
			first = f
		}
	}
	if first != "" {
		return first
	}
	return DefaultPolicyFile
}

// String renders a location as file:line:col.
func (l location) String() string {
	return fmt.Sprintf("%s:%d:%d", l.File, l.Line, l.Column)
}

// profileIndex maps profile names to their reports.
func (r *Result) profileIndex() map[string]*ProfileReport {
	m := make(map[string]*ProfileReport, len(r.Profiles))
	for i := range r.Profiles {
		m[r.Profiles[i].Profile] = &r.Profiles[i]
	}
	return m
}

// firstParagraph is the first paragraph of a markdown doc, on one line.
func firstParagraph(doc string) string {
	doc = strings.TrimSpace(strings.ReplaceAll(doc, "\r\n", "\n"))
	if i := strings.Index(doc, "\n\n"); i >= 0 {
		doc = doc[:i]
	}
	return strings.Join(strings.Fields(doc), " ")
}

// eventBreakdown is how the assume-role events read add up, for text and
// Markdown: "40 = 1 duplicate + 1 outside window + 1 failed + 37 sessions".
func eventBreakdown(t SourceTotals) string {
	return fmt.Sprintf("%d = %s + %d outside window + %d failed + %s", t.AssumeRoleEvents,
		english.Count(t.Duplicates, "duplicate", "duplicates"), t.OutsideWindow, t.Failed, english.Count(t.Sessions, "session", "sessions"))
}
