"""The independent side of tests/interop.rs: the PyPI packages `standardwebhooks`
and `stripe`, driven by JSON on standard input, answering JSON on standard output.

Each case is {"lib": "sw"|"stripe", "op": "sign"|"verify", ...}; each answer is
{"ok": true, ...} or {"ok": false, "error": "..."} (any exception is a refusal).
"""

import json
import sys
from datetime import datetime, timezone

import standardwebhooks
import stripe


def run(case):
    lib, op = case["lib"], case["op"]
    if lib == "sw" and op == "sign":
        hook = standardwebhooks.Webhook(case["secret"])
        at = datetime.fromtimestamp(case["timestamp"], tz=timezone.utc)
        return {"signature": hook.sign(case["id"], at, case["body"])}
    if lib == "sw" and op == "verify":
        standardwebhooks.Webhook(case["secret"]).verify(case["body"].encode(), case["headers"], json_parse=False)
        return {}
    if lib == "stripe" and op == "sign":
        header = stripe.WebhookSignature.generate_signature_header(case["body"], case["secret"], case["timestamp"])
        return {"header": header}
    if lib == "stripe" and op == "verify":
        stripe.WebhookSignature.verify_header(case["body"].encode(), case["header"], case["secret"], case["tolerance"])
        return {}
    raise ValueError(f"unknown case {lib} {op}")


def main():
    answers = []
    for case in json.load(sys.stdin):
        try:
            answer = run(case)
            answer["ok"] = True
        except Exception as err:  # every refusal, whatever its class
            answer = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        answers.append(answer)
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
