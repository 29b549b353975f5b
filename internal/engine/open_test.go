package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// A mistyped scheme is a usage error that shows the source meant, not a
// missing file with advice about paths; a file that has such a name is
// still read as a file.
func TestSourceSchemeTypos(t *testing.T) {
	env := &Env{}
	for _, tc := range []struct{ spec, want string }{
		{"s3:/bucket/AWSLogs", `did you mean "s3://bucket/AWSLogs"?`},
		{"s3:bucket", `did you mean "s3://bucket"?`},
		{"athena:/wg/db.t", `did you mean "athena://wg/db.t"?`},
		{"lookups:", `did you mean "lookup:"?`},
		{"Lookup:eu-west-1", `did you mean "lookup:eu-west-1"?`},
		{"S3://bucket", "unknown CloudTrail source"},
		{"ftp://host/x", "unknown CloudTrail source"},
	} {
		_, err := OpenCloudTrail(context.Background(), tc.spec, nil, env)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want a usage error with %q", tc.spec, err, tc.want)
		}
	}
	for _, tc := range []struct{ spec, want string }{
		{"dynamodb:sentinel-sessions", `did you mean "dynamodb://sentinel-sessions"?`},
		{"DynamoDB:/t", `did you mean "dynamodb://t"?`},
		{"dynamodb://", "needs a table name"},
	} {
		_, err := OpenSessions(context.Background(), tc.spec, env)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want a usage error with %q", tc.spec, err, tc.want)
		}
	}
	// Files with such names are files.
	t.Chdir(t.TempDir())
	for _, name := range []string{"s3:trail", "athena:old"} {
		if err := os.Mkdir(name, 0o755); err != nil {
			t.Skip("this file system does not take ':' in names")
		}
		if _, err := OpenCloudTrail(context.Background(), name, nil, env); err != nil {
			t.Errorf("%s (a folder): %v", name, err)
		}
	}
	os.WriteFile(filepath.Join(".", "dynamodb:export.json"), []byte("[]"), 0o644)
	if _, err := OpenSessions(context.Background(), "dynamodb:export.json", env); err != nil {
		t.Errorf("dynamodb:export.json (a file): %v", err)
	}
}

// The S3 source gets the flags' settings, else the cloudtrail block's
// accounts and regions.
func TestS3Options(t *testing.T) {
	cfg := &policyhcl.CloudTrailConfig{Accounts: []string{"111122223333"}, Regions: []string{"eu-west-1"}}
	opts := s3Options(cfg, &Env{S3Prefetch: -1, Files: cloudtrail.FileOptions{Workers: 3}})
	if opts.Prefetch != -1 || opts.Files.Workers != 3 || !slices.Equal(opts.Accounts, cfg.Accounts) || !slices.Equal(opts.Regions, []string{"eu-west-1", "us-east-1"}) {
		t.Errorf("from the block: %+v", opts)
	}
	opts = s3Options(cfg, &Env{S3Prefetch: 8, Accounts: []string{"444455556666"}, Regions: []string{"all"}})
	if opts.Prefetch != 8 || !slices.Equal(opts.Accounts, []string{"444455556666"}) || !slices.Equal(opts.Regions, []string{"all"}) {
		t.Errorf("from the flags: %+v", opts)
	}
}
