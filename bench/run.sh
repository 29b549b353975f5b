#!/usr/bin/env bash
# Throughput benchmark of sentinel-check's file source (`make bench`).
#
# Generates (once, cached under bench/out/) a trail of at least 2 GiB of
# uncompressed CloudTrail JSON with its session export, and a 4x larger one,
# builds the binary, then measures on the same files:
#   check     sentinel-check check over the trail (policy examples/policy.hcl)
#   read      reading the same files with the product's file source alone (no
#             policy, sessions or report): where the check's time goes
#   gunzip    decompressing the same files in Go and nothing else, with the
#             product's gzip decoder (internal/gunzip) and the same number of
#             workers (the floor)
#   gunzip-klauspost   the same with klauspost/compress, Go's fastest gzip
#             library: the floor a check built on it would have
#   zcat      single-threaded zcat of the same files to /dev/null
#   jq        zcat FILES | jq -c '.Records[] | select(...)': what a user
#             would otherwise write to extract the assume-role events
#   check-4x, read-4x, gunzip-4x   the same on the 4x larger trail (memory
#             growth: of the whole check, and of the file source alone)
#   check-4x-1x-sessions   the check of the 4x trail with the 2 GiB trail's
#             session export: the growth that the trail alone causes
#   check-small, gunzip-small, jq-small   check, floor and jq on a trail of
#             files of 16 records (~20 KB of JSON: the median size of real
#             CloudTrail files, where the large trail's files hold 2,000),
#             where the cost of each file shows
# Each line is run BENCH_REPS times, interleaved with the others; the table
# shows the fastest run (with the CPU other processes used meanwhile) and
# the median, and the ratios use both. The runs are also checked to agree:
# the records and assume-role events that the check, the generator's
# summary and the jq pipeline count must be the same.
#
# Settings (environment):
#   BENCH_RECORDS   records of the 2 GiB trail (default 1750000, ~2.2 GB)
#   BENCH_REPS      runs of each timing line (default 3)
#   BENCH_JQ_REPS   runs of the jq pipeline, the slowest line (default BENCH_REPS)
#   BENCH_LARGE     0 skips the 4x trail (default 1)
#   BENCH_SMALL     records of the trail of small files (default 400000,
#                   25,000 files, ~0.5 GB); 0 skips it
#   BENCH_WORKERS   files decoded at once by check and gunzip (default: CPUs)
#   BENCH_SIMD      0 builds without GOEXPERIMENT=simd: the scalar JSON scanner
#                   (default 1: the AVX2 scanner when the toolchain has it)
#   BENCH_QUIET     before each run, wait up to this long for other processes
#                   to leave the CPUs idle (default 10s; 0 does not wait)
# The "others" column is the CPU time other processes used during a run: on
# a shared machine, a run with a large figure there was slowed down by them.
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS=${BENCH_RECORDS:-1750000}
REPS=${BENCH_REPS:-3}
JQ_REPS=${BENCH_JQ_REPS:-$REPS}
LARGE=${BENCH_LARGE:-1}
SMALL=${BENCH_SMALL:-400000}
WORKERS=${BENCH_WORKERS:-$(nproc)}
QUIET=${BENCH_QUIET:-10s}
SIMD=${BENCH_SIMD:-1}
OUT=bench/out
BIN=$OUT/bin
SINCE=2026-11-16T00:00:00Z # trailgen's default start and 7-day span
UNTIL=2026-11-23T00:00:00Z
JQ_FILTER='.Records[] | select(.eventSource == "sts.amazonaws.com" and (.eventName | test("^AssumeRole")))'

for tool in go zcat jq; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench: $tool is not installed; install it (jq and zcat: apt-get install jq gzip) and run again" >&2
    exit 1
  fi
done

mkdir -p "$BIN"
# The JSON scanner has an AVX2 path built with GOEXPERIMENT=simd; measure it
# when the toolchain has the experiment (the binary still checks the CPU)
# unless BENCH_SIMD=0.
if [ "$SIMD" != 0 ] && scripts/has-simd; then
  export GOEXPERIMENT=simd
  if grep -qw avx2 /proc/cpuinfo; then BUILD="GOEXPERIMENT=simd (the CPU has AVX2: vector scanner)"; else BUILD="GOEXPERIMENT=simd (the CPU has no AVX2: scalar scanner)"; fi
else
  BUILD="default (scalar scanner: BENCH_SIMD=0 or the toolchain has no GOEXPERIMENT=simd)"
fi
echo "== building: $BUILD"
go build -o "$BIN/sentinel-check" ./cmd/sentinel-check
go build -o "$BIN/trailgen" ./internal/trailgen/cmd/trailgen
go build -o "$BIN/measure" ./bench/cmd/measure
go build -o "$BIN/gunzipall" ./bench/cmd/gunzipall
go build -o "$BIN/readtrail" ./bench/cmd/readtrail

# A trail is cached under a name that holds its size and a hash of the
# generator's source, so a changed generator writes a new one.
GEN=$(find internal/trailgen -maxdepth 1 -name "*.go" ! -name "*_test.go" -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-12)

# trail N [PER]: prints the folder of a generated trail of N records, PER
# records a file (default 2000).
trail() {
  local n=$1 per=${2:-2000} dir="$OUT/trail-$1-$GEN"
  [ "$per" = 2000 ] || dir="$OUT/trail-$1-per-$per-$GEN"
  if [ ! -s "$dir/summary.json" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    echo "== generating $n records into $dir" >&2
    "$BIN/trailgen" -out "$dir/logs" -records "$n" -files $((n / per)) -seed 1 \
      -sessions "$dir/sessions.jsonl" >"$dir/summary.tmp"
    mv "$dir/summary.tmp" "$dir/summary.json"
  fi
  find "$dir/logs" -name '*.json.gz' -print0 | sort -z >"$dir/files0"
  echo "$dir"
}

T1=$(trail "$RECORDS")
RAW1=$(jq .raw_bytes "$T1/summary.json")
if [ "$RAW1" -lt $((2 << 30)) ]; then
  echo "bench: the trail holds $RAW1 bytes of JSON, less than 2 GiB; raise BENCH_RECORDS" >&2
  exit 1
fi
TRAILS=("$T1")
if [ "$LARGE" != 0 ]; then
  T4=$(trail $((RECORDS * 4)))
  TRAILS+=("$T4")
fi
if [ "$SMALL" != 0 ]; then
  TS=$(trail "$SMALL" 16)
  TRAILS+=("$TS")
fi
# Remove trails of other sizes or generator versions.
for d in "$OUT"/trail-*; do
  keep=0
  for t in "${TRAILS[@]}"; do [ "$d" = "$t" ] && keep=1; done
  [ "$keep" = 1 ] || rm -rf "$d"
done

echo "== results equal the straightforward decoder's (go test -run Reference ./cloudtrail)"
go test -count=1 -run Reference ./cloudtrail

RES=$OUT/runs.tsv
: >"$RES"
M=("$BIN/measure" -o "$RES" -quiet "$QUIET")

# check LABEL TRAIL [SESSIONS REPORT]: the whole check, its JSON report kept
# for the checks below (with SESSIONS, another session export).
run_check() {
  "${M[@]}" -label "$1" -- "$BIN/sentinel-check" check --policy examples/policy.hcl \
    --cloudtrail "$2/logs" --sessions "${3:-$2/sessions.jsonl}" --since "$SINCE" --until "$UNTIL" \
    --workers "$WORKERS" --fail-on none --format "json=${4:-$2/check.json}"
}
run_read() {
  "${M[@]}" -label "$1" -- "$BIN/readtrail" -workers "$WORKERS" "$2/logs" >"$2/read.txt"
}
# run_jq LABEL TRAIL: the jq pipeline on the trail's files, its output kept in
# $OUT/LABEL.out for the check below.
run_jq() {
  # shellcheck disable=SC2016 # expanded by the inner shell
  "${M[@]}" -label "$1" -- bash -c 'set -o pipefail; xargs -0 zcat <"$1" | jq -c "$2" >"$3"' \
    bash "$2/files0" "$JQ_FILTER" "$OUT/$1.out"
}
run_gunzip() {
  "${M[@]}" -label "$1" -- "$BIN/gunzipall" -workers "$WORKERS" "${@:3}" "$2/logs" >"$2/gunzip.txt"
}

for t in "${TRAILS[@]}"; do xargs -0 cat <"$t/files0" >/dev/null; done # warm the page cache
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
echo "== measuring: $REPS runs of each line ($JQ_REPS of jq), $WORKERS workers, load average $load_before"
for ((r = 1; r <= REPS || r <= JQ_REPS; r++)); do
  echo "-- run $r" >&2
  if ((r <= REPS)); then
    run_gunzip gunzip "$T1"
    run_gunzip gunzip-klauspost "$T1" -lib klauspost
    run_check check "$T1"
    run_read read "$T1"
    # shellcheck disable=SC2016 # expanded by the inner shell
    "${M[@]}" -label zcat -- sh -c 'xargs -0 zcat <"$1" >/dev/null' sh "$T1/files0"
  fi
  if ((r <= JQ_REPS)); then
    run_jq jq "$T1"
  fi
  if [ "$LARGE" != 0 ] && ((r <= REPS)); then
    run_gunzip gunzip-4x "$T4"
    run_check check-4x "$T4"
    run_check check-4x-1x-sessions "$T4" "$T1/sessions.jsonl" "$T4/check-1x-sessions.json"
    run_read read-4x "$T4"
  fi
  if [ "$SMALL" != 0 ] && ((r <= REPS)); then
    run_gunzip gunzip-small "$TS"
    run_check check-small "$TS"
    run_jq jq-small "$TS"
  fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# The runs must agree with the generator and with each other.
agree() {
  local t=$1 want_rec want_ar
  want_rec=$(jq .records "$t/summary.json")
  want_ar=$(jq .assume_role "$t/summary.json")
  local got
  got=$(jq -r '.sources.totals | "\(.records) \(.assume_role_events) \(.outside_window) \(.records_skipped) \(.unreadable)"' "$t/check.json")
  if [ "$got" != "$want_rec $want_ar 0 0 0" ]; then
    echo "bench: check of $t read records, assume-role events, outside window, skipped, unreadable = $got; the generator wrote $want_rec records, $want_ar assume-role" >&2
    exit 1
  fi
  got=$(cut -d' ' -f4,6 "$t/read.txt" 2>/dev/null || true)
  if [ -e "$t/read.txt" ] && [ "$got" != "$want_rec $want_ar" ]; then
    echo "bench: readtrail of $t read records and assume-role = $got; the generator wrote $want_rec, $want_ar" >&2
    exit 1
  fi
  got=$(cut -d' ' -f4 "$t/gunzip.txt")
  if [ "$got" != "$(jq .raw_bytes "$t/summary.json")" ]; then
    echo "bench: gunzipall decompressed $got bytes of $t, the generator wrote $(jq .raw_bytes "$t/summary.json")" >&2
    exit 1
  fi
}
agree "$T1"
[ "$LARGE" = 0 ] || agree "$T4"
[ "$SMALL" = 0 ] || agree "$TS"
# agree_jq LABEL TRAIL: the jq pipeline found the trail's assume-role events.
agree_jq() {
  local got want
  got=$(wc -l <"$OUT/$1.out")
  want=$(jq .assume_role "$2/summary.json")
  if [ "$got" != "$want" ]; then
    echo "bench: the jq pipeline found $got assume-role events in $2, the generator wrote $want" >&2
    exit 1
  fi
}
agree_jq jq "$T1"
[ "$SMALL" = 0 ] || agree_jq jq-small "$TS"

# Figures of the runs (columns: 2 wall, 3 CPU, 4 peak RSS, 5 others' CPU).
# best LABEL COLUMN: the column of the fastest run of LABEL (other processes
# only ever slow a run down); med LABEL: the median wall time; peak LABEL:
# the highest peak RSS of all runs.
best() {
  awk -F'\t' -v l="$1" -v c="$2" '$1 == l && (w == "" || $2 + 0 < w + 0) { w = $2; v = $c } END { print (w == "" ? "nan" : v) }' "$RES"
}
# med LABEL [COLUMN]: the median of a column (default: wall time) over the runs.
med() {
  awk -F'\t' -v l="$1" -v c="${2:-2}" '$1 == l { print $c }' "$RES" | sort -n |
    awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
peak() { awk -F'\t' -v l="$1" '$1 == l && $4 + 0 > p + 0 { p = $4 } END { print p }' "$RES"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

gb() { awk -v b="$1" 'BEGIN { printf "%.2f GB", b / 1e9 }'; }
echo
echo "== sentinel-check throughput"
echo "build:    $BUILD"
echo "machine:  $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(go version | cut -d' ' -f3), $WORKERS workers"
echo "load:     $load_before before, $load_after after ($(($(date +%s) - started)) s of runs)"
echo "trail:    $(jq .files "$T1/summary.json") files, $(jq .records "$T1/summary.json") records, $(gb "$RAW1") JSON, $(gb "$(jq .bytes "$T1/summary.json")") gzipped, $(jq .assume_role "$T1/summary.json") assume-role events"
if [ "$LARGE" != 0 ]; then
  echo "4x trail: $(jq .files "$T4/summary.json") files, $(jq .records "$T4/summary.json") records, $(gb "$(jq .raw_bytes "$T4/summary.json")") JSON"
fi
if [ "$SMALL" != 0 ]; then
  echo "small:    $(jq .files "$TS/summary.json") files, $(jq .records "$TS/summary.json") records, $(gb "$(jq .raw_bytes "$TS/summary.json")") JSON, $(gb "$(jq .bytes "$TS/summary.json")") gzipped"
fi
echo
printf '%-21s %8s %9s %8s %9s %8s\n' "" "wall s" "median s" "CPU s" "others s" "peak RSS"
labels=(check read gunzip gunzip-klauspost zcat jq)
[ "$LARGE" = 0 ] || labels+=(check-4x check-4x-1x-sessions read-4x gunzip-4x)
[ "$SMALL" = 0 ] || labels+=(check-small gunzip-small jq-small)
for l in "${labels[@]}"; do
  printf '%-21s %8s %9s %8s %9s %5s MB\n' "$l" "$(best "$l" 2)" "$(med "$l")" "$(best "$l" 3)" "$(best "$l" 5)" "$(peak "$l")"
done
echo "(wall, CPU and others' CPU of the fastest of $REPS runs, $JQ_REPS for jq; median wall of all; highest peak RSS)"
echo
echo "check / gunzip floor:  $(ratio "$(best check 2)" "$(best gunzip 2)")x wall (medians $(ratio "$(med check)" "$(med gunzip)")x), $(ratio "$(best check 3)" "$(best gunzip 3)")x CPU   (target <= 1.25x wall)"
echo "check / klauspost:     $(ratio "$(best check 2)" "$(best gunzip-klauspost 2)")x wall (medians $(ratio "$(med check)" "$(med gunzip-klauspost)")x), $(ratio "$(best check 3)" "$(best gunzip-klauspost 3)")x CPU   (the floor of klauspost/compress, Go's fastest gzip library)"
echo "klauspost / gunzip:    $(ratio "$(best gunzip-klauspost 2)" "$(best gunzip 2)")x wall   (the product's decoder against klauspost/compress)"
echo "read / gunzip floor:   $(ratio "$(best read 2)" "$(best gunzip 2)")x wall, $(ratio "$(best read 3)" "$(best gunzip 3)")x CPU   (the file source alone)"
echo "check / zcat:          $(ratio "$(best check 2)" "$(best zcat 2)")x wall (medians $(ratio "$(med check)" "$(med zcat)")x)   (target <= 1.25x)"
echo "jq / check:            $(ratio "$(best jq 2)" "$(best check 2)")x wall (medians $(ratio "$(med jq)" "$(med check)")x)   (target >= 20x)"
echo "check peak RSS:        $(peak check) MB   (target < 150 MB)"
if [ "$LARGE" != 0 ]; then
  echo "check-4x / gunzip-4x:  $(ratio "$(best check-4x 2)" "$(best gunzip-4x 2)")x wall (medians $(ratio "$(med check-4x)" "$(med gunzip-4x)")x)"
  echo "RSS growth at 4x:      $(ratio "$(peak check-4x)" "$(peak check)")x ($(peak check-4x) MB; medians $(ratio "$(med check-4x 4)" "$(med check 4)")x)   (target <= 1.10x)"
  echo "  with the 1x export:  $(ratio "$(peak check-4x-1x-sessions)" "$(peak check)")x ($(peak check-4x-1x-sessions) MB; medians $(ratio "$(med check-4x-1x-sessions 4)" "$(med check 4)")x)   (the 4x trail checked with the 2 GiB trail's session export: what the trail alone adds)"
  echo "read RSS growth at 4x: $(ratio "$(peak read-4x)" "$(peak read)")x ($(peak read-4x) MB)   (the file source alone: the streaming part)"
  per_session=$(awk -v p4="$(peak check-4x)" -v p1="$(peak check)" -v s4="$(jq .sessions "$T4/summary.json")" -v s1="$(jq .sessions "$T1/summary.json")" \
    'BEGIN { printf "%.0f", (p4 - p1) * 1e6 / (s4 - s1) }')
  echo "RSS per added session: $per_session B   (check-4x minus check peak RSS per added session record: the assume-role events are kept in --event-buffer and on disk, the session index in memory)"
fi
if [ "$SMALL" != 0 ]; then
  echo "small files:           check / gunzip floor $(ratio "$(best check-small 2)" "$(best gunzip-small 2)")x wall (medians $(ratio "$(med check-small)" "$(med gunzip-small)")x), jq / check $(ratio "$(best jq-small 2)" "$(best check-small 2)")x, jq / gunzip floor $(ratio "$(best jq-small 2)" "$(best gunzip-small 2)")x   (files of 16 records: each file costs the floor and the check as much as tens of KB of JSON)"
fi
echo "runs: $RES"
