package sessions

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"
)

// collector is an IndexBuilder that also keeps every record added, the
// later record in place of an earlier one with the same id.
func collector(recs *[]Record) *IndexBuilder {
	return &IndexBuilder{onAdd: func(slot int, r Record) {
		if slot == len(*recs) {
			*recs = append(*recs, r)
		} else {
			(*recs)[slot] = r
		}
	}}
}

// loadAll loads s and returns the records it handed over, ordered by
// created_at, then id.
func loadAll(ctx context.Context, s Store, q Query) ([]Record, Stats, error) {
	var recs []Record
	b := collector(&recs)
	st, err := s.Load(ctx, q, b)
	if err != nil {
		return nil, st, err
	}
	if b.Len() != len(recs) {
		return nil, st, fmt.Errorf("the builder holds %d records, the store added %d", b.Len(), len(recs))
	}
	sortRecords(recs)
	return recs, st, nil
}

// readAllRecords is readRecords returning the records, ordered like loadAll.
func readAllRecords(ctx context.Context, src io.Reader, name string, st *Stats) ([]Record, error) {
	var recs []Record
	if err := readRecords(ctx, src, name, st, collector(&recs)); err != nil {
		return nil, err
	}
	sortRecords(recs)
	return recs, nil
}

// sortRecords orders records by created_at, then id.
func sortRecords(rs []Record) {
	sort.SliceStable(rs, func(i, j int) bool {
		if !rs[i].CreatedAt.Equal(rs[j].CreatedAt) {
			return rs[i].CreatedAt.Before(rs[j].CreatedAt)
		}
		return rs[i].ID < rs[j].ID
	})
}

// genJSONL is a session export of n records shaped like the broker's: UUID
// ids, 20 users, 3 profiles, every record with a source identity.
func genJSONL(n int) []byte {
	rng := rand.New(rand.NewSource(3))
	var b bytes.Buffer
	profiles := []string{"prod-admin", "prod-readonly", "staging-dev"}
	statuses := []string{"active", "active", "active", "active", "revoked", "expired"}
	base := time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		u := fmt.Sprintf("user%02d", rng.Intn(20))
		st := base.Add(time.Duration(rng.Intn(8*24*3600)) * time.Second)
		fmt.Fprintf(&b, `{"id":"%08x-%04x-4%03x-a%03x-%012x","user":%q,"profile":%q,"server_instance_id":"srv-eu-west-1a","status":%q,`+
			`"started_at":%q,"last_access_at":%q,"expires_at":%q,"request_count":%d,"source_identity":"sentinel:%s:direct:%08x",`+
			`"created_at":%q,"updated_at":%q,"ttl":%d}`+"\n",
			rng.Uint32(), rng.Intn(1<<16), rng.Intn(1<<12), rng.Intn(1<<12), rng.Int63n(1<<48), u, profiles[rng.Intn(3)], statuses[rng.Intn(len(statuses))],
			st.Format(time.RFC3339), st.Add(30*time.Minute).Format(time.RFC3339), st.Add(time.Hour).Format(time.RFC3339), rng.Intn(100), u, rng.Uint32(),
			st.Format(time.RFC3339), st.Add(time.Hour).Format(time.RFC3339), st.Unix()+30*86400)
	}
	return b.Bytes()
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkLoadFile loads a JSON Lines export of 100,000 records into an
// Index and reports the bytes per record that stay live with the Index
// (B/record-live), what was live while Index() ran, the builder's arrays
// and the Index together (B/record-peak), and all bytes allocated
// (B/record-alloc).
func BenchmarkLoadFile(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "sessions.jsonl")
	if err := os.WriteFile(path, genJSONL(n), 0o600); err != nil {
		b.Fatal(err)
	}
	var live, peak, alloc float64
	for b.Loop() {
		before := heapAfterGC()
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		var bld IndexBuilder
		st, err := NewFileStore(path).Load(context.Background(), Query{}, &bld)
		if err != nil || st.Records != n {
			b.Fatalf("records %d, err %v", st.Records, err)
		}
		// While Index() runs, the builder's arrays and the index are both
		// live: keep the former to measure the peak.
		held := bld
		ix := bld.Index()
		runtime.ReadMemStats(&ms1)
		both := heapAfterGC()
		runtime.KeepAlive(&held)
		after := heapAfterGC()
		if ix.Len() != n {
			b.Fatalf("indexed %d", ix.Len())
		}
		runtime.KeepAlive(ix)
		live = float64(after-before) / n
		peak = float64(both-before) / n
		alloc = float64(ms1.TotalAlloc-ms0.TotalAlloc) / n
	}
	b.ReportMetric(live, "B/record-live")
	b.ReportMetric(peak, "B/record-peak")
	b.ReportMetric(alloc, "B/record-alloc")
}
