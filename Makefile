# The two commands of the README: `make demo` runs a check on the bundled
# example, `make test` runs every test (it installs the test services first).
GO ?= go

.PHONY: demo test build bench fuzz lint

demo:
	$(GO) run ./cmd/sentinel-check check --policy examples/policy.hcl --sessions examples/sessions.jsonl --since 2026-11-16T00:00:00Z --until 2026-11-23T00:00:00Z

test:
	./scripts/test.sh

build:
	$(GO) build -o bin/sentinel-check ./cmd/sentinel-check

bench:
	./bench/run.sh

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...
