package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/sentinel-check/sentinel-check/internal/english"
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
	if !propIs(params, "projection.enabled", "true") {
		return // partitions added by hand or by a crawler: not known here
	}
	// What the table can hold: an enum projection lists its accounts and
	// regions; a table of the Athena documentation's DDL projects only the
	// date and writes one account and region into its location template.
	fixedAccount, fixedRegion := templateFolders(params["storage.location.template"])
	p := r.s.opts.Partitions
	const fix = "recreate the table with `sentinel-check athena-ddl` (docs/athena.md)"
	if have, where := holds(params, p.Region, fixedRegion); where != "" {
		want := q.Regions
		if allRegions(want) {
			want = nil
			if !slices.ContainsFunc(have, func(v string) bool { return strings.HasPrefix(v, "us-gov-") || strings.HasPrefix(v, "cn-") }) {
				want = DefaultTrailRegions // a commercial trail: every region
			}
		}
		if missing := leftOut(want, have); len(missing) > 0 {
			advice := ", or name the regions it holds with --region"
			for _, m := range missing {
				if isGlobalRegion(m) {
					// Always read: no --region can leave it out.
					advice = fmt.Sprintf(" (%s, where calls to STS's global endpoint are logged, is read whatever --region says)", m)
				}
			}
			r.warn("the table's %s no %s %s: their logs are not in the table, and sessions opened through their STS endpoints are not checked; %s%s",
				where, english.Plural(len(missing), "region", "regions"), strings.Join(missing, ", "), fix, advice)
		}
		// The regions the table holds that --region leaves out, as the S3
		// source warns of the region folders it leaves out: a role can be
		// entered through any region's STS endpoint.
		if len(q.Regions) > 0 && !allRegions(q.Regions) {
			if other := leftOut(have, WithGlobalRegion(q.Regions)); len(other) > 0 {
				r.warn("the table holds logs of %s (%s), which the regions asked for (%s) leave out: sessions opened through %s STS endpoints are not checked; add them with --region (or --region all)",
					english.Count(len(other), "other region", "other regions"), strings.Join(other, ", "), strings.Join(q.Regions, ", "), english.Plural(len(other), "its", "their"))
			}
		}
	}
	if have, where := holds(params, p.Account, fixedAccount); where != "" {
		if missing := leftOut(q.Accounts, have); len(missing) > 0 {
			r.warn("the table's %s no %s %s, which --account asks for: their logs are not in the table; %s",
				where, english.Plural(len(missing), "account", "accounts"), strings.Join(missing, ", "), fix)
		}
		// What the table holds of the accounts asked for: the caller
		// compares it with the accounts the policy's profiles need.
		held := have
		if len(q.Accounts) > 0 {
			held = nil
			for _, a := range have {
				if slices.Contains(q.Accounts, a) {
					held = append(held, a)
				}
			}
		}
		r.stats.Accounts, r.stats.AccountsKnown = sortedUnique(held), true
	}
	if ts := p.Timestamp; ts != "" && propIs(params, "projection."+ts+".type", "date") &&
		strings.TrimSpace(params["projection."+ts+".format"]) == "yyyy/MM/dd" && !q.Start.IsZero() && !q.End.IsZero() {
		now := time.Now().UTC()
		lo, hi, ok := strings.Cut(params["projection."+ts+".range"], ",")
		first, ok1 := projectionDay(lo, now)
		last, ok2 := projectionDay(hi, now)
		const day = "2006-01-02"
		// The days the query reads: the window's, and the day after its
		// end, which holds the log files of its last minutes (see
		// athenaDaySlack); never after today, as later days cannot have
		// logs yet.
		end := q.End.UTC().Add(-time.Nanosecond)
		slackEnd := end.Add(athenaDaySlack)
		if end.After(now) {
			end = now
		}
		if slackEnd.After(now) {
			slackEnd = now
		}
		lastDay := last.Truncate(24 * time.Hour)
		switch {
		case !ok || !ok1 || !ok2:
		case q.Start.UTC().Before(first.Truncate(24 * time.Hour)):
			r.warn("the table's %s partition (partition projection) starts on %s, after the window's start (%s): the days before it are not in the table; %s with an earlier --start-date",
				quoteIdent(ts), first.Format(day), q.Start.UTC().Format(time.RFC3339), fix)
		case end.Truncate(24 * time.Hour).After(lastDay):
			r.warn("the table's %s partition (partition projection) ends on %s, before the window's end (%s): the days after it are not in the table; %s",
				quoteIdent(ts), last.Format(day), q.End.UTC().Format(time.RFC3339), fix)
		case slackEnd.Truncate(24 * time.Hour).After(lastDay):
			r.warn("the table's %s partition (partition projection) ends on %s, the window's last day (it ends %s): the log files of its last minutes, delivered the day after, are not in the table; %s",
				quoteIdent(ts), last.Format(day), q.End.UTC().Format(time.RFC3339), fix)
		}
	}
}

// holds returns what a partition column of the table can hold and how the
// table says so ("" when it does not: a column projected otherwise, or
// partitions added by hand or by a crawler).
func holds(params map[string]string, col, fixed string) ([]string, string) {
	if col != "" && propIs(params, "projection."+col+".type", "enum") {
		var vs []string
		for v := range strings.SplitSeq(params["projection."+col+".values"], ",") {
			if v = strings.TrimSpace(v); v != "" {
				vs = append(vs, v)
			}
		}
		return vs, quoteIdent(col) + " partition (partition projection) lists"
	}
	if fixed != "" {
		return []string{fixed}, "location template (storage.location.template) holds only " + fixed + " and"
	}
	return nil, ""
}

// templateFolders returns the account and the region that a partition
// projection's location template writes out, .../AWSLogs/[o-…/]ACCOUNT/
// CloudTrail/REGION/${…}: "" for one that is a ${column}.
func templateFolders(tmpl string) (account, region string) {
	_, rest, ok := strings.Cut(tmpl, "/AWSLogs/")
	if !ok {
		return "", ""
	}
	segs := strings.Split(rest, "/")
	if len(segs) > 0 && orgIDPattern.MatchString(segs[0]) {
		segs = segs[1:]
	}
	if len(segs) < 3 || segs[1] != "CloudTrail" {
		return "", ""
	}
	literal := func(v string) string {
		if strings.Contains(v, "${") {
			return ""
		}
		return v
	}
	return literal(segs[0]), literal(segs[2])
}

// nowOffset is the NOW[+-]N<unit> form of a date projection's range.
var nowOffset = regexp.MustCompile(`^NOW(?:([+-])([0-9]{1,6})(YEAR|MONTH|WEEK|DAY|HOUR|MINUTE|SECOND)S?)?$`)

// projectionDay reads one end of a yyyy/MM/dd date projection's range: a
// date, NOW, or NOW with an offset such as NOW-3YEARS.
func projectionDay(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if m := nowOffset.FindStringSubmatch(strings.ToUpper(v)); m != nil {
		if m[1] == "" {
			return now, true
		}
		n, _ := strconv.Atoi(m[2])
		if m[1] == "-" {
			n = -n
		}
		switch m[3] {
		case "YEAR":
			return now.AddDate(n, 0, 0), true
		case "MONTH":
			return now.AddDate(0, n, 0), true
		case "WEEK":
			return now.AddDate(0, 0, 7*n), true
		case "DAY":
			return now.AddDate(0, 0, n), true
		case "HOUR":
			return now.Add(time.Duration(n) * time.Hour), true
		case "MINUTE":
			return now.Add(time.Duration(n) * time.Minute), true
		}
		return now.Add(time.Duration(n) * time.Second), true
	}
	t, err := time.Parse("2006/01/02", v)
	return t, err == nil
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

// propIs tells whether the table property key is v, ignoring case and
// surrounding space as Athena does.
func propIs(params map[string]string, key, v string) bool {
	return strings.EqualFold(strings.TrimSpace(params[key]), v)
}
