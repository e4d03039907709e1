"""Python side of the Go <-> Python trace round trip (traces/roundtrip_python_test.go runs it).

    roundtrip_helper.py write OUT.npz OUT.json      export a small trace with lrpsim_export and
                                                    describe it (per-head kept pairs, T, checksums)
    roundtrip_helper.py check TRACE.npz GO.json     read a trace that Go wrote and compare it with
                                                    Go's description
    roundtrip_helper.py thresholds OUT.json         integer thresholds of many (th, d, scales,
                                                    bits) cases, for Go's IntThreshold to match

Run with PYTHONPATH=traces/python. Prints "ok" or fails with a message.
"""

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lrpsim_export.attention import Session  # noqa: E402
from lrpsim_export.capture import attached  # noqa: E402
from lrpsim_export.export import self_check, write_records  # noqa: E402
from lrpsim_export.learn import Thresholds  # noqa: E402
from lrpsim_export.quantize import int_threshold  # noqa: E402
from lrpsim_export.tracefile import head_pruning, validate_trace  # noqa: E402
from lrpsim_export.attention import QuantSpec  # noqa: E402


def describe(path):
    """Per head: kept and allowed pairs under the integer comparator, T, and checksums of q, k, v."""
    out = []
    with validate_trace(path) as t:
        th = t.array("threshold", (np.dtype("float64"),), 2)
        sq = t.array("scale_q", (np.dtype("float64"),), 2)
        sk = t.array("scale_k", (np.dtype("float64"),), 2)
        for b in range(t.B):
            for l in range(t.L):
                for h in range(t.H):
                    q, k, v = t.head(b, l, h)
                    kept, allowed = head_pruning(t, b, l, h)
                    T = int_threshold(th[l, h], q.shape[1], sq[l, h], sk[l, h], t.meta["bits_q"], t.meta["bits_k"])
                    out.append({"b": b, "l": l, "h": h, "kept": kept, "allowed": allowed, "T": T,
                                "n": q.shape[0], "m": k.shape[0], "d": q.shape[1], "dv": v.shape[1],
                                "sum_q": int(q.astype(np.int64).sum()), "sum_k": int(k.astype(np.int64).sum()),
                                "sum_v": int(v.astype(np.int64).sum()),
                                "sq_q": int((q.astype(np.int64) ** 2).sum())})
        return t.meta, out


class Tiny(nn.Module):
    """Two causal self-attention layers of 4 heads (torch.nn.MultiheadAttention), random weights."""

    def __init__(self):
        super().__init__()
        self.a = nn.MultiheadAttention(32, 4, batch_first=True)
        self.b = nn.MultiheadAttention(32, 4, batch_first=True)

    def forward(self, x):
        mask = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool).triu(1)
        y = x + self.a(x, x, x, attn_mask=mask)[0]
        return y + self.b(y, y, y, attn_mask=mask)[0]


def write(out_npz, out_json):
    torch.manual_seed(3)
    model = Tiny().eval()
    th = Thresholds(2, 4, per_head=True, init=torch.tensor([[-0.5, 0.0, 0.2, -math.inf], [0.1, 0.3, -0.2, 0.05]]))
    amax = {"q": 6.0, "k": 6.0, "v": 4.0}
    spec = QuantSpec(10, 9, 7, *(torch.full((2, 4), amax[p] / (2 ** (b - 1) - 1), dtype=torch.float64)
                                 for p, b in (("q", 10), ("k", 9), ("v", 7))))
    s = Session("hard", thresholds=th, quant=spec, record=True, empty_row="zero")
    with torch.no_grad(), attached(model, s):
        for n in (9, 14, 5):
            model(torch.randn(1, n, 32))
    meta = {"model": "roundtrip-tiny-mha", "task": "roundtrip", "source": "random inputs", "synthetic": False,
            "bits_q": 10, "bits_k": 9, "bits_v": 7, "causal": True, "empty_row": "zero",
            "threshold_granularity": "head", "metric": {"name": "none", "dense": 0.0, "pruned": 0.0},
            "generator": {"command": "roundtrip_helper.py write"}}
    write_records(out_npz, s.records, meta, th.as_array(), spec, force=True)
    self_check(out_npz, s.records)
    _, heads = describe(out_npz)
    # the session's own comparator counts, to show Go agrees with the exporter itself
    for hd in heads:
        r = s.records[hd["b"]][hd["l"]]
        assert hd["kept"] == int(r.kept[0, hd["h"]]) and hd["T"] == r.T[hd["h"]], hd
    with open(out_json, "w") as f:
        json.dump({"heads": heads}, f)
    print("ok")


def check(trace, go_json):
    with open(go_json) as f:
        want = json.load(f)
    meta, heads = describe(trace)
    for k, v in want["meta"].items():
        if meta.get(k) != v:
            sys.exit(f"meta.{k}: Go wrote {v!r}, Python read {meta.get(k)!r}")
    if len(heads) != len(want["heads"]):
        sys.exit(f"{len(heads)} heads read, Go wrote {len(want['heads'])}")
    for got, exp in zip(heads, want["heads"]):
        for k, v in exp.items():
            if got[k] != v:
                sys.exit(f"b{got['b']}.l{got['l']}.h{got['h']}: {k} is {got[k]} in Python, {v} in Go")
    print("ok")


def thresholds(out_json):
    rng = np.random.default_rng(11)
    cases = []
    for _ in range(2000):
        d = int(rng.integers(1, 257))
        bq, bk = int(rng.integers(2, 17)), int(rng.integers(2, 17))
        sq, sk = float(10 ** rng.uniform(-5, 0)), float(10 ** rng.uniform(-5, 0))
        kind = rng.integers(0, 4)
        if kind == 0:
            th = float(rng.normal() * 5)
        elif kind == 1:  # exactly on an integer boundary of x
            t = int(rng.integers(-1000, 1000))
            th = t * (sq * sk) / math.sqrt(d)
        elif kind == 2:  # beyond the reachable range
            th = float(rng.choice([-1, 1]) * 10 ** rng.uniform(3, 12))
        else:
            th = -math.inf
        cases.append({"th": th if math.isfinite(th) else "-inf", "d": d, "sq": sq, "sk": sk, "bq": bq, "bk": bk,
                      "T": int_threshold(th, d, sq, sk, bq, bk)})
    with open(out_json, "w") as f:
        json.dump(cases, f)
    print("ok")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"write": write, "check": check, "thresholds": thresholds}[cmd](*args)
