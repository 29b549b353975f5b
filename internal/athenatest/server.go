// Package athenatest is a stand-in for Amazon Athena that tests run the
// real AWS SDK client against: an HTTP server on 127.0.0.1 speaking the
// Athena JSON 1.1 protocol (StartQueryExecution, GetQueryExecution,
// GetQueryResults with NextToken paging, StopQueryExecution), with queries
// that go QUEUED → RUNNING → SUCCEEDED, FAILED or CANCELLED.
//
// Queries run for real: by default over a Table of CloudTrail records with
// an evaluator for the SELECT dialect sentinel-check generates (see
// Table.Query), or through Options.Exec (for example an embedded SQL
// engine).
package athenatest

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Row is one CloudTrail record of a table and the partition it lives in.
type Row struct {
	Raw []byte // the record's JSON
	// Partitions are the S3 layout's parts: "account", "region" and
	// "timestamp" (yyyy/MM/dd).
	Partitions map[string]string
	rec        map[string]any
}

// Table is a CloudTrail table in the data catalog.
type Table struct {
	Database, Name string
	Rows           []Row
	// Partitions maps the table's partition columns to the layout part
	// each projects: {"timestamp": "timestamp", "region": "region"}.
	Partitions map[string]string
	// NoSourceIdentity leaves useridentity.sessioncontext.sourceidentity out
	// of the schema, as in tables made from older documentation.
	NoSourceIdentity bool
	// Properties are the table's TBLPROPERTIES (partition projection's
	// projection.* among them), which GetTableMetadata returns as its
	// Parameters.
	Properties map[string]string
}

// layoutRE matches the S3 keys of CloudTrail log files:
// AWSLogs/[o-…/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/file.
var layoutRE = regexp.MustCompile(`(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?([0-9]{12})/CloudTrail/([a-z0-9-]+)/([0-9]{4}/[0-9]{2}/[0-9]{2})/[^/]+\.json(\.gz)?$`)

// LoadTrail reads the CloudTrail log files ({"Records":[…]}, .json or
// .json.gz) under dir laid out as in S3, each record a row in the
// partition of its folder. Files outside the layout are an error.
func LoadTrail(dir string) ([]Row, error) {
	var rows []Row
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(path, ".json") && !strings.HasSuffix(path, ".json.gz") {
			return nil
		}
		m := layoutRE.FindStringSubmatch(filepath.ToSlash(path))
		if m == nil {
			return fmt.Errorf("%s is not in the CloudTrail S3 layout AWSLogs/[o-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/", path)
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		var r io.Reader = f
		if m[4] != "" {
			zr, err := gzip.NewReader(f)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			r = zr
		}
		var doc struct{ Records []json.RawMessage }
		if err := json.NewDecoder(r).Decode(&doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, rec := range doc.Records {
			rows = append(rows, Row{Raw: rec, Partitions: map[string]string{"account": m[1], "region": m[2], "timestamp": m[3]}})
		}
		return nil
	})
	return rows, err
}

// Options shape how the server answers.
type Options struct {
	// Table is the table queries run over (with Table.Query) unless Exec is set.
	Table *Table
	// Exec runs a query instead of Table.Query; an error fails the query
	// with the error's text as Athena's reason.
	Exec func(sql string) (*Result, error)
	// QueuedPolls and RunningPolls are how many GetQueryExecution answers
	// say QUEUED, then RUNNING, before the query ends (0 = 1 each).
	QueuedPolls, RunningPolls int
	// Fail ends every query FAILED with this reason.
	Fail string
	// Cancel ends every query CANCELLED.
	Cancel bool
	// Hang keeps every query RUNNING until StopQueryExecution.
	Hang bool
	// PageRows caps the rows of a GetQueryResults page below MaxResults
	// (0 = no cap).
	PageRows int
	// Deny answers these operations (e.g. "StartQueryExecution") with
	// AccessDeniedException.
	Deny map[string]bool
	// RequireOutput refuses StartQueryExecution without an OutputLocation,
	// as for a workgroup without a result location.
	RequireOutput bool
}

// Started is a StartQueryExecution call as the server received it.
type Started struct {
	SQL, Database, WorkGroup, OutputLocation string
}

// Server is a running stand-in; it stops when the test ends.
type Server struct {
	URL string

	mu      sync.Mutex
	opts    Options
	queries map[string]*execution
	started []Started
	calls   []string
	stopped []string
	nextID  int
}

type execution struct {
	id      string
	sql     string
	start   Started
	polls   int
	state   string
	reason  string
	result  *Result
	failure string
}

// New starts a server for the test.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts, queries: map[string]*execution{}}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// Started lists the queries started, in order.
func (s *Server) Started() []Started {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Started(nil), s.started...)
}

// Calls lists the operations called, in order.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Stopped lists the ids passed to StopQueryExecution.
func (s *Server) Stopped() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.stopped...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AmazonAthena.")
	if r.Method != http.MethodPost || !ok {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "unknown target "+strconv.Quote(target))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		writeError(w, http.StatusBadRequest, "SerializationException", "content type "+strconv.Quote(ct))
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		writeError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "the request is not signed")
		return
	}
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, op)
	if s.opts.Deny[op] {
		writeError(w, http.StatusBadRequest, "AccessDeniedException",
			"User: arn:aws:sts::111122223333:assumed-role/ci/runner is not authorized to perform: athena:"+op+" on resource: arn:aws:athena:us-east-1:111122223333:workgroup/primary because no identity-based policy allows the athena:"+op+" action")
		return
	}
	switch op {
	case "StartQueryExecution":
		s.start(w, in)
	case "GetQueryExecution":
		s.get(w, in)
	case "GetQueryResults":
		s.results(w, in)
	case "StopQueryExecution":
		s.stop(w, in)
	case "GetTableMetadata":
		s.tableMetadata(w, in)
	default:
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "operation "+op+" is not supported here")
	}
}

func str(in map[string]any, path ...string) string {
	var cur any = in
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[p]
	}
	s, _ := cur.(string)
	return s
}

// tableMetadata answers GetTableMetadata for the table of Options.Table.
func (s *Server) tableMetadata(w http.ResponseWriter, in map[string]any) {
	t := s.opts.Table
	if str(in, "CatalogName") == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequestException", "CatalogName is required")
		return
	}
	if t == nil || str(in, "DatabaseName") != t.Database || str(in, "TableName") != t.Name {
		writeError(w, http.StatusBadRequest, "MetadataException", "Table not found: "+str(in, "DatabaseName")+"."+str(in, "TableName"))
		return
	}
	var keys []map[string]string
	for _, col := range slices.Sorted(maps.Keys(t.Partitions)) {
		keys = append(keys, map[string]string{"Name": col, "Type": "string"})
	}
	params := map[string]string{"EXTERNAL": "TRUE"}
	maps.Copy(params, t.Properties)
	writeJSON(w, map[string]any{"TableMetadata": map[string]any{
		"Name": t.Name, "TableType": "EXTERNAL_TABLE", "PartitionKeys": keys, "Parameters": params,
	}})
}

func (s *Server) start(w http.ResponseWriter, in map[string]any) {
	st := Started{
		SQL:            str(in, "QueryString"),
		Database:       str(in, "QueryExecutionContext", "Database"),
		WorkGroup:      str(in, "WorkGroup"),
		OutputLocation: str(in, "ResultConfiguration", "OutputLocation"),
	}
	if st.SQL == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequestException", "QueryString is required")
		return
	}
	if s.opts.RequireOutput && st.OutputLocation == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequestException", "No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.")
		return
	}
	s.nextID++
	e := &execution{id: fmt.Sprintf("5e1f%04d-0000-4000-8000-%012d", s.nextID, s.nextID), sql: st.SQL, start: st, state: "QUEUED"}
	s.queries[e.id] = e
	s.started = append(s.started, st)
	writeJSON(w, map[string]any{"QueryExecutionId": e.id})
}

func (s *Server) lookup(w http.ResponseWriter, in map[string]any) *execution {
	e := s.queries[str(in, "QueryExecutionId")]
	if e == nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestException", "QueryExecution "+str(in, "QueryExecutionId")+" was not found")
	}
	return e
}

// advance moves a query one poll further.
func (s *Server) advance(e *execution) {
	if e.state != "QUEUED" && e.state != "RUNNING" {
		return
	}
	queued, running := s.opts.QueuedPolls, s.opts.RunningPolls
	if queued <= 0 {
		queued = 1
	}
	if running <= 0 {
		running = 1
	}
	e.polls++
	switch {
	case e.polls <= queued:
		e.state = "QUEUED"
		return
	case e.polls <= queued+running || s.opts.Hang:
		e.state = "RUNNING"
		return
	}
	switch {
	case s.opts.Cancel:
		e.state, e.reason = "CANCELLED", "Query cancelled by the workgroup's data usage control"
		return
	case s.opts.Fail != "":
		e.state, e.reason = "FAILED", s.opts.Fail
		return
	}
	exec := s.opts.Exec
	if exec == nil {
		if s.opts.Table == nil {
			e.state, e.reason = "FAILED", "TABLE_NOT_FOUND: no table"
			return
		}
		exec = s.opts.Table.Query
	}
	if e.start.Database != "" && s.opts.Table != nil && !strings.EqualFold(e.start.Database, s.opts.Table.Database) {
		e.state, e.reason = "FAILED", "SCHEMA_NOT_FOUND: Schema '"+e.start.Database+"' does not exist"
		return
	}
	res, err := exec(e.sql)
	if err != nil {
		e.state, e.reason = "FAILED", err.Error()
		return
	}
	e.state, e.result = "SUCCEEDED", res
}

func (s *Server) get(w http.ResponseWriter, in map[string]any) {
	e := s.lookup(w, in)
	if e == nil {
		return
	}
	s.advance(e)
	status := map[string]any{"State": e.state, "SubmissionDateTime": float64(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC).Unix())}
	if e.reason != "" {
		status["StateChangeReason"] = e.reason
	}
	if e.state == "FAILED" {
		status["AthenaError"] = map[string]any{"ErrorCategory": 2, "ErrorType": 1006, "Retryable": false, "ErrorMessage": e.reason}
	}
	stats := map[string]any{"EngineExecutionTimeInMillis": 1234}
	if e.result != nil {
		stats["DataScannedInBytes"] = e.result.BytesScanned
	}
	qe := map[string]any{
		"QueryExecutionId":      e.id,
		"Query":                 e.sql,
		"StatementType":         "DML",
		"Status":                status,
		"Statistics":            stats,
		"QueryExecutionContext": map[string]any{"Database": e.start.Database, "Catalog": "awsdatacatalog"},
		"WorkGroup":             e.start.WorkGroup,
	}
	if e.start.OutputLocation != "" {
		qe["ResultConfiguration"] = map[string]any{"OutputLocation": strings.TrimSuffix(e.start.OutputLocation, "/") + "/" + e.id + ".csv"}
	}
	writeJSON(w, map[string]any{"QueryExecution": qe})
}

func (s *Server) results(w http.ResponseWriter, in map[string]any) {
	e := s.lookup(w, in)
	if e == nil {
		return
	}
	if e.state != "SUCCEEDED" {
		writeError(w, http.StatusBadRequest, "InvalidRequestException", "Query has not yet finished. Current state: "+e.state)
		return
	}
	max := 1000
	if v, ok := in["MaxResults"].(float64); ok {
		if v < 1 || v > 1000 {
			writeError(w, http.StatusBadRequest, "InvalidRequestException", "MaxResults must be between 1 and 1000")
			return
		}
		max = int(v)
	}
	if s.opts.PageRows > 0 && s.opts.PageRows < max {
		max = s.opts.PageRows
	}
	// Row 0 is the header, rows 1… the data, as Athena returns a SELECT.
	all := len(e.result.Rows) + 1
	from := 0
	if tok := str(in, "NextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "page-"+e.id+"-"))
		if err != nil || !strings.HasPrefix(tok, "page-"+e.id+"-") || n <= 0 || n >= all {
			writeError(w, http.StatusBadRequest, "InvalidRequestException", "NextToken is not valid for this query")
			return
		}
		from = n
	}
	to := min(from+max, all)
	var rows []any
	for i := from; i < to; i++ {
		var data []any
		if i == 0 {
			for _, c := range e.result.Columns {
				data = append(data, map[string]any{"VarCharValue": c})
			}
		} else {
			for _, v := range e.result.Rows[i-1] {
				if v == nil {
					data = append(data, map[string]any{})
				} else {
					data = append(data, map[string]any{"VarCharValue": *v})
				}
			}
		}
		rows = append(rows, map[string]any{"Data": data})
	}
	var cols []any
	for _, c := range e.result.Columns {
		cols = append(cols, map[string]any{"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": c, "Label": c,
			"Type": "varchar", "Precision": 2147483647, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": true})
	}
	out := map[string]any{
		"UpdateCount": 0,
		"ResultSet":   map[string]any{"Rows": rows, "ResultSetMetadata": map[string]any{"ColumnInfo": cols}},
	}
	if to < all {
		out["NextToken"] = fmt.Sprintf("page-%s-%d", e.id, to)
	}
	writeJSON(w, out)
}

func (s *Server) stop(w http.ResponseWriter, in map[string]any) {
	e := s.lookup(w, in)
	if e == nil {
		return
	}
	s.stopped = append(s.stopped, e.id)
	if e.state == "QUEUED" || e.state == "RUNNING" {
		e.state, e.reason = "CANCELLED", "Query was cancelled by the user"
	}
	writeJSON(w, map[string]any{})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-4000-8000-000000000000")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"__type": code, "Message": msg})
}
