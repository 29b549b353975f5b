package engine

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
	"github.com/sentinel-check/sentinel-check/sessions"
)

func openS3(ctx context.Context, spec string, cfg *policyhcl.CloudTrailConfig, env *Env) (cloudtrail.Source, error) {
	return nil, &UsageError{fmt.Errorf("%s: the S3 source is not available yet", spec)}
}

func openLookup(ctx context.Context, spec string, cfg *policyhcl.CloudTrailConfig, env *Env) (cloudtrail.Source, error) {
	return nil, &UsageError{fmt.Errorf("%s: the LookupEvents source is not available yet", spec)}
}

func openAthena(ctx context.Context, spec string, cfg *policyhcl.CloudTrailConfig, env *Env) (cloudtrail.Source, error) {
	return nil, &UsageError{fmt.Errorf("%s: the Athena source is not available yet", spec)}
}

func openDynamo(ctx context.Context, table, region string, env *Env) (sessions.Store, error) {
	awsCfg, err := env.AWS(ctx)
	if err != nil {
		return nil, &SourceError{Source: "dynamodb://" + table, Err: err}
	}
	client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if region != "" {
			o.Region = region
		}
	})
	return sessions.NewDynamoStore(client, sessions.DynamoOptions{Table: table}), nil
}
