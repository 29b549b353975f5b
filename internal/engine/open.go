package engine

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
	"github.com/sentinel-check/sentinel-check/sessions"
)

// Env is what opening a source may need: AWS configuration (loaded once,
// only when an AWS source is used) and reading options.
type Env struct {
	// Region overrides the SDK's region for AWS clients ("" = SDK default).
	Region string
	// Regions are the --region values (LookupEvents reads each; "all" = every enabled region).
	Regions []string
	// Accounts are the --account values (S3 layout filter).
	Accounts []string
	// Files configures the file and S3 decoders.
	Files cloudtrail.FileOptions
	// S3Prefetch is the S3 source's cloudtrail.S3Options.Prefetch: log
	// files downloaded at once ahead of their decoding (0: the default;
	// -1: none).
	S3Prefetch int
	// LoadAWS loads the SDK configuration; nil = config.LoadDefaultConfig.
	LoadAWS func(ctx context.Context, region string) (aws.Config, error)
	// Timeout bounds how long an AWS request waits for a response, or for
	// more of its body (0 = DefaultAWSTimeout).
	Timeout time.Duration

	once   sync.Once
	awsCfg aws.Config
	awsErr error
}

// AWS returns the SDK configuration from the default chain (profiles, SSO,
// web identity, AWS_ENDPOINT_URL), loaded on first use.
func (e *Env) AWS(ctx context.Context) (aws.Config, error) {
	e.once.Do(func() {
		load := e.LoadAWS
		if load == nil {
			load = func(ctx context.Context, region string) (aws.Config, error) {
				// The SDK's own log lines (IMDS fallbacks of the credential
				// chain, retried checksums, deprecations) would reach stderr
				// unformatted; errors that matter come back as errors. The
				// logger is set here so that the credential providers built
				// while loading get it too.
				opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{}), config.WithClientLogMode(0)}
				if region != "" {
					opts = append(opts, config.WithRegion(region))
				}
				return config.LoadDefaultConfig(ctx, opts...)
			}
		}
		e.awsCfg, e.awsErr = load(ctx, e.Region)
		if e.awsErr != nil {
			e.awsErr = fmt.Errorf("loading the AWS configuration: %w; set AWS_PROFILE, AWS_REGION or credentials as for the AWS CLI", e.awsErr)
			return
		}
		timeout := e.Timeout
		if timeout <= 0 {
			timeout = DefaultAWSTimeout
		}
		e.awsCfg.HTTPClient = withTimeouts(e.awsCfg.HTTPClient, timeout, max(idleConnsPerHost, e.S3Prefetch+idleConnsPerHost/2))
		// Also for a configuration from LoadAWS.
		e.awsCfg.Logger = logging.Nop{}
		e.awsCfg.ClientLogMode = 0
	})
	return e.awsCfg, e.awsErr
}

// OpenCloudTrail opens a --cloudtrail source: a path (folder or files),
// s3://BUCKET/PREFIX, lookup: or athena://WORKGROUP/DATABASE.TABLE.
func OpenCloudTrail(ctx context.Context, spec string, cfg *policyhcl.CloudTrailConfig, env *Env) (cloudtrail.Source, error) {
	switch {
	case strings.HasPrefix(spec, "s3://"):
		return openS3(ctx, spec, cfg, env)
	case spec == "lookup:" || strings.HasPrefix(spec, "lookup:"):
		return openLookup(ctx, spec, cfg, env)
	case strings.HasPrefix(spec, "athena://"):
		return openAthena(ctx, spec, cfg, env)
	case strings.Contains(spec, "://"):
		return nil, &UsageError{fmt.Errorf("unknown CloudTrail source %q: use a path, s3://BUCKET/PREFIX, lookup: or athena://WORKGROUP/DATABASE.TABLE", spec)}
	case spec == "":
		return nil, &UsageError{fmt.Errorf("empty CloudTrail source: use a path, s3://BUCKET/PREFIX, lookup: or athena://WORKGROUP/DATABASE.TABLE")}
	}
	if err := schemeTypo(spec, "s3://", "athena://", "lookup:"); err != nil {
		return nil, err
	}
	return cloudtrail.NewFileSource([]string{spec}, env.Files), nil
}

// schemeTypo is a usage error for a source that no file has as its path
// and that starts like one of schemes, mistyped ("s3:/bucket",
// "S3://bucket", "lookups:"): read as a path, it would fail as a missing
// file with advice about paths.
func schemeTypo(spec string, schemes ...string) error {
	name, _, ok := strings.Cut(spec, ":")
	if !ok {
		return nil
	}
	if _, err := os.Lstat(spec); err == nil {
		return nil
	}
	for _, sc := range schemes {
		want := strings.TrimRight(sc, ":/")
		if strings.EqualFold(name, want) || strings.EqualFold(strings.TrimSuffix(name, "s"), want) {
			rest := strings.TrimLeft(spec[len(name)+1:], "/")
			if sc == "lookup:" {
				return &UsageError{fmt.Errorf("%q is not a source: did you mean %q? (lookup: or lookup:REGION,REGION)", spec, "lookup:"+rest)}
			}
			return &UsageError{fmt.Errorf("%q is not a source: did you mean %q?", spec, sc+rest)}
		}
	}
	return nil
}

// OpenSessions opens a --sessions source: a file or dynamodb://TABLE.
func OpenSessions(ctx context.Context, spec string, env *Env) (sessions.Store, error) {
	if table, ok := strings.CutPrefix(spec, "dynamodb://"); ok {
		if table == "" {
			return nil, &UsageError{fmt.Errorf("dynamodb:// needs a table name, e.g. dynamodb://%s", sessions.DefaultTable)}
		}
		return openDynamo(ctx, table, "", env)
	}
	if strings.Contains(spec, "://") || spec == "" {
		return nil, &UsageError{fmt.Errorf("unknown sessions source %q: use a file (JSON array, JSON Lines or DynamoDB export) or dynamodb://TABLE", spec)}
	}
	if err := schemeTypo(spec, "dynamodb://"); err != nil {
		return nil, err
	}
	return sessions.NewFileStore(spec), nil
}

// OpenSessionTable opens a policy's session_table block as a DynamoDB store.
func OpenSessionTable(ctx context.Context, st *policyhcl.SessionTable, env *Env) (sessions.Store, error) {
	return openDynamo(ctx, st.Name, st.Region, env)
}
