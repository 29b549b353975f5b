package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/sentinel-check/sentinel-check/internal/english"
	"github.com/sentinel-check/sentinel-check/internal/safetext"
)

// maxSkippedShown caps the skipped items listed per source in text and
// markdown; the counts always include all of them.
const maxSkippedShown = 10

// Text writes the human report: the per-profile table with "!" after a
// profile that has a gap, the findings, policy warnings, a summary with
// what was read, and one final "Result:" line. Untrusted values are
// neutralized so they cannot drive the terminal.
func Text(w io.Writer, r *Result) error {
	// The report is often printed in a CI log: no line of it may read as
	// a workflow command (values from CloudTrail are in it).
	var buf strings.Builder
	if err := text(&buf, r); err != nil {
		return err
	}
	_, err := io.WriteString(w, safetext.Lines(buf.String()))
	return err
}

func text(w io.Writer, r *Result) error {
	ew := &errWriter{w: w}
	name := r.Tool.Name
	if name == "" {
		name = "sentinel-check"
	}
	header := Neutralize(name)
	if r.Tool.Version != "" {
		header += " " + Neutralize(r.Tool.Version)
	}
	if !r.Window.Start.IsZero() || !r.Window.End.IsZero() {
		header += " · window " + fmtTime(r.Window.Start) + " to " + fmtTime(r.Window.End)
	}
	ew.printf("%s\n\n", header)

	// Profiles.
	if len(r.Profiles) == 0 {
		ew.printf("No profiles.\n")
	} else {
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "PROFILE\tSESSIONS\tTRACKED\tUNTRACKED\tCOMPLIANCE\tREQUIRED\tVERDICT\n")
		gaps := false
		for i := range r.Profiles {
			p := &r.Profiles[i]
			mark := ""
			if p.HasGap {
				mark, gaps = "!", true
			}
			fmt.Fprintf(tw, "%s%s\t%d\t%d\t%d\t%s%%\t%s\t%s\n", Neutralize(p.Profile), mark,
				p.Sessions, p.Tracked, p.Untracked, p.Rate(), yesNo(p.Required), r.ProfileVerdict(p))
		}
		_ = tw.Flush() // errors are recorded by ew
		if gaps {
			ew.printf("\n! a session that required tracking was not tracked\n")
		}
	}

	// Findings.
	ew.printf("\nFINDINGS\n")
	if len(r.Findings) == 0 {
		ew.printf("None.\n")
	} else {
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		for i := range r.Findings {
			f := &r.Findings[i]
			fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\n", Neutralize(string(f.Severity)),
				Neutralize(f.CheckID), Neutralize(f.Check),
				Neutralize(r.locate(f.Range).String()), Neutralize(f.Message))
		}
		_ = tw.Flush()
	}

	// Policy warnings.
	if len(r.Diagnostics) > 0 {
		ew.printf("\nPOLICY WARNINGS\n")
		for _, d := range r.Diagnostics {
			ew.printf("%s  %s  %s\n", diagSeverity(d), Neutralize(r.diagLocation(d).String()), Neutralize(diagText(d)))
		}
	}

	// Summary.
	c := countSeverities(r.Findings)
	ew.printf("\nSUMMARY\n")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Required profiles:\t%d\n", r.Summary.RequiredProfiles)
	fmt.Fprintf(tw, "Fully compliant:\t%d\n", r.Summary.FullyCompliantProfiles)
	fmt.Fprintf(tw, "With gaps:\t%d\n", r.Summary.ProfilesWithGaps)
	fmt.Fprintf(tw, "Findings:\t%d (%s, %s, %s)\n", r.Summary.Findings,
		english.Count(c.errors, "error", "errors"), english.Count(c.warnings, "warning", "warnings"), english.Count(c.notes, "note", "notes"))
	_ = tw.Flush()

	// Sources.
	t := r.Sources.Totals
	ew.printf("\nSOURCES READ\n")
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Files:\t%d read, %d skipped, %d unreadable\n", t.Files, t.FilesSkipped, t.Unreadable)
	fmt.Fprintf(tw, "Pages:\t%d\n", t.Pages)
	fmt.Fprintf(tw, "Records:\t%d read, %d skipped\n", t.Records, t.RecordsSkipped)
	fmt.Fprintf(tw, "Assume-role events:\t%s\n", eventBreakdown(t))
	fmt.Fprintf(tw, "Session records:\t%d used, %d skipped\n", t.SessionRecords, t.SessionRecordsSkipped)
	_ = tw.Flush()
	if len(r.Sources.CloudTrail)+len(r.Sources.Sessions) > 0 {
		tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		for _, s := range r.Sources.CloudTrail {
			counts := cloudTrailCounts(s.Files, s.FilesSkipped, s.Pages, s.Records, s.RecordsSkipped, s.Unreadable)
			if s.Requests > 0 {
				counts += fmt.Sprintf(", %d requests (%d retried)", s.Requests, s.Retries)
			}
			if s.QueryID != "" {
				counts += fmt.Sprintf(", Athena query %s scanned %d bytes", Neutralize(s.QueryID), s.BytesScanned)
			}
			fmt.Fprintf(tw, "  cloudtrail\t%s\t%s\t%s\n", Neutralize(s.Kind), Neutralize(s.Source), counts)
		}
		for _, s := range r.Sources.Sessions {
			fmt.Fprintf(tw, "  sessions\t%s\t%s\t%s, %d skipped\n", Neutralize(s.Kind), Neutralize(s.Source), english.Count(s.Records, "record", "records"), s.RecordsSkipped)
		}
		_ = tw.Flush()
		for _, sk := range r.skipped() {
			ew.printf("  skipped %s\n", Neutralize(sk))
		}
	}

	ew.printf("\nResult: %s\n", verdictLine(r))
	return ew.err
}

func cloudTrailCounts(files, filesSkipped, pages, records, recordsSkipped, unreadable int64) string {
	s := fmt.Sprintf("%s, %d skipped", english.Count(files, "file", "files"), filesSkipped)
	if pages > 0 {
		s += ", " + english.Count(pages, "page", "pages")
	}
	return s + fmt.Sprintf(", %s, %d skipped, %d unreadable", english.Count(records, "record", "records"), recordsSkipped, unreadable)
}

// skipped lists "source: item: reason" for the skipped items of every
// source, at most maxSkippedShown per source, then how many more.
func (r *Result) skipped() []string {
	var out []string
	add := func(source string, items [][2]string) {
		for i, it := range items {
			if i == maxSkippedShown {
				out = append(out, fmt.Sprintf("%s: … %d more", source, len(items)-maxSkippedShown))
				break
			}
			if it[0] == source { // the source as a whole
				out = append(out, source+": "+it[1])
				continue
			}
			out = append(out, source+": "+it[0]+": "+it[1])
		}
	}
	for _, s := range r.Sources.CloudTrail {
		items := make([][2]string, len(s.Skipped))
		for i, sk := range s.Skipped {
			items[i] = [2]string{sk.Item, sk.Reason}
		}
		add(s.Source, items)
	}
	for _, s := range r.Sources.Sessions {
		items := make([][2]string, len(s.Skipped))
		for i, sk := range s.Skipped {
			items[i] = [2]string{sk.Item, sk.Reason}
		}
		add(s.Source, items)
	}
	return out
}

// diagSeverity names an HCL diagnostic's severity.
func diagSeverity(d *hcl.Diagnostic) string {
	if d.Severity == hcl.DiagError {
		return "error"
	}
	return "warning"
}

// diagText is "Summary: Detail" (or Summary alone).
func diagText(d *hcl.Diagnostic) string {
	if d.Detail == "" {
		return d.Summary
	}
	return d.Summary + ": " + d.Detail
}

// diagLocation locates a diagnostic (its Subject, else the first policy
// file).
func (r *Result) diagLocation(d *hcl.Diagnostic) location {
	if d.Subject == nil {
		return r.locate(hcl.Range{})
	}
	return r.locate(*d.Subject)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// formatRate prints a compliance rate with one decimal. A rate that is not
// a number prints as 0.0: never claim compliance that was not computed.
func formatRate(rate float64) string {
	if math.IsNaN(rate) || math.IsInf(rate, 0) {
		return "0.0"
	}
	return strconv.FormatFloat(rate, 'f', 1, 64)
}

// Rate is the profile's compliance rate with one decimal, as every format
// prints it. Rounding never reaches 100.0 while a session is untracked
// (2499 of 2500 is 99.9, not 100.0).
func (p *ProfileReport) Rate() string {
	s := formatRate(p.ComplianceRate)
	if s == "100.0" && p.Tracked < p.Sessions {
		return "99.9"
	}
	return s
}

// fmtTime prints a time as RFC 3339 in UTC.
func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// errWriter remembers the first write error and drops later writes.
type errWriter struct {
	w   io.Writer
	err error
	n   int64
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.n += int64(n)
	if err != nil {
		e.err = fmt.Errorf("write report: %w", err)
	}
	return n, e.err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}
