"""Learned runtime-pruning thresholds for a labelled task, on top of lrpsim_export's pieces.

lrpsim_export.learn trains thresholds against a distillation loss on the dense model's outputs
(its models come without labels) and keeps every recorded Q, K, V of the training set in memory.
The workloads here have labels and larger training sets, so this module runs the same recipe with
the task's own loss, streaming:

    loss = cross-entropy(labels) + lambda * (soft fraction of surviving scores, mean over layers)

with the soft mask sigmoid((s - th) / T) of lrpsim_export.attention.Session ("soft" mode), T
annealed geometrically from t_start to t_end per step, the thresholds (lrpsim_export.learn.Thresholds,
one per layer) trained with Adam together with the model's weights. Thresholds start at a quantile
of the dense scores. Temperatures and the thresholds' learning rate are given in units of the
standard deviation sigma of the dense scores over the valid pairs, so that one setting fits models
whose scores have different ranges.

At inference the hard threshold prunes on quantized integers: Session "hard" mode quantizes q, k
and v with per-layer scales (max |x| over calibration inputs / (2^(b-1) - 1)), keeps a pair iff
q_int . k_int >= T with T from FORMAT.md's rule (lrpsim_export.quantize.int_threshold), and a row
that keeps nothing follows `empty_row`.
"""

import dataclasses
import math
import time

import torch

from lrpsim_export.attention import QuantSpec, Session, allowed_mask
from lrpsim_export.capture import attached
from lrpsim_export.learn import Thresholds, check_fits
from lrpsim_export.quantize import scales_from_absmax


@dataclasses.dataclass
class PruneConfig:
    lam: float = 0.1
    epochs: int = 10
    lr_threshold: float = 0.02  # Adam step, in units of sigma
    lr_weights: float = 3e-4  # Adam
    t_start: float = 0.5  # in units of sigma
    t_end: float = 0.01  # in units of sigma
    init_quantile: float = 0.05
    max_grad_norm: float = 40.0
    empty_weight: float = 1.0  # the empty-row term's weight, as a multiple of lam
    recovery_epochs: int = 0  # after annealing: epochs at T = t_end with the thresholds held
    cosine_weights: bool = False  # weights' learning rate: linear warm-up over the first 10% of the
    # steps, then cosine decay to 0 (a fine-tune of a converged model that starts with full-size
    # Adam steps loses accuracy before the thresholds matter)


class PruneSession(Session):
    """Session whose "soft" mode also sums, per layer, the soft indicator that a query row keeps no
    key: 1 - max_j sigmoid((s_ij - th) / T) = sigmoid(-(max_j s_ij - th) / T), over the rows with an
    allowed key. As T -> 0 it is 1 exactly for the rows that the hard comparator leaves empty.

    Why: the soft mask's limit as T -> 0 is "keep_max" (a row whose scores all fall below th still
    attends to its largest score), so the survivor-fraction regularizer alone is cheapest when every
    score is pruned and the model runs on the keep_max fallback: a pruning rate of 100% that the
    accelerator does not deliver, since the fallback needs the row's largest score anyway. With
    lambda * empty_weight * (soft empty-row fraction) added to the loss, pruning the last key of a
    row costs more than it saves, and the learned thresholds keep the rows' best keys."""

    def reset_stats(self):
        super().reset_stats()
        self.soft_empty = {}

    def _soft(self, q, k, v, allowed, layer):
        out = super()._soft(q, k, v, allowed, layer)
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        th = self.thresholds(layer).to(s.dtype).view(1, -1, 1, 1)
        z = ((s - th) / self.temperature).masked_fill(~allowed, float("-inf"))
        has = allowed.any(-1).expand(z.shape[:-1])  # [B, H, n]
        zmax = z.amax(-1).masked_fill(~has, 0.0)
        empty = torch.sigmoid(-zmax) * has
        total, count = self.soft_empty.get(layer, (0.0, 0))
        self.soft_empty[layer] = (total + empty.sum(), count + int(has.sum()))
        return out

    def soft_empty_fraction(self):
        fr = [s / max(c, 1) for s, c in self.soft_empty.values()]
        return torch.stack(fr).mean() if fr else torch.zeros(())


class Workload:
    """What the pruning recipe needs from a model and its data.

    forward(model, batch) -> logits; loss(logits, batch) -> mean task loss; correct(logits, batch)
    -> number of correct predictions; labels(batch) -> the right answer of each input (the frontier's
    per-question correctness); size(batch) -> inputs in it; train_batches(epoch, gen) ->
    list of training batches of one epoch; after_step(model) after each optimizer step."""

    layers = 1
    heads = 1
    empty_row = "keep_max"

    def forward(self, model, batch):
        raise NotImplementedError

    def loss(self, logits, batch):
        raise NotImplementedError

    def correct(self, logits, batch):
        raise NotImplementedError

    def labels(self, batch):
        raise NotImplementedError

    def size(self, batch):
        raise NotImplementedError

    def train_batches(self, epoch, gen):
        raise NotImplementedError

    def after_step(self, model):
        pass


def _run_records(wl, model, batches, fn):
    """Run model in dense recording mode over batches, calling fn(record) for every attention call
    (records are dropped after each batch, so memory stays at one batch)."""
    s = Session("dense", record=True)
    model.eval()
    with torch.no_grad(), attached(model, s, check_weights=False):
        for b in batches:
            s.records = []
            wl.forward(model, b)
            for fwd in s.records:
                for r in fwd:
                    fn(r)
    s.records = []


def calibrate(wl, model, batches, bits, *, max_scores=2_000_000, quantile=0.05, seed=0):
    """One dense pass over `batches`: per-layer max |q|, |k|, |v| over the valid rows (-> QuantSpec
    with `bits` = (bq, bk, bv)), per-layer `quantile` of the scores s = q.k/sqrt(d) over the valid
    pairs ([L, 1], the thresholds' start), and sigma, the standard deviation of all those scores."""
    L, H = wl.layers, wl.heads
    amax = {p: torch.zeros(L, H, dtype=torch.float64) for p in "qkv"}
    scores = {l: [] for l in range(L)}
    count = [0]

    def fn(r):
        B, _, n, d = r.q.shape
        m = r.k.shape[2]
        rows_q = (torch.arange(n).view(1, n) < r.valid_q.view(-1, 1)).view(B, 1, n, 1)
        rows_k = (torch.arange(m).view(1, m) < r.valid_k.view(-1, 1)).view(B, 1, m, 1)
        for p, t, rows in (("q", r.q, rows_q), ("k", r.k, rows_k), ("v", r.v, rows_k)):
            a = (t.double().abs() * rows).amax(dim=(0, 2, 3))
            amax[p][r.layer] = torch.maximum(amax[p][r.layer], a)
        sc = torch.matmul(r.q, r.k.transpose(-1, -2)) / math.sqrt(d)
        ok = allowed_mask(n, m, r.valid_q, r.valid_k, r.causal).expand_as(sc)
        v = sc[ok].float()
        scores[r.layer].append(v)
        count[0] += v.numel()

    _run_records(wl, model, batches, fn)
    g = torch.Generator().manual_seed(seed)
    q0 = torch.zeros(L, 1)
    allv = []
    for l in range(L):
        v = torch.cat(scores[l])
        if v.numel() > max_scores // L:
            v = v[torch.randperm(v.numel(), generator=g)[: max_scores // L]]
        q0[l, 0] = torch.quantile(v, quantile)
        allv.append(v)
    sigma = float(torch.cat(allv).double().std())
    bq, bk, bv = bits
    quant = QuantSpec(bq, bk, bv, scales_from_absmax(amax["q"].amax(1, keepdim=True).expand(L, H), bq),
                      scales_from_absmax(amax["k"].amax(1, keepdim=True).expand(L, H), bk),
                      scales_from_absmax(amax["v"].amax(1, keepdim=True).expand(L, H), bv))
    return quant, q0, sigma


def learn_thresholds(wl, model, cfg, init, sigma, *, seed=0, log=None):
    """Fine-tune `model` (in place) with learned thresholds; returns (Thresholds, history)."""
    gen = torch.Generator().manual_seed(seed)
    th = Thresholds(wl.layers, wl.heads, False, init)
    session = PruneSession("soft", thresholds=th, temperature=cfg.t_start * sigma, empty_row=wl.empty_row)
    opt_th = torch.optim.Adam(th.parameters(), lr=cfg.lr_threshold * sigma)
    params = [p for p in model.parameters() if p.requires_grad]
    opt_w = torch.optim.Adam(params, lr=cfg.lr_weights) if cfg.lr_weights > 0 else None
    first = wl.train_batches(0, gen)
    steps = len(first) * cfg.epochs  # annealing steps (every epoch has as many batches)
    total = len(first) * (cfg.epochs + cfg.recovery_epochs)
    history, step, t0 = [], 0, time.time()
    model.train()
    with attached(model, session, check_weights=False):
        for e in range(cfg.epochs + cfg.recovery_epochs):
            batches = first if e == 0 else wl.train_batches(e, gen)
            tot_ce, tot_keep, tot_empty, nb = 0.0, 0.0, 0.0, 0
            recovering = e >= cfg.epochs
            for b in batches:
                frac = min(step / max(steps - 1, 1), 1.0)
                if opt_w is not None and cfg.cosine_weights:
                    for g in opt_w.param_groups:
                        warm = max(total // 10, 1)
                        g["lr"] = cfg.lr_weights * ((step + 1) / warm if step < warm else
                                                    0.5 * (1 + math.cos(math.pi * (step - warm) / max(total - warm, 1))))
                session.temperature = sigma * cfg.t_start * (cfg.t_end / cfg.t_start) ** frac
                session.reset_stats()
                logits = wl.forward(model, b)
                ce = wl.loss(logits, b)
                keep = session.soft_keep_fraction()
                empty = session.soft_empty_fraction()
                loss = ce + cfg.lam * (keep + cfg.empty_weight * empty)
                opt_th.zero_grad()
                if opt_w is not None:
                    opt_w.zero_grad()
                loss.backward()
                if opt_w is not None:
                    torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
                    opt_w.step()
                if not recovering:
                    opt_th.step()
                wl.after_step(model)
                tot_ce += float(ce)
                tot_keep += float(keep)
                tot_empty += float(empty)
                nb += 1
                step += 1
            row = dict(epoch=e, temperature=session.temperature, ce=tot_ce / nb, soft_keep=tot_keep / nb,
                       soft_empty=tot_empty / nb,
                       thresholds=[round(float(x), 4) for x in th.as_array()[:, 0]])
            history.append(row)
            if log:
                log(f"    lambda {cfg.lam:g} epoch {e:2d}  T={row['temperature']:.4f}  ce={row['ce']:.4f}  "
                    f"soft keep={row['soft_keep']:.3f}  soft empty={row['soft_empty']:.3f}  th={row['thresholds']}  ({time.time() - t0:.0f}s)")
    model.eval()
    return th, history


@dataclasses.dataclass
class EvalResult:
    accuracy: float
    correct: int
    total: int
    pruning_rate: float = 0.0
    layer_rates: list = None  # [L] pruning rate per layer (heads pooled)
    head_rates: list = None  # [L][H]
    empty_rows: float = 0.0  # fraction of query rows that kept no key
    empty_rows_layer: list = None

    def as_dict(self):
        return dataclasses.asdict(self)


def evaluate(wl, model, batches, *, thresholds=None, quant=None):
    """Accuracy in float (quant None, no pruning) or on the accelerator: quantized with the integer
    comparator (thresholds None: keep every pair)."""
    model.eval()
    correct = total = 0
    if quant is None:
        with torch.no_grad():
            for b in batches:
                correct += int(wl.correct(wl.forward(model, b), b))
                total += wl.size(b)
        return EvalResult(correct / total, correct, total)
    s = Session("hard", thresholds=thresholds, quant=quant, empty_row=wl.empty_row, record=True)
    L, H = wl.layers, wl.heads
    empty = torch.zeros(L, dtype=torch.long)
    rows = torch.zeros(L, dtype=torch.long)
    with torch.no_grad(), attached(model, s, check_weights=False):
        for b in batches:
            s.records = []
            correct += int(wl.correct(wl.forward(model, b), b))
            total += wl.size(b)
            for fwd in s.records:
                for r in fwd:
                    e, n = empty_rows(r)
                    empty[r.layer] += e
                    rows[r.layer] += n
    s.records = []
    kept = torch.zeros(L, H, dtype=torch.float64)
    allowed = torch.zeros(L, H, dtype=torch.float64)
    for l, (k, a) in s.hard_counts.items():
        kept[l] += k.double()
        allowed[l] += a.double()
    head_rates = (1 - kept / allowed.clamp(min=1)).tolist()
    layer_rates = (1 - kept.sum(1) / allowed.sum(1).clamp(min=1)).tolist()
    return EvalResult(correct / total, correct, total, s.pruning_rate(), layer_rates, head_rates,
                      float(empty.sum()) / max(int(rows.sum()), 1),
                      (empty.double() / rows.clamp(min=1).double()).tolist())


def empty_rows(r):
    """(rows that kept no key, rows with at least one allowed key) of a hard-mode LayerRecord."""
    B, H, n, _ = r.q.shape
    m = r.k.shape[2]
    dots = torch.matmul(r.q.double(), r.k.double().transpose(-1, -2))
    T = torch.tensor([float(t) for t in r.T], dtype=torch.float64).view(1, H, 1, 1)
    ok = allowed_mask(n, m, r.valid_q, r.valid_k, r.causal).expand(B, H, n, m)
    survive = ok & (dots >= T)
    has = ok.any(-1)
    return int((has & ~survive.any(-1)).sum()), int(has.sum())


def fits(thresholds, quant, head_dims):
    """lrpsim_export.learn.check_fits: ThresholdRange unless every threshold fits the comparator."""
    check_fits(thresholds, quant, head_dims)
