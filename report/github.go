package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/internal/english"
	"github.com/sentinel-check/sentinel-check/internal/safetext"
)

// MaxAnnotationsPerKind is how many annotations of each kind (error,
// warning, notice) GitHub shows for one step; later ones only stay in the
// log.
const MaxAnnotationsPerKind = 10

// Caps on an annotation's title and message (bytes, before escaping); the
// full text is in the other reports.
const (
	ghMaxTitle   = 200
	ghMaxMessage = 8000
)

// annotation is one workflow command to print.
type annotation struct {
	kind    string // error | warning | notice
	loc     location
	title   string
	message string
}

// GitHub writes GitHub Actions workflow commands, one annotation per
// finding (and per policy warning): "::error file=…,line=…,endLine=…,
// col=…,title=…::message", with ::warning and ::notice by severity. It
// prints at most MaxAnnotationsPerKind of each kind and then one ::notice
// that says how many were left out, keeping a notice slot free for it, and
// an error and a warning slot for a wrapper's verdict.
// Messages and properties are escaped exactly as @actions/core escapes
// them, after control characters are neutralized, so an untrusted value
// can neither end the command nor start another one.
func GitHub(w io.Writer, r *Result) error {
	var all []annotation
	for i := range r.Findings {
		f := &r.Findings[i]
		title := strings.TrimSpace(f.CheckID + " " + f.Check)
		if f.Profile != "" {
			title += " (" + f.Profile + ")"
		} else if f.Role != "" {
			title += " (" + f.Role + ")"
		}
		all = append(all, annotation{kind: annotationKind(f.Severity), loc: r.locate(f.Range), title: title, message: f.Message})
	}
	for _, d := range r.Diagnostics {
		all = append(all, annotation{kind: annotationKind(checks.Severity(diagSeverity(d))), loc: r.diagLocation(d), title: "policy " + diagSeverity(d) + ": " + d.Summary, message: diagText(d)})
	}

	total := map[string]int{}
	for _, a := range all {
		total[a.kind]++
	}
	// An error and a warning slot stay free for the verdict a wrapper
	// prints in the same step (the Action's "N findings …" error, or its
	// soft-fail warning): GitHub counts a composite action's annotations
	// as one step's.
	limit := map[string]int{"error": MaxAnnotationsPerKind - 1, "warning": MaxAnnotationsPerKind - 1, "notice": MaxAnnotationsPerKind}
	overflow := total["error"] > limit["error"] || total["warning"] > limit["warning"] || total["notice"] > limit["notice"]
	if overflow {
		limit["notice"]-- // the overflow notice takes the last slot
	}

	ew := &errWriter{w: w}
	shown := map[string]int{}
	for _, a := range all {
		if shown[a.kind] >= limit[a.kind] {
			continue
		}
		shown[a.kind]++
		ew.printf("%s\n", a.command())
	}
	if overflow {
		le, lw, ln := total["error"]-shown["error"], total["warning"]-shown["warning"], total["notice"]-shown["notice"]
		msg := fmt.Sprintf("%d more findings not shown as annotations (%s, %s, %s; GitHub shows %d of each kind per step); see the job summary or the SARIF/JSON report",
			le+lw+ln, english.Count(le, "error", "errors"), english.Count(lw, "warning", "warnings"), english.Count(ln, "notice", "notices"), MaxAnnotationsPerKind)
		ew.printf("::notice title=%s::%s\n", EscapeProperty("sentinel-check"), EscapeData(msg))
	}
	return ew.err
}

// annotationKind maps a severity to a workflow command; an unknown
// severity is shown as an error.
func annotationKind(s checks.Severity) string {
	switch s {
	case checks.SeverityWarning:
		return "warning"
	case checks.SeverityNote:
		return "notice"
	}
	return "error"
}

// command renders the workflow command line (without the newline).
func (a annotation) command() string {
	props := []string{
		"file=" + EscapeProperty(Neutralize(a.loc.File)),
		"line=" + strconv.Itoa(a.loc.Line),
	}
	if a.loc.EndLine > 0 {
		props = append(props, "endLine="+strconv.Itoa(a.loc.EndLine))
	}
	props = append(props, "col="+strconv.Itoa(a.loc.Column))
	// GitHub takes an end column only on a one-line range.
	if a.loc.EndColumn > 0 && (a.loc.EndLine == 0 || a.loc.EndLine == a.loc.Line) {
		props = append(props, "endColumn="+strconv.Itoa(a.loc.EndColumn))
	}
	props = append(props, "title="+EscapeProperty(Neutralize(safetext.Clip(a.title, ghMaxTitle))))
	return "::" + a.kind + " " + strings.Join(props, ",") + "::" + EscapeData(Neutralize(safetext.Clip(a.message, ghMaxMessage)))
}
