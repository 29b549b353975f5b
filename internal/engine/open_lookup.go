package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	ctapi "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sentinel-check/sentinel-check/cloudtrail"
	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// openLookup opens lookup: (or lookup:REGION[,REGION…]). The regions read
// are, in this order of precedence: those after "lookup:", the --region
// flags, the cloudtrail block's regions, the SDK's region. "all" means every
// region enabled in the account (account:ListRegions).
func openLookup(ctx context.Context, spec string, cfg *policyhcl.CloudTrailConfig, env *Env) (cloudtrail.Source, error) {
	var regions []string
	for _, r := range strings.Split(strings.TrimPrefix(spec, "lookup:"), ",") {
		if r = strings.TrimSpace(r); r != "" {
			regions = append(regions, r)
		}
	}
	if err := cloudtrail.ValidateRegions(regions); err != nil {
		return nil, &UsageError{fmt.Errorf("%s: %w", spec, err)}
	}
	// The regions asked for elsewhere (--region, else the block's
	// regions) and those the source names must agree: the first filter
	// what is read, so a region the source names must not be dropped by
	// them, and a region they ask for must be read (lookup:us-east-1 with
	// --region eu-west-1 would read us-east-1 alone and say nothing of
	// eu-west-1; --region all asks for every region).
	asked, where := env.Regions, "--region"
	if len(asked) == 0 && cfg != nil {
		asked, where = cfg.Regions, "the cloudtrail block's regions"
	}
	if len(regions) > 0 && len(asked) > 0 && !slices.Contains(regions, "all") {
		if !slices.Contains(asked, "all") {
			allowed := cloudtrail.WithGlobalRegion(asked)
			for _, r := range regions {
				if !slices.Contains(allowed, r) {
					return nil, &UsageError{fmt.Errorf("%s names the region %s, which %s %s leaves out; make them agree (name the regions in one place)", spec, r, where, strings.Join(asked, ", "))}
				}
			}
		}
		named := cloudtrail.WithGlobalRegion(regions)
		for _, r := range asked {
			if !slices.Contains(named, r) {
				return nil, &UsageError{fmt.Errorf("%s %s asks for the region %s, which %s does not read; make them agree (name the regions in one place)", where, strings.Join(asked, ", "), r, spec)}
			}
		}
	}
	if len(regions) == 0 {
		regions = env.Regions
	}
	if len(regions) == 0 && cfg != nil {
		regions = cfg.Regions
	}
	awsCfg, err := env.AWS(ctx)
	if err != nil {
		return nil, &SourceError{Source: spec, Err: err}
	}
	coverage := ""
	if len(regions) == 0 {
		if awsCfg.Region == "" {
			return nil, &UsageError{errors.New("lookup: needs a region: pass --region REGION (repeatable) or --region all, or set AWS_REGION")}
		}
		regions = cloudtrail.WithGlobalRegion([]string{awsCfg.Region})
		// Not the user's choice: say what was not read.
		coverage = fmt.Sprintf("only %s were read (the AWS configuration's region and the global STS endpoint's), so sessions opened through the STS endpoints of other regions are not seen; pass --region all, or name the regions",
			strings.Join(regions, " and "))
	}
	regions = cloudtrail.WithGlobalRegion(regions)
	var (
		mu      sync.Mutex
		clients = map[string]cloudtrail.LookupAPI{}
	)
	client := func(region string) cloudtrail.LookupAPI {
		mu.Lock()
		defer mu.Unlock()
		if c, ok := clients[region]; ok {
			return c
		}
		c := ctapi.NewFromConfig(awsCfg, func(o *ctapi.Options) { o.Region = region })
		clients[region] = c
		return c
	}
	return cloudtrail.NewLookupSource(client, regions, cloudtrail.LookupOptions{
		Coverage: coverage,
		// AWS_MAX_ATTEMPTS (max_attempts in the profile) bounds these
		// attempts too, as it does every other AWS call.
		MaxAttempts:    awsCfg.RetryMaxAttempts,
		SkipUnreadable: env.Files.SkipUnreadable,
		Progress:       env.Files.Progress,
		ListRegions: func(ctx context.Context) ([]string, error) {
			return cloudtrail.ListEnabledRegions(ctx, account.NewFromConfig(awsCfg))
		},
		CallerAccount: func(ctx context.Context) (string, error) {
			// GetCallerIdentity needs no permission. It is asked in a
			// region LookupEvents reads, whose partition (GovCloud, China)
			// the credentials belong to.
			region := firstRegion(regions)
			if region == "" {
				region = awsCfg.Region
			}
			if region == "" {
				region = "us-east-1"
			}
			out, err := sts.NewFromConfig(awsCfg, func(o *sts.Options) { o.Region = region }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Account), nil
		},
	}), nil
}

// firstRegion is the first region of a list that names one ("all" does
// not), or "".
func firstRegion(regions []string) string {
	for _, r := range regions {
		if r != "all" {
			return r
		}
	}
	return ""
}
