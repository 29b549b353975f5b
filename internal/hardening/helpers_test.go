package hardening

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ctEvent is an sts call as CloudTrail records it; zero fields get
// harmless defaults.
type ctEvent struct {
	ID, Role, SI, CallerSI, ErrorCode string
	Name                              string // AssumeRole by default
	Time                              time.Time
	SessionName, UserAgent, CallerArn string
	SourceIP, Region, AssumedRoleArn  string
	AccessKeyID, SessionToken, Secret string
}

func (e ctEvent) record() map[string]any {
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	ui := map[string]any{"type": "IAMUser", "arn": or(e.CallerArn, "arn:aws:iam::111122223333:user/u"), "accountId": "111122223333",
		"accessKeyId": "AKIACALLERKEY0000001"}
	if e.CallerSI != "" {
		ui = map[string]any{"type": "AssumedRole", "arn": or(e.CallerArn, "arn:aws:sts::111122223333:assumed-role/Broker/s"),
			"sessionContext": map[string]any{"sourceIdentity": e.CallerSI, "sessionIssuer": map[string]any{"arn": "arn:aws:iam::111122223333:role/Broker"}}}
	}
	r := map[string]any{
		"eventVersion": "1.08", "eventSource": "sts.amazonaws.com", "eventName": or(e.Name, "AssumeRole"),
		"eventTime": e.Time.UTC().Format(time.RFC3339), "eventID": e.ID, "awsRegion": or(e.Region, "us-east-1"),
		"recipientAccountId": "111122223333", "userIdentity": ui,
		"sourceIPAddress": or(e.SourceIP, "192.0.2.1"), "userAgent": or(e.UserAgent, "aws-cli/2.15.0"),
	}
	if e.ErrorCode != "" {
		r["errorCode"] = e.ErrorCode
		r["errorMessage"] = "User: arn:aws:iam::111122223333:user/u is not authorized to perform: sts:AssumeRole on resource: " + e.Role
		r["requestParameters"] = nil
		return r
	}
	req := map[string]any{"roleArn": e.Role, "roleSessionName": or(e.SessionName, "s-"+e.ID), "durationSeconds": 3600}
	if e.SI != "" {
		req["sourceIdentity"] = e.SI
	}
	r["requestParameters"] = req
	r["responseElements"] = map[string]any{
		"credentials": map[string]any{
			"accessKeyId":     or(e.AccessKeyID, "ASIAABCDEFGHIJKLMNOP"),
			"sessionToken":    or(e.SessionToken, "IQoJb3JpZ2luX2VjEXAMPLE"),
			"secretAccessKey": or(e.Secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
			"expiration":      "Nov 18, 2026, 11:00:00 AM",
		},
		"assumedRoleUser": map[string]any{"arn": or(e.AssumedRoleArn, "arn:aws:sts::111122223333:assumed-role/x/s-"+e.ID), "assumedRoleId": "AROAEXAMPLE:s"},
	}
	return r
}

func trailDoc(evs []ctEvent) []byte {
	recs := make([]map[string]any, 0, len(evs))
	for _, e := range evs {
		recs = append(recs, e.record())
	}
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		panic(err)
	}
	return b
}

// sessRec is a broker session record as the file store reads it.
type sessRec struct {
	ID             string `json:"id"`
	User           string `json:"user"`
	Profile        string `json:"profile"`
	Status         string `json:"status"`
	SourceIdentity string `json:"source_identity,omitempty"`
	StartedAt      string `json:"started_at"`
	ExpiresAt      string `json:"expires_at"`
	LastAccessAt   string `json:"last_access_at"`
	UpdatedAt      string `json:"updated_at"`
	CreatedAt      string `json:"created_at"`
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// liveRec is an active record covering [start, start+d).
func liveRec(id, user, profile, si string, start time.Time, d time.Duration) sessRec {
	return sessRec{ID: id, User: user, Profile: profile, Status: "active", SourceIdentity: si,
		StartedAt: stamp(start), ExpiresAt: stamp(start.Add(d)), LastAccessAt: stamp(start.Add(d / 2)),
		UpdatedAt: stamp(start), CreatedAt: stamp(start)}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b)
}

// report is the part of the JSON report the tests read.
type report struct {
	Profiles []struct {
		Profile    string         `json:"profile"`
		Required   bool           `json:"required"`
		Sessions   int            `json:"sessions"`
		Tracked    int            `json:"tracked"`
		HasGap     bool           `json:"has_gap"`
		ByCategory map[string]int `json:"by_category"`
	} `json:"profiles"`
	Findings []struct {
		ID       string   `json:"id"`
		Profile  string   `json:"profile"`
		Severity string   `json:"severity"`
		Message  string   `json:"message"`
		Events   []string `json:"events"`
	} `json:"findings"`
	Sources struct {
		Totals struct {
			Files            int64 `json:"files"`
			FilesSkipped     int64 `json:"files_skipped"`
			Pages            int64 `json:"pages"`
			Records          int64 `json:"records"`
			RecordsSkipped   int64 `json:"records_skipped"`
			Unreadable       int64 `json:"unreadable"`
			AssumeRoleEvents int64 `json:"assume_role_events"`
			Duplicates       int64 `json:"duplicates"`
			OutsideWindow    int64 `json:"outside_window"`
			Failed           int64 `json:"failed"`
			Sessions         int64 `json:"sessions"`
		} `json:"totals"`
	} `json:"sources"`
}

func readReport(t *testing.T, path string) *report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s is not a JSON report: %v", path, err)
	}
	return &r
}

func (r *report) has(id string) bool {
	for _, f := range r.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}
