package cloudtrail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/sentinel-check/sentinel-check/internal/awsattempt"
	"github.com/sentinel-check/sentinel-check/internal/awsmsg"
)

// AthenaOptions configure the Athena source.
type AthenaOptions struct {
	// WorkGroup runs the query ("" = the account's primary workgroup).
	WorkGroup string
	// Database and Table name the CloudTrail table (see AthenaDDL).
	Database, Table string
	// OutputLocation is where Athena writes the query's results, s3://…
	// ("" = the workgroup's configured location).
	OutputLocation string
	// Partitions names the table's partition columns (nil =
	// DefaultAthenaPartitions).
	Partitions *AthenaPartitions
	// Accounts and Regions narrow the query when the Query names none
	// (a policy cloudtrail block's lists).
	Accounts, Regions []string
	// Region is the AWS region Athena is called in, for messages.
	Region string
	// PollInitial and PollMax bound the wait between two GetQueryExecution
	// calls: it starts at PollInitial and doubles up to PollMax (defaults
	// 100 ms and 5 s).
	PollInitial, PollMax time.Duration
	// PageSize is the rows asked for per GetQueryResults call (default and
	// most 1000).
	PageSize int32
}

// Defaults of AthenaOptions.
const (
	DefaultAthenaPollInitial = 100 * time.Millisecond
	DefaultAthenaPollMax     = 5 * time.Second
	maxAthenaPageSize        = 1000
)

// athenaAPI is the part of the Athena client the source uses.
type athenaAPI interface {
	StartQueryExecution(context.Context, *athena.StartQueryExecutionInput, ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(context.Context, *athena.GetQueryExecutionInput, ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(context.Context, *athena.GetQueryResultsInput, ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
	StopQueryExecution(context.Context, *athena.StopQueryExecutionInput, ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
	GetTableMetadata(context.Context, *athena.GetTableMetadataInput, ...func(*athena.Options)) (*athena.GetTableMetadataOutput, error)
}

// NewAthenaSource returns a source that pushes the filter and projection
// down to a CloudTrail table in Amazon Athena: one query (AthenaSQL) per
// Read, polled until it ends, its rows decoded like log file records.
// Stats show the bytes Athena scanned and the query id.
func NewAthenaSource(client *athena.Client, opts AthenaOptions) Source {
	return newAthenaSource(client, opts)
}

func newAthenaSource(client athenaAPI, opts AthenaOptions) *athenaSource {
	if opts.Partitions == nil {
		p := DefaultAthenaPartitions
		opts.Partitions = &p
	}
	if opts.PollInitial <= 0 {
		opts.PollInitial = DefaultAthenaPollInitial
	}
	if opts.PollMax <= 0 {
		opts.PollMax = DefaultAthenaPollMax
	}
	if opts.PollMax < opts.PollInitial {
		opts.PollMax = opts.PollInitial
	}
	if opts.PageSize <= 0 || opts.PageSize > maxAthenaPageSize {
		opts.PageSize = maxAthenaPageSize
	}
	return &athenaSource{client: client, opts: opts}
}

type athenaSource struct {
	client athenaAPI
	opts   AthenaOptions
}

// Name is athena://WORKGROUP/DATABASE.TABLE.
func (s *athenaSource) Name() string {
	return "athena://" + s.opts.WorkGroup + "/" + s.opts.Database + "." + s.opts.Table
}

// athenaRun is the state of one Read.
type athenaRun struct {
	s        *athenaSource
	stats    Stats
	calls    int64 // API calls
	attempts atomic.Int64
	id       string
}

func (s *athenaSource) Read(ctx context.Context, q Query, emit func(Event)) (Stats, error) {
	r := &athenaRun{s: s, stats: Stats{Source: s.Name(), Kind: "athena"}}
	err := r.read(ctx, q, emit)
	r.count()
	return r.stats, err
}

func (r *athenaRun) read(ctx context.Context, q Query, emit func(Event)) error {
	if len(q.Accounts) == 0 {
		q.Accounts = r.s.opts.Accounts
	}
	if len(q.Regions) == 0 {
		q.Regions = r.s.opts.Regions
	}
	sql, err := AthenaSQL(r.s.opts.Database, r.s.opts.Table, *r.s.opts.Partitions, q)
	if err != nil {
		return &SourceError{Source: r.s.Name(), Err: err}
	}
	r.coverage(ctx, q)
	if !r.stats.AccountsKnown && len(q.Accounts) > 0 {
		// The query keeps only these accounts' rows.
		r.stats.Accounts, r.stats.AccountsKnown = sortedUnique(q.Accounts), true
	}
	if err := r.start(ctx, sql); err != nil {
		return err
	}
	if err := r.wait(ctx); err != nil {
		return err
	}
	return r.results(ctx, emit)
}

// count folds the request counters into the stats.
func (r *athenaRun) count() {
	a := r.attempts.Load()
	r.stats.Requests = a
	if a > r.calls {
		r.stats.Retries = a - r.calls
	}
}

// opts counts every attempt (retries included) of a call.
func (r *athenaRun) opts() func(*athena.Options) {
	r.calls++
	return func(o *athena.Options) {
		o.APIOptions = append(o.APIOptions, awsattempt.Hook(func(context.Context) error {
			r.attempts.Add(1)
			return nil
		}))
	}
}

func (r *athenaRun) call(action string, err error) error {
	what := "the table " + r.s.opts.Database + "." + r.s.opts.Table
	if r.s.opts.WorkGroup != "" {
		what += " in workgroup " + strconv.Quote(r.s.opts.WorkGroup)
	}
	return AWSError(AWSCall{Source: r.s.Name(), Action: action, Resource: what, Region: r.s.opts.Region}, err)
}

func (r *athenaRun) start(ctx context.Context, sql string) error {
	in := &athena.StartQueryExecutionInput{
		QueryString:           aws.String(sql),
		QueryExecutionContext: &types.QueryExecutionContext{Database: aws.String(r.s.opts.Database)},
	}
	if r.s.opts.WorkGroup != "" {
		in.WorkGroup = aws.String(r.s.opts.WorkGroup)
	}
	if r.s.opts.OutputLocation != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(r.s.opts.OutputLocation)}
	}
	out, err := r.s.client.StartQueryExecution(ctx, in, r.opts())
	if err != nil {
		if ctx.Err() != nil {
			return r.interrupted(ctx, false)
		}
		err = r.call("athena:StartQueryExecution", err)
		if r.s.opts.OutputLocation == "" && strings.Contains(strings.ToLower(err.Error()), "output location") {
			var se *SourceError
			if errors.As(err, &se) {
				se.Err = fmt.Errorf("%w; the workgroup has no query result location: set output_location in the policy's cloudtrail block or add ?output=s3://BUCKET/PREFIX/ to the source", se.Err)
			}
		}
		return err
	}
	if out.QueryExecutionId == nil || *out.QueryExecutionId == "" {
		return &SourceError{Source: r.s.Name(), Err: errors.New("athena:StartQueryExecution returned no query id")}
	}
	r.id = *out.QueryExecutionId
	r.stats.QueryID = r.id
	return nil
}

// wait polls the query until it ends, backing off from PollInitial to
// PollMax. A query that has not ended when Read stops (cancelled context,
// failed call) is stopped, so it does not keep scanning at the user's cost.
func (r *athenaRun) wait(ctx context.Context) error {
	delay := r.s.opts.PollInitial
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return r.interrupted(ctx, true)
		case <-timer.C:
		}
		out, err := r.s.client.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(r.id)}, r.opts())
		if err != nil {
			if ctx.Err() != nil {
				return r.interrupted(ctx, true)
			}
			r.stop(ctx)
			return r.call("athena:GetQueryExecution", err)
		}
		qe := out.QueryExecution
		if qe == nil || qe.Status == nil {
			r.stop(ctx)
			return &SourceError{Source: r.s.Name(), Err: fmt.Errorf("athena:GetQueryExecution returned no status for query %s", r.id)}
		}
		if qe.Statistics != nil && qe.Statistics.DataScannedInBytes != nil {
			r.stats.BytesScanned = *qe.Statistics.DataScannedInBytes
		}
		switch qe.Status.State {
		case types.QueryExecutionStateSucceeded:
			return nil
		case types.QueryExecutionStateFailed:
			return &SourceError{Source: r.s.Name(), Err: r.failure(qe.Status)}
		case types.QueryExecutionStateCancelled:
			reason := statusReason(qe.Status)
			if reason == "" {
				reason = "no reason given"
			}
			return &SourceError{Source: r.s.Name(), Err: fmt.Errorf("athena query %s was cancelled (%s): it was stopped in Athena or by a limit of the workgroup; run the check again", r.id, reason)}
		case types.QueryExecutionStateQueued, types.QueryExecutionStateRunning:
		default:
			r.stop(ctx)
			return &SourceError{Source: r.s.Name(), Err: fmt.Errorf("athena query %s is in the unknown state %q", r.id, qe.Status.State)}
		}
		delay *= 2
		if delay > r.s.opts.PollMax {
			delay = r.s.opts.PollMax
		}
		timer.Reset(delay)
	}
}

// interrupted stops the running query (when there is one) and returns the
// context's error.
func (r *athenaRun) interrupted(ctx context.Context, running bool) error {
	if running {
		r.stop(ctx)
		return fmt.Errorf("reading %s was interrupted; the Athena query %s was stopped: %w", r.s.Name(), r.id, ctx.Err())
	}
	return fmt.Errorf("reading %s was interrupted: %w", r.s.Name(), ctx.Err())
}

// stop asks Athena to stop the query, on a context of its own: the caller's
// may be the one that was cancelled. Its error is of no use to the caller.
func (r *athenaRun) stop(ctx context.Context) {
	if r.id == "" {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, _ = r.s.client.StopQueryExecution(sctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(r.id)}, r.opts())
}

func statusReason(st *types.QueryExecutionStatus) string {
	if st.StateChangeReason != nil && *st.StateChangeReason != "" {
		return awsmsg.Clip(*st.StateChangeReason)
	}
	if st.AthenaError != nil && st.AthenaError.ErrorMessage != nil {
		return awsmsg.Clip(*st.AthenaError.ErrorMessage)
	}
	return ""
}

// failure is the error of a FAILED query: Athena's reason and, where the
// reason is a known one, what to do.
func (r *athenaRun) failure(st *types.QueryExecutionStatus) error {
	reason := statusReason(st)
	if reason == "" {
		reason = "Athena gave no reason"
	}
	msg := fmt.Sprintf("athena query %s failed: %s", r.id, reason)
	lower := strings.ToLower(reason)
	p := r.s.opts.Partitions
	switch action := awsmsg.RefusedAction(reason); {
	case action != "":
		msg += fmt.Sprintf("; the AWS identity in use lacks the IAM permission %s: grant it (docs/athena.md lists what the Athena source needs)", action)
	case strings.Contains(lower, "sourceidentity"):
		msg += "; the table's useridentity.sessioncontext has no sourceidentity field, which carries the broker's identity through role chaining: create the table with `sentinel-check athena-ddl` (docs/athena.md)"
	case strings.Contains(lower, "column_not_found") || strings.Contains(lower, "cannot be resolved"):
		msg += fmt.Sprintf("; the query uses the partition columns %s: name the table's own in the source, e.g. athena://WORKGROUP/DATABASE.TABLE?account_column=&region_column= for a table without them (docs/athena.md)", partitionList(*p))
	case strings.Contains(lower, "table_not_found") || strings.Contains(lower, "schema_not_found") || strings.Contains(lower, "does not exist"):
		msg += "; check DATABASE.TABLE in the source and the region Athena is called in, or create the table with `sentinel-check athena-ddl`"
	case strings.Contains(lower, "access denied") || strings.Contains(lower, "permission"):
		msg += "; Athena needs s3:GetObject and s3:ListBucket on the trail bucket, s3:PutObject and s3:GetObject on the output location and kms:Decrypt for an encrypted trail (docs/athena.md)"
	}
	return errors.New(msg)
}

func partitionList(p AthenaPartitions) string {
	var out []string
	for _, c := range []string{p.Timestamp, p.Region, p.Account} {
		if c != "" {
			out = append(out, strconv.Quote(c))
		}
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, ", ")
}

// results reads the result pages and emits one event per row.
func (r *athenaRun) results(ctx context.Context, emit func(Event)) error {
	var token *string
	var cols map[string]int
	first := true
	row := 0
	seen := map[string]bool{}
	for {
		out, err := r.s.client.GetQueryResults(ctx, &athena.GetQueryResultsInput{
			QueryExecutionId: aws.String(r.id),
			MaxResults:       aws.Int32(r.s.opts.PageSize),
			NextToken:        token,
		}, r.opts())
		if err != nil {
			if ctx.Err() != nil {
				return r.interrupted(ctx, false)
			}
			return r.call("athena:GetQueryResults", err)
		}
		r.stats.Pages++
		rs := out.ResultSet
		if rs == nil {
			return &SourceError{Source: r.s.Name(), Err: fmt.Errorf("athena:GetQueryResults returned no result set for query %s", r.id)}
		}
		if cols == nil {
			if cols, err = columnIndex(rs.ResultSetMetadata); err != nil {
				return &SourceError{Source: r.s.Name(), Err: fmt.Errorf("the result of athena query %s: %w", r.id, err)}
			}
		}
		rows := rs.Rows
		if first && len(rows) > 0 && isHeader(rows[0], rs.ResultSetMetadata) {
			rows = rows[1:]
		}
		first = false
		for _, rw := range rows {
			row++
			r.stats.Records++
			r.decodeRow(rw, cols, row, emit)
		}
		if out.NextToken == nil || *out.NextToken == "" {
			return nil
		}
		if ctx.Err() != nil {
			return r.interrupted(ctx, false)
		}
		if seen[*out.NextToken] {
			return &SourceError{Source: r.s.Name(), Err: fmt.Errorf("athena:GetQueryResults returned the same NextToken twice for query %s; following it would read the same rows for ever: run again, and report it if it persists", r.id)}
		}
		seen[*out.NextToken] = true
		token = out.NextToken
	}
}

// columnIndex maps each column the decoder needs to its position, by name.
func columnIndex(md *types.ResultSetMetadata) (map[string]int, error) {
	idx := map[string]int{}
	if md != nil {
		for i, c := range md.ColumnInfo {
			if c.Name != nil {
				idx[strings.ToLower(*c.Name)] = i
			}
		}
	}
	for _, c := range athenaColumns {
		if _, ok := idx[c.alias]; !ok {
			return nil, fmt.Errorf("column %q is missing from the result metadata", c.alias)
		}
	}
	return idx, nil
}

// isHeader reports whether row holds the column names: the first row of the
// first page of a SELECT's results.
func isHeader(row types.Row, md *types.ResultSetMetadata) bool {
	if md == nil || len(row.Data) != len(md.ColumnInfo) {
		return false
	}
	for i, d := range row.Data {
		name := md.ColumnInfo[i].Name
		if d.VarCharValue == nil || name == nil || !strings.EqualFold(*d.VarCharValue, *name) {
			return false
		}
	}
	return true
}

// athenaRecord is a row written back as the CloudTrail record fields the
// decoder reads; absent (NULL) values are left out.
type athenaRecord struct {
	EventSource        *string `json:"eventSource,omitempty"`
	EventName          *string `json:"eventName,omitempty"`
	EventID            *string `json:"eventID,omitempty"`
	SharedEventID      *string `json:"sharedEventID,omitempty"`
	EventTime          *string `json:"eventTime,omitempty"`
	AWSRegion          *string `json:"awsRegion,omitempty"`
	RecipientAccountID *string `json:"recipientAccountId,omitempty"`
	ErrorCode          *string `json:"errorCode,omitempty"`
	ErrorMessage       *string `json:"errorMessage,omitempty"`
	SourceIPAddress    *string `json:"sourceIPAddress,omitempty"`
	UserAgent          *string `json:"userAgent,omitempty"`
	UserIdentity       struct {
		Arn            *string `json:"arn,omitempty"`
		SessionContext struct {
			SourceIdentity *string `json:"sourceIdentity,omitempty"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	RequestParameters struct {
		RoleArn         *string `json:"roleArn,omitempty"`
		RoleSessionName *string `json:"roleSessionName,omitempty"`
		SourceIdentity  *string `json:"sourceIdentity,omitempty"`
	} `json:"requestParameters"`
	ResponseElements struct {
		AssumedRoleUser struct {
			Arn *string `json:"arn,omitempty"`
		} `json:"assumedRoleUser"`
		Credentials struct {
			AccessKeyID *string `json:"accessKeyId,omitempty"`
		} `json:"credentials"`
	} `json:"responseElements"`
}

// decodeRow turns one result row into an event through DecodeRecord, so
// that a row and a log file record of the same call give the same event.
func (r *athenaRun) decodeRow(rw types.Row, cols map[string]int, n int, emit func(Event)) {
	item := fmt.Sprintf("%s query %s row %d", r.s.Name(), r.id, n)
	for _, c := range athenaColumns {
		if cols[c.alias] >= len(rw.Data) {
			// A missing cell is not a NULL: read as one, it could drop
			// the caller's SourceIdentity or a refused call's error code.
			r.skip(item, fmt.Sprintf("has %d cells, and column %s is cell %d", len(rw.Data), c.alias, cols[c.alias]+1))
			return
		}
	}
	get := func(alias string) *string {
		return rw.Data[cols[alias]].VarCharValue
	}
	var rec athenaRecord
	rec.EventSource = get("eventsource")
	rec.EventName = get("eventname")
	rec.EventID = get("eventid")
	rec.SharedEventID = get("sharedeventid")
	rec.EventTime = get("eventtime")
	rec.AWSRegion = get("awsregion")
	rec.RecipientAccountID = get("recipientaccountid")
	rec.ErrorCode = get("errorcode")
	rec.ErrorMessage = get("errormessage")
	rec.SourceIPAddress = get("sourceipaddress")
	rec.UserAgent = get("useragent")
	rec.UserIdentity.Arn = get("caller_arn")
	rec.UserIdentity.SessionContext.SourceIdentity = get("caller_source_identity")
	rec.RequestParameters.RoleArn = get("role_arn")
	rec.RequestParameters.RoleSessionName = get("role_session_name")
	rec.RequestParameters.SourceIdentity = get("request_source_identity")
	rec.ResponseElements.AssumedRoleUser.Arn = get("assumed_role_arn")
	// Only the shortened key id is kept, from the moment it is read.
	if k := get("access_key_id"); k != nil {
		short := ShortenKeyID(*k)
		rec.ResponseElements.Credentials.AccessKeyID = &short
	}
	raw, err := json.Marshal(&rec)
	if err != nil {
		r.skip(item, "cannot be encoded: "+err.Error())
		return
	}
	ev, ok, err := DecodeRecord(raw)
	switch {
	case err != nil:
		r.skip(item, err.Error())
		return
	case !ok:
		r.skip(item, "is not an sts assume-role call (the table returned a row the query does not select)")
		return
	}
	ev.Origin = item
	r.stats.AssumeRole++
	emit(ev)
}

func (r *athenaRun) skip(item, reason string) {
	r.stats.RecordsSkipped++
	switch {
	case r.stats.RecordsSkipped <= maxSkipDetails:
		r.stats.Skipped = append(r.stats.Skipped, Skip{Item: item, Reason: reason})
	case r.stats.RecordsSkipped == maxSkipDetails+1:
		r.stats.Skipped = append(r.stats.Skipped, Skip{Item: r.s.Name() + " query " + r.id, Reason: "more skipped rows not listed; see records_skipped"})
	}
}
