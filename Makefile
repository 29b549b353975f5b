# The two commands of the README: `make demo` runs a check on the bundled
# example, `make test` runs every test (it installs the test services first).
GO ?= go

.PHONY: demo test build bench fuzz lint

# The example has findings, so the check exits 1; demo reports the code and
# succeeds when it is 0 or 1 (2 and 3 are real failures).
demo: build
	@code=0; bin/sentinel-check check --policy examples/policy.hcl --sessions examples/sessions.jsonl \
	  --since 2026-11-16T00:00:00Z --until 2026-11-23T00:00:00Z || code=$$?; \
	echo "exit code $$code (0 = compliant, 1 = findings, 2 = usage or policy error, 3 = unreadable source)"; \
	[ $$code -le 1 ]

test:
	./scripts/test.sh

# The JSON scanner's AVX2 path is built with GOEXPERIMENT=simd when the
# toolchain has the experiment (the binary still checks the CPU).
SIMD = $(shell GO=$(GO) scripts/has-simd && echo GOEXPERIMENT=simd)

build:
	$(SIMD) $(GO) build -o bin/sentinel-check ./cmd/sentinel-check

bench:
	./bench/run.sh

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...
