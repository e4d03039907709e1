"""A regenerated trace against the bundled one (`python -m lrpsim_export compare`, which
traces/regen.sh --check runs): what must be equal is equal, what another CPU's kernels may move is
counted and held to the bounds of lrpsim_export.tolerances.

Exact: the member names, dtypes and shapes, the valid lengths (tokenization) and every meta field
that is not a float (model, task, bits, causal, seeds, the sweep's lambdas, ...), the generator's
command line, timings and package versions aside. Counted and bounded: the integers of Q, K and V
and the integer thresholds T (of a trace whose weights, resp. thresholds, were not trained: training
on other kernels ends in another model, whose integers are only counted), the survivors (pairs with
q_int . k_int >= T), the float meta fields (metrics, pruning rates); the real thresholds and scales
are reported.
"""

import json
import math

import numpy as np

from . import tolerances as tol
from .quantize import int_threshold
from .tracefile import allowed_pairs

# meta.generator fields that describe the run, not the trace
RUN_FIELDS = ("command", "training_seconds", "training_where", "torch", "numpy", "python")
PARTS = ("q", "k", "v")


def _meta(z):
    return json.loads(z["meta"].tobytes())


def _strip(m):
    """The meta without the run fields; the lambda sweep kept apart (--check reruns only the lambda
    that the bundled trace kept, so only that lambda's entry is compared)."""
    m = json.loads(json.dumps(m))
    g = m.get("generator", {})
    for k in RUN_FIELDS:
        g.pop(k, None)
    g.pop("lambdas_tried", None)
    return m, g.pop("sweep", None)


def _float_fields(x, y, path, out):
    """Walk two meta documents: non-floats must be equal (appended to out["exact"] otherwise); floats
    go to out["float"] as (path, bundled, regenerated)."""
    if isinstance(x, dict) and isinstance(y, dict):
        for k in sorted(set(x) | set(y)):
            if k not in x or k not in y:
                out["exact"].append(f"meta {path}{k}: only in the {'bundled' if k in x else 'regenerated'} trace")
            else:
                _float_fields(x[k], y[k], f"{path}{k}.", out)
    elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        for i, (a, b) in enumerate(zip(x, y)):
            _float_fields(a, b, f"{path}{i}.", out)
    elif isinstance(x, float) and isinstance(y, float) and not isinstance(x, bool):
        out["float"].append((path.rstrip("."), x, y))
    elif x != y or type(x) is not type(y):
        out["exact"].append(f"meta {path.rstrip('.')}: bundled {x!r}, regenerated {y!r}")


def _float_ok(path, x, y):
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
        return x == y or (math.isnan(x) and math.isnan(y))
    if "pruning_rate" in path or path.endswith("metric_loss"):
        return abs(x - y) <= tol.TRACE_RATE_ABS
    return abs(x - y) <= tol.TRACE_METRIC_REL * max(abs(x), 1e-12)


def compare_traces(bundled, regenerated):
    """A report dict: "identical" (every array and the meta but the run fields), "counts" (name ->
    (differing, total, max |diff|)), "problems" (strings; empty when the regenerated trace reproduces
    the bundled one within the bounds) and "lines" (what to print)."""
    problems, lines = [], []
    with np.load(bundled) as zb, np.load(regenerated) as zr:
        nb, nr = set(zb.files), set(zr.files)
        if nb != nr:
            only_b, only_r = sorted(nb - nr), sorted(nr - nb)
            problems.append(f"members: only in the bundled trace {only_b[:5]}, only in the regenerated {only_r[:5]}")
            return {"identical": False, "counts": {}, "problems": problems, "lines": lines}
        for n in sorted(nb - {"meta"}):
            if zb[n].dtype != zr[n].dtype or zb[n].shape != zr[n].shape:
                problems.append(f"{n}: bundled {zb[n].dtype}{list(zb[n].shape)}, "
                                f"regenerated {zr[n].dtype}{list(zr[n].shape)}")
        if problems:
            return {"identical": False, "counts": {}, "problems": problems, "lines": lines}
        mb, mr = _meta(zb), _meta(zr)
        (sb, sweep_b), (sr, sweep_r) = _strip(mb), _strip(mr)
        identical = sb == sr and all(np.array_equal(zb[n], zr[n]) for n in nb - {"meta"})
        fields = {"exact": [], "float": []}
        _float_fields(sb, sr, "", fields)
        # each lambda the regenerated trace tried, against the bundled sweep's entry of that lambda
        by_lam = {json.dumps(e.get("lam")): e for e in sweep_b or [] if isinstance(e, dict)}
        for i, e in enumerate(sweep_r or []):
            lam = json.dumps(e.get("lam") if isinstance(e, dict) else None)
            if lam not in by_lam:
                fields["exact"].append(f"meta generator.sweep: lambda {lam} not in the bundled sweep")
            else:
                _float_fields(by_lam[lam], e, f"generator.sweep.lam={lam}.", fields)
        problems += fields["exact"]
        for name in ("valid_q", "valid_k"):
            d = int(np.count_nonzero(zb[name] != zr[name]))
            if d:
                problems.append(f"{name}: {d} of {zb[name].size} valid lengths differ (tokenization must not)")
        counts = {}
        g = mb.get("generator") or {}
        # weights trained with the thresholds (lr_weights > 0, no fixed threshold): training on other
        # kernels ends in another model, so Q, K, V and T are counted but only the survivors, the
        # pruning rate and the metrics are bounded (tolerances.py, REPRODUCIBILITY.md)
        trained = g.get("fixed_threshold") is None and bool(g.get("lr_weights"))
        learned = g.get("fixed_threshold") is None and mb.get("thresholds") != "none"
        # Q, K, V
        heads = sorted({n.rsplit(".", 1)[0] for n in nb if n.startswith("b") and n.count(".") == 3})
        for p in PARTS:
            diff = total = mx = 0
            for h in heads:
                a = zb[f"{h}.{p}"].astype(np.int64)
                b = zr[f"{h}.{p}"].astype(np.int64)
                d = np.abs(a - b)
                diff += int(np.count_nonzero(d))
                total += d.size
                mx = max(mx, int(d.max(initial=0)))
            counts[p.upper()] = (diff, total, mx)
            lim = tol.int_max_diff(int(mb[f"bits_{p}"]))
            if not trained and (mx > lim or diff > tol.INT_FRACTION * total):
                problems.append(f"{p.upper()}: {diff} of {total} integers differ, max |diff| {mx} "
                                f"(bound: {tol.INT_FRACTION:.0%} of them, {lim} LSB each at {mb[f'bits_{p}']} bits)")
        # integer thresholds, per layer and head (the thresholds are per layer or per head)
        L, H = zb["threshold"].shape
        bits = (mb["bits_q"], mb["bits_k"])
        bits_r = (mr["bits_q"], mr["bits_k"])
        d_of = {l: zb[f"{heads[0].split('.')[0]}.l{l}.h0.q"].shape[1] for l in range(L)}
        Tb = np.zeros((L, H), dtype=object)
        Tr = np.zeros((L, H), dtype=object)
        t_diff, t_rel = 0, 0.0
        t_maxabs = 0
        for l in range(L):
            for h in range(H):
                Tb[l, h] = int_threshold(zb["threshold"][l, h], d_of[l], zb["scale_q"][l, h],
                                         zb["scale_k"][l, h], *bits)
                Tr[l, h] = int_threshold(zr["threshold"][l, h], d_of[l], zr["scale_q"][l, h],
                                         zr["scale_k"][l, h], *bits_r)
                if Tb[l, h] != Tr[l, h]:
                    t_diff += 1
                    dd = abs(Tb[l, h] - Tr[l, h])
                    t_maxabs = max(t_maxabs, dd)
                    t_rel = max(t_rel, dd / max(abs(Tb[l, h]), 1))
        counts["thresholds"] = (t_diff, L * H, t_maxabs)
        if not learned and t_rel > tol.THRESHOLD_REL:
            problems.append(f"thresholds: {t_diff} of {L * H} integer thresholds differ, max |diff| {t_maxabs} "
                            f"({t_rel:.2%} of the bundled T; bound {tol.THRESHOLD_REL:.0%})")
        # survivors under each trace's own integer comparator
        s_diff = s_total = kept_b = kept_r = 0
        causal = bool(mb["causal"])
        vq, vk = zb["valid_q"], zb["valid_k"]
        for h in heads:
            b, l, hh = (int(x[1:]) for x in h.split("."))
            qa, ka = zb[f"{h}.q"].astype(np.int64), zb[f"{h}.k"].astype(np.int64)
            qb, kb = zr[f"{h}.q"].astype(np.int64), zr[f"{h}.k"].astype(np.int64)
            ok = allowed_pairs(qa.shape[0], ka.shape[0], int(vq[b, l, hh]), int(vk[b, l, hh]), causal)
            sa = ok & ((qa @ ka.T) >= Tb[l, hh])
            sb_ = ok & ((qb @ kb.T) >= Tr[l, hh])
            s_diff += int(np.count_nonzero(sa != sb_))
            s_total += int(np.count_nonzero(ok))
            kept_b += int(np.count_nonzero(sa))
            kept_r += int(np.count_nonzero(sb_))
        counts["survivors"] = (s_diff, s_total, None)
        if s_diff > tol.SURVIVOR_FRACTION * s_total:
            problems.append(f"survivors: {s_diff} of {s_total} pairs decide differently "
                            f"(bound {tol.SURVIVOR_FRACTION:.0%})")
        # floats: reported, and bounded through the metrics and rates
        rel = {}
        for name in ("threshold", "scale_q", "scale_k", "scale_v"):
            a, b = zb[name], zr[name]
            fin = np.isfinite(a) & np.isfinite(b)
            if np.any(np.isfinite(a) != np.isfinite(b)) or np.any(a[~fin] != b[~fin]):
                problems.append(f"{name}: finite in one trace and not in the other")
            r = np.abs(a[fin] - b[fin]) / np.maximum(np.abs(a[fin]), 1e-300)
            rel[name] = float(r.max(initial=0.0))
            # the calibration of a model whose weights were not trained: one float32 absmax each
            if name != "threshold" and not trained and rel[name] > tol.SCALE_REL:
                problems.append(f"{name}: largest relative difference {rel[name]:.2g} (bound {tol.SCALE_REL:g})")
        bad = [(p, x, y) for p, x, y in fields["float"] if not _float_ok(p, x, y)]
        for p, x, y in bad:
            problems.append(f"meta {p}: bundled {x!r}, regenerated {y!r} (bound: "
                            + (f"{tol.TRACE_RATE_ABS} absolute)" if "pruning_rate" in p or p.endswith("metric_loss")
                               else f"{tol.TRACE_METRIC_REL:.0%} relative)"))
        rate_b = 1 - kept_b / max(s_total, 1)
        rate_r = 1 - kept_r / max(s_total, 1)
        if abs(rate_b - rate_r) > tol.TRACE_RATE_ABS:
            problems.append(f"pruning rate over the trace: bundled {rate_b:.4f}, regenerated {rate_r:.4f} "
                            f"(bound {tol.TRACE_RATE_ABS} absolute)")

    def part(k, what):
        d, n, m = counts[k]
        return f"{k}: {d} of {n} {what} differ" + (f" (max |diff| {m})" if m is not None and d else "")
    lines.append(", ".join(part(k, "integers") for k in ("Q", "K", "V"))
                 + (" (trained weights: counted, not bounded)" if trained else ""))
    lines.append(part("thresholds", "integer thresholds") + (" (learned: counted, not bounded)" if learned else "")
                 + "; " + part("survivors", "pairs")
                 + f" (pruning rate {rate_b:.4f} bundled, {rate_r:.4f} regenerated)")
    lines.append("largest relative difference: " + ", ".join(f"{k} {v:.2g}" for k, v in rel.items())
                 + "; " + ", ".join(f"metric {k} {x:.8g} vs {y:.8g}" for p, x, y in fields["float"]
                                    for k in [p.split(".", 1)[1]] if p.startswith("metric.")))
    return {"identical": identical, "counts": counts, "rel": rel, "problems": problems, "lines": lines,
            "meta_floats": fields["float"], "rates": (rate_b, rate_r)}
