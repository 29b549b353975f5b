package hardening

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// Hostile values an attacker can put into CloudTrail: terminal escapes
// (clear the screen, set the title, an OSC 8 link), CR to overwrite a line,
// BEL, C1 CSI, NUL, Trojan Source bidi overrides, a newline followed by a
// GitHub workflow command, and Markdown/HTML.
const (
	hostileID   = "ev\x1b[2J\x1b]0;owned\x07-\u202egnp.exe\u202c-\r\n::error title=pwned::injected\u009b31m\x00|<img src=x onerror=alert(1)>"
	hostileRole = "arn:aws:iam::111122223333:role/\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07\u2066\u202e\r\n::warning::fake"
	hostileText = "\x1b[31mred\x1b[0m\rover\x07bell\u202eevil\u2069\u2028sep\n::error::ua\x00"
	// hostileRecord is a session record's id, which SC1002 names.
	hostileRecord = "rec\x1b]0;recowned\x07\u202e\r\n::error title=rec::injected|<b>rec</b>"
)

// Secrets a record carries that no output may show.
const (
	secretKeyID  = "ASIAQWERTYUIOPASDFGH"
	callerKeyID  = "AKIAZXCVBNMLKJHGFDSA"
	secretToken  = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDsecretTOKENvalue"
	secretAccess = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETkey"
)

const secPolicy = `profile "prod" {
  role_arns = ["arn:aws:iam::111122223333:role/Prod*"]
}
profile "dev" {
  role_arns = ["arn:aws:iam::111122223333:role/Dev*"]
}
rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod"]
}
rule "dev" {
  effect   = "require_approval"
  profiles = ["dev"]
}
`

// secScenario writes a policy and a trail whose values are hostile and
// whose records carry credentials; every check has something to report.
func secScenario(t *testing.T, dir string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "policy.hcl"), []byte(secPolicy))
	base := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	hostile := func(e ctEvent) ctEvent {
		e.SessionName, e.UserAgent, e.CallerArn, e.SourceIP, e.AssumedRoleArn = hostileText, hostileText, hostileText, hostileText, hostileText
		e.AccessKeyID, e.SessionToken, e.Secret = secretKeyID, secretToken, secretAccess
		return e
	}
	evs := []ctEvent{
		hostile(ctEvent{ID: hostileID, Role: "arn:aws:iam::111122223333:role/ProdAdmin", Time: base}),
		hostile(ctEvent{ID: hostileID + "-2", Role: "arn:aws:iam::111122223333:role/ProdAdmin", SI: hostileText, Time: base}),
		hostile(ctEvent{ID: hostileID + "-3", Role: "arn:aws:iam::111122223333:role/DevOps", SI: "sentinel:mallory:direct:0badc0de", Time: base}),
		hostile(ctEvent{ID: hostileID + "-4", Role: hostileRole, Time: base}),
		hostile(ctEvent{ID: hostileID + "-5", Role: "arn:aws:iam::111122223333:role/ProdAdmin", ErrorCode: "AccessDenied\x1b[31m", Time: base}),
		// On a session the broker revoked: SC1002 names the record.
		hostile(ctEvent{ID: hostileID + "-6", Role: "arn:aws:iam::111122223333:role/ProdAdmin", SI: "sentinel:alice:direct:feedface", Time: base}),
	}
	writeFile(t, filepath.Join(dir, "trail", "t.json"), trailDoc(evs))
	// The caller's own key id sits in userIdentity.
	b, _ := os.ReadFile(filepath.Join(dir, "trail", "t.json"))
	writeFile(t, filepath.Join(dir, "trail", "t.json"), []byte(strings.ReplaceAll(string(b), "AKIACALLERKEY0000001", callerKeyID)))
	revoked := liveRec(hostileRecord, "alice", "prod", "sentinel:alice:direct:feedface", base.Add(-time.Hour), 2*time.Hour)
	revoked.Status, revoked.UpdatedAt = "revoked", stamp(base.Add(-30*time.Minute))
	writeJSON(t, filepath.Join(dir, "sessions.json"), []sessRec{revoked})
}

var formats = []string{"text", "json", "sarif", "markdown", "github"}

// runAllFormats runs check writing every format to a file and text to stdout.
func runAllFormats(t *testing.T, dir string, env []string) result {
	t.Helper()
	args := []string{"check", "--policy", "policy.hcl", "--cloudtrail", "trail", "--sessions", "sessions.json",
		"--since", "2026-11-17T00:00:00Z", "--until", "2026-11-19T00:00:00Z", "--base-dir", dir, "--format", "text"}
	for _, f := range formats {
		args = append(args, "--format", f+"="+filepath.Join("out", "report."+f))
	}
	return runBin(t, dir, env, 30*time.Second, args...)
}

// forbidden lists characters that must never reach a terminal or a
// renderer raw: C0 controls but LF (and TAB), DEL, C1 controls, bidi
// controls, line and paragraph separators.
func forbidden(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c || r == 0x200e || r == 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x2028 || r == 0x2029:
		return true
	}
	return false
}

func firstForbidden(s string) (int, rune, bool) {
	if !utf8.ValidString(s) {
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return i, r, true
			}
			i += n
		}
	}
	for i, r := range s {
		if forbidden(r) {
			return i, r, true
		}
	}
	return 0, 0, false
}

// jsonStrings returns every string in a JSON document, decoded.
func jsonStrings(t *testing.T, b []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				if k == "newlineSequences" { // SARIF's own ["\r\n", "\n"]
					continue
				}
				out = append(out, k)
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func TestOutputNeutralisesHostileValues(t *testing.T) {
	dir := t.TempDir()
	secScenario(t, dir)
	r := runAllFormats(t, dir, nil)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	outs := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	for _, f := range formats {
		b, err := os.ReadFile(filepath.Join(dir, "out", "report."+f))
		if err != nil {
			t.Fatal(err)
		}
		outs[f] = string(b)
	}
	// The hostile values do reach the outputs (the test is not vacuous):
	// the event id in findings, the role in SC2001.
	for _, name := range []string{"stdout", "text", "markdown", "github", "sarif"} {
		if !strings.Contains(outs[name], "owned") || !strings.Contains(outs[name], "evil.example") || !strings.Contains(outs[name], "recowned") {
			t.Errorf("%s: the hostile event id, role or session record id does not appear at all; the test would prove nothing", name)
		}
	}
	for name, out := range outs {
		// Raw bytes: no format may carry a control character, even JSON
		// (where they must be \u escapes).
		if i, c, bad := firstForbidden(out); bad && name != "json" && name != "sarif" {
			t.Errorf("%s: raw %U at byte %d: %q", name, c, i, out[max(0, i-20):min(len(out), i+20)])
		}
		for _, line := range strings.Split(out, "\n") {
			if name == "github" {
				if line == "" {
					continue
				}
				// ::KIND PROPS::DATA, where PROPS are key=value pairs
				// separated by commas; an escaped value holds no : or ,.
				kind, rest, ok := strings.Cut(strings.TrimPrefix(line, "::"), " ")
				props, _, ok2 := strings.Cut(rest, "::")
				if !strings.HasPrefix(line, "::") || !ok || !ok2 || kind != "error" && kind != "warning" && kind != "notice" {
					t.Errorf("github: a line that is not an annotation: %q", line)
					continue
				}
				for _, p := range strings.Split(props, ",") {
					k, _, _ := strings.Cut(p, "=")
					switch k {
					case "file", "line", "endLine", "col", "endColumn", "title":
					default:
						t.Errorf("github: an injected property %q in %q", p, line)
					}
				}
				continue
			}
			// Any line starting with :: in a CI log is a workflow command.
			if strings.HasPrefix(strings.TrimLeft(line, " \t"), "::") {
				t.Errorf("%s: a line starts a workflow command: %q", name, line)
			}
		}
	}
	for _, name := range []string{"json", "sarif"} {
		strs := jsonStrings(t, []byte(outs[name]))
		if name == "sarif" {
			// SARIF text is shown by code scanning: neutralised like text.
			for _, s := range strs {
				if i, c, bad := firstForbidden(s); bad {
					t.Errorf("sarif: a string holds %U at %d: %q", c, i, s)
					break
				}
			}
		}
		if i, c, bad := firstForbidden(outs[name]); bad && c != utf8.RuneError {
			if c < 0x20 || c == 0x7f {
				t.Errorf("%s: raw control %U at byte %d", name, c, i)
			}
		}
	}
	md := outs["markdown"]
	if strings.Contains(md, "<img") || strings.Contains(md, "](https://evil") {
		t.Errorf("markdown: HTML or a link from a CloudTrail value is live")
	}
}

func TestNoSecretInAnyOutput(t *testing.T) {
	dir := t.TempDir()
	secScenario(t, dir)
	// A second run with every check's event ids in the messages and a
	// skipped file, so that errors and skip reasons are covered too.
	writeFile(t, filepath.Join(dir, "trail", "broken.json"), []byte(`{"Records":[{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"x","eventTime":"2026-11-18T10:00:00Z","requestParameters":"`+secretToken+`","responseElements":{"credentials":{"accessKeyId":"`+secretKeyID+`","sessionToken":"`+secretToken+`","secretAccessKey":"`+secretAccess+`"}}}]}`))
	for _, extra := range [][]string{nil, {"--skip-unreadable"}} {
		args := []string{"check", "--policy", "policy.hcl", "--cloudtrail", "trail", "--sessions", "sessions.json",
			"--since", "2026-11-17T00:00:00Z", "--until", "2026-11-19T00:00:00Z", "--base-dir", dir, "--format", "text"}
		for _, f := range formats {
			args = append(args, "--format", f+"="+filepath.Join("out", "report."+f))
		}
		os.RemoveAll(filepath.Join(dir, "out"))
		r := runBin(t, dir, nil, 30*time.Second, append(args, extra...)...)
		if r.code != 1 && r.code != 3 {
			t.Fatalf("%v: exit code %d; stderr:\n%s", extra, r.code, r.stderr)
		}
		outs := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
		for _, f := range formats {
			if b, err := os.ReadFile(filepath.Join(dir, "out", "report."+f)); err == nil {
				outs[f] = string(b)
			}
		}
		if extra != nil && len(outs) != 2+len(formats) {
			t.Fatalf("--skip-unreadable: only %d outputs written", len(outs)-2)
		}
		for name, out := range outs {
			for _, secret := range []string{secretKeyID, callerKeyID, secretToken, secretAccess, secretToken[:24], secretAccess[:20]} {
				if strings.Contains(out, secret) {
					t.Errorf("%v %s: prints the secret %q", extra, name, secret)
				}
			}
		}
	}
}

func TestReportFileMode(t *testing.T) {
	dir := t.TempDir()
	secScenario(t, dir)
	// A link where a report goes must be replaced, not followed.
	victim := filepath.Join(dir, "victim.txt")
	writeFile(t, victim, []byte("keep me"))
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "out", "report.json")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "out", "report.sarif"), []byte("old"))
	os.Chmod(filepath.Join(dir, "out", "report.sarif"), 0o600)
	old := umask(0o077) // a strict umask must not make reports private, nor a loose one public-writable
	r := runAllFormats(t, dir, nil)
	umask(old)
	if r.code != 1 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	for _, f := range formats {
		p := filepath.Join(dir, "out", "report."+f)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want a regular file with -rw-r--r--", f, fi.Mode())
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("writing the report followed a symbolic link and overwrote its target")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "out"))
	if len(entries) != len(formats) {
		t.Errorf("the output folder holds %d entries, want %d (temporary files left behind?)", len(entries), len(formats))
	}
}

// recorder is a loopback TCP listener that records every connection.
type recorder struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []string
}

func newRecorder(t *testing.T) *recorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			r.mu.Lock()
			r.conns = append(r.conns, strings.TrimSpace(line))
			r.mu.Unlock()
			c.Write([]byte("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return r
}

func (r *recorder) URL() string { return "http://" + r.ln.Addr().String() }

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.conns...)
}

// fifoTripwire makes a named pipe and reports whether anything opened it
// for reading: the AWS SDK reads its shared config file when it loads.
func fifoTripwire(t *testing.T, path string) func() bool {
	t.Helper()
	if err := mkfifo(path); err != nil {
		t.Skipf("cannot make a FIFO: %v", err)
	}
	opened := make(chan struct{})
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0) // blocks until a reader opens it
		if err == nil {
			close(opened)
			f.Close()
		}
	}()
	return func() bool {
		select {
		case <-opened:
			return true
		case <-time.After(100 * time.Millisecond):
		}
		// Release the writer: open the read side ourselves.
		if f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			<-opened
			f.Close()
		}
		return false
	}
}

// TestNoNetworkForFileSources: a check of local files opens no connection
// and does not even load the AWS configuration.
func TestNoNetworkForFileSources(t *testing.T) {
	dir := t.TempDir()
	secScenario(t, dir)
	rec := newRecorder(t)
	configRead := fifoTripwire(t, filepath.Join(dir, "aws-config"))
	credsRead := fifoTripwire(t, filepath.Join(dir, "aws-credentials"))
	env := []string{
		"HTTP_PROXY=" + rec.URL(), "HTTPS_PROXY=" + rec.URL(), "ALL_PROXY=" + rec.URL(),
		"http_proxy=" + rec.URL(), "https_proxy=" + rec.URL(),
		"AWS_ENDPOINT_URL=" + rec.URL(), "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + rec.URL(),
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + rec.URL() + "/creds",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "aws-credentials"),
		"AWS_REGION=eu-west-1",
	}
	r := runAllFormats(t, dir, env)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	if got := rec.seen(); len(got) > 0 {
		t.Errorf("a file-only check opened %d connections: %q", len(got), got)
	}
	if configRead() || credsRead() {
		t.Errorf("a file-only check loaded the AWS configuration (it read the shared config or credentials file)")
	}

	// The tripwires work: a check that does need AWS trips them.
	dir2 := t.TempDir()
	secScenario(t, dir2)
	configRead2 := fifoTripwire(t, filepath.Join(dir2, "aws-config"))
	env2 := []string{"AWS_CONFIG_FILE=" + filepath.Join(dir2, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir2, "none"),
		"AWS_ACCESS_KEY_ID=AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY=x", "AWS_REGION=eu-west-1", "AWS_MAX_ATTEMPTS=1",
		"AWS_ENDPOINT_URL=" + rec.URL()}
	r = runBin(t, dir2, env2, 60*time.Second, "check", "--policy", "policy.hcl", "--cloudtrail", "trail",
		"--sessions", "dynamodb://sentinel-sessions", "--since", "2026-11-17T00:00:00Z", "--until", "2026-11-19T00:00:00Z")
	if r.code != 3 {
		t.Errorf("reading sessions from an endpoint that answers 502: exit code %d, want 3; stderr:\n%s", r.code, r.stderr)
	}
	if !configRead2() || len(rec.seen()) == 0 {
		t.Errorf("control run: config read %v, %d connections; the tripwires do not work", configRead2(), len(rec.seen()))
	}
}

// TestNoSDKLogLines: when the credential chain falls back through the
// instance metadata service (here one that refuses IMDSv2 tokens, which
// makes the SDK warn), stderr holds sentinel-check's one-line error and
// none of the SDK's own log lines.
func TestNoSDKLogLines(t *testing.T) {
	dir := t.TempDir()
	secScenario(t, dir)
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, "forbidden", http.StatusForbidden) // no IMDSv2 token: the SDK warns and falls back
			return
		}
		http.NotFound(w, r)
	}))
	defer imds.Close()
	env := []string{
		"AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.URL, "AWS_REGION=eu-west-1", "AWS_MAX_ATTEMPTS=1",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
	}
	r := runBin(t, dir, env, 60*time.Second, "check", "--policy", "policy.hcl", "--cloudtrail", "trail",
		"--sessions", "dynamodb://sentinel-sessions", "--since", "2026-11-17T00:00:00Z", "--until", "2026-11-19T00:00:00Z")
	if r.code != 3 {
		t.Errorf("exit code %d without credentials, want 3; stderr:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || strings.HasPrefix(lines[0], "SDK ") || !strings.Contains(lines[0], "credentials") {
		t.Errorf("stderr is not one line naming the credentials problem:\n%s", r.stderr)
	}
}
