// Package awsmsg words AWS SDK errors for users: the pieces that the
// CloudTrail sources and the session stores share.
package awsmsg

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// IsCredentialLookup reports whether err comes from finding credentials,
// before any request was sent.
func IsCredentialLookup(err error) bool {
	s := err.Error()
	return strings.Contains(s, "failed to retrieve credentials") ||
		strings.Contains(s, "failed to refresh cached credentials") ||
		strings.Contains(s, "no EC2 IMDS role found")
}

// NoCredentials is the message for a call that found no credentials; what
// names the call, err is the lookup error.
func NoCredentials(what string, err error) string {
	return fmt.Sprintf("no usable AWS credentials were found%s (%s); set AWS_PROFILE (run `aws sso login` for an SSO profile), "+
		"export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or in GitHub Actions run aws-actions/configure-aws-credentials "+
		"with OIDC (permissions: id-token: write) before sentinel-check", what, Innermost(err))
}

// Innermost is the message of the deepest error in the chain (the SDK's
// outer layers repeat the operation name and the request id), on one
// bounded line.
func Innermost(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return Clip(err.Error())
		}
		err = next
	}
}

// Clip bounds a message from AWS to 300 characters and keeps it on one line.
func Clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const limit = 300
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + "…"
	}
	return s
}

var notAuthorizedRE = regexp.MustCompile(`not authorized to perform: ([A-Za-z0-9-]+:[A-Za-z0-9*]+)`)

// RefusedAction is the IAM action that an AWS access-denied message names
// ("User: … is not authorized to perform: kms:Decrypt on …"), or "". It
// can be another service's than the call's: reading an object of a bucket
// encrypted with a KMS key needs kms:Decrypt on that key too.
func RefusedAction(msg string) string {
	if m := notAuthorizedRE.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}
