#!/usr/bin/env python3
"""Writes seed inputs for every fuzz target from the fixtures and samples.

The committed corpora under fuzz/corpus/ were grown from these seeds and then
minimized with `cargo fuzz cmin`; run this only to start over:

    python3 fuzz/seed_corpus.py fuzz/seeds && cargo +nightly fuzz cmin <target> fuzz/seeds/<target>
"""

import hashlib
import pathlib
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROVIDERS = ["tocc", "toran", "zapito", "tuco", "connectgain"]


def bodies(provider):
    for folder in (ROOT / "tests/fixtures" / provider, ROOT / "crates/hookseal-core/samples" / provider):
        for path in sorted(folder.glob("*.json")):
            if not path.name.endswith(".expect.json"):
                yield path.read_bytes()


def write(out, target, data):
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def verify_seed(selector, body, headers):
    """The `verify` target's layout: see fuzz_targets/verify.rs."""
    secret = b"seed-secret"
    plan = b"".join(headers)
    return bytes([selector, 0, len(secret)]) + secret + bytes([0, len(headers), len(plan)]) + plan + body


def verify_event_seed(selector, flags, window, offset, body):
    """The `verify_event` target's 16-byte config, then the body."""
    return struct.pack("<BBIiH4s2s", selector, flags, window, offset, 0, b"lead", b"\0\0") + body


def main(out):
    out = pathlib.Path(out)
    for index, provider in enumerate(PROVIDERS):
        for body in bodies(provider):
            write(out, f"parse_{provider}", body)
            write(out, "parse_custom", body)
            selector = [0, 1, 2, 3, 4][index]
            correct = bytes([0, 0, 0])  # signature header, first secret, correct value
            write(out, "verify", verify_seed(selector, body, [correct]))
            write(out, "verify", verify_seed(selector, body, [correct, bytes([3, 0, 2, 4]) + b"lead"]))
            write(out, "verify", verify_seed(selector, body, [bytes([1, 0, 1, 70, 1])]))
            write(out, "verify_event", verify_event_seed(index, 0b011, 300, 0, body))
            write(out, "verify_event", verify_event_seed(index, 0b111, 300, -301, body))
        write(out, "verify_event", verify_event_seed(5, 0b001, 60, 0, next(bodies(provider))))
    for path in sorted((ROOT / "tests/fixtures").glob("*/*.sig")):
        value = path.read_bytes().strip()
        write(out, "signature_header", value)
        write(out, "signature_header", b" \t" + value.upper() + b" ")
    write(out, "verify", verify_seed(5, b"{}", []))
    write(out, "verify", verify_seed(7, b'{"event":"x"}', [bytes([0, 0, 4])]))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "seeds")
