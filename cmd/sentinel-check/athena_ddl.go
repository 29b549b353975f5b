package main

import (
	"fmt"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
)

// athenaDDL prints the CREATE EXTERNAL TABLE statement for a CloudTrail
// bucket (cloudtrail.AthenaDDL).
func (c Command) athenaDDL(args []string) int {
	fs := c.flagSet("athena-ddl")
	var accounts, regions multi
	bucket := fs.String("bucket", "", "the trail's S3 bucket (required)")
	prefix := fs.String("prefix", "", "the trail's S3 key prefix, the part before AWSLogs/")
	database := fs.String("database", "", "database of the table (default: the one the query runs in)")
	table := fs.String("table", cloudtrail.DefaultAthenaTable, "table name")
	org := fs.Bool("organisation", false, "organisation trail layout AWSLogs/ORG-ID/ACCOUNT/… (needs --org-id)")
	orgID := fs.String("org-id", "", "the AWS Organizations id in the trail's keys, o-…; implies --organisation")
	fs.Var(&accounts, "account", "account whose logs the table covers (repeatable, at least one)")
	fs.Var(&regions, "region", "region of the region partition (repeatable; default every commercial region)")
	start := fs.String("start-date", cloudtrail.DefaultDDLStartDate, "first day of the date partition, yyyy/MM/dd")
	if code, stop := c.parse(fs, args); stop {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError(fmt.Errorf("unexpected argument %q: athena-ddl takes only flags", fs.Arg(0)))
	}
	ddl, err := cloudtrail.AthenaDDL(cloudtrail.DDLOptions{
		Bucket: *bucket, Prefix: *prefix, Database: *database, Table: *table,
		Organisation: *org || *orgID != "", OrgID: *orgID,
		Accounts: accounts, Regions: cloudtrail.WithGlobalRegion(regions), StartDate: *start,
	})
	if err != nil {
		return c.usageError(fmt.Errorf("athena-ddl: %w", err))
	}
	fmt.Fprint(c.Stdout, ddl)
	return ExitOK
}
