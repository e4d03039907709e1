import hashlib
import json
import os
import zipfile

import numpy as np
import pytest

from lrpsim_export.errors import OutputExists, TraceFormatError
from lrpsim_export.tracefile import TraceWriter, head_pruning, validate_trace, write_trace


def small_trace(B=2, L=2, H=3, bits=8, seed=0):
    rng = np.random.default_rng(seed)
    heads = {}
    m = 2 ** (bits - 1) - 1
    for b in range(B):
        n = 5 + b
        for l in range(L):
            d = 4 * (l + 1)
            for h in range(H):
                q = rng.integers(-m, m + 1, (n, d))
                k = rng.integers(-m, m + 1, (n, d))
                v = rng.integers(-m, m + 1, (n, 3))
                heads[(b, l, h)] = (q, k, v, n, n - b)
    meta = dict(model="unit", task="test", source="random", bits_q=bits, bits_k=bits, bits_v=bits,
                causal=True, empty_row="keep_max", threshold_granularity="layer")
    th = np.repeat(np.array([[-np.inf], [0.3]]), H, axis=1)
    sc = np.full((L, H), 0.01)
    return meta, heads, th, sc


def test_numpy_reads_what_it_writes(tmp_path):
    meta, heads, th, sc = small_trace()
    p = tmp_path / "t.npz"
    write_trace(p, meta, heads, th, sc, sc * 2, sc * 3)
    z = np.load(p)
    m = json.loads(z["meta"].tobytes())
    assert m["format"] == "lrpsim-trace" and m["version"] == 1 and m["inputs"] == 2
    assert m["layers"] == 2 and m["heads"] == 3
    assert z["threshold"].dtype == np.float64 and z["threshold"][0, 0] == -np.inf
    assert z["b1.l1.h2.q"].dtype == np.int8
    np.testing.assert_array_equal(z["b1.l1.h2.q"], heads[(1, 1, 2)][0])
    assert z["valid_k"][1, 0, 0] == 5 and z["valid_q"][1, 0, 0] == 6
    with validate_trace(p) as t:
        kept, allowed = head_pruning(t, 0, 0, 0)
        assert kept == allowed  # -inf keeps everything
        assert allowed == 15  # causal, 5 x 5


def test_bytes_are_reproducible(tmp_path):
    meta, heads, th, sc = small_trace()
    digests = []
    for name in ("a.npz", "b.npz"):
        write_trace(tmp_path / name, meta, heads, th, sc, sc, sc)
        digests.append(hashlib.sha256((tmp_path / name).read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_existing_output_refused_unless_forced(tmp_path):
    meta, heads, th, sc = small_trace()
    p = tmp_path / "t.npz"
    p.write_bytes(b"keep me")
    with pytest.raises(OutputExists, match="--force"):
        write_trace(p, meta, heads, th, sc, sc, sc)
    assert p.read_bytes() == b"keep me"
    write_trace(p, meta, heads, th, sc, sc, sc, force=True)
    validate_trace(p).close()
    with pytest.raises(OutputExists, match="does not exist"):
        write_trace(tmp_path / "no" / "t.npz", meta, heads, th, sc, sc, sc)


def test_no_partial_file_on_error(tmp_path):
    meta, heads, th, sc = small_trace()
    q, k, v, vq, vk = heads[(1, 1, 1)]
    heads[(1, 1, 1)] = (q * 4, k, v, vq, vk)  # does not fit 8 bits
    p = tmp_path / "t.npz"
    with pytest.raises(TraceFormatError, match="do not fit 8 bits"):
        write_trace(p, meta, heads, th, sc, sc, sc)
    assert os.listdir(tmp_path) == []
    meta2, heads2, th2, sc2 = small_trace()
    with pytest.raises(TraceFormatError, match="scale_q"):
        write_trace(p, meta2, heads2, th2, sc2 * 0, sc2, sc2)
    with pytest.raises(TraceFormatError, match="threshold"):
        write_trace(p, meta2, heads2, th2 * np.nan, sc2, sc2, sc2)
    del heads2[(0, 1, 2)]
    with pytest.raises(TraceFormatError, match="never added"):
        write_trace(p, meta2, heads2, th2, sc2, sc2, sc2)
    assert os.listdir(tmp_path) == []
    with pytest.raises(TraceFormatError, match="empty_row"):
        with TraceWriter(p, dict(meta2, empty_row="nope"), inputs=1, layers=1, heads=1):
            pass
    assert os.listdir(tmp_path) == []


def _rewrite(src, dst, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)


def _npy(arr):
    import io
    b = io.BytesIO()
    np.save(b, arr)
    return b.getvalue()


@pytest.mark.parametrize("name,change,message", [
    ("missing", lambda f, d: None if f == "scale_k.npy" else d, "missing member 'scale_k'"),
    ("dtype", lambda f, d: _npy(np.zeros((2, 3), np.float32)) if f == "scale_v.npy" else d, "scale_v: expected dtype float64"),
    ("nan", lambda f, d: _npy(np.full((2, 3), np.nan)) if f == "scale_q.npy" else d, "scale_q: expected finite"),
    ("valid", lambda f, d: _npy(np.full((2, 2, 3), 99, np.int32)) if f == "valid_q.npy" else d, "valid_q"),
    ("bits", lambda f, d: _npy(np.full((5, 4), 127, np.int16) * 3) if f == "b0.l0.h0.q.npy" else d, "do not fit"),
    ("dk", lambda f, d: _npy(np.zeros((5, 7), np.int8)) if f == "b0.l0.h1.k.npy" else d, "d=4 but k has d=7"),
    ("version", lambda f, d: _npy(np.frombuffer(json.dumps(dict(json.loads(np.load(__import__('io').BytesIO(d)).tobytes()), version=2)).encode(), np.uint8)) if f == "meta.npy" else d, "meta.version"),
])
def test_validation_names_the_member(tmp_path, name, change, message):
    meta, heads, th, sc = small_trace()
    good = tmp_path / "good.npz"
    write_trace(good, meta, heads, th, sc, sc, sc)
    bad = tmp_path / f"{name}.npz"
    _rewrite(good, bad, change)
    with pytest.raises(TraceFormatError, match=message):
        validate_trace(bad)


def test_truncated_archive(tmp_path):
    meta, heads, th, sc = small_trace()
    good = tmp_path / "good.npz"
    write_trace(good, meta, heads, th, sc, sc, sc)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(TraceFormatError, match="cut.npz"):
        validate_trace(cut)
