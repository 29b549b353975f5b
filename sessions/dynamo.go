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

	"github.com/sentinel-check/sentinel-check/internal/awsattempt"
	"github.com/sentinel-check/sentinel-check/internal/awsmsg"
)

// keyAttribute is the partition key of the broker's table (SPEC §5). The
// store reads the table, not its indexes (see NewDynamoStore).
const keyAttribute = "id"

// Defaults of DynamoOptions.
const (
	DefaultSegments = 4
)

// batchGetLimit is BatchGetItem's limit of keys per call.
const batchGetLimit = 100

// DynamoOptions configures a DynamoDB store.
type DynamoOptions struct {
	Table string // default DefaultTable
	// Segments is the number of parallel Scan segments. Default 4.
	Segments int
}

// NewDynamoStore reads the broker's session table with client.
//
// Load costs O(pages), never a request per event:
//
//   - one DescribeTable, to check the table and its key;
//   - one parallel segmented Scan of the whole table, keeping every record,
//     as an export holds them. An event's SourceIdentity can name the
//     record of any profile (a session chained from another profile's role,
//     live, revoked, or expired by its times whatever its status says), and
//     that record decides the event: left unread, the event would be
//     matched by time to another record of its user and could pass. The
//     indexes cannot find all of them (gsi-profile holds only the named
//     profiles, gsi-status only exact status strings, and neither an item
//     without created_at), so none is used. Every record is read whenever
//     it was created: a SourceIdentity survives role chaining;
//   - BatchGetItem, 100 keys a call, for the ids in Query.IDs that the
//     scan did not return; unprocessed keys are retried with backoff.
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
	if err != nil {
		return l.st, err
	}
	l.st.Records = int64(b.Len() - l.base)
	return l.st, nil
}

func (l *dynamoLoad) load(ctx context.Context, q Query) error {
	if err := l.describe(ctx); err != nil {
		return err
	}
	l.st.Method = "scan"
	if err := l.scan(ctx); err != nil {
		return err
	}
	return l.batchGet(ctx, q.IDs)
}

// counted is the option of every call of a load: it counts each attempt
// (the SDK retries a throttled call) in Stats.Requests.
func (l *dynamoLoad) counted(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, awsattempt.Hook(func(context.Context) error {
		l.requests.Add(1)
		return nil
	}))
}

// describe checks that the table exists and is keyed as the broker's.
func (l *dynamoLoad) describe(ctx context.Context) error {
	out, err := l.s.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(l.s.opts.Table)}, l.counted)
	if err != nil {
		return l.fail("dynamodb:DescribeTable", l.tableName(), err)
	}
	if out.Table == nil {
		return l.fail("dynamodb:DescribeTable", l.tableName(), errors.New("the answer holds no table description"))
	}
	for _, k := range out.Table.KeySchema {
		switch {
		case k.KeyType == types.KeyTypeHash && aws.ToString(k.AttributeName) != keyAttribute:
			return &SourceError{Source: l.s.Name(), Err: fmt.Errorf("the table's partition key is %q, but the broker's session table is keyed by %q: check the table name",
				clip(aws.ToString(k.AttributeName)), keyAttribute)}
		case k.KeyType == types.KeyTypeRange:
			// Items that share an id would be read as versions of one
			// record, and all but one left unused.
			return &SourceError{Source: l.s.Name(), Err: fmt.Errorf("the table has a sort key %q, but the broker's session table is keyed by %q alone: check the table name",
				clip(aws.ToString(k.AttributeName)), keyAttribute)}
		}
	}
	return nil
}

// scan reads the whole table in parallel segments, keeping every record.
func (l *dynamoLoad) scan(ctx context.Context) error {
	segs := int32(l.s.opts.Segments)
	g, ctx := errgroup.WithContext(ctx)
	for seg := int32(0); seg < segs; seg++ {
		g.Go(func() error {
			in := &dynamodb.ScanInput{
				TableName:     aws.String(l.s.opts.Table),
				Segment:       aws.Int32(seg),
				TotalSegments: aws.Int32(segs),
				// A revocation written just before the run is seen.
				ConsistentRead: aws.Bool(true),
			}
			seen := map[string]bool{}
			for {
				out, err := l.s.client.Scan(ctx, in, l.counted)
				if err != nil {
					return l.fail("dynamodb:Scan", l.tableName(), err)
				}
				l.pages.Add(1)
				l.add(out.Items)
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
			out, err := l.s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems: map[string]types.KeysAndAttributes{l.s.opts.Table: {Keys: pending}},
			}, l.counted)
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
			// An item read twice (a scan segment's page retried) is one
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
		// The same item read twice is one record; an id another store of
		// the table gave first is a second version, counted once.
		if slot, dup, kept := l.b.Add(d.r); dup && slot < l.base && !l.earlier[d.r.ID] {
			if l.earlier == nil {
				l.earlier = map[string]bool{}
			}
			l.earlier[d.r.ID] = true
			l.st.addSkip(l.s.Name()+" "+d.item, fmt.Sprintf("id %q was read from another store before; %s", clip(d.r.ID), usedAt(kept, l.s.Name())))
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
		if n := caseVariantOf(k); n == "Item" || n == "Items" {
			// An export file's wrappers: a table's item has none, and an
			// attribute of the broker's named items is no record field.
			continue
		}
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
