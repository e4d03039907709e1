"""Closed-loop task metric of arch/POLICIES.md's pruning rules on the transformer workloads that
`python -m lrpsim_export export` made (stories260K, use-lite, minilm-embed): each rule decides,
inside the model's forward pass, which keys every head of every layer attends to, and the task's
own metric is measured on the export's held-out inputs.

    python -m lrpsim_export closed-loop stories260K --config configs/leopard.yaml \\
        --config configs/policies/sanger.yaml ... --out results/closed-loop/stories260K.json

Everything is rebuilt from the bundled learned trace traces/data/NAME.npz: its meta records the export
command (model, data, bit widths, scales, held-out set, seed), so the task, its held-out inputs and
the quantization calibration are the exporter's, and its meta.metric.dense / .quantized must come
out again (generator.checks says whether they did, within the cross-machine tolerances of
lrpsim_export.tolerances, and by how much).

- `dense`: the original float model (the exporter's meta.metric.dense).
- a `leopard` config: the learned model's closed loop is what the exporter measured, with the trained
  weights and thresholds, integer Q/K/V and hard thresholds on the same held-out inputs: the bundled
  trace's meta.metric.pruned and meta.generator.eval_pruning_rate. The trained weights are not
  stored, so these two numbers are taken from the trace's meta (the entry's "source" says so);
  nothing is rerun for it.
- a training-free config (row_relative, sanger, spatten): the ORIGINAL model with the quantization of
  the exporter's "quantized" metric (its calibration: absmax over the held-out and trace inputs, the
  same scales as NAME-dense.npz), a PolicySession with the config's rule in the forward pass, and the
  task's metric; "model": "dense". For a non-causal model spatten runs a second time with SpAtten's
  cascade token pruning (PolicySession's docstring; "metric_cascade", "pruning_rate_cascade", the
  cascaded keys counted as pruned); a causal model (stories260K) has no cascade entry.

The pruning rate is dropped (query, key) pairs over allowed pairs, every layer, head and held-out input.
"""

import datetime
import json
import os
import platform
import shlex
import tempfile
import time

import numpy as np
import torch

from .errors import ExportError

SCHEMA = "lrpsim-closed-loop/1"
WORKLOADS = ("stories260K", "use-lite", "minilm-embed")
# Workloads whose exporter task Workload can rebuild: the closed-loop command's, and the long MiniLM
# sequences, which only the frontier sweeps (lrpsim_workloads.transformer_frontier).
REBUILDABLE = WORKLOADS + ("minilm-long128", "minilm-long256", "minilm-long512")
EXPORT_PREFIX = ["python", "-m", "lrpsim_export", "export"]
LEOPARD_SOURCE = ("the bundled trace's meta (metric.pruned and generator.eval_pruning_rate of {trace}): the "
                  "exporter's closed loop of the learned model (trained weights and thresholds, integer Q/K/V, "
                  "hard thresholds) on the same held-out inputs; the trained weights are not stored")


def repo_root():
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


def default_traces():
    return os.path.join(repo_root(), "traces", "data")


def check_workload(name, known=WORKLOADS):
    if name not in known:
        raise ExportError(f"closed-loop {name!r}: unknown workload; expected one of {', '.join(known)}")
    return name


def read_meta(path, what):
    from .tracefile import Trace
    if not os.path.isfile(path):
        raise ExportError(f"{path}: no such trace; expected {what}")
    with Trace(path) as t:
        return dict(t.meta)


def export_args(meta, path):
    """The argparse namespace of the export command that made a trace (meta.generator.command)."""
    from .cli import _parser
    cmd = (meta.get("generator") or {}).get("command")
    if not isinstance(cmd, str):
        raise ExportError(f"{path}: meta.generator.command: missing; expected the export command line")
    argv = shlex.split(cmd)
    if argv[:4] != EXPORT_PREFIX:
        raise ExportError(f"{path}: meta.generator.command: {cmd[:60]!r}: expected "
                          f"'{' '.join(EXPORT_PREFIX)} ...'")
    try:
        return _parser().parse_args(argv[3:])
    except SystemExit:
        raise ExportError(f"{path}: meta.generator.command: not an export command this version reads") from None


class Workload:
    """The exporter's task of a bundled trace, rebuilt from its recorded command, with its dense
    references, its dense and quantized metrics and the quantization calibration of the dense model.

    paths: optional overrides of the recorded data paths (babi_dir, model_path, use_lite_dir,
    minilm_dir); recorded relative paths are read from the repository root, where the command was
    typed. eval_batches: only the first N held-out batches (quick checks; None: all of them)."""

    def __init__(self, name, traces=None, *, paths=None, eval_batches=None, log=print):
        from .cli import _make_task
        from .capture import check_finite
        from .learn import absmax_scales, evaluate
        self.name = check_workload(name, REBUILDABLE)
        traces = traces or default_traces()
        self.trace_path = os.path.join(traces, name + ".npz")
        self.dense_path = os.path.join(traces, name + "-dense.npz")
        self.meta = read_meta(self.trace_path, f"the bundled learned trace {name}.npz (traces/regen.sh {name})")
        if self.meta.get("thresholds") == "none":
            raise ExportError(f"{self.trace_path}: meta.thresholds: 'none'; expected the learned trace, not a dense one")
        for f in ("metric", "generator"):
            if not isinstance(self.meta.get(f), dict):
                raise ExportError(f"{self.trace_path}: meta.{f}: missing; expected a trace made by lrpsim_export export")
        self.args = a = export_args(self.meta, self.trace_path)
        root = repo_root()
        for k, v in (paths or {}).items():
            setattr(a, k, v)
        for k in ("babi_dir", "model_path", "use_lite_dir", "minilm_dir"):
            v = getattr(a, k)
            if v and not os.path.isabs(v) and not (paths or {}).get(k):
                setattr(a, k, os.path.join(root, v))
        self.bits = (a.bits_q or a.bits, a.bits_k or a.bits, a.bits_v or a.bits)
        t0 = time.time()
        self.task = task = _make_task(a)
        self.model = task.model
        check_finite(self.model, task.name)
        self.eval = task.eval if eval_batches is None else task.eval[:eval_batches]
        self.full_eval = eval_batches is None or eval_batches >= len(task.eval)
        self.eval_inputs = sum(_batch_len(b) for b in self.eval)
        with torch.no_grad():
            self.refs = [task.run(self.model, b) for b in self.eval]
        # the exporter's calibration: absmax over ALL held-out inputs and the trace inputs, whatever
        # part of the held-out set is evaluated here
        self.quant = absmax_scales(task, self.model, task.eval + task.trace_inputs, self.bits, a.scales == "head")
        self.dense, _, _ = evaluate(task, self.model, self.eval, self.refs)
        self.quantized, _, _ = evaluate(task, self.model, self.eval, self.refs, quant=self.quant)
        log(f"{name}: {self.eval_inputs} held-out inputs; {task.metric_name} dense {self.dense:.6g}, "
            f"quantized {self.quantized:.6g} ({time.time() - t0:.0f}s)")

    @property
    def causal(self):
        return bool(getattr(self.model, "causal", False))

    @property
    def empty_row(self):
        return self.args.empty_row

    def run_policy(self, policy, params, bits_per_cycle, *, thresholds=None, cascade=False):
        """(metric, pruning rate) with a PolicySession of the rule in the forward pass of the original
        model, quantized with the dense calibration."""
        from .attention import PolicySession
        from .learn import _no_grad_run
        s = PolicySession(policy, params, quant=self.quant, bits_per_cycle=bits_per_cycle, thresholds=thresholds,
                          empty_row=self.empty_row, cascade=cascade)
        outs = _no_grad_run(self.task, self.model, self.eval, s)
        return self.task.metric(outs, self.refs, self.eval), s.pruning_rate()

    def no_pruning_thresholds(self):
        from .learn import Thresholds
        return Thresholds.constant(len(self.quant.scale_q), self.model.num_heads, float("-inf"))

    def checks(self):
        """Whether this rebuild is the exporter's: the learned trace's dense and quantized metrics
        (full held-out set only) and the dense trace's scales, within the cross-machine tolerances of
        lrpsim_export.tolerances (METRIC_REL, QUANTIZED_METRIC_REL, SCALE_REL: bit-identical only on the
        CPU type that made
        the traces; traces/python/REPRODUCIBILITY.md). *_max_rel_diff: the measured differences."""
        from .tolerances import METRIC_REL, QUANTIZED_METRIC_REL, SCALE_REL
        from .tracefile import Trace
        out = {}
        m = self.meta["metric"]
        if self.full_eval:
            for k, v, tol in (("dense", self.dense, METRIC_REL),
                              ("quantized", self.quantized, QUANTIZED_METRIC_REL)):
                r = rel_diff(v, m.get(k))
                out[f"trace_metric_{k}_reproduced"] = r <= tol
                out[f"trace_metric_{k}_rel_diff"] = _finite(r)
        if os.path.isfile(self.dense_path):
            f64 = (np.dtype("float64"),)
            with Trace(self.dense_path) as t:
                r = max(rel_diff_array(getattr(self.quant, n).numpy(), t.array(n, f64, 2))
                        for n in ("scale_q", "scale_k", "scale_v"))
                dense = t.meta.get("thresholds") == "none"
            out["dense_trace_scales_reproduced"] = bool(dense and r <= SCALE_REL)
            out["dense_trace_scales_max_rel_diff"] = _finite(r)
        return out


def _finite(x):
    return x if np.isfinite(x) else None


def rel_diff(x, ref):
    """|x - ref| / |ref| (inf where ref is missing or not a number)."""
    if not isinstance(ref, (int, float)) or not isinstance(x, (int, float)) or ref != ref or x != x:
        return float("inf")
    if x == ref:
        return 0.0
    return abs(x - ref) / abs(ref) if ref != 0 else float("inf")


def rel_diff_array(x, ref):
    """Largest |x - ref| / |ref| of two arrays of positive numbers (inf if the shapes differ)."""
    x, ref = np.asarray(x, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if x.shape != ref.shape:
        return float("inf")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(x == ref, 0.0, np.abs(x - ref) / np.abs(ref))
    return float(np.nan_to_num(r, nan=np.inf).max(initial=0.0))


def _where():
    return (f"CPU, {torch.get_num_threads()} torch thread(s) on a {os.cpu_count()}-core {platform.machine()} "
            f"machine")


def _batch_len(b):
    return int(b[0].shape[0]) if isinstance(b, (tuple, list)) else int(b.shape[0])


def read_configs(paths):
    """[(name, policy, params, bits_per_cycle)] of config files, names distinct."""
    from .policies import read_config
    if not paths:
        raise ExportError("--config: none given; expected at least one lrpsim config YAML")
    cfgs, seen = [], {}
    for p in paths:
        c = read_config(p)
        if c[0] in seen:
            raise ExportError(f"{p}: name {c[0]!r}: already used by {seen[c[0]]}; expected distinct config names")
        seen[c[0]] = p
        cfgs.append(c)
    return cfgs


def closed_loop(name, configs, *, traces=None, paths=None, eval_batches=None, command="", log=print):
    """The closed-loop document (SCHEMA) of a workload for a list of config paths."""
    check_workload(name)
    cfgs = read_configs(configs)
    traces = traces or default_traces()
    dense_path = os.path.join(traces, name + "-dense.npz")
    read_meta(dense_path, f"the dense-model trace (traces/regen.sh --dense {name})")
    t_all = time.time()
    w = Workload(name, traces, paths=paths, eval_batches=eval_batches, log=log)
    m, g = w.meta["metric"], w.meta["generator"]
    pol, seconds = {}, {}
    for cname, policy, params, p in cfgs:
        t0 = time.time()
        if policy == "leopard":
            for f, where in (("pruned", m), ("eval_pruning_rate", g)):
                if not isinstance(where.get(f), (int, float)):
                    raise ExportError(f"{w.trace_path}: meta {f}: missing; expected the exporter's closed loop")
            pol[cname] = {"metric": float(m["pruned"]), "pruning_rate": float(g["eval_pruning_rate"]),
                          "model": "learned", "source": LEOPARD_SOURCE.format(trace=name + ".npz")}
            log(f"  {cname} (leopard, learned model, from the trace's meta): {m['name']} {m['pruned']:.6g}, "
                f"pruning rate {g['eval_pruning_rate']:.4f}")
            continue
        metric, rate = w.run_policy(policy, params, p)
        pol[cname] = {"metric": metric, "pruning_rate": rate, "model": "dense"}
        log(f"  {cname} ({policy}, dense model): {m['name']} {metric:.6g}, pruning rate {rate:.4f} "
            f"({time.time() - t0:.0f}s)")
        if policy == "spatten" and not w.causal:
            metric, rate = w.run_policy(policy, params, p, cascade=True)
            pol[cname].update(metric_cascade=metric, pruning_rate_cascade=rate)
            log(f"  {cname} with its cascade: {m['name']} {metric:.6g}, pruning rate {rate:.4f}")
        seconds[cname] = round(time.time() - t0, 1)
    a = w.args
    doc = {
        "schema": SCHEMA, "workload": name, "trace": name, "dense_trace": name + "-dense",
        "metric": w.task.metric_name, "higher_is_better": bool(w.task.higher_is_better),
        "dense": w.dense, "policies": pol,
        "generator": {
            "command": command, "date": datetime.date.today().isoformat(),
            "tool": "lrpsim_export closed-loop", "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "threads": torch.get_num_threads(),
            "eval_inputs": w.eval_inputs, "eval_inputs_of_the_export": m.get("eval_inputs"),
            "eval_source": w.task.source, "export_command": g.get("command"),
            "model": w.meta.get("model"), "seed": a.seed, "bits": list(w.bits), "scales": a.scales,
            "causal": w.causal, "empty_row": w.empty_row,
            "calibration": "absmax of the original model's q, k, v over every held-out and trace input "
                           "(the exporter's 'quantized' metric and the dense-model trace)",
            "quantized": w.quantized,
            "trace_metric": {k: m.get(k) for k in ("dense", "quantized", "pruned")},
            "checks": w.checks(),
            "configs": [{"name": n, "policy": po, "params": pa, "bits_per_cycle": p} for n, po, pa, p in cfgs],
            "cascade": ("none: the model is causal, and PolicySession models SpAtten's cascade for non-causal "
                        "models only; spatten's metric and pruning_rate are the per-row rule alone, as lrpsim "
                        "replays it") if w.causal else (
                "spatten's metric_cascade and pruning_rate_cascade: a key no row of any head keeps in layer l "
                "is removed from layers > l of the same input (lrpsim_export.attention.PolicySession); metric "
                "and pruning_rate: the per-row rule alone, as lrpsim replays it"),
            "where": _where(),
            "seconds": seconds, "wall_seconds": round(time.time() - t_all, 1),
        },
    }
    if not w.full_eval:
        doc["generator"]["note"] = (f"only the first {w.eval_inputs} of the export's held-out inputs were evaluated; "
                                    "the leopard entry is the trace meta's, over all of them")
    return doc


def check_json_output(path, force):
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ExportError(f"{path}: is a directory; expected a .json file name")
    if os.path.lexists(path) and not force:
        raise ExportError(f"{path}: already exists; pass --force to overwrite it")
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise ExportError(f"{path}: folder {d} does not exist")


def write_text_atomic(path, text):
    """Write text to path atomically (a temporary file beside it, renamed into place), mode 0644."""
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise ExportError(f"{path}: folder {d} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".lrpsim-out-", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path, doc, force=False):
    """Write doc as sorted, indented JSON, atomically (write_text_atomic)."""
    check_json_output(path, force)
    write_text_atomic(path, json.dumps(doc, indent=1, sort_keys=True, allow_nan=False) + "\n")
