"""The attention computation that every captured model is routed through, in three modes.

- "dense": ordinary softmax attention on s = q.k / sqrt(d) (what the model does by itself).
- "soft": training. The pre-softmax score s is kept with the soft mask m = sigmoid((s - th) / T), as
  softmax(s + log m), i.e. weights m * exp(s) / sum(m * exp(s)); the session adds up the soft fraction
  of surviving scores per layer for the regularizer. As T goes to 0 this becomes the hard threshold.
- "hard": inference on the accelerator. Q, K and V are quantized to integers with the session's
  scales, a pair is kept iff q_int . k_int >= T (the integer threshold of traces/FORMAT.md), pruned
  pairs get softmax weight 0, and a query row that keeps no key follows `empty_row`: "keep_max" keeps
  its largest score (the limit of the soft mask as T -> 0), "zero" outputs zeros.

Tensors are [B, H, n, d] (queries), [B, H, m, d] (keys) and [B, H, m, dv] (values). The score
convention is always s = q.k / sqrt(d): a model that scales its scores differently hands over q
multiplied by (its scale * sqrt(d)), so that s is exactly its pre-softmax score.
"""

import math

import torch
import torch.nn.functional as F

from .quantize import int_threshold, quantize

MODES = ("dense", "soft", "hard")


def allowed_mask(n, m, valid_q, valid_k, causal, device=None):
    """[B, 1, n, m] bool: query i may see key j (i < valid_q, j < valid_k, and under the causal flag
    j <= i + valid_k - valid_q, as in FORMAT.md)."""
    vq = valid_q.view(-1, 1, 1, 1)
    vk = valid_k.view(-1, 1, 1, 1)
    i = torch.arange(n, device=device).view(1, 1, n, 1)
    j = torch.arange(m, device=device).view(1, 1, 1, m)
    ok = (i < vq) & (j < vk)
    if causal:
        ok = ok & (j <= i + (vk - vq))
    return ok


def _softmax_rows(logits, keep):
    """Softmax over the kept entries of each row; rows that keep nothing give all-zero weights."""
    logits = logits.masked_fill(~keep, float("-inf"))
    any_kept = keep.any(dim=-1, keepdim=True)
    logits = torch.where(any_kept, logits, torch.zeros_like(logits))
    w = torch.softmax(logits, dim=-1)
    return w * any_kept


def dense_attention(q, k, v, allowed):
    s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    return torch.matmul(_softmax_rows(s, allowed).to(v.dtype), v)


class QuantSpec:
    """Bit widths and the [L, H] float64 scales of q, k and v."""

    def __init__(self, bits_q, bits_k, bits_v, scale_q, scale_k, scale_v):
        self.bits_q, self.bits_k, self.bits_v = int(bits_q), int(bits_k), int(bits_v)
        self.scale_q = torch.as_tensor(scale_q, dtype=torch.float64)
        self.scale_k = torch.as_tensor(scale_k, dtype=torch.float64)
        self.scale_v = torch.as_tensor(scale_v, dtype=torch.float64)


class LayerRecord:
    """What one attention layer computed on one batch. In dense and soft mode q, k, v are the real
    tensors (detached); in hard mode they are the integers the comparator used, and T [H] holds the
    integer thresholds. `model_ctx`, when an adapter can see it, is the context the model itself
    computed ([B, n, H*dv], heads merged, the input of the output projection), for checking the
    capture."""

    def __init__(self, layer, q, k, v, causal, valid_q, valid_k):
        self.layer, self.q, self.k, self.v = layer, q, k, v
        self.causal, self.valid_q, self.valid_k = causal, valid_q, valid_k
        self.T = None
        self.kept = None  # [B, H] comparator survivors (hard mode)
        self.allowed = None  # [B, H]
        self.model_ctx = None
        self.model_out = None  # nn.MultiheadAttention: the module's own output (after out_proj)


class Session:
    """Routes every attention call of an attached model. See the module docstring for the modes.

    thresholds: a callable layer -> tensor [H] or [1] of real thresholds (soft and hard modes; in hard
    mode None means keep every pair). temperature: T of the soft mask. quant: QuantSpec (hard mode).
    record: keep a LayerRecord per attention call in `records` (one list per forward pass).
    valid_lengths: LongTensor [B] for right-padded batches of models whose attention mask the hooks
    cannot see (transformers models); None means no padding.
    """

    def __init__(self, mode="dense", *, thresholds=None, temperature=1.0, quant=None,
                 empty_row="keep_max", record=False, valid_lengths=None):
        if mode not in MODES:
            raise ValueError(f"mode {mode!r}: expected one of {MODES}")
        if empty_row not in ("keep_max", "zero"):
            raise ValueError(f"empty_row {empty_row!r}: expected 'keep_max' or 'zero'")
        if mode == "hard" and quant is None:
            raise ValueError("hard mode needs a QuantSpec")
        if mode == "soft" and thresholds is None:
            raise ValueError("soft mode needs thresholds")
        self.mode = mode
        self.thresholds = thresholds
        self.temperature = float(temperature)
        self.quant = quant
        self.empty_row = empty_row
        self.record = record
        self.valid_lengths = valid_lengths
        self.records = []
        self._layer = 0
        self.reset_stats()

    # -- bookkeeping ---------------------------------------------------------------------------
    def begin_forward(self):
        """Called before each forward pass of the attached model: layer numbering restarts at 0."""
        self._layer = 0
        if self.record:
            self.records.append([])

    def reset_stats(self):
        self.soft_keep = {}  # layer -> (sum of soft keep over allowed pairs [tensor], allowed count)
        self.hard_counts = {}  # layer -> (kept [H] int64, allowed [H] int64)

    def soft_keep_fraction(self):
        """Mean over layers of the soft fraction of surviving scores (the regularizer's term)."""
        fr = [s / max(c, 1) for s, c in self.soft_keep.values()]
        return torch.stack(fr).mean() if fr else torch.zeros(())

    def pruning_rates(self):
        """{layer: [H] pruning rate} from the hard-mode comparator counts since reset_stats()."""
        return {l: (1.0 - k.double() / a.clamp(min=1).double()).tolist()
                for l, (k, a) in sorted(self.hard_counts.items())}

    def pruning_rate(self):
        kept = sum(int(k.sum()) for k, _ in self.hard_counts.values())
        allowed = sum(int(a.sum()) for _, a in self.hard_counts.values())
        return 1.0 - kept / allowed if allowed else 0.0

    # -- the attention call --------------------------------------------------------------------
    def attend(self, q, k, v, *, causal, layer=None, valid_q=None, valid_k=None):
        """Attention output [B, H, n, dv] of one layer. `layer` defaults to the call order within
        the forward pass; valid_q/valid_k ([B] long) default to the session's valid_lengths, else to
        the full lengths."""
        if layer is None:
            layer = self._layer
        self._layer = layer + 1
        B, H, n, d = q.shape
        m = k.shape[2]
        dev = q.device
        if valid_q is None:
            valid_q = self.valid_lengths
        if valid_k is None:
            valid_k = self.valid_lengths
        valid_q = torch.full((B,), n, dtype=torch.long, device=dev) if valid_q is None else \
            torch.as_tensor(valid_q, dtype=torch.long, device=dev).clamp(max=n)
        valid_k = torch.full((B,), m, dtype=torch.long, device=dev) if valid_k is None else \
            torch.as_tensor(valid_k, dtype=torch.long, device=dev).clamp(max=m)
        allowed = allowed_mask(n, m, valid_q, valid_k, causal, device=dev)

        if self.mode == "dense":
            out = dense_attention(q, k, v, allowed)
            rec_q, rec_k, rec_v = q, k, v
        elif self.mode == "soft":
            out = self._soft(q, k, v, allowed, layer)
            rec_q, rec_k, rec_v = q, k, v
        else:
            out, (rec_q, rec_k, rec_v), T, kept, alw = self._hard(q, k, v, allowed, layer)
        if self.record:
            if not self.records:
                self.records.append([])
            r = LayerRecord(layer, rec_q.detach(), rec_k.detach(), rec_v.detach(), bool(causal),
                            valid_q.detach().cpu(), valid_k.detach().cpu())
            if self.mode == "hard":
                r.T, r.kept, r.allowed = T, kept, alw
            self.records[-1].append(r)
        return out

    def _soft(self, q, k, v, allowed, layer):
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        th = self.thresholds(layer).to(s.dtype).view(1, -1, 1, 1)
        z = (s - th) / self.temperature
        logits = s + F.logsigmoid(z)
        w = _softmax_rows(logits, allowed)
        keep = torch.sigmoid(z) * allowed
        total, count = self.soft_keep.get(layer, (0.0, 0))
        n_allowed = int(allowed.sum()) * q.shape[1]
        self.soft_keep[layer] = (total + keep.sum(), count + n_allowed)
        return torch.matmul(w.to(v.dtype), v)

    def integer_thresholds(self, layer, H, d):
        """Integer thresholds [H] (python ints) of one layer under the session's scales."""
        qs = self.quant
        if self.thresholds is None:
            th = [-math.inf] * H
        else:
            t = self.thresholds(layer).detach().double().cpu()
            th = (t.expand(H) if t.numel() == 1 else t).tolist()
        return [int_threshold(th[h], d, qs.scale_q[layer, h].item(), qs.scale_k[layer, h].item(),
                              qs.bits_q, qs.bits_k) for h in range(H)]

    def _hard(self, q, k, v, allowed, layer):
        qs = self.quant
        H, d = q.shape[1], q.shape[-1]
        if layer >= qs.scale_q.shape[0]:
            raise ValueError(f"layer {layer} has no quantization scales (the QuantSpec covers "
                             f"{qs.scale_q.shape[0]} layers)")
        sq = qs.scale_q[layer].view(1, H, 1, 1).to(q.device)
        sk = qs.scale_k[layer].view(1, H, 1, 1).to(q.device)
        sv = qs.scale_v[layer].view(1, H, 1, 1).to(q.device)
        qi = quantize(q.detach(), sq, qs.bits_q)
        ki = quantize(k.detach(), sk, qs.bits_k)
        vi = quantize(v.detach(), sv, qs.bits_v)
        # Integer dot products, exact in float64 (|q.k| < 2^53 for bits <= 16 and d < 2^21).
        dots = torch.matmul(qi.double(), ki.double().transpose(-1, -2))
        T = self.integer_thresholds(layer, H, d)
        Tt = torch.tensor([float(t) for t in T], dtype=torch.float64, device=q.device).view(1, H, 1, 1)
        survive = allowed & (dots >= Tt)
        kept = survive.sum(dim=(2, 3)).cpu()
        alw = allowed.expand(-1, H, -1, -1).sum(dim=(2, 3)).cpu()
        out = self._attend_survivors(dots, allowed, survive, sq * sk, vi.double() * sv, d, layer, kept, alw)
        return out.to(q.dtype), (qi, ki, vi), T, kept, alw

    def _attend_survivors(self, dots, allowed, survive, scale_qk, values, d, layer, kept, alw):
        """Attention over the surviving keys (softmax of the exact scores renormalized over them); a
        row with allowed keys but no survivor follows empty_row (keep_max: its largest allowed
        score). Adds kept and allowed to hard_counts; returns the float64 output."""
        keep = survive
        if self.empty_row == "keep_max":
            row_has_allowed = allowed.any(dim=-1, keepdim=True)
            empty = row_has_allowed & ~survive.any(dim=-1, keepdim=True)
            if bool(empty.any()):
                best = dots.masked_fill(~allowed, float("-inf")).argmax(dim=-1, keepdim=True)
                onehot = torch.zeros_like(survive).scatter_(-1, best, True)
                keep = torch.where(empty, onehot & allowed, survive)
        w = _softmax_rows(dots * scale_qk / math.sqrt(d), keep)
        total_k, total_a = self.hard_counts.get(layer, (0, 0))
        self.hard_counts[layer] = (total_k + kept.sum(0), total_a + alw.sum(0))
        return torch.matmul(w, values)


def split_heads(x, heads):
    """[B, n, H*d] -> [B, H, n, d]."""
    B, n, hd = x.shape
    return x.view(B, n, heads, hd // heads).transpose(1, 2)


def merge_heads(x):
    """[B, H, n, d] -> [B, n, H*d]."""
    B, H, n, d = x.shape
    return x.transpose(1, 2).reshape(B, n, H * d)


class PolicySession(Session):
    """Hard mode with one of arch/POLICIES.md's pruning rules (lrpsim_export.policies) deciding which
    keys survive, inside the model's forward pass: the closed loop of a runtime-pruning policy.

    Q, K and V are quantized as in "hard" mode (the QuantSpec's scales); each head of each input is
    decided by policies.decide_head on those integers (leopard uses the session's thresholds; the
    training-free rules ignore them); attention then runs over the surviving keys only (softmax of
    the exact scores renormalized over them, V dequantized), and a row that keeps nothing follows
    `empty_row` (keep_max: its largest exact score among the keys it may see; zero: output 0).

    cascade (SpAtten's cascade token pruning, as read here): a key (token) that no query row of any
    head keeps in layer l is removed from every later layer of the same forward pass; the rule of a
    later layer then runs over the remaining keys only (its k_row counts only them), and removed keys
    count as pruned pairs. SpAtten itself ranks tokens by a cumulative importance score (the
    attention probability a token receives, summed over heads, rows and layers) and removes the
    lowest by a top-k of its own; with the per-row top-k of POLICIES.md this reading keeps a token as
    long as some row of some head ranks it in its top k_row, and removes it once none does. Layers are
    the attention calls of one forward pass in order (MemN2N: its hops). Needs a non-causal model.
    """

    def __init__(self, policy, params, *, quant, bits_per_cycle=1, thresholds=None, empty_row="keep_max",
                 cascade=False, record=False, valid_lengths=None):
        from .policies import check_bits_per_cycle, check_params
        self.policy = policy
        self.params = check_params(policy, params)
        self.bits_per_cycle = check_bits_per_cycle(bits_per_cycle, "bits_per_cycle")
        self.cascade = bool(cascade)
        self._alive = None
        self._cur = None
        super().__init__("hard", thresholds=thresholds, quant=quant, empty_row=empty_row, record=record,
                         valid_lengths=valid_lengths)

    def attend(self, q, k, v, *, causal, layer=None, valid_q=None, valid_k=None):
        B, _, n, _ = q.shape
        m = k.shape[2]
        vq = self.valid_lengths if valid_q is None else valid_q
        vk = self.valid_lengths if valid_k is None else valid_k
        vq = torch.full((B,), n, dtype=torch.long) if vq is None else torch.as_tensor(vq, dtype=torch.long).clamp(max=n)
        vk = torch.full((B,), m, dtype=torch.long) if vk is None else torch.as_tensor(vk, dtype=torch.long).clamp(max=m)
        if self.cascade and causal:
            raise ValueError("the cascade (SpAtten) is modeled for non-causal models only")
        lay = self._layer if layer is None else layer
        if lay == 0 or self._alive is None or self._alive.shape != (B, m):
            self._alive = torch.ones(B, m, dtype=torch.bool)  # a new forward pass
        self._cur = (vq.cpu(), vk.cpu(), bool(causal))
        return super().attend(q, k, v, causal=causal, layer=layer, valid_q=vq.to(q.device), valid_k=vk.to(q.device))

    def _hard(self, q, k, v, allowed, layer):
        import numpy as np
        from .policies import Head, decide_head, kept_mask
        qs = self.quant
        B, H, n, d = q.shape
        m = k.shape[2]
        if layer >= qs.scale_q.shape[0]:
            raise ValueError(f"layer {layer} has no quantization scales")
        sq = qs.scale_q[layer].view(1, H, 1, 1)
        sk = qs.scale_k[layer].view(1, H, 1, 1)
        sv = qs.scale_v[layer].view(1, H, 1, 1)
        qi = quantize(q.detach().cpu(), sq, qs.bits_q)
        ki = quantize(k.detach().cpu(), sk, qs.bits_k)
        vi = quantize(v.detach().cpu(), sv, qs.bits_v)
        dots = torch.matmul(qi.double(), ki.double().transpose(-1, -2))
        T = self.integer_thresholds(layer, H, d)
        if self.thresholds is None:
            th = [-math.inf] * H
        else:
            t = self.thresholds(layer).detach().double().cpu()
            th = (t.expand(H) if t.numel() == 1 else t).tolist()
        vq_all, vk_all, causal = self._cur
        allowed = allowed.cpu() & self._alive.view(B, 1, 1, m)
        survive = torch.zeros(B, H, n, m, dtype=torch.bool)
        qn, kn = qi.numpy(), ki.numpy()
        for b in range(B):
            vq, vk = int(vq_all[b]), int(vk_all[b])
            idx = np.flatnonzero(self._alive[b, :vk].numpy())
            for h in range(H):
                if len(idx) == 0:
                    continue
                kk = kn[b, h, :vk][idx]
                head = Head(q=qn[b, h, :vq], k=kk, v=kk, scale_q=float(qs.scale_q[layer, h]),
                            scale_k=float(qs.scale_k[layer, h]), scale_v=float(qs.scale_v[layer, h]),
                            bits_q=qs.bits_q, bits_k=qs.bits_k, bits_v=qs.bits_v, valid_q=vq, valid_k=len(idx),
                            causal=causal, threshold=th[h], empty_row=self.empty_row)
                keep = kept_mask(decide_head(head, self.policy, self.params, self.bits_per_cycle))
                rows = np.zeros((vq, vk), dtype=bool)
                rows[:, idx] = keep
                survive[b, h, :vq, :vk] = torch.from_numpy(rows)
        survive &= allowed
        full_allowed = allowed_mask(n, m, vq_all, vk_all, causal)  # cascaded keys count as pruned
        kept = survive.sum(dim=(2, 3))
        alw = full_allowed.expand(-1, H, -1, -1).sum(dim=(2, 3))
        if self.cascade:
            self._alive &= survive.any(dim=1).any(dim=1)
        out = self._attend_survivors(dots, allowed, survive, sq * sk, vi.double() * sv, d, layer, kept, alw)
        return out.to(q.dtype).to(q.device), (qi, ki, vi), T, kept, alw
