package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"

	"github.com/sentinel-check/sentinel-check/internal/awsmsg"
)

// DocsIAM is where the minimal read-only IAM policies are documented.
const DocsIAM = "docs/aws.md"

// AWSCall describes an AWS request for error messages: what was being read
// and the IAM action the request needs.
type AWSCall struct {
	// Source names what was being read, e.g. s3://bucket/prefix,
	// s3://bucket/key, lookup:eu-west-1 or dynamodb://table. It becomes
	// the SourceError's Source.
	Source string
	// Action is the IAM action the request needs, e.g. s3:ListBucket,
	// cloudtrail:LookupEvents, dynamodb:Query.
	Action string
	// Resource names what the request was made on, for messages: `bucket
	// "trail-logs"`, `table "sentinel-sessions"`. Empty: Source is used.
	Resource string
	// Region is the AWS region the request went to, if known.
	Region string
}

// AWSError turns an error of an AWS SDK call into a *SourceError whose
// message says what went wrong and what to do: an access denial names the
// missing IAM action, a missing bucket or table is named, expired or invalid
// credentials say how to refresh them, exhausted throttling retries say so.
// The SDK's error stays reachable with errors.As (smithy.APIError,
// *retry.MaxAttemptsError, …). A nil error stays nil; a cancelled context
// is returned unchanged.
func AWSError(c AWSCall, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var se *SourceError
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// The HTTP client's timeouts (no response headers, a stalled body)
		// are deadlines too: name the source. A caller that set a deadline
		// on its context still finds context.DeadlineExceeded in the chain.
		return &SourceError{Source: c.Source, Err: &awsError{msg: fmt.Sprintf(
			"%s%s got no answer in time (%s); the service or the network is slow: run again, or raise --aws-timeout",
			actionOr(c.Action), c.where(), awsmsg.Innermost(err)), err: err}}
	}
	return &SourceError{Source: c.Source, Err: &awsError{msg: c.message(err), err: err}}
}

// awsError is an actionable message over the SDK's error.
type awsError struct {
	msg string
	err error
}

func (e *awsError) Error() string { return e.msg }
func (e *awsError) Unwrap() error { return e.err }

// Error codes by what they mean.
var (
	accessDeniedCodes = codes("AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
		"Forbidden", "AuthorizationError", "UnauthorizedException", "AllAccessDisabled",
		"InsufficientPermissionsException")
	expiredCodes = codes("ExpiredToken", "ExpiredTokenException", "RequestExpired",
		"TokenRefreshRequired", "InvalidToken")
	invalidCredentialCodes = codes("InvalidClientTokenId", "UnrecognizedClientException",
		"InvalidAccessKeyId", "SignatureDoesNotMatch", "AuthFailure", "InvalidSignatureException",
		"IncompleteSignature", "MissingAuthenticationToken", "MissingAuthenticationTokenException")
	notFoundCodes = codes("NoSuchBucket", "NotFound", "ResourceNotFoundException",
		"TrailNotFoundException", "EntityNotFoundException", "NoSuchKey")
)

func codes(cs ...string) map[string]bool {
	m := make(map[string]bool, len(cs))
	for _, c := range cs {
		m[c] = true
	}
	return m
}

func (c AWSCall) what() string {
	if c.Resource != "" {
		return c.Resource
	}
	return c.Source
}

func (c AWSCall) where() string {
	if c.Region == "" {
		return ""
	}
	return " in " + c.Region
}

// message builds the actionable text for err.
func (c AWSCall) message(err error) string {
	var tokenErr *ssocreds.InvalidTokenError
	if errors.As(err, &tokenErr) {
		return "the AWS SSO session has expired or is invalid; run `aws sso login` with the same AWS_PROFILE and try again"
	}
	var regionErr *aws.MissingRegionError
	if errors.As(err, &regionErr) {
		return "no AWS region is set; pass --region or set AWS_REGION (or a region in the AWS profile)"
	}
	if awsmsg.IsCredentialLookup(err) {
		return awsmsg.NoCredentials("", err)
	}

	code, apiMsg, refused := "", "", ""
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code, apiMsg = apiErr.ErrorCode(), awsmsg.Clip(apiErr.ErrorMessage())
		refused = awsmsg.RefusedAction(apiErr.ErrorMessage())
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	detail := code
	if apiMsg != "" && apiMsg != code {
		detail = code + ": " + apiMsg
	}
	var maxErr *retry.MaxAttemptsError
	exhausted := errors.As(err, &maxErr)

	switch {
	case code == "RequestTimeTooSkewed" || (code == "InvalidSignatureException" && strings.Contains(apiMsg, "Signature expired")):
		return fmt.Sprintf("AWS refused the request because this machine's clock is off (%s); set the clock right (NTP) and run again", detail)
	case code == "InvalidObjectState":
		return "the object is archived (InvalidObjectState: an S3 Glacier storage class): restore it (s3:RestoreObject), " +
			"read a window whose logs are not archived, or query the trail with athena://"
	case accessDeniedCodes[code] || (code == "" && status == http.StatusForbidden) ||
		(code != "" && status == http.StatusForbidden && !expiredCodes[code] && !invalidCredentialCodes[code]):
		if detail == "" {
			detail = "HTTP 403"
		}
		if refused != "" && refused != c.Action {
			// AWS names another action than the call's: kms:Decrypt
			// on the key that encrypts the objects.
			return fmt.Sprintf("access denied (%s): the AWS identity in use lacks the IAM permission %s, which %s on %s%s needs; "+
				"grant it (%s lists the minimal read-only policy for each source)", detail, refused, actionOr(c.Action), c.what(), c.where(), DocsIAM)
		}
		action := c.Action
		if action == "" {
			action = "the action"
		}
		return fmt.Sprintf("access denied (%s): the AWS identity in use lacks the IAM permission %s on %s%s; "+
			"grant it (%s lists the minimal read-only policy for each source)", detail, action, c.what(), c.where(), DocsIAM)
	case expiredCodes[code]:
		return fmt.Sprintf("the AWS credentials have expired (%s); refresh them: run `aws sso login` for an SSO profile, "+
			"renew the session of AWS_PROFILE, or in GitHub Actions run aws-actions/configure-aws-credentials again before sentinel-check", detail)
	case invalidCredentialCodes[code]:
		return fmt.Sprintf("the AWS credentials are not valid (%s); check AWS_PROFILE and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, "+
			"or run `aws sso login` for an SSO profile", detail)
	case notFoundCodes[code] || (code == "" && status == http.StatusNotFound):
		if detail == "" {
			detail = "HTTP 404"
		}
		return fmt.Sprintf("%s does not exist%s (%s); check the name and the region (--region, AWS_REGION)", c.what(), c.where(), detail)
	case exhausted && (retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary):
		return fmt.Sprintf("AWS kept throttling %s%s: still refused after %d attempts (%s); another program may be calling "+
			"the same API in this account and region, run again later", actionOr(c.Action), c.where(), maxErr.Attempt, detail)
	case code != "":
		return fmt.Sprintf("%s%s failed (%s)", actionOr(c.Action), c.where(), detail)
	}
	if status != 0 {
		return fmt.Sprintf("%s%s failed with HTTP %d: %s", actionOr(c.Action), c.where(), status, awsmsg.Innermost(err))
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.As(err, new(*net.OpError)) || errors.As(err, new(*net.DNSError)) {
		return fmt.Sprintf("cannot reach AWS for %s%s (%s); check the network, the region and AWS_ENDPOINT_URL", actionOr(c.Action), c.where(), awsmsg.Innermost(err))
	}
	return fmt.Sprintf("%s%s failed: %s", actionOr(c.Action), c.where(), awsmsg.Innermost(err))
}

func actionOr(a string) string {
	if a == "" {
		return "the AWS request"
	}
	return a
}
