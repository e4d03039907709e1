"""Operating points of every pruning design on MiniLM / bAbI, measured in the closed loop on two
disjoint splits (results/frontier, issue 26): frontier.py's counterpart for the full recipe's
MiniLM models (results/minilm-babi).

`python3 -m lrpsim_workloads.minilm_qa frontier --task N --report results/minilm-babi/report.jsonl
--config A.yaml ... --out F.json --traces-out DIR`:

1. The dense model is made again. The report's line for the task names the learning rate chosen
   on validation; the run at that rate is repeated with the same seed, schedule and early stopping,
   so the weights kept are the chosen ones on the CPU type that trained them. Its dense test accuracy is held against the report's (`reproduced` in the
   document); a mismatch stops the run unless --allow-mismatch.
2. The dense trace DIR/minilm-babi-qaN-dense.npz: the trace inputs of the bundled trace (test
   question 0), thresholds -inf, meta "thresholds": "none". The simulator replays the training-free
   rules on it with each knob value.
3. Each config's `operating_points` grid, measured on the validation split (the training file's last
   100 questions, never trained on) and the test split (the task's 1000 test questions): a
   training-free rule (row_relative, sanger, spatten) on the dense model with its 8-bit calibration,
   its mask inside the forward pass; LeOPArd (knob `lambda`): the weights and thresholds retrained
   from the dense model per lambda with run_task's recipe and seed (as the bundled trace was made at
   lambda 0.2), its trace DIR/minilm-babi-qaN-lamL.npz.

The document has frontier.py's schema; per question correctness is stored as a bit string, so
that compare --budget can take a paired bootstrap over questions. The validation split has 100
questions: one question is a point of accuracy, so a budget under 1% admits only points that lose
no validation question.
"""

import copy
import dataclasses
import datetime
import json
import os
import time

import torch

from lrpsim_export.errors import ExportError

from .babi import BabiError
from .export import generator_meta, write as write_trace
from .frontier import SCHEMA, check_disjoint, correct_of, policy_correct, read_grids, split_entry, sweep
from .prune import Thresholds, calibrate, evaluate, fits, learn_thresholds


def report_row(path, task):
    """The last line of the report (run_task's JSON lines) for `task`; ExportError naming the file
    when there is none or it is not the full recipe's."""
    row = None
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        r = json.loads(line)
                    except ValueError as e:
                        raise ExportError(f"{path}:{n}: expected a JSON object per line ({e})") from None
                    if isinstance(r, dict) and r.get("task") == task:
                        row = r
    except OSError as e:
        raise ExportError(f"{path}: {e.strerror}") from None
    if row is None:
        raise ExportError(f"{path}: no line for task {task}; expected run_task's results for it "
                          f"(results/minilm-babi/regen.sh {task})")
    s = row.get("schedule") or {}
    if row.get("recipe") != "full" or s.get("epoch") is None or "lr" not in s:
        raise ExportError(f"{path}: task {task}: recipe {row.get('recipe')!r}, schedule {s.get('lr')}, epoch "
                          f"{s.get('epoch')}: expected the full recipe's line with the learning rate and "
                          "epoch chosen on validation")
    return row


def splits(d):
    """Where the two splits come from (frontier.splits' form): the validation split is the training
    file's last questions, the test split the test file's first ones."""
    from . import babi
    n_file = len(babi.read_questions(d.train_path))
    return {
        "validation": {"file": os.path.basename(d.train_path), "first": n_file - len(d.valid), "count": len(d.valid),
                       "note": "the last 10% of the training file (the full recipe's validation split, never "
                               "trained on; it chose the learning rate and the epoch)"},
        "test": {"file": os.path.basename(d.test_path), "first": 0, "count": len(d.test),
                 "note": "the first questions of the test file (all 1000 unless --test)"},
    }


def redo_dense(mq, task, row, seed, babi_dir, log, test=0, model_dir=None):
    """The dense model of the report's row, trained again to its chosen epoch; (TaskData, model)."""
    cfg = dataclasses.replace(mq.full_recipe(mq.QAConfig()), max_tokens=int(row["max_tokens"]), test=test)
    if row.get("train_questions") not in (None, 900):
        cfg = dataclasses.replace(cfg, train=int(row["train_questions"]))
    s = row["schedule"]
    cfg = dataclasses.replace(cfg, epochs=int(s.get("max_epochs", cfg.epochs)), patience=int(s.get("patience", 3)))
    torch.manual_seed(seed)
    d = mq.task_data(task, cfg, babi_dir, model_dir)
    torch.manual_seed(seed)  # as fine_tune does before each rate of the grid
    model = mq.MiniLMQA(copy.deepcopy(d.enc), len(d.answers))
    t0 = time.time()
    # The whole run at the chosen rate, early stopping included: the weights kept are the ones its
    # own rule kept (an older report could name a neighbouring epoch on a near-tie of the rounded
    # validation scores).
    _, kept = mq.train_dense(model, d.wl, d.cfg, seed, log, lr=float(s["lr"]), valid=d.valid.batches())
    log(f"  dense model made again: lr {s['lr']:g}, epoch {kept} kept (the report: {s['epoch']}) "
        f"({time.time() - t0:.0f}s)")
    return d, model


def frontier(task, configs, *, report, traces_out, babi_dir=None, command="", seed=0, allow_mismatch=False,
             test=0, model_dir=None, log=print):
    """The frontier's closed-loop document (frontier.SCHEMA) of a MiniLM bAbI task."""
    from . import minilm_qa as mq
    cfgs = read_grids(configs)
    row = report_row(report, task)
    d, dense = redo_dense(mq, task, row, seed, babi_dir, log, test=test, model_dir=model_dir)
    cfg, wl = d.cfg, d.wl
    batches = {"validation": d.valid.batches(), "test": d.test.batches()}
    dense_c = {s: correct_of(wl, dense, b) for s, b in batches.items()}
    got, got_valid = float(dense_c["test"].mean()), float(dense_c["validation"].mean())
    want_valid = row.get("dense_valid", got_valid)
    # Accuracies are question counts over the split: the same answers give the same fractions, and
    # one question more or less moves them by 1/1000 or 1/100, far above the tolerance.
    reproduced = abs(got - float(row["dense"])) < 1e-9 and abs(got_valid - float(want_valid)) < 1e-9
    log(f"  dense test accuracy {got:.4f} (validation {got_valid:.4f}), the report's {row['dense']:.4f} "
        f"({want_valid:.4f}){'' if reproduced else ': NOT reproduced'}")
    if not reproduced and not allow_mismatch:
        raise ExportError(f"{report}: task {task}: the dense model made again answers {got:.4f} of the test split "
                          f"and {got_valid:.4f} of the validation split, the report's {row['dense']:.4f} and "
                          f"{want_valid:.4f}; expected the same model (torch picks its kernels by CPU type: train "
                          "it again here, results/minilm-babi/regen.sh, or pass --allow-mismatch)")
    calib_b = d.train.batches()[: max(cfg.calib // 64, 1)]
    quant0, init, sigma = calibrate(wl, dense, calib_b, (cfg.bits,) * 3, quantile=cfg.prune.init_quantile)
    os.makedirs(traces_out, exist_ok=True)
    inputs = [d.test.batch([i]) for i in range(cfg.trace_inputs)]
    dense_path = os.path.join(traces_out, f"minilm-babi-qa{task}-dense.npz")
    base_meta = _meta(mq, task, cfg, d)
    meta = dict(base_meta, thresholds="none")
    q_acc = evaluate(wl, dense, batches["test"], quant=quant0).accuracy
    meta["metric"] = {"name": "accuracy", "higher_is_better": True, "dense": got, "quantized": q_acc,
                      "pruned": q_acc, "eval_inputs": len(d.test),
                      "note": "the full recipe's dense model (made again from results/minilm-babi/report.jsonl); "
                              "quantized: integer Q/K/V, thresholds -inf (no pruning); pruned = quantized"}
    meta["generator"] = generator_meta(command, seed, workload=f"minilm babi {task} dense", recipe="full",
                                       lr=row["schedule"]["lr"], epoch=row["schedule"]["epoch"],
                                       max_tokens=cfg.max_tokens)
    th_none = Thresholds.constant(dense.num_layers, dense.num_heads, float("-inf"))
    write_trace(dense_path, dense, lambda m, b: m(b[0], b[1], b[2]), inputs, th_none, quant0, meta, "keep_max")
    log(f"  wrote {dense_path}")
    doc = {"schema": SCHEMA, "workload": f"minilm-babi-qa{task}", "metric": "accuracy", "higher_is_better": True,
           "dense_trace": dense_path, "splits": splits(d), "reproduced": reproduced,
           "dense": {s: split_entry(c) for s, c in dense_c.items()}, "designs": []}
    check_disjoint(doc)
    sweep(doc, cfgs, batches, log,
          lambda v, params, p: _leopard_point(mq, task, v, d, dense, init, sigma, calib_b, batches, params, p,
                                              inputs, base_meta, traces_out, command, seed),
          lambda policy, params, p, b: policy_correct(wl, dense, quant0, None, policy, params, p, b))
    doc["generator"] = {"command": command, "seed": seed, "date": datetime.date.today().isoformat(),
                        "torch": torch.__version__, "schedule": {"lr": row["schedule"]["lr"],
                                                                 "epoch": row["schedule"]["epoch"]},
                        "note": "dense: the full recipe's float model made again (the reference of every loss); "
                                "training-free rules on it with its 8-bit calibration, integer Q/K/V; leopard: "
                                "weights and thresholds retrained per lambda (run_task's recipe and seed)"}
    return doc


def _meta(mq, task, cfg, d):
    return {"model": "all-MiniLM-L6-v2", "task": f"babi-qa{task}",
            "source": (f"bAbI tasks_1-20_v1-2 en (1k set, CC BY 3.0), {os.path.basename(d.test_path)}: test "
                       f"questions 0-{cfg.trace_inputs - 1}; one input per question: [CLS] story [SEP] question "
                       f"[SEP], at most {cfg.max_tokens} word pieces (oldest statements dropped)"),
            "synthetic": False, "bits_q": cfg.bits, "bits_k": cfg.bits, "bits_v": cfg.bits, "causal": False,
            "threshold_granularity": "layer",
            "weights": {"package": f"{mq.PACKAGE}=={mq.PACKAGE_VERSION}", "file": "model.safetensors",
                        "sha256": mq.WEIGHTS_SHA256}}


def _leopard_point(mq, task, lam, d, dense, init, sigma, calib_b, batches, params, p, inputs, base_meta,
                   traces_out, command, seed):
    """Retrain weights and thresholds from the dense model at `lam` (run_task's recipe and seed),
    measure both splits and write the point's trace; returns the point's entry."""
    cfg, wl = d.cfg, d.wl
    model = copy.deepcopy(dense)
    pc = dataclasses.replace(cfg.prune, lam=float(lam))
    th, _ = learn_thresholds(wl, model, pc, init, sigma, seed=seed * 1000 + 1, log=lambda *a: None)
    qs, _, _ = calibrate(wl, model, calib_b, (cfg.bits,) * 3)
    fits(th, qs, [d.enc.head_size] * d.enc.num_layers)
    point = {"value": float(lam), "thresholds": [float(x) for x in th.as_array()[:, 0]]}
    for s, b in batches.items():
        point[s] = split_entry(*policy_correct(wl, model, qs, th, "leopard", params, p, b))
    meta = dict(base_meta, thresholds="learned")
    meta["metric"] = {"name": "accuracy", "higher_is_better": True, "dense": None, "pruned": point["test"]["metric"],
                      "note": f"the frontier's LeOPArd point lambda={lam:g}: weights and thresholds retrained "
                              "from the full recipe's dense model (results/frontier)"}
    meta["generator"] = generator_meta(command, seed, workload=f"minilm babi {task} frontier", recipe="full",
                                       lam=float(lam), prune_epochs=cfg.prune.epochs, max_tokens=cfg.max_tokens)
    path = os.path.join(traces_out, f"minilm-babi-qa{task}-lam{lam:g}.npz")
    write_trace(path, model, lambda m, b: m(b[0], b[1], b[2]), inputs, th, qs, meta, "keep_max")
    point["trace"] = path
    return point


def main(argv):
    """python3 -m lrpsim_workloads.minilm_qa frontier --task N --report R --config C... --out F --traces-out DIR"""
    import argparse
    import shlex
    import sys
    p = argparse.ArgumentParser(prog="python3 -m lrpsim_workloads.minilm_qa frontier",
                                description="Each design's operating points on a full-recipe MiniLM bAbI model, "
                                            "in the closed loop on the validation and the test split.")
    p.add_argument("--task", type=int, required=True)
    p.add_argument("--report", required=True, help="run_task's JSON lines (results/minilm-babi/report.jsonl)")
    p.add_argument("--config", action="append", required=True, help="a design's config with operating_points")
    p.add_argument("--out", required=True, help="the closed-loop document (JSON)")
    p.add_argument("--traces-out", required=True, help="folder of the dense trace and LeOPArd's traces")
    p.add_argument("--babi-dir")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="overwrite --out")
    p.add_argument("--allow-mismatch", action="store_true",
                   help="go on when the dense model made again answers otherwise than the report says")
    p.add_argument("--test", type=int, default=0, help="only the first test questions (a small case; 0: all)")
    a = p.parse_args(argv)
    command = "python3 -m lrpsim_workloads.minilm_qa frontier " + " ".join(shlex.quote(x) for x in argv)
    try:
        if not 1 <= a.task <= 20:
            raise ExportError(f"--task {a.task}: expected 1..20")
        if os.path.exists(a.out) and not a.force:
            raise ExportError(f"{a.out}: already exists; pass --force to overwrite it")
        if not os.path.isdir(os.path.dirname(os.path.abspath(a.out))):
            raise ExportError(f"{a.out}: folder {os.path.dirname(a.out)} does not exist")
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)
        from .closed_loop import write_json
        from .frontier import StagedTraces
        with StagedTraces(a.traces_out) as st:  # a failed sweep leaves no traces without their JSON
            doc = frontier(a.task, a.config, report=a.report, traces_out=st.dir, babi_dir=a.babi_dir,
                           command=command, seed=a.seed, allow_mismatch=a.allow_mismatch, test=a.test,
                           log=lambda *x: print(*x, file=sys.stderr, flush=True))
            st.commit(doc)
            write_json(a.out, doc, force=a.force)
    except (ExportError, BabiError) as e:
        print(f"lrpsim_workloads.minilm_qa frontier: {e}", file=sys.stderr)
        return 1
    print(f"wrote {a.out}", file=sys.stderr)
    return 0
