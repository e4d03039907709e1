"""Capture hooks: for every supported attention layer, the attention output recomputed from the
captured Q, K and V matches the output the model computed itself."""

import math

import pytest
import torch
import torch.nn as nn

from lrpsim_export.attention import QuantSpec, Session, dense_attention, allowed_mask, merge_heads
from lrpsim_export.capture import attached, capture, find_attention
from lrpsim_export.errors import ExportError, NoAttentionFound, NonFiniteWeights


def recompute(r):
    ok = allowed_mask(r.q.shape[2], r.k.shape[2], r.valid_q, r.valid_k, r.causal)
    return dense_attention(r.q, r.k, r.v, ok)


def check_records(records, layers, atol=1e-5):
    assert len(records) == 1 and len(records[0]) == layers
    for r in records[0]:
        ctx = merge_heads(recompute(r))
        valid = torch.arange(ctx.shape[1]).view(1, -1) < r.valid_q.view(-1, 1)
        torch.testing.assert_close(ctx[valid], r.model_ctx[valid], atol=atol, rtol=1e-4)


# -- torch.nn.MultiheadAttention ------------------------------------------------------------------

class MHAModel(nn.Module):
    def __init__(self, batch_first, kdim=None):
        super().__init__()
        self.a = nn.MultiheadAttention(24, 4, batch_first=batch_first, kdim=kdim, vdim=kdim)
        self.b = nn.MultiheadAttention(24, 4, batch_first=batch_first)

    def forward(self, x, kpm=None, mask=None, mem=None):
        src = x if mem is None else mem
        y = self.a(x, src, src, key_padding_mask=kpm if mem is None else None, attn_mask=mask if mem is None else None)[0]
        return self.b(y, y, y, key_padding_mask=kpm, attn_mask=mask)[0]


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("variant", ["plain", "padding", "causal", "cross-kdim"])
def test_multihead_attention(batch_first, variant):
    torch.manual_seed(0)
    model = MHAModel(batch_first, kdim=16 if variant == "cross-kdim" else None).eval()
    B, n = 3, 6
    x = torch.randn(B, n, 24) if batch_first else torch.randn(n, B, 24)
    kpm = mask = mem = None
    if variant == "padding":
        kpm = torch.arange(n).view(1, -1) >= torch.tensor([6, 4, 2]).view(-1, 1)
    if variant == "causal":
        mask = torch.ones(n, n, dtype=torch.bool).triu(1)
    if variant == "cross-kdim":
        model.a = nn.MultiheadAttention(24, 4, batch_first=batch_first, kdim=16, vdim=16).eval()
        mem = torch.randn(B, 5, 16) if batch_first else torch.randn(5, B, 16)
        model.b = nn.MultiheadAttention(24, 4, batch_first=batch_first).eval()
    with torch.no_grad():
        want = model(x, kpm, mask, mem)
        with capture(model) as cap:
            got = model(x, kpm, mask, mem)
    torch.testing.assert_close(got, want)
    recs = cap.records[0]
    assert [r.q.shape[1] for r in recs] == [4, 4]
    assert recs[1].causal == (variant == "causal")
    for r, mod in zip(recs, (model.a, model.b)):
        out = nn.functional.linear(merge_heads(recompute(r)), mod.out_proj.weight, mod.out_proj.bias)
        ref = r.model_out if batch_first else r.model_out.transpose(0, 1)
        valid = torch.arange(n).view(1, -1) < r.valid_q.view(-1, 1)
        torch.testing.assert_close(out[valid], ref[valid], atol=1e-5, rtol=1e-4)
    if variant == "padding":
        assert recs[1].valid_k.tolist() == [6, 4, 2]
    # the replacement path (hard mode, 16 bits, keep all) reproduces the model
    spec = QuantSpec(16, 16, 16, *(torch.full((2, 4), 8.0 / 32767, dtype=torch.float64),) * 3)
    with torch.no_grad(), attached(model, Session("hard", quant=spec)):
        hard = model(x, kpm, mask, mem)
    if variant != "padding":
        torch.testing.assert_close(hard, want, atol=2e-3, rtol=1e-2)


def test_mha_unsupported_mask():
    mod = nn.MultiheadAttention(8, 2).eval()
    x = torch.randn(4, 1, 8)
    with attached(mod, Session("dense")):
        with pytest.raises(ExportError, match="attn_mask"):
            mod(x, x, x, attn_mask=torch.rand(4, 4))


# -- bad input ------------------------------------------------------------------------------------

def test_no_attention_found():
    with pytest.raises(NoAttentionFound, match="no attention layer found"):
        with capture(nn.Sequential(nn.Linear(4, 4), nn.ReLU())):
            pass


def test_nan_weights():
    mod = nn.MultiheadAttention(8, 2)
    with torch.no_grad():
        mod.in_proj_weight[3, 1] = float("nan")
    with pytest.raises(NonFiniteWeights, match="in_proj_weight.*NaN"):
        with capture(mod):
            pass


# -- built-in models -------------------------------------------------------------------------------

def test_builtin_llama_capture(stories):
    toks = torch.tensor([[1, 403, 407, 261, 378, 285, 280, 300]])
    with torch.no_grad():
        want = stories(toks)
        with capture(stories) as cap:
            got = stories(toks)
    torch.testing.assert_close(got, want)
    recs = cap.records[0]
    assert len(recs) == 5 and all(r.causal for r in recs)
    r = recs[0]
    assert tuple(r.q.shape) == (1, 8, 8, 8) and tuple(r.k.shape) == (1, 8, 8, 8)
    # grouped-query attention: query heads 2h and 2h+1 share K and V
    torch.testing.assert_close(r.k[:, 0], r.k[:, 1])
    torch.testing.assert_close(r.v[:, 6], r.v[:, 7])
    # rotary embedding is applied: position 0 is unrotated, so q0 equals the plain projection there
    h = stories._rmsnorm(stories.tok[toks[0]], stories.rms_att[0])
    q_plain = (h @ stories.wq[0].T).view(8, 8, 8).transpose(0, 1)
    torch.testing.assert_close(r.q[0, :, 0], q_plain[:, 0])
    assert not torch.allclose(r.q[0, :, 3], q_plain[:, 3])


def test_builtin_use_capture(use_lite):
    with torch.no_grad():
        ids, lengths = use_lite.tokenize(["Mary moved to the bathroom.", "John went to the hallway, then to the garden."])
        want = use_lite(ids, lengths)
        with capture(use_lite) as cap:
            got = use_lite(ids, lengths)
    torch.testing.assert_close(got, want)
    recs = cap.records[0]
    assert [r.q.shape[-1] for r in recs] == [64, 128] and [r.q.shape[1] for r in recs] == [4, 4]
    assert recs[0].valid_k.tolist() == lengths.tolist()
