#!/usr/bin/env bash
# End-to-end benchmark: requests per second of seven servers on loopback, each
# answering POST /webhooks/toran with a ~1 KiB signed Toran lead.captured:
#
#   bare            axum, the handler only reads the body
#   hand            axum, naive hand-rolled verify + parse (HeaderMap + Bytes,
#                   hmac keyed per request, hex::encode, string ==,
#                   serde_json::Value)
#   careful         axum, careful hand-rolled: HeaderMap + Bytes, HMAC keyed
#                   once, verify_slice (constant time), typed owned parse
#   floor           axum, the least a verifying receiver can do: the request
#                   taken whole, pre-keyed HMAC + verify_slice, borrowed parse
#                   (what the machine allows; the 0.8 x bare target assumes
#                   floor / bare is about 0.83)
#   hookseal-axum   axum, hookseal_axum::Webhook<Toran>
#   hookseal-actix  actix-web (1 worker), hookseal_actix::Webhook<Toran>
#   listen-quiet    `hookseal listen --quiet` (the axum reference receiver,
#                   answering a JSON summary; pinned like the others, so its
#                   runtime is current-thread, as it is on any one-CPU
#                   machine), with HOOKSEAL_SECRET_<PROVIDER> set
#
# Each server runs pinned to CPU 0 (axum on a current_thread runtime, actix
# with one worker), wrk pinned to CPU 1: `wrk -t1 -c32 -d${DURATION}s`. The
# servers are run INTERLEAVED for $ROUNDS rounds and the median req/s of each
# is reported, with ratios against bare and hand-rolled.
#
#   benches/e2e.sh                       # 3 rounds of 10 s per server
#   ROUNDS=5 DURATION=15 benches/e2e.sh
#   ROUNDS=1 DURATION=2 benches/e2e.sh   # a smoke run: does everything still answer?
#   SERVERS="careful hookseal-axum" benches/e2e.sh  # only some (the ratio rows that need others are left out)
#   E2E_TSV=/path/e2e.tsv benches/e2e.sh # also write rows for benches/ratios.py
#
# Only 127.0.0.1, on ports the servers pick themselves (port 0). Exits non-zero
# if a server does not answer the signed request with 200, if a hookseal server
# accepts a forged one, or if wrk saw errors or non-2xx answers.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
WRK_CPU=${WRK_CPU:-1}
read -r -a SERVERS <<<"${SERVERS:-bare hand careful floor hookseal-axum hookseal-actix listen-quiet}"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
BIN="$CARGO_TARGET_DIR/release/hookseal-e2e-bench"
HOOKSEAL="$CARGO_TARGET_DIR/release/hookseal"
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '%s\n' "$*" >&2; }
load() { uptime | sed 's/.*load/load/'; }

if ! command -v wrk >/dev/null; then
    say "== installing wrk"
    apt-get install -y wrk >&2 2>"$WORK/apt.log" || { apt-get update >&2 && apt-get install -y wrk >&2; }
fi
for tool in curl taskset; do
    command -v "$tool" >/dev/null || { say "$tool is required"; exit 1; }
done

say "== building benches/e2e (release, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
cargo build -q --release --manifest-path benches/e2e/Cargo.toml >&2
say "== building hookseal (release)"
cargo build -q --release -p hookseal-cli >&2
"$BIN" print-request "$WORK/req"

# Starts server $1 pinned to SERVER_CPU; sets SERVER_PID and PORT.
start() {
    : >"$WORK/server.out"
    if [ "$1" = listen-quiet ]; then
        # Each provider its own secret (the bench signs Toran only), so no fallback warning.
        local secret
        secret=$(cat "$WORK/req/secret")
        HOOKSEAL_SECRET_TOCC=$secret HOOKSEAL_SECRET_TORAN=$secret HOOKSEAL_SECRET_ZAPITO=$secret \
            HOOKSEAL_SECRET_TUCO=$secret HOOKSEAL_SECRET_CONNECTGAIN=$secret \
            taskset -c "$SERVER_CPU" "$HOOKSEAL" listen --quiet --addr 127.0.0.1:0 \
            >"$WORK/server.out" 2>"$WORK/server.err" &
    else
        taskset -c "$SERVER_CPU" "$BIN" "$1" 0 >"$WORK/server.out" 2>"$WORK/server.err" &
    fi
    SERVER_PID=$!
    PORT=
    for _ in $(seq 1 100); do  # at most ~10 s
        PORT=$(sed -n -e 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
            -e 's|^listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$WORK/server.out")
        [ -n "$PORT" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    say "server $1 did not start"; cat "$WORK/server.err" >&2; exit 1
}

stop() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# POSTs the body with the headers in file $2 to the running server; prints the status.
post() {
    local args=()
    while IFS= read -r line; do args+=(-H "$line"); done <"$1"
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${args[@]}" --data-binary "@$WORK/req/body.json" \
        "http://127.0.0.1:$PORT/webhooks/toran"
}

ZEROS=0000000000000000000000000000000000000000000000000000000000000000
sed "s/^\(X-Toran-Signature: sha256=\).*/\1$ZEROS/" "$WORK/req/headers.txt" >"$WORK/req/forged.txt"
cmp -s "$WORK/req/headers.txt" "$WORK/req/forged.txt" && { say "could not forge a signature"; exit 1; }

say "== checking every server answers the signed request 200 (and hookseal/hand refuse a forged one 401)"
for server in "${SERVERS[@]}"; do
    start "$server"
    code=$(post "$WORK/req/headers.txt")
    [ "$code" = 200 ] || { say "$server answered $code to the signed request, not 200"; exit 1; }
    if [ "$server" != bare ]; then
        code=$(post "$WORK/req/forged.txt")
        [ "$code" = 401 ] || { say "$server answered $code to a forged signature, not 401"; exit 1; }
    fi
    stop
    say "   $server: ok"
done

for round in $(seq 1 "$ROUNDS"); do
    say "== round $round/$ROUNDS ($(load))"
    for server in "${SERVERS[@]}"; do
        start "$server"
        out="$WORK/wrk-$server-$round.txt"
        timeout $((DURATION + 30)) taskset -c "$WRK_CPU" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s \
            -s "$WORK/req/post.lua" "http://127.0.0.1:$PORT/webhooks/toran" >"$out"
        # The server's CPU time (user + system, clock ticks), all threads: it does
        # not count time other processes took from CPU $SERVER_CPU.
        read -r utime stime < <(awk '{print $14, $15}' "/proc/$SERVER_PID/stat")
        stop
        if grep -q -e 'Non-2xx' -e 'Socket errors' "$out"; then
            say "$server: wrk saw errors or non-2xx answers:"; cat "$out" >&2; exit 1
        fi
        rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
        requests=$(awk '/requests in/ {print $1}' "$out")
        [ -n "$rps" ] && [ -n "$requests" ] || { say "no Requests/sec from wrk for $server"; cat "$out" >&2; exit 1; }
        per_req() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}'; }
        user_us=$(per_req "$utime"); sys_us=$(per_req "$stime")
        printf '%s\t%s\t%s\t%s\n' "$server" "$rps" "$user_us" "$sys_us" >>"$WORK/results.tsv"
        say "   $server: $rps req/s, server CPU µs/request: user $user_us + system $sys_us"
    done
done

# Median per server, then the table.
python3 - "$WORK/results.tsv" "${E2E_TSV:-}" <<'EOF'
import statistics, sys
rows, cpu, user, system = {}, {}, {}, {}
for line in open(sys.argv[1]):
    name, rps, u, s = line.split()
    rows.setdefault(name, []).append(float(rps))
    cpu.setdefault(name, []).append(float(u) + float(s))
    user.setdefault(name, []).append(float(u))
    system.setdefault(name, []).append(float(s))
med = {k: statistics.median(v) for k, v in rows.items()}
order = ["bare", "hand", "careful", "floor", "hookseal-axum", "hookseal-actix", "listen-quiet"]
mcpu = {k: statistics.median(v) for k, v in cpu.items()}
muser = {k: statistics.median(v) for k, v in user.items()}
msys = {k: statistics.median(v) for k, v in system.items()}
print(f"{'server':<16} {'median req/s':>12}  {'server CPU µs/req (user + system)':>34}   req/s per round")
for k in [k for k in order if k in med]:
    split = f"{mcpu[k]:.2f} ({muser[k]:.2f} + {msys[k]:.2f})"
    print(f"{k:<16} {med[k]:>12.0f}  {split:>34}   " + " ".join(f"{x:.0f}" for x in rows[k]))
ratios = [
    ("hookseal-axum / bare", "hookseal-axum", "bare", 0.8),
    ("hookseal-axum / hand", "hookseal-axum", "hand", 1.05),
    ("hookseal-actix / bare", "hookseal-actix", "bare", None),
    ("hookseal-actix / hand", "hookseal-actix", "hand", None),
    ("hookseal-axum / careful", "hookseal-axum", "careful", 1.0),
    ("hookseal-actix / careful", "hookseal-actix", "careful", 1.0),
    ("listen --quiet / careful", "listen-quiet", "careful", 0.95),
    ("listen --quiet / bare", "listen-quiet", "bare", None),
    ("careful / bare", "careful", "bare", None),
    ("hookseal-axum / floor", "hookseal-axum", "floor", None),
    ("hookseal-actix / floor", "hookseal-actix", "floor", None),
    ("floor / bare", "floor", "bare", None),
    ("hand / bare", "hand", "bare", None),
]
print()
print(f"{'ratio (of medians)':<24} {'req/s':>6}  {'by CPU':>6}  {'by user CPU':>11}   target (on req/s)")
tsv = []
for label, ours, base, target in ratios:
    if ours not in med or base not in med:
        continue
    r = med[ours] / med[base]
    verdict = "" if target is None else (f"≥ {target}  " + ("met" if r >= target else "MISSED"))
    by_cpu = mcpu[base] / mcpu[ours]
    by_user = muser[base] / muser[ours]
    print(f"{label:<24} {r:>6.3f}  {by_cpu:>6.3f}  {by_user:>11.3f}   {verdict}")
    if target is not None or "floor" in (base, ours) or "careful" in (base, ours):
        tsv.append(f"e2e\t{label} (req/s)\t{med[ours]:.1f}\t{med[base]:.1f}\t{target or ''}\n")
if sys.argv[2]:
    with open(sys.argv[2], "w") as f:
        f.writelines(tsv)
EOF
say "(server on CPU $SERVER_CPU, wrk -t1 -c$CONNECTIONS -d${DURATION}s on CPU $WRK_CPU; $ROUNDS interleaved rounds; $(nproc) cores; $(load))"
