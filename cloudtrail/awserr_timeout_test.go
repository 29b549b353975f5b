package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// An HTTP timeout (net/http's "timeout awaiting response headers" is a
// context.DeadlineExceeded) names the object or page that timed out; a
// cancelled run stays a bare cancellation.
func TestAWSErrorTimeoutNamesTheSource(t *testing.T) {
	call := AWSCall{Source: "s3://b/AWSLogs/k.json.gz", Action: "s3:GetObject", Region: "us-east-1"}
	err := AWSError(call, fmt.Errorf("operation error S3: GetObject, exceeded maximum number of attempts, 3: %w", context.DeadlineExceeded))
	var se *SourceError
	if !errors.As(err, &se) || se.Source != call.Source || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "s3:GetObject in us-east-1 got no answer in time") {
		t.Errorf("timeout: %v, want a *SourceError naming %s that says it got no answer in time", err, call.Source)
	}
	if err := AWSError(call, fmt.Errorf("op: %w", context.Canceled)); errors.As(err, new(*SourceError)) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancellation: %v, want it unchanged", err)
	}
}
