"""Hooks that route a model's attention through a :class:`~lrpsim_export.attention.Session`.

Supported attention layers, found by structure rather than by class name so that they keep working
across transformers versions:

- separate `query`, `key`, `value` projections with an output projection that receives the merged
  context: BERT and ViT (`*SelfAttention`, whose sibling `output.dense` is the output projection) and
  ALBERT (`AlbertAttention`, with its own `dense`; ALBERT shares one layer over depth, and each
  application counts as a layer);
- a fused `c_attn` projection and `c_proj`: GPT-2 (`GPT2Attention`, causal);
- `torch.nn.MultiheadAttention` (its forward is wrapped);
- the built-in models of :mod:`lrpsim_export.models`, which call the session themselves.

Q and K are recorded as the score sees them: after projection, head split and rotary embedding, and
scaled so that s = q.k / sqrt(d) is the model's own pre-softmax score. In "dense" mode the model
computes its own attention untouched and the hooks only record; in "soft" and "hard" mode the hooks
replace the context that reaches the output projection with the session's.
"""

import contextlib
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attention import Session, merge_heads, split_heads
from .errors import ExportError, NoAttentionFound, NonFiniteWeights

SUPPORTED = ("BERT / ViT style self-attention (query, key, value + output.dense)",
             "ALBERT attention (query, key, value, dense)", "GPT-2 attention (c_attn, c_proj)",
             "torch.nn.MultiheadAttention", "the built-in models (USE Lite, llama2.c)")


def check_finite(model, what="model"):
    """Raise NonFiniteWeights naming the first parameter or buffer that holds NaN or infinity."""
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            bad = int((~torch.isfinite(t)).sum())
            kind = "NaN" if bool(torch.isnan(t).any()) else "infinity"
            raise NonFiniteWeights(f"{what}: weight {name!r} holds {kind} ({bad} of {t.numel()} values)")


def _heads_of(mod, model, *names):
    for n in names:
        h = getattr(mod, n, None)
        if isinstance(h, int) and h > 0:
            return h
    cfg = getattr(model, "config", None)
    for n in ("num_attention_heads", "n_head", "num_heads"):
        h = getattr(cfg, n, None)
        if isinstance(h, int) and h > 0:
            return h
    raise ExportError(f"{type(mod).__name__}: cannot tell its number of heads")


def find_attention(model):
    """[(name, kind, module, extra)] of the attention layers the hooks know, in module order."""
    if getattr(model, "lrp_builtin", False):
        return [("", "builtin", model, None)]
    found = []
    parents = {}
    for mod in model.modules():
        for child in mod.children():
            parents[id(child)] = mod
    for name, mod in model.named_modules():
        if isinstance(mod, nn.MultiheadAttention):
            found.append((name, "mha", mod, None))
        elif all(isinstance(getattr(mod, a, None), nn.Linear) for a in ("query", "key", "value")):
            if "crossattention" in name:
                raise ExportError(f"{name}: cross-attention is not supported (trace v1 holds self-attention)")
            pet = getattr(mod, "position_embedding_type", "absolute")
            if pet not in (None, "absolute"):
                raise ExportError(f"{name}: position_embedding_type={pet!r} adds terms to the score "
                                  "that a trace cannot hold; only 'absolute' is supported")
            out = getattr(mod, "dense", None)
            if not isinstance(out, nn.Linear):
                parent = parents.get(id(mod))
                o = getattr(parent, "output", None) if parent is not None else None
                out = getattr(o, "dense", None)
            if not isinstance(out, nn.Linear):
                raise ExportError(f"{name}: found query/key/value but no output projection (dense)")
            found.append((name, "qkv", mod, out))
        elif hasattr(mod, "c_attn") and hasattr(mod, "c_proj") and not getattr(mod, "is_cross_attention", False):
            found.append((name, "gpt2", mod, None))
    return found


class Attached:
    """Handle of a model attached to a session; detach() removes every hook."""

    def __init__(self, model, session):
        self.model, self.session = model, session
        self._handles = []
        self._restore = []

    def detach(self):
        for h in self._handles:
            h.remove()
        for f in self._restore:
            f()
        self._handles, self._restore = [], []


def attach(model, session, *, check_weights=True):
    """Route the attention of `model` through `session` until the returned handle is detached."""
    if check_weights:
        check_finite(model, type(model).__name__)
    layers = find_attention(model)
    if not layers:
        raise NoAttentionFound(f"{type(model).__name__}: no attention layer found; supported are: "
                               + "; ".join(SUPPORTED))
    att = Attached(model, session)
    att._handles.append(model.register_forward_pre_hook(lambda mod, inp: session.begin_forward()))
    for name, kind, mod, extra in layers:
        if kind == "builtin":
            mod.lrp_session = session
            att._restore.append(lambda m=mod: setattr(m, "lrp_session", None))
        elif kind == "mha":
            _attach_mha(att, name, mod, session)
        elif kind == "qkv":
            _attach_qkv(att, model, name, mod, extra, session)
        else:
            _attach_gpt2(att, model, name, mod, session)
    return att


@contextlib.contextmanager
def attached(model, session, **kw):
    att = attach(model, session, **kw)
    try:
        yield session
    finally:
        att.detach()


@contextlib.contextmanager
def capture(model, *, valid_lengths=None):
    """Record Q, K and V of every attention layer while the model runs as usual:

        with capture(model) as cap:
            model(inputs)
        cap.records[0][layer].q   # [B, H, n, d]
    """
    with attached(model, Session("dense", record=True, valid_lengths=valid_lengths)) as s:
        yield s


def _replace(session):
    return session.mode != "dense"


def _attach_qkv(att, model, name, mod, out_proj, session):
    heads = _heads_of(mod, model, "num_attention_heads", "num_heads")
    causal = bool(getattr(getattr(model, "config", None), "is_decoder", False))
    st = {}

    def save(part):
        def hook(m, inp, out):
            st[part] = out
        return hook

    for part in ("query", "key", "value"):
        att._handles.append(getattr(mod, part).register_forward_hook(save(part)))

    def pre(m, inp):
        if not all(p in st for p in ("query", "key", "value")):
            return None
        q, k, v = (split_heads(st.pop(p), heads) for p in ("query", "key", "value"))
        ctx = session.attend(q, k, v, causal=causal)
        if session.record:
            session.records[-1][-1].model_ctx = inp[0].detach()
        if _replace(session):
            return (merge_heads(ctx).to(inp[0].dtype),) + tuple(inp[1:])
        return None

    att._handles.append(out_proj.register_forward_pre_hook(pre))


def _attach_gpt2(att, model, name, mod, session):
    heads = _heads_of(mod, model, "num_heads", "n_head")
    st = {}

    def after_c_attn(m, inp, out):
        st["qkv"] = out

    def pre(m, inp):
        if "qkv" not in st:
            return None
        qkv = st.pop("qkv")
        D = qkv.shape[-1] // 3
        q, k, v = (split_heads(x, heads) for x in qkv.split(D, dim=-1))
        d = q.shape[-1]
        scale = 1.0 / math.sqrt(v.shape[-1]) if getattr(mod, "scale_attn_weights", True) else 1.0
        if getattr(mod, "scale_attn_by_inverse_layer_idx", False):
            scale /= float(getattr(mod, "layer_idx", 0) + 1)
        factor = scale * math.sqrt(d)
        if factor != 1.0:
            q = q * factor
        ctx = session.attend(q, k, v, causal=True)
        if session.record:
            session.records[-1][-1].model_ctx = inp[0].detach()
        if _replace(session):
            return (merge_heads(ctx).to(inp[0].dtype),) + tuple(inp[1:])
        return None

    att._handles.append(mod.c_attn.register_forward_hook(after_c_attn))
    att._handles.append(mod.c_proj.register_forward_pre_hook(pre))


def _valid_from_padding_mask(mask, name):
    """Valid lengths [B] of a right-padded key_padding_mask (True or -inf = padding)."""
    pad = mask if mask.dtype == torch.bool else torch.isneginf(mask)
    valid = (~pad).sum(dim=1)
    expect = torch.arange(pad.shape[1], device=pad.device).view(1, -1) >= valid.view(-1, 1)
    if not torch.equal(expect, pad):
        raise ExportError(f"{name}: key_padding_mask must mark a padded tail (right padding); "
                          "other masks cannot be stored in a trace")
    return valid


def _is_causal_mask(mask, n, m):
    if mask is None or mask.dim() != 2 or tuple(mask.shape) != (n, m):
        return False
    blocked = mask if mask.dtype == torch.bool else torch.isneginf(mask)
    if mask.dtype != torch.bool and bool(((mask != 0) & ~blocked).any()):
        return False
    return torch.equal(blocked, torch.ones(n, m, dtype=torch.bool, device=mask.device).triu(1 + m - n))


def _attach_mha(att, name, mod, session):
    orig = mod.forward

    def forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        if mod.bias_k is not None or mod.add_zero_attn:
            raise ExportError(f"{name}: add_bias_kv and add_zero_attn are not supported")
        unbatched = query.dim() == 2
        qi, ki, vi = query, key, value
        if unbatched:
            qi, ki, vi = (x.unsqueeze(1) for x in (qi, ki, vi))
        if mod.batch_first and not unbatched:
            qi, ki, vi = (x.transpose(0, 1) for x in (qi, ki, vi))
        # now [L, B, E]
        qi, ki, vi = (x.transpose(0, 1) for x in (qi, ki, vi))  # [B, L, E]
        E = mod.embed_dim
        if mod._qkv_same_embed_dim:
            wq, wk, wv = mod.in_proj_weight.split(E, dim=0)
        else:
            wq, wk, wv = mod.q_proj_weight, mod.k_proj_weight, mod.v_proj_weight
        bq = bk = bv = None
        if mod.in_proj_bias is not None:
            bq, bk, bv = mod.in_proj_bias.split(E, dim=0)
        H = mod.num_heads
        q = split_heads(F.linear(qi, wq, bq), H)
        k = split_heads(F.linear(ki, wk, bk), H)
        v = split_heads(F.linear(vi, wv, bv), H)
        n, m = q.shape[2], k.shape[2]
        valid_k = None
        if key_padding_mask is not None:
            kpm = key_padding_mask.unsqueeze(0) if unbatched else key_padding_mask
            valid_k = _valid_from_padding_mask(kpm, name)
        causal = bool(is_causal)
        if attn_mask is not None and not causal:
            if not _is_causal_mask(attn_mask, n, m):
                raise ExportError(f"{name}: attn_mask other than the causal mask cannot be stored in a trace")
            causal = True
        ctx = session.attend(q, k, v, causal=causal, valid_q=torch.full_like(valid_k, n) if valid_k is not None
                             else None, valid_k=valid_k)
        if not _replace(session):
            res = orig(query, key, value, key_padding_mask=key_padding_mask, need_weights=need_weights,
                       attn_mask=attn_mask, average_attn_weights=average_attn_weights)
            if session.record:
                session.records[-1][-1].model_out = res[0].detach()
            return res
        out = F.linear(merge_heads(ctx), mod.out_proj.weight, mod.out_proj.bias)  # [B, n, E]
        if unbatched:
            out = out.squeeze(0)
        elif not mod.batch_first:
            out = out.transpose(0, 1)
        return out, None

    mod.forward = forward
    att._restore.append(lambda: mod.__dict__.pop("forward", None))
