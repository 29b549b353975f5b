package sessions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

// counter counts the HTTP requests a client sends, by operation, and the
// scans that are not strongly consistent.
type counter struct {
	mu           sync.Mutex
	ops          map[string]int
	eventualScan int
}

func (c *counter) Do(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	eventual := false
	if op == "Scan" && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		var in struct{ ConsistentRead bool }
		eventual = json.Unmarshal(body, &in) != nil || !in.ConsistentRead
	}
	c.mu.Lock()
	if c.ops == nil {
		c.ops = make(map[string]int)
	}
	c.ops[op]++
	if eventual {
		c.eventualScan++
	}
	c.mu.Unlock()
	return http.DefaultClient.Do(req)
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.ops {
		n += v
	}
	return n
}

func (c *counter) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op]
}

func (c *counter) reset() {
	c.mu.Lock()
	c.ops = nil
	c.mu.Unlock()
}

// newClient is a real DynamoDB client for endpoint whose requests are counted.
func newClient(t *testing.T, endpoint string) (*dynamodb.Client, *counter) {
	cnt := &counter{}
	return dynamodb.NewFromConfig(testsvc.AWSConfig(t, endpoint), func(o *dynamodb.Options) { o.HTTPClient = cnt }), cnt
}

// tableOpts chooses how createTable builds the broker's table.
type tableOpts struct {
	noProfileIndex  bool
	noStatusIndex   bool
	profileKeysOnly bool
}

// createTable creates the broker's table: key id, GSIs gsi-user,
// gsi-status, gsi-profile and gsi-server-instance on created_at.
func createTable(t *testing.T, c *dynamodb.Client, name string, o tableOpts) {
	t.Helper()
	gsi := func(name, hash string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName: aws.String(name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("created_at"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}
	}
	gsis := []types.GlobalSecondaryIndex{gsi("gsi-user", "user"), gsi("gsi-server-instance", "server_instance_id")}
	if !o.noStatusIndex {
		gsis = append(gsis, gsi("gsi-status", "status"))
	}
	attrs := []string{"id", "user", "status", "server_instance_id", "created_at"}
	if !o.noProfileIndex {
		p := gsi("gsi-profile", "profile")
		if o.profileKeysOnly {
			p.Projection.ProjectionType = types.ProjectionTypeKeysOnly
		}
		gsis = append(gsis, p)
		attrs = append(attrs, "profile")
	}
	var defs []types.AttributeDefinition
	for _, a := range attrs {
		defs = append(defs, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS})
	}
	_, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:              aws.String(name),
		KeySchema:              []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions:   defs,
		GlobalSecondaryIndexes: gsis,
		BillingMode:            types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	waitActive(t, c, name)
}

func waitActive(t *testing.T, c *dynamodb.Client, name string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		out, err := c.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err == nil && out.Table.TableStatus == types.TableStatusActive {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("table %s never became active", name)
}

// item is a record as the broker writes it, plus a padding attribute that
// makes pages hold few items.
func item(r Record, pad int) map[string]types.AttributeValue {
	m := map[string]types.AttributeValue{}
	s := func(k, v string) {
		if v != "" {
			m[k] = &types.AttributeValueMemberS{Value: v}
		}
	}
	tm := func(k string, v time.Time) {
		if !v.IsZero() {
			m[k] = &types.AttributeValueMemberS{Value: v.UTC().Format(time.RFC3339Nano)}
		}
	}
	s("id", r.ID)
	s("user", r.User)
	s("profile", r.Profile)
	s("server_instance_id", r.ServerInstanceID)
	s("status", r.Status)
	s("source_identity", r.SourceIdentity)
	s("revoked_by", r.RevokedBy)
	s("revoked_reason", r.RevokedReason)
	tm("started_at", r.StartedAt)
	tm("last_access_at", r.LastAccessAt)
	tm("expires_at", r.ExpiresAt)
	tm("created_at", r.CreatedAt)
	tm("updated_at", r.UpdatedAt)
	m["request_count"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(r.RequestCount, 10)}
	if r.TTL != 0 {
		m["ttl"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(r.TTL, 10)}
	}
	if pad > 0 {
		m["pad"] = &types.AttributeValueMemberS{Value: strings.Repeat("x", pad)}
	}
	return m
}

// put writes items with BatchWriteItem, 25 at a time.
func put(t *testing.T, c *dynamodb.Client, table string, items []map[string]types.AttributeValue) {
	t.Helper()
	for len(items) > 0 {
		n := min(25, len(items))
		var reqs []types.WriteRequest
		for _, it := range items[:n] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		items = items[n:]
		for len(reqs) > 0 {
			out, err := c.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
			if err != nil {
				t.Fatalf("write to %s: %v", table, err)
			}
			reqs = out.UnprocessedItems[table]
		}
	}
}

// The scenario: a 7-day window, records of three profiles, some created
// long before the window.
var (
	winStart = time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	winEnd   = winStart.Add(7 * 24 * time.Hour)
)

// offsetMargin widens the created_at bounds of a load: the largest UTC
// offset a created_at string may be written with.
const offsetMargin = 14 * time.Hour

// scenario returns records and, per profile, the ids a load of the window
// must return: created_at in [start − 12h − 5min − 14h, end + 5min + 14h].
func scenario(n int) ([]Record, map[string][]string) {
	profiles := []string{"prod-admin", "dev", "staging"}
	want := map[string][]string{}
	var recs []Record
	for i := 0; i < n; i++ {
		p := profiles[i%len(profiles)]
		// from 2 days before the window to 1 day after, every ~37 minutes,
		// with sub-second creation times.
		created := winStart.Add(-48*time.Hour + time.Duration(i)*37*time.Minute + time.Duration(i%7)*123456789)
		r := Record{
			ID: fmt.Sprintf("rec-%05d", i), User: fmt.Sprintf("user%d", i%5), Profile: p,
			ServerInstanceID: "srv-1", Status: StatusActive,
			StartedAt: created, CreatedAt: created, UpdatedAt: created,
			ExpiresAt: created.Add(time.Hour), LastAccessAt: created.Add(10 * time.Minute),
			RequestCount: int64(i), SourceIdentity: fmt.Sprintf("sentinel:user%d:direct:%08x", i%5, i),
		}
		if i%10 == 0 {
			r.Status, r.RevokedBy, r.RevokedReason = StatusRevoked, "admin", "test"
		}
		recs = append(recs, r)
		// Every record of a profile is read, whenever it was created: one
		// created days before the window can still decide an event in it.
		// So is every revoked one, whatever its profile (see wantIDs).
		want[p] = append(want[p], r.ID)
		if r.Status == StatusRevoked {
			want[finalKey+p] = append(want[finalKey+p], r.ID)
		}
	}
	return recs, want
}

func ids(rs []Record) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.ID)
	}
	sort.Strings(out)
	return out
}

// finalKey prefixes the keys of want that list a profile's revoked records.
const finalKey = "\x00final/"

// wantIDs is what a load of profiles reads: their records, and the revoked
// and expired records of the other profiles (a session chained from one of
// them into a profile's role is decided by it).
func wantIDs(want map[string][]string, profiles ...string) []string {
	var out []string
	for _, p := range []string{"prod-admin", "dev", "staging"} {
		if slices.Contains(profiles, p) {
			out = append(out, want[p]...)
		} else {
			out = append(out, want[finalKey+p]...)
		}
	}
	sort.Strings(out)
	return out
}

func TestDynamoStore(t *testing.T) {
	ep := testsvc.Dynalite(t)
	c, cnt := newClient(t, ep)
	ctx := context.Background()
	recs, want := scenario(600)
	items := make([]map[string]types.AttributeValue, len(recs))
	for i, r := range recs {
		items[i] = item(r, 0)
	}
	q := Query{Start: winStart, End: winEnd, Profiles: []string{"prod-admin", "dev"}}
	// Tables that several subtests read.
	createTable(t, c, "t-query", tableOpts{})
	put(t, c, "t-query", items)
	createTable(t, c, "t-noindex", tableOpts{noProfileIndex: true})
	put(t, c, "t-noindex", items)

	t.Run("every record is read", func(t *testing.T) {
		// An event's SourceIdentity can name a record of any profile, live
		// or final: every record is read, as an export holds them.
		cnt.reset()
		got, st, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "t-query"}), q)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := ids(got), wantIDs(want, "prod-admin", "dev", "staging"); !reflect.DeepEqual(g, w) {
			t.Fatalf("got %d records %v…, want %d", len(g), g[:min(5, len(g))], len(w))
		}
		// Every attribute survives the round trip.
		byID := map[string]Record{}
		for _, r := range recs {
			byID[r.ID] = r
		}
		for _, r := range got {
			if w := byID[r.ID]; !reflect.DeepEqual(r, w) {
				t.Fatalf("record %s:\n got %+v\nwant %+v", r.ID, r, w)
			}
		}
		if cnt.eventualScan != 0 {
			t.Errorf("%d scans were eventually consistent: a revocation written just before the run could be missed", cnt.eventualScan)
		}
		if cnt.get("DescribeTable") != 1 || cnt.get("Scan") != DefaultSegments || cnt.get("Query") != 0 || cnt.total() != 1+DefaultSegments {
			t.Errorf("requests %v, want 1 DescribeTable and 1 Scan per segment", cnt.ops)
		}
		if st.Requests != int64(cnt.total()) || st.Pages != DefaultSegments || st.Records != int64(len(got)) || st.Method != "scan" || st.Kind != "dynamodb" || st.Source != "dynamodb://t-query" {
			t.Errorf("stats %+v", st)
		}
	})

	t.Run("records are read whenever they were created", func(t *testing.T) {
		// A revoked session's SourceIdentity survives role chaining: an
		// event in the window can carry it days after the record was
		// created, and the record must decide it (revoked, SC1002). A
		// record whose created_at is not a time is unusable (it may be a
		// revocation), never left out by a string comparison.
		old := Record{
			ID: "s-old", User: "alice", Profile: "prod-admin", Status: StatusRevoked,
			SourceIdentity: "sentinel:alice:direct:1a2b0000",
			StartedAt:      winStart.Add(-72 * time.Hour), CreatedAt: winStart.Add(-72 * time.Hour),
			UpdatedAt: winStart.Add(-71 * time.Hour), ExpiresAt: winStart.Add(-71 * time.Hour),
		}
		late := old
		late.ID, late.CreatedAt, late.StartedAt = "s-late", winEnd.Add(30*24*time.Hour), winEnd.Add(30*24*time.Hour)
		bad := old
		bad.ID = "s-bad"
		badItem := item(bad, 0)
		badItem["created_at"] = &types.AttributeValueMemberS{Value: "pending"}
		for _, opts := range []tableOpts{{}, {noProfileIndex: true}} {
			table := "t-old"
			if opts.noProfileIndex {
				table = "t-old-scan"
			}
			createTable(t, c, table, opts)
			// s-bad is one unusable record.
			items := []map[string]types.AttributeValue{item(old, 0), item(late, 0), badItem}
			put(t, c, table, items)
			got, st, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: table}), q)
			if err != nil {
				t.Fatal(err)
			}
			if g := ids(got); !reflect.DeepEqual(g, []string{"s-late", "s-old"}) {
				t.Fatalf("%s (%s): got records %v, want [s-late s-old] (created 3 days before the window and a month after it)", table, st.Method, g)
			}
			if want := int64(len(items) - 2); st.RecordsUnusable != want {
				t.Errorf("%s (%s): %d records unusable, want %d (created_at not a time): %+v", table, st.Method, st.RecordsUnusable, want, st.Skipped)
			}
		}
	})

	t.Run("an attribute named in another case makes the record unusable", func(t *testing.T) {
		// "Status": "revoked" beside no status was read as a record
		// never revoked, live by its times.
		r := Record{ID: "s-case", User: "alice", Profile: "prod-admin", SourceIdentity: "sentinel:alice:direct:1a2b0001",
			StartedAt: winStart, CreatedAt: winStart, UpdatedAt: winStart.Add(time.Hour), ExpiresAt: winStart.Add(8 * time.Hour)}
		it := item(r, 0)
		delete(it, "status")
		it["Status"] = &types.AttributeValueMemberS{Value: StatusRevoked}
		createTable(t, c, "t-case", tableOpts{})
		put(t, c, "t-case", []map[string]types.AttributeValue{it})
		got, st, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "t-case"}), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 || st.RecordsUnusable != 1 || st.FirstUnusable == nil || !strings.Contains(st.FirstUnusable.Reason, `the attribute "Status" differs from status`) {
			t.Errorf("got %d records, %d unusable, first %+v; want the record unusable", len(got), st.RecordsUnusable, st.FirstUnusable)
		}
	})

	// Item and Items wrap records in export files; a table's item has no
	// wrapper, and the broker's own attribute named items is no field.
	t.Run("an attribute named like an export's wrapper", func(t *testing.T) {
		r := Record{ID: "s-items", User: "alice", Profile: "prod-admin", Status: StatusActive, SourceIdentity: "sentinel:alice:direct:1a2b0002",
			StartedAt: winStart, CreatedAt: winStart, UpdatedAt: winStart, ExpiresAt: winStart.Add(8 * time.Hour)}
		it := item(r, 0)
		it["items"] = &types.AttributeValueMemberN{Value: "3"}
		it["ITEM"] = &types.AttributeValueMemberS{Value: "x"}
		createTable(t, c, "t-items", tableOpts{})
		put(t, c, "t-items", []map[string]types.AttributeValue{it})
		got, st, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "t-items"}), q)
		if err != nil || len(got) != 1 || st.RecordsUnusable != 0 {
			t.Errorf("got %d records, %d unusable (%+v), %v; want the record", len(got), st.RecordsUnusable, st.FirstUnusable, err)
		}
	})

	t.Run("requests do not grow with events", func(t *testing.T) {
		// Large items make the scan paginate.
		big := make([]map[string]types.AttributeValue, len(recs))
		for i, r := range recs {
			big[i] = item(r, 20_000)
		}
		createTable(t, c, "t-pages", tableOpts{})
		put(t, c, "t-pages", big)
		s := NewDynamoStore(c, DynamoOptions{Table: "t-pages"})
		// The query carries no events at all (the engine loads records
		// while the trail is read), so requests are 1 DescribeTable plus
		// one Scan per page of each segment, whatever the events.
		var counts []int
		for range 2 {
			qq := q
			cnt.reset()
			got, st, err := loadAll(ctx, s, qq)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := ids(got), wantIDs(want, "prod-admin", "dev", "staging"); !reflect.DeepEqual(g, w) {
				t.Fatalf("got %d records, want %d", len(g), len(w))
			}
			if st.Requests != int64(cnt.total()) {
				t.Fatalf("stats count %d requests, the client sent %d", st.Requests, cnt.total())
			}
			counts = append(counts, cnt.total())
			if int64(cnt.total()) != 1+st.Pages {
				t.Fatalf("%d requests for %d pages; want one DescribeTable and one Scan per page", cnt.total(), st.Pages)
			}
			t.Logf("%d records: %d requests (%v), %d pages", len(got), cnt.total(), cnt.ops, st.Pages)
		}
		if counts[0] != counts[1] {
			t.Fatalf("the same load made %d and then %d requests", counts[0], counts[1])
		}
		if cnt.get("Scan") <= DefaultSegments {
			t.Fatalf("Scan calls = %d: the items should span several pages per segment", cnt.get("Scan"))
		}
	})

	t.Run("a version another store gave first is skipped once", func(t *testing.T) {
		// The second version of an id an export gave first is one skip.
		var revoked Record
		for _, r := range recs {
			if r.Profile == "prod-admin" && r.Status == StatusRevoked {
				revoked = r
				break
			}
		}
		var b IndexBuilder
		b.Add(revoked) // as another store of the table (an export) gave it
		st, err := NewDynamoStore(c, DynamoOptions{Table: "t-query"}).Load(ctx, q, &b)
		if err != nil {
			t.Fatal(err)
		}
		if st.RecordsSkipped != 1 || len(st.Skipped) != 1 || !strings.Contains(st.Skipped[0].Reason, "read from another store") {
			t.Errorf("%d skipped %+v, want one skip for id %s", st.RecordsSkipped, st.Skipped, revoked.ID)
		}
	})

	t.Run("no index is needed", func(t *testing.T) {
		createTable(t, c, "t-nostatus", tableOpts{noStatusIndex: true})
		put(t, c, "t-nostatus", items)
		cnt.reset()
		got, st, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "t-nostatus"}), q)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := ids(got), wantIDs(want, "prod-admin", "dev", "staging"); !reflect.DeepEqual(g, w) || st.Method != "scan" || cnt.get("Query") != 0 {
			t.Fatalf("got %d records (want %d), method %q, requests %v", len(g), len(w), st.Method, cnt.ops)
		}
	})

	t.Run("segments", func(t *testing.T) {
		cnt.reset()
		got, st, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "t-noindex", Segments: 3}), q)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := ids(got), wantIDs(want, "prod-admin", "dev", "staging"); !reflect.DeepEqual(g, w) {
			t.Fatalf("got %d records, want %d", len(g), len(w))
		}
		if cnt.get("Query") != 0 || cnt.get("Scan") != 3 || st.Method != "scan" {
			t.Errorf("requests %v, method %q; want 3 Scan segments and no Query", cnt.ops, st.Method)
		}
		// Every item the scan read is a record or counted as skipped.
		if st.Records+st.RecordsSkipped != int64(len(items)) {
			t.Errorf("%d records, %d skipped; want them to add up to the %d items", st.Records, st.RecordsSkipped, len(items))
		}
	})

	// created_at written with a UTC offset is compared as a string by
	// DynamoDB: a record created inside the window must be read whatever
	// its offset.
	t.Run("created_at with an offset", func(t *testing.T) {
		for _, tbl := range []struct {
			name string
			opts tableOpts
		}{{"t-offset", tableOpts{}}, {"t-offset-scan", tableOpts{noProfileIndex: true}}} {
			createTable(t, c, tbl.name, tbl.opts)
			var offItems []map[string]types.AttributeValue
			for i, zone := range []*time.Location{time.FixedZone("", 14*3600), time.FixedZone("", -12*3600)} {
				for j, at := range []time.Time{winStart.Add(time.Minute), winEnd.Add(-time.Minute)} {
					r := Record{ID: fmt.Sprintf("off-%d-%d", i, j), User: "u", Profile: "dev", Status: StatusActive,
						StartedAt: at, CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(time.Hour)}
					it := item(r, 0)
					it["created_at"] = &types.AttributeValueMemberS{Value: at.In(zone).Format(time.RFC3339)}
					offItems = append(offItems, it)
				}
			}
			put(t, c, tbl.name, offItems)
			got, _, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: tbl.name}), Query{Start: winStart, End: winEnd, Profiles: []string{"dev"}})
			if err != nil {
				t.Fatal(err)
			}
			if g := ids(got); len(g) != 4 {
				t.Errorf("%s: read %v, want the 4 records created in the window", tbl.name, g)
			}
		}
	})

	t.Run("gsi-profile holding keys only does not matter", func(t *testing.T) {
		createTable(t, c, "t-keysonly", tableOpts{profileKeysOnly: true})
		put(t, c, "t-keysonly", items)
		got, st, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "t-keysonly"}), q)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := ids(got), wantIDs(want, "prod-admin", "dev", "staging"); !reflect.DeepEqual(g, w) || st.Method != "scan" {
			t.Fatalf("got %d records (want %d), method %q", len(g), len(w), st.Method)
		}
	})

	t.Run("scan when no profile is asked for", func(t *testing.T) {
		cnt.reset()
		got, st, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "t-query"}), Query{Start: winStart, End: winEnd})
		if err != nil {
			t.Fatal(err)
		}
		if g, w := ids(got), wantIDs(want, "prod-admin", "dev", "staging"); !reflect.DeepEqual(g, w) || cnt.get("Scan") != DefaultSegments {
			t.Fatalf("got %d records (want %d), requests %v, method %q", len(g), len(w), cnt.ops, st.Method)
		}
	})

	t.Run("batch get for known ids", func(t *testing.T) {
		// Ids the scan did not return (written since, or unknown) are
		// fetched by key, 100 a call; those it returned are not.
		var known []string
		for i := range 150 {
			known = append(known, fmt.Sprintf("nope-%03d", i))
		}
		qq := q
		qq.IDs = append(append(append([]string{}, known...), want["prod-admin"][:5]...), known[0])
		cnt.reset()
		got, st, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "t-query"}), qq)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := ids(got), wantIDs(want, "prod-admin", "dev", "staging"); !reflect.DeepEqual(g, w) {
			t.Fatalf("got %d records, want %d", len(g), len(w))
		}
		// 150 keys to fetch: 100 + 50.
		if cnt.get("BatchGetItem") != 2 || st.Requests != int64(cnt.total()) {
			t.Fatalf("requests %v (stats %d), want 2 BatchGetItem", cnt.ops, st.Requests)
		}
	})

	t.Run("bad items are skipped with a reason", func(t *testing.T) {
		createTable(t, c, "t-bad", tableOpts{})
		good := item(recs[len(recs)/2], 0)
		badTime := item(recs[len(recs)/2+3], 0)
		badTime["started_at"] = &types.AttributeValueMemberS{Value: "last tuesday"}
		badCount := item(recs[len(recs)/2+6], 0)
		badCount["request_count"] = &types.AttributeValueMemberS{Value: "lots"}
		put(t, c, "t-bad", []map[string]types.AttributeValue{good, badTime, badCount})
		got, st, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "t-bad"}), Query{Start: winStart, End: winEnd, Profiles: []string{"prod-admin", "dev", "staging"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || st.RecordsSkipped != 2 || len(st.Skipped) != 2 {
			t.Fatalf("got %d records, stats %+v; want 1 record and 2 skipped", len(got), st)
		}
		reasons := st.Skipped[0].Item + " " + st.Skipped[0].Reason + " | " + st.Skipped[1].Item + " " + st.Skipped[1].Reason
		for _, w := range []string{`started_at "last tuesday" is not an RFC 3339 time`, `request_count "lots" is not a whole number`, `item id="` + recs[len(recs)/2+3].ID + `"`} {
			if !strings.Contains(reasons, w) {
				t.Errorf("skips %q do not say %q", reasons, w)
			}
		}
	})

	t.Run("missing table", func(t *testing.T) {
		_, _, err := loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "no-such-table"}), q)
		var ae *AccessError
		if !errors.As(err, &ae) || ae.Problem != NotFound {
			t.Fatalf("error = %v, want an *AccessError NotFound", err)
		}
		if w := `table "no-such-table" not found in region us-east-1`; !strings.Contains(err.Error(), w) {
			t.Fatalf("error = %q, want it to say %q", err, w)
		}
	})

	t.Run("wrong key schema", func(t *testing.T) {
		_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String("t-otherkey"),
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
			BillingMode:          types.BillingModePayPerRequest,
		})
		if err != nil {
			t.Fatal(err)
		}
		waitActive(t, c, "t-otherkey")
		_, _, err = loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "t-otherkey"}), q)
		var se *SourceError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), `partition key is "pk"`) {
			t.Fatalf("error = %v, want a *SourceError about the partition key", err)
		}
	})

	// Items that share an id under a sort key would be merged as versions
	// of one record, all but one unused: the table is refused.
	t.Run("sort key", func(t *testing.T) {
		_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName: aws.String("t-sortkey"),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("v"), KeyType: types.KeyTypeRange},
			},
			AttributeDefinitions: []types.AttributeDefinition{
				{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String("v"), AttributeType: types.ScalarAttributeTypeN},
			},
			BillingMode: types.BillingModePayPerRequest,
		})
		if err != nil {
			t.Fatal(err)
		}
		waitActive(t, c, "t-sortkey")
		_, _, err = loadAll(ctx, NewDynamoStore(c, DynamoOptions{Table: "t-sortkey"}), q)
		var se *SourceError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), `the table has a sort key "v", but the broker's session table is keyed by "id" alone`) {
			t.Fatalf("error = %v, want a *SourceError about the sort key", err)
		}
	})

	// A proxy in front of dynalite answers chosen operations with an error.
	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name, table, op, code, msg string
			problem                    AccessProblem
			want                       string
		}{
			{"scan denied with the user", "t-query", "Scan", "AccessDeniedException", "User: arn:aws:sts::111122223333:assumed-role/ci/x is not authorized to perform: dynamodb:Scan", AccessDenied,
				`on table "t-query" in region us-east-1 was denied (AccessDeniedException): allow the IAM action "dynamodb:Scan"`},
			// A table encrypted with a customer managed key: AWS names
			// kms:Decrypt, which is what to allow.
			{"scan denied by the key", "t-query", "Scan", "AccessDeniedException", "User: arn:aws:sts::111122223333:assumed-role/ci/x is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k", AccessDenied,
				`dynamodb:Scan on table "t-query" in region us-east-1 was denied (AccessDeniedException): allow the IAM action "kms:Decrypt" for these credentials, which dynamodb:Scan needs`},
			{"describe denied", "t-query", "DescribeTable", "AccessDeniedException", "not authorized", AccessDenied, `allow the IAM action "dynamodb:DescribeTable"`},
			{"scan denied", "t-noindex", "Scan", "AccessDeniedException", "not authorized", AccessDenied, `allow the IAM action "dynamodb:Scan"`},
			{"batch get denied", "t-query", "BatchGetItem", "AccessDeniedException", "not authorized", AccessDenied, `allow the IAM action "dynamodb:BatchGetItem"`},
			{"expired token", "t-query", "DescribeTable", "ExpiredTokenException", "The security token included in the request is expired", CredentialsExpired, "AWS credentials have expired"},
			{"unknown key", "t-query", "Scan", "UnrecognizedClientException", "The security token included in the request is invalid.", CredentialsInvalid, "AWS credentials were rejected"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				pc, _ := newClient(t, faultProxy(t, ep, map[string]fault{tc.op: {status: 400, code: tc.code, msg: tc.msg}}))
				qq := q
				qq.IDs = []string{"nope-1"} // not in the table: BatchGetItem asks for it
				_, _, err := loadAll(ctx, NewDynamoStore(pc, DynamoOptions{Table: tc.table}), qq)
				var ae *AccessError
				if !errors.As(err, &ae) || ae.Problem != tc.problem || ae.Code != tc.code {
					t.Fatalf("error = %v, want an *AccessError with problem %d and code %s", err, tc.problem, tc.code)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error = %q\nwant it to contain %q", err, tc.want)
				}
			})
		}
	})

	t.Run("credentials that cannot be refreshed", func(t *testing.T) {
		cfg := testsvc.AWSConfig(t, ep)
		cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("refresh cached SSO token failed: the SSO session has expired or is invalid")
		})
		_, _, err := loadAll(ctx, NewDynamoStore(dynamodb.NewFromConfig(cfg), DynamoOptions{Table: "t-query"}), q)
		var ae *AccessError
		if !errors.As(err, &ae) || ae.Problem != CredentialsExpired || !strings.Contains(err.Error(), "AWS credentials have expired") {
			t.Fatalf("error = %v, want expired credentials", err)
		}
	})

	t.Run("no credentials at all", func(t *testing.T) {
		cfg := testsvc.AWSConfig(t, ep)
		cfg.Credentials = aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no EC2 IMDS role found, operation error ec2imds: GetMetadata, http response error StatusCode: 404")
		}))
		_, _, err := loadAll(ctx, NewDynamoStore(dynamodb.NewFromConfig(cfg), DynamoOptions{Table: "t-query"}), q)
		var ae *AccessError
		if !errors.As(err, &ae) || ae.Problem != CredentialsMissing || !strings.Contains(err.Error(), "no usable AWS credentials were found") ||
			!strings.Contains(err.Error(), "AWS_PROFILE") {
			t.Fatalf("error = %v, want missing credentials with how to set them", err)
		}
	})

	// The SDK retries a throttled Scan: each attempt is a request.
	t.Run("retries are requests", func(t *testing.T) {
		pc, pcnt := newClient(t, faultProxy(t, ep, map[string]fault{"Scan": {status: 400, code: "ProvisionedThroughputExceededException", msg: "slow down", times: 1}}))
		got, st, err := loadAll(ctx, NewDynamoStore(pc, DynamoOptions{Table: "t-query"}), q)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := ids(got), wantIDs(want, "prod-admin", "dev", "staging"); !reflect.DeepEqual(g, w) {
			t.Fatalf("got %d records, want %d", len(g), len(w))
		}
		if pcnt.get("Scan") != DefaultSegments+1 || st.Requests != int64(pcnt.total()) || st.Pages != DefaultSegments {
			t.Fatalf("requests %v, stats %d requests and %d pages: want a Scan per segment, one of them twice, all counted", pcnt.ops, st.Requests, st.Pages)
		}
	})

	t.Run("unprocessed keys are retried", func(t *testing.T) {
		pc, pcnt := newClient(t, faultProxy(t, ep, map[string]fault{"BatchGetItem": {unprocessed: 2}}))
		qq := Query{Start: winStart, End: winEnd, Profiles: []string{"dev"}, IDs: []string{"nope-1", "nope-2", "nope-3"}}
		got, st, err := loadAll(ctx, NewDynamoStore(pc, DynamoOptions{Table: "t-query"}), qq)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := ids(got), wantIDs(want, "prod-admin", "dev", "staging"); !reflect.DeepEqual(g, w) {
			t.Fatalf("got %d records, want %d", len(g), len(w))
		}
		if pcnt.get("BatchGetItem") != 3 || st.Requests != int64(pcnt.total()) {
			t.Fatalf("requests %v, stats %d: want 2 unprocessed answers then 1 that succeeds", pcnt.ops, st.Requests)
		}
	})
}

// fault is how the proxy answers an operation: an error, or (unprocessed
// > 0) that many BatchGetItem answers leaving every key unprocessed.
type fault struct {
	status      int
	code, msg   string
	unprocessed int
	times       int // an error is given that many times, then the call passes (0: always)
}

// faultProxy forwards to target except for the operations in faults.
func faultProxy(t *testing.T, target string, faults map[string]fault) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		mu.Lock()
		f, ok := faults[op]
		fakeUnprocessed := false
		if ok && f.code != "" && f.times > 0 {
			if f.times--; f.times == 0 {
				delete(faults, op)
			} else {
				faults[op] = f
			}
		}
		if ok && f.code == "" {
			if f.unprocessed > 0 {
				f.unprocessed--
				faults[op] = f
				fakeUnprocessed = true
			} else {
				ok = false
			}
		}
		mu.Unlock()
		switch {
		case fakeUnprocessed:
			body, _ := io.ReadAll(r.Body)
			var in struct {
				RequestItems map[string]json.RawMessage
			}
			_ = json.Unmarshal(body, &in)
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_ = json.NewEncoder(w).Encode(map[string]any{"Responses": map[string][]any{}, "UnprocessedKeys": in.RequestItems})
		case ok:
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(f.status)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.dynamodb.v20120810#" + f.code, "message": f.msg})
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The table decides an event as its export does. An event's SourceIdentity
// names its record, whatever that record's profile, status spelling or
// attributes: unread, the event would be matched by time to another
// record of its user and pass. Reading gsi-profile for the policy's
// profiles and gsi-status for exact final statuses missed a record of
// another profile that had expired by its times, a "Revoked" one, and one
// without created_at (absent from every index).
func TestDynamoStoreDecidesAsTheExport(t *testing.T) {
	ep := testsvc.Dynalite(t)
	c, _ := newClient(t, ep)
	ctx := context.Background()
	t0 := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	si := "sentinel:alice:direct:aaaa0001"
	// A live record of alice in prod-admin without a SourceIdentity,
	// covering the event: what the event would match by time.
	r2 := Record{ID: "r2", User: "alice", Profile: "prod-admin", Status: "active",
		StartedAt: t0, CreatedAt: t0, ExpiresAt: t0.Add(9 * time.Hour), UpdatedAt: t0}
	for i, tc := range []struct {
		name string
		r1   Record
		want Outcome
	}{
		{"another profile, active but expired by its times", Record{ID: "r1", User: "alice", Profile: "sandbox", Status: "active",
			SourceIdentity: si, StartedAt: t0.Add(time.Hour), CreatedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(2 * time.Hour), UpdatedAt: t0.Add(time.Hour)}, Expired},
		{"another profile, Revoked", Record{ID: "r1", User: "alice", Profile: "sandbox", Status: "Revoked",
			SourceIdentity: si, StartedAt: t0.Add(time.Hour), CreatedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(8 * time.Hour), UpdatedAt: t0.Add(2 * time.Hour)}, Revoked},
		{"another profile, live", Record{ID: "r1", User: "alice", Profile: "sandbox", Status: "active",
			SourceIdentity: si, StartedAt: t0.Add(time.Hour), CreatedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(8 * time.Hour), UpdatedAt: t0.Add(time.Hour)}, NoRecord},
		{"revoked, no created_at", Record{ID: "r1", User: "alice", Profile: "prod-admin", Status: "revoked",
			SourceIdentity: si, StartedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(8 * time.Hour), UpdatedAt: t0.Add(2 * time.Hour)}, Revoked},
	} {
		q := MatchQuery{SourceIdentity: si, User: "alice", Profile: "prod-admin", Time: t0.Add(5 * time.Hour)}
		fm := NewIndex([]Record{tc.r1, r2}).Lookup(ModeAuto, q)
		if fm.Outcome != tc.want {
			t.Fatalf("%s: the export gives %v, want %v", tc.name, fm.Outcome, tc.want)
		}
		table := fmt.Sprintf("t-decide-%d", i)
		createTable(t, c, table, tableOpts{})
		put(t, c, table, []map[string]types.AttributeValue{item(tc.r1, 0), item(r2, 0)})
		var b IndexBuilder
		if _, err := NewDynamoStore(c, DynamoOptions{Table: table}).Load(ctx, Query{Start: t0.Add(-24 * time.Hour), End: t0.Add(24 * time.Hour), Profiles: []string{"prod-admin"}}, &b); err != nil {
			t.Fatal(err)
		}
		if dm := b.Index().Lookup(ModeAuto, q); dm != fm {
			t.Errorf("%s: the table gives %v (%s), the export %v (%s)", tc.name, dm.Outcome, dm.ID, fm.Outcome, fm.ID)
		}
	}
}
