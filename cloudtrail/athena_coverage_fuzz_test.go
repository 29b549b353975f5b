package cloudtrail

import (
	"strings"
	"testing"
	"time"
)

// FuzzTableProperties feeds any text to the readers of a table's partition
// projection properties: they never panic, a template's account and region
// are folder names (no slash, no ${…}), and a range end is read only when
// it is a yyyy/MM/dd date or NOW with an offset.
func FuzzTableProperties(f *testing.F) {
	for _, s := range []string{
		"s3://b/AWSLogs/111122223333/CloudTrail/us-east-1/${timestamp}",
		"s3://b/p/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}",
		"s3://b/AWSLogs/", "/AWSLogs/o-a1b2c3d4e5/x/CloudTrail",
		"2020/01/01", "NOW", "NOW-3YEARS", "now+1day", "NOW-999999SECONDS", "2024/13/40",
	} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		acct, region := templateFolders(s)
		for _, v := range []string{acct, region} {
			if strings.Contains(v, "/") || strings.Contains(v, "${") {
				t.Fatalf("templateFolders(%q) = %q, %q: not a folder name", s, acct, region)
			}
		}
		day, ok := projectionDay(s, now)
		if !ok {
			return
		}
		v := strings.ToUpper(strings.TrimSpace(s))
		if !strings.HasPrefix(v, "NOW") {
			if got := day.Format("2006/01/02"); got != strings.TrimSpace(s) {
				t.Fatalf("projectionDay(%q) = %s", s, got)
			}
		}
	})
}
