package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sentinel-check/sentinel-check/internal/english"
	"github.com/sentinel-check/sentinel-check/internal/safetext"
)

// MarkdownBudget is the most bytes Markdown writes: GitHub refuses a job
// summary above 1 MiB (1,048,576 bytes), so it stays well below.
const MarkdownBudget = 1_000_000

// Per-item caps, so that one huge value cannot eat the budget.
const (
	mdMaxMessage = 4000 // bytes of a finding's message, before escaping
	mdMaxRoles   = 1000 // bytes of a profile's roles, before escaping
	mdMaxTail    = 4    // the tail (warnings, sources) gets at most budget/mdMaxTail
	mdMaxDiags   = 50   // policy warnings listed
	mdReserve    = 512  // room kept for the "not shown" lines
)

// Markdown writes a GitHub job summary: the verdict, the window, a table of
// profiles (roles, sessions, tracked %, findings, verdict as a text
// marker), the findings, policy warnings and the sources read. It stays
// under MarkdownBudget bytes by leaving out trailing profiles and findings
// (and saying how many). Untrusted values are escaped so that they cannot
// add table cells, links, HTML or headings.
func Markdown(w io.Writer, r *Result) error {
	return writeMarkdown(w, r, MarkdownBudget)
}

func writeMarkdown(w io.Writer, r *Result, budget int) error {
	var head strings.Builder
	fmt.Fprintf(&head, "## sentinel-check: %s\n\n", verdictLine(r))
	if p := r.Policy; p != nil {
		// A policy alone: what it declares, and its diagnostics.
		fmt.Fprintf(&head, "Policy: %s, %s, %s, %s\n\n", english.Count(p.Files, "file", "files"), english.Count(p.Profiles, "profile", "profiles"),
			english.Count(p.Rules, "rule", "rules"), english.Count(p.SessionTables, "session table", "session tables"))
	}
	var meta []string
	if !r.Window.Start.IsZero() || !r.Window.End.IsZero() {
		meta = append(meta, fmt.Sprintf("Window: %s to %s", fmtTime(r.Window.Start), fmtTime(r.Window.End)))
	}
	if r.Policy == nil {
		meta = append(meta, fmt.Sprintf("Required profiles: %d, fully compliant: %d, with gaps: %d",
			r.Summary.RequiredProfiles, r.Summary.FullyCompliantProfiles, r.Summary.ProfilesWithGaps))
	}
	if r.Tool.Version != "" {
		meta = append(meta, "Version: "+MarkdownText(safetext.Clip(r.Tool.Version, 100)))
	}
	head.WriteString(strings.Join(meta, "  \n") + "\n\n")

	tail := ""
	if r.Policy == nil {
		tail = mdTail(r, budget/mdMaxTail)
	}
	left := budget - head.Len() - len(tail) - mdReserve

	var body strings.Builder
	// Profiles (a policy alone has no sessions to show).
	switch {
	case r.Policy != nil:
	case len(r.Profiles) == 0:
		body.WriteString("No profiles.\n\n")
	default:
		findings := make(map[string]int)
		for i := range r.Findings {
			findings[r.Findings[i].Profile]++
		}
		// With findings to show, the table gets at most half of the room.
		tableLeft := left
		if len(r.Findings) > 0 {
			tableLeft = left / 2
		}
		body.WriteString("| Profile | Roles | Sessions | Tracked | Findings | Verdict |\n")
		body.WriteString("| --- | --- | ---: | ---: | ---: | --- |\n")
		for i := range r.Profiles {
			p := &r.Profiles[i]
			row := fmt.Sprintf("| %s | %s | %d | %s%% (%d of %d) | %d | %s |\n",
				MarkdownText(p.Profile), MarkdownText(safetext.Clip(strings.Join(p.Roles, ", "), mdMaxRoles)),
				p.Sessions, p.Rate(), p.Tracked, p.Sessions, findings[p.Profile], r.ProfileVerdict(p))
			if body.Len()+len(row) > tableLeft {
				fmt.Fprintf(&body, "\n… %d more profiles not shown; see the JSON report.\n", len(r.Profiles)-i)
				break
			}
			body.WriteString(row)
		}
		body.WriteString("\n")
	}

	// Findings.
	if len(r.Findings) == 0 {
		body.WriteString("### Findings\n\nNone.\n\n")
	} else {
		fmt.Fprintf(&body, "### Findings (%d)\n\n", len(r.Findings))
		for i := range r.Findings {
			f := &r.Findings[i]
			l := r.locate(f.Range)
			item := fmt.Sprintf("- **%s** %s %s (%s line %d): %s\n",
				MarkdownText(string(f.Severity)), MarkdownText(f.CheckID), MarkdownText(f.Check),
				MarkdownText(l.File), l.Line, MarkdownText(safetext.Clip(f.Message, mdMaxMessage)))
			if body.Len()+len(item) > left {
				fmt.Fprintf(&body, "\n… %d more findings not shown; see the SARIF/JSON report.\n", len(r.Findings)-i)
				break
			}
			body.WriteString(item)
		}
		body.WriteString("\n")
	}

	ew := &errWriter{w: w}
	io.WriteString(ew, head.String())
	io.WriteString(ew, body.String())
	io.WriteString(ew, tail)
	return ew.err
}

// mdTail renders the policy warnings and the sources read in at most max
// bytes.
func mdTail(r *Result, max int) string {
	var b strings.Builder
	if len(r.Diagnostics) > 0 {
		b.WriteString("### Policy warnings\n\n")
		for i, d := range r.Diagnostics {
			if i == mdMaxDiags {
				fmt.Fprintf(&b, "- … %d more\n", len(r.Diagnostics)-i)
				break
			}
			l := r.diagLocation(d)
			fmt.Fprintf(&b, "- **%s** %s line %d: %s\n", diagSeverity(d), MarkdownText(l.File), l.Line,
				MarkdownText(safetext.Clip(diagText(d), mdMaxMessage)))
		}
		b.WriteString("\n")
	}

	t := r.Sources.Totals
	b.WriteString("### Sources read\n\n")
	fmt.Fprintf(&b, "Files: %d read, %d skipped, %d unreadable; pages: %d; records: %d read, %d skipped  \n",
		t.Files, t.FilesSkipped, t.Unreadable, t.Pages, t.Records, t.RecordsSkipped)
	fmt.Fprintf(&b, "Assume-role events: %s  \n", eventBreakdown(t))
	fmt.Fprintf(&b, "Session records: %d used, %d skipped\n\n", t.SessionRecords, t.SessionRecordsSkipped)

	if len(r.Sources.CloudTrail)+len(r.Sources.Sessions) > 0 {
		var rows []string
		for _, s := range r.Sources.CloudTrail {
			rows = append(rows, fmt.Sprintf("| cloudtrail | %s | %s | %d | %d | %d | %d | %d |\n",
				MarkdownText(s.Kind), MarkdownText(s.Source), s.Files, s.FilesSkipped, s.Records, s.RecordsSkipped, s.Unreadable))
		}
		for _, s := range r.Sources.Sessions {
			rows = append(rows, fmt.Sprintf("| sessions | %s | %s | | | %d | %d | |\n",
				MarkdownText(s.Kind), MarkdownText(s.Source), s.Records, s.RecordsSkipped))
		}
		b.WriteString("| Source | Kind | Name | Files | Files skipped | Records | Records skipped | Unreadable |\n")
		b.WriteString("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
		for i, row := range rows {
			if b.Len()+len(row) > max {
				fmt.Fprintf(&b, "\n… %d more sources not shown; see the JSON report.\n", len(rows)-i)
				break
			}
			b.WriteString(row)
		}
		b.WriteString("\n")
	}
	if sk := r.skipped(); len(sk) > 0 {
		b.WriteString("Skipped:\n\n")
		for i, s := range sk {
			item := "- " + MarkdownText(safetext.Clip(s, mdMaxMessage)) + "\n"
			if b.Len()+len(item) > max {
				fmt.Fprintf(&b, "- … %d more not shown; see the JSON report\n", len(sk)-i)
				break
			}
			b.WriteString(item)
		}
		b.WriteString("\n")
	}
	return b.String()
}
