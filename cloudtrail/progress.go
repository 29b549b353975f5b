package cloudtrail

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/sentinel-check/sentinel-check/internal/safetext"
)

// Progress follows a long read: the file, S3 and LookupEvents sources report
// the units of work they find and finish (files, objects, pages) and the
// CloudTrail events those held. Sources call it from several goroutines at
// once, so implementations must be safe for concurrent use. A source that
// is given no Progress reports to NopProgress.
type Progress interface {
	// Start begins the report of one source: name is what is read (a path,
	// s3://bucket/prefix, lookup:…) and unit what is counted.
	Start(name, unit string)
	// Grow adds n units to the total known so far; a source that discovers
	// its work while it reads (S3 listings) grows the total as it goes, one
	// that cannot know it (LookupEvents pages) never calls Grow.
	Grow(n int64)
	// Add reports done more units finished, holding events CloudTrail events.
	Add(done, events int64)
	// Finish ends the report of the source started last.
	Finish()
}

// NopProgress reports nothing.
type NopProgress struct{}

func (NopProgress) Start(string, string) {}
func (NopProgress) Grow(int64)           {}
func (NopProgress) Add(int64, int64)     {}
func (NopProgress) Finish()              {}

// progressOr returns p, or NopProgress when p is nil.
func progressOr(p Progress) Progress {
	if p == nil {
		return NopProgress{}
	}
	return p
}

// DefaultBarInterval is the shortest time between two redraws of a Bar.
const DefaultBarInterval = 100 * time.Millisecond

// Bar is a Progress drawn on one terminal line: the units done of the total
// when it is known, the events read and the events per second. It redraws
// the line in place with a carriage return, at most once per Interval, and
// ends it with a newline on Finish. Give it a terminal only: the CLI creates
// one when stderr is a terminal and reports nothing otherwise.
type Bar struct {
	w io.Writer
	// Width is the widest line drawn, in characters (default 100).
	Width int
	// Interval is the shortest time between two redraws (default DefaultBarInterval).
	Interval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	name    string
	unit    string
	total   int64
	done    int64
	events  int64
	started time.Time
	drawn   time.Time
	active  bool
	lastLen int
}

// NewBar returns a Bar drawing on w.
func NewBar(w io.Writer) *Bar {
	return &Bar{w: w}
}

// TerminalBar returns a Bar drawing on w when w is a terminal, as wide as
// the terminal, and nil otherwise (a file, a pipe, a CI log): progress is
// only shown to a person watching.
func TerminalBar(w io.Writer) *Bar {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	b := NewBar(w)
	if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
		b.Width = cols - 1
	}
	return b
}

func (b *Bar) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// Start begins a new line for the source name.
func (b *Bar) Start(name, unit string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.active {
		b.finishLocked()
	}
	b.name, b.unit = name, unit
	b.total, b.done, b.events = 0, 0, 0
	b.started = b.now()
	b.active = true
	b.drawLocked(b.started)
}

// Grow adds n units to the total.
func (b *Bar) Grow(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total += n
	b.maybeDrawLocked()
}

// Add counts finished units and their events.
func (b *Bar) Add(done, events int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += done
	b.events += events
	b.maybeDrawLocked()
}

// Finish draws the final state of the line and ends it.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.active {
		b.finishLocked()
	}
}

func (b *Bar) finishLocked() {
	b.drawLocked(b.now())
	_, _ = io.WriteString(b.w, "\n")
	b.active = false
	b.lastLen = 0
}

func (b *Bar) maybeDrawLocked() {
	if !b.active {
		return
	}
	interval := b.Interval
	if interval <= 0 {
		interval = DefaultBarInterval
	}
	now := b.now()
	if now.Sub(b.drawn) < interval {
		return
	}
	b.drawLocked(now)
}

func (b *Bar) drawLocked(now time.Time) {
	b.drawn = now
	line := b.lineLocked(now)
	pad := ""
	if n := len([]rune(line)); n < b.lastLen {
		pad = strings.Repeat(" ", b.lastLen-n) // erase the rest of a longer line
	}
	b.lastLen = len([]rune(line))
	_, _ = io.WriteString(b.w, "\r"+line+pad)
}

// lineLocked renders the line, e.g.
// "s3://trail/AWSLogs  [=======>      ] 120/200 objects  60%  3,200 records  640 records/s".
func (b *Bar) lineLocked(now time.Time) string {
	width := b.Width
	if width <= 0 {
		width = 100
	}
	var sb strings.Builder
	if b.total > 0 {
		const cells = 20
		done := min(b.done, b.total)
		fill := int(done * cells / b.total)
		sb.WriteString("[")
		sb.WriteString(strings.Repeat("=", fill))
		if fill < cells {
			sb.WriteString(">")
			sb.WriteString(strings.Repeat(" ", cells-fill-1))
		}
		fmt.Fprintf(&sb, "] %s/%s %s %3d%%", group(b.done), group(b.total), b.unit, done*100/b.total)
	} else {
		fmt.Fprintf(&sb, "%s %s", group(b.done), b.unit)
	}
	// A line whose units are events (the final pass over the assume-role
	// events) counts them once; others count the records they hold too.
	count, rateOf := b.events, "records"
	if b.unit == "events" {
		count, rateOf = b.done, "events"
	} else {
		fmt.Fprintf(&sb, "  %s records", group(b.events))
	}
	if secs := now.Sub(b.started).Seconds(); secs >= 0.5 {
		fmt.Fprintf(&sb, "  %s %s/s", group(int64(float64(count)/secs)), rateOf)
	}
	stats := sb.String()
	name := safetext.Neutralize(b.name) // a policy or a path may hold control characters
	room := width - len([]rune(stats)) - 2
	if r := []rune(name); len(r) > room {
		if room < 8 {
			name = ""
		} else {
			name = "…" + string(r[len(r)-room+1:])
		}
	}
	if name == "" {
		return stats
	}
	return name + "  " + stats
}

// group writes n with thousands separators: 1234567 -> 1,234,567.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
