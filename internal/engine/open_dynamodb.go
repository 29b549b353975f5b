package engine

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sentinel-check/sentinel-check/sessions"
)

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
