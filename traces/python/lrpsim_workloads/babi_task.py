"""MemN2N on one bAbI task: dense training (PE, TE, LS, RN, best of several runs by validation
accuracy), learned thresholds on the memory attention (a lambda sweep chosen on the validation
split), test accuracy dense and pruned, and a trace of held-out test questions."""

import copy
import dataclasses
import time

import torch

from . import babi
from .memn2n import MemN2N, cross_entropy, random_recency, recency
from .prune import PruneConfig, Workload, calibrate, evaluate, fits, learn_thresholds


@dataclasses.dataclass
class DenseConfig:
    dim: int = 20
    hops: int = 3
    memory_size: int = 50
    batch_size: int = 32
    epochs: int = 100  # after linear start
    lr: float = 0.01
    lr_decay_every: int = 25  # halve the learning rate every this many epochs
    ls_epochs: int = 20  # linear start (0: none)
    ls_lr: float = 0.005
    random_noise: float = 0.1
    max_grad_norm: float = 40.0  # per weight matrix, as the authors' code clips
    init_std: float = 0.1
    position_encoding: str = "code"  # see memn2n.position_encoding
    empty_slots: bool = True  # the softmax also runs over the empty memory slots (zero vectors)
    runs: int = 10  # independent runs; the best on the validation split is kept (the paper: best of 10)


@dataclasses.dataclass
class BabiConfig:
    dense: DenseConfig = dataclasses.field(default_factory=DenseConfig)
    prune: PruneConfig = dataclasses.field(default_factory=lambda: PruneConfig(
        epochs=15, lr_threshold=0.02, lr_weights=1e-3, t_start=0.5, t_end=0.01, init_quantile=0.05))
    lambdas: tuple = (0.05, 0.1, 0.2, 0.4)
    max_valid_drop: float = 0.01  # lambda choice: validation accuracy may drop at most this much
    bits: int = 8
    trace_max_inputs: int = 16  # trace: whole test stories, as many as fit in this many questions


class MemN2NWorkload(Workload):
    empty_row = "keep_max"

    def __init__(self, task, cfg):
        self.task, self.cfg = task, cfg
        self.layers, self.heads = cfg.hops, 1

    def forward(self, model, b):
        story, mem_len, time_, query, _ = b
        return model(story, mem_len, time_, query)

    def loss(self, logits, b):
        return cross_entropy(logits, b[4])

    def correct(self, logits, b):
        return int((logits.argmax(-1) == b[4]).sum())

    def labels(self, b):
        return b[4]

    def size(self, b):
        return int(b[4].shape[0])

    def train_batches(self, epoch, gen):
        """One epoch as the MemN2N code does it: floor(N / batch) batches drawn with replacement,
        time indices with random noise."""
        tr = self.task.train
        N, bs = len(tr), self.cfg.batch_size
        out = []
        for _ in range(N // bs):
            idx = torch.randint(N, (bs,), generator=gen)
            ml = tr.mem_len[idx]
            t = random_recency(ml, self.task.memory_size, self.cfg.random_noise, gen) if self.cfg.random_noise > 0 \
                else recency(ml, self.task.memory_size)
            out.append((tr.story[idx], ml, t, tr.query[idx], tr.answer[idx]))
        return out

    def after_step(self, model):
        model.zero_nil()


def eval_batches(tensors, M, bs=500):
    out = []
    for i in range(0, len(tensors), bs):
        ml = tensors.mem_len[i:i + bs]
        out.append((tensors.story[i:i + bs], ml, recency(ml, M), tensors.query[i:i + bs], tensors.answer[i:i + bs]))
    return out


def _loss_acc(model, batches):
    model.eval()
    tot, cor, n = 0.0, 0, 0
    with torch.no_grad():
        for b in batches:
            lg = model(*b[:4])
            tot += float(cross_entropy(lg, b[4], "sum"))
            cor += int((lg.argmax(-1) == b[4]).sum())
            n += b[4].shape[0]
    return tot / n, cor / n


def clip_per_matrix(params, max_norm):
    """Scale each parameter's gradient to norm <= max_norm on its own (the authors' code does this,
    not one global norm)."""
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                n = p.grad.norm()
                if n > max_norm:
                    p.grad.mul_(max_norm / n)


def train_dense_run(task, cfg, seed, log=None):
    """One run of the MemN2N paper's recipe: SGD on the summed cross-entropy of batches of 32,
    gradient norm of each weight matrix clipped at 40, the nil word's embedding held at zero; linear start for
    cfg.ls_epochs epochs at cfg.ls_lr, then cfg.epochs epochs at cfg.lr halved every
    cfg.lr_decay_every epochs."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = MemN2N(len(task.vocab), task.sentence_len, task.memory_size, cfg.dim, cfg.hops, cfg.init_std,
                   cfg.empty_slots, cfg.position_encoding)
    wl = MemN2NWorkload(task, cfg)
    val = eval_batches(task.valid, task.memory_size)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
    phases = []
    if cfg.ls_epochs > 0:
        phases.append(("linear", cfg.ls_epochs, cfg.ls_lr, cfg.ls_epochs + 1))
    phases.append(("softmax", cfg.epochs, cfg.lr, cfg.lr_decay_every))
    hist = []
    for name, epochs, lr, decay in phases:
        model.linear = name == "linear"
        for e in range(epochs):
            if (e + 1) % decay == 0:
                lr = lr * 0.5
            for g in opt.param_groups:
                g["lr"] = lr
            model.train()
            for b in wl.train_batches(e, gen):
                loss = cross_entropy(model(*b[:4]), b[4], "sum")
                opt.zero_grad()
                loss.backward()
                clip_per_matrix(model.parameters(), cfg.max_grad_norm)
                opt.step()
                model.zero_nil()
        vl, va = _loss_acc(model, val)
        hist.append(dict(phase=name, val_loss=vl, val_acc=va))
    model.linear = False
    vl, va = _loss_acc(model, val)
    if log:
        log(f"    run seed {seed}: validation accuracy {va:.3f} (loss {vl:.3f})")
    return model, va, vl


def train_dense(task, cfg, seed, log=None):
    """cfg.runs independent runs (seeds seed*1000 + r); returns the best by validation accuracy (then
    loss) and the list of (seed, val_acc, val_loss)."""
    best, runs = None, []
    for r in range(cfg.runs):
        s = seed * 1000 + task.task * 10 + r
        model, va, vl = train_dense_run(task, cfg, s, log)
        runs.append(dict(seed=s, val_acc=va, val_loss=vl))
        if best is None or (va, -vl) > (best[1], -best[2]):
            best = (model, va, vl, s)
    return best[0], best[3], runs


@dataclasses.dataclass
class TaskResult:
    task: int
    name: str
    dense_seed: int
    runs: list
    dense_test: float
    dense_valid: float
    quant_test: float  # quantized, no pruning
    pruned_test: float
    pruned_valid: float
    lam: float
    thresholds: list
    pruning_rate: float
    layer_rates: list
    empty_rows: float
    sweep: list
    quant: dict
    sigma: float
    seconds: float
    model: object = None
    th: object = None
    qspec: object = None


def run_task(task_id, cfg, seed=0, babi_dir=None, log=print):
    t0 = time.time()
    task = babi.load_task(task_id, babi_dir, cfg.dense.memory_size)
    log(f"bAbI task {task_id} ({task.name}): {len(task.train)} train, {len(task.valid)} valid, "
        f"{len(task.test)} test questions; vocabulary {len(task.vocab)}, memory {task.memory_size}, "
        f"sentence {task.sentence_len} words")
    dense, dseed, runs = train_dense(task, cfg.dense, seed, log)
    wl = MemN2NWorkload(task, cfg.dense)
    test_b = eval_batches(task.test, task.memory_size)
    val_b = eval_batches(task.valid, task.memory_size)
    train_b = eval_batches(task.train, task.memory_size)
    d_test = evaluate(wl, dense, test_b).accuracy
    d_val = evaluate(wl, dense, val_b).accuracy
    bits = (cfg.bits, cfg.bits, cfg.bits)
    quant0, init, sigma = calibrate(wl, dense, train_b, bits, quantile=cfg.prune.init_quantile)
    q_test = evaluate(wl, dense, test_b, quant=quant0).accuracy
    log(f"  dense: test {d_test:.4f}, valid {d_val:.4f}; quantized {cfg.bits}-bit: test {q_test:.4f}; "
        f"score sigma {sigma:.3f}")
    sweep, cands = [], []
    for lam in cfg.lambdas:
        model = copy.deepcopy(dense)
        pc = dataclasses.replace(cfg.prune, lam=lam)
        th, hist = learn_thresholds(wl, model, pc, init, sigma, seed=seed * 1000 + task_id)
        quant, _, _ = calibrate(wl, model, train_b, bits)
        fits(th, quant, [model.d] * model.hops)
        v = evaluate(wl, model, val_b, thresholds=th, quant=quant)
        sweep.append(dict(lam=lam, valid_acc=v.accuracy, valid_pruning=v.pruning_rate,
                          thresholds=[float(x) for x in th.as_array()[:, 0]]))
        log(f"  lambda {lam:g}: valid accuracy {v.accuracy:.4f}, pruning {v.pruning_rate:.3f}, "
            f"thresholds {sweep[-1]['thresholds']}")
        cands.append((lam, model, th, quant, v))
    ok = [c for c in cands if c[4].accuracy >= d_val - cfg.max_valid_drop - 1e-9]
    if ok:
        lam, model, th, quant, v = max(ok, key=lambda c: (c[4].pruning_rate, c[4].accuracy))
    else:  # none keeps the accuracy: the most accurate
        lam, model, th, quant, v = max(cands, key=lambda c: (c[4].accuracy, c[4].pruning_rate))
    t = evaluate(wl, model, test_b, thresholds=th, quant=quant)
    log(f"  chosen lambda {lam:g}: test accuracy dense {d_test:.4f} -> pruned {t.accuracy:.4f}, pruning "
        f"{t.pruning_rate:.3f} (per hop {[round(x, 3) for x in t.layer_rates]}), empty rows {t.empty_rows:.3f} "
        f"({time.time() - t0:.0f}s)")
    return TaskResult(task_id, task.name, dseed, runs, d_test, d_val, q_test, t.accuracy, v.accuracy, lam,
                      [float(x) for x in th.as_array()[:, 0]], t.pruning_rate, t.layer_rates, t.empty_rows,
                      sweep, dict(scale_q=quant.scale_q[:, 0].tolist(), scale_k=quant.scale_k[:, 0].tolist(),
                                  scale_v=quant.scale_v[:, 0].tolist()),
                      sigma, time.time() - t0, model, th, quant), task
