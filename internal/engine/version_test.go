package engine

import "testing"

// A build records the module version it was built at (go install
// …@vX.Y.Z); without one, the tool says it is a development build.
func TestModuleVersion(t *testing.T) {
	for _, tc := range []struct{ v, want string }{
		{"v1.2.3", "1.2.3"},
		{"v0.0.0-20261128172301-3c0aa2ab1234+dirty", "0.0.0-20261128172301-3c0aa2ab1234+dirty"},
		{"(devel)", "0.1.0-dev"},
		{"", "0.1.0-dev"},
	} {
		if got := moduleVersion(tc.v, "0.1.0-dev"); got != tc.want {
			t.Errorf("moduleVersion(%q) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
