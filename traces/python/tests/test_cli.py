"""The command line end to end on stories260K (tiny settings), and its bad-input errors: one line,
exit status 1, no output file."""

import json
import os

import numpy as np
import pytest

from lrpsim_export.cli import main
from lrpsim_export.tracefile import head_pruning, validate_trace

TINY = ["--train", "4", "--eval", "4", "--inputs", "2", "--length", "40", "--steps", "6", "--batch-size", "4",
        "--quiet"]


def export(path, out, *extra):
    return main(["export", "stories260K", "--model-path", path, "--bits", "12", "--out", str(out), *TINY, *extra])


def test_export_end_to_end(tmp_path, stories_path, capsys):
    out = tmp_path / "s.npz"
    assert export(stories_path, out, "--lambda", "0.5", "2", "--report", str(tmp_path / "r.json")) == 0
    with validate_trace(out) as t:
        m = t.meta
        assert m["model"] == "stories260K" and m["causal"] and not m["synthetic"]
        assert (m["bits_q"], m["bits_k"], m["bits_v"]) == (12, 12, 12)
        assert t.B == 2 and t.L == 5 and t.H == 8
        assert m["metric"]["name"] == "perplexity" and m["metric"]["dense"] > 1
        g = m["generator"]
        assert g["lambda"] in (0.5, 2.0) and g["lambdas_tried"] == [0.5, 2.0]
        assert "export stories260K" in g["command"]
        assert "thresholds" not in m, "a learned trace's meta has no thresholds field (FORMAT.md: optional)"
        q, k, v = t.head(1, 4, 7)
        assert q.shape == (40, 8) and q.dtype == np.int16
        kept = allowed = 0
        for b in range(2):
            for l in range(5):
                for h in range(8):
                    kk, aa = head_pruning(t, b, l, h)
                    kept += kk
                    allowed += aa
        assert allowed == 2 * 5 * 8 * 40 * 41 // 2
        assert abs((1 - kept / allowed) - g["pruning_rate"]) < 1e-12
    sweep = json.load(open(tmp_path / "r.json"))["sweep"]
    assert [r["lam"] for r in sweep] == [0.5, 2.0]
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "stories260K" in text and "made by: python -m lrpsim_export export" in text and "pruning rate" in text


def test_existing_output_refused(tmp_path, stories_path, capsys):
    out = tmp_path / "s.npz"
    out.write_bytes(b"precious")
    assert export(stories_path, out, "--threshold=-inf") == 1
    err = capsys.readouterr().err.strip()
    assert err == f"lrpsim_export: {out}: already exists; pass --force to overwrite it"
    assert out.read_bytes() == b"precious"
    assert export(stories_path, out, "--threshold=-inf", "--force") == 0
    with validate_trace(out) as t:
        assert np.all(t.array("threshold", (np.dtype("float64"),), 2) == -np.inf)
        assert head_pruning(t, 0, 0, 0)[0] == head_pruning(t, 0, 0, 0)[1]


@pytest.mark.parametrize("threshold, marked", [("-inf", True), ("0", False), ("-1", False)])
def test_dense_trace_marked(tmp_path, stories_path, threshold, marked):
    """--threshold=-inf (and only it) makes a dense-model trace: meta "thresholds": "none", the partner
    trace lrpsim compare replays for the training-free rules; nothing is pruned."""
    out = tmp_path / "s.npz"
    assert export(stories_path, out, f"--threshold={threshold}") == 0
    with validate_trace(out) as t:
        m = t.meta
        assert m.get("thresholds") == ("none" if marked else None) and ("thresholds" in m) == marked
        assert m["generator"]["lambda"] is None and m["generator"]["fixed_threshold"] == repr(float(threshold))
        assert "fixed threshold" in m["metric"]["note"] and "trained" not in m["metric"]["note"]
        if marked:
            assert m["generator"]["pruning_rate"] == 0 and m["metric"]["pruned"] == m["metric"]["quantized"]
            for b in range(t.B):
                for l in range(t.L):
                    kept, allowed = head_pruning(t, b, l, 0)
                    assert kept == allowed


def test_nan_in_weights(tmp_path, stories_path, capsys):
    raw = bytearray(open(stories_path, "rb").read())
    off = 28 + 4 * (512 * 64 + 5 * 64 + 100)  # inside wq
    raw[off:off + 4] = np.array([np.nan], "<f4").tobytes()
    bad = tmp_path / "nan.bin"
    bad.write_bytes(bytes(raw))
    out = tmp_path / "s.npz"
    assert export(str(bad), out, "--threshold", "0") == 1
    err = capsys.readouterr().err
    assert "weight 'wq' holds NaN" in err and err.count("\n") == 1
    assert not out.exists() and os.listdir(tmp_path) == ["nan.bin"]


def test_bit_width_cannot_hold_threshold(tmp_path, stories_path, capsys):
    out = tmp_path / "s.npz"
    assert main(["export", "stories260K", "--model-path", stories_path, "--bits", "3", "--threshold", "1e6",
                 "--out", str(out), *TINY]) == 1
    err = capsys.readouterr().err
    assert "layer 0 head 0: threshold 1e+06 is outside the scores that 3-bit q and 3-bit k can represent" in err
    assert not out.exists()


@pytest.mark.parametrize("bits", ["1", "17"])
def test_bad_bits(tmp_path, stories_path, capsys, bits):
    assert main(["export", "stories260K", "--model-path", stories_path, "--bits", bits, "--out",
                 str(tmp_path / "x.npz")]) == 1
    assert f"--bits {bits}: expected 2..16" in capsys.readouterr().err


def test_missing_model_file(tmp_path, capsys):
    assert main(["export", "stories260K", "--model-path", str(tmp_path / "none.bin"), "--out",
                 str(tmp_path / "x.npz")]) == 1
    assert "none.bin: not found" in capsys.readouterr().err


def test_validate_rejects_garbage(tmp_path, capsys):
    p = tmp_path / "junk.npz"
    p.write_bytes(b"not a zip")
    assert main(["validate", str(p)]) == 1
    assert "junk.npz: not a readable .npz archive" in capsys.readouterr().err


def _rewrite(src, dst, change):
    """Copy a trace, letting change(name, array) -> array alter members."""
    with np.load(src) as z:
        arrays = {n: change(n, z[n]) for n in z.files}
    np.savez(dst, **arrays)


@pytest.mark.parametrize("what, change, ok", [
    ("same", lambda n, a: a, True),
    ("command only", lambda n, a: _with_command(a) if n == "meta" else a, True),
    ("one integer", lambda n, a: _bump(a) if n == "b0.l0.h0.v" else a, False),
    ("a meta field", lambda n, a: _with_source(a) if n == "meta" else a, False),
])
def test_compare_identical(tmp_path, what, change, ok, repo, capsys):
    """compare --identical: arrays and meta must match, the generator's command line aside."""
    src = os.path.join(repo, "traces", "data", "use-lite.npz")
    dst = tmp_path / "x.npz"
    _rewrite(src, dst, change)
    # within the cross-machine bounds but for a changed non-float meta field, which must be equal
    assert main(["compare", src, str(dst)]) == (1 if what == "a meta field" else 0)
    assert main(["compare", "--identical", src, str(dst)]) == (0 if ok else 1), what


def _every_nth(a, frac, by):
    """a with a fraction frac of its elements moved by `by` (spread evenly)."""
    b = a.astype(np.int64).copy()
    step = max(int(round(1 / frac)), 1)
    b.flat[::step] += np.where(b.flat[::step] + by > 127, -by, by)
    return b.astype(a.dtype)


def _scaled(f):
    return lambda n, a: a * f if n == "threshold" else a


def _metric(f):
    return lambda n, a: _meta(a, lambda m: m["metric"].update(pruned=m["metric"]["pruned"] * f)) if n == "meta" else a


# Each row moves a copy of a bundled trace the way another CPU would (within the bounds of
# lrpsim_export.tolerances) or the way a bug would (past them), and checks what compare prints. The
# Q/K/V bounds hold for a trace whose weights were not trained (use-lite-dense); a trained one
# (use-lite) is held to its survivors, pruning rate and metrics.
@pytest.mark.parametrize("trace, what, change, ok, expect", [
    ("use-lite-dense", "1 LSB in 1% of Q", lambda n, a: _every_nth(a, 0.01, 1) if n.endswith(".q") else a, True,
     "Q: {n} of 241152 integers differ (max |diff| 1)"),
    ("use-lite-dense", "2 LSB in one K", lambda n, a: _every_nth(a, 1e-4, 2) if n == "b0.l0.h0.k" else a, False,
     "K: 1 of 241152 integers differ, max |diff| 2 (bound: 5% of them, 1 LSB each at 8 bits)"),
    ("use-lite-dense", "1 LSB in 10% of V", lambda n, a: _every_nth(a, 0.1, 1) if n.endswith(".v") else a, False,
     "V: {n} of 241152 integers differ, max |diff| 1"),
    ("use-lite-dense", "scales x 1.01", lambda n, a: a * 1.01 if n == "scale_q" else a, False,
     "scale_q: largest relative difference 0.01 (bound 1e-05)"),
    ("use-lite", "trained: 2 LSB in 1% of Q", lambda n, a: _every_nth(a, 0.01, 2) if n.endswith(".q") else a, True,
     "Q: {n} of 241152 integers differ (max |diff| 2), K: 0 of 241152 integers differ, V: 0 of 241152 integers "
     "differ (trained weights: counted, not bounded)"),
    ("use-lite", "thresholds + 0.01%", _scaled(1.0001), True, "(learned: counted, not bounded)"),
    ("use-lite", "thresholds x 1.5", _scaled(1.5), False, "integer thresholds differ"),
    ("use-lite", "metric pruned + 1e-4", _metric(1 + 1e-4), True, "metric pruned 0.99372455 vs 0.99382392"),
    ("use-lite", "metric pruned - 2%", _metric(0.98), False, "meta metric.pruned: bundled 0.9937245485342474"),
])
def test_compare_bounds(tmp_path, trace, what, change, ok, expect, repo, capsys):
    """compare without --identical counts what differs and fails only past the bounds."""
    src = os.path.join(repo, "traces", "data", trace + ".npz")
    dst = tmp_path / "x.npz"
    _rewrite(src, dst, change)
    assert main(["compare", src, str(dst)]) == (0 if ok else 1), what
    out = capsys.readouterr().out
    with np.load(src) as a, np.load(dst) as b:  # the count compare should print
        n = sum(int(np.count_nonzero(a[m] != b[m])) for m in a.files if m.count(".") == 3)
    assert ("{n}" not in expect or n > 0) and expect.format(n=n) in out, out
    assert "not bit-identical" in out
    if not ok:
        assert "  differs: " in out
    if what == "thresholds x 1.5":
        assert "survivors: " in out and "decide differently" in out


def _meta(a, f):
    m = json.loads(a.tobytes())
    f(m)
    return np.frombuffer(json.dumps(m).encode(), dtype=np.uint8)


def _with_command(a):
    return _meta(a, lambda m: m["generator"].update(command="python -m lrpsim_export export elsewhere"))


def _with_source(a):
    return _meta(a, lambda m: m.update(source=m["source"] + " (changed)"))


def _bump(a):
    b = a.copy()
    b.flat[0] = 0 if b.flat[0] != 0 else 1
    return b
