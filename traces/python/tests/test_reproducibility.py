"""The cross-machine helpers: lrpsim_export.kernels (which kernels ran, so that CI's second run with
forced kernels can prove it used others) and the relative differences closed_loop's checks use."""

import numpy as np

from lrpsim_export import kernels, tolerances
from lrpsim_export.closed_loop import rel_diff, rel_diff_array


def test_kernels_line_and_differs(capsys):
    line = kernels.describe()
    assert line.startswith("torch capability ") and " OpenBLAS core " in line and " float digest " in line
    assert kernels.describe() == line  # the same kernels give the same digest
    assert kernels.main(["--differs", "torch capability X, OpenBLAS core Y, float digest 0000000000000000"]) == 0
    capsys.readouterr()
    assert kernels.main(["--differs", line]) == 1
    assert "changed nothing" in capsys.readouterr().err
    assert kernels.main(["--bogus"]) == 2


def test_rel_diff():
    assert rel_diff(1.0, 1.0) == 0 and rel_diff(1.0, None) == float("inf") and rel_diff(0.5, 0.0) == float("inf")
    assert abs(rel_diff(0.99979870, 0.99979831) - 3.9e-7) < 1e-8 <= tolerances.QUANTIZED_METRIC_REL
    # a scale off by a kernel's rounding passes SCALE_REL, one off by a percent does not
    s = np.array([[0.01, 0.02], [0.03, 0.04]])
    assert rel_diff_array(s * (1 + 2e-7), s) <= tolerances.SCALE_REL < rel_diff_array(s * 1.01, s)
    assert rel_diff_array(s, s) == 0 and rel_diff_array(s[:1], s) == float("inf")


def test_int_max_diff():
    """The per-integer bound grows with the bit width (one LSB is a smaller share of the range)."""
    assert [tolerances.int_max_diff(b) for b in (2, 8, 12, 16)] == [1, 1, 8, 131]
