package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-check/sentinel-check/checks"
	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// skippingSource reads one file in which one assume-role record had a
// mistyped field: the decoder counted it in RecordsSkipped.
type skippingSource struct{}

func (skippingSource) Name() string { return "trail/" }
func (skippingSource) Read(ctx context.Context, q cloudtrail.Query, emit func(cloudtrail.Event)) (cloudtrail.Stats, error) {
	return cloudtrail.Stats{Source: "trail/", Kind: "files", Files: 1, Records: 2, RecordsSkipped: 1,
		Skipped: []cloudtrail.Skip{
			{Item: "trail/CloudTrail-Digest/d.json.gz", Reason: "CloudTrail digest file"},
			{Item: "trail/a.json: Records[1]", Reason: `event "e2": requestParameters is a string, want an object`},
		}}, nil
}

// An assume-role record that cannot be used may be an untracked session: the
// run must not report the profile compliant.
func TestUnusableRecordsAreMissingEvidence(t *testing.T) {
	pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(`
profile "prod" {
  role_arns = ["arn:aws:iam::111122223333:role/Prod*"]
}
rule "prod" {
  effect = "require_server_session"
}
`)}, policyhcl.Options{KnownChecks: checks.Names()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	now := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)
	o := Options{Policy: pol, CloudTrail: []cloudtrail.Source{skippingSource{}}, Start: now.Add(-time.Hour), End: now}

	_, err := Run(context.Background(), o)
	var se *SourceError
	if !errors.As(err, &se) || se.Source != "trail/a.json: Records[1]" || !strings.Contains(err.Error(), "requestParameters is a string") ||
		!strings.Contains(err.Error(), "1 assume-role record could not be used") {
		t.Fatalf("Run = %v, want a *SourceError naming trail/a.json: Records[1] and the problem", err)
	}

	o.SkipUnreadable = true
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range res.Findings {
		if f.CheckID == "SC2002" && strings.Contains(f.Message, "trail/: 1 unusable assume-role record") && !strings.Contains(f.Message, "1 unusable assume-role records") {
			found = true
		}
	}
	if !found {
		t.Fatalf("with SkipUnreadable no SC2002 finding counts the unusable record: %+v", res.Findings)
	}
}
