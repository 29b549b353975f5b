package cloudtrail

import (
	"fmt"
	"github.com/sentinel-check/sentinel-check/internal/awsaccount"
	"github.com/sentinel-check/sentinel-check/internal/awsregion"
	"github.com/sentinel-check/sentinel-check/internal/english"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// AthenaPartitions names the partition columns of an Athena CloudTrail
// table; an empty name means the table has no such column. The defaults
// (DefaultAthenaPartitions) are the columns of the table that
// `sentinel-check athena-ddl` creates.
type AthenaPartitions struct {
	// Timestamp is the day of the log file's S3 folder as a yyyy/MM/dd
	// string (partition projection of type date). Without it every query
	// scans the whole table.
	Timestamp string
	// Region is the region folder (an enum projection).
	Region string
	// Account is the account folder (an enum projection).
	Account string
}

// DefaultAthenaPartitions are the partition columns of athena-ddl's table.
var DefaultAthenaPartitions = AthenaPartitions{Timestamp: "timestamp", Region: "region", Account: "account"}

// athenaDaySlack widens the date partition range past the window's end: a
// log file lands in the folder of its delivery day, up to about 15 minutes
// after its events, so the window's last events can sit in the next day's
// folder. The S3 source lists the same day folders.
const athenaDaySlack = DefaultDeliverySlack

// athenaColumns are the columns the query returns, by alias, with the SQL
// that computes each. They are the fields of an assume-role record the
// decoder reads (DecodeRecord), so a row is decoded exactly like a log file
// record: the SPEC's fields, eventsource (the decoder checks it again) and
// errormessage, from which the decoder takes the role of a refused call
// that has no requestParameters.
var athenaColumns = []struct{ alias, expr string }{
	{"eventid", "eventid"},
	{"sharedeventid", "sharedeventid"},
	{"eventtime", "eventtime"},
	{"eventsource", "eventsource"},
	{"eventname", "eventname"},
	{"awsregion", "awsregion"},
	{"recipientaccountid", "recipientaccountid"},
	{"errorcode", "errorcode"},
	{"errormessage", "errormessage"},
	{"role_arn", "json_extract_scalar(requestparameters, '$.roleArn')"},
	{"role_session_name", "json_extract_scalar(requestparameters, '$.roleSessionName')"},
	{"request_source_identity", "json_extract_scalar(requestparameters, '$.sourceIdentity')"},
	{"caller_source_identity", "useridentity.sessioncontext.sourceidentity"},
	{"caller_arn", "useridentity.arn"},
	{"sourceipaddress", "sourceipaddress"},
	{"useragent", "useragent"},
	{"assumed_role_arn", "json_extract_scalar(responseelements, '$.assumedRoleUser.arn')"},
	{"access_key_id", "json_extract_scalar(responseelements, '$.credentials.accessKeyId')"},
}

var (
	identRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
)

// sqlString returns s as a SQL string literal: single quotes doubled. A
// value with a NUL or another control character, or that is not UTF-8, is
// refused: no CloudTrail name or id holds one, and such a byte could end a
// literal in some reader of the query.
func sqlString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8; SQL values must be text", s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return "", fmt.Errorf("%q holds the control character %U; SQL values cannot contain control characters", s, r)
		}
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}

// sqlIdent returns name as a double-quoted SQL identifier after checking it
// is a plain name: a letter or underscore, then letters, digits and
// underscores.
func sqlIdent(what, name string) (string, error) {
	if !identRE.MatchString(name) {
		return "", fmt.Errorf("%s %q is not a plain SQL name: use letters, digits and underscores, starting with a letter or underscore", what, name)
	}
	return `"` + name + `"`, nil
}

// ValidateAccounts checks that every value is a 12-digit AWS account id.
func ValidateAccounts(accounts []string) error {
	for _, a := range accounts {
		if !awsaccount.IsID(a) {
			return fmt.Errorf("account %q is not an AWS account id: use the 12 digits, e.g. 111122223333", a)
		}
	}
	return nil
}

// ValidateRegions checks that every value is an AWS region this version
// knows (internal/awsregion: those of the AWS SDK it is built with); "all"
// stands for every region. A mistyped region would leave every real one
// out of a filter.
func ValidateRegions(regions []string) error {
	for _, r := range regions {
		if r == "all" || awsregion.Known(r) {
			continue
		}
		hint := ""
		if c := english.Suggest(strings.TrimSpace(r), awsregion.All()); c != "" {
			hint = fmt.Sprintf("; did you mean %q?", c)
		}
		if !regionRE.MatchString(r) {
			return fmt.Errorf("region %q is not an AWS region name%s: use names such as eu-west-1 or us-east-1", r, hint)
		}
		return fmt.Errorf("region %q is not an AWS region%s (a region launched after this version of sentinel-check needs a newer one)", r, hint)
	}
	return nil
}

// allRegions reports whether regions asks for every region (empty, or
// holding "all").
func allRegions(regions []string) bool {
	for _, r := range regions {
		if r == "all" {
			return true
		}
	}
	return len(regions) == 0
}

// eventTimeForm matches the eventtime strings the bounds of AthenaSQL can
// judge: RFC 3339 with seconds, a fraction or not, and a zone whose offset
// the decoder reads (hours up to 24).
const eventTimeForm = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?(Z|[+-]([01][0-9]|2[0-4]):[0-5][0-9])$`

// AthenaSQL builds the one query that reads the assume-role calls of q from
// a CloudTrail table in Athena: the filter (event source, event names, the
// window on eventtime and on the date partition, the accounts and regions)
// and the projection (only the fields the decoder reads) run in Athena.
//
// The eventtime bounds compare strings, as CloudTrail writes
// yyyy-MM-ddTHH:mm:ssZ: the start is rounded down to the second and moved
// one second earlier, the end rounded up, and both widened by 25 hours,
// past the largest UTC offset the decoder reads (±24:59; a time written
// with an offset, "…T18:07:00+02:00", is local time as a string), so the
// query never reads less than the window (the caller applies the exact
// window again). Rows whose eventtime is missing or not in that form are
// read too, for the decoder to fail on. Every value
// is a validated, escaped literal and every name a validated, quoted
// identifier.
func AthenaSQL(database, table string, parts AthenaPartitions, q Query) (string, error) {
	if q.Start.IsZero() || q.End.IsZero() || !q.Start.Before(q.End) {
		return "", fmt.Errorf("the window %s to %s is empty; the start must be before the end", q.Start.UTC().Format(time.RFC3339), q.End.UTC().Format(time.RFC3339))
	}
	if err := ValidateAccounts(q.Accounts); err != nil {
		return "", err
	}
	if err := ValidateRegions(q.Regions); err != nil {
		return "", err
	}
	db, err := sqlIdent("database", database)
	if err != nil {
		return "", err
	}
	tbl, err := sqlIdent("table", table)
	if err != nil {
		return "", err
	}

	var b strings.Builder
	b.WriteString("SELECT\n")
	for i, c := range athenaColumns {
		b.WriteString("  " + c.expr)
		if c.expr != c.alias {
			b.WriteString(" AS " + c.alias)
		}
		if i < len(athenaColumns)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "FROM %s.%s\n", db, tbl)

	var where []string
	add := func(col, op string, vals ...string) error {
		lits := make([]string, len(vals))
		for i, v := range vals {
			l, err := sqlString(v)
			if err != nil {
				return err
			}
			lits[i] = l
		}
		switch op {
		case "IN":
			where = append(where, col+" IN ("+strings.Join(lits, ", ")+")")
		case "IN or NULL":
			// A record without the field is kept, as the S3 source
			// keeps it by the folder it is in.
			where = append(where, "("+col+" IN ("+strings.Join(lits, ", ")+") OR "+col+" IS NULL)")
		case "BETWEEN":
			where = append(where, col+" BETWEEN "+lits[0]+" AND "+lits[1])
		default:
			where = append(where, col+" "+op+" "+lits[0])
		}
		return nil
	}
	partCol := func(what, name string) (string, error) {
		if name == "" {
			return "", nil
		}
		return sqlIdent(what+" partition column", name)
	}

	start, end := q.Start.UTC(), q.End.UTC()
	if ts, err := partCol("timestamp", parts.Timestamp); err != nil {
		return "", err
	} else if ts != "" {
		const day = "2006/01/02"
		if err := add(ts, "BETWEEN", start.Format(day), end.Add(-time.Nanosecond).Add(athenaDaySlack).Format(day)); err != nil {
			return "", err
		}
	}
	// A record that does not say its service or call comes back too: the
	// decoder fails the run on it, as the file source does, instead of the
	// query leaving out what may be an assume-role call.
	if err := add("eventsource", "IN or NULL", EventSourceSTS); err != nil {
		return "", err
	}
	if err := add("eventname", "IN or NULL", AssumeRoleEventNames...); err != nil {
		return "", err
	}
	const second = "2006-01-02T15:04:05Z"
	const maxOffset = 25 * time.Hour
	lo := start.Truncate(time.Second).Add(-time.Second - maxOffset)
	hi := end.Truncate(time.Second)
	if hi.Before(end) {
		hi = hi.Add(time.Second)
	}
	hi = hi.Add(maxOffset)
	// A time the bounds cannot judge as a string (missing, or not written
	// as RFC 3339 with a zone) comes back: the decoder fails the run on
	// it, as the file source does, instead of the query leaving it out.
	where = append(where, "(eventtime >= '"+lo.Format(second)+"' AND eventtime < '"+hi.Format(second)+"'"+
		" OR eventtime IS NULL OR NOT regexp_like(eventtime, '"+eventTimeForm+"'))")
	if !allRegions(q.Regions) {
		regions := sortedUnique(q.Regions)
		if col, err := partCol("region", parts.Region); err != nil {
			return "", err
		} else if col != "" {
			if err := add(col, "IN", regions...); err != nil {
				return "", err
			}
		}
		if err := add("awsregion", "IN or NULL", regions...); err != nil {
			return "", err
		}
	}
	if len(q.Accounts) > 0 {
		accounts := sortedUnique(q.Accounts)
		if col, err := partCol("account", parts.Account); err != nil {
			return "", err
		} else if col != "" {
			if err := add(col, "IN", accounts...); err != nil {
				return "", err
			}
		}
		if err := add("recipientaccountid", "IN or NULL", accounts...); err != nil {
			return "", err
		}
	}
	b.WriteString("WHERE " + strings.Join(where, "\n  AND ") + "\n")
	return b.String(), nil
}

// sortedUnique returns the distinct values of vs in sorted order.
func sortedUnique(vs []string) []string {
	seen := make(map[string]bool, len(vs))
	var out []string
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}
