"""Which CPU kernels this process computes with, and a fingerprint of their float results.

torch picks its vectorized kernels by CPU (ATEN_CPU_CAPABILITY forces one: default, avx2, avx512)
and OpenBLAS its matrix kernels (OPENBLAS_CORETYPE forces one: Prescott, Haswell, SkylakeX, Zen,
...), so float results differ in their last digits between CPU types (traces/python/REPRODUCIBILITY.md).
ci/python-tests.sh runs the closed-loop and regeneration checks a second time with other kernels
forced, and uses

    python -m lrpsim_export.kernels                 one line: capability, OpenBLAS core, digest
    python -m lrpsim_export.kernels --differs LINE  exit 1 if this process's digest equals LINE's

to make sure that the second run really computed with other kernels (else it proves nothing).
"""

import ctypes
import ctypes.util
import hashlib
import sys

import torch


def capability():
    """torch's CPU capability ("AVX2", "AVX512", "NO AVX", ...), as torch.__config__.show() says."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def blas_core():
    """OpenBLAS's core type (openblas_get_corename), or "unknown" where the BLAS is not OpenBLAS."""
    for name in ("libblas.so.3", "libopenblas.so.0", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            f = ctypes.CDLL(name).openblas_get_corename
        except (OSError, AttributeError):
            continue
        f.restype = ctypes.c_char_p
        return f().decode()
    return "unknown"


def digest():
    """sha256 (16 hex digits) of float32 results of the operations a forward pass uses: a matrix
    product (BLAS), softmax, exp, tanh, GELU, layer norm and sums (torch's vectorized kernels)."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(64, 384, generator=g)
    b = torch.randn(384, 384, generator=g)
    x = torch.randn(4096, generator=g)
    outs = (a @ b, torch.softmax(a, -1), torch.exp(x), torch.tanh(x), torch.nn.functional.gelu(x),
            torch.nn.functional.layer_norm(a, (384,)), x.sum(), a.sum(-1))
    h = hashlib.sha256()
    for o in outs:
        h.update(o.contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def describe():
    return f"torch capability {capability()}, OpenBLAS core {blas_core()}, float digest {digest()}"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    line = describe()
    print(line)
    if argv[:1] == ["--differs"]:
        if len(argv) != 2:
            print("usage: python -m lrpsim_export.kernels [--differs LINE]", file=sys.stderr)
            return 2
        if argv[1].rsplit(" ", 1)[-1] == line.rsplit(" ", 1)[-1]:
            print(f"lrpsim_export.kernels: the same float results as {argv[1]!r}: the forced kernels "
                  "(ATEN_CPU_CAPABILITY, OPENBLAS_CORETYPE) changed nothing, so a second run proves nothing",
                  file=sys.stderr)
            return 1
    elif argv:
        print("usage: python -m lrpsim_export.kernels [--differs LINE]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
