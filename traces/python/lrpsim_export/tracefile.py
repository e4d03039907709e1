"""Reading, writing and validating lrpsim trace files (traces/FORMAT.md, version 1).

A trace is an .npz archive: a zip of .npy members. :class:`TraceWriter` streams one head at a time
into a temporary file beside the output and renames it into place only when everything was written
and checked, so a failed export leaves no partial file. The zip is written with fixed timestamps
and member order, so the same arrays always give the same bytes.
"""

import io
import json
import os
import tempfile
import zipfile

import numpy as np

from .errors import OutputExists, TraceFormatError
from .quantize import int_dtype, qmax

FORMAT_NAME = "lrpsim-trace"
FORMAT_VERSION = 1
EMPTY_ROW = ("zero", "keep_max")
GRANULARITY = ("layer", "head")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_INT_DTYPES = (np.dtype("int8"), np.dtype("int16"), np.dtype("int32"))

REQUIRED_META = {
    "format": str, "version": int, "model": str, "task": str, "source": str, "synthetic": bool,
    "inputs": int, "layers": int, "heads": int, "bits_q": int, "bits_k": int, "bits_v": int,
    "causal": bool, "empty_row": str, "threshold_granularity": str,
}


def head_name(b, l, h, part):
    return f"b{b}.l{l}.h{h}.{part}"


def _npy_bytes(arr):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def check_output_path(path, force):
    """Refuse an existing output unless force; refuse a directory or a missing parent folder."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise OutputExists(f"{path}: is a directory; expected a trace file name (.npz)")
    if os.path.lexists(path) and not force:
        raise OutputExists(f"{path}: already exists; pass --force to overwrite it")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise OutputExists(f"{path}: folder {parent} does not exist")


class TraceWriter:
    """Streams a trace to `path`.

    with TraceWriter(path, meta, layers=L, heads=H, inputs=B) as w:
        w.add_head(b, l, h, q_int, k_int, v_int, valid_q, valid_k)
        w.finish(threshold, scale_q, scale_k, scale_v)

    `meta` holds the FORMAT.md fields other than format, version, inputs, layers and heads (which the
    writer fills in). Every head of every input must be added before finish(). Leaving the block
    without finish(), or with an exception, deletes the temporary file and writes nothing.
    """

    def __init__(self, path, meta, *, inputs, layers, heads, force=False):
        self.path = os.fspath(path)
        check_output_path(self.path, force)
        self.meta = dict(meta)
        self.meta.update(format=FORMAT_NAME, version=FORMAT_VERSION, inputs=int(inputs),
                         layers=int(layers), heads=int(heads))
        self.meta.setdefault("synthetic", False)
        _check_meta(self.meta, self.path)
        self.B, self.L, self.H = int(inputs), int(layers), int(heads)
        if min(self.B, self.L, self.H) < 1:
            raise TraceFormatError(f"{self.path}: inputs, layers and heads must be >= 1, got "
                                   f"{self.B}, {self.L}, {self.H}")
        self.valid_q = np.zeros((self.B, self.L, self.H), np.int32)
        self.valid_k = np.zeros((self.B, self.L, self.H), np.int32)
        self.d = {}
        self._done = set()
        fd, self._tmp = tempfile.mkstemp(prefix=".lrpsim-trace-", suffix=".tmp",
                                         dir=os.path.dirname(os.path.abspath(self.path)))
        os.close(fd)
        self._zip = zipfile.ZipFile(self._tmp, "w", compression=zipfile.ZIP_DEFLATED)
        self._finished = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if not self._finished:
            self.abort()
        return False

    def _write(self, name, arr):
        info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, _npy_bytes(arr))

    def add_head(self, b, l, h, q, k, v, valid_q, valid_k):
        """Add the integer Q [n, d], K [m, d], V [m, dv] of input b, layer l, head h."""
        key = (int(b), int(l), int(h))
        if not (0 <= key[0] < self.B and 0 <= key[1] < self.L and 0 <= key[2] < self.H):
            raise TraceFormatError(f"{self.path}: head b{b}.l{l}.h{h} is outside inputs={self.B}, "
                                   f"layers={self.L}, heads={self.H}")
        if key in self._done:
            raise TraceFormatError(f"{self.path}: head b{b}.l{l}.h{h} added twice")
        name = head_name(*key, "")[:-1]
        arrs = {}
        for part, a, bits in (("q", q, self.meta["bits_q"]), ("k", k, self.meta["bits_k"]),
                              ("v", v, self.meta["bits_v"])):
            a = np.asarray(a)
            if a.ndim != 2 or 0 in a.shape:
                raise TraceFormatError(f"{self.path}: {name}.{part}: expected a non-empty 2-D array, "
                                       f"got shape {a.shape}")
            if not np.issubdtype(a.dtype, np.integer):
                raise TraceFormatError(f"{self.path}: {name}.{part}: expected integers, got {a.dtype}")
            m = qmax(bits) + 1
            if a.size and (a.min() < -m or a.max() > m - 1):
                raise TraceFormatError(f"{self.path}: {name}.{part}: values {a.min()}..{a.max()} do not "
                                       f"fit {bits} bits")
            arrs[part] = a.astype(int_dtype(bits))
        n, d = arrs["q"].shape
        m_, dk = arrs["k"].shape
        if dk != d:
            raise TraceFormatError(f"{self.path}: {name}: q has d={d} but k has d={dk}")
        if arrs["v"].shape[0] != m_:
            raise TraceFormatError(f"{self.path}: {name}: k has m={m_} rows but v has {arrs['v'].shape[0]}")
        if not (1 <= valid_q <= n and 1 <= valid_k <= m_):
            raise TraceFormatError(f"{self.path}: {name}: valid lengths {valid_q}, {valid_k} outside "
                                   f"[1, {n}] and [1, {m_}]")
        for part in ("q", "k", "v"):
            self._write(f"{name}.{part}", arrs[part])
        self.valid_q[key] = valid_q
        self.valid_k[key] = valid_k
        self.d[key] = d
        self._done.add(key)

    def finish(self, threshold, scale_q, scale_k, scale_v):
        """Write the per-(layer, head) arrays and meta, check completeness, and move the file into place."""
        L, H = self.L, self.H
        arrays = {}
        for name, a in (("threshold", threshold), ("scale_q", scale_q), ("scale_k", scale_k),
                        ("scale_v", scale_v)):
            a = np.asarray(a, dtype=np.float64)
            if a.shape != (L, H):
                raise TraceFormatError(f"{self.path}: {name}: expected shape ({L}, {H}), got {a.shape}")
            arrays[name] = a
        for name in ("scale_q", "scale_k", "scale_v"):
            a = arrays[name]
            if not (np.all(np.isfinite(a)) and np.all(a > 0)):
                raise TraceFormatError(f"{self.path}: {name}: expected finite scales > 0, got {a.tolist()}")
        th = arrays["threshold"]
        if np.any(np.isnan(th)) or np.any(th == np.inf):
            raise TraceFormatError(f"{self.path}: threshold: NaN or +inf in {th.tolist()}")
        missing = [(b, l, h) for b in range(self.B) for l in range(L) for h in range(H)
                   if (b, l, h) not in self._done]
        if missing:
            b, l, h = missing[0]
            raise TraceFormatError(f"{self.path}: {len(missing)} heads were never added, first "
                                   f"b{b}.l{l}.h{h}")
        self._write("meta", np.frombuffer(json.dumps(self.meta, sort_keys=True, allow_nan=False)
                                          .encode("utf-8"), dtype=np.uint8))
        for name in ("threshold", "scale_q", "scale_k", "scale_v"):
            self._write(name, arrays[name])
        self._write("valid_q", self.valid_q)
        self._write("valid_k", self.valid_k)
        self._zip.close()
        os.chmod(self._tmp, 0o644)
        os.replace(self._tmp, self.path)
        self._finished = True

    def abort(self):
        try:
            self._zip.close()
        except Exception:
            pass
        if os.path.exists(self._tmp):
            os.remove(self._tmp)


def _check_meta(meta, where):
    for field, typ in REQUIRED_META.items():
        if field not in meta:
            raise TraceFormatError(f"{where}: meta: missing field {field!r}")
        val = meta[field]
        ok = isinstance(val, typ) and not (typ is int and isinstance(val, bool))
        if not ok:
            raise TraceFormatError(f"{where}: meta.{field}: expected {typ.__name__}, got {val!r}")
    if meta["format"] != FORMAT_NAME:
        raise TraceFormatError(f"{where}: meta.format: expected {FORMAT_NAME!r}, got {meta['format']!r}")
    if meta["version"] != FORMAT_VERSION:
        raise TraceFormatError(f"{where}: meta.version: expected {FORMAT_VERSION}, got {meta['version']}")
    for f in ("bits_q", "bits_k", "bits_v"):
        if not 2 <= meta[f] <= 16:
            raise TraceFormatError(f"{where}: meta.{f}: expected 2..16, got {meta[f]}")
    if meta["empty_row"] not in EMPTY_ROW:
        raise TraceFormatError(f"{where}: meta.empty_row: expected one of {EMPTY_ROW}, got {meta['empty_row']!r}")
    if meta["threshold_granularity"] not in GRANULARITY:
        raise TraceFormatError(f"{where}: meta.threshold_granularity: expected one of {GRANULARITY}, "
                               f"got {meta['threshold_granularity']!r}")


def write_trace(path, meta, heads, threshold, scale_q, scale_k, scale_v, *, force=False):
    """Write a whole trace at once. `heads` maps (b, l, h) to (q, k, v, valid_q, valid_k)."""
    keys = sorted(heads)
    B = 1 + max(k[0] for k in keys)
    L, H = np.asarray(threshold).shape
    with TraceWriter(path, meta, inputs=B, layers=L, heads=H, force=force) as w:
        for key in keys:
            w.add_head(*key, *heads[key])
        w.finish(threshold, scale_q, scale_k, scale_v)


class Trace:
    """A trace read with numpy alone: meta, the per-(layer, head) arrays, and heads on demand."""

    def __init__(self, path):
        self.path = os.fspath(path)
        try:
            self._z = np.load(self.path, allow_pickle=False)
            names = set(self._z.files)
        except (OSError, ValueError, zipfile.BadZipFile) as e:
            raise TraceFormatError(f"{self.path}: not a readable .npz archive ({e})") from None
        self.names = names
        if "meta" not in names:
            raise TraceFormatError(f"{self.path}: missing member 'meta'")
        raw = self._z["meta"]
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise TraceFormatError(f"{self.path}: meta: expected a 1-D uint8 array, got {raw.dtype} {raw.shape}")
        try:
            self.meta = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise TraceFormatError(f"{self.path}: meta: not UTF-8 JSON ({e})") from None
        if not isinstance(self.meta, dict):
            raise TraceFormatError(f"{self.path}: meta: expected a JSON object")
        _check_meta(self.meta, self.path)
        self.B, self.L, self.H = self.meta["inputs"], self.meta["layers"], self.meta["heads"]

    def array(self, name, dtypes, ndim):
        if name not in self.names:
            raise TraceFormatError(f"{self.path}: missing member {name!r}")
        try:
            a = self._z[name]
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
            raise TraceFormatError(f"{self.path}: {name}: corrupt member ({e})") from None
        if a.dtype not in dtypes:
            raise TraceFormatError(f"{self.path}: {name}: expected dtype {'/'.join(map(str, dtypes))}, got {a.dtype}")
        if a.ndim != ndim:
            raise TraceFormatError(f"{self.path}: {name}: expected rank {ndim}, got shape {a.shape}")
        return a

    def head(self, b, l, h):
        """(q, k, v) integer arrays of input b, layer l, head h."""
        return tuple(self.array(head_name(b, l, h, p), _INT_DTYPES, 2) for p in ("q", "k", "v"))

    def close(self):
        self._z.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def validate_trace(path):
    """Check a trace file against every rule of FORMAT.md's Validation section; return the Trace.
    Raises TraceFormatError naming the file, the member and what was expected."""
    t = Trace(path)
    B, L, H, P = t.B, t.L, t.H, t.path
    if min(B, L, H) < 1:
        raise TraceFormatError(f"{P}: meta: inputs, layers and heads must be >= 1")
    f64 = (np.dtype("float64"),)
    per = {n: t.array(n, f64, 2) for n in ("threshold", "scale_q", "scale_k", "scale_v")}
    for n, a in per.items():
        if a.shape != (L, H):
            raise TraceFormatError(f"{P}: {n}: expected shape ({L}, {H}), got {a.shape}")
    for n in ("scale_q", "scale_k", "scale_v"):
        a = per[n]
        if not (np.all(np.isfinite(a)) and np.all(a > 0)):
            raise TraceFormatError(f"{P}: {n}: expected finite values > 0")
    th = per["threshold"]
    if np.any(np.isnan(th)) or np.any(th == np.inf):
        raise TraceFormatError(f"{P}: threshold: NaN or +inf")
    vq = t.array("valid_q", (np.dtype("int32"),), 3)
    vk = t.array("valid_k", (np.dtype("int32"),), 3)
    for n, a in (("valid_q", vq), ("valid_k", vk)):
        if a.shape != (B, L, H):
            raise TraceFormatError(f"{P}: {n}: expected shape ({B}, {L}, {H}), got {a.shape}")
    bits = {"q": t.meta["bits_q"], "k": t.meta["bits_k"], "v": t.meta["bits_v"]}
    for b in range(B):
        for l in range(L):
            for h in range(H):
                q, k, v = t.head(b, l, h)
                name = head_name(b, l, h, "")[:-1]
                for part, a in (("q", q), ("k", k), ("v", v)):
                    if 0 in a.shape:
                        raise TraceFormatError(f"{P}: {name}.{part}: empty head, shape {a.shape}")
                    m = qmax(bits[part]) + 1
                    lo, hi = int(a.min()), int(a.max())
                    if lo < -m or hi > m - 1:
                        raise TraceFormatError(f"{P}: {name}.{part}: values {lo}..{hi} do not fit "
                                               f"bits_{part}={bits[part]}")
                if q.shape[1] != k.shape[1]:
                    raise TraceFormatError(f"{P}: {name}: q has d={q.shape[1]} but k has d={k.shape[1]}")
                if k.shape[0] != v.shape[0]:
                    raise TraceFormatError(f"{P}: {name}: k has m={k.shape[0]} but v has m={v.shape[0]}")
                if not 1 <= vq[b, l, h] <= q.shape[0]:
                    raise TraceFormatError(f"{P}: valid_q[{b},{l},{h}]={vq[b, l, h]}: expected 1..{q.shape[0]}")
                if not 1 <= vk[b, l, h] <= k.shape[0]:
                    raise TraceFormatError(f"{P}: valid_k[{b},{l},{h}]={vk[b, l, h]}: expected 1..{k.shape[0]}")
    return t


def allowed_pairs(n, m, valid_q, valid_k, causal):
    """Boolean [n, m] mask of the (query, key) pairs that a head computes (FORMAT.md, meta.causal)."""
    i = np.arange(n)[:, None]
    j = np.arange(m)[None, :]
    ok = (i < valid_q) & (j < valid_k)
    if causal:
        ok &= j <= i + (valid_k - valid_q)
    return ok


def head_pruning(trace, b, l, h):
    """(kept pairs, allowed pairs) of one head under the trace's integer comparator. Used by tests and
    `python -m lrpsim_export info`; lrpsim computes the same numbers."""
    from .quantize import int_threshold
    q, k, _ = trace.head(b, l, h)
    vq = int(trace.array("valid_q", (np.dtype("int32"),), 3)[b, l, h])
    vk = int(trace.array("valid_k", (np.dtype("int32"),), 3)[b, l, h])
    f64 = (np.dtype("float64"),)
    T = int_threshold(trace.array("threshold", f64, 2)[l, h], q.shape[1],
                      trace.array("scale_q", f64, 2)[l, h], trace.array("scale_k", f64, 2)[l, h],
                      trace.meta["bits_q"], trace.meta["bits_k"])
    dots = q.astype(np.int64) @ k.astype(np.int64).T
    ok = allowed_pairs(q.shape[0], k.shape[0], vq, vk, trace.meta["causal"])
    return int(np.count_nonzero(ok & (dots >= T))), int(np.count_nonzero(ok))


def write_npz(path, arrays, *, force=False):
    """Write `arrays` (name -> numpy array, in the given order) as an .npz the way TraceWriter writes a
    trace: deflated members with fixed timestamps (the same arrays give the same bytes), into a
    temporary file beside `path` that is renamed into place only when complete. An existing `path` is
    refused unless force."""
    path = os.fspath(path)
    check_output_path(path, force)
    fd, tmp = tempfile.mkstemp(prefix=".lrpsim-npz-", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, arr in arrays.items():
                info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, _npy_bytes(np.asarray(arr)))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def file_sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
