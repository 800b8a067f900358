"""A downstream app for the gateway tests: checks every forwarded request
with the `standardwebhooks` library, refuses each message's first N
deliveries, and counts what it accepts.

    python downstream.py SECRET REFUSE_FIRST [DELAY_SECONDS]

Prints the port it listens on (127.0.0.1, chosen by the OS) as its first
line. GET /stats answers the counts as JSON.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks

SECRET = sys.argv[1]
REFUSE_FIRST = int(sys.argv[2])
# How long each answer takes (an app doing work): keeps forwards in flight.
DELAY = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
HOOK = standardwebhooks.Webhook(SECRET)

lock = threading.Lock()
seen = {}  # webhook-id -> deliveries received (valid ones)
accepted = {}  # hookseal-idempotency-key -> times accepted
ids = {}  # hookseal-idempotency-key -> webhook-ids seen
problems = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with lock:
            body = json.dumps({"accepted": accepted, "ids": ids, "problems": problems})
        self.answer(200, body)

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            HOOK.verify(body, headers, json_parse=False)
        except Exception as err:  # noqa: BLE001 - any failure is a problem to report
            with lock:
                problems.append("verify: %s" % err)
            return self.answer(401, "bad signature")
        key = headers.get("hookseal-idempotency-key")
        msg_id = headers["webhook-id"]
        with lock:
            for name in ("hookseal-provider", "hookseal-event", "hookseal-idempotency-key"):
                if not headers.get(name):
                    problems.append("missing %s" % name)
            if headers.get("content-type") != "application/json":
                problems.append("content-type %r" % headers.get("content-type"))
            if "." in msg_id:
                problems.append("webhook-id has a dot: %s" % msg_id)
            try:
                sent = json.loads(body)
                if sent.get("lead_id") and sent["lead_id"] not in key:
                    problems.append("body %s under key %s" % (sent["lead_id"], key))
            except ValueError:
                problems.append("body is not JSON")
            ids.setdefault(key, [])
            if msg_id not in ids[key]:
                ids[key].append(msg_id)
            seen[msg_id] = seen.get(msg_id, 0) + 1
            if seen[msg_id] <= REFUSE_FIRST:
                refuse = True
            else:
                refuse = False
                accepted[key] = accepted.get(key, 0) + 1
        if DELAY:
            time.sleep(DELAY)
        if refuse:
            return self.answer(500, "refused on purpose")
        return self.answer(200, "ok")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
