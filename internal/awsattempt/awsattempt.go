// Package awsattempt runs a function before every attempt of an AWS SDK
// request, retries included: the sources count their requests with it (a
// throttled call retried by the SDK is several requests) and pace them.
package awsattempt

import (
	"context"

	"github.com/aws/smithy-go/middleware"
)

// hook is a finalize middleware that runs before every attempt of a
// request, after the SDK's retry loop and before signing.
type hook struct {
	before func(ctx context.Context) error
}

func (hook) ID() string { return "sentinelCheckAttempt" }

func (h hook) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	if err := h.before(ctx); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	return next.HandleFinalize(ctx, in)
}

// Hook returns an API option (for a client's Options.APIOptions) that calls
// before ahead of every attempt (the first one and each retry); an error
// from before ends the request with it.
func Hook(before func(ctx context.Context) error) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		h := hook{before: before}
		if _, ok := stack.Finalize.Get("Signing"); ok {
			return stack.Finalize.Insert(h, "Signing", middleware.Before)
		}
		return stack.Finalize.Add(h, middleware.After)
	}
}
