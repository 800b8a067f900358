#!/usr/bin/env python3
"""Forwarding throughput and delay of `hookseal listen --forward-to`, on SQLite and PostgreSQL.

    benches/gateway.py [--events N] [--concurrency C] [--stores sqlite,postgres] [--bin PATH]

For each store it starts a downstream app (in this process, answering 200 at
once and noting when each event arrives), starts the gateway binary in front
of it, delivers N signed Toran events from C client threads, and waits until
the downstream has every one. It prints, per store:

  - forwarding throughput: events / (last downstream arrival - first delivery);
  - forwarding delay, receipt to the downstream's 2xx: p50 and p99, measured
    from the moment each delivery was sent to the moment it reached the app
    (an upper bound on receipt-to-2xx);
  - the acknowledgement time (delivery to the gateway's 200): p50 and p99.

Build the gateway first (`cargo build --release -p hookseal-cli`); the
default binary is target/release/hookseal. PostgreSQL comes from
HOOKSEAL_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
a database of the run's own is created and dropped with psql.
Stdlib only; no third-party Python packages.
"""

import argparse
import hashlib
import hmac
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TORAN_SECRET = "toran-bench-secret"
FORWARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Downstream:
    def __init__(self):
        self.arrived = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                self.rfile.read(length)
                key = self.headers.get("hookseal-idempotency-key")
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()
                with outer.lock:
                    outer.arrived.setdefault(key, time.monotonic())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]

    def count(self):
        with self.lock:
            return len(self.arrived)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


def start_gateway(binary, store, downstream, concurrency):
    env = dict(os.environ)
    env.pop("HOOKSEAL_SECRET", None)
    env["HOOKSEAL_FORWARD_SECRET"] = FORWARD_SECRET
    for p in ("TOCC", "TORAN", "ZAPITO", "TUCO", "CONNECTGAIN"):
        env["HOOKSEAL_SECRET_" + p] = TORAN_SECRET if p == "TORAN" else "bench-" + p
    proc = subprocess.Popen(
        [binary, "listen", "--addr", "127.0.0.1:0", "--store", store, "--forward-to", downstream,
         "--concurrency", str(concurrency), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    # --quiet prints no request lines, but the listening line still comes first.
    line = proc.stdout.readline()
    if "listening on http://" not in line:
        proc.kill()
        sys.exit("the gateway did not start: %r %s" % (line, proc.stderr.read()))
    addr = line.split("listening on http://", 1)[1].split("/webhooks/", 1)[0]
    return proc, "http://%s/webhooks/toran" % addr


def body(n, run):
    return ('{"event":"lead.captured","lead_id":"bench-%s-%d","widget_id":"w-1","name":"Ada",'
            '"email":"ada@example.com","score":87,"tier":"hot","timestamp":"2026-05-06T14:22:31Z",'
            '"metadata":{"notes":"hi"}}' % (run, n)).encode()


def run_store(name, binary, store, events, concurrency):
    downstream = Downstream()
    gateway, url = start_gateway(binary, store, downstream.url, concurrency)
    run = "%d%d" % (os.getpid(), int(time.time() * 1000))
    sent = {}
    acks = []
    lock = threading.Lock()
    next_n = [0]

    def client():
        while True:
            with lock:
                n = next_n[0]
                if n >= events:
                    return
                next_n[0] += 1
            data = body(n, run)
            sig = "sha256=" + hmac.new(TORAN_SECRET.encode(), data, hashlib.sha256).hexdigest()
            request = urllib.request.Request(url, data=data, method="POST", headers={
                "content-type": "application/json", "X-Toran-Signature": sig, "X-Toran-Event": "lead.captured"})
            start = time.monotonic()
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert answer.status == 200, answer.status
            done = time.monotonic()
            with lock:
                sent["bench-%s-%d" % (run, n)] = start
                acks.append(done - start)

    try:
        began = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        deadline = time.monotonic() + 300
        while downstream.count() < events:
            if time.monotonic() > deadline:
                sys.exit("%s: only %d of %d forwarded" % (name, downstream.count(), events))
            time.sleep(0.01)
        with downstream.lock:
            arrived = dict(downstream.arrived)
        delays = [arrived[k] - sent[k] for k in sent if k in arrived]
        elapsed = max(arrived.values()) - began
        print("| %s | %d | %d | %.0f | %.1f | %.1f | %.1f | %.1f |" % (
            name, events, concurrency, events / elapsed,
            percentile(delays, 50) * 1000, percentile(delays, 99) * 1000,
            percentile(acks, 50) * 1000, percentile(acks, 99) * 1000), flush=True)
    finally:
        gateway.terminate()
        try:
            gateway.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gateway.kill()
        downstream.server.shutdown()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "hookseal"))
    args = parser.parse_args()
    if not os.path.exists(args.bin):
        sys.exit("no gateway binary at %s: cargo build --release -p hookseal-cli, or pass --bin" % args.bin)
    print("| store | events | clients | forwarded/s | delay p50 ms | delay p99 ms | ack p50 ms | ack p99 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.stores.split(","):
        if name == "sqlite":
            tmp = tempfile.mkdtemp(prefix="hookseal-bench-")
            try:
                run_store(name, args.bin, "sqlite://%s/bench.db" % tmp, args.events, args.concurrency)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        elif name == "postgres":
            admin = os.environ.get("HOOKSEAL_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
            db = "hookseal_bench_%d" % os.getpid()
            subprocess.run(["psql", admin, "-qc", "CREATE DATABASE %s" % db], check=True)
            try:
                run_store(name, args.bin, admin.rsplit("/", 1)[0] + "/" + db, args.events, args.concurrency)
            finally:
                subprocess.run(["psql", admin, "-qc", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % db], check=False)
        else:
            sys.exit("unknown store %s" % name)


if __name__ == "__main__":
    main()
