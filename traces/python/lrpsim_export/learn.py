"""Learned runtime-pruning thresholds, trained the way LeOPArd trains them.

A learnable threshold th per layer (or per head) acts on the pre-softmax score s = q.k / sqrt(d).
During training the hard test s >= th is replaced by the soft mask sigmoid((s - th) / T) (see
attention.Session, "soft" mode), and the loss is

    task loss + lambda * (soft fraction of surviving scores, averaged over layers)

where the task loss is a distillation loss against the dense model's outputs (tasks.py). The
thresholds and the model's weights are trained together with Adam while T is annealed geometrically
from T0 towards T1 (near 0). At inference the hard threshold prunes, on the integers of the trace.
"""

import copy
import dataclasses
import math
import time

import numpy as np
import torch
import torch.nn as nn

from .attention import QuantSpec, Session
from .capture import attached, check_finite
from .quantize import check_threshold_fits, scales_from_absmax


@dataclasses.dataclass
class LearnConfig:
    lam: float = 1.0
    steps: int = 200
    lr_threshold: float = 0.05
    lr_weights: float = 1e-5
    train_weights: bool = True
    t_start: float = 1.0
    t_end: float = 0.02
    per_head: bool = False
    init_quantile: float = 0.05
    seed: int = 0


class Thresholds(nn.Module):
    """Real thresholds [L, H] (per head) or [L, 1] (per layer); calling it with a layer gives its row."""

    def __init__(self, layers, heads, per_head=False, init=None):
        super().__init__()
        self.heads = heads
        self.per_head = per_head
        t = torch.zeros(layers, heads if per_head else 1, dtype=torch.float32)
        if init is not None:
            t.copy_(torch.as_tensor(init, dtype=torch.float32).view_as(t))
        self.value = nn.Parameter(t)

    def forward(self, layer):
        return self.value[layer]

    def as_array(self):
        """[L, H] float64, per-layer values repeated over the heads."""
        v = self.value.detach().double()
        return v.expand(-1, self.heads).clone() if not self.per_head else v.clone()

    @classmethod
    def constant(cls, layers, heads, value):
        return cls(layers, heads, False, torch.full((layers, 1), float(value)))


def _no_grad_run(task, model, batches, session):
    outs = []
    with torch.no_grad(), attached(model, session, check_weights=False):
        for b in batches:
            session.valid_lengths = task.valid_lengths(b)
            outs.append(task.run(model, b))
    return outs


def score_quantiles(task, model, batches, q, per_head):
    """[L, H or 1] q-quantile of the dense pre-softmax scores over the allowed pairs."""
    from .attention import allowed_mask
    s = Session("dense", record=True)
    _no_grad_run(task, model, batches, s)
    per_layer = {}
    for fwd in s.records:
        for r in fwd:
            sc = torch.matmul(r.q, r.k.transpose(-1, -2)) / math.sqrt(r.q.shape[-1])
            ok = allowed_mask(r.q.shape[2], r.k.shape[2], r.valid_q, r.valid_k, r.causal)
            ok = ok.expand_as(sc)
            per_layer.setdefault(r.layer, []).append((sc, ok))
    L = len(per_layer)
    H = task.model.num_heads
    out = torch.zeros(L, H if per_head else 1)
    for l, items in per_layer.items():
        if per_head:
            for h in range(H):
                vals = torch.cat([sc[:, h][ok[:, h]] for sc, ok in items])
                out[l, h] = float(np.quantile(vals.double().numpy(), q))
        else:
            vals = torch.cat([sc[ok] for sc, ok in items])
            out[l, 0] = float(np.quantile(vals.double().numpy(), q))
    return out


def absmax_scales(task, model, batches, bits, per_head_scales):
    """QuantSpec whose scales are max|x| / (2^(b-1) - 1) of the dense q, k and v over the valid rows
    of the batches, per layer or (per_head_scales) per head."""
    s = Session("dense", record=True)
    _no_grad_run(task, model, batches, s)
    L = max(r.layer for f in s.records for r in f) + 1
    H = task.model.num_heads
    amax = {p: torch.zeros(L, H, dtype=torch.float64) for p in "qkv"}
    for fwd in s.records:
        for r in fwd:
            for p in "qkv":
                a = _valid_absmax(getattr(r, p), r.valid_q if p == "q" else r.valid_k)
                amax[p][r.layer] = torch.maximum(amax[p][r.layer], a)
    if not per_head_scales:
        for p in "qkv":
            amax[p] = amax[p].max(dim=1, keepdim=True).values.expand(-1, H).clone()
    bq, bk, bv = bits
    return QuantSpec(bq, bk, bv, scales_from_absmax(amax["q"], bq), scales_from_absmax(amax["k"], bk),
                     scales_from_absmax(amax["v"], bv))


def _valid_absmax(t, valid):
    B, H, n, _ = t.shape
    rows = torch.arange(n).view(1, n) < valid.view(-1, 1)
    a = t.detach().double().abs().amax(dim=-1)  # [B, H, n]
    a = a * rows.view(B, 1, n)
    return a.amax(dim=(0, 2))


def check_fits(thresholds, quant, head_dims):
    """ThresholdRange unless every (layer, head) threshold fits the comparator's integer range."""
    th = thresholds.as_array()
    for l in range(th.shape[0]):
        for h in range(th.shape[1]):
            check_threshold_fits(th[l, h].item(), head_dims[l], quant.scale_q[l, h].item(),
                                 quant.scale_k[l, h].item(), quant.bits_q, quant.bits_k,
                                 where=f"layer {l} head {h}: ")


def learn(task, cfg, log=print):
    """Train thresholds and (unless cfg.train_weights is False) weights of a copy of task.model.
    Returns (student, thresholds, history)."""
    torch.manual_seed(cfg.seed)
    teacher = task.model
    check_finite(teacher, getattr(teacher, "name", type(teacher).__name__))
    student = copy.deepcopy(teacher)
    for p in student.parameters():
        p.requires_grad_(cfg.train_weights)
    init = score_quantiles(task, teacher, task.train, cfg.init_quantile, cfg.per_head)
    th = Thresholds(init.shape[0], teacher.num_heads, cfg.per_head, init)
    refs = _no_grad_run(task, teacher, task.train, Session("dense"))
    groups = [{"params": th.parameters(), "lr": cfg.lr_threshold}]
    if cfg.train_weights:
        groups.append({"params": [p for p in student.parameters()], "lr": cfg.lr_weights})
    opt = torch.optim.Adam(groups)
    session = Session("soft", thresholds=th, temperature=cfg.t_start)
    history = []
    t0 = time.time()
    with attached(student, session, check_weights=False):
        for step in range(cfg.steps):
            frac = step / max(cfg.steps - 1, 1)
            session.temperature = cfg.t_start * (cfg.t_end / cfg.t_start) ** frac
            i = step % len(task.train)
            batch = task.train[i]
            session.reset_stats()
            session.valid_lengths = task.valid_lengths(batch)
            out = task.run(student, batch)
            loss_task = task.distill_loss(out, refs[i], batch)
            keep = session.soft_keep_fraction()
            loss = loss_task + cfg.lam * keep
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % max(cfg.steps // 10, 1) == 0 or step == cfg.steps - 1:
                row = dict(step=step, temperature=session.temperature, loss=float(loss_task),
                           soft_keep=float(keep), thresholds=[round(x, 4) for x in th.as_array()[:, 0].tolist()])
                history.append(row)
                log(f"  step {step:4d}  T={row['temperature']:.4f}  distill={row['loss']:.5f}  "
                    f"soft keep={row['soft_keep']:.3f}  th={row['thresholds']}  ({time.time() - t0:.0f}s)")
    student.eval()
    check_finite(student, "trained model")
    return student, th, history


def evaluate(task, model, batches, refs, *, thresholds=None, quant=None):
    """(metric, pruning rate, per-layer [H] rates) of model on batches: dense float when quant is
    None, else quantized with the integer comparator (thresholds None: keep every pair)."""
    if quant is None:
        outs = _no_grad_run(task, model, batches, Session("dense"))
        return task.metric(outs, refs, batches), 0.0, {}
    s = Session("hard", thresholds=thresholds, quant=quant)
    outs = _no_grad_run(task, model, batches, s)
    return task.metric(outs, refs, batches), s.pruning_rate(), s.pruning_rates()
