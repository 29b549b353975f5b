package policyhcl

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func BenchmarkLoadSpecExample(b *testing.B) {
	src := map[string][]byte{"policy.hcl": []byte(specExample)}
	for b.Loop() {
		if _, diags := LoadSources(src, Options{KnownChecks: knownChecks}); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

// BenchmarkLoadManyProfiles loads 1,000 profiles with wildcard role_arns
// that do not overlap: the pairwise overlap check dominates.
func BenchmarkLoadManyProfiles(b *testing.B) {
	var sb strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&sb, "profile \"p%d\" {\n  role_arns = [\"arn:aws:iam::%012d:role/Admin\", \"arn:aws:iam::*:role/team-%d-*\"]\n}\n", i, 100000000000+i, i)
	}
	sb.WriteString("rule \"r\" {\n  effect = \"require_server\"\n}\n")
	src := map[string][]byte{"policy.hcl": []byte(sb.String())}
	for b.Loop() {
		if _, diags := LoadSources(src, Options{}); len(diags) != 0 {
			b.Fatal(diags)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	p := mustLoad(b, map[string]string{"p.hcl": evalPolicy})
	req := Request{Profile: "prod-ro", User: "bob", HasUser: true, Time: time.Date(2024, 6, 5, 19, 30, 0, 0, time.UTC), Mode: ModeServer}
	for b.Loop() {
		if p.Evaluate(req) == nil {
			b.Fatal("no rule")
		}
	}
}

func BenchmarkProfileFor(b *testing.B) {
	p := mustLoad(b, map[string]string{"p.hcl": evalPolicy})
	for b.Loop() {
		if p.ProfileFor("arn:aws:iam::444455556666:role/team/Developer") == nil {
			b.Fatal("no profile")
		}
	}
}

func BenchmarkParseSourceIdentity(b *testing.B) {
	var p *Policy
	for b.Loop() {
		if _, ok := p.ParseSourceIdentity("sentinel:alice:0a1b2c3d"); !ok {
			b.Fatal("not parsed")
		}
	}
}
