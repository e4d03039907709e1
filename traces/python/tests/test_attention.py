import math

import pytest
import torch

from lrpsim_export.attention import QuantSpec, Session, allowed_mask, dense_attention
from lrpsim_export.learn import Thresholds


def rand_qkv(B=2, H=3, n=7, m=7, d=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(B, H, n, d, generator=g), torch.randn(B, H, m, d, generator=g) * 2,
            torch.randn(B, H, m, 5, generator=g))


def reference(q, k, v, causal, valid_k=None):
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    n, m = s.shape[-2:]
    if causal:
        s = s.masked_fill(torch.ones(n, m, dtype=torch.bool).triu(1 + m - n), float("-inf"))
    if valid_k is not None:
        s = s.masked_fill(torch.arange(m).view(1, 1, 1, m) >= valid_k.view(-1, 1, 1, 1), float("-inf"))
    return torch.softmax(s, -1) @ v


@pytest.mark.parametrize("causal", [False, True])
def test_dense_matches_plain_softmax(causal):
    q, k, v = rand_qkv()
    out = Session("dense").attend(q, k, v, causal=causal)
    torch.testing.assert_close(out, reference(q, k, v, causal))


def test_causal_offset_with_valid_lengths():
    # FORMAT.md: query i sees key j <= i + (valid_k - valid_q)
    ok = allowed_mask(3, 5, torch.tensor([3]), torch.tensor([5]), True)[0, 0]
    assert ok.tolist() == [[True, True, True, False, False], [True] * 4 + [False], [True] * 5]
    ok = allowed_mask(4, 4, torch.tensor([2]), torch.tensor([3]), False)[0, 0]
    assert ok.sum() == 6 and not ok[2:].any() and not ok[:, 3].any()


def test_padding_keys_are_ignored():
    q, k, v = rand_qkv()
    vk = torch.tensor([7, 4])
    out = Session("dense").attend(q, k, v, causal=False, valid_k=vk)
    torch.testing.assert_close(out, reference(q, k, v, False, vk))


def test_soft_mask_tends_to_hard_threshold():
    q, k, v = rand_qkv(n=9, m=9)
    s = q @ k.transpose(-1, -2) / math.sqrt(8)
    # a threshold in the widest gap between the middle scores, so that no score sits on it
    vals = s.flatten().sort().values
    mid = vals[len(vals) // 4: 3 * len(vals) // 4]
    i = int((mid[1:] - mid[:-1]).argmax())
    t = float(mid[i] + mid[i + 1]) / 2
    assert float((s - t).abs().min()) > 0.01
    th = Thresholds.constant(1, 3, t)
    keep = s >= t
    keep = keep | (~keep.any(-1, keepdim=True) & (s == s.max(-1, keepdim=True).values))  # keep_max
    hard = torch.softmax(s.masked_fill(~keep, float("-inf")), -1) @ v
    errs = []
    for T in (1.0, 0.1, 0.01, 0.001):
        out = Session("soft", thresholds=th, temperature=T).attend(q, k, v, causal=False, layer=0)
        errs.append(float((out - hard).abs().max()))
    assert errs[-1] < 1e-3 and errs == sorted(errs, reverse=True)


def test_soft_regularizer_has_gradient_towards_pruning():
    q, k, v = rand_qkv()
    th = Thresholds.constant(1, 3, 0.0)
    s = Session("soft", thresholds=th, temperature=0.5)
    s.attend(q, k, v, causal=True, layer=0)
    frac = s.soft_keep_fraction()
    assert 0 < float(frac) < 1
    frac.backward()
    assert float(th.value.grad[0, 0]) < 0  # raising the threshold lowers the kept fraction


def qspec(bits, L=1, H=3, s=(0.02, 0.05, 0.02)):
    return QuantSpec(bits, bits, bits, torch.full((L, H), s[0], dtype=torch.float64),
                     torch.full((L, H), s[1], dtype=torch.float64), torch.full((L, H), s[2], dtype=torch.float64))


def test_hard_keep_all_at_16_bits_is_dense():
    q, k, v = rand_qkv()
    spec = QuantSpec(16, 16, 16, *(torch.full((1, 3), x / 32767, dtype=torch.float64) for x in (5.0, 10.0, 5.0)))
    s = Session("hard", quant=spec)
    out = s.attend(q, k, v, causal=True, layer=0)
    torch.testing.assert_close(out, reference(q, k, v, True), atol=1e-3, rtol=1e-3)
    assert s.pruning_rate() == 0.0


def test_hard_prunes_on_the_integers():
    q, k, v = rand_qkv(B=1)
    th = Thresholds.constant(1, 3, 0.5)
    spec = qspec(8)
    s = Session("hard", thresholds=th, quant=spec, record=True)
    s.begin_forward()
    s.attend(q, k, v, causal=False, layer=0)
    r = s.records[0][0]
    from lrpsim_export.quantize import int_threshold
    T = int_threshold(0.5, 8, 0.02, 0.05, 8, 8)
    assert r.T == [T] * 3
    dots = r.q.double() @ r.k.double().transpose(-1, -2)
    assert r.kept[0].tolist() == (dots >= T).sum(dim=(2, 3))[0].tolist()
    assert 0 < s.pruning_rate() < 1


@pytest.mark.parametrize("empty_row", ["keep_max", "zero"])
def test_empty_rows(empty_row):
    q, k, v = rand_qkv(B=1, H=1, n=4, m=4)
    th = Thresholds.constant(1, 1, 1e3)  # prunes every pair
    spec = QuantSpec(16, 16, 16, *(torch.full((1, 1), 1e-3, dtype=torch.float64),) * 3)
    out = Session("hard", thresholds=th, quant=spec, empty_row=empty_row).attend(q, k, v, causal=False, layer=0)
    if empty_row == "zero":
        assert float(out.abs().max()) == 0.0
    else:
        best = (q @ k.transpose(-1, -2)).argmax(-1)[0, 0]
        torch.testing.assert_close(out[0, 0], v[0, 0, best], atol=2e-3, rtol=0)
