package cloudtrail

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestAthenaDDLGolden(t *testing.T) {
	tests := []struct {
		name string
		o    DDLOptions
	}{
		{"ddl_single_account", DDLOptions{Bucket: "acme-cloudtrail", Accounts: []string{"111122223333"}, Regions: []string{"us-east-1", "eu-west-1"}}},
		{"ddl_organisation", DDLOptions{Bucket: "s3://acme-org-trail/", Prefix: "/trails/org/", Database: "security", Table: "org_cloudtrail",
			Organisation: true, OrgID: "o-a1b2c3d4e5", Accounts: []string{"444455556666", "111122223333"}, StartDate: "2024/06/01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ddl, err := AthenaDDL(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("athena", tt.name+".sql"), ddl)
		})
	}
}

// The table athena-ddl creates has what the Athena source's query uses:
// the default partition columns, and every column and struct field the
// query reads, sourceidentity included.
func TestAthenaDDLServesTheQuery(t *testing.T) {
	ddl, err := AthenaDDL(DDLOptions{Bucket: "b-1", Accounts: []string{"111122223333"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{DefaultAthenaPartitions.Account, DefaultAthenaPartitions.Region, DefaultAthenaPartitions.Timestamp} {
		if !strings.Contains(ddl, "`"+p+"` STRING") || !strings.Contains(ddl, "'projection."+p+".type'") || !strings.Contains(ddl, "${"+p+"}") {
			t.Errorf("partition %q is not declared, projected and in the location template", p)
		}
	}
	for _, c := range athenaColumns {
		for _, name := range regexp.MustCompile(`[a-z]+`).FindAllString(strings.TrimPrefix(c.expr, "json_extract_scalar"), -1) {
			if strings.HasPrefix(c.expr, "json_extract_scalar") && name != "requestparameters" && name != "responseelements" {
				continue // JSON paths inside the string column
			}
			if !regexp.MustCompile(`(?m)^\s*` + name + `:? `).MatchString(ddl) {
				t.Errorf("the query reads %s (%s), which the table does not declare", name, c.expr)
			}
		}
	}
	if !regexp.MustCompile(`sessioncontext: STRUCT<(?s:.*)sourceidentity: STRING>>,`).MatchString(ddl) {
		t.Error("sourceidentity is not in useridentity.sessioncontext")
	}
	for _, want := range []string{"'storage.location.template' = 's3://b-1/AWSLogs/${account}/CloudTrail/${region}/${timestamp}'",
		"'projection.timestamp.range' = '2020/01/01,NOW'", "'projection.region.values' = 'af-south-1,ap-east-1,"} {
		if !strings.Contains(ddl, want) {
			t.Errorf("missing %s", want)
		}
	}
}

func TestAthenaDDLRefusesBadInput(t *testing.T) {
	ok := DDLOptions{Bucket: "acme-trail", Accounts: []string{"111122223333"}}
	tests := []struct {
		name string
		mod  func(*DDLOptions)
		want string
	}{
		{"no bucket", func(o *DDLOptions) { o.Bucket = "" }, "no bucket"},
		{"bucket with a quote", func(o *DDLOptions) { o.Bucket = "acme'trail" }, "not an S3 bucket name"},
		{"bucket with a key", func(o *DDLOptions) { o.Bucket = "s3://acme/AWSLogs" }, "holds a slash"},
		{"prefix with a quote", func(o *DDLOptions) { o.Prefix = "logs'); DROP TABLE x; --" }, "prefix"},
		{"prefix with AWSLogs", func(o *DDLOptions) { o.Prefix = "logs/AWSLogs/" }, "includes AWSLogs"},
		{"table", func(o *DDLOptions) { o.Table = "ct` STRING) --" }, `table "ct`},
		{"database", func(o *DDLOptions) { o.Database = "a.b" }, `database "a.b"`},
		{"no account", func(o *DDLOptions) { o.Accounts = nil }, "no account"},
		{"bad account", func(o *DDLOptions) { o.Accounts = []string{"111122223333,444455556666"} }, "12 digits"},
		{"bad region", func(o *DDLOptions) { o.Regions = []string{"us-east-1'"} }, "not an AWS region"},
		{"all regions", func(o *DDLOptions) { o.Regions = []string{"all"} }, `"all" cannot be a partition value`},
		{"bad date", func(o *DDLOptions) { o.StartDate = "2024-01-01" }, "yyyy/MM/dd"},
		{"org without id", func(o *DDLOptions) { o.Organisation = true }, "--organisation needs --org-id"},
		{"bad org id", func(o *DDLOptions) { o.Organisation, o.OrgID = true, "o-x'" }, "not an AWS Organizations id"},
		{"id without org", func(o *DDLOptions) { o.OrgID = "o-a1b2c3d4e5" }, "without the organisation layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.mod(&o)
			ddl, err := AthenaDDL(o)
			if err == nil {
				t.Fatalf("want an error, got\n%s", ddl)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
	if _, err := AthenaDDL(ok); err != nil {
		t.Fatalf("the base options fail: %v", err)
	}
}
