package awsmsg

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMessages(t *testing.T) {
	inner := errors.New("request to EC2 IMDS failed")
	err := fmt.Errorf("operation error DynamoDB: DescribeTable, get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found: %w", inner)
	if !IsCredentialLookup(err) || IsCredentialLookup(errors.New("AccessDenied")) {
		t.Error("IsCredentialLookup does not tell a credential lookup from a refused call")
	}
	if got := Innermost(err); got != "request to EC2 IMDS failed" {
		t.Errorf("Innermost = %q", got)
	}
	msg := NoCredentials(" for dynamodb:DescribeTable", err)
	for _, want := range []string{"no usable AWS credentials were found for dynamodb:DescribeTable (request to EC2 IMDS failed)", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "configure-aws-credentials"} {
		if !strings.Contains(msg, want) {
			t.Errorf("NoCredentials = %q, want it to hold %q", msg, want)
		}
	}
	long := Clip(strings.Repeat("é ", 400) + "\n\tend")
	if n := len([]rune(long)); n != 301 || strings.ContainsAny(long, "\n\t") {
		t.Errorf("Clip kept %d runes or a line break: %q", n, long)
	}
}

func TestRefusedAction(t *testing.T) {
	for msg, want := range map[string]string{
		"User: arn:aws:sts::111122223333:assumed-role/ci/run is not authorized to perform: kms:Decrypt on the resource associated with this ciphertext": "kms:Decrypt",
		"User: arn:aws:iam::111122223333:user/x is not authorized to perform: s3:ListBucket on resource: \"arn:aws:s3:::b\"":                            "s3:ListBucket",
		"Access Denied":   "",
		"not authorized":  "",
		"":                "",
		"perform: s3:Get": "",
	} {
		if got := RefusedAction(msg); got != want {
			t.Errorf("RefusedAction(%q) = %q, want %q", msg, got, want)
		}
	}
}
