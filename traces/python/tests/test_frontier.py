"""The frontier's closed loop (lrpsim_workloads.frontier, results/frontier): the operating_points
grid parser, the per-question bit packing, the two splits held disjoint, the committed files, and
one small case end to end on bAbI task 1 (one LeOPArd lambda and two Sanger thresholds; about 40 s
on one core), held to the committed file question by question where this machine reproduces the
bundled dense trace."""

import glob
import json
import os

import numpy as np
import pytest

from lrpsim_export.errors import ExportError
from lrpsim_export.tolerances import RETRAINED_ACCURACY_ABS, RETRAINED_RATE_ABS
from lrpsim_workloads import frontier as fr

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
COMMITTED = os.path.join(REPO, "results", "frontier", "closed-loop")


@pytest.mark.parametrize("text,match", [
    ("name: x\n", "operating_points: expected a mapping"),
    ("name: x\noperating_points: {knob: pruning.foo, values: [1]}\n", "operating_points.knob 'pruning.foo'"),
    ("name: x\noperating_points: {knob: lambda, values: []}\n", "operating_points.values"),
    ("name: x\noperating_points: {knob: lambda, values: [0.1, 0.1]}\n", "strictly increasing"),
    ("name: x\noperating_points: {knob: lambda, values: [a]}\n", "a non-empty list of numbers"),
])
def test_operating_points_errors(tmp_path, text, match):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(ExportError, match=match) as e:
        fr.operating_points(str(p))
    assert str(p) in str(e.value)


def test_operating_points_of_the_bundled_configs():
    for name, knob in (("leopard.yaml", "lambda"), ("policies/sanger.yaml", "pruning.theta"),
                       ("policies/spatten.yaml", "pruning.keep_fraction"),
                       ("policies/row-relative.yaml", "pruning.epsilon"),
                       ("policies/row-relative-spec.yaml", "pruning.margin")):
        k, values = fr.operating_points(os.path.join(REPO, "configs", name))
        assert k == knob and len(values) >= 3


def test_pack_roundtrip():
    g = np.random.default_rng(1)
    for n in (1, 7, 8, 9, 1000):
        bits = g.random(n) < 0.5
        h = fr.pack(bits)
        assert len(h) == 2 * ((n + 7) // 8)
        assert np.array_equal(fr.unpack(h, n), bits)
    assert fr.pack([True, False, True]) == "a0"  # question 0 in the top bit, as lrpsim reads it


def test_splits_disjoint(babi_dir):
    from lrpsim_workloads import babi
    task = babi.load_task(1, babi_dir)
    s = fr.splits(task)
    assert s["validation"]["count"] == len(task.valid) > 0 and s["test"]["count"] == len(task.test) > 0
    assert s["validation"]["file"] != s["test"]["file"]
    assert not fr.identities(s["validation"]) & fr.identities(s["test"])
    doc = {"workload": "w", "splits": s}
    fr.check_disjoint(doc)
    # the check fails when the two splits share a question
    doc["splits"] = {"validation": dict(s["test"], first=0, count=10), "test": dict(s["test"], first=5, count=10)}
    with pytest.raises(ExportError, match="5 questions in both"):
        fr.check_disjoint(doc)


def _committed():
    files = sorted(glob.glob(os.path.join(COMMITTED, "*.json")))
    if not files:
        pytest.skip("no committed frontier files (results/frontier/regen.sh)")
    return files


def _metric_of(doc, e):
    """A split entry's metric from its per-input record: correctness bits (accuracy), cosines, or
    per-sequence negative log-likelihoods and token counts (perplexity)."""
    if doc["metric"] == "accuracy":
        return fr.unpack(e["correct"], e["questions"]).mean()
    assert len(e["values"]) == e["questions"]
    if doc["metric"] == "perplexity":
        assert len(e["tokens"]) == e["questions"] and min(e["tokens"]) > 0
        return np.exp(np.sum(e["values"]) / np.sum(e["tokens"]))
    assert doc["metric"] == "cosine_to_dense"
    return np.mean(e["values"])


def test_committed_files_hold_together():
    for path in _committed():
        doc = json.load(open(path))
        assert doc["schema"] == fr.SCHEMA
        assert doc["higher_is_better"] == (doc["metric"] != "perplexity")
        fr.check_disjoint(doc)
        for split in ("validation", "test"):
            d = doc["dense"][split]
            assert _metric_of(doc, d) == pytest.approx(d["metric"], rel=1e-12, abs=1e-12)
        for design in doc["designs"]:
            assert [p["value"] for p in design["points"]] == sorted(p["value"] for p in design["points"])
            for p in design["points"]:
                for split in ("validation", "test"):
                    e = p[split]
                    assert e["questions"] == doc["dense"][split]["questions"]
                    assert _metric_of(doc, e) == pytest.approx(e["metric"], rel=1e-12, abs=1e-12)
                    if doc["metric"] == "perplexity":
                        assert e["tokens"] == doc["dense"][split]["tokens"]
                if design["policy"] == "leopard":
                    assert os.path.isfile(os.path.join(REPO, p["trace"])), p["trace"]


def test_frontier_small_case(tmp_path, babi_dir):
    """Task 1 with a grid of one lambda and two thresholds: the document's shape, and where this
    machine trains the committed file's dense model again (its dense answers equal), the same
    answers question by question as the committed points; elsewhere the retrained tolerances."""
    from lrpsim_workloads.cli import main
    cfgs = {"leopard": "name: leopard\noperating_points: {knob: lambda, values: [0.05]}\n",
            "sanger": "name: sanger\npruning: {policy: sanger, theta: 0.002, pred_bits: 4}\n"
                      "operating_points: {knob: pruning.theta, values: [0.002, 0.02]}\n"}
    args = ["frontier", "--task", "1", "--babi-dir", babi_dir, "--out", str(tmp_path / "qa1.json"),
            "--traces-out", str(tmp_path / "traces")]
    for name, text in cfgs.items():
        p = tmp_path / f"{name}.yaml"
        p.write_text(text)
        args += ["--config", str(p)]
    assert main(args) == 0
    doc = json.loads((tmp_path / "qa1.json").read_text())
    assert doc["schema"] == fr.SCHEMA and [d["name"] for d in doc["designs"]] == ["leopard", "sanger"]
    lp = doc["designs"][0]["points"][0]
    assert os.path.isfile(lp["trace"]) and lp["test"]["pruning_rate"] > 0.5
    s = doc["designs"][1]["points"]
    assert s[1]["test"]["pruning_rate"] > s[0]["test"]["pruning_rate"]  # a higher threshold prunes more
    path = os.path.join(COMMITTED, "memn2n-babi-qa1.json")
    if not os.path.isfile(path):
        return
    ref = json.load(open(path))
    refs = {d["name"]: {p["value"]: p for p in d["points"]} for d in ref["designs"]}
    # Where this machine trains the committed file's dense model again (the same arithmetic), the
    # answers must be the committed ones question by question; on other kernels training ends in
    # another model, so only the loose bounds of lrpsim_export.tolerances (RETRAINED_*) hold.
    same = ref["dense"] == doc["dense"]
    # Where this machine trains the bundled dense trace's model again (the trace lrpsim replays for
    # the training-free rules), the committed points must come from that model: a frontier made
    # with other arithmetic (another thread count, another machine) is stale here.
    from lrpsim_export.learn import Thresholds
    from lrpsim_workloads.closed_loop import rebuild, reproduces, trace_generator, trace_inputs, trace_path
    traces = os.path.join(REPO, "traces", "data")
    m = rebuild(1, trace_generator(trace_path(traces, 1)), babi_dir, lambda *a: None, learned=False)
    _, inputs = trace_inputs(m.task, m.cfg)
    if reproduces(trace_path(traces, 1, dense=True), m.dense, Thresholds.constant(m.cfg.dense.hops, 1, float("-inf")),
                  m.quant0, inputs):
        assert same, ("this machine reproduces traces/data/memn2n-babi-qa1-dense.npz, but the committed frontier "
                      "comes from another dense model: rerun results/frontier/regen.sh")
    if not same:
        for split in ("validation", "test"):
            assert abs(doc["dense"][split]["metric"] - ref["dense"][split]["metric"]) <= RETRAINED_ACCURACY_ABS, split
    for d in doc["designs"]:
        for p in d["points"]:
            r = refs[d["name"]][p["value"]]
            for split in ("validation", "test"):
                if same:
                    assert p[split]["correct"] == r[split]["correct"], (d["name"], p["value"], split)
                    continue
                assert abs(p[split]["metric"] - r[split]["metric"]) <= RETRAINED_ACCURACY_ABS, (d["name"], p["value"], split)
                assert abs(p[split]["pruning_rate"] - r[split]["pruning_rate"]) <= RETRAINED_RATE_ABS, (d["name"], p["value"], split)


def test_staged_traces(tmp_path):
    """StagedTraces: a committed run's traces move into the folder and the document points there (a
    bundled trace untouched); a run that leaves the block without a commit leaves nothing."""
    final = tmp_path / "traces"
    with fr.StagedTraces(str(final)) as st:
        for n in ("w-dense.npz", "w-lam0.2.npz"):
            (tmp_path / "traces" / os.path.basename(st.dir) / n).write_bytes(b"x")
        doc = {"dense_trace": os.path.join(st.dir, "w-dense.npz"),
               "designs": [{"points": [{"trace": os.path.join(st.dir, "w-lam0.2.npz")}]},
                           {"points": [{"trace": "bundled:w-dense"}]}]}
        st.commit(doc)
    assert sorted(os.listdir(final)) == ["w-dense.npz", "w-lam0.2.npz"]
    assert doc["dense_trace"] == str(final / "w-dense.npz")
    assert doc["designs"][0]["points"][0]["trace"] == str(final / "w-lam0.2.npz")
    assert doc["designs"][1]["points"][0]["trace"] == "bundled:w-dense"
    with pytest.raises(RuntimeError):
        with fr.StagedTraces(str(final)) as st:
            (tmp_path / "traces" / os.path.basename(st.dir) / "w-lam0.8.npz").write_bytes(b"x")
            raise RuntimeError("the sweep broke")
    assert sorted(os.listdir(final)) == ["w-dense.npz", "w-lam0.2.npz"]
