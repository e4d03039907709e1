"""The suite: one job per workload (a bAbI task, or the ViT), the machine-readable results
(workloads.json) and the manifest (WORKLOADS.md)."""

import copy
import dataclasses
import datetime
import json
import os
import tempfile

import torch

from . import __version__
from .export import generator_meta, write as write_trace

SCHEMA = "lrpsim-workloads/1"

# Rough relative cost of a bAbI task (story length), to start the long ones first.
BABI_COST = {3: 6, 2: 4, 5: 3, 8: 3, 7: 3, 6: 3, 18: 2, 20: 2, 14: 2}

# Test error (%) of MemN2N with 3 hops, 1k training set, independent training, in Sukhbaatar et al.
# 2015 (arXiv:1503.08895v5), Table 1: column "PE" (position encoding only) and column "PE LS RN"
# (position encoding, linear start, random noise: the recipe trained here). These are the values as
# we read them; the PE LS RN column agrees within a few points with the public re-run of the
# authors' MemN2N-babi-matlab code (github.com/vinhkhuc/MemN2N-babi-python, bechmarks/README.md).
PAPER_ERR_PE = {1: 0.1, 2: 21.6, 3: 64.2, 4: 3.8, 5: 14.1, 6: 7.9, 7: 21.6, 8: 12.6, 9: 23.3, 10: 17.4,
                11: 4.3, 12: 0.3, 13: 9.9, 14: 1.8, 15: 0.0, 16: 52.1, 17: 50.1, 18: 13.6, 19: 87.4, 20: 0.0}
PAPER_ERR_PE_LS_RN = {1: 0.0, 2: 8.3, 3: 40.3, 4: 2.8, 5: 13.1, 6: 7.6, 7: 17.3, 8: 10.0, 9: 13.2, 10: 15.1,
                      11: 0.9, 12: 0.2, 13: 0.4, 14: 1.7, 15: 0.0, 16: 1.3, 17: 51.0, 18: 11.1, 19: 82.8, 20: 0.0}
BAND_SLACK = 5.0  # points below the paper's accuracy that still count as "in range"


def paper_band(task):
    """(PE accuracy %, PE LS RN accuracy %) of the MemN2N paper for a task."""
    return 100 - PAPER_ERR_PE[task], 100 - PAPER_ERR_PE_LS_RN[task]


def band_verdict(task, dense_acc):
    pe, ls = paper_band(task)
    a = 100 * dense_acc
    if a >= ls - BAND_SLACK:
        return "in range"
    if a >= min(pe, ls) - BAND_SLACK:
        return "PE level (below PE LS RN)"
    return "below"


def trace_questions(questions, max_inputs):
    """Indices of the questions of whole test stories in file order, as many stories as fit in
    max_inputs questions (at least the first story, cut to max_inputs)."""
    by_story = {}
    for i, q in enumerate(questions):
        by_story.setdefault(q.story, []).append(i)
    idx = []
    for story in sorted(by_story):
        qs = by_story[story]
        if len(idx) + len(qs) > max_inputs:
            break
        idx += qs
    return idx or by_story[min(by_story)][:max_inputs]


def babi_job(args, log):
    from .babi_task import BabiConfig, recency, run_task
    t = args["task"]
    cfg = BabiConfig()
    if args.get("runs"):
        cfg.dense.runs = args["runs"]
    r, task = run_task(t, cfg, args["seed"], args.get("babi_dir"), log=log)
    test = task.test
    idx = trace_questions(test.questions, cfg.trace_max_inputs)
    inputs = []
    for i in idx:
        ml = test.mem_len[i:i + 1]
        inputs.append((test.story[i:i + 1], ml, recency(ml, task.memory_size), test.query[i:i + 1],
                       test.answer[i:i + 1]))
    stories = sorted({test.questions[i].story for i in idx})
    path = os.path.join(args["out"], f"memn2n-babi-qa{t}.npz")
    name = os.path.basename(task.test_path)
    meta = {
        "model": "memn2n",
        "task": f"babi-qa{t}",
        "source": (f"bAbI tasks_1-20_v1-2 en (1k set, CC BY 3.0), {name}: the {len(idx)} questions of test "
                   f"stories {stories[0]}-{stories[-1]} (file order); one input per question: per hop its query "
                   f"row over the task's {task.memory_size} memory slots, the statements of its story before it "
                   f"(the most recent {task.memory_size}) and then empty slots (zero vectors), which the model's "
                   f"softmax also sees"),
        "synthetic": False,
        "bits_q": cfg.bits, "bits_k": cfg.bits, "bits_v": cfg.bits,
        "causal": False,
        "threshold_granularity": "layer",
        "thresholds": "learned",
        "metric": {"name": "accuracy", "dense": r.dense_test, "pruned": r.pruned_test},
        "score": ("MemN2N's score is u.m (no 1/sqrt(d)); q holds sqrt(d)*u, so that FORMAT.md's "
                  "s = q.k/sqrt(d) is the model's own score and the threshold is in its units"),
        "layers_are": "hops (query u^k; keys: memory embedding k + temporal; values: embedding k+1 + temporal)",
        "generator": generator_meta(args["command"], args["seed"], workload=f"babi {t}", dense_seed=r.dense_seed,
                                    runs=cfg.dense.runs, epochs=[cfg.dense.ls_epochs, cfg.dense.epochs],
                                    dim=cfg.dense.dim, hops=cfg.dense.hops, lam=r.lam,
                                    lambdas=list(cfg.lambdas), prune_epochs=cfg.prune.epochs,
                                    empty_weight=cfg.prune.empty_weight,
                                    temperature=[cfg.prune.t_start, cfg.prune.t_end, "x sigma", r.sigma]),
    }
    counts, preds = write_trace(path, r.model, lambda m, b: m(*b[:4]), inputs, r.th, r.qspec, meta, "keep_max")
    trace_correct = sum(int(p == int(b[4][0])) for p, b in zip(preds, inputs))
    if args.get("save_models"):
        os.makedirs(args["save_models"], exist_ok=True)
        torch.save(r.model.state_dict(), os.path.join(args["save_models"], f"memn2n-babi-qa{t}.pt"))
    entry = {
        "key": f"memn2n/babi-qa{t}", "model": "memn2n", "task": f"babi-qa{t}", "task_name": r.name,
        "trace": os.path.basename(path), "trace_bytes": os.path.getsize(path), "trace_inputs": len(idx),
        "trace_correct": trace_correct,
        "trace_pruning_rate": float(1 - counts[:, 0].sum() / max(counts[:, 1].sum(), 1)),
        "dense_accuracy": r.dense_test, "dense_valid_accuracy": r.dense_valid,
        "quantized_accuracy": r.quant_test, "pruned_accuracy": r.pruned_test,
        "pruned_valid_accuracy": r.pruned_valid,
        "accuracy_change": r.pruned_test - r.dense_test,
        "pruning_rate": r.pruning_rate, "layer_pruning_rates": r.layer_rates, "empty_rows": r.empty_rows,
        "lambda": r.lam, "thresholds": r.thresholds, "score_sigma": r.sigma, "quant": r.quant, "bits": cfg.bits,
        "sweep": r.sweep, "dense_runs": r.runs, "dense_seed": r.dense_seed,
        "paper_accuracy_pe": paper_band(t)[0] / 100, "paper_accuracy_pe_ls_rn": paper_band(t)[1] / 100,
        "band": band_verdict(t, r.dense_test),
        "test_questions": len(task.test), "vocabulary": len(task.vocab), "memory_size": task.memory_size,
    }
    return entry


def vit_job(args, log):
    import time
    from . import mnist, vit
    from .prune import calibrate, evaluate, fits, learn_thresholds
    t0 = time.time()
    cfg = vit.ViTConfig()
    if args.get("epochs"):
        cfg.epochs = args["epochs"]
    seed = args["seed"]
    data, folder = mnist.load(args.get("mnist_dir"))
    x = vit.to_tensor(data["train"][0])
    y = torch.from_numpy(data["train"][1].astype("int64"))
    xt = vit.to_tensor(data["test"][0])
    yt = torch.from_numpy(data["test"][1].astype("int64"))
    ntr = x.shape[0] - cfg.valid
    xtr, ytr, xva, yva = x[:ntr], y[:ntr], x[ntr:], y[ntr:]
    log(f"ViT on MNIST ({folder}): {ntr} train, {cfg.valid} valid, {xt.shape[0]} test images; "
        f"{cfg.depth} layers x {cfg.heads} heads of {cfg.dim // cfg.heads}, {cfg.epochs} epochs")
    dense = vit.train_dense(cfg, xtr, ytr, seed, log)
    wl = vit.ViTWorkload(cfg, xtr, ytr, per_epoch=cfg.prune_train)
    test_b, val_b = vit.batches(xt, yt), vit.batches(xva, yva)
    calib_b = vit.batches(xtr[:5000], ytr[:5000])
    d_test = evaluate(wl, dense, test_b).accuracy
    d_val = evaluate(wl, dense, val_b).accuracy
    bits = (cfg.bits,) * 3
    quant0, init, sigma = calibrate(wl, dense, calib_b, bits, quantile=cfg.prune.init_quantile)
    q_test = evaluate(wl, dense, test_b, quant=quant0).accuracy
    log(f"  dense: test {d_test:.4f}, valid {d_val:.4f}; quantized {cfg.bits}-bit: test {q_test:.4f}; "
        f"score sigma {sigma:.3f} ({time.time() - t0:.0f}s)")
    sweep, cands = [], []
    for lam in cfg.lambdas:
        model = copy.deepcopy(dense)
        pc = dataclasses.replace(cfg.prune, lam=lam)
        th, _ = learn_thresholds(wl, model, pc, init, sigma, seed=seed * 1000 + 1,
                                 log=None if args["quiet"] else log)
        quant, _, _ = calibrate(wl, model, calib_b, bits)
        fits(th, quant, [cfg.dim // cfg.heads] * cfg.depth)
        v = evaluate(wl, model, val_b, thresholds=th, quant=quant)
        sweep.append(dict(lam=lam, valid_acc=v.accuracy, valid_pruning=v.pruning_rate,
                          valid_layer_pruning=v.layer_rates, thresholds=[float(a) for a in th.as_array()[:, 0]]))
        log(f"  lambda {lam:g}: valid accuracy {v.accuracy:.4f}, pruning {v.pruning_rate:.3f} "
            f"{[round(a, 3) for a in v.layer_rates]} ({time.time() - t0:.0f}s)")
        cands.append((lam, model, th, quant, v))
    ok = [c for c in cands if c[4].accuracy >= d_val - cfg.max_valid_drop - 1e-9]
    if ok:
        lam, model, th, quant, v = max(ok, key=lambda c: (c[4].pruning_rate, c[4].accuracy))
    else:
        lam, model, th, quant, v = max(cands, key=lambda c: (c[4].accuracy, c[4].pruning_rate))
    t = evaluate(wl, model, test_b, thresholds=th, quant=quant)
    log(f"  chosen lambda {lam:g}: test accuracy dense {d_test:.4f} -> pruned {t.accuracy:.4f}, pruning "
        f"{t.pruning_rate:.3f} (per layer {[round(a, 3) for a in t.layer_rates]}), empty rows {t.empty_rows:.3f}")
    inputs = [(xt[i:i + 1], yt[i:i + 1]) for i in range(cfg.trace_inputs)]
    path = os.path.join(args["out"], "vit-mnist.npz")
    meta = {
        "model": "vit-mnist",
        "task": "mnist",
        "source": (f"MNIST test set (t10k-images-idx3-ubyte.gz of the Go module {mnist.MODULE}@{mnist.VERSION}): "
                   f"images 0-{cfg.trace_inputs - 1}; one input per image, 17 tokens (class token + 16 patches of 7x7)"),
        "synthetic": False,
        "bits_q": cfg.bits, "bits_k": cfg.bits, "bits_v": cfg.bits,
        "causal": False,
        "threshold_granularity": "layer",
        "metric": {"name": "accuracy", "dense": d_test, "pruned": t.accuracy},
        "generator": generator_meta(args["command"], seed, workload="vit", epochs=cfg.epochs, lam=lam,
                                    lambdas=list(cfg.lambdas), prune_epochs=cfg.prune.epochs,
                                    prune_train=cfg.prune_train, empty_weight=cfg.prune.empty_weight,
                                    temperature=[cfg.prune.t_start, cfg.prune.t_end, "x sigma", sigma],
                                    model=dict(patch=cfg.patch, dim=cfg.dim, depth=cfg.depth, heads=cfg.heads,
                                               mlp=cfg.mlp)),
    }
    counts, preds = write_trace(path, model, lambda m, b: m(b[0]), inputs, th, quant, meta, "keep_max")
    if args.get("save_models"):
        os.makedirs(args["save_models"], exist_ok=True)
        torch.save(model.state_dict(), os.path.join(args["save_models"], "vit-mnist.pt"))
    return {
        "key": "vit/mnist", "model": "vit-mnist", "task": "mnist", "task_name": "MNIST digits",
        "trace": os.path.basename(path), "trace_bytes": os.path.getsize(path), "trace_inputs": len(inputs),
        "trace_correct": sum(int(p == int(b[1][0])) for p, b in zip(preds, inputs)),
        "trace_pruning_rate": float(1 - counts[:, 0].sum() / max(counts[:, 1].sum(), 1)),
        "dense_accuracy": d_test, "dense_valid_accuracy": d_val, "quantized_accuracy": q_test,
        "pruned_accuracy": t.accuracy, "pruned_valid_accuracy": v.accuracy,
        "accuracy_change": t.accuracy - d_test,
        "pruning_rate": t.pruning_rate, "layer_pruning_rates": t.layer_rates, "head_pruning_rates": t.head_rates,
        "empty_rows": t.empty_rows, "empty_rows_per_layer": t.empty_rows_layer,
        "lambda": lam, "thresholds": [float(a) for a in th.as_array()[:, 0]], "score_sigma": sigma,
        "quant": dict(scale_q=quant.scale_q[:, 0].tolist(), scale_k=quant.scale_k[:, 0].tolist(),
                      scale_v=quant.scale_v[:, 0].tolist()), "bits": cfg.bits,
        "sweep": sweep, "test_images": int(xt.shape[0]),
    }


def summary_line(e):
    rates = " ".join(f"{100 * r:.0f}" for r in e["layer_pruning_rates"])
    return (f"{e['model']:>9} {e['task']:<10} dense {100 * e['dense_accuracy']:6.2f}%  pruned "
            f"{100 * e['pruned_accuracy']:6.2f}%  ({100 * e['accuracy_change']:+.2f} pts)  pruning "
            f"{100 * e['pruning_rate']:5.1f}% [{rates}]  lambda {e['lambda']:g}  "
            f"{e['trace']} {e['trace_bytes'] / 1024:.0f} KiB  {e.get('seconds', 0):.0f}s")


def _load(out):
    p = os.path.join(out, "workloads.json")
    if os.path.exists(p):
        with open(p) as f:
            return json.load(f)
    return {"schema": SCHEMA, "workloads": [], "runs": []}


def _atomic_write(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _sort_key(e):
    if e["model"] == "memn2n":
        return (0, int(e["task"].replace("babi-qa", "")))
    return (1, e["key"])


def _round(x):
    """Floats to 6 significant digits, so that workloads.json reads (and diffs) cleanly."""
    if isinstance(x, float):
        return float(f"{x:.6g}")
    if isinstance(x, dict):
        return {k: _round(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_round(v) for v in x]
    return x


def merge_results(out, results, run):
    doc = _load(out)
    results = [_round(e) for e in results]
    by_key = {e["key"]: e for e in doc.get("workloads", [])}
    for e in results:
        by_key[e["key"]] = e
    doc["schema"] = SCHEMA
    doc["generator"] = f"lrpsim_workloads {__version__}"
    doc["workloads"] = sorted(by_key.values(), key=_sort_key)
    run = dict(run, date=datetime.date.today().isoformat(), workloads=sorted(e["key"] for e in results))
    doc["runs"] = (doc.get("runs", []) + [run])[-5:]
    _atomic_write(os.path.join(out, "workloads.json"), json.dumps(doc, indent=1, sort_keys=True) + "\n")


def write_manifest(out):
    from .manifest import render
    doc = _load(out)
    _atomic_write(os.path.join(out, "WORKLOADS.md"), render(doc, out))
