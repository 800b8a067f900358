#!/usr/bin/env python3
"""Helper of benches/compare.sh: snapshots criterion estimates, prints the ratio table.

  ratios.py snapshot CRITERION_DIR STAT          -> JSON {"group/function/param": ns}
  ratios.py table STAT ALLOCS_TXT E2E_TSV ROUND.json...
"""
import glob
import json
import os
import statistics
import sys

PROVIDERS = ["tocc", "toran", "zapito", "tuco", "connectgain"]
SIZES = [("1024", "1 KiB"), ("65536", "64 KiB"), ("1048576", "1 MiB")]


def snapshot(criterion, stat):
    out = {}
    for group in ("verify", "verify_parse"):
        for path in glob.glob(os.path.join(criterion, group, "*", "*", "new", "estimates.json")):
            parts = path.split(os.sep)
            function, param = parts[-4], parts[-3]
            with open(path) as f:
                out[f"{group}/{function}/{param}"] = json.load(f)[stat]["point_estimate"]
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


def fmt_ns(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


def table(stat, allocs_path, e2e_path, rounds_paths):
    rounds = []
    for p in rounds_paths:
        with open(p) as f:
            rounds.append(json.load(f))
    rows = []  # (section, what, ours, baseline, median, lo, hi, target, met)

    def ratio_row(section, what, ours_key, base_key, kind, target):
        """kind 'speed': baseline/ours (higher is better, ≥ target);
        kind 'cost': ours/baseline (lower is better, ≤ target)."""
        pairs = [(r[ours_key], r[base_key]) for r in rounds if ours_key in r and base_key in r]
        if not pairs:
            rows.append((section, what, "-", "-", "missing", "", "", "", "?"))
            return
        if kind == "speed":
            values = [b / o for o, b in pairs]
        else:
            values = [o / b for o, b in pairs]
        med = statistics.median(values)
        ours = statistics.median(o for o, _ in pairs)
        base = statistics.median(b for _, b in pairs)
        if target is None:
            tgt, met = "", ""
        elif kind == "speed":
            tgt, met = f"≥ {target}", "met" if med >= target else "MISSED"
        else:
            tgt, met = f"≤ {target}", "met" if med <= target else "MISSED"
        rows.append((section, what, fmt_ns(ours), fmt_ns(base), f"{med:.3f}", f"{min(values):.3f}",
                     f"{max(values):.3f}", tgt, met))

    for size, label in SIZES:
        target = 0.95 if size == "1048576" else None
        ratio_row("verify only", f"{label}: verify / raw SHA-256 (throughput)", f"verify/hookseal/{size}",
                  f"verify/sha256/{size}", "speed", target)
        ratio_row("verify only", f"{label}: verify / pre-keyed HMAC (throughput)", f"verify/hookseal/{size}",
                  f"verify/hmac_prekeyed/{size}", "speed", None)
    for p in PROVIDERS:
        ratio_row("verify + parse 1 KiB", f"{p}: ours / lower bound (time)", f"verify_parse/hookseal/{p}",
                  f"verify_parse/lower_bound/{p}", "cost", 1.15)
        ratio_row("verify + parse 1 KiB", f"{p}: ours / owned bound (time)", f"verify_parse/hookseal/{p}",
                  f"verify_parse/owned_bound/{p}", "cost", None)
        ratio_row("verify + parse 1 KiB", f"{p}: hand-rolled / ours (speed-up)", f"verify_parse/hookseal/{p}",
                  f"verify_parse/hand_rolled/{p}", "speed", 1.5)
        ratio_row("verify + parse 1 KiB", f"{p}: hand-rolled pre-keyed / ours (speed-up)",
                  f"verify_parse/hookseal/{p}", f"verify_parse/hand_rolled_prekeyed/{p}", "speed", None)
        ratio_row("verify + parse 1 KiB", f"{p}: hand-rolled / lower bound (ceiling of the speed-up)",
                  f"verify_parse/lower_bound/{p}", f"verify_parse/hand_rolled/{p}", "speed", None)

    # Allocations: "alloc\tverify\t<case>\t<n>" and "alloc\tverify_parse\t<who>\t<provider>\t<n>".
    verify_counts, parse_counts = [], {}
    with open(allocs_path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if cols[0] != "alloc":
                continue
            if cols[1] == "verify":
                verify_counts.append(int(cols[3]))
            else:
                parse_counts[(cols[2], cols[3])] = int(cols[4])
    worst = max(verify_counts) if verify_counts else None
    rows.append(("allocations", f"verify ({len(verify_counts)} cases: 3 sizes, pairs/HeaderMap, rejections)",
                 str(worst), "", "", "", "", "= 0", "met" if worst == 0 else "MISSED"))
    for p in PROVIDERS:
        ours = parse_counts.get(("hookseal", p))
        others = " / ".join(str(parse_counts.get((who, p))) for who in ("lower_bound", "owned_bound", "hand_rolled"))
        rows.append(("allocations", f"{p}: verify + parse (ours | lower / owned bound / hand-rolled)", str(ours),
                     others, "", "", "", "", ""))

    # End-to-end rows, written by benches/e2e.sh (an empty target: for context).
    with open(e2e_path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) == 5 and cols[0] == "e2e":
                _, what, ours, base, target = cols
                r = float(ours) / float(base)
                verdict = ("met" if r >= float(target) else "MISSED") if target else ""
                rows.append(("end-to-end", what, f"{float(ours):.0f} req/s", f"{float(base):.0f} req/s",
                             f"{r:.3f}", "", "", f"≥ {target}" if target else "", verdict))
    if not any(r[0] == "end-to-end" for r in rows):
        rows.append(("end-to-end", "(axum/actix under wrk: not run by this script yet)", "", "", "", "", "", "", ""))

    header = ("section", "measurement", "ours", "baseline", "ratio", "min", "max", "target", "")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    clock = {"cpu": "thread CPU time", "wall": "wall time"}.get(os.environ.get("HOOKSEAL_BENCH_CLOCK", "wall"), "?")
    print(f"ratios of criterion's {stat} estimates ({clock}) measured in the same round; ratio = median over "
          f"{len(rounds)} round(s), min/max across rounds; times are medians over rounds")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    if any(r[-1] == "MISSED" for r in rows):
        print("\nsome targets MISSED")


if __name__ == "__main__":
    if sys.argv[1] == "snapshot":
        snapshot(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    else:
        sys.exit(__doc__)
