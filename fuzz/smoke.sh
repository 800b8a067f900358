#!/usr/bin/env bash
# Runs every fuzz target for a short fixed time on its committed corpus and
# fails on any crash, hang (one input over 10 s) or out-of-memory.
#
#   bash fuzz/smoke.sh            # 20 s per target
#   FUZZ_SECONDS=300 bash fuzz/smoke.sh
#
# Builds once with cargo-fuzz (installed with `cargo install` if missing),
# on the nightly toolchain when there is one. Without nightly it falls back
# to stable with RUSTC_BOOTSTRAP=1 and no sanitizer: coverage-guided fuzzing
# and every property still work; only AddressSanitizer is lost, which matters
# little for code under `forbid(unsafe_code)`.
#
# New inputs go to a temporary directory, so the committed corpus is never
# modified; crash inputs are written to fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-20}"
unset CARGO_TARGET_DIR # cargo-fuzz builds into fuzz/target

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "smoke: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if cargo +nightly --version >/dev/null 2>&1; then
    toolchain=(+nightly)
    sanitizer=address
else
    echo "smoke: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1 and no sanitizer"
    toolchain=()
    sanitizer=none
    export RUSTC_BOOTSTRAP=1
fi

cargo "${toolchain[@]}" fuzz build --sanitizer "$sanitizer"

host="$(rustc "${toolchain[@]}" -vV | sed -n 's/^host: //p')"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

failed=()
for target in $(cargo "${toolchain[@]}" fuzz list); do
    mkdir -p "corpus/$target" "artifacts/$target" "$scratch/$target"
    # The parse targets also start from the fixtures and samples (the corpora
    # were minimized against them, so they are not stored twice).
    seeds=()
    case "$target" in
        parse_custom) seeds=(../crates/hookseal-core/samples/*/) ;;
        parse_*) seeds=("../tests/fixtures/${target#parse_}/" "../crates/hookseal-core/samples/${target#parse_}/") ;;
    esac
    log="$scratch/$target.log"
    start=$SECONDS
    if "target/$host/release/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="artifacts/$target/" \
        "$scratch/$target" "corpus/$target" "${seeds[@]}" >"$log" 2>&1; then
        runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
        echo "smoke: $target ok: ${runs:-?} runs in $((SECONDS - start)) s"
    else
        echo "smoke: $target FAILED; its log:"
        tail -n 60 "$log"
        failed+=("$target")
    fi
done

if ((${#failed[@]})); then
    echo "smoke: crashes in: ${failed[*]} (inputs under fuzz/artifacts/)"
    exit 1
fi
echo "smoke: all targets ran ${seconds} s without a crash"
