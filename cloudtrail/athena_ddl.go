package cloudtrail

import (
	"errors"
	"fmt"
	"github.com/sentinel-check/sentinel-check/internal/awsregion"
	"regexp"
	"strings"
	"time"
)

// DDLOptions describe the CloudTrail bucket that AthenaDDL makes a table for.
type DDLOptions struct {
	// Bucket is the trail's S3 bucket (a name, or s3://name).
	Bucket string
	// Prefix is the trail's S3 key prefix before AWSLogs/ ("" = none).
	Prefix string
	// Database qualifies the table ("" = the query's current database).
	Database string
	// Table is the table name (default DefaultAthenaTable).
	Table string
	// Organisation selects the organisation trail layout,
	// AWSLogs/<org-id>/<account>/…; OrgID is then required.
	Organisation bool
	OrgID        string
	// Accounts are the accounts whose logs the table covers (at least one):
	// the values of the account partition.
	Accounts []string
	// Regions are the values of the region partition (default
	// DefaultTrailRegions, every commercial region).
	Regions []string
	// StartDate is the first day of the date partition, yyyy/MM/dd
	// (default DefaultDDLStartDate).
	StartDate string
}

// Defaults of AthenaDDL.
const (
	DefaultAthenaTable  = "cloudtrail_logs"
	DefaultDDLStartDate = "2020/01/01"
)

// DefaultTrailRegions are the commercial AWS regions: the region partition's
// values when DDLOptions.Regions is empty.
var DefaultTrailRegions = awsregion.Commercial()

var (
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	orgIDRE  = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	prefixRE = regexp.MustCompile(`^[A-Za-z0-9!_.*()/-]*$`)
)

// ddlColumns is the CloudTrail record as the Athena documentation's
// partition-projection table declares it, with sourceidentity added to the
// session context (it carries the broker's SourceIdentity through role
// chaining).
const ddlColumns = `  eventversion STRING,
  useridentity STRUCT<
    type: STRING,
    principalid: STRING,
    arn: STRING,
    accountid: STRING,
    invokedby: STRING,
    accesskeyid: STRING,
    username: STRING,
    onbehalfof: STRUCT<
      userid: STRING,
      identitystorearn: STRING>,
    sessioncontext: STRUCT<
      attributes: STRUCT<
        mfaauthenticated: STRING,
        creationdate: STRING>,
      sessionissuer: STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        username: STRING>,
      ec2roledelivery: STRING,
      webidfederationdata: STRUCT<
        federatedprovider: STRING,
        attributes: MAP<STRING,STRING>>,
      sourceidentity: STRING>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<
    arn: STRING,
    accountid: STRING,
    type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  vpcendpointaccountid STRING,
  eventcategory STRING,
  addendum STRUCT<
    reason: STRING,
    updatedfields: STRING,
    originalrequestid: STRING,
    originaleventid: STRING>,
  sessioncredentialfromconsole STRING,
  edgedevicedetails STRING,
  tlsdetails STRUCT<
    tlsversion: STRING,
    ciphersuite: STRING,
    clienthostheader: STRING>`

// AthenaDDL returns the CREATE EXTERNAL TABLE statement for a CloudTrail
// bucket: the record columns (with sourceidentity in the session context),
// the partitions account, region and timestamp (the defaults of
// AthenaPartitions) and partition projection, so that the table needs no
// partition maintenance and every query names the days it reads.
func AthenaDDL(o DDLOptions) (string, error) {
	bucket := strings.TrimSuffix(strings.TrimPrefix(o.Bucket, "s3://"), "/")
	if bucket == "" {
		return "", fmt.Errorf("no bucket: name the trail's S3 bucket, e.g. --bucket acme-cloudtrail")
	}
	if strings.Contains(bucket, "/") {
		return "", fmt.Errorf("bucket %q holds a slash: give the key prefix before AWSLogs/ as the prefix", o.Bucket)
	}
	if !bucketRE.MatchString(bucket) {
		return "", fmt.Errorf("bucket %q is not an S3 bucket name: use 3 to 63 lowercase letters, digits, dots and hyphens", bucket)
	}
	prefix := strings.Trim(o.Prefix, "/")
	if prefix != "" {
		if !prefixRE.MatchString(prefix) || strings.Contains(prefix, "//") {
			return "", fmt.Errorf("prefix %q holds characters a trail prefix cannot: use letters, digits and !_.*()-/", o.Prefix)
		}
		if strings.HasSuffix(prefix, "AWSLogs") || strings.Contains(prefix, "AWSLogs/") {
			return "", fmt.Errorf("prefix %q includes AWSLogs: give only the part before AWSLogs/ (the trail's S3 key prefix)", o.Prefix)
		}
		prefix += "/"
	}
	table := o.Table
	if table == "" {
		table = DefaultAthenaTable
	}
	name, err := ddlIdent("table", table)
	if err != nil {
		return "", err
	}
	if o.Database != "" {
		db, err := ddlIdent("database", o.Database)
		if err != nil {
			return "", err
		}
		name = db + "." + name
	}
	if len(o.Accounts) == 0 {
		return "", fmt.Errorf("no account: name the accounts whose logs the table covers (the account partition's values), e.g. --account 111122223333")
	}
	if err := ValidateAccounts(o.Accounts); err != nil {
		return "", err
	}
	regions := o.Regions
	if len(regions) == 0 {
		regions = DefaultTrailRegions
	}
	for _, r := range regions {
		if r == "all" {
			return "", fmt.Errorf(`region "all" cannot be a partition value: list the regions, or give none for every commercial region`)
		}
	}
	if err := ValidateRegions(regions); err != nil {
		return "", err
	}
	start := o.StartDate
	if start == "" {
		start = DefaultDDLStartDate
	}
	if _, err := time.Parse("2006/01/02", start); err != nil {
		return "", fmt.Errorf("start date %q is not a day in the form yyyy/MM/dd, e.g. 2024/01/31", start)
	}
	root := "s3://" + bucket + "/" + prefix + "AWSLogs/"
	if o.Organisation {
		if o.OrgID == "" {
			return "", errors.New("--organisation needs --org-id o-…, the organisation's id (the AWSLogs/o-…/ folder of the trail's S3 keys)")
		}
		if !orgIDRE.MatchString(o.OrgID) {
			return "", fmt.Errorf("organisation id %q is not an AWS Organizations id: use o- and 10 to 32 lowercase letters or digits, as in the trail's S3 keys (AWSLogs/o-a1b2c3d4e5/…)", o.OrgID)
		}
		root += o.OrgID + "/"
	} else if o.OrgID != "" {
		return "", fmt.Errorf("an organisation id was given without the organisation layout: ask for the organisation layout too, or leave the id out")
	}

	props := [][2]string{
		{"projection.enabled", "true"},
		{"projection.account.type", "enum"},
		{"projection.account.values", strings.Join(sortedUnique(o.Accounts), ",")},
		{"projection.region.type", "enum"},
		{"projection.region.values", strings.Join(sortedUnique(regions), ",")},
		{"projection.timestamp.type", "date"},
		{"projection.timestamp.format", "yyyy/MM/dd"},
		{"projection.timestamp.range", start + ",NOW"},
		{"projection.timestamp.interval", "1"},
		{"projection.timestamp.interval.unit", "DAYS"},
		{"storage.location.template", root + "${account}/CloudTrail/${region}/${timestamp}"},
	}
	location, err := sqlString(root)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE %s (\n%s\n)\n", name, ddlColumns)
	b.WriteString("PARTITIONED BY (\n  `account` STRING,\n  `region` STRING,\n  `timestamp` STRING\n)\n")
	b.WriteString("ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n")
	b.WriteString("STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n")
	b.WriteString("OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n")
	fmt.Fprintf(&b, "LOCATION %s\n", location)
	b.WriteString("TBLPROPERTIES (\n")
	for i, p := range props {
		k, err := sqlString(p[0])
		if err != nil {
			return "", err
		}
		v, err := sqlString(p[1])
		if err != nil {
			return "", err
		}
		sep := ","
		if i == len(props)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s = %s%s\n", k, v, sep)
	}
	b.WriteString(");\n")
	return b.String(), nil
}

// ddlIdent returns name as a backquoted Hive DDL identifier after checking
// it is a plain name.
func ddlIdent(what, name string) (string, error) {
	if !identRE.MatchString(name) {
		return "", fmt.Errorf("%s %q is not a plain SQL name: use letters, digits and underscores, starting with a letter or underscore", what, name)
	}
	return "`" + strings.ToLower(name) + "`", nil
}
