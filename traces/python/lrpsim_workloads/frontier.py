"""Operating points of every pruning design on MemN2N / bAbI, measured in the closed loop on two
disjoint splits (results/frontier, issue 26).

`python3 -m lrpsim_workloads frontier --task N --config A.yaml ... --out F.json --traces-out DIR`
sweeps each config's `operating_points` grid (its knob and values, configs/*.yaml):

- a training-free rule (row_relative, sanger, spatten): its knob set to each value, on the dense
  model with its own calibration (as closed_loop.py), the rule's mask inside the forward pass; the
  simulator replays the dense trace memn2n-babi-qaN-dense.npz with the same knob;
- LeOPArd (knob `lambda`): the weights and the thresholds train jointly (prune.learn_thresholds,
  lr_weights > 0), so every lambda retrains both from the dense model, with the suite's recipe and
  seed, and writes its own trace (DIR/memn2n-babi-qaN-lamL.npz, 16 questions, tens of kB) whose
  Q, K and thresholds the simulator replays.

Each point is measured on the validation split (the last 10% of the task's training file, which
MemN2N holds out of its weight updates) and on the test split (every question of the task's test
file): the metric, the pruning rate, and per question whether the answer was right (`correct`, a
bit string packed as hex, question i in bit 7 - i % 8 of byte i // 8), so that a paired bootstrap
over questions is possible. The dense float model's correctness is stored the same way: a point's
loss is the dense accuracy minus its own, question by question. The two splits come from different
files, so no question is in both (`splits` records where each comes from; a test checks it).
"""

import copy
import dataclasses
import datetime
import os

import numpy as np
import torch

from lrpsim_export.attention import PolicySession
from lrpsim_export.capture import attached
from lrpsim_export.errors import ExportError
from lrpsim_export.policies import read_config

from .babi_task import eval_batches
from .closed_loop import rebuild, trace_generator, trace_inputs, trace_path
from .prune import calibrate, learn_thresholds

SCHEMA = "lrpsim-frontier-closed-loop/1"

# Knobs a grid may name (sim/config_points.go keeps the same list): lambda, or a pruning parameter.
KNOBS = ("lambda", "pruning.epsilon", "pruning.keep_fraction", "pruning.margin", "pruning.theta")


def operating_points(path):
    """(knob, values) of a config's `operating_points` block; ExportError naming the file and the
    field when it is missing or malformed (the simulator's strict parser checks the rest)."""
    import yaml
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f) or {}
    op = doc.get("operating_points")
    if not isinstance(op, dict):
        raise ExportError(f"{path}: operating_points: expected a mapping with knob and values (the frontier's grid)")
    knob, values = op.get("knob"), op.get("values")
    if knob not in KNOBS:
        raise ExportError(f"{path}: operating_points.knob {knob!r}: expected one of {', '.join(KNOBS)}")
    if not isinstance(values, list) or not values or not all(isinstance(v, (int, float)) for v in values):
        raise ExportError(f"{path}: operating_points.values {values!r}: expected a non-empty list of numbers")
    values = [float(v) for v in values]
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ExportError(f"{path}: operating_points.values {values}: expected strictly increasing values")
    return knob, values


def pack(bits):
    """Hex of a boolean vector, question i in bit 7 - i % 8 of byte i // 8 (numpy.packbits order)."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def unpack(hexstr, n):
    return np.unpackbits(np.frombuffer(bytes.fromhex(hexstr), dtype=np.uint8))[:n].astype(bool)


def correct_of(wl, model, batches, session=None):
    """Per question, whether the model answers right (wl.labels), with `session` attached when given."""
    model.eval()
    out = []
    with torch.no_grad():
        if session is None:
            for b in batches:
                out.append((wl.forward(model, b).argmax(-1) == wl.labels(b)).numpy())
        else:
            with attached(model, session, check_weights=False):
                for b in batches:
                    out.append((wl.forward(model, b).argmax(-1) == wl.labels(b)).numpy())
    return np.concatenate(out)


def policy_correct(wl, model, quant, th, policy, params, p, batches):
    """(per-question correctness, pruning rate) of one rule inside the forward pass."""
    s = PolicySession(policy, params, quant=quant, bits_per_cycle=p, thresholds=th, empty_row=wl.empty_row)
    return correct_of(wl, model, batches, s), s.pruning_rate()


def split_entry(correct, rate=None):
    e = {"metric": float(correct.mean()), "questions": int(correct.size), "correct": pack(correct)}
    if rate is not None:
        e["pruning_rate"] = float(rate)
    return e


def splits(task):
    """Where the two splits come from: the validation split is the training file's last questions,
    the test split the test file's; `identities` lists (file, index) of every question."""
    n_train = len(task.train)
    return {
        "validation": {"file": os.path.basename(task.train_path), "first": n_train, "count": len(task.valid),
                       "note": "the last 10% of the training file (MemN2N's validation split, held out of the "
                               "weight updates; the suite chose its dense run and lambda on it)"},
        "test": {"file": os.path.basename(task.test_path), "first": 0, "count": len(task.test),
                 "note": "every question of the test file"},
    }


def identities(entry):
    return {(entry["file"], entry["first"] + i) for i in range(entry["count"])}


def leopard_point(m, task_id, lam, init, sigma, train_b, batches, params, p, traces, trace_dir, command):
    """Retrain weights and thresholds from the dense model at `lam`, measure both splits and write
    the point's trace; returns the point's entry."""
    from .export import generator_meta, write as write_trace
    model = copy.deepcopy(m.dense)
    pc = dataclasses.replace(m.cfg.prune, lam=float(lam))
    th, _ = learn_thresholds(m.wl, model, pc, init, sigma, seed=int(m.gen["seed"]) * 1000 + task_id)
    quant, _, _ = calibrate(m.wl, model, train_b, (m.cfg.bits,) * 3)
    point = {"value": float(lam), "thresholds": [float(x) for x in th.as_array()[:, 0]]}
    for split, b in batches.items():
        c, rate = policy_correct(m.wl, model, quant, th, "leopard", params, p, b)
        point[split] = split_entry(c, rate)
    learned = trace_path(traces, task_id)
    from lrpsim_export.tracefile import Trace
    with Trace(learned) as lt:
        meta = {k: lt.meta[k] for k in ("model", "task", "source", "synthetic", "bits_q", "bits_k", "bits_v",
                                        "causal", "threshold_granularity", "score", "layers_are") if k in lt.meta}
    meta["thresholds"] = "learned"
    meta["metric"] = {"name": "accuracy", "dense": None, "pruned": point["test"]["metric"],
                      "note": f"the frontier's LeOPArd point lambda={lam}: weights and thresholds retrained "
                              "from the dense model (results/frontier)"}
    meta["generator"] = generator_meta(command, m.gen["seed"], workload=f"babi {task_id} frontier",
                                       dense_seed=m.gen["dense_seed"], lam=float(lam), dim=m.cfg.dense.dim,
                                       hops=m.cfg.dense.hops, prune_epochs=m.cfg.prune.epochs)
    os.makedirs(trace_dir, exist_ok=True)
    path = os.path.join(trace_dir, f"memn2n-babi-qa{task_id}-lam{lam:g}.npz")
    _, inputs = trace_inputs(m.task, m.cfg)
    write_trace(path, model, lambda mm, b: mm(*b[:4]), inputs, th, quant, meta, "keep_max")
    point["trace"] = path
    return point


def read_grids(configs):
    """Each config's (path, name, policy, params, bits per cycle, knob, values), its grid checked:
    lambda for the leopard rule, a parameter of the rule for a training-free one, distinct names."""
    cfgs = []
    for c in configs:
        name, policy, params, p = read_config(c)
        knob, values = operating_points(c)
        if (knob == "lambda") != (policy == "leopard"):
            raise ExportError(f"{c}: operating_points.knob {knob}: expected lambda for the leopard rule and a "
                              f"pruning key for a training-free one (policy {policy})")
        if policy != "leopard" and knob.split(".", 1)[1] not in params:
            raise ExportError(f"{c}: operating_points.knob {knob}: not a parameter of policy {policy} "
                              f"(expected one of {', '.join(sorted(params))})")
        cfgs.append((c, name, policy, params, p, knob, values))
    names = [c[1] for c in cfgs]
    if len(set(names)) != len(names):
        raise ExportError(f"--config: config names {names}: expected distinct names")
    return cfgs


def frontier(task_id, configs, *, traces, trace_out, babi_dir=None, command="", log=print):
    """The frontier's closed-loop document (SCHEMA) of one bAbI task over the configs' grids."""
    cfgs = read_grids(configs)
    gen = trace_generator(trace_path(traces, task_id))
    m = rebuild(task_id, gen, babi_dir, log, learned=False)
    batches = {"validation": eval_batches(m.task.valid, m.task.memory_size),
               "test": eval_batches(m.task.test, m.task.memory_size)}
    train_b = eval_batches(m.task.train, m.task.memory_size)
    _, init, sigma = calibrate(m.wl, m.dense, train_b, (m.cfg.bits,) * 3, quantile=m.cfg.prune.init_quantile)
    doc = {"schema": SCHEMA, "workload": f"memn2n-babi-qa{task_id}", "metric": "accuracy", "higher_is_better": True,
           "dense_trace": f"bundled:memn2n-babi-qa{task_id}-dense", "splits": splits(m.task),
           "dense": {s: split_entry(correct_of(m.wl, m.dense, b)) for s, b in batches.items()}, "designs": []}
    check_disjoint(doc)
    sweep(doc, cfgs, batches, log,
          lambda v, params, p: leopard_point(m, task_id, v, init, sigma, train_b, batches, params, p, traces,
                                             trace_out, command),
          lambda policy, params, p, b: policy_correct(m.wl, m.dense, m.quant0, None, policy, params, p, b))
    doc["generator"] = {"command": command, "seed": int(gen["seed"]), "dense_seed": int(gen["dense_seed"]),
                        "date": datetime.date.today().isoformat(), "torch": torch.__version__,
                        "note": "dense: the float dense model (the reference of every loss); training-free "
                                "rules on the dense model with its calibration, integer Q/K/V; leopard: "
                                "weights and thresholds retrained per lambda (closed_loop.rebuild's recipe)"}
    return doc


def sweep(doc, cfgs, batches, log, leopard, training_free=None, point=None):
    """Each config's design with its points, appended to doc["designs"]: leopard(value, params, p)
    makes a LeOPArd point (its own model and trace); training_free(policy, params, p, batches) gives
    a rule's (per-question correctness, pruning rate) on a split with the knob set in params, or
    point(policy, params, p) the entries of every split at once (a metric other than accuracy), the
    point replaying doc's dense trace."""
    for path, name, policy, params, p, knob, values in cfgs:
        d = {"name": name, "policy": policy, "knob": knob, "config": path, "bits_per_cycle": p,
             "model": "learned" if policy == "leopard" else "dense", "points": []}
        for v in values:
            if policy == "leopard":
                pt = leopard(v, params, p)
            else:
                pp = dict(params, **{knob.split(".", 1)[1]: v})
                pt = {"value": v, "trace": doc["dense_trace"]}
                if point is not None:
                    pt.update(point(policy, pp, p))
                else:
                    for s, b in batches.items():
                        pt[s] = split_entry(*training_free(policy, pp, p, b))
            log(f"  {name} {knob}={v:g}: validation {pt['validation']['metric']:.5g}, test "
                f"{pt['test']['metric']:.5g} (pruned {pt['test']['pruning_rate']:.3f})")
            d["points"].append(pt)
        doc["designs"].append(d)


class StagedTraces:
    """A staging folder for one run's traces inside `final` (``with StagedTraces(final) as st``): the
    run writes into st.dir; st.commit(doc) moves them into `final`, points the document's trace paths
    there, and only then may the JSON be written; leaving the block without a commit (a failed
    sweep) removes the staging folder, so that no trace is left without its JSON."""

    def __init__(self, final):
        self.final = final

    def __enter__(self):
        import tempfile
        os.makedirs(self.final, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=".staging-", dir=self.final)
        return self

    def commit(self, doc):
        for name in sorted(os.listdir(self.dir)):
            os.replace(os.path.join(self.dir, name), os.path.join(self.final, name))
        moved = lambda path: (os.path.join(self.final, os.path.basename(path))  # noqa: E731
                              if path.startswith(self.dir + os.sep) else path)
        doc["dense_trace"] = moved(doc["dense_trace"])
        for d in doc["designs"]:
            for pt in d["points"]:
                pt["trace"] = moved(pt["trace"])

    def __exit__(self, *exc):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def check_disjoint(doc):
    """Raise ExportError when a question is in both splits (by file and index)."""
    both = identities(doc["splits"]["validation"]) & identities(doc["splits"]["test"])
    if both:
        raise ExportError(f"{doc['workload']}: {len(both)} questions in both the validation and the test split, "
                          f"e.g. {sorted(both)[0]}; expected disjoint splits")

