package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
)

// athenaCatalog is the data catalog of the CloudTrail table: AWS Glue's.
const athenaCatalog = "AwsDataCatalog"

// coverage reads the table's partition projection (its TBLPROPERTIES,
// which GetTableMetadata returns) and warns about what the table cannot
// hold however the query is written: with projection, Athena reads only
// the accounts and regions its enums list and the days of its date range,
// so an account that joined the organisation or a region enabled after the
// table was made is not in it, and the query finds nothing there.
func (r *athenaRun) coverage(ctx context.Context, q Query) {
	in := &athena.GetTableMetadataInput{
		CatalogName:  aws.String(athenaCatalog),
		DatabaseName: aws.String(r.s.opts.Database),
		TableName:    aws.String(r.s.opts.Table),
	}
	if r.s.opts.WorkGroup != "" {
		in.WorkGroup = aws.String(r.s.opts.WorkGroup) // needed for an IAM Identity Center catalog
	}
	out, err := r.s.client.GetTableMetadata(ctx, in, r.opts())
	if err != nil {
		if ctx.Err() != nil {
			return // the query's own calls report it
		}
		cerr := r.call("athena:GetTableMetadata", err)
		msg := cerr.Error()
		var se *SourceError
		if errors.As(cerr, &se) {
			msg = se.Err.Error()
		}
		r.warn("the accounts, regions and days the table's partition projection covers were not checked: athena:GetTableMetadata failed: %s", msg)
		return
	}
	if out.TableMetadata == nil {
		return
	}
	params := out.TableMetadata.Parameters
	if !strings.EqualFold(strings.TrimSpace(params["projection.enabled"]), "true") {
		return // partitions added by hand or by a crawler: not known here
	}
	enum := func(col string) ([]string, bool) {
		if col == "" || !strings.EqualFold(strings.TrimSpace(params["projection."+col+".type"]), "enum") {
			return nil, false
		}
		var vs []string
		for v := range strings.SplitSeq(params["projection."+col+".values"], ",") {
			if v = strings.TrimSpace(v); v != "" {
				vs = append(vs, v)
			}
		}
		return vs, true
	}
	const fix = "recreate the table with `sentinel-check athena-ddl` (docs/athena.md)"
	p := r.s.opts.Partitions
	if have, ok := enum(p.Region); ok {
		want := q.Regions
		if allRegions(want) {
			want = nil
			if !slices.ContainsFunc(have, func(v string) bool { return strings.HasPrefix(v, "us-gov-") || strings.HasPrefix(v, "cn-") }) {
				want = DefaultTrailRegions // a commercial trail: every region
			}
		}
		if missing := leftOut(want, have); len(missing) > 0 {
			r.warn("the table's %s partition (partition projection) lists no %s %s: their logs are not in the table, and sessions opened through their STS endpoints are not checked; %s",
				quoteIdent(p.Region), plural(len(missing), "region", "regions"), strings.Join(missing, ", "), fix)
		}
	}
	if have, ok := enum(p.Account); ok {
		want := append(slices.Clone(q.Accounts), q.Needed...)
		if missing := leftOut(want, have); len(missing) > 0 {
			r.warn("the table's %s partition (partition projection) lists no %s %s, which the check needs (the policy's role ARNs or --account name them): their logs are not in the table; %s",
				quoteIdent(p.Account), plural(len(missing), "account", "accounts"), strings.Join(missing, ", "), fix)
		}
	}
	if ts := p.Timestamp; ts != "" && strings.EqualFold(strings.TrimSpace(params["projection."+ts+".type"]), "date") &&
		strings.TrimSpace(params["projection."+ts+".format"]) == "yyyy/MM/dd" {
		first, _, _ := strings.Cut(params["projection."+ts+".range"], ",")
		if day, err := time.Parse("2006/01/02", strings.TrimSpace(first)); err == nil && !q.Start.IsZero() && q.Start.Before(day) {
			r.warn("the table's %s partition (partition projection) starts on %s, after the window's start (%s): the days before it are not in the table; %s with an earlier --start-date",
				quoteIdent(ts), day.Format("2006-01-02"), q.Start.UTC().Format(time.RFC3339), fix)
		}
	}
}

func (r *athenaRun) warn(format string, args ...any) {
	r.stats.Warnings = append(r.stats.Warnings, fmt.Sprintf(format, args...))
}

// leftOut returns the distinct values of want that have lacks, sorted.
func leftOut(want, have []string) []string {
	var out []string
	for _, w := range sortedUnique(want) {
		if !slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	return out
}

func quoteIdent(col string) string { return `"` + col + `"` }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
