"""The transformer workloads' frontier (lrpsim_workloads.transformer_frontier, results/frontier): the
per-input values behind each metric, the test split the export never saw, and small cases end to end
on use-lite (one LeOPArd lambda with a shortened training, two Sanger thresholds) and stories260K
(one Sanger threshold), a few seconds each on one core."""

import dataclasses
import json
import math
import os

import pytest

from conftest import REPO
from lrpsim_export.errors import ExportError
from lrpsim_export.tolerances import METRIC_REL
from lrpsim_export.tracefile import Trace
from lrpsim_workloads import frontier as fr
from lrpsim_workloads import transformer_frontier as tf
from test_closed_loop_transformers import _needs

DATA = os.path.join(REPO, "traces", "data")


def _configs(tmp_path, grids):
    out = []
    for name, text in grids.items():
        p = tmp_path / f"{name}.yaml"
        p.write_text(text)
        out.append(str(p))
    return out


SANGER = "name: sanger\npruning: {policy: sanger, theta: 0.002, pred_bits: 4}\n" \
         "operating_points: {knob: pruning.theta, values: [%s]}\n"


@pytest.mark.parametrize("name", ["use-lite", "stories260K"])
def test_per_input_is_the_metric(name):
    """The per-input values give back the task's own metric on the same outputs, and the dense
    model's cosine to itself is 1 input by input."""
    from lrpsim_export.closed_loop import Workload
    from lrpsim_export.learn import _no_grad_run
    from lrpsim_export.attention import PolicySession
    _needs(name)
    w = Workload(name, DATA, eval_batches=1, log=lambda *_: None)
    s = PolicySession("sanger", {"theta": 0.01, "pred_bits": 4}, quant=w.quant, empty_row=w.empty_row)
    outs = _no_grad_run(w.task, w.model, w.eval, s)
    per = w.task.per_input(outs, w.refs, w.eval)
    assert len(per["values"]) == w.eval_inputs
    # the same float64 numbers summed in another order (per sequence, then math.fsum; or one torch
    # reduction): they differ in the last digits only, on any CPU, so 1e-12 is safe
    assert w.task.metric_of(per) == pytest.approx(w.task.metric(outs, w.refs, w.eval), rel=1e-12)
    dense = w.task.per_input(w.refs, w.refs, w.eval)
    if name == "stories260K":
        assert per["tokens"] == [w.task.eval[0].shape[1] - 1] * w.eval_inputs
        assert w.task.metric_of(per) > w.task.metric_of(dense)  # pruning this hard costs perplexity
    else:
        # an embedding's cosine to itself in float64: 1 within a few ulps whatever the kernels
        assert all(abs(v - 1) < 1e-12 for v in dense["values"])
        assert min(per["values"]) < 1


def test_use_lite_small_case(tmp_path, monkeypatch):
    """use-lite end to end through the command line: the splits (validation the export's held-out
    passages, test the next ones), the dense entries, Sanger's pruning rising with its threshold,
    and LeOPArd's point with its own trace (training cut to 5 steps to keep the test fast)."""
    _needs("use-lite")
    import lrpsim_export.learn as learn_mod
    orig = learn_mod.learn
    monkeypatch.setattr(learn_mod, "learn", lambda task, cfg, log=print: orig(task, dataclasses.replace(cfg, steps=5), log))
    cfgs = _configs(tmp_path, {"leopard": "name: leopard\noperating_points: {knob: lambda, values: [0.05]}\n",
                               "sanger": SANGER % "0.002, 0.02"})
    out = tmp_path / "use-lite.json"
    args = ["use-lite", "--out", str(out), "--traces-out", str(tmp_path / "traces"), "--test", "8"]
    for c in cfgs:
        args += ["--config", c]
    assert tf.main(args) == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == fr.SCHEMA and doc["metric"] == "cosine_to_dense" and doc["higher_is_better"]
    fr.check_disjoint(doc)
    v, t = doc["splits"]["validation"], doc["splits"]["test"]
    assert (v["first"], v["count"], t["first"], t["count"]) == (0, 32, 32, 8) and v["file"] == t["file"]
    assert doc["generator"]["identical_inputs_in_test"] == 0
    assert doc["generator"]["checks"]["trace_metric_dense_reproduced"]
    for split, n in (("validation", 32), ("test", 8)):
        d = doc["dense"][split]
        assert d["questions"] == len(d["values"]) == n and all(abs(x - 1) < 1e-12 for x in d["values"])
    lp = doc["designs"][0]["points"][0]
    assert lp["value"] == 0.05 and os.path.isfile(lp["trace"])
    assert os.listdir(tmp_path / "traces") == ["use-lite-lam0.05.npz"]  # moved out of the staging folder
    assert lp["trace"] == str(tmp_path / "traces" / "use-lite-lam0.05.npz")
    with Trace(lp["trace"]) as tr:
        assert tr.meta["generator"]["lambda"] == 0.05
        assert tr.meta["metric"]["pruned"] == lp["validation"]["metric"]  # one number, copied: exact
    s = doc["designs"][1]["points"]
    assert [p["trace"] for p in s] == ["bundled:use-lite-dense"] * 2
    assert s[1]["test"]["pruning_rate"] > s[0]["test"]["pruning_rate"]
    assert s[1]["test"]["metric"] < s[0]["test"]["metric"] < 1
    for p in s + [lp]:
        for split in ("validation", "test"):
            e = p[split]
            assert e["metric"] == pytest.approx(math.fsum(e["values"]) / len(e["values"]), rel=1e-12)


def test_stories_small_case(tmp_path):
    """stories260K: the test split is another sampling seed's sequences, per-sequence NLL and token
    counts that give back the perplexity, and the dense validation perplexity is the export's."""
    _needs("stories260K")
    doc = tf.frontier("stories260K", _configs(tmp_path, {"sanger": SANGER % "0.02"}), traces=DATA,
                      trace_out=str(tmp_path), n_test=2, log=lambda *_: None)
    assert doc["metric"] == "perplexity" and doc["higher_is_better"] is False
    v, t = doc["splits"]["validation"], doc["splits"]["test"]
    assert v["file"] != t["file"] and "seed 1" in v["file"] and "seed 2" in t["file"]
    with Trace(os.path.join(DATA, "stories260K.npz")) as tr:
        dense = tr.meta["metric"]["dense"]
    assert doc["dense"]["validation"]["metric"] == pytest.approx(dense, rel=METRIC_REL)
    for e in [doc["dense"]["test"], doc["designs"][0]["points"][0]["test"]]:
        assert e["tokens"] == [255, 255]
        assert e["metric"] == pytest.approx(math.exp(math.fsum(e["values"]) / sum(e["tokens"])), rel=1e-12)
    assert doc["designs"][0]["points"][0]["test"]["metric"] > doc["dense"]["test"]["metric"]


def test_errors(tmp_path, capsys):
    cfg = _configs(tmp_path, {"sanger": SANGER % "0.02"})[0]
    with pytest.raises(ExportError, match="'gpt2': unknown workload; expected one of stories260K"):
        tf.frontier("gpt2", [cfg], traces=DATA, trace_out=str(tmp_path))
    existing = tmp_path / "there.json"
    existing.write_text("precious")
    assert tf.main(["use-lite", "--config", cfg, "--out", str(existing), "--traces-out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and existing.read_text() == "precious"
    assert tf.main(["use-lite", "--config", cfg, "--out", str(tmp_path / "x.json"), "--traces-out",
                    str(tmp_path), "--traces", str(tmp_path)]) == 1
    assert "use-lite.npz: no such trace" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_test_split_refuses_a_shifted_validation():
    """The validation split must be the export's held-out inputs: a task whose held-out inputs are
    not the head of the passage order is refused."""
    from lrpsim_export.closed_loop import Workload
    _needs("use-lite")
    w = Workload("use-lite", DATA, log=lambda *_: None)
    w.task.eval = w.task.eval[1:] + w.task.eval[:1]
    with pytest.raises(ExportError, match="not the export's held-out inputs"):
        tf.test_split(w, 4)


def test_failed_sweep_leaves_no_traces(tmp_path, monkeypatch, capsys):
    """A sweep that fails after writing a LeOPArd trace leaves neither the trace nor the JSON."""
    cfg = _configs(tmp_path, {"sanger": SANGER % "0.02"})[0]

    def failing(name, configs, *, trace_out, **kw):
        open(os.path.join(trace_out, name + "-lam0.01.npz"), "w").close()
        raise ExportError("the sweep broke")

    monkeypatch.setattr(tf, "frontier", failing)
    out = tmp_path / "use-lite.json"
    assert tf.main(["use-lite", "--config", cfg, "--out", str(out), "--traces-out", str(tmp_path / "tr")]) == 1
    assert "the sweep broke" in capsys.readouterr().err
    assert os.listdir(tmp_path / "tr") == [] and not out.exists()


def test_dense_partner_written_where_none_is_bundled(tmp_path):
    """minilm-long128 has no bundled dense partner: the frontier writes the original model's trace
    (thresholds -inf, nothing pruned) beside LeOPArd's, and the training-free points replay it; a
    workload with a bundled partner names it instead."""
    _needs("minilm-embed")
    out = tmp_path / "l.json"
    assert tf.main(["minilm-long128", "--config", _configs(tmp_path, {"sanger": SANGER % "0.02"})[0], "--out",
                    str(out), "--traces-out", str(tmp_path / "tr"), "--test", "1"]) == 0
    doc = json.loads(out.read_text())
    partner = str(tmp_path / "tr" / "minilm-long128-dense.npz")
    assert doc["dense_trace"] == partner and doc["designs"][0]["points"][0]["trace"] == partner
    with Trace(partner) as t:
        assert t.meta["thresholds"] == "none" and t.meta["metric"]["pruned"] == t.meta["metric"]["quantized"]
        with Trace(os.path.join(DATA, "minilm-long128.npz")) as learned:
            assert t.L == learned.L and t.H == learned.H
    assert doc["splits"]["test"]["first"] == 4 and doc["splits"]["test"]["count"] == 1
