package sessions

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/sentinel-check/sentinel-check/internal/awsmsg"
)

// Every error a Store's Load returns means the session source could not be
// read whole (exit code 3 in the CLI). Two types carry the details:
//
//   - *SourceError: a file that cannot be opened or is not valid JSON, with
//     the line where reading stopped;
//   - *AccessError: AWS refused or could not find what the store needs
//     (access denied, table missing, credentials expired or rejected). It
//     names the IAM action and the resource, so the message says what to
//     grant or fix.
//
// Use errors.As to tell them apart.

// SourceError is a session source that could not be read: a file, or an AWS
// call that failed for a reason other than access.
type SourceError struct {
	Source string // path, or dynamodb://table
	Line   int    // 1-based line of a file where reading stopped; 0 if none
	Err    error
}

func (e *SourceError) Error() string {
	if e.Line > 0 {
		return e.Source + ":" + strconv.Itoa(e.Line) + ": " + e.Err.Error()
	}
	return e.Source + ": " + e.Err.Error()
}

func (e *SourceError) Unwrap() error { return e.Err }

// AccessProblem says why AWS refused a call.
type AccessProblem int

// Access problems.
const (
	AccessDenied       AccessProblem = iota + 1 // the caller lacks the IAM action
	NotFound                                    // the table (or index) does not exist in the region
	CredentialsExpired                          // the session token has expired
	CredentialsInvalid                          // the keys are unknown or the signature is wrong
	CredentialsMissing                          // no credentials were found before any call
)

// AccessError is an AWS call refused for a reason the user can fix: a
// missing IAM permission, a table that does not exist in the region, or
// expired or invalid credentials.
type AccessError struct {
	Problem  AccessProblem
	Action   string // the IAM action of the refused call, e.g. "dynamodb:Scan"
	Resource string // what it was called on, e.g. `table "sentinel-sessions"`
	Region   string
	Code     string // the AWS error code, e.g. AccessDeniedException
	Err      error
}

func (e *AccessError) Error() string {
	switch e.Problem {
	case AccessDenied:
		var api interface{ ErrorMessage() string }
		apiMsg := ""
		if errors.As(e.Err, &api) {
			apiMsg = api.ErrorMessage()
		}
		msg := fmt.Sprintf("%s on %s in region %s was denied (%s): allow the IAM action %q on the table for these credentials",
			e.Action, e.Resource, e.Region, e.Code, e.Action)
		if a := awsmsg.RefusedAction(apiMsg); a != "" && a != e.Action {
			// Another service's action, such as kms:Decrypt on the
			// key of a table encrypted with a customer managed key.
			msg = fmt.Sprintf("%s on %s in region %s was denied (%s): allow the IAM action %q for these credentials, which %s needs",
				e.Action, e.Resource, e.Region, e.Code, a, e.Action)
		}
		if apiMsg != "" {
			msg += " (AWS: " + awsmsg.Clip(apiMsg) + ")"
		}
		return msg
	case NotFound:
		return fmt.Sprintf("%s not found in region %s (%s): check the table name and the region (--region or the session_table block's region)",
			e.Resource, e.Region, e.Code)
	case CredentialsExpired:
		return fmt.Sprintf("AWS credentials have expired (%s on %s: %s): refresh them (e.g. aws sso login) and run again",
			e.Action, e.Resource, e.Code)
	case CredentialsInvalid:
		return fmt.Sprintf("AWS credentials were rejected (%s on %s: %s): check the profile or the AWS_* environment variables",
			e.Action, e.Resource, e.Code)
	case CredentialsMissing:
		return awsmsg.NoCredentials(" for "+e.Action+" on "+e.Resource, e.Err)
	}
	return fmt.Sprintf("%s on %s in region %s failed: %v", e.Action, e.Resource, e.Region, e.Err)
}

func (e *AccessError) Unwrap() error { return e.Err }
