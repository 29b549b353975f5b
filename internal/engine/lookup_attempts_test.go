package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/cloudtrail/cloudtrailtest"
	"github.com/sentinel-check/sentinel-check/internal/testsvc"
)

// AWS_MAX_ATTEMPTS bounds LookupEvents' attempts like every other call's:
// a throttled region gives up after that many.
func TestLookupHonoursMaxAttempts(t *testing.T) {
	srv := cloudtrailtest.NewLookupServer(t, nil, cloudtrailtest.LookupServerOptions{ThrottleFirst: 1000, Rate: 100, Burst: 100})
	env := &Env{Regions: []string{"us-east-1"}, LoadAWS: func(context.Context, string) (aws.Config, error) {
		cfg := testsvc.AWSConfig(t, srv.URL)
		cfg.RetryMaxAttempts = 2
		return cfg, nil
	}}
	src, err := OpenCloudTrail(context.Background(), "lookup:", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, err = src.Read(context.Background(), cloudtrail.Query{Start: now.Add(-time.Hour), End: now}, func(cloudtrail.Event) {})
	var se *cloudtrail.SourceError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *SourceError", err)
	}
	// The first stream to give up stops the others.
	per := map[string]int{}
	most := 0
	for _, r := range srv.Requests() {
		per[r.EventName]++
		most = max(most, per[r.EventName])
	}
	if most != 2 {
		t.Errorf("attempts per event name: %v, want at most 2 and one stream with 2", per)
	}
}
