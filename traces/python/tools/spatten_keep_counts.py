"""SpAtten's published per-head keep counts beside lrpsim's `spatten` rule (arch/POLICIES.md).

    python3 traces/python/tools/spatten_keep_counts.py \\
        --spatten SPATTEN_CHECKOUT/spatten_hardware/hardware/workloads/summary-gpt2-small-wikitext2-per8.csv \\
        --ours stories260K=results/spatten/stories260K.csv ... --out results/spatten/keep-counts.md

--spatten is one of the workload files that github.com/mit-han-lab/spatten publishes (nothing of it
is copied here): one line per (generation iteration, layer, head) with key_fetch_num (the tokens the
cascade left to this layer, whose keys are read), value_fetch_num (the values fetched after the
local top-k), quant_key_bit, auto_requant_thres and if_requant (the head fetched its keys' low
bits because its largest MSB probability was below the threshold). Lines that are not data (the
file ends with the name of the config that made it) are skipped.

--ours NAME=FILE is the CSV of `lrpsim trace heads --config bundled:policies/spatten.yaml TRACE`:
per head, rows, keys (allowed pairs), survivors, full_rows (rows that read every bit-plane: for
this rule, the rows that fetched their low bits) and the same for the head's last valid row
(last_keys, last_survivors, last_full), which in a causal head is one generation step.

Writes Markdown (atomically): per layer, the share of rows that fetch low bits and the values
fetched over the keys read, for SpAtten's file and each of ours, and how each side rounds the kept
share (SpAtten: value_fetch_num against floor(0.2 * key_fetch_num); lrpsim: last_survivors against
max(1, ceil(0.2 * last_keys))). Only the standard library.
"""

import argparse
import collections
import csv
import hashlib
import math
import os
import sys
import tempfile


def read_spatten(path):
    """SpAtten's workload file: the data lines as dicts (the trailing config name is skipped)."""
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if (r.get("iteration_id") or "").isdigit()]
    need = ("layer_id", "head_id", "key_fetch_num", "value_fetch_num", "if_requant", "sentence_length_L")
    if not rows:
        raise ValueError(f"{path}: no data lines (expected SpAtten's workload CSV)")
    missing = [c for c in need if c not in rows[0]]
    if missing:
        raise ValueError(f"{path}: missing columns {missing} (expected SpAtten's workload CSV)")
    return rows


def read_ours(path):
    """The CSV of `lrpsim trace heads`."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    need = ("policy", "layer", "rows", "keys", "survivors", "full_rows", "last_keys", "last_survivors", "last_full")
    if not rows:
        raise ValueError(f"{path}: no heads (expected the CSV of lrpsim trace heads)")
    missing = [c for c in need if c not in rows[0]]
    if missing:
        raise ValueError(f"{path}: missing columns {missing} (expected the CSV of lrpsim trace heads)")
    policies = {r["policy"] for r in rows}
    if policies != {"spatten"}:
        raise ValueError(f"{path}: policy {sorted(policies)}, expected spatten")
    return rows


def spatten_layers(rows, keep_fraction):
    """Per layer: head-steps, low-bit share, values over keys, keys over sentence length; and the
    lines whose value_fetch_num is floor(keep_fraction * key_fetch_num)."""
    by = collections.defaultdict(lambda: [0, 0, 0, 0, 0])
    floor_ok = 0
    for r in rows:
        a = by[int(r["layer_id"])]
        k, v = int(r["key_fetch_num"]), int(r["value_fetch_num"])
        a[0] += 1
        a[1] += r["if_requant"] == "True"
        a[2] += k
        a[3] += v
        a[4] += int(r["sentence_length_L"])
        floor_ok += v == math.floor(keep_fraction * k)
    layers = [(l, a[0], a[1] / a[0], a[3] / a[2], a[2] / a[4]) for l, a in sorted(by.items())]
    total = (len(rows), sum(a[1] for a in by.values()) / len(rows),
             sum(a[3] for a in by.values()) / sum(a[2] for a in by.values()))
    return layers, total, floor_ok


def keep_count(keep_fraction, limit):
    """k_row of arch/POLICIES.md."""
    if limit == 0:
        return 0
    return min(limit, max(1, math.ceil(keep_fraction * limit - 1e-9)))


def our_layers(rows, keep_fraction):
    """Per layer: rows, low-bit share of all rows and of last rows, survivors over keys (all rows,
    last rows); and the heads whose last row keeps exactly k_row."""
    by = collections.defaultdict(lambda: [0] * 8)
    ceil_ok = 0
    for r in rows:
        a = by[int(r["layer"])]
        a[0] += int(r["rows"])
        a[1] += int(r["full_rows"])
        a[2] += int(r["keys"])
        a[3] += int(r["survivors"])
        a[4] += 1
        a[5] += r["last_full"] == "true"
        a[6] += int(r["last_keys"])
        a[7] += int(r["last_survivors"])
        ceil_ok += int(r["last_survivors"]) == keep_count(keep_fraction, int(r["last_keys"]))
    layers = [(l, a[0], a[1] / a[0], a[5] / a[4], a[3] / a[2], a[7] / a[6]) for l, a in sorted(by.items())]
    tot = [sum(a[i] for a in by.values()) for i in range(8)]
    total = (tot[0], tot[1] / tot[0], tot[5] / tot[4], tot[3] / tot[2], tot[7] / tot[6], tot[4])
    return layers, total, ceil_ok


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def render(spatten_path, spatten_rows, ours, keep_fraction):
    out = []
    w = out.append
    w("# SpAtten's published keep counts beside lrpsim's `spatten` rule")
    w("")
    w("Generated by `results/spatten/regen.sh SPATTEN_CHECKOUT` (traces/python/tools/spatten_keep_counts.py "
      "on the CSVs of `lrpsim trace heads --config bundled:policies/spatten.yaml` beside this file); "
      "do not edit. What the numbers mean and why they differ: results/spatten/README.md.")
    w("")
    name = os.path.basename(spatten_path)
    w(f"## SpAtten's file: {name}")
    w("")
    w(f"mit-han-lab/spatten, spatten_hardware/hardware/workloads/{name} (sha256 {sha256(spatten_path)[:16]}...): "
      "GPT-2 on WikiText-2, one line per generation step, layer and head (one query row each). "
      "*low bits*: if_requant; *values / keys*: value_fetch_num over key_fetch_num; "
      "*keys / length*: key_fetch_num over sentence_length_L (what the cascade left).")
    w("")
    layers, total, floor_ok = spatten_layers(spatten_rows, keep_fraction)
    w("| layer | head-steps | low bits | values / keys | keys / length |")
    w("|---|---|---|---|---|")
    for l, n, low, vk, kl in layers:
        w(f"| {l} | {n} | {low:.3f} | {vk:.4f} | {kl:.3f} |")
    w(f"| all | {total[0]} | {total[1]:.3f} | {total[2]:.4f} | |")
    w("")
    w(f"value_fetch_num = floor({keep_fraction} x key_fetch_num) on {floor_ok} of {len(spatten_rows)} lines.")
    w("")
    for label, path, rows in ours:
        w(f"## lrpsim: {label} ({os.path.basename(path)})")
        w("")
        layers, total, ceil_ok = our_layers(rows, keep_fraction)
        w("*low bits*: rows that read every bit-plane of every key, over all rows and over each head's "
          "last valid row; *survivors / keys*: the same two ways.")
        w("")
        w("| layer | rows | low bits (all rows) | low bits (last rows) | survivors / keys (all) | survivors / keys (last) |")
        w("|---|---|---|---|---|---|")
        for l, n, low, lowlast, sk, sklast in layers:
            w(f"| {l} | {n} | {low:.3f} | {lowlast:.3f} | {sk:.4f} | {sklast:.4f} |")
        w(f"| all | {total[0]} | {total[1]:.3f} | {total[2]:.3f} | {total[3]:.4f} | {total[4]:.4f} |")
        w("")
        w(f"last_survivors = max(1, ceil({keep_fraction} x last_keys)) on {ceil_ok} of {total[5]} heads.")
        w("")
    return "\n".join(out)


def write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o644 & ~umask)  # mkstemp makes 0600; a result file is readable like any other
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spatten", required=True, help="SpAtten's workload CSV")
    ap.add_argument("--ours", action="append", default=[], metavar="NAME=FILE",
                    help="the CSV of lrpsim trace heads with the spatten rule (repeatable)")
    ap.add_argument("--keep-fraction", type=float, default=0.2, help="the rule's keep_fraction (configs/policies/spatten.yaml)")
    ap.add_argument("--out", help="write the Markdown here (atomically) instead of standard output")
    args = ap.parse_args(argv)
    try:
        spatten_rows = read_spatten(args.spatten)
        ours = []
        for item in args.ours:
            label, sep, path = item.partition("=")
            if not sep or not label or not path:
                raise ValueError(f"--ours {item!r}: expected NAME=FILE")
            ours.append((label, path, read_ours(path)))
    except (OSError, ValueError) as e:
        print(f"spatten_keep_counts: {e}", file=sys.stderr)
        return 2
    text = render(args.spatten, spatten_rows, ours, args.keep_fraction) + "\n"
    if args.out:
        write_atomic(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
