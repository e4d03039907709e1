"""llama2.c checkpoints (legacy "v0" format, e.g. stories260K.bin) in PyTorch.

File layout: 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
seq_len; a negative vocab_size means the classifier is stored separately), then float32 arrays:
token embedding [vocab, dim], rms_att [L, dim], wq [L, dim, dim], wk [L, kv_dim, dim],
wv [L, kv_dim, dim], wo [L, dim, dim], rms_ffn [L, dim], w1 [L, hidden, dim], w2 [L, dim, hidden],
w3 [L, hidden, dim], rms_final [dim], freq_cis_real and freq_cis_imag [seq_len, head_size / 2]
(unused: the rotary angles are recomputed), and the classifier [vocab, dim] only if not shared.

The forward pass is llama2.c's: RMSNorm (eps 1e-5), rotary embedding with theta 10000 on the pairs
(2i, 2i+1) of each head, causal grouped-query attention, SwiGLU feed-forward. Each query head sees
its own copy of the K and V of its group, which is how the trace stores grouped-query heads.
"""

import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..attention import Session, merge_heads
from ..capture import check_finite
from ..errors import ModelFileError

BOS = 1


class Llama2c(nn.Module):
    lrp_builtin = True
    causal = True

    def __init__(self, cfg, tensors, name="llama2c"):
        super().__init__()
        self.cfg = cfg
        self.name = name
        p = lambda a: nn.Parameter(torch.from_numpy(np.ascontiguousarray(a)).float())
        self.tok = p(tensors["tok"])
        self.rms_att = p(tensors["rms_att"])
        self.wq, self.wk, self.wv, self.wo = (p(tensors[n]) for n in ("wq", "wk", "wv", "wo"))
        self.rms_ffn = p(tensors["rms_ffn"])
        self.w1, self.w2, self.w3 = (p(tensors[n]) for n in ("w1", "w2", "w3"))
        self.rms_final = p(tensors["rms_final"])
        self.wcls = p(tensors["wcls"]) if "wcls" in tensors else None
        self.num_layers = cfg["n_layers"]
        self.num_heads = cfg["n_heads"]
        self.lrp_session = None
        hs = cfg["dim"] // cfg["n_heads"]
        freqs = 1.0 / torch.pow(torch.tensor(10000.0), torch.arange(0, hs, 2, dtype=torch.float32) / hs)
        self.register_buffer("freqs", freqs, persistent=False)

    @classmethod
    def load(cls, path):
        path = os.fspath(path)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise ModelFileError(f"{path}: not found") from None
        if len(raw) < 28:
            raise ModelFileError(f"{path}: {len(raw)} bytes, too short for the 28-byte llama2.c header")
        dim, hidden, L, H, KV, vocab, seq_len = struct.unpack("<7i", raw[:28])
        shared = vocab > 0
        vocab = abs(vocab)
        if min(dim, hidden, L, H, KV, vocab, seq_len) <= 0 or dim % H or H % KV:
            raise ModelFileError(f"{path}: implausible llama2.c header {dim, hidden, L, H, KV, vocab, seq_len}")
        hs = dim // H
        kv_dim = dim * KV // H
        shapes = [("tok", (vocab, dim)), ("rms_att", (L, dim)), ("wq", (L, dim, dim)),
                  ("wk", (L, kv_dim, dim)), ("wv", (L, kv_dim, dim)), ("wo", (L, dim, dim)),
                  ("rms_ffn", (L, dim)), ("w1", (L, hidden, dim)), ("w2", (L, dim, hidden)),
                  ("w3", (L, hidden, dim)), ("rms_final", (dim,)),
                  ("freq_cis_real", (seq_len, hs // 2)), ("freq_cis_imag", (seq_len, hs // 2))]
        if not shared:
            shapes.append(("wcls", (vocab, dim)))
        need = 28 + 4 * sum(int(np.prod(s)) for _, s in shapes)
        if len(raw) != need:
            raise ModelFileError(f"{path}: {len(raw)} bytes, but its header (dim {dim}, hidden {hidden}, "
                                 f"layers {L}, heads {H}, kv heads {KV}, vocab {vocab}, seq_len {seq_len}) "
                                 f"needs {need}")
        t, off = {}, 28
        for name, s in shapes:
            n = int(np.prod(s))
            t[name] = np.frombuffer(raw, "<f4", n, off).reshape(s).copy()
            off += 4 * n
        cfg = dict(dim=dim, hidden_dim=hidden, n_layers=L, n_heads=H, n_kv_heads=KV, vocab_size=vocab,
                   seq_len=seq_len, shared_classifier=shared)
        m = cls(cfg, t, name=os.path.splitext(os.path.basename(path))[0])
        m.source = path
        check_finite(m, path)
        return m.eval()

    def _rope(self, x, pos):
        # x [B, H, T, hs]; rotate pairs (2i, 2i+1) by pos * freqs[i]
        ang = pos[:, None].float() * self.freqs[None, :]
        c, s = torch.cos(ang), torch.sin(ang)
        x0, x1 = x[..., 0::2], x[..., 1::2]
        return torch.stack([x0 * c - x1 * s, x0 * s + x1 * c], dim=-1).flatten(-2)

    @staticmethod
    def _rmsnorm(x, w):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-5) * w

    def forward(self, tokens):
        """Logits [B, T, vocab] of every position of tokens [B, T]."""
        session = self.lrp_session or Session("dense")
        cfg = self.cfg
        B, T = tokens.shape
        if T > cfg["seq_len"]:
            raise ValueError(f"{T} tokens: the model handles at most seq_len={cfg['seq_len']}")
        H, KV = cfg["n_heads"], cfg["n_kv_heads"]
        hs = cfg["dim"] // H
        pos = torch.arange(T)
        x = F.embedding(tokens, self.tok)
        for l in range(self.num_layers):
            h = self._rmsnorm(x, self.rms_att[l])
            q = (h @ self.wq[l].T).view(B, T, H, hs).transpose(1, 2)
            k = (h @ self.wk[l].T).view(B, T, KV, hs).transpose(1, 2)
            v = (h @ self.wv[l].T).view(B, T, KV, hs).transpose(1, 2)
            q, k = self._rope(q, pos), self._rope(k, pos)
            k = k.repeat_interleave(H // KV, dim=1)
            v = v.repeat_interleave(H // KV, dim=1)
            ctx = session.attend(q, k, v, causal=True, layer=l)
            x = x + merge_heads(ctx) @ self.wo[l].T
            h = self._rmsnorm(x, self.rms_ffn[l])
            x = x + (F.silu(h @ self.w1[l].T) * (h @ self.w3[l].T)) @ self.w2[l].T
        x = self._rmsnorm(x, self.rms_final)
        return x @ (self.wcls if self.wcls is not None else self.tok).T

    def _step(self, tok, pos, cache):
        """Logits [n, vocab] of one new token per sequence at position pos, with a key/value cache
        (dense attention; used for sampling only)."""
        cfg = self.cfg
        H, KV = cfg["n_heads"], cfg["n_kv_heads"]
        hs = cfg["dim"] // H
        n = tok.shape[0]
        p = torch.tensor([pos])
        x = F.embedding(tok, self.tok)  # [n, dim]
        for l in range(self.num_layers):
            h = self._rmsnorm(x, self.rms_att[l])
            q = self._rope((h @ self.wq[l].T).view(n, H, 1, hs), p)
            k = self._rope((h @ self.wk[l].T).view(n, KV, 1, hs), p)
            v = (h @ self.wv[l].T).view(n, KV, 1, hs)
            if len(cache) <= l:
                cache.append((k, v))
            else:
                cache[l] = (torch.cat([cache[l][0], k], 2), torch.cat([cache[l][1], v], 2))
            K = cache[l][0].repeat_interleave(H // KV, dim=1)
            V = cache[l][1].repeat_interleave(H // KV, dim=1)
            w = torch.softmax(q @ K.transpose(-1, -2) / math.sqrt(hs), dim=-1)
            x = x + (w @ V).reshape(n, H * hs) @ self.wo[l].T
            h = self._rmsnorm(x, self.rms_ffn[l])
            x = x + (F.silu(h @ self.w1[l].T) * (h @ self.w3[l].T)) @ self.w2[l].T
        x = self._rmsnorm(x, self.rms_final)
        return x @ (self.wcls if self.wcls is not None else self.tok).T

    @torch.no_grad()
    def sample(self, n, length, seed, temperature=1.0):
        """n sequences of `length` tokens that start with BOS (id 1) and continue with tokens sampled
        from the model at `temperature` (0: greedy), with numpy's PCG64 seeded by `seed` drawing one
        uniform number per step and sequence (llama2.c's sample_mult: the first token whose cumulative
        probability exceeds it)."""
        if not 1 <= length <= self.cfg["seq_len"]:
            raise ValueError(f"length {length}: expected 1..{self.cfg['seq_len']}")
        rng = np.random.default_rng(seed)
        toks = torch.full((n, 1), BOS, dtype=torch.long)
        cache = []
        for pos in range(length - 1):
            logits = self._step(toks[:, -1], pos, cache).double()
            if temperature == 0:
                nxt = logits.argmax(-1)
            else:
                p = torch.softmax(logits / temperature, dim=-1).numpy()
                u = rng.random(n)
                cdf = np.cumsum(p, axis=-1)
                nxt = torch.from_numpy(np.minimum((cdf < u[:, None]).sum(-1), p.shape[-1] - 1))
            toks = torch.cat([toks, nxt.view(n, 1).long()], dim=1)
        return toks
