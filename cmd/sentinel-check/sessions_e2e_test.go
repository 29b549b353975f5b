package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sessLine is one session record of the event hardRecord makes, as a JSON
// line; updated is its updated_at as written.
func sessLine(status, updated string) string {
	f := func(d time.Duration) string { return hardBase.Add(d).Format(time.RFC3339) }
	b, _ := json.Marshal(map[string]any{"id": "r1", "user": "alice", "profile": "prod", "status": status, "source_identity": hardSI,
		"started_at": f(-time.Hour), "expires_at": f(time.Hour), "last_access_at": f(0), "created_at": f(-time.Hour), "updated_at": updated})
	return string(b) + "\n"
}

// sessionRun checks the one-event trail against the session stores given
// and returns the exit code, stderr and the report (nil when none).
func sessionRun(t *testing.T, dir string, extra ...string) (int, string, map[string]any) {
	t.Helper()
	trail := filepath.Join(dir, "trail")
	hardWrite(t, filepath.Join(trail, "t.json"), hardDoc(hardRecord("e1", hardSI)))
	pol := filepath.Join(dir, "policy.hcl")
	hardWrite(t, pol, []byte(hardPolicy))
	out := filepath.Join(dir, "report.json")
	os.Remove(out)
	args := append([]string{"check", "--policy", pol, "--cloudtrail", trail, "--base-dir", dir,
		"--since", hardBase.Add(-24 * time.Hour).Format(time.RFC3339), "--until", hardBase.Add(24 * time.Hour).Format(time.RFC3339),
		"--format", "json=" + out}, extra...)
	code, _, stderr := run(t, args...)
	b, err := os.ReadFile(out)
	if err != nil {
		return code, stderr, nil
	}
	var rep map[string]any
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return code, stderr, rep
}

// category is the one category with a count in the profile's by_category.
func category(t *testing.T, rep map[string]any) string {
	t.Helper()
	profiles, _ := rep["profiles"].([]any)
	if len(profiles) != 1 {
		t.Fatalf("%d profiles in the report", len(profiles))
	}
	var cats []string
	for c, n := range profiles[0].(map[string]any)["by_category"].(map[string]any) {
		if n.(float64) > 0 {
			cats = append(cats, c)
		}
	}
	return strings.Join(cats, ",")
}

// Several --sessions stores are indexed together, and of two versions of a
// record the one with the later updated_at decides, whatever the order the
// stores are given in.
func TestSessionStoresIndexedTogether(t *testing.T) {
	dir := t.TempDir()
	revoked := filepath.Join(dir, "new.jsonl")
	active := filepath.Join(dir, "old.jsonl")
	hardWrite(t, revoked, []byte(sessLine("revoked", hardBase.Add(-30*time.Minute).Format(time.RFC3339))))
	hardWrite(t, active, []byte(sessLine("active", hardBase.Add(-time.Hour).Format(time.RFC3339))))
	for _, order := range [][]string{{revoked, active}, {active, revoked}} {
		code, stderr, rep := sessionRun(t, dir, "--sessions", order[0], "--sessions", order[1])
		if code != ExitFindings || rep == nil {
			t.Fatalf("--sessions %s --sessions %s: exit %d, want 1; stderr %s", filepath.Base(order[0]), filepath.Base(order[1]), code, stderr)
		}
		if got := category(t, rep); got != "revoked" {
			t.Errorf("--sessions %s --sessions %s: category %q, want revoked", filepath.Base(order[0]), filepath.Base(order[1]), got)
		}
	}
}

// A session record that cannot be used fails the run naming it (it may be
// the revocation that an earlier version of the record does not show);
// --skip-unreadable reports it as SC2002 and checks the rest without any
// version of that record.
func TestUnusableSessionRecord(t *testing.T) {
	dir := t.TempDir()
	sess := filepath.Join(dir, "sessions.jsonl")
	hardWrite(t, sess, []byte(sessLine("active", hardBase.Add(-time.Hour).Format(time.RFC3339))+sessLine("revoked", "2024-05-01 10:00:00")))
	code, stderr, rep := sessionRun(t, dir, "--sessions", sess)
	if code != ExitSource || rep != nil {
		t.Fatalf("exit %d, want 3 and no report; stderr %s", code, stderr)
	}
	oneLine(t, stderr, sess+":2", "updated_at", "1 session record could not be used", "--skip-unreadable")
	t.Logf("exit %d: %s", code, strings.TrimSpace(strings.ReplaceAll(stderr, dir, "DIR")))

	code, stderr, rep = sessionRun(t, dir, "--sessions", sess, "--skip-unreadable")
	if rep == nil {
		t.Fatalf("exit %d and no report; stderr %s", code, stderr)
	}
	found := false
	for _, f := range rep["findings"].([]any) {
		fm := f.(map[string]any)
		if fm["id"] == "SC2002" && strings.Contains(fm["message"].(string), "1 unusable session record") {
			found = true
		}
	}
	if !found {
		t.Errorf("no SC2002 finding names the unusable session record: %v", rep["findings"])
	}
	// The unusable version may be the revocation: the record is not used,
	// so the session is orphaned, not tracked by the earlier version.
	if got := category(t, rep); got != "orphaned" {
		t.Errorf("category %q, want orphaned", got)
	}
	st := rep["sources"].(map[string]any)["sessions"].([]any)[0].(map[string]any)
	// Both versions are skipped: the unusable one, and the usable one of
	// an id that is checked without any version.
	if st["records_unusable"].(float64) != 1 || st["records_skipped"].(float64) != 2 || st["records"].(float64) != 0 {
		t.Errorf("session source stats %v, want 0 used and 2 skipped records, 1 of them unusable", st)
	}
}

// A live record must say when its session ends: matched by its
// source_identity, a record without an end would track every session with
// that identity however late. Such a record (no times at all, a later
// version without them, the zero time a Go broker writes for an unset
// time) fails the run naming it; a revocation written without times is
// still read.
func TestSessionRecordWithoutEnd(t *testing.T) {
	f := func(d time.Duration) string { return hardBase.Add(d).Format(time.RFC3339) }
	line := func(m map[string]any) string {
		b, _ := json.Marshal(m)
		return string(b) + "\n"
	}
	for _, tc := range []struct {
		name, content string
		code          int
		category      string
	}{
		{"id and source_identity only", line(map[string]any{"id": "r1", "source_identity": hardSI}), ExitSource, ""},
		{"a later version without times", sessLine("active", f(-2*time.Hour)) +
			line(map[string]any{"id": "r1", "status": "active", "updated_at": f(-time.Hour)}), ExitSource, ""},
		{"expires_at the zero time", line(map[string]any{"id": "r1", "user": "alice", "profile": "prod", "status": "active", "source_identity": hardSI,
			"started_at": f(-time.Hour), "expires_at": "0001-01-01T00:00:00Z"}), ExitSource, ""},
		{"a revocation without times", sessLine("active", f(-2*time.Hour)) +
			line(map[string]any{"id": "r1", "status": "revoked", "source_identity": hardSI, "updated_at": f(-time.Minute)}), ExitFindings, "revoked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sess := filepath.Join(dir, "sessions.jsonl")
			hardWrite(t, sess, []byte(tc.content))
			code, stderr, rep := sessionRun(t, dir, "--sessions", sess)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, stderr)
			}
			if tc.code == ExitSource {
				oneLine(t, stderr, sess+":", "neither expires_at nor last_access_at", "--skip-unreadable")
				return
			}
			if got := category(t, rep); got != tc.category {
				t.Errorf("category %q, want %q", got, tc.category)
			}
		})
	}
}

// A run whose sources hold no assume-role call proves nothing: SC2002 says
// so even when no profile requires tracking, and no profile counts as
// fully compliant.
func TestNoEventsIsNotCompliant(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty") // a log file without assume-role calls
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	hardWrite(t, filepath.Join(empty, "111122223333_CloudTrail_us-east-1_20261120T1000Z_a.json"), []byte(`{"Records":[]}`))
	for _, tc := range []struct {
		name, policy string
		extra        []string
	}{
		{"requires tracking", hardPolicy, nil},
		{"requires nothing", "profile \"p\" {\n  role_arns = [\"arn:aws:iam::111122223333:role/P\"]\n}\nrule \"ok\" {\n  effect = \"allow\"\n}\n", nil},
		// --profile keeps the profile-less finding.
		{"one profile selected", hardPolicy, []string{"--profile", "prod"}},
	} {
		pol := filepath.Join(dir, "policy.hcl")
		hardWrite(t, pol, []byte(tc.policy))
		out := filepath.Join(dir, tc.name+".json")
		code, _, stderr := run(t, append([]string{"check", "--policy", pol, "--cloudtrail", empty, "--base-dir", dir,
			"--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z", "--format", "json=" + out}, tc.extra...)...)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("%s: exit %d, no report: %s", tc.name, code, stderr)
		}
		var rep struct {
			Findings []struct{ ID, Message string }
			Summary  struct {
				FullyCompliant int `json:"fully_compliant_profiles"`
			}
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range rep.Findings {
			found = found || f.ID == "SC2002" && strings.Contains(f.Message, "held no assume-role call")
		}
		if !found {
			t.Errorf("%s: findings %+v, want SC2002 saying the sources held no assume-role call", tc.name, rep.Findings)
		}
		if rep.Summary.FullyCompliant != 0 {
			t.Errorf("%s: %d profiles fully compliant without any event", tc.name, rep.Summary.FullyCompliant)
		}
	}
}

// A folder without any log file is no evidence (most often a wrong path,
// or logs that were not copied): it fails the run like an unreadable
// source, or is an SC2002 finding with --skip-unreadable; it passed.
func TestEmptyTrailFolder(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "trail")
	hardWrite(t, filepath.Join(empty, "AWSLogs", "111122223333", "CloudTrail-Digest", "us-east-1", "111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261120T1000Z.json.gz"), []byte("x"))
	hardWrite(t, filepath.Join(empty, "README.txt"), []byte("logs go here"))
	pol := filepath.Join(dir, "policy.hcl")
	hardWrite(t, pol, []byte(hardPolicy))
	args := []string{"check", "--policy", pol, "--cloudtrail", empty, "--base-dir", dir,
		"--since", "2026-11-16T00:00:00Z", "--until", "2026-11-23T00:00:00Z"}
	code, _, stderr := run(t, args...)
	if code != ExitSource || !strings.Contains(stderr, "cannot read "+empty+": the folder holds no CloudTrail log files") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	out := filepath.Join(dir, "r.json")
	code, _, stderr = run(t, append(args, "--skip-unreadable", "--format", "json="+out)...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("--skip-unreadable: exit %d, no report: %s", code, stderr)
	}
	if !strings.Contains(string(b), `"SC2002"`) || !strings.Contains(string(b), "holds no CloudTrail log files") {
		t.Errorf("--skip-unreadable: exit %d, report:\n%s", code, b)
	}
	// A folder whose only log file cannot be read has that one problem,
	// not a second "holds no log files" too.
	dangling := filepath.Join(dir, "dangling")
	if err := os.MkdirAll(dangling, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone.json.gz"), filepath.Join(dangling, "111122223333_CloudTrail_us-east-1_20261120T1000Z_a.json.gz")); err != nil {
		t.Skip(err)
	}
	args[4] = dangling
	code, _, stderr = run(t, append(args, "--skip-unreadable", "--format", "json="+out)...)
	b, _ = os.ReadFile(out)
	var rep struct {
		Sources struct {
			CloudTrail []struct{ Unreadable int } `json:"cloudtrail"`
		}
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Sources.CloudTrail) != 1 || rep.Sources.CloudTrail[0].Unreadable != 1 || strings.Contains(string(b), "holds no CloudTrail log files") {
		t.Errorf("a dangling link: exit %d, %v, report:\n%s\nstderr: %s", code, err, b, stderr)
	}
}
