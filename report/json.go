package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// The JSON report. Field names and meanings are a contract (SPEC §7):
// window, profiles, findings, sources, summary. Fields may be added, never
// renamed or removed.
type jsonReport struct {
	Window      jsonWindow       `json:"window"`
	Profiles    []jsonProfile    `json:"profiles"`
	Findings    []jsonFinding    `json:"findings"`
	Sources     jsonSources      `json:"sources"`
	Summary     jsonSummary      `json:"summary"`
	Diagnostics []jsonDiagnostic `json:"diagnostics"`
	Tool        jsonTool         `json:"tool"`
	// Policy is set in validate's report: what the policy declares (its
	// window and sources are empty there: no activity is read).
	Policy *jsonPolicy `json:"policy,omitempty"`
}

type jsonPolicy struct {
	Files         int `json:"files"`
	Profiles      int `json:"profiles"`
	Rules         int `json:"rules"`
	SessionTables int `json:"session_tables"`
}

// optTime is fmtTime of t, or "" for the zero time (validate's report has
// no window).
func optTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmtTime(t)
}

type jsonWindow struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type jsonProfile struct {
	Profile        string         `json:"profile"`
	Required       bool           `json:"required"`
	Sessions       int            `json:"sessions"`
	Tracked        int            `json:"tracked"`
	Untracked      int            `json:"untracked"`
	ComplianceRate json.Number    `json:"compliance_rate"`
	HasGap         bool           `json:"has_gap"`
	ByCategory     map[string]int `json:"by_category"`
	DeniedAttempts int            `json:"denied_attempts"`
	Roles          []string       `json:"roles"`
	Verdict        string         `json:"verdict"`
	FirstEvent     string         `json:"first_event,omitempty"`
	LastEvent      string         `json:"last_event,omitempty"`
}

type jsonFinding struct {
	ID       string   `json:"id"`
	Check    string   `json:"check"`
	Profile  string   `json:"profile"`
	Severity string   `json:"severity"`
	Message  string   `json:"message"`
	Role     string   `json:"role"`
	Events   []string `json:"events"`
	// EventCount is the number of events; Events holds the ids of the
	// earliest 1,000.
	EventCount int            `json:"event_count"`
	Location   jsonLocation   `json:"location"`
	Related    []jsonLocation `json:"related"`
}

type jsonLocation struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"end_line,omitempty"`
	EndColumn int    `json:"end_column,omitempty"`
	Message   string `json:"message,omitempty"`
}

type jsonSources struct {
	CloudTrail []cloudtrail.Stats `json:"cloudtrail"`
	Sessions   []sessions.Stats   `json:"sessions"`
	Totals     SourceTotals       `json:"totals"`
}

type jsonSummary struct {
	RequiredProfiles       int  `json:"required_profiles"`
	FullyCompliantProfiles int  `json:"fully_compliant_profiles"`
	ProfilesWithGaps       int  `json:"profiles_with_gaps"`
	Findings               int  `json:"findings"`
	Errors                 int  `json:"errors"`
	Warnings               int  `json:"warnings"`
	Notes                  int  `json:"notes"`
	Failed                 bool `json:"failed"`
}

type jsonDiagnostic struct {
	Severity string       `json:"severity"`
	Summary  string       `json:"summary"`
	Detail   string       `json:"detail"`
	Location jsonLocation `json:"location"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// JSON writes the machine-readable report: indented, deterministic, with a
// trailing newline. Arrays are [] rather than null, every profile carries
// all six categories, times are RFC 3339 in UTC and compliance rates have
// one decimal.
func JSON(w io.Writer, r *Result) error {
	out := jsonReport{
		Window:      jsonWindow{Start: optTime(r.Window.Start), End: optTime(r.Window.End)},
		Profiles:    make([]jsonProfile, 0, len(r.Profiles)),
		Findings:    make([]jsonFinding, 0, len(r.Findings)),
		Diagnostics: make([]jsonDiagnostic, 0, len(r.Diagnostics)),
		Tool:        jsonTool{Name: r.Tool.Name, Version: r.Tool.Version},
	}
	if p := r.Policy; p != nil {
		out.Policy = &jsonPolicy{Files: p.Files, Profiles: p.Profiles, Rules: p.Rules, SessionTables: p.SessionTables}
	}
	for i := range r.Profiles {
		p := &r.Profiles[i]
		jp := jsonProfile{
			Profile:        p.Profile,
			Required:       p.Required,
			Sessions:       p.Sessions,
			Tracked:        p.Tracked,
			Untracked:      p.Untracked,
			ComplianceRate: json.Number(p.Rate()),
			HasGap:         p.HasGap,
			ByCategory:     make(map[string]int, len(Categories)),
			DeniedAttempts: p.DeniedAttempts,
			Roles:          nonNil(p.Roles),
			Verdict:        r.ProfileVerdict(p),
		}
		for _, c := range Categories {
			jp.ByCategory[c] = 0
		}
		for c, n := range p.ByCategory {
			jp.ByCategory[c] = n
		}
		jp.FirstEvent, jp.LastEvent = optTime(p.FirstEvent), optTime(p.LastEvent)
		out.Profiles = append(out.Profiles, jp)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		jf := jsonFinding{
			ID:         f.CheckID,
			Check:      f.Check,
			Profile:    f.Profile,
			Severity:   string(f.Severity),
			Message:    f.Message,
			Role:       f.Role,
			Events:     nonNil(f.Events),
			EventCount: max(f.EventCount, len(f.Events)),
			Location:   jsonLoc(r.locate(f.Range), ""),
			Related:    make([]jsonLocation, 0, len(f.Related)),
		}
		for _, rel := range f.Related {
			jf.Related = append(jf.Related, jsonLoc(r.locate(rel.Range), rel.Message))
		}
		out.Findings = append(out.Findings, jf)
	}
	for _, d := range r.Diagnostics {
		out.Diagnostics = append(out.Diagnostics, jsonDiagnostic{
			Severity: diagSeverity(d),
			Summary:  d.Summary,
			Detail:   d.Detail,
			Location: jsonLoc(r.diagLocation(d), ""),
		})
	}
	out.Sources = jsonSources{
		CloudTrail: nonNil(r.Sources.CloudTrail),
		Sessions:   nonNil(r.Sources.Sessions),
		Totals:     r.Sources.Totals,
	}
	c := countSeverities(r.Findings)
	out.Summary = jsonSummary{
		RequiredProfiles:       r.Summary.RequiredProfiles,
		FullyCompliantProfiles: r.Summary.FullyCompliantProfiles,
		ProfilesWithGaps:       r.Summary.ProfilesWithGaps,
		Findings:               r.Summary.Findings,
		Errors:                 c.errors,
		Warnings:               c.warnings,
		Notes:                  c.notes,
		Failed:                 r.Failed(),
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	if _, err := w.Write(runnerCommandJSON(escapeJSONInvisible(buf.Bytes()))); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

func jsonLoc(l location, msg string) jsonLocation {
	return jsonLocation{File: l.File, Line: l.Line, Column: l.Column, EndLine: l.EndLine, EndColumn: l.EndColumn, Message: msg}
}

// nonNil returns s, or an empty slice when s is nil, so that JSON shows []
// and never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
