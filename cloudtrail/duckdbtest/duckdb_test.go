//go:build duckdb

package duckdbtest

import (
	"context"
	"database/sql"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/internal/athenatest"
)

const trail = "../testdata/athena/trail"

// table is the CloudTrail table in DuckDB, built from the raw records the
// way Athena's JSON SerDe reads them: top-level string columns, the user
// identity as a struct (sourceidentity in the session context), the
// request parameters and response elements as JSON text, and the
// partition columns of the record's S3 folder. Only DuckDB's own JSON
// functions build it; none of sentinel-check's code is involved.
const table = `
CREATE SCHEMA org_trail;
CREATE TABLE org_trail.cloudtrail_logs AS SELECT
  j->>'$.eventVersion' AS eventversion,
  struct_pack(
    type := j->>'$.userIdentity.type',
    principalid := j->>'$.userIdentity.principalId',
    arn := j->>'$.userIdentity.arn',
    accountid := j->>'$.userIdentity.accountId',
    invokedby := j->>'$.userIdentity.invokedBy',
    accesskeyid := j->>'$.userIdentity.accessKeyId',
    username := j->>'$.userIdentity.userName',
    sessioncontext := struct_pack(
      attributes := struct_pack(
        mfaauthenticated := j->>'$.userIdentity.sessionContext.attributes.mfaAuthenticated',
        creationdate := j->>'$.userIdentity.sessionContext.attributes.creationDate'),
      sessionissuer := struct_pack(
        type := j->>'$.userIdentity.sessionContext.sessionIssuer.type',
        principalid := j->>'$.userIdentity.sessionContext.sessionIssuer.principalId',
        arn := j->>'$.userIdentity.sessionContext.sessionIssuer.arn',
        accountid := j->>'$.userIdentity.sessionContext.sessionIssuer.accountId',
        username := j->>'$.userIdentity.sessionContext.sessionIssuer.userName'),
      sourceidentity := j->>'$.userIdentity.sessionContext.sourceIdentity')
  ) AS useridentity,
  j->>'$.eventTime' AS eventtime,
  j->>'$.eventSource' AS eventsource,
  j->>'$.eventName' AS eventname,
  j->>'$.awsRegion' AS awsregion,
  j->>'$.sourceIPAddress' AS sourceipaddress,
  j->>'$.userAgent' AS useragent,
  j->>'$.errorCode' AS errorcode,
  j->>'$.errorMessage' AS errormessage,
  j->>'$.requestParameters' AS requestparameters,
  j->>'$.responseElements' AS responseelements,
  j->>'$.additionalEventData' AS additionaleventdata,
  j->>'$.requestID' AS requestid,
  j->>'$.eventID' AS eventid,
  j->>'$.eventType' AS eventtype,
  j->>'$.readOnly' AS readonly,
  j->>'$.recipientAccountId' AS recipientaccountid,
  j->>'$.sharedEventID' AS sharedeventid,
  j->>'$.vpcEndpointId' AS vpcendpointid,
  account, region, "timestamp"
FROM raw;
-- Presto's json_extract_scalar is DuckDB's json_extract_string for the
-- scalar paths the query reads.
CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p);
-- Trino's regexp_like (a match anywhere in the string, NULL for NULL) is
-- DuckDB's regexp_matches.
CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p);
`

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	rows, err := athenatest.LoadTrail(trail)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE raw (j JSON, account VARCHAR, region VARCHAR, "timestamp" VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if _, err := db.Exec(`INSERT INTO raw VALUES (?, ?, ?, ?)`, string(r.Raw), r.Partitions["account"], r.Partitions["region"], r.Partitions["timestamp"]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(table); err != nil {
		t.Fatal(err)
	}
	return db
}

// exec runs a query in DuckDB and returns it as the loopback Athena
// server's result: every value as text, NULL as nil.
func exec(db *sql.DB, query string) (*athenatest.Result, error) {
	rows, err := db.Query(query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &athenatest.Result{Columns: cols}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out := make([]*string, len(cols))
		for i, v := range vals {
			if v.Valid {
				s := v.String
				out[i] = &s
			}
		}
		res.Rows = append(res.Rows, out)
	}
	return res, rows.Err()
}

func readAll(t *testing.T, src cloudtrail.Source, q cloudtrail.Query) ([]cloudtrail.Event, cloudtrail.Stats) {
	t.Helper()
	var mu sync.Mutex
	var evs []cloudtrail.Event
	st, err := src.Read(context.Background(), q, func(ev cloudtrail.Event) {
		mu.Lock()
		defer mu.Unlock()
		ev.Origin = ""
		evs = append(evs, ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sortByID(evs), st
}

func sortByID(evs []cloudtrail.Event) []cloudtrail.Event {
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].EventID != evs[j].EventID {
			return evs[i].EventID < evs[j].EventID
		}
		return evs[i].EventTime.Before(evs[j].EventTime)
	})
	return evs
}

// selected keeps the events the engine keeps for q: the window, the
// accounts and the regions.
func selected(evs []cloudtrail.Event, q cloudtrail.Query) []cloudtrail.Event {
	var out []cloudtrail.Event
	for _, ev := range evs {
		if ev.EventTime.Before(q.Start) || !ev.EventTime.Before(q.End) {
			continue
		}
		if len(q.Accounts) > 0 && !in(q.Accounts, ev.RecipientAccountID) {
			continue
		}
		if len(q.Regions) > 0 && !in(q.Regions, "all") && !in(q.Regions, ev.AWSRegion) {
			continue
		}
		out = append(out, ev)
	}
	return out
}

func in(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func ids(evs []cloudtrail.Event) []string {
	out := []string{}
	for _, ev := range evs {
		out = append(out, ev.EventID)
	}
	return out
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

var queries = []struct {
	name string
	q    cloudtrail.Query
}{
	{"year end", cloudtrail.Query{Start: at("2026-12-31T12:00:00Z"), End: at("2027-01-01T12:00:00Z")}},
	{"one account and region", cloudtrail.Query{Start: at("2026-12-31T12:00:00Z"), End: at("2027-01-01T12:00:00Z"),
		Accounts: []string{"444455556666"}, Regions: []string{"eu-west-1"}}},
	{"us-east-1, all accounts", cloudtrail.Query{Start: at("2026-12-31T12:00:00Z"), End: at("2027-01-01T12:00:00Z"),
		Regions: []string{"us-east-1"}}},
	{"all regions", cloudtrail.Query{Start: at("2026-12-31T12:00:00Z"), End: at("2027-01-01T12:00:00Z"),
		Regions: []string{"all"}, Accounts: []string{"111122223333", "444455556666"}}},
	{"every record's days", cloudtrail.Query{Start: at("2026-12-01T00:00:00Z"), End: at("2027-02-01T00:00:00Z")}},
	{"one second", cloudtrail.Query{Start: at("2027-01-01T00:00:00Z"), End: at("2027-01-01T00:00:01Z")}},
	{"nothing", cloudtrail.Query{Start: at("2025-01-01T00:00:00Z"), End: at("2025-01-02T00:00:00Z")}},
}

// The generated SQL, run in DuckDB, selects every assume-role record the
// file source reads for the query (the events it decodes and the records
// it counts as unusable) and nothing else.
func TestGeneratedSQLSelectsTheFileSourcesEvents(t *testing.T) {
	db := openDB(t)
	files, fileStats := readAll(t, cloudtrail.NewFileSource([]string{trail}, cloudtrail.FileOptions{}), cloudtrail.Query{})
	// The records the decoder calls assume-role calls, usable or not.
	rows, err := athenatest.LoadTrail(trail)
	if err != nil {
		t.Fatal(err)
	}
	var assumeRole, usable []cloudtrail.Event
	unusable := 0
	for _, r := range rows {
		ev, ok, err := cloudtrail.DecodeRecord(r.Raw)
		if !ok {
			continue
		}
		assumeRole = append(assumeRole, ev)
		if err != nil {
			unusable++
			continue
		}
		usable = append(usable, ev)
	}
	if g, w := ids(files), ids(sortByID(usable)); !reflect.DeepEqual(g, w) || int64(unusable) != fileStats.RecordsSkipped {
		t.Fatalf("the file source read %v and skipped %d; the decoder %v and %d unusable", g, fileStats.RecordsSkipped, w, unusable)
	}
	fileIDs := map[string]bool{}
	for _, ev := range assumeRole {
		fileIDs[ev.EventID] = true
	}
	sortByID(assumeRole)
	for _, tt := range queries {
		t.Run(tt.name, func(t *testing.T) {
			query, err := cloudtrail.AthenaSQL("org_trail", "cloudtrail_logs", cloudtrail.DefaultAthenaPartitions, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			res, err := exec(db, query)
			if err != nil {
				t.Fatalf("DuckDB cannot run the query: %v\n%s", err, query)
			}
			var got []string
			for _, row := range res.Rows {
				id, tm := value(res, row, "eventid"), value(res, row, "eventtime")
				if id != "" && !fileIDs[id] {
					t.Errorf("the query selected %q, which is not an assume-role event of the trail", id)
				}
				et, err := time.Parse(time.RFC3339, tm)
				if err == nil && !et.Before(tt.q.Start) && et.Before(tt.q.End) {
					got = append(got, id)
				}
			}
			sort.Strings(got)
			want := ids(selected(assumeRole, tt.q))
			if got == nil {
				got = []string{}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("event ids in the window:\nSQL   %v\nfiles %v\n%s", got, want, query)
			}
		})
	}
}

func value(res *athenatest.Result, row []*string, col string) string {
	for i, c := range res.Columns {
		if c == col && row[i] != nil {
			return *row[i]
		}
	}
	return ""
}

// Read through the Athena source, with DuckDB behind the loopback Athena
// server, every event equals the file source's, field by field.
func TestAthenaSourceOverDuckDBEqualsFileSource(t *testing.T) {
	db := openDB(t)
	files, fileStats := readAll(t, cloudtrail.NewFileSource([]string{trail}, cloudtrail.FileOptions{}), cloudtrail.Query{})
	srv := athenatest.New(t, athenatest.Options{Exec: func(q string) (*athenatest.Result, error) { return exec(db, q) }, PageRows: 5})
	client := athena.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	src := cloudtrail.NewAthenaSource(client, cloudtrail.AthenaOptions{WorkGroup: "primary", Database: "org_trail", Table: "cloudtrail_logs",
		PollInitial: time.Millisecond, PollMax: time.Millisecond})
	for _, tt := range queries {
		t.Run(tt.name, func(t *testing.T) {
			got, st := readAll(t, src, tt.q)
			want := selected(files, tt.q)
			if g := selected(got, tt.q); !reflect.DeepEqual(g, want) {
				t.Errorf("events differ:\nathena %+v\nfiles  %+v", g, want)
			}
			if tt.name == "every record's days" && (st.RecordsSkipped != fileStats.RecordsSkipped || st.RecordsSkipped != 2) {
				t.Errorf("skipped %d rows, the file source %d records: %+v", st.RecordsSkipped, fileStats.RecordsSkipped, st.Skipped)
			}
			for _, ev := range got {
				if strings.Contains(ev.AccessKeyID, "QWERTYUIOP") {
					t.Errorf("a whole access key id was kept: %q", ev.AccessKeyID)
				}
			}
		})
	}
}
