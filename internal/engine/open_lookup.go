package engine

import (
	"context"
	"fmt"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

func openLookup(ctx context.Context, spec string, cfg *policyhcl.CloudTrailConfig, env *Env) (cloudtrail.Source, error) {
	return nil, &UsageError{fmt.Errorf("%s: the LookupEvents source is not available yet", spec)}
}
