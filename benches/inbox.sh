#!/usr/bin/env bash
# Durable-ingest benchmark: the inbox receiver (axum Inboxed<Toran>) with group
# commit beside one-commit-per-request, on SQLite (synchronous=FULL) and on
# PostgreSQL (pool of 8), and beside the plain Webhook<Toran> receiver; req/s
# and time-to-2xx p50/p99 at $CONCURRENCY concurrent requests, all rows in one
# run, printed as a Markdown table with the ratios the issue targets.
#
#   benches/inbox.sh                           # 10 s per row, 64 concurrent
#   DURATION=2 benches/inbox.sh                # a smoke run
#   CONCURRENCY=32 PG_POOL=8 benches/inbox.sh
#   PROFILE=dev DURATION=1 benches/inbox.sh   # smoke only: debug build, figures meaningless
#
# PostgreSQL: HOOKSEAL_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
# the run creates a database of its own and drops it. Only 127.0.0.1. Exits
# non-zero on any non-2xx answer.
set -euo pipefail
cd "$(dirname "$0")/inbox"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/../../target}
PROFILE=${PROFILE:-release}
cargo build --profile "$PROFILE" --quiet
DIR=$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")
exec "$CARGO_TARGET_DIR/$DIR/hookseal-inbox-bench"
