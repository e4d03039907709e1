"""Closed-loop accuracy of the runtime-pruning policies of arch/POLICIES.md on MemN2N / bAbI, and the
dense (threshold-free) MemN2N traces.

The bundled trace memn2n-babi-qaN.npz records how its model was made (generator.dense_seed: the dense
run the suite kept; generator.lam: the regularizer weight it kept; generator.seed). `rebuild`
trains exactly those again (one dense run, one threshold training) with the suite's recipe
(babi_task.BabiConfig), so the models here are the trace's models; `reproduces` checks it by
recording the trace inputs again and comparing every integer with the bundled files.

- dense trace (`python3 -m lrpsim_workloads babi-dense --tasks N --out traces/data`): the dense model
  (before threshold training) quantized with its own calibration (8 bits, per-layer scales over the
  training set, as the suite's "quantized" accuracy uses), thresholds -inf, the same trace inputs
  as memn2n-babi-qaN.npz; meta "thresholds": "none" (the learned traces: "learned").
- closed loop (`python3 -m lrpsim_workloads closed-loop --task N --config A.yaml ... --out F.json`):
  test accuracy (all of the task's test questions) of the dense model in float, of `leopard` on the
  learned-threshold model (its thresholds and calibration), and of every training-free policy on
  the dense model (its calibration), each through lrpsim_export.attention.PolicySession: the
  policy's keep mask (lrpsim_export.policies) decides inside the forward pass which memories each
  hop attends to. `spatten` runs twice: as the rule lrpsim replays (per row, arch/POLICIES.md;
  `metric`, `pruning_rate`), and with SpAtten's cascade token pruning on top (PolicySession's
  docstring gives the reading; `metric_cascade`, `pruning_rate_cascade`, which counts the cascaded
  keys as pruned). The replay's cycles and energy are the first one's, so lrpsim compare shows it.
"""

import copy
import dataclasses
import datetime
import json
import os

import numpy as np
import torch

from lrpsim_export.attention import PolicySession
from lrpsim_export.closed_loop import write_json, write_text_atomic as write_text  # noqa: F401 (the CLI's writers)
from lrpsim_export.capture import attached
from lrpsim_export.errors import ExportError
from lrpsim_export.learn import Thresholds
from lrpsim_export.policies import read_config
from lrpsim_export.tracefile import Trace

from . import babi
from .babi_task import BabiConfig, MemN2NWorkload, eval_batches, recency, train_dense_run
from .prune import calibrate, evaluate, learn_thresholds

SCHEMA = "lrpsim-closed-loop/1"


def trace_path(folder, task, dense=False):
    return os.path.join(folder, f"memn2n-babi-qa{task}{'-dense' if dense else ''}.npz")


def trace_generator(path):
    """The generator block of a bundled learned MemN2N trace (dense_seed, lam, seed, knobs)."""
    if not os.path.isfile(path):
        raise ExportError(f"{path}: no such trace; expected the bundled MemN2N trace (traces/workloads.sh makes it)")
    with Trace(path) as t:
        g = t.meta.get("generator", {})
    for f in ("dense_seed", "lam", "seed"):
        if f not in g:
            raise ExportError(f"{path}: meta.generator.{f}: missing; expected a trace made by lrpsim_workloads")
    return g


@dataclasses.dataclass
class Models:
    task: object
    cfg: object
    wl: object
    dense: object
    quant0: object  # the dense model's calibration
    learned: object
    th: object
    quant: object  # the learned model's calibration
    gen: dict


def rebuild(task_id, gen, babi_dir=None, log=print, learned=True):
    """The dense and the learned-threshold models of a bundled trace, trained again from its recorded
    seeds with the suite's recipe (one dense run, one threshold training)."""
    cfg = BabiConfig()
    for k, want in (("dim", cfg.dense.dim), ("hops", cfg.dense.hops), ("prune_epochs", cfg.prune.epochs)):
        if k in gen and gen[k] != want:
            raise ExportError(f"the trace was made with {k}={gen[k]}, this code trains {k}={want}")
    task = babi.load_task(task_id, babi_dir, cfg.dense.memory_size)
    wl = MemN2NWorkload(task, cfg.dense)
    dense, va, _ = train_dense_run(task, cfg.dense, int(gen["dense_seed"]))
    log(f"  dense run seed {gen['dense_seed']}: validation accuracy {va:.4f}")
    train_b = eval_batches(task.train, task.memory_size)
    bits = (cfg.bits,) * 3
    quant0, init, sigma = calibrate(wl, dense, train_b, bits, quantile=cfg.prune.init_quantile)
    model = th = quant = None
    if learned:
        model = copy.deepcopy(dense)
        pc = dataclasses.replace(cfg.prune, lam=float(gen["lam"]))
        th, _ = learn_thresholds(wl, model, pc, init, sigma, seed=int(gen["seed"]) * 1000 + task_id)
        quant, _, _ = calibrate(wl, model, train_b, bits)
        log(f"  thresholds (lambda {gen['lam']}): {[round(float(x), 4) for x in th.as_array()[:, 0]]}")
    return Models(task, cfg, wl, dense, quant0, model, th, quant, gen)


def trace_inputs(task, cfg):
    """The suite's trace inputs (suite.trace_questions): whole test stories, at most
    cfg.trace_max_inputs questions, one input per question."""
    from .suite import trace_questions
    test = task.test
    idx = trace_questions(test.questions, cfg.trace_max_inputs)
    inputs = []
    for i in idx:
        ml = test.mem_len[i:i + 1]
        inputs.append((test.story[i:i + 1], ml, recency(ml, task.memory_size), test.query[i:i + 1],
                       test.answer[i:i + 1]))
    return idx, inputs


def reproduces(path, model, th, quant, inputs):
    """Whether running `inputs` through `model` in hard mode gives every integer, threshold and scale
    of the trace at `path`."""
    from lrpsim_export.export import record_hard
    import types
    task = types.SimpleNamespace(trace_inputs=inputs, run=lambda m, b: m(*b[:4]), valid_lengths=lambda b: None)
    records = record_hard(task, model, th, quant)
    f64 = (np.dtype("float64"),)
    with Trace(path) as t:
        if t.B != len(records):
            return False
        for name, a in (("threshold", th.as_array().numpy()), ("scale_q", quant.scale_q.numpy()),
                        ("scale_k", quant.scale_k.numpy()), ("scale_v", quant.scale_v.numpy())):
            if not np.array_equal(t.array(name, f64, 2), a):
                return False
        for b, fwd in enumerate(records):
            for r in fwd:
                vq, vk = int(r.valid_q[0]), int(r.valid_k[0])
                q, k, v = t.head(b, r.layer, 0)
                for x, y in ((q, r.q[0, 0, :vq]), (k, r.k[0, 0, :vk]), (v, r.v[0, 0, :vk])):
                    if x.shape != tuple(y.shape) or not np.array_equal(x.astype(np.int64), y.numpy()):
                        return False
    return True


def dense_trace_job(args, log):
    """Write memn2n-babi-qaN-dense.npz: the dense model of the bundled trace, thresholds -inf."""
    from .export import generator_meta, write as write_trace
    t = args["task"]
    learned_path = trace_path(args["traces"], t)
    gen = trace_generator(learned_path)
    m = rebuild(t, gen, args.get("babi_dir"), log, learned=False)
    task, cfg = m.task, m.cfg
    test_b = eval_batches(task.test, task.memory_size)
    d_test = evaluate(m.wl, m.dense, test_b).accuracy
    q_test = evaluate(m.wl, m.dense, test_b, quant=m.quant0).accuracy
    idx, inputs = trace_inputs(task, cfg)
    with Trace(learned_path) as lt:
        lmeta = dict(lt.meta)
        if lt.B != len(inputs):
            raise ExportError(f"{learned_path}: {lt.B} inputs, but the suite's trace inputs are {len(inputs)}")
    th = Thresholds.constant(cfg.dense.hops, 1, float("-inf"))
    meta = {k: lmeta[k] for k in ("model", "task", "source", "synthetic", "bits_q", "bits_k", "bits_v", "causal",
                                  "threshold_granularity", "score", "layers_are") if k in lmeta}
    meta["thresholds"] = "none"
    meta["metric"] = {"name": "accuracy", "dense": d_test, "quantized": q_test, "pruned": q_test,
                      "note": "the dense model (trained without the threshold regularizer); quantized: "
                              "integer Q/K/V, thresholds -inf (no pruning); pruned = quantized"}
    meta["generator"] = generator_meta(args["command"], gen["seed"], workload=f"babi {t} dense",
                                       dense_seed=gen["dense_seed"], learned_trace=os.path.basename(learned_path),
                                       epochs=gen.get("epochs"), dim=cfg.dense.dim, hops=cfg.dense.hops)
    path = trace_path(args["out"], t, dense=True)
    if os.path.exists(path) and not args.get("force"):
        raise ExportError(f"{path}: already exists; pass --force to overwrite it")
    write_trace(path, m.dense, lambda mm, b: mm(*b[:4]), inputs, th, m.quant0, meta, "keep_max")
    log(f"wrote {path}: dense accuracy {d_test:.4f}, quantized {q_test:.4f}, {len(inputs)} inputs")
    return path


def policy_accuracy(m, model, quant, th, policy, params, p, batches, cascade=False):
    """(accuracy, pruning rate) of one policy in the closed loop."""
    s = PolicySession(policy, params, quant=quant, bits_per_cycle=p, thresholds=th,
                      empty_row=m.wl.empty_row, cascade=cascade)
    correct = total = 0
    model.eval()
    with torch.no_grad(), attached(model, s, check_weights=False):
        for b in batches:
            correct += m.wl.correct(m.wl.forward(model, b), b)
            total += m.wl.size(b)
    return correct / total, s.pruning_rate()


def closed_loop(task_id, configs, *, traces, babi_dir=None, command="", seed_check=True, log=print):
    """The closed-loop JSON document (SCHEMA) for a bAbI task and a list of config paths."""
    cfgs = [read_config(c) for c in configs]
    names = [c[0] for c in cfgs]
    if len(set(names)) != len(names):
        raise ExportError(f"--config: config names {names}: expected distinct names")
    learned_path = trace_path(traces, task_id)
    dense_path = trace_path(traces, task_id, dense=True)
    gen = trace_generator(learned_path)
    if not os.path.isfile(dense_path):
        raise ExportError(f"{dense_path}: no such trace; expected the dense trace "
                          f"(python3 -m lrpsim_workloads babi-dense --tasks {task_id} --out {traces})")
    m = rebuild(task_id, gen, babi_dir, log)
    test_b = eval_batches(m.task.test, m.task.memory_size)
    dense_acc = evaluate(m.wl, m.dense, test_b).accuracy
    hard = evaluate(m.wl, m.learned, test_b, thresholds=m.th, quant=m.quant)
    _, inputs = trace_inputs(m.task, m.cfg)
    same = {}
    if seed_check:
        same = {os.path.basename(learned_path): reproduces(learned_path, m.learned, m.th, m.quant, inputs),
                os.path.basename(dense_path): reproduces(dense_path, m.dense,
                                                         Thresholds.constant(m.cfg.dense.hops, 1, float("-inf")),
                                                         m.quant0, inputs)}
        for k, v in same.items():
            log(f"  {k}: {'every integer, threshold and scale reproduced' if v else 'NOT reproduced'}")
    pol = {}
    for name, policy, params, p in cfgs:
        if policy == "leopard":
            acc, rate = policy_accuracy(m, m.learned, m.quant, m.th, policy, params, p, test_b)
            which = "learned"
        else:
            acc, rate = policy_accuracy(m, m.dense, m.quant0, None, policy, params, p, test_b)
            which = "dense"
        pol[name] = {"metric": acc, "pruning_rate": rate, "model": which}
        log(f"  {name} ({policy}, {which} model): accuracy {acc:.4f}, pruning rate {rate:.4f}")
        if policy == "spatten":
            acc, rate = policy_accuracy(m, m.dense, m.quant0, None, policy, params, p, test_b, cascade=True)
            pol[name].update(metric_cascade=acc, pruning_rate_cascade=rate)
            log(f"  {name} with its cascade: accuracy {acc:.4f}, pruning rate {rate:.4f}")
    return {
        "schema": SCHEMA, "workload": f"memn2n-babi-qa{task_id}", "metric": "accuracy",
        "trace": f"memn2n-babi-qa{task_id}", "dense_trace": f"memn2n-babi-qa{task_id}-dense",
        "dense": dense_acc, "policies": pol,
        "generator": {"command": command, "seed": int(gen["seed"]), "date": datetime.date.today().isoformat(),
                      "test_questions": len(m.task.test), "dense_seed": int(gen["dense_seed"]),
                      "lambda": float(gen["lam"]), "learned_hard_mode_accuracy": hard.accuracy,
                      "learned_hard_mode_pruning_rate": hard.pruning_rate,
                      "traces_reproduced": same,
                      "configs": [{"name": n, "policy": po, "params": pa, "bits_per_cycle": p}
                                  for n, po, pa, p in cfgs],
                      "cascade": "spatten's metric_cascade and pruning_rate_cascade: a memory no hop-l "
                                 "row keeps is removed from hops > l (lrpsim_export.attention.PolicySession); "
                                 "metric and pruning_rate: the per-row rule alone, as lrpsim replays it",
                      "torch": torch.__version__},
    }


def summary_markdown(folder, traces=None):
    """SUMMARY.md of a folder of closed-loop JSON files (SCHEMA): one table per task metric; per
    workload, the dense metric and each policy's metric and pruning rate (SpAtten also with its
    cascade where it was measured), then per policy the mean change from dense and the workloads
    that lose more than 0.01 (accuracy-like metrics: 0.01 absolute; lower-is-better metrics such as
    perplexity: 1% relative). Workloads in natural order (qa2 before qa10). With `traces` (a folder
    holding the workloads' bundled traces), two more columns: the dense and pruned metric that the
    bundled learned trace records (meta.metric), the models the suite made, which the retrained
    models here match only where the machine's arithmetic reproduces them."""
    import re
    files = sorted(f for f in os.listdir(folder) if f.endswith(".json"))
    if not files:
        raise ExportError(f"{folder}: no closed-loop results (*.json)")
    groups = {}
    for f in files:
        path = os.path.join(folder, f)
        with open(path) as fh:
            try:
                doc = json.load(fh)
            except json.JSONDecodeError as e:
                raise ExportError(f"{path}: not JSON ({e})") from e
        if doc.get("schema") != SCHEMA:
            raise ExportError(f"{path}: schema {doc.get('schema')!r}: expected {SCHEMA}")
        doc["_path"] = path
        key = (doc["metric"], bool(doc.get("higher_is_better", True)))
        groups.setdefault(key, []).append(doc)
    natural = lambda d: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", d["workload"])]
    out = ["# Closed-loop accuracy of the runtime-pruning policies",
           "",
           "Generated by `python3 -m lrpsim_workloads closed-loop-summary` (results/closed-loop/regen.sh "
           "runs it) from the JSON files beside this one; do not edit. Each cell: the task metric with the "
           "policy's mask inside the forward pass, and in brackets its pruning rate; n/a: not measured. "
           "*dense* and the policies' models are the ones the closed loop retrained or loaded (README.md); "
           "the last column is what the bundled learned trace records for the suite's own models."]
    for (metric, higher), docs in sorted(groups.items()):
        docs.sort(key=natural)
        names = list(docs[0]["policies"])
        for d in docs:
            if list(d["policies"]) != names:
                raise ExportError(f"{d['_path']}: policies {list(d['policies'])}, expected {names} like "
                                  f"{docs[0]['_path']}")
        cols = []
        for n in names:
            cols.append((n, n, "metric", "pruning_rate"))
            if any("metric_cascade" in d["policies"][n] for d in docs):
                cols.append((n + " + cascade", n, "metric_cascade", "pruning_rate_cascade"))
        worse = (lambda x, dense: x < dense - 0.01) if higher else (lambda x, dense: x > dense * 1.01)
        suite = {}
        for d in docs:
            path = os.path.join(traces, d.get("trace", d["workload"]) + ".npz") if traces else None
            if path and os.path.isfile(path):
                with Trace(path) as t:
                    m = t.meta.get("metric", {})
                suite[d["workload"]] = f"{m['dense']:.3f} / {m['pruned']:.3f}" if "dense" in m and "pruned" in m else "n/a"
        extra = " | suite's trace: dense / leopard" if suite else ""
        out += ["", f"## {metric} ({'higher' if higher else 'lower'} is better)", "",
                "| workload | dense | " + " | ".join(c[0] for c in cols) + extra + " |",
                "|---|---|" + "---|" * len(cols) + ("---|" if suite else "")]
        change = {c[0]: [] for c in cols}
        lost = {c[0]: 0 for c in cols}
        for d in docs:
            cells = []
            for label, n, m, r in cols:
                e = d["policies"][n]
                if m not in e:
                    cells.append("n/a")
                    continue
                cells.append(f"{e[m]:.3f} ({e[r]:.2f})")
                change[label].append(e[m] - d["dense"])
                lost[label] += worse(e[m], d["dense"])
            if suite:
                cells.append(suite.get(d["workload"], "n/a"))
            out.append(f"| {d['workload']} | {d['dense']:.3f} | " + " | ".join(cells) + " |")
        tail = " | |" if suite else " |"
        out.append(f"| mean change from dense | | " +
                   " | ".join(f"{sum(v) / len(v):+.3f} ({len(v)})" if v else "n/a" for v in change.values()) + tail)
        out.append(f"| workloads losing more than {'0.01' if higher else '1%'} | | " +
                   " | ".join(str(lost[c[0]]) for c in cols) + tail)
    return "\n".join(out) + "\n"
