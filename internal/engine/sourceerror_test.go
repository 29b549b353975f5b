package engine

import (
	"errors"
	"testing"

	"github.com/sentinel-check/sentinel-check/sessions"
)

// A session source's error names it once, with the line where it applies.
func TestSourceErrorNamesSessionSourceOnce(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&sessions.SourceError{Source: "dynamodb://t", Err: errors.New("throttled")}, "cannot read dynamodb://t: throttled"},
		{&sessions.SourceError{Source: "s.jsonl", Line: 7, Err: errors.New("not JSON")}, "cannot read s.jsonl:7: not JSON"},
		{errors.New("boom"), "cannot read dynamodb://t: boom"},
	} {
		if got := sourceError("dynamodb://t", tc.err).Error(); got != tc.want {
			t.Errorf("sourceError(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
