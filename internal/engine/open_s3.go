package engine

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// openS3 opens s3://BUCKET/PREFIX. Accounts and regions come from the
// flags, else from the cloudtrail block. Requests go to the bucket's own
// region (the source asks S3 for it) whatever region the SDK resolved.
func openS3(ctx context.Context, spec string, cfg *policyhcl.CloudTrailConfig, env *Env) (cloudtrail.Source, error) {
	bucket, prefix, err := cloudtrail.ParseS3URL(spec)
	if err != nil {
		return nil, &UsageError{err}
	}
	awsCfg, err := env.AWS(ctx)
	if err != nil {
		return nil, &SourceError{Source: spec, Err: err}
	}
	if awsCfg.Region == "" {
		// Any region answers where a bucket is; without one the SDK
		// cannot build an endpoint at all.
		awsCfg.Region = "us-east-1"
	}
	// A custom endpoint (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3: MinIO,
	// LocalStack, s3rver) rarely serves virtual-hosted buckets.
	pathStyle := awsCfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = o.UsePathStyle || pathStyle
	})
	return cloudtrail.NewS3Source(client, bucket, prefix, s3Options(cfg, env)), nil
}

// s3Options are the S3 source's options: the flags', else the cloudtrail
// block's accounts and regions (with the global region).
func s3Options(cfg *policyhcl.CloudTrailConfig, env *Env) cloudtrail.S3Options {
	opts := cloudtrail.S3Options{Files: env.Files, Prefetch: env.S3Prefetch}
	opts.Accounts, opts.Regions = env.Accounts, env.Regions
	if cfg != nil {
		if len(opts.Accounts) == 0 {
			opts.Accounts = cfg.Accounts
		}
		if len(opts.Regions) == 0 {
			opts.Regions = cfg.Regions
		}
	}
	opts.Regions = cloudtrail.WithGlobalRegion(opts.Regions)
	return opts
}
