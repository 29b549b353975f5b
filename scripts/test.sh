#!/usr/bin/env bash
# Runs every test: installs the test services (dynalite, s3rver, the SARIF
# multitool) from npm, and the tools the Action's tests use (shellcheck, jq)
# and gcc (the DuckDB test of the Athena query) when they are missing, then
# gofmt, vet and the Go tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool ] || [ ! -d node_modules/dynalite ] || [ ! -d node_modules/s3rver ]; then
  npm ci --no-audit --no-fund --ignore-scripts --no-update-notifier
fi
# No package's install script runs (--ignore-scripts): the multitool's only sets
# the execute bit, and dynalite keeps its tables in memory without the
# native LevelDB build.
chmod +x node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool

# The GitHub Action's tests lint its scripts with shellcheck and run them
# (the action reads its report with jq). Install them with apt-get when we
# can; otherwise those tests fail and say what to install.
missing=()
for tool in shellcheck jq; do command -v "$tool" >/dev/null || missing+=("$tool"); done
# The Athena query's test in DuckDB links DuckDB's C library (cgo).
command -v gcc >/dev/null || missing+=(gcc)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "warning: ${missing[*]} not found; install them (apt-get install ${missing[*]}, brew install ${missing[*]}) or the tests that need them fail (the GitHub Action's, the Athena query in DuckDB)" >&2
  fi
fi

# shellcheck disable=SC2046 # the file list is meant to split into arguments
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
# go.mod and go.sum list what the code imports, no more and no less.
if ! go mod tidy -diff >/dev/null; then
  echo "go.mod or go.sum is not tidy; run: go mod tidy" >&2
  go mod tidy -diff >&2 || true
  exit 1
fi
go vet ./...
# The CLI runs on macOS and Windows too: its code and tests must build there.
GOOS=darwin go vet ./...
GOOS=windows go vet ./...
go test -count=1 ./... "$@"
# The JSON scanner's AVX2 path is built only with GOEXPERIMENT=simd: test it
# too when the toolchain has the experiment.
if scripts/has-simd; then
  GOEXPERIMENT=simd go vet ./cloudtrail
  GOEXPERIMENT=simd go test -count=1 ./cloudtrail "$@"
fi
# The JSON library comparison is a module of its own (its libraries stay out
# of the main module): its tests check that every library extracts the same
# events as the product and rejects the same malformed documents.
(cd bench/decoders && GOFLAGS=-mod=mod go vet . && GOFLAGS=-mod=mod go test -count=1 -run . .)
# The Athena source's SQL runs in DuckDB, a real SQL engine, over the same
# records the file source reads (a module of its own: DuckDB's cgo bindings
# stay out of the main module).
(cd cloudtrail/duckdbtest && GOFLAGS=-mod=mod go vet -tags duckdb . && GOFLAGS=-mod=mod go test -tags duckdb -count=1 .)
