package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sdkError wraps an API error the way the SDK returns it.
func sdkError(service, op string, status int, err error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}}, Err: err},
		RequestID:     "req-1",
	}}
}

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func TestAWSError(t *testing.T) {
	call := AWSCall{Source: "dynamodb://sentinel-sessions", Action: "dynamodb:Query", Resource: `table "sentinel-sessions"`, Region: "eu-west-1"}
	for _, tc := range []struct {
		name string
		err  error
		want []string
		not  []string
	}{
		{"access denied", sdkError("DynamoDB", "Query", 400, apiErr("AccessDeniedException",
			"User: arn:aws:sts::111122223333:assumed-role/ci/run is not authorized to perform: dynamodb:Query")),
			[]string{"access denied (AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/ci/run is not authorized",
				"lacks the IAM permission dynamodb:Query on table \"sentinel-sessions\" in eu-west-1", DocsIAM}, []string{"req-1"}},
		// A bucket encrypted with a KMS key: AWS names kms:Decrypt, not
		// the call's own action.
		{"access denied by the key", sdkError("S3", "GetObject", 403, apiErr("AccessDenied",
			"User: arn:aws:sts::111122223333:assumed-role/ci/run is not authorized to perform: kms:Decrypt on the resource associated with this ciphertext because no identity-based policy allows the kms:Decrypt action")),
			[]string{"lacks the IAM permission kms:Decrypt, which dynamodb:Query on table \"sentinel-sessions\" in eu-west-1 needs", DocsIAM},
			[]string{"lacks the IAM permission dynamodb:Query"}},
		{"bare 403", sdkError("S3", "HeadBucket", 403, errors.New("no body")), []string{"access denied (HTTP 403)", "dynamodb:Query"}, nil},
		{"missing table", sdkError("DynamoDB", "Query", 400, apiErr("ResourceNotFoundException", "Requested resource not found")),
			[]string{`table "sentinel-sessions" does not exist in eu-west-1 (ResourceNotFoundException: Requested resource not found)`, "--region"}, nil},
		{"expired", sdkError("DynamoDB", "Query", 400, apiErr("ExpiredTokenException", "The security token included in the request is expired")),
			[]string{"credentials have expired (ExpiredTokenException", "aws sso login", "aws-actions/configure-aws-credentials"}, nil},
		{"expired 403", sdkError("S3", "ListObjectsV2", 403, apiErr("ExpiredToken", "The provided token has expired.")),
			[]string{"credentials have expired (ExpiredToken"}, []string{"access denied"}},
		{"invalid", sdkError("S3", "ListObjectsV2", 403, apiErr("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")),
			[]string{"credentials are not valid (InvalidAccessKeyId"}, []string{"access denied"}},
		{"throttled", &retry.MaxAttemptsError{Attempt: 8, Err: sdkError("DynamoDB", "Query", 400, apiErr("ThrottlingException", "Rate exceeded"))},
			[]string{"AWS kept throttling dynamodb:Query in eu-west-1: still refused after 8 attempts (ThrottlingException: Rate exceeded)", "run again later"}, nil},
		{"sso", fmt.Errorf("get identity: %w", &ssocreds.InvalidTokenError{Err: errors.New("token expired")}),
			[]string{"SSO session has expired", "aws sso login"}, nil},
		{"no region", fmt.Errorf("resolve endpoint: %w", &aws.MissingRegionError{}), []string{"no AWS region is set", "--region", "AWS_REGION"}, nil},
		{"no credentials", errors.New("operation error DynamoDB: Query, get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, canceled"),
			[]string{"no usable AWS credentials were found", "AWS_PROFILE", "id-token: write"}, nil},
		{"network", sdkError("DynamoDB", "Query", 0, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}),
			[]string{"cannot reach AWS for dynamodb:Query in eu-west-1", "connection refused", "AWS_ENDPOINT_URL"}, nil},
		{"clock", sdkError("S3", "ListObjectsV2", 403, apiErr("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")),
			[]string{"clock is off (RequestTimeTooSkewed", "NTP"}, []string{"access denied"}},
		{"archived", sdkError("S3", "GetObject", 403, apiErr("InvalidObjectState", "The operation is not valid for the object's storage class")),
			[]string{"is archived (InvalidObjectState", "restore it"}, []string{"access denied"}},
		{"other code", sdkError("DynamoDB", "Query", 400, apiErr("ValidationException", "bad key")),
			[]string{"dynamodb:Query in eu-west-1 failed (ValidationException: bad key)"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := AWSError(call, tc.err)
			var se *SourceError
			if !errors.As(err, &se) || se.Source != call.Source {
				t.Fatalf("AWSError = %v, want a *SourceError for %s", err, call.Source)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("the SDK's error is not in the chain of %v", err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(msg, n) {
					t.Errorf("message %q says %q", msg, n)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("message spans lines: %q", msg)
			}
		})
	}
	if AWSError(call, nil) != nil {
		t.Error("AWSError(nil) != nil")
	}
	if err := AWSError(call, fmt.Errorf("op: %w", context.Canceled)); !errors.Is(err, context.Canceled) || errors.As(err, new(*SourceError)) {
		t.Errorf("a cancellation became %v", err)
	}
	inner := &SourceError{Source: "s3://b/k", Err: errors.New("x")}
	if err := AWSError(call, inner); err != inner {
		t.Errorf("a *SourceError was wrapped again: %v", err)
	}
	long := AWSError(call, apiErr("AccessDenied", strings.Repeat("é", 1000)))
	if n := len([]rune(long.Error())); n > 700 {
		t.Errorf("a long AWS message is not clipped: %d runes", n)
	}
}
