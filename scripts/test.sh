#!/usr/bin/env bash
# Runs every test: installs the test services (dynalite, s3rver, the SARIF
# multitool) from npm when they are missing, then vet and the Go tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool ] || [ ! -d node_modules/dynalite ] || [ ! -d node_modules/s3rver ]; then
  npm ci --no-audit --no-fund
fi
# npm does not run the multitool's install script (it only sets the execute bit).
chmod +x node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -count=1 ./... "$@"
# The JSON scanner's AVX2 path is built only with GOEXPERIMENT=simd: test it
# too when the toolchain has the experiment.
if GOEXPERIMENT=simd go list simd/archsimd >/dev/null 2>&1; then
  GOEXPERIMENT=simd go vet ./cloudtrail
  GOEXPERIMENT=simd go test -count=1 ./cloudtrail "$@"
fi
