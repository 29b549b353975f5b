package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// keysOf returns an object's keys, sorted.
func keysOf(m map[string]any) []string {
	return sortedKeys(m)
}

func hasAll(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q (has %v)", what, k, keysOf(m))
		}
	}
}

// TestJSONContract pins the field names of SPEC §7: other tools read them.
func TestJSONContract(t *testing.T) {
	out := render(t, "json", gapsResult())
	if !bytes.HasSuffix(out, []byte("}\n")) || !bytes.HasPrefix(out, []byte("{\n  \"window\"")) {
		t.Errorf("not indented with a trailing newline:\n%.200s", out)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	hasAll(t, "report", doc, "window", "profiles", "findings", "sources", "summary")
	hasAll(t, "window", doc["window"].(map[string]any), "start", "end")
	if got := doc["window"].(map[string]any)["start"]; got != "2025-03-03T00:00:00Z" {
		t.Errorf("window.start = %v", got)
	}
	profiles := doc["profiles"].([]any)
	for _, p := range profiles {
		pm := p.(map[string]any)
		hasAll(t, "profile", pm, "profile", "required", "sessions", "tracked", "untracked", "compliance_rate",
			"has_gap", "by_category", "denied_attempts")
		cats := pm["by_category"].(map[string]any)
		if got := keysOf(cats); !slices.Equal(got, sortedKeys(map[string]int{
			"tracked": 0, "no_source_identity": 0, "foreign_source_identity": 0, "orphaned": 0, "revoked": 0, "expired": 0,
		})) {
			t.Errorf("%v: by_category keys %v, want all six", pm["profile"], got)
		}
	}
	// Missing categories are zero, present ones kept.
	dev := profiles[2].(map[string]any)["by_category"].(map[string]any)
	if dev["no_source_identity"] != 12.0 || dev["tracked"] != 0.0 {
		t.Errorf("dev by_category = %v", dev)
	}
	findings := doc["findings"].([]any)
	for _, f := range findings {
		hasAll(t, "finding", f.(map[string]any), "id", "check", "profile", "severity", "message", "role", "events", "event_count")
	}
	f0 := findings[0].(map[string]any)
	if f0["id"] != "SC1001" || f0["check"] != "untracked-session" || f0["profile"] != "prod-admin" || f0["severity"] != "error" {
		t.Errorf("finding 0 = %v", f0)
	}
	hasAll(t, "summary", doc["summary"].(map[string]any), "required_profiles", "fully_compliant_profiles", "profiles_with_gaps", "findings")
	hasAll(t, "sources", doc["sources"].(map[string]any), "cloudtrail", "sessions", "totals")

	text := string(out)
	for _, want := range []string{
		`"compliance_rate": 90.0,`,  // one decimal, even when whole
		`"compliance_rate": 99.9,`,  // 2499 of 2500 never rounds up to 100.0
		`"compliance_rate": 100.0,`, // no sessions
		`"events": [],`,             // never null
		`"first_event": "2025-03-03T08:01:02Z"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("json lacks %s", want)
		}
	}
	if strings.Contains(text, "null") {
		t.Error("json holds a null")
	}
}

func TestJSONEmptyArrays(t *testing.T) {
	for _, r := range []*Result{cleanResult(), {}} {
		out := string(render(t, "json", r))
		for _, want := range []string{`"findings": []`, `"diagnostics": []`} {
			if !strings.Contains(out, want) {
				t.Errorf("json lacks %s", want)
			}
		}
		if strings.Contains(out, "null") {
			t.Errorf("json holds a null:\n%s", out)
		}
	}
}

func TestJSONTimesUTC(t *testing.T) {
	r := cleanResult()
	berlin := time.FixedZone("CET", 3600)
	r.Window.Start = time.Date(2025, 3, 3, 1, 0, 0, 0, berlin)
	r.Window.End = time.Date(2025, 3, 10, 1, 0, 0, 500_000_000, berlin)
	var doc struct{ Window struct{ Start, End string } }
	if err := json.Unmarshal(render(t, "json", r), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Window.Start != "2025-03-03T00:00:00Z" || doc.Window.End != "2025-03-10T00:00:00.5Z" {
		t.Errorf("window = %+v, want RFC 3339 in UTC", doc.Window)
	}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// A finding about more events than the ids it holds tells their number.
func TestEventCountPastTheIDs(t *testing.T) {
	r := gapsResult()
	f := &r.Findings[0]
	f.Events = make([]string, 1000)
	for i := range f.Events {
		f.Events[i] = fmt.Sprintf("ev%04d", i)
	}
	f.EventCount = 1500
	var doc struct {
		Findings []struct {
			Events     []string `json:"events"`
			EventCount int      `json:"event_count"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(render(t, "json", r), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Findings[0]; len(got.Events) != 1000 || got.EventCount != 1500 {
		t.Errorf("json: %d ids, event_count %d; want 1000 and 1500", len(got.Events), got.EventCount)
	}
	sarif := decodeSARIF(t, render(t, "sarif", r))
	if got := (*sarif.Runs[0].Results)[0].Properties["eventCount"]; got != float64(1500) {
		t.Errorf("sarif eventCount = %v, want 1500", got)
	}
}
