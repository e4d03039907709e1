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


def test_manifest_lists_the_real_traces():
    assert [e["file"] for e in manifest()["traces"]] == ["stories260K.npz", "use-lite.npz"]


@pytest.mark.parametrize("e", manifest()["traces"], ids=lambda e: e["file"])
def test_manifest_matches_file(e):
    got = entry(os.path.join(DATA, e["file"]))
    assert got == e, "MANIFEST.json is stale: traces/regen.sh writes it"
    if not e["synthetic"]:
        m = e["metric"]
        assert m["name"] and "dense" in m and "pruned" in m
        assert e["command"].startswith("python -m lrpsim_export export ")
        assert e["lambda"] is not None and 0 < e["pruning_rate"] < 1


def test_default_is_real():
    doc = manifest()
    default = [e for e in doc["traces"] if e["file"] == doc["default"]]
    assert default and not default[0]["synthetic"], "lrpsim run should replay a real trace by default"
    total = sum(e["bytes"] for e in doc["traces"])
    assert total < 4e6, f"the real traces take {total / 1e6:.1f} MB; keep them to a few MB"
