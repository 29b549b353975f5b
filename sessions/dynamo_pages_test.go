package sessions

import (
	"context"
	"errors"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

// A table that answers every page with the same LastEvaluatedKey would
// make the reader loop for ever: it fails instead, naming the table.
func TestDynamoRepeatedLastEvaluatedKey(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := `{"Items":[],"Count":0,"ScannedCount":0,"LastEvaluatedKey":{"id":{"S":"r1"},"profile":{"S":"prod"},"created_at":{"S":"2026-11-18T00:00:00Z"}}}`
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".DescribeTable") {
			body = `{"Table":{"TableName":"t","TableStatus":"ACTIVE","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],` +
				`"GlobalSecondaryIndexes":[{"IndexName":"gsi-profile","IndexStatus":"ACTIVE","Projection":{"ProjectionType":"ALL"}}]}}`
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
		w.Write([]byte(body))
	}))
	defer srv.Close()
	store := NewDynamoStore(dynamodb.NewFromConfig(testsvc.AWSConfig(t, srv.URL)), DynamoOptions{Table: "t", Segments: 2})
	now := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	for _, q := range []Query{
		{Profiles: []string{"prod"}, Start: now.Add(-time.Hour), End: now}, // Query gsi-profile
		{Start: now.Add(-time.Hour), End: now},                             // Scan
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, _, err := loadAll(ctx, store, q)
		cancel()
		var se *SourceError
		if !errors.As(err, &se) || se.Source != "dynamodb://t" || !strings.Contains(err.Error(), "same LastEvaluatedKey twice") {
			t.Errorf("profiles %v: err = %v, want a *SourceError naming dynamodb://t and the repeated key", q.Profiles, err)
		}
	}
}
