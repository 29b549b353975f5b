package cloudtrail

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// frames splits a bar's output into the lines drawn.
func frames(out string) []string {
	var fs []string
	for _, f := range strings.Split(out, "\r") {
		if f = strings.TrimRight(f, " \n"); f != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

// testBar returns a Bar on a buffer, with a clock the test moves.
func testBar() (*Bar, *fakeClock, *bytes.Buffer) {
	clock := &fakeClock{t: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)}
	out := &bytes.Buffer{}
	b := NewBar(out)
	b.Now = clock.now
	return b, clock, out
}

func TestBarWithTotal(t *testing.T) {
	b, clock, out := testBar()
	b.Start("s3://trail/AWSLogs/", "objects")
	b.Grow(200)
	clock.advance(2 * time.Second)
	b.Add(50, 3000)
	got := frames(out.String())
	want := "s3://trail/AWSLogs/  [=====>              ] 50/200 objects  25%  3,000 records  1,500 records/s"
	if got[len(got)-1] != want {
		t.Errorf("line = %q\nwant   %q", got[len(got)-1], want)
	}
	clock.advance(2 * time.Second)
	b.Add(150, 1000)
	b.Finish()
	s := out.String()
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Errorf("output %q: want one line ended by Finish", s)
	}
	got = frames(s)
	if last := got[len(got)-1]; !strings.Contains(last, "[====================] 200/200 objects 100%  4,000 records  1,000 records/s") {
		t.Errorf("final line = %q", last)
	}
}

// A line of events (the final pass over the assume-role events) counts
// them once, with their rate.
func TestBarOfEvents(t *testing.T) {
	b, clock, out := testBar()
	b.Start("merging", "events")
	b.Grow(4000)
	clock.advance(2 * time.Second)
	b.Add(1000, 0)
	b.Finish()
	got := frames(out.String())
	want := "merging  [=====>              ] 1,000/4,000 events  25%  500 events/s"
	if got[len(got)-1] != want {
		t.Errorf("line = %q\nwant   %q", got[len(got)-1], want)
	}
}

func TestBarRedrawsAtMostTenTimesASecond(t *testing.T) {
	b, clock, out := testBar()
	b.Start("lookup:us-east-1", "pages")
	for range 1000 {
		clock.advance(time.Millisecond) // one second in all
		b.Add(1, 50)
	}
	// The start, then one redraw per 100 ms.
	if n := strings.Count(out.String(), "\r"); n < 10 || n > 11 {
		t.Errorf("%d redraws in one second of 1000 updates, want 10 or 11", n)
	}
	b.Finish()
	got := frames(out.String())
	if last := got[len(got)-1]; last != "lookup:us-east-1  1,000 pages  50,000 records  50,000 records/s" {
		t.Errorf("final line = %q (no total known: no bar)", last)
	}
}

func TestBarLongNameAndShrinkingLine(t *testing.T) {
	var out bytes.Buffer
	b := NewBar(&out)
	b.Width = 60
	b.Start("s3://"+strings.Repeat("x", 200), "objects")
	b.Finish()
	line := frames(out.String())[0]
	if n := len([]rune(line)); n > 60 || !strings.HasPrefix(line, "…") {
		t.Errorf("line %q (%d runes): want at most 60, the name cut at its start", line, n)
	}

	// A second source starts a new line; a shorter redraw blanks the rest.
	out.Reset()
	b.Width = 0
	b.Start("a-long-source-name", "files")
	b.Start("b", "files")
	b.Finish()
	if strings.Count(out.String(), "\n") != 2 {
		t.Errorf("output %q: want the first source's line ended when the second starts", out.String())
	}
	// The rate falls, the line gets shorter: the redraw blanks the rest.
	out.Reset()
	clock := &fakeClock{t: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)}
	b.Now = clock.now
	b.Start("src", "files")
	clock.advance(time.Second)
	b.Add(1, 1000000)
	clock.advance(time.Hour)
	b.Add(1, 0)
	frs := strings.Split(out.String(), "\r")
	last, prev := frs[len(frs)-1], frs[len(frs)-2]
	if !strings.Contains(prev, "1,000,000 records/s") || !strings.Contains(last, "277 records/s") || len(last) < len(prev) {
		t.Errorf("frames %q then %q: want the shorter line padded over the longer one", prev, last)
	}
}

func TestNopProgressAndNil(t *testing.T) {
	var p Progress = NopProgress{}
	p.Start("x", "files")
	p.Grow(1)
	p.Add(1, 1)
	p.Finish()
	if _, ok := progressOr(nil).(NopProgress); !ok {
		t.Error("progressOr(nil) is not NopProgress")
	}
}

func TestFileSourceReportsProgress(t *testing.T) {
	dir := t.TempDir()
	for i, doc := range []string{
		`{"Records":[{"eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2026-03-10T00:00:00Z","eventID":"a"}]}`,
		`{"Records":[]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, "f"+string(rune('0'+i))+".json"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var p awsProgress
	_, st, err := readAll(t, NewFileSource([]string{dir}, FileOptions{Progress: &p}))
	if err != nil {
		t.Fatal(err)
	}
	if p.starts != 1 || p.finishes != 1 || p.unit != "files" || p.total != 2 || p.done != 2 || p.events != st.Records || st.Records != 1 {
		t.Errorf("progress: %d starts, %d finishes, %q, %d/%d, %d events; stats %d records",
			p.starts, p.finishes, p.unit, p.done, p.total, p.events, st.Records)
	}
}

func TestTerminalBarOnlyOnATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, w := range []io.Writer{f, &bytes.Buffer{}} {
		if b := TerminalBar(w); b != nil {
			t.Errorf("TerminalBar(%T) = a bar; want none when the writer is not a terminal", w)
		}
	}
}

// A source's name comes from a policy or the command line: its control
// characters are shown escaped, never sent to the terminal (an OSC title,
// colours, a hyperlink).
func TestBarEscapesTheName(t *testing.T) {
	var out bytes.Buffer
	b := NewBar(&out)
	b.Start("lg\x1b]0;PWNED\x07\x1b[31mX\u202e", "files")
	b.Finish()
	if s := out.String(); strings.ContainsAny(s, "\x1b\x07\u202e") || !strings.Contains(s, `lg\x1b]0;PWNED\x07\x1b[31mX\u202e`) {
		t.Errorf("line %q: want the name's control characters escaped", s)
	}
}
