package sessions

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/sentinel-check/sentinel-check/internal/awsmsg"
)

// The broker's table layout (SPEC §5).
const (
	ProfileIndex = "gsi-profile" // partition key profile, sort key created_at
	StatusIndex  = "gsi-status"  // partition key status, sort key created_at
	keyAttribute = "id"
)

// Defaults of DynamoOptions.
const (
	DefaultSegments = 4
)

// batchGetLimit is BatchGetItem's limit of keys per call.
const batchGetLimit = 100

// DynamoOptions configures a DynamoDB store.
type DynamoOptions struct {
	Table string // default DefaultTable
	// Segments is the number of parallel Scan segments when the table has no
	// usable gsi-profile index, and the number of profiles queried at once.
	// Default 4.
	Segments int
}

// NewDynamoStore reads the broker's session table with client.
//
// Load costs O(pages), never a request per event:
//
//   - one DescribeTable, to check the table and its gsi-profile and
//     gsi-status indexes;
//   - per profile of the query, a paginated Query of gsi-profile, and one
//     of gsi-status for "revoked" and for "expired" (the records of other
//     profiles that decide a session chained from them); all run in
//     parallel. Every record is read, whenever it was created, as from an
//     export: a session's SourceIdentity survives role chaining, so an
//     event in the window can carry the identity of a session opened,
//     revoked or expired days before it, and a record whose created_at is
//     not a time must fail the run (it may be a revocation), not be left
//     out by a string comparison;
//   - when either index is missing, not ACTIVE or does not project all
//     attributes, or the query names no profile: one parallel segmented Scan
//     of the table, keeping the query's profiles and every revoked or
//     expired record;
//   - BatchGetItem, 100 keys a call, for the ids in Query.IDs that the
//     reads above did not return; unprocessed keys are retried with backoff.
//
// Stats count every request made and every page of items received. Errors
// are *AccessError when AWS refused the call (denied, table not found,
// credentials expired or invalid) and *SourceError otherwise.
func NewDynamoStore(client *dynamodb.Client, opts DynamoOptions) Store {
	if opts.Table == "" {
		opts.Table = DefaultTable
	}
	if opts.Segments <= 0 {
		opts.Segments = DefaultSegments
	}
	return &dynamoStore{client: client, opts: opts}
}

type dynamoStore struct {
	client *dynamodb.Client
	opts   DynamoOptions
}

func (s *dynamoStore) Name() string { return "dynamodb://" + s.opts.Table }

// dynamoLoad is the state of one Load.
type dynamoLoad struct {
	s        *dynamoStore
	requests atomic.Int64
	pages    atomic.Int64
	filtered atomic.Int64

	mu       sync.Mutex // guards b, st, unusable and earlier
	b        *IndexBuilder
	base     int // b.Len() when the load started
	st       Stats
	unusable map[string]bool // ids of the unusable items counted
	earlier  map[string]bool // ids another store gave first, counted
}

func (s *dynamoStore) Load(ctx context.Context, q Query, b *IndexBuilder) (Stats, error) {
	l := &dynamoLoad{s: s, b: b, base: b.Len(), st: Stats{Source: s.Name(), Kind: "dynamodb"}}
	err := l.load(ctx, q)
	l.st.Requests = l.requests.Load()
	l.st.Pages = l.pages.Load()
	l.st.ItemsFiltered = l.filtered.Load()
	if err != nil {
		return l.st, err
	}
	l.st.Records = int64(b.Len() - l.base)
	return l.st, nil
}

func (l *dynamoLoad) load(ctx context.Context, q Query) error {
	idx, err := l.describe(ctx)
	if err != nil {
		return err
	}
	switch {
	case len(q.Profiles) == 0:
		l.st.Method = "scan (no profile asked for)"
		err = l.scan(ctx, q)
	case idx.why[ProfileIndex] != "":
		l.st.Method = "scan (" + idx.why[ProfileIndex] + ")"
		err = l.scan(ctx, q)
	case idx.why[StatusIndex] != "":
		// The revoked and expired records of other profiles are needed
		// too (a session chained from one into the policy's roles), and
		// only gsi-status finds them without a scan.
		l.st.Method = "scan (" + idx.why[StatusIndex] + ")"
		err = l.scan(ctx, q)
	default:
		l.st.Method = "query " + ProfileIndex + " and " + StatusIndex
		err = l.queryIndexes(ctx, q.Profiles)
		if isMissingIndex(err) {
			l.st.Method = "scan (an index was rejected by the table)"
			err = l.scan(ctx, q)
		}
	}
	if err != nil {
		return err
	}
	return l.batchGet(ctx, q.IDs)
}

// indexes says, for gsi-profile and gsi-status, why the index cannot serve
// the reads ("" when it can).
type indexes struct{ why map[string]string }

// describe checks the table and whether its indexes can serve the reads.
func (l *dynamoLoad) describe(ctx context.Context) (indexes, error) {
	idx := indexes{why: map[string]string{}}
	l.requests.Add(1)
	out, err := l.s.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(l.s.opts.Table)})
	if err != nil {
		return idx, l.fail("dynamodb:DescribeTable", l.tableName(), err)
	}
	if out.Table == nil {
		return idx, l.fail("dynamodb:DescribeTable", l.tableName(), errors.New("the answer holds no table description"))
	}
	for _, k := range out.Table.KeySchema {
		if k.KeyType == types.KeyTypeHash && aws.ToString(k.AttributeName) != keyAttribute {
			return idx, &SourceError{Source: l.s.Name(), Err: fmt.Errorf("the table's partition key is %q, but the broker's session table is keyed by %q: check the table name",
				clip(aws.ToString(k.AttributeName)), keyAttribute)}
		}
	}
	for _, name := range []string{ProfileIndex, StatusIndex} {
		idx.why[name] = "the table has no " + name + " index"
		for _, g := range out.Table.GlobalSecondaryIndexes {
			if aws.ToString(g.IndexName) != name {
				continue
			}
			switch {
			case g.IndexStatus != "" && g.IndexStatus != types.IndexStatusActive:
				idx.why[name] = fmt.Sprintf("%s is %s", name, strings.ToLower(string(g.IndexStatus)))
			case aws.ToBool(g.Backfilling):
				idx.why[name] = name + " is backfilling"
			case g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll:
				idx.why[name] = name + " does not project all attributes"
			default:
				idx.why[name] = ""
			}
		}
	}
	return idx, nil
}

// queryIndexes queries gsi-profile for each profile, and gsi-status for the
// revoked and the expired records of every profile, several at once. A
// record read by both is one record.
func (l *dynamoLoad) queryIndexes(ctx context.Context, profiles []string) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(l.s.opts.Segments)
	for _, p := range dedupe(profiles) {
		g.Go(func() error { return l.queryIndex(ctx, ProfileIndex, "profile", p) })
	}
	for _, st := range []string{StatusRevoked, StatusExpired} {
		g.Go(func() error { return l.queryIndex(ctx, StatusIndex, "status", st) })
	}
	return g.Wait()
}

// queryIndex reads the records whose attr (the index's partition key) is
// value.
func (l *dynamoLoad) queryIndex(ctx context.Context, index, attr, value string) error {
	in := &dynamodb.QueryInput{
		TableName:                aws.String(l.s.opts.Table),
		IndexName:                aws.String(index),
		KeyConditionExpression:   aws.String("#p = :p"),
		ExpressionAttributeNames: map[string]string{"#p": attr},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": &types.AttributeValueMemberS{Value: value},
		},
	}
	seen := map[string]bool{}
	for {
		l.requests.Add(1)
		out, err := l.s.client.Query(ctx, in)
		if err != nil {
			return l.fail("dynamodb:Query", fmt.Sprintf("index %q of %s", index, l.tableName()), err)
		}
		l.pages.Add(1)
		l.add(out.Items)
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		if err := l.nextPage(seen, out.LastEvaluatedKey, "querying index "+index); err != nil {
			return err
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// scan reads the whole table in parallel segments, keeping the records of
// the query's profiles (all when it names none) and the revoked and expired
// records of every profile.
func (l *dynamoLoad) scan(ctx context.Context, q Query) error {
	var want map[string]bool
	if len(q.Profiles) > 0 {
		want = make(map[string]bool, len(q.Profiles))
		for _, p := range q.Profiles {
			want[p] = true
		}
	}
	segs := int32(l.s.opts.Segments)
	g, ctx := errgroup.WithContext(ctx)
	for seg := int32(0); seg < segs; seg++ {
		g.Go(func() error {
			in := &dynamodb.ScanInput{
				TableName:     aws.String(l.s.opts.Table),
				Segment:       aws.Int32(seg),
				TotalSegments: aws.Int32(segs),
			}
			seen := map[string]bool{}
			for {
				l.requests.Add(1)
				out, err := l.s.client.Scan(ctx, in)
				if err != nil {
					return l.fail("dynamodb:Scan", l.tableName(), err)
				}
				l.pages.Add(1)
				items := out.Items
				if want != nil {
					items = items[:0:0]
					for _, it := range out.Items {
						if p, ok := it["profile"].(*types.AttributeValueMemberS); ok && (want[p.Value] || final(it)) {
							items = append(items, it)
						} else if !ok {
							items = append(items, it) // let the decoder report it
						} else {
							l.filtered.Add(1) // a profile the policy does not name
						}
					}
				}
				l.add(items)
				if len(out.LastEvaluatedKey) == 0 {
					return nil
				}
				if err := l.nextPage(seen, out.LastEvaluatedKey, fmt.Sprintf("scanning segment %d", seg)); err != nil {
					return err
				}
				in.ExclusiveStartKey = out.LastEvaluatedKey
			}
		})
	}
	return g.Wait()
}

// final reports whether an item's status is revoked or expired: such a
// record decides a session chained from it into another profile's role.
func final(it map[string]types.AttributeValue) bool {
	st, ok := it["status"].(*types.AttributeValueMemberS)
	return ok && statusOf(st.Value) != statusOther
}

// nextPage fails when a page's LastEvaluatedKey was seen before: following
// it would read the same pages for ever.
func (l *dynamoLoad) nextPage(seen map[string]bool, key map[string]types.AttributeValue, what string) error {
	k := keyString(key)
	if seen[k] {
		return &SourceError{Source: l.s.Name(), Err: fmt.Errorf("DynamoDB returned the same LastEvaluatedKey twice while %s; following it would read the same pages for ever: run again, and report it if it persists", what)}
	}
	seen[k] = true
	return nil
}

// keyString renders a DynamoDB key, its attributes in name order.
func keyString(key map[string]types.AttributeValue) string {
	names := make([]string, 0, len(key))
	for n := range key {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		switch v := key[n].(type) {
		case *types.AttributeValueMemberS:
			fmt.Fprintf(&b, "%q=S%q;", n, v.Value)
		case *types.AttributeValueMemberN:
			fmt.Fprintf(&b, "%q=N%q;", n, v.Value)
		case *types.AttributeValueMemberB:
			fmt.Fprintf(&b, "%q=B%q;", n, v.Value)
		default:
			fmt.Fprintf(&b, "%q=%T%v;", n, v, v)
		}
	}
	return b.String()
}

// batchGet fetches the records of ids not read yet, 100 keys a call,
// retrying unprocessed keys with exponential backoff.
func (l *dynamoLoad) batchGet(ctx context.Context, ids []string) error {
	var keys []map[string]types.AttributeValue
	l.mu.Lock()
	for _, id := range dedupe(ids) {
		if id != "" && !l.b.Has(id) {
			keys = append(keys, map[string]types.AttributeValue{keyAttribute: &types.AttributeValueMemberS{Value: id}})
		}
	}
	l.mu.Unlock()
	const maxAttempts = 8
	for len(keys) > 0 {
		n := min(len(keys), batchGetLimit)
		pending := keys[:n]
		keys = keys[n:]
		backoff := 50 * time.Millisecond
		for attempt := 1; len(pending) > 0; attempt++ {
			if attempt > maxAttempts {
				return &SourceError{Source: l.s.Name(), Err: fmt.Errorf("dynamodb:BatchGetItem left %d keys unprocessed after %d attempts: the table is throttling reads; retry later or raise its read capacity", len(pending), maxAttempts)}
			}
			if attempt > 1 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 5*time.Second)
			}
			l.requests.Add(1)
			out, err := l.s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems: map[string]types.KeysAndAttributes{l.s.opts.Table: {Keys: pending}},
			})
			if err != nil {
				return l.fail("dynamodb:BatchGetItem", l.tableName(), err)
			}
			l.pages.Add(1)
			l.add(out.Responses[l.s.opts.Table])
			pending = out.UnprocessedKeys[l.s.opts.Table].Keys
		}
	}
	return nil
}

// add decodes items and keeps their records; undecodable ones are skipped
// with their reason.
func (l *dynamoLoad) add(items []map[string]types.AttributeValue) {
	type decoded struct {
		r    Record
		item string
		id   string // the id of an unusable record, when it has one
		si   string // and its source_identity, when it could be read
		err  error
	}
	ds := make([]decoded, 0, len(items))
	for _, it := range items {
		a := sdkAttrs(it)
		r, err := recordFromAttrs(&a)
		d := decoded{r: r, item: itemName(it), err: err}
		if err != nil {
			d.id, _ = a.id()
			d.si = a.sourceIdentity()
		}
		ds = append(ds, d)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range ds {
		if d.err != nil {
			// An item two reads return (gsi-profile and gsi-status) is one
			// unusable record.
			if d.id != "" {
				if l.unusable[d.id] {
					continue
				}
				if l.unusable == nil {
					l.unusable = map[string]bool{}
				}
				l.unusable[d.id] = true
			}
			if d.id != "" || d.si != "" {
				l.b.Poison(d.id, d.si) // this version may be its revocation: use none
			}
			l.st.addUnusable(l.s.Name()+" "+d.item, skipReason(d.err))
			continue
		}
		// The same item read twice (by gsi-profile and gsi-status) is one
		// record; an id another store of the table gave first is a second
		// version, counted once.
		if slot, dup, kept := l.b.Add(d.r); dup && slot < l.base && !l.earlier[d.r.ID] {
			if l.earlier == nil {
				l.earlier = map[string]bool{}
			}
			l.earlier[d.r.ID] = true
			l.st.addSkip(l.s.Name()+" "+d.item, fmt.Sprintf("id %q was read from another store of the table before; %s", clip(d.r.ID), usedAt(kept, l.s.Name())))
		}
	}
}

// itemName names an item in a skip: its id when it has a string one.
func itemName(it map[string]types.AttributeValue) string {
	if id, ok := it[keyAttribute].(*types.AttributeValueMemberS); ok {
		return fmt.Sprintf("item id=%q", clip(id.Value))
	}
	names := make([]string, 0, len(it))
	for k := range it {
		names = append(names, clip(k))
	}
	sort.Strings(names)
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	return "item without a string id (attributes " + strings.Join(names, ", ") + ")"
}

// sdkAttrs classifies the SDK's attribute values.
func sdkAttrs(it map[string]types.AttributeValue) attrs {
	var a attrs
	for k, v := range it {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			a.setAttr(k, attr{kind: kindString, s: v.Value})
		case *types.AttributeValueMemberN:
			a.setAttr(k, attr{kind: kindNumber, s: v.Value})
		case *types.AttributeValueMemberNULL:
			a.setAttr(k, attr{kind: kindNull})
		case *types.AttributeValueMemberBOOL:
			a.setAttr(k, attr{kind: kindBool})
		default:
			a.setAttr(k, attr{kind: kindOther})
		}
	}
	return a
}

func (l *dynamoLoad) tableName() string { return fmt.Sprintf("table %q", l.s.opts.Table) }

func (l *dynamoLoad) region() string {
	if r := l.s.client.Options().Region; r != "" {
		return r
	}
	return "(none set)"
}

// fail turns an SDK error into an *AccessError when the user can fix it by
// granting, naming or refreshing something, else a *SourceError.
func (l *dynamoLoad) fail(action, resource string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	ae := &AccessError{Action: action, Resource: resource, Region: l.region(), Err: err}
	var api smithy.APIError
	msg := strings.ToLower(err.Error())
	expired := strings.Contains(msg, "expired")
	if awsmsg.IsCredentialLookup(err) && !expired {
		ae.Problem, ae.Code = CredentialsMissing, "credential lookup"
	} else if errors.As(err, &api) {
		ae.Code = api.ErrorCode()
		switch ae.Code {
		case "AccessDeniedException", "AccessDenied":
			ae.Problem = AccessDenied
		case "ResourceNotFoundException":
			ae.Problem = NotFound
			ae.Resource = l.tableName() // the table is what is missing
		case "ExpiredTokenException", "ExpiredToken", "RequestExpired", "TokenRefreshRequired":
			ae.Problem = CredentialsExpired
		case "UnrecognizedClientException", "InvalidSignatureException", "InvalidClientTokenId", "MissingAuthenticationTokenException", "IncompleteSignatureException":
			ae.Problem = CredentialsInvalid
		}
	} else if expired && (strings.Contains(msg, "token") || strings.Contains(msg, "credential")) {
		// Refreshing credentials failed before any call, e.g. an SSO session
		// that has run out.
		ae.Problem, ae.Code = CredentialsExpired, "credential refresh"
	}
	if ae.Problem != 0 {
		return ae
	}
	return &SourceError{Source: l.s.Name(), Err: fmt.Errorf("%s on %s in region %s failed: %w", action, resource, l.region(), err)}
}

// isMissingIndex reports whether a Query failed because the index does not
// exist (it was removed after DescribeTable).
func isMissingIndex(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	msg := strings.ToLower(api.ErrorMessage())
	return (api.ErrorCode() == "ValidationException" || api.ErrorCode() == "ResourceNotFoundException") &&
		strings.Contains(msg, "index")
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
