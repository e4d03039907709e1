"""Symmetric fixed-point quantization and the real-to-integer threshold rule of traces/FORMAT.md.

A tensor x is stored as integers x_int = clamp(round(x / scale), -(2^(b-1) - 1), 2^(b-1) - 1) with
real value scale * x_int. The scale is max|x| / (2^(b-1) - 1) over a layer (per-layer scales) or over
one head of a layer (per-head scales), so the range is symmetric and -2^(b-1) is never used.

A real threshold th on the score s = q.k / sqrt(d) becomes the integer threshold T on q_int . k_int
exactly as FORMAT.md says (float64, in that order), and :func:`int_threshold` is the one
implementation that every part of the package uses.
"""

import math

import torch

from .errors import ThresholdRange

KEEP_ALL = -(1 << 62)
PRUNE_ALL = 1 << 62


def qmax(bits):
    """Largest integer of the symmetric range of a `bits`-wide two's-complement number."""
    if not isinstance(bits, int) or not 2 <= bits <= 16:
        raise ValueError(f"bit width {bits!r}: expected an integer in 2..16 (traces/FORMAT.md)")
    return (1 << (bits - 1)) - 1


def int_dtype(bits):
    """Smallest NumPy-compatible integer dtype name that holds `bits`-wide values."""
    qmax(bits)
    return "int8" if bits <= 8 else "int16"


def scales_from_absmax(absmax, bits):
    """Quantization step for each max-abs value: absmax / qmax, and 1.0 where absmax is 0 (an all-zero
    tensor quantizes to zeros under any positive scale, and FORMAT.md wants scales > 0)."""
    absmax = torch.as_tensor(absmax, dtype=torch.float64)
    s = absmax / qmax(bits)
    return torch.where(absmax > 0, s, torch.ones_like(s))


def quantize(x, scale, bits):
    """Integers (int64 tensor) of x under `scale` (broadcastable to x): round half to even, then clamp
    to the symmetric range."""
    m = qmax(bits)
    xi = torch.round(x.double() / torch.as_tensor(scale, dtype=torch.float64))
    return xi.clamp_(-m, m).to(torch.int64)


def dequantize(xi, scale):
    return xi.double() * torch.as_tensor(scale, dtype=torch.float64)


def fake_quantize(x, scale, bits):
    """x rounded to the grid (float64), as the accelerator sees it."""
    return dequantize(quantize(x, scale, bits), scale)


def max_dot(d, bits_q, bits_k):
    """Bound of |q_int . k_int| that FORMAT.md uses for clamping: d * 2^(bits_q-1) * 2^(bits_k-1)."""
    return float(d) * math.ldexp(1.0, bits_q - 1) * math.ldexp(1.0, bits_k - 1)


def int_threshold(th, d, scale_q, scale_k, bits_q, bits_k):
    """Integer threshold T (keep iff q_int . k_int >= T) of the real threshold th, evaluated in IEEE
    float64 in FORMAT.md's order: x = th * sqrt(d); x = x / (scale_q * scale_k); T = ceil(x), clamped
    to KEEP_ALL below the smallest and PRUNE_ALL above the largest possible dot product."""
    th = float(th)
    if math.isnan(th):
        raise ValueError("threshold is NaN")
    if th == -math.inf:
        return KEEP_ALL
    x = th * math.sqrt(float(d))
    x = x / (float(scale_q) * float(scale_k))
    m = max_dot(d, bits_q, bits_k)
    if x <= -m:
        return KEEP_ALL
    if x > m:
        return PRUNE_ALL
    return int(math.ceil(x))


def check_threshold_fits(th, d, scale_q, scale_k, bits_q, bits_k, where=""):
    """Raise ThresholdRange when a finite threshold lies outside the dot products that `bits_q` x
    `bits_k` integers can form, i.e. when the integer comparator would clamp it to keep-all or
    prune-all: the bit width cannot hold the threshold. -inf (prune nothing) always fits."""
    th = float(th)
    if th == -math.inf:
        return
    if math.isnan(th) or th == math.inf:
        raise ThresholdRange(f"{where}threshold {th}: expected a finite number or -inf")
    x = th * math.sqrt(float(d)) / (float(scale_q) * float(scale_k))
    m = max_dot(d, bits_q, bits_k)
    if not -m < x <= m:
        lim = m * float(scale_q) * float(scale_k) / math.sqrt(float(d))
        raise ThresholdRange(
            f"{where}threshold {th:.6g} is outside the scores that {bits_q}-bit q and {bits_k}-bit k "
            f"can represent with scales {float(scale_q):.6g} and {float(scale_k):.6g} "
            f"(|s| <= {lim:.6g}, integer |T| <= {int(m)}): it would "
            f"{'prune every score' if x > 0 else 'keep every score'}; use more bits, or -inf to prune nothing"
        )
