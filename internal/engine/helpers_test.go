package engine

import (
	"testing"

	"github.com/sentinel-check/sentinel-check/policyhcl"
)

// prodProfile is a profile, prod, of one role; prodRequired adds a rule
// that its sessions must be tracked.
const (
	prodProfile  = `profile "prod" { role_arns = ["arn:aws:iam::111122223333:role/Prod"] }` + "\n"
	prodRequired = prodProfile + `rule "prod" {
  effect   = "require_server_session"
  profiles = ["prod"]
}
`
)

// policyOf loads a policy from its text; an error fails the test.
func policyOf(t *testing.T, src string) *policyhcl.Policy {
	t.Helper()
	pol, diags := policyhcl.LoadSources(map[string][]byte{"p.hcl": []byte(src)}, policyhcl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return pol
}
