"""A small vision transformer on MNIST with learned thresholds per layer.

28x28 images cut into 7x7 patches: 16 patch tokens and a class token, width 64, 4 pre-norm
encoder layers of 4 heads of 16, MLP 128 with GELU, learned position embeddings; the class
token's final state is classified. Attention goes through an lrpsim_export Session when one is
attached (the model sets `lrp_builtin`); the score is the usual q.k / sqrt(16), so q and k are
stored as the model computes them.
"""

import dataclasses
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .prune import PruneConfig, Workload

MEAN, STD = 0.1307, 0.3081


class Block(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x, layer, session):
        B, N, D = x.shape
        H = self.heads
        q, k, v = self.qkv(self.ln1(x)).view(B, N, 3, H, D // H).permute(2, 0, 3, 1, 4)
        if session is not None:
            o = session.attend(q, k, v, causal=False, layer=layer)
        else:
            a = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D // H), dim=-1)
            o = torch.matmul(a, v)
        x = x + self.proj(o.transpose(1, 2).reshape(B, N, D))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class ViT(nn.Module):
    lrp_builtin = True

    def __init__(self, patch=7, dim=64, depth=4, heads=4, mlp=128, classes=10):
        super().__init__()
        self.patch, self.num_heads, self.depth = patch, heads, depth
        self.tokens = (28 // patch) ** 2 + 1
        self.embed = nn.Linear(patch * patch, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, self.tokens, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)
        self.lrp_session = None

    def forward(self, img):
        """img: float [B, 28, 28], normalized."""
        B = img.shape[0]
        p = self.patch
        x = img.view(B, 28 // p, p, 28 // p, p).permute(0, 1, 3, 2, 4).reshape(B, -1, p * p)
        x = torch.cat([self.cls.expand(B, -1, -1), self.embed(x)], dim=1) + self.pos
        for i, blk in enumerate(self.blocks):
            x = blk(x, i, self.lrp_session)
        return self.head(self.norm(x[:, 0]))


@dataclasses.dataclass
class ViTConfig:
    patch: int = 7
    dim: int = 64
    depth: int = 4
    heads: int = 4
    mlp: int = 128
    epochs: int = 6
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup_epochs: float = 0.5
    valid: int = 5000  # the last images of the training file, for choosing lambda
    prune: PruneConfig = dataclasses.field(default_factory=lambda: PruneConfig(
        epochs=2, lr_threshold=0.02, lr_weights=1e-4, t_start=0.5, t_end=0.01, init_quantile=0.05,
        max_grad_norm=1.0, cosine_weights=True))
    prune_train: int = 30000  # training images per epoch of threshold learning
    lambdas: tuple = (0.05, 0.1, 0.2, 0.4)
    max_valid_drop: float = 0.002
    bits: int = 8
    trace_inputs: int = 4


def to_tensor(images):
    return (torch.from_numpy(np.asarray(images, dtype=np.float32) / 255.0) - MEAN) / STD


class ViTWorkload(Workload):
    empty_row = "keep_max"

    def __init__(self, cfg, x_train, y_train, batch_size=None, per_epoch=None):
        self.cfg = cfg
        self.layers, self.heads = cfg.depth, cfg.heads
        self.x, self.y = x_train, y_train
        self.bs = batch_size or cfg.batch_size
        self.per_epoch = per_epoch

    def forward(self, model, b):
        return model(b[0])

    def loss(self, logits, b):
        return F.cross_entropy(logits, b[1])

    def correct(self, logits, b):
        return int((logits.argmax(-1) == b[1]).sum())

    def size(self, b):
        return int(b[1].shape[0])

    def train_batches(self, epoch, gen):
        N = self.x.shape[0]
        perm = torch.randperm(N, generator=gen)
        if self.per_epoch:
            perm = perm[:self.per_epoch]
        return [(self.x[perm[i:i + self.bs]], self.y[perm[i:i + self.bs]])
                for i in range(0, len(perm) - self.bs + 1, self.bs)]


def batches(x, y, bs=1000):
    return [(x[i:i + bs], y[i:i + bs]) for i in range(0, x.shape[0], bs)]


def train_dense(cfg, x, y, seed, log=None):
    """AdamW with linear warm-up and cosine decay, cross-entropy, no augmentation."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = ViT(cfg.patch, cfg.dim, cfg.depth, cfg.heads, cfg.mlp)
    wl = ViTWorkload(cfg, x, y)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and n not in ("pos", "cls")]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and n not in ("pos", "cls"))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr)
    steps_per_epoch = x.shape[0] // cfg.batch_size
    total, warm = cfg.epochs * steps_per_epoch, int(cfg.warmup_epochs * steps_per_epoch)
    step, t0 = 0, time.time()
    for e in range(cfg.epochs):
        model.train()
        tot = 0.0
        for b in wl.train_batches(e, gen):
            lr = cfg.lr * (step + 1) / warm if step < warm else \
                cfg.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(total - warm, 1)))
            for g in opt.param_groups:
                g["lr"] = lr
            loss = F.cross_entropy(model(b[0]), b[1])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            tot += float(loss)
            step += 1
        if log:
            log(f"    epoch {e}: train loss {tot / steps_per_epoch:.4f} ({time.time() - t0:.0f}s)")
    model.eval()
    return model
