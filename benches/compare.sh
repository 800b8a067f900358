#!/usr/bin/env bash
# Runs hookseal's benchmarks and prints ONE table of ratios: ours against
# baselines measured in the same run (absolute times drift on shared machines,
# ratios of neighbours much less).
#
#   benches/compare.sh                 # 3 rounds, 3 s per benchmark per round
#   ROUNDS=5 MEASURE=5 benches/compare.sh
#   CLOCK=wall benches/compare.sh      # wall time instead of the bench thread's CPU time
#
# Each round runs the criterion benches `verify` and `verify_parse` of
# hookseal-core once; every ratio is computed within a round from criterion's
# point estimate (STAT=median by default, or mean) in
# $CARGO_TARGET_DIR/criterion/<group>/<function>/<param>/new/estimates.json,
# and the table shows the median ratio over the rounds and its range.
# Then the `allocs` bench counts allocations (it exits non-zero if `verify`
# allocates at all, and so does this script).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
MEASURE=${MEASURE:-3}
WARMUP=${WARMUP:-1}
STAT=${STAT:-median}
CLOCK=${CLOCK:-cpu}
export HOOKSEAL_BENCH_CLOCK=$CLOCK
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
CRITERION="$TARGET_DIR/criterion"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

say() { printf '%s\n' "$*" >&2; }

say "== building benches"
cargo bench -p hookseal-core --bench verify --bench verify_parse --bench allocs --no-run >&2 2>"$WORK/build.log" \
    || { cat "$WORK/build.log" >&2; exit 1; }

for round in $(seq 1 "$ROUNDS"); do
    say "== round $round/$ROUNDS ($(uptime | sed 's/.*load/load/'))"
    rm -rf "$CRITERION/verify" "$CRITERION/verify_parse"
    cargo bench -q -p hookseal-core --bench verify --bench verify_parse -- \
        --warm-up-time "$WARMUP" --measurement-time "$MEASURE" --noplot >"$WORK/round$round.log" 2>&1 \
        || { cat "$WORK/round$round.log" >&2; exit 1; }
    python3 benches/ratios.py snapshot "$CRITERION" "$STAT" >"$WORK/round$round.json"
done

say "== allocations"
if ! cargo bench -q -p hookseal-core --bench allocs >"$WORK/allocs.txt" 2>&1; then
    cat "$WORK/allocs.txt" >&2
    say "allocs bench FAILED (verify allocated?)"
    exit 1
fi

# End-to-end rows (axum/actix receivers under wrk): benches/e2e.sh writes
# "e2e<TAB>label<TAB>ours req/s<TAB>baseline req/s<TAB>target" lines to
# "$WORK/e2e.tsv" and ratios.py adds them to the table's end-to-end section.
# E2E=0 skips it; E2E_ROUNDS / E2E_DURATION tune it (3 rounds of 10 s by default).
: >"$WORK/e2e.tsv"
if [ "${E2E:-1}" != 0 ]; then
    say "== end-to-end (benches/e2e.sh)"
    ROUNDS=${E2E_ROUNDS:-3} DURATION=${E2E_DURATION:-10} E2E_TSV="$WORK/e2e.tsv" benches/e2e.sh >&2
fi

python3 benches/ratios.py table "$STAT" "$WORK/allocs.txt" "$WORK/e2e.tsv" "$WORK"/round*.json
say "(machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), sha_ni: $(grep -q sha_ni /proc/cpuinfo && echo yes || echo no); $(uptime | sed 's/.*load/load/'))"
