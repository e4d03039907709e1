import math
from fractions import Fraction

import pytest
import torch

from lrpsim_export.errors import ThresholdRange
from lrpsim_export.quantize import (KEEP_ALL, PRUNE_ALL, check_threshold_fits, int_threshold, max_dot,
                                    qmax, quantize, scales_from_absmax)


def test_symmetric_range_and_rounding():
    x = torch.tensor([-2.0, -1.0, -0.26, 0.0, 0.25, 0.74, 1.0, 3.0])
    xi = quantize(x, 0.5, 3)  # grid step 0.5, integers -3..3
    assert xi.tolist() == [-3, -2, -1, 0, 0, 1, 2, 3]
    assert qmax(8) == 127 and qmax(2) == 1 and qmax(16) == 32767
    with pytest.raises(ValueError):
        qmax(1)
    with pytest.raises(ValueError):
        qmax(17)


def test_scales_never_zero():
    s = scales_from_absmax(torch.tensor([0.0, 2.54], dtype=torch.float64), 8)
    assert s.tolist() == [1.0, 2.54 / 127]


def test_int_threshold_follows_format_md():
    # x = th * sqrt(d); x = x / (sq * sk); T = ceil(x)
    th, d, sq, sk = 0.7, 64, 0.013, 0.021
    x = th * math.sqrt(64.0)
    x = x / (sq * sk)
    assert int_threshold(th, d, sq, sk, 8, 8) == math.ceil(x)
    assert int_threshold(-math.inf, d, sq, sk, 8, 8) == KEEP_ALL
    m = max_dot(d, 8, 8)
    assert m == 64 * 128 * 128
    # clamping at the reachable range
    assert int_threshold(1e9, d, sq, sk, 8, 8) == PRUNE_ALL
    assert int_threshold(-1e9, d, sq, sk, 8, 8) == KEEP_ALL
    with pytest.raises(ValueError):
        int_threshold(float("nan"), d, sq, sk, 8, 8)


def test_integer_rule_matches_real_rule_away_from_ties():
    # keep iff q.k >= T must equal keep iff s >= th whenever s is not within rounding of th.
    g = torch.Generator().manual_seed(1)
    for _ in range(200):
        d = int(torch.randint(1, 65, (1,), generator=g))
        sq, sk = (float(torch.rand(1, generator=g)) * 0.1 + 1e-3 for _ in range(2))
        q = torch.randint(-127, 128, (d,), generator=g)
        k = torch.randint(-127, 128, (d,), generator=g)
        th = float(torch.randn(1, generator=g)) * 3
        T = int_threshold(th, d, sq, sk, 8, 8)
        dot = int((q * k).sum())
        s = Fraction(sq) * Fraction(sk) * dot / Fraction(math.sqrt(d))
        if abs(float(s) - th) > 1e-9:
            assert (dot >= T) == (s >= Fraction(th))


def test_threshold_that_the_bit_width_cannot_hold():
    check_threshold_fits(0.5, 16, 0.1, 0.1, 4, 4)
    check_threshold_fits(-math.inf, 16, 0.1, 0.1, 4, 4)
    # |s| <= 16 * 8 * 8 * 0.01 / 4 = 2.56 at 4 bits
    with pytest.raises(ThresholdRange, match="prune every score"):
        check_threshold_fits(3.0, 16, 0.1, 0.1, 4, 4)
    with pytest.raises(ThresholdRange, match="keep every score"):
        check_threshold_fits(-3.0, 16, 0.1, 0.1, 4, 4)
    with pytest.raises(ThresholdRange):
        check_threshold_fits(math.inf, 16, 0.1, 0.1, 4, 4)
