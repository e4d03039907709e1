"""Operating points of every pruning design on the transformer workloads of lrpsim_export
(stories260K, use-lite, minilm-embed, minilm-long128/256/512), in the closed loop on two disjoint
splits (results/frontier, issue 26): the MemN2N frontier's document (frontier.py) for a model whose
metric is not a per-question right or wrong.

    python3 -m lrpsim_workloads.transformer_frontier stories260K --config configs/leopard.yaml \\
        --config configs/policies/sanger.yaml ... --out results/frontier/closed-loop/stories260K.json \\
        --traces-out results/frontier/traces

The workload is rebuilt from its bundled learned trace's export command (lrpsim_export.closed_loop's
Workload: model, data, bit widths, calibration, seed), and its dense and quantized metrics must come
out again (`generator.checks`). Splits:

- validation: the export's own held-out inputs (its lambda was chosen on them, so they are not a
  test): stories260K's 16 sequences of sampling seed S+1; use-lite's and minilm's first test-split
  bAbI passages (or long sequences) of lrpsim_export.data's round-robin order.
- test: inputs the export never saw: stories260K's sequences of sampling seed S+2; the bAbI
  passages (or long sequences) that follow the validation ones in the same order.

Per input, each split stores what the metric is made of (`values`: a sentence embedding's cosine to
the dense float model's; a sequence's summed next-token negative log-likelihood, with `tokens`), so
that lrpsim compare can take the loss in the metric's own unit (1 - cosine; the relative perplexity
rise) and a paired bootstrap over inputs. LeOPArd's weights learn with its thresholds in these
exports (lr_weights > 0), so every lambda of the grid retrains both from the original model with the
export's recipe and seed and writes its own trace (DIR/NAME-lamL.npz, the export's trace inputs);
the training-free rules run on the original model with the export's calibration, and the simulator
replays the dense trace (bundled:NAME-dense, or for the long MiniLM traces, which have no bundled
partner, DIR/NAME-dense.npz written here) with their knob set.
"""

import argparse
import datetime
import os
import shlex
import signal
import sys
import time

import numpy as np
import torch

from lrpsim_export.errors import ExportError

from .frontier import SCHEMA, StagedTraces, check_disjoint, read_grids, sweep

WORKLOADS = ("stories260K", "use-lite", "minilm-embed", "minilm-long128", "minilm-long256", "minilm-long512")
# Test inputs per workload when --test is not given: several times the export's held-out set where a
# forward pass is cheap, as many as the export's for the long sequences.
DEFAULT_TEST = {"stories260K": 32, "use-lite": 96, "minilm-embed": 64, "minilm-long128": 8, "minilm-long256": 8,
                "minilm-long512": 4}


def check_name(name):
    if name not in WORKLOADS:
        raise ExportError(f"{name!r}: unknown workload; expected one of {', '.join(WORKLOADS)}")
    return name


def _rows(batches):
    """The inputs of a list of batches as tuples of token ids (padding cut off)."""
    out = []
    for b in batches:
        if isinstance(b, (tuple, list)):
            ids, lengths = b[0], b[1]
            out += [tuple(ids[i, :int(lengths[i])].tolist()) for i in range(ids.shape[0])]
        else:
            out += [tuple(r.tolist()) for r in b]
    return out


def test_split(w, n):
    """(test batches, splits) of a rebuilt workload: n inputs the export never saw, and where both
    splits come from. ExportError if the validation inputs are not the export's held-out ones."""
    from lrpsim_export import data as babi
    from lrpsim_export.tasks import MiniLMBabi, StoriesLM, UseLiteBabi, concatenated_passages
    task, a = w.task, w.args
    n_valid = len(_rows(task.eval))
    if isinstance(task, StoriesLM):
        length, seed = a.length or 256, a.seed
        toks = task.model.sample(n, length, seed=seed + 2, temperature=1.0)
        batches = list(toks.split(a.batch_size))
        src = lambda s: f"{task.model.name} samples of {length} tokens from BOS, temperature 1.0, numpy PCG64 seed {s}"
        return batches, {
            "validation": {"file": src(seed + 1), "first": 0, "count": n_valid,
                           "note": "the export's held-out sequences (its lambda was chosen on them)"},
            "test": {"file": src(seed + 2), "first": 0, "count": n,
                     "note": "sequences of another sampling seed, which neither the export nor its threshold "
                             f"training (seed {seed}) saw"},
        }
    if isinstance(task, MiniLMBabi):
        tok = task.model.tokenizer
        if a.length is not None:
            ids = [[tok.cls] + s + [tok.sep] for s in
                   concatenated_passages(task.babi_dir, "test", n_valid + n, a.length - 2, tok.encode)]
            what = f"sequences of {a.length} word pieces (bAbI test-split passages concatenated in round-robin order)"
        else:
            mt = a.max_tokens or 64
            ids = [task.model.token_ids(t, mt) for t in babi.babi_passages(
                task.babi_dir, "test", n_valid + n, max_tokens=mt - 2, tokenize=tok.encode)]
            what = f"bAbI test-split passages of at most {a.max_tokens or 64} word pieces, round-robin over the tasks"
        valid = [tuple(x) for x in ids[:n_valid]]
        from lrpsim_export.models.minilm import pad_batch
        test = ids[n_valid:]
        batches = [pad_batch(test[i:i + a.batch_size]) for i in range(0, len(test), a.batch_size)]
    elif isinstance(task, UseLiteBabi):
        mt = a.max_tokens or 100
        texts = babi.babi_passages(task.babi_dir, "test", n_valid + n, max_tokens=mt,
                                   tokenize=task.model.tokenizer.encode)
        valid = _rows(task._batches(texts[:n_valid], a.batch_size))
        batches = task._batches(texts[n_valid:], a.batch_size)
        what = f"bAbI test-split passages of at most {mt} tokens, round-robin over the tasks"
    else:
        raise ExportError(f"{w.name}: task {type(task).__name__}: no test split known")
    if valid != _rows(task.eval):
        raise ExportError(f"{w.name}: the first {n_valid} inputs of the passage order are not the export's "
                          "held-out inputs; expected the validation split to be the export's")
    return batches, {
        "validation": {"file": what, "first": 0, "count": n_valid,
                       "note": "the export's held-out inputs (its lambda was chosen on them)"},
        "test": {"file": what, "first": n_valid, "count": n,
                 "note": "the inputs that follow the validation ones in the same order, which the export never saw"},
    }


class Splits:
    """The two splits of a rebuilt workload with the dense model's outputs on each (the references
    of a cosine metric) and their per-input entries."""

    def __init__(self, w, n_test):
        from lrpsim_export.learn import _no_grad_run
        from lrpsim_export.attention import Session
        self.w = w
        test, self.where = test_split(w, n_test)
        self.batches = {"validation": w.eval, "test": test}
        self.refs = {"validation": w.refs,
                     "test": _no_grad_run(w.task, w.model, test, Session("dense"))}
        self.dense = {s: self.entry(s, self.refs[s]) for s in self.batches}
        overlap = set(_rows(self.batches["validation"]) + _rows(w.task.train)) & set(_rows(test))
        self.identical_inputs = len(overlap)

    def entry(self, split, outs, rate=None):
        """A split's entry of the document: metric, inputs, per-input values (and tokens)."""
        per = self.w.task.per_input(outs, self.refs[split], self.batches[split])
        e = {"metric": self.w.task.metric_of(per), "questions": len(per["values"]), **per}
        if rate is not None:
            e["pruning_rate"] = float(rate)
        return e

    def run(self, model, session):
        """Each split's entry with `session` attached to model (its pruning rate per split)."""
        from lrpsim_export.learn import _no_grad_run
        out = {}
        for s, b in self.batches.items():
            session.reset_stats()
            outs = _no_grad_run(self.w.task, model, b, session)
            out[s] = self.entry(s, outs, session.pruning_rate())
        return out


def leopard_point(sp, lam, params, p, trace_dir, command, log):
    """Retrain weights and thresholds from the original model at `lam` with the export's recipe and
    seed, measure both splits (hard thresholds on the integers, as lrpsim replays them) and write the
    point's trace; returns the point's entry."""
    from lrpsim_export.attention import PolicySession
    from lrpsim_export.cli import _head_dims
    from lrpsim_export.learn import LearnConfig, absmax_scales, check_fits, learn
    w, a = sp.w, sp.w.args
    cfg = LearnConfig(lam=float(lam), steps=a.steps, lr_threshold=a.lr_threshold, lr_weights=a.lr_weights,
                      train_weights=not a.freeze_weights, t_start=a.t_start, t_end=a.t_end, per_head=a.per_head,
                      init_quantile=a.init_quantile, seed=a.seed)
    t0 = time.time()
    student, th, _ = learn(w.task, cfg, log=lambda *_: None)
    seconds = time.time() - t0
    # the export's calibration: absmax over the held-out (validation) and trace inputs, never the test
    quant = absmax_scales(w.task, student, w.task.eval + w.task.trace_inputs, w.bits, a.scales == "head")
    check_fits(th, quant, _head_dims(w.task, student))
    s = PolicySession("leopard", params, quant=quant, bits_per_cycle=p, thresholds=th, empty_row=w.empty_row)
    point = {"value": float(lam), "thresholds": th.as_array().tolist(), "training_seconds": round(seconds, 1),
             **sp.run(student, s)}
    path = os.path.join(trace_dir, f"{w.name}-lam{lam:g}.npz")
    _write_trace(w, path, student, th, quant, command, {}, pruned=point["validation"]["metric"],
                 note=f"the frontier's LeOPArd point lambda={lam:g} (results/frontier): weights and thresholds "
                      "retrained from the original model with the bundled trace's export recipe and seed; metrics "
                      "on the validation split (the export's held-out inputs)",
                 generator={"lambda": float(lam), "steps": a.steps, "lr_threshold": a.lr_threshold,
                            "lr_weights": 0.0 if a.freeze_weights else a.lr_weights,
                            "temperature": [a.t_start, a.t_end], "init_quantile": a.init_quantile,
                            "eval_pruning_rate": point["validation"]["pruning_rate"]})
    point["trace"] = path
    log(f"  leopard lambda={lam:g}: trained in {seconds:.0f}s, wrote {os.path.basename(path)}")
    return point


def _write_trace(w, path, model, th, quant, command, extra_meta, *, pruned, note, generator):
    """Write model's hard-mode trace of the export's trace inputs to path, its meta the bundled
    trace's description with this run's metric and generator, and check it against the records (the
    file removed if the check fails)."""
    from lrpsim_export.export import record_hard, self_check, write_records
    records = record_hard(w.task, model, th, quant, w.empty_row)
    meta = {k: w.meta[k] for k in ("model", "task", "source", "synthetic", "bits_q", "bits_k", "bits_v", "causal",
                                   "empty_row", "threshold_granularity") if k in w.meta}
    meta.update(extra_meta)
    m = w.meta["metric"]
    meta["metric"] = {"name": m["name"], "higher_is_better": m["higher_is_better"], "dense": w.dense,
                      "quantized": w.quantized, "pruned": pruned, "eval_inputs": w.eval_inputs, "note": note}
    meta["generator"] = {"tool": "lrpsim_workloads.transformer_frontier", "command": command,
                         "export_command": w.meta["generator"].get("command"), "seed": w.args.seed,
                         "scales": w.args.scales, **generator,
                         "torch": torch.__version__, "numpy": np.__version__}
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    write_records(path, records, meta, th.as_array(), quant, force=True)
    try:
        self_check(path, records)
    except ExportError:
        os.remove(path)
        raise


def dense_partner(w, traces, trace_dir, command, log):
    """The trace the training-free rules replay: the bundled NAME-dense.npz where traces/data has
    one, else the original model's trace written to trace_dir (thresholds -inf, the export's trace
    inputs and calibration, as `export --threshold -inf` writes it; the long MiniLM traces have no
    bundled partner). Returns the document's dense_trace."""
    if os.path.isfile(os.path.join(traces, w.name + "-dense.npz")):
        return f"bundled:{w.name}-dense"
    path = os.path.join(trace_dir, f"{w.name}-dense.npz")
    _write_trace(w, path, w.model, w.no_pruning_thresholds(), w.quant, command, {"thresholds": "none"},
                 pruned=w.quantized, note="the original model, nothing pruned (thresholds -inf): the dense partner "
                                          "the frontier's training-free rules replay (results/frontier)",
                 generator={"fixed_threshold": "-inf"})
    log(f"  wrote {os.path.basename(path)} (the dense partner)")
    return path


def bundled_lambda_check(w, doc):
    """Where LeOPArd's grid holds the bundled trace's own lambda, the same recipe and seed must give
    its model again: its validation metric (the export's held-out inputs) within METRIC_REL of the
    trace's meta.metric.pruned (the export's machine may have had other kernels). {} otherwise."""
    from lrpsim_export.closed_loop import rel_diff
    from lrpsim_export.tolerances import METRIC_REL
    lam = w.meta["generator"].get("lambda")
    for d in doc["designs"]:
        for pt in d["points"]:
            if d["policy"] == "leopard" and lam is not None and pt["value"] == float(lam):
                r = rel_diff(pt["validation"]["metric"], w.meta["metric"].get("pruned"))
                return {"bundled_lambda_reproduced": r <= METRIC_REL, "bundled_lambda_rel_diff": r}
    return {}


def frontier(name, configs, *, traces, trace_out, n_test=None, command="", log=print):
    """The frontier's closed-loop document (frontier.SCHEMA) of one transformer workload."""
    from lrpsim_export.attention import PolicySession
    from lrpsim_export.closed_loop import Workload
    check_name(name)
    cfgs = read_grids(configs)
    n_test = n_test or DEFAULT_TEST[name]
    if n_test < 1:
        raise ExportError(f"--test {n_test}: expected at least 1 test input")
    t_all = time.time()
    w = Workload(name, traces, log=log)
    sp = Splits(w, n_test)
    log(f"{name}: validation {sp.dense['validation']['questions']} inputs, test {sp.dense['test']['questions']} "
        f"inputs; dense {w.task.metric_name} {sp.dense['validation']['metric']:.6g} / {sp.dense['test']['metric']:.6g}")
    doc = {"schema": SCHEMA, "workload": name, "metric": w.task.metric_name,
           "higher_is_better": bool(w.task.higher_is_better),
           "dense_trace": dense_partner(w, traces, trace_out, command, log),
           "splits": sp.where, "dense": sp.dense, "designs": []}
    check_disjoint(doc)

    def training_free(policy, params, p):
        s = PolicySession(policy, params, quant=w.quant, bits_per_cycle=p, empty_row=w.empty_row)
        return sp.run(w.model, s)

    sweep(doc, cfgs, sp.batches, log, lambda v, params, p: leopard_point(sp, v, params, p, trace_out, command, log),
          point=training_free)
    a = w.args
    checks = dict(w.checks(), **bundled_lambda_check(w, doc))
    doc["generator"] = {
        "command": command, "export_command": w.meta["generator"].get("command"), "seed": a.seed,
        "date": datetime.date.today().isoformat(), "torch": torch.__version__, "threads": torch.get_num_threads(),
        "checks": checks, "identical_inputs_in_test": sp.identical_inputs,
        "wall_seconds": round(time.time() - t_all, 1),
        "note": "dense: the original float model (the reference of every loss and of the cosine metric); "
                "training-free rules on the original model with the export's calibration, integer Q/K/V; "
                "leopard: weights and thresholds retrained per lambda with the export's recipe and seed; "
                "identical_inputs_in_test: test inputs equal to a validation or training input (by token ids)",
    }
    return doc


def main(argv=None):
    from .cli import _init_worker
    from .closed_loop import write_json
    p = argparse.ArgumentParser(prog="python3 -m lrpsim_workloads.transformer_frontier",
                                description="every design's operating points on a transformer workload, in the "
                                            "closed loop on a validation and a test split (results/frontier)")
    p.add_argument("workload", metavar="NAME", help=", ".join(WORKLOADS))
    p.add_argument("--config", dest="configs", action="append", required=True,
                   help="an lrpsim config YAML with an operating_points grid; repeat")
    p.add_argument("--out", required=True, help="JSON to write (schema lrpsim-frontier-closed-loop/1)")
    p.add_argument("--traces-out", required=True, help="folder for the LeOPArd points' traces (one per lambda)")
    p.add_argument("--traces", help="folder of the bundled NAME.npz and NAME-dense.npz (default traces/data)")
    p.add_argument("--test", type=int, help="test inputs (default: " +
                   ", ".join(f"{k} {v}" for k, v in DEFAULT_TEST.items()) + ")")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    a = p.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    _init_worker()
    # a run stopped by SIGTERM unwinds like an error, so that StagedTraces removes its traces
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    try:
        if os.path.exists(a.out) and not a.force:
            raise ExportError(f"{a.out}: already exists; pass --force to overwrite it")
        from lrpsim_export.closed_loop import default_traces
        cmd = "python3 -m lrpsim_workloads.transformer_frontier " + " ".join(shlex.quote(x) for x in argv)
        with StagedTraces(a.traces_out) as st:
            doc = frontier(a.workload, a.configs, traces=a.traces or default_traces(), trace_out=st.dir,
                           n_test=a.test, command=cmd, log=log)
            st.commit(doc)
            write_json(a.out, doc, force=a.force)
        log(f"wrote {a.out}")
        return 0
    except ExportError as e:
        print(f"lrpsim_workloads.transformer_frontier: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
