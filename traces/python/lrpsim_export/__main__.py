import os
import sys


def _threads(argv):
    """--threads N (default 1), read before torch and numpy load their BLAS: OpenBLAS and OpenMP
    take their thread counts from the environment when the library loads, and a different thread
    count can change the floating-point results, so runs are reproducible only with a fixed one."""
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


n = _threads(sys.argv[1:])
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = n

from .cli import main  # noqa: E402

sys.exit(main())
