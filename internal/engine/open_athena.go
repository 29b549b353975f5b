package engine

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// athenaParams are the options an athena:// source takes after "?".
var athenaParams = map[string]string{
	"output":           "s3://BUCKET/PREFIX/ for the query results (default: the workgroup's result location)",
	"region":           "the AWS region of the workgroup (default: the AWS configuration's)",
	"timestamp_column": "the yyyy/MM/dd date partition column (default timestamp; empty: none)",
	"region_column":    "the region partition column (default region; empty: none)",
	"account_column":   "the account partition column (default account; empty: none)",
}

var (
	workGroupRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)
	plainNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	s3URLRE     = regexp.MustCompile(`^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$`)
	awsRegionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
)

// athenaSpec is a parsed athena://WORKGROUP/DATABASE.TABLE[?…] source.
type athenaSpec struct {
	opts   cloudtrail.AthenaOptions
	region string
}

// parseAthenaSpec parses athena://WORKGROUP/DATABASE.TABLE with the
// options of athenaParams. An empty workgroup is the account's primary one.
func parseAthenaSpec(spec string) (athenaSpec, error) {
	var out athenaSpec
	rest, ok := strings.CutPrefix(spec, "athena://")
	if !ok {
		return out, fmt.Errorf("%q is not an Athena source: use athena://WORKGROUP/DATABASE.TABLE", spec)
	}
	path, rawQuery, _ := strings.Cut(rest, "?")
	wg, dbTable, ok := strings.Cut(path, "/")
	db, table, ok2 := strings.Cut(dbTable, ".")
	if !ok || !ok2 || strings.Contains(table, ".") || strings.Contains(table, "/") {
		return out, fmt.Errorf("%q: use athena://WORKGROUP/DATABASE.TABLE, e.g. athena://primary/security.cloudtrail_logs", spec)
	}
	if wg != "" && !workGroupRE.MatchString(wg) {
		return out, fmt.Errorf("%q: workgroup %q is not an Athena workgroup name: use letters, digits, '.', '_' and '-'", spec, wg)
	}
	for _, n := range [][2]string{{"database", db}, {"table", table}} {
		if !plainNameRE.MatchString(n[1]) {
			return out, fmt.Errorf("%q: %s %q is not a plain name: use letters, digits and underscores, starting with a letter or underscore", spec, n[0], n[1])
		}
	}
	out.opts = cloudtrail.AthenaOptions{WorkGroup: wg, Database: db, Table: table}
	parts := cloudtrail.DefaultAthenaPartitions
	out.opts.Partitions = &parts
	if rawQuery == "" {
		return out, nil
	}
	params, err := url.ParseQuery(rawQuery)
	if err != nil {
		return out, fmt.Errorf("%q: the options after '?' are not KEY=VALUE&…: %w", spec, err)
	}
	for k, vs := range params {
		if _, known := athenaParams[k]; !known {
			return out, fmt.Errorf("%q: unknown option %q; the options are %s", spec, k, paramList())
		}
		if len(vs) > 1 {
			return out, fmt.Errorf("%q: option %q is given %d times; give it once", spec, k, len(vs))
		}
		v := vs[0]
		switch k {
		case "output":
			if !s3URLRE.MatchString(v) {
				return out, fmt.Errorf("%q: output %q is not an S3 location: use s3://BUCKET/PREFIX/", spec, v)
			}
			out.opts.OutputLocation = v
		case "region":
			if !awsRegionRE.MatchString(v) {
				return out, fmt.Errorf("%q: region %q is not an AWS region name such as us-east-1", spec, v)
			}
			out.region = v
		case "timestamp_column", "region_column", "account_column":
			if v != "" && !plainNameRE.MatchString(v) {
				return out, fmt.Errorf("%q: %s %q is not a plain column name: use letters, digits and underscores, or leave it empty for none", spec, k, v)
			}
			switch k {
			case "timestamp_column":
				parts.Timestamp = v
			case "region_column":
				parts.Region = v
			case "account_column":
				parts.Account = v
			}
		}
	}
	return out, nil
}

func paramList() string {
	var ks []string
	for k := range athenaParams {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func openAthena(ctx context.Context, spec string, cfg *policyhcl.CloudTrailConfig, env *Env) (cloudtrail.Source, error) {
	as, err := parseAthenaSpec(spec)
	if err != nil {
		return nil, &UsageError{err}
	}
	opts := as.opts
	if cfg != nil {
		if cfg.OutputLocation != "" {
			if !s3URLRE.MatchString(cfg.OutputLocation) {
				return nil, &UsageError{fmt.Errorf("%s: output_location %q is not an S3 location: use s3://BUCKET/PREFIX/", spec, cfg.OutputLocation)}
			}
			if opts.OutputLocation != "" && opts.OutputLocation != cfg.OutputLocation {
				return nil, &UsageError{fmt.Errorf("%s: the source's ?output=%s and the cloudtrail block's output_location %q differ; give the location once", spec, opts.OutputLocation, cfg.OutputLocation)}
			}
			opts.OutputLocation = cfg.OutputLocation
		}
		opts.Accounts, opts.Regions = cfg.Accounts, cfg.Regions
	}
	// The query's accounts and regions become SQL literals: refuse anything
	// that is not an account id or a region name before a query is built.
	for _, accounts := range [][]string{opts.Accounts, env.Accounts} {
		if err := cloudtrail.ValidateAccounts(accounts); err != nil {
			return nil, &UsageError{fmt.Errorf("%s: %w", spec, err)}
		}
	}
	for _, regions := range [][]string{opts.Regions, env.Regions} {
		if err := cloudtrail.ValidateRegions(regions); err != nil {
			return nil, &UsageError{fmt.Errorf("%s: %w", spec, err)}
		}
	}
	awsCfg, err := env.AWS(ctx)
	if err != nil {
		return nil, &SourceError{Source: spec, Err: err}
	}
	opts.Region = awsCfg.Region
	if as.region != "" {
		opts.Region = as.region
	}
	if opts.Region == "" {
		return nil, &UsageError{fmt.Errorf("%s needs the region of its workgroup: add ?region=REGION to it, or set AWS_REGION", spec)}
	}
	client := athena.NewFromConfig(awsCfg, func(o *athena.Options) {
		if as.region != "" {
			o.Region = as.region
		}
	})
	opts.Regions = cloudtrail.WithGlobalRegion(opts.Regions)
	return cloudtrail.NewAthenaSource(client, opts), nil
}
