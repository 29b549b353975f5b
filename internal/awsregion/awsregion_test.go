package awsregion

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The list is the AWS SDK's: upgrading the SDK fails this test until the
// regions it adds are added here.
func TestPartitionsAreTheSDKs(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-sdk-go-v2").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/aws/aws-sdk-go-v2: %v (run go mod download)", err)
	}
	data, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "internal", "endpoints", "awsrulesfn", "partitions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Partitions []struct {
			ID      string                     `json:"id"`
			Regions map[string]json.RawMessage `json:"regions"`
			Outputs struct {
				Global string `json:"implicitGlobalRegion"`
			} `json:"outputs"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var want []Partition
	for _, p := range doc.Partitions {
		var regions []string
		for r := range p.Regions {
			if !strings.HasSuffix(r, "-global") { // aws-global: an endpoint, not a region
				regions = append(regions, r)
			}
		}
		slices.Sort(regions)
		global := p.Outputs.Global
		if p.ID == "aws-cn" {
			global = "cn-north-1" // the region of China's global STS endpoint, not the SDK's signing default
		}
		want = append(want, Partition{p.ID, global, regions})
	}
	slices.SortFunc(want, func(a, b Partition) int { return strings.Compare(a.ID, b.ID) })
	got := slices.Clone(Partitions)
	slices.SortFunc(got, func(a, b Partition) int { return strings.Compare(a.ID, b.ID) })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Partitions differ from the SDK's partitions.json:\n got %v\nwant %v", got, want)
	}
	for _, p := range Partitions {
		if !slices.IsSorted(p.Regions) {
			t.Errorf("%s: regions not sorted", p.ID)
		}
	}
	if Partitions[0].ID != "aws" {
		t.Errorf("Partitions[0] = %s, want aws (Commercial)", Partitions[0].ID)
	}
}

func TestGlobalRegion(t *testing.T) {
	for r, want := range map[string]string{
		"eu-west-1": "us-east-1", "us-gov-east-1": "us-gov-west-1", "cn-northwest-1": "cn-north-1",
		"us-iso-west-1": "us-iso-east-1", "eusc-de-east-1": "eusc-de-east-1", "eu-wset-1": "",
	} {
		if got := GlobalRegion(r); got != want {
			t.Errorf("GlobalRegion(%q) = %q, want %q", r, got, want)
		}
	}
}

func TestKnown(t *testing.T) {
	for r, want := range map[string]bool{
		"eu-west-1": true, "us-gov-west-1": true, "cn-northwest-1": true, "eusc-de-east-1": true,
		"eu-wset-1": false, "eu-west-9": false, "us-east-3": false, "EU-WEST-1": false, "all": false, "": false,
	} {
		if got := Known(r); got != want {
			t.Errorf("Known(%q) = %v, want %v", r, got, want)
		}
	}
	n := 0
	for _, p := range Partitions {
		n += len(p.Regions)
	}
	if all := All(); len(all) != n || !slices.Contains(all, "us-gov-east-1") {
		t.Errorf("All() = %v, want the %d regions of every partition", all, n)
	}
}
