"""`python -m lrpsim_export policy-masks`: the committed cross-check files in sim/testdata/policy-masks
are what policies.py computes today (drift check), and bad input gets one line and exit status 1."""

import json
import os

import numpy as np
import pytest
import yaml

from lrpsim_export.cli import main
from lrpsim_export.tracefile import file_sha256

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
MASKS = os.path.join(REPO, "sim", "testdata", "policy-masks")
TRACES = os.path.join(REPO, "traces", "data")


def _meta(z):
    return json.loads(z["meta"].tobytes().decode("utf-8"))


def _write_configs(tmp_path, configs):
    paths = []
    for c in configs:
        doc = {"name": c["name"], "front_end": {"bits_per_cycle": c["bits_per_cycle"]}}
        if c["policy"] != "leopard":
            doc["pruning"] = dict(policy=c["policy"], **c["params"])
        p = tmp_path / c["file"]
        p.write_text(yaml.safe_dump(doc))
        paths.append(str(p))
    return paths


def test_committed_masks_reproduce(tmp_path):
    committed = os.path.join(MASKS, "memn2n-babi-qa1.npz")
    with np.load(committed) as z:
        meta = _meta(z)
        want = {n: z[n] for n in z.files if n != "meta"}
    trace = os.path.join(TRACES, meta["trace"])
    assert file_sha256(trace) == meta["trace_sha256"], f"{trace} changed since {committed} was made"
    assert [c["name"] for c in meta["configs"]] == ["leopard", "row-relative", "row-relative-spec", "sanger",
                                                    "spatten"]
    args = ["policy-masks", trace, "--out", str(tmp_path / "m.npz")]
    for p in _write_configs(tmp_path, meta["configs"]):
        args += ["--config", p]
    assert main(args) == 0
    with np.load(tmp_path / "m.npz") as z:
        got = {n: z[n] for n in z.files if n != "meta"}
        meta2 = _meta(z)
    assert sorted(got) == sorted(want)
    assert len(want) == 5 * meta["inputs"] * meta["layers"] * meta["heads"]
    for n in want:
        assert got[n].dtype == np.uint8 and np.array_equal(got[n], want[n]), n
    for c1, c2 in zip(meta["configs"], meta2["configs"]):
        assert c1["params"] == c2["params"] and c1["pruning_rate"] == c2["pruning_rate"]
    # the five rules do differ on this trace (the comparison is not vacuous)
    kept = {c: sum(int(np.count_nonzero(want[n] & 0x80)) for n in want if n.startswith(c + ".b"))
            for c in ("leopard", "row-relative", "sanger", "spatten")}
    assert len(set(kept.values())) == 4


def test_same_bytes_twice(tmp_path):
    cfg = tmp_path / "sanger.yaml"
    cfg.write_text("name: sanger\npruning: {policy: sanger, theta: 0.002, pred_bits: 4}\n")
    trace = os.path.join(TRACES, "memn2n-babi-qa1.npz")
    out = tmp_path / "a.npz"
    # the meta records the command line, so the same command twice (--force the second time) must
    # give the same bytes
    args = ["policy-masks", trace, "--config", str(cfg), "--max-inputs", "2", "--out", str(out), "--force"]
    assert main(args) == 0
    first = out.read_bytes()
    with np.load(out) as z:
        m1 = _meta(z)
        arrays = {n: z[n] for n in z.files if n != "meta"}
    assert main(args) == 0
    assert out.read_bytes() == first
    with np.load(out) as z:
        assert _meta(z)["inputs"] == 2 and len(z.files) == 1 + 2 * 3
        assert all(np.array_equal(z[n], arrays[n]) for n in arrays)
    assert m1["command"].endswith(f"--out {out} --force") and m1["trace"] == "memn2n-babi-qa1.npz"


@pytest.mark.parametrize("case", ["missing trace", "unknown policy", "bad parameter", "existing out",
                                  "duplicate name", "bad max-inputs"])
def test_bad_input(tmp_path, capsys, case):
    trace = os.path.join(TRACES, "memn2n-babi-qa1.npz")
    good = tmp_path / "good.yaml"
    good.write_text("name: good\n")
    cfg = good
    out = tmp_path / "out.npz"
    extra = []
    want = None
    if case == "missing trace":
        trace = str(tmp_path / "none.npz")
        want = f"lrpsim_export: {trace}: no such trace file; expected an lrpsim trace (.npz)"
    elif case == "unknown policy":
        cfg = tmp_path / "u.yaml"
        cfg.write_text("name: u\npruning: {policy: oracle}\n")
        want = (f"lrpsim_export: {cfg}: pruning.policy 'oracle': expected one of leopard, row_relative, "
                f"sanger, spatten")
    elif case == "bad parameter":
        cfg = tmp_path / "b.yaml"
        cfg.write_text("name: b\npruning: {policy: spatten, msb_bits: 6, requant_threshold: 0.05, keep_fraction: 0}\n")
        want = f"lrpsim_export: {cfg}: pruning.keep_fraction: 0: expected a number in (0, 1]"
    elif case == "existing out":
        out.write_bytes(b"keep")
        want = f"lrpsim_export: {out}: already exists; pass --force to overwrite it"
    elif case == "duplicate name":
        extra = ["--config", str(good)]
        want = f"lrpsim_export: {good}: name 'good': already used by another --config; expected distinct names"
    else:
        extra = ["--max-inputs", "0"]
        want = "lrpsim_export: --max-inputs 0: expected at least 1"
    assert main(["policy-masks", trace, "--config", str(cfg), *extra, "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [want]
    if case == "existing out":
        assert out.read_bytes() == b"keep"
    else:
        assert not out.exists()
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []
