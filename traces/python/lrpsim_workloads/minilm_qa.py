"""all-MiniLM-L6-v2 fine-tuned on bAbI question answering, with learned thresholds.

The input is one BERT sentence pair, "[CLS] story [SEP] question [SEP]" (token types 0 then 1): the
story is the statements before the question, lower-cased words as lrpsim_workloads.babi reads them,
each ended with a full stop, and when the pair would exceed `max_tokens` word pieces the oldest
statements are dropped (the recorded `support_kept` says how often a supporting fact was lost). The
answer is one class over the training file's answers (a linear head on the [CLS] hidden state).

Recipe (CPU, one thread, deterministic for a seed):
1. dense fine-tune of the whole encoder (word embeddings frozen: the bAbI vocabulary is tiny and the
   Adam state of 11.7M embedding weights would double the step time) and the head: AdamW, linear
   warm-up over 10% of the steps then linear decay, `epochs` over the training split;
2. thresholds learned jointly with the weights as the paper does (lrpsim_workloads.prune: task
   cross-entropy + lambda x soft survivor fraction + the empty-row term, T annealed), one lambda;
3. test accuracy dense (float), quantized (integer Q/K/V, no pruning) and pruned (integer comparator),
   each at 8 and 12 bits (scales calibrated on training inputs at each width; the thresholds are the
   same real numbers);
4. a trace of the first test questions at `bits`.
"""

import copy
import dataclasses
import math
import os
import platform
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from lrpsim_export.attention import Session
from lrpsim_export.models.minilm import (MiniLM, PACKAGE, PACKAGE_VERSION, WEIGHTS_SHA256, default_model_dir,
                                         load_encoder, pad_batch)

from . import babi
from .export import generator_meta, write as write_trace
from .prune import PruneConfig, Workload, calibrate, evaluate, fits, learn_thresholds


@dataclasses.dataclass
class QAConfig:
    max_tokens: int = 64
    train: int = 384  # the first training questions used (0: the whole training split, 900 of the 1k
    # set); a subset because the project's CI machines have 2 shared cores and no GPU
    epochs: int = 6
    batch_size: int = 16
    lr: float = 2e-4
    weight_decay: float = 0.01
    prune: PruneConfig = dataclasses.field(default_factory=lambda: PruneConfig(
        lam=0.2, epochs=1, lr_threshold=0.1, lr_weights=2e-5, t_start=0.5, t_end=0.01, init_quantile=0.3,
        max_grad_norm=1.0, cosine_weights=True))
    bits: int = 8
    eval_bits: tuple = (8, 12)
    trace_inputs: int = 1
    calib: int = 256  # training questions for the quantization scales and the thresholds' start


class MiniLMQA(nn.Module):
    """forward(ids, lengths, token_types) -> answer logits; attention through lrp_session."""

    lrp_builtin = True
    name = "all-MiniLM-L6-v2-qa"
    causal = False

    def __init__(self, encoder, answers):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.emb_ln.normalized_shape[0], answers)
        self.num_layers, self.num_heads = encoder.num_layers, encoder.num_heads
        self.lrp_session = None

    def forward(self, ids, lengths, token_types):
        x = self.encoder.hidden(ids, lengths, self.lrp_session or Session("dense"), token_types)
        return self.head(x[:, 0])


def encode_pair(tok, q, max_tokens):
    """(ids, token types, statements kept, every supporting fact kept) of one bAbI question."""
    qids = tok.encode(" ".join(q.query) + " ?")
    room = max_tokens - 3 - len(qids)
    sents = [tok.encode(" ".join(s) + " .") for s in q.memories]
    keep = 0
    used = 0
    for s in reversed(sents):
        if used + len(s) > room:
            break
        used += len(s)
        keep += 1
    story = [i for s in sents[len(sents) - keep:] for i in s]
    ids = [tok.cls] + story + [tok.sep] + qids + [tok.sep]
    tt = [0] * (len(story) + 2) + [1] * (len(qids) + 1)
    kept_ids = set(q.memory_ids[len(sents) - keep:])
    return ids[:max_tokens], tt[:max_tokens], keep, all(s in kept_ids for s in q.support)


class QAData:
    def __init__(self, questions, tok, answers, max_tokens):
        enc = [encode_pair(tok, q, max_tokens) for q in questions]
        self.ids = [e[0] for e in enc]
        self.tt = [e[1] for e in enc]
        self.support_kept = sum(e[3] for e in enc) / max(len(enc), 1)
        self.tokens = [len(e[0]) for e in enc]
        self.labels = torch.tensor([answers.get(q.answer, -1) for q in questions], dtype=torch.long)
        self.questions = questions

    def __len__(self):
        return len(self.ids)

    def batch(self, idx):
        idx = list(idx)
        ids, lengths = pad_batch([self.ids[i] for i in idx])
        tt, _ = pad_batch([self.tt[i] for i in idx])
        return ids, lengths, tt, self.labels[idx]

    def batches(self, bs=64):
        return [self.batch(range(i, min(i + bs, len(self)))) for i in range(0, len(self), bs)]


class QAWorkload(Workload):
    empty_row = "keep_max"

    def __init__(self, data, batch_size, layers, heads):
        self.data, self.bs = data, batch_size
        self.layers, self.heads = layers, heads

    def forward(self, model, b):
        return model(b[0], b[1], b[2])

    def loss(self, logits, b):
        return F.cross_entropy(logits, b[3])

    def correct(self, logits, b):
        return int((logits.argmax(-1) == b[3]).sum())

    def size(self, b):
        return int(b[3].shape[0])

    def train_batches(self, epoch, gen):
        perm = torch.randperm(len(self.data), generator=gen).tolist()
        return [self.data.batch(perm[i:i + self.bs]) for i in range(0, len(perm) - self.bs + 1, self.bs)]


def train_dense(model, wl, cfg, seed, log):
    """AdamW over everything but the word embeddings, linear warm-up (10%) and linear decay."""
    gen = torch.Generator().manual_seed(seed)
    model.encoder.emb_word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    per_epoch = len(wl.data) // cfg.batch_size
    total, warm = cfg.epochs * per_epoch, max(cfg.epochs * per_epoch // 10, 1)
    step, t0 = 0, time.time()
    model.train()
    for e in range(cfg.epochs):
        tot = 0.0
        for b in wl.train_batches(e, gen):
            lr = cfg.lr * ((step + 1) / warm if step < warm else max(total - step, 0) / max(total - warm, 1))
            for g in opt.param_groups:
                g["lr"] = lr
            loss = wl.loss(wl.forward(model, b), b)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            tot += float(loss)
            step += 1
        log(f"    dense epoch {e}: train loss {tot / per_epoch:.4f} ({time.time() - t0:.0f}s)")
    model.eval()


def run_task(task, cfg, seed, babi_dir, out, command, log=print, model_dir=None):
    """Fine-tune, learn thresholds, evaluate and write minilm-babi-qaN.npz; returns the result dict."""
    torch.manual_seed(seed)
    t_start = time.time()
    babi_dir = babi_dir or babi.default_babi_dir()
    tr_path, te_path = babi.task_file(babi_dir, task, "train"), babi.task_file(babi_dir, task, "test")
    train_q, test_q = babi.read_questions(tr_path), babi.read_questions(te_path)
    n_train = len(train_q) - int(round(len(train_q) * 0.1))  # the last 10% are MemN2N's validation split
    train_q = train_q[:n_train]
    if cfg.train:
        train_q = train_q[:cfg.train]
    answers = {a: i for i, a in enumerate(sorted({q.answer for q in train_q}))}
    model_dir = model_dir or default_model_dir()
    enc, tok, _ = load_encoder(model_dir)
    train = QAData(train_q, tok, answers, cfg.max_tokens)
    test = QAData(test_q, tok, answers, cfg.max_tokens)
    model = MiniLMQA(enc, len(answers))
    wl = QAWorkload(train, cfg.batch_size, enc.num_layers, enc.num_heads)
    log(f"MiniLM on bAbI task {task}: {len(train)} train, {len(test)} test questions, {len(answers)} answers; "
        f"at most {cfg.max_tokens} tokens (mean {sum(test.tokens) / len(test):.1f} test), every supporting "
        f"fact kept for {100 * test.support_kept:.1f}% of the test questions")
    t0 = time.time()
    train_dense(model, wl, cfg, seed, log)
    dense_seconds = time.time() - t0
    test_b = test.batches()
    calib_b = train.batches()[: max(cfg.calib // 64, 1)]
    dense = evaluate(wl, model, test_b).accuracy
    log(f"  dense test accuracy {dense:.4f} ({dense_seconds:.0f}s)")
    quant = {}
    for b in cfg.eval_bits:
        qs, _, _ = calibrate(wl, model, calib_b, (b, b, b))
        quant[b] = evaluate(wl, model, test_b, quant=qs).accuracy
    _, init, sigma = calibrate(wl, model, calib_b, (cfg.bits,) * 3, quantile=cfg.prune.init_quantile)
    log(f"  quantized, no pruning: {quant}; score sigma {sigma:.3f}")
    pruned_model = copy.deepcopy(model)
    t0 = time.time()
    th, history = learn_thresholds(wl, pruned_model, cfg.prune, init, sigma, seed=seed * 1000 + 1, log=log)
    prune_seconds = time.time() - t0
    pruned, qspecs = {}, {}
    for b in cfg.eval_bits:
        qs, _, _ = calibrate(wl, pruned_model, calib_b, (b, b, b))
        fits(th, qs, [enc.head_size] * enc.num_layers)
        pruned[b] = evaluate(wl, pruned_model, test_b, thresholds=th, quant=qs)
        qspecs[b] = qs
        log(f"  pruned {b}-bit: test accuracy {pruned[b].accuracy:.4f}, pruning {pruned[b].pruning_rate:.4f} "
            f"{[round(x, 3) for x in pruned[b].layer_rates]}, empty rows {pruned[b].empty_rows:.4f}")
    total_seconds = time.time() - t_start
    p = pruned[cfg.bits]
    where = (f"CPU only: {os.cpu_count()}-core machine shared with other jobs, 1 torch thread, torch "
             f"{torch.__version__}, Python {platform.python_version()}")
    meta = {
        "model": "all-MiniLM-L6-v2",
        "task": f"babi-qa{task}",
        "source": (f"bAbI tasks_1-20_v1-2 en (1k set, CC BY 3.0), {os.path.basename(te_path)}: test questions "
                   f"0-{cfg.trace_inputs - 1}; one input per question: [CLS] story [SEP] question [SEP], at most "
                   f"{cfg.max_tokens} word pieces (oldest statements dropped)"),
        "synthetic": False,
        "bits_q": cfg.bits, "bits_k": cfg.bits, "bits_v": cfg.bits,
        "causal": False,
        "threshold_granularity": "layer",
        "metric": {"name": "accuracy", "higher_is_better": True, "dense": dense, "quantized": quant[cfg.bits],
                   "pruned": p.accuracy, "eval_inputs": len(test),
                   "by_bits": {str(b): {"quantized": quant[b], "pruned": pruned[b].accuracy,
                                        "pruning_rate": pruned[b].pruning_rate} for b in cfg.eval_bits},
                   "note": "test accuracy on the task's 1000 test questions. dense: fine-tuned float model; "
                           "quantized: the same weights, integer Q/K/V, no pruning; pruned: weights and "
                           "thresholds trained together, integer Q/K/V, the integer comparator"},
        "weights": {"package": f"{PACKAGE}=={PACKAGE_VERSION}", "file": "model.safetensors", "sha256": WEIGHTS_SHA256},
        "generator": generator_meta(
            command, seed, workload=f"minilm babi {task}", **{"lambda": cfg.prune.lam},
            eval_pruning_rate=p.pruning_rate, eval_pruning_rate_per_layer=p.layer_rates,
            max_tokens=cfg.max_tokens, train_questions=len(train), epochs=cfg.epochs, batch_size=cfg.batch_size,
            lr=cfg.lr, prune_epochs=cfg.prune.epochs, prune_lr_weights=cfg.prune.lr_weights,
            empty_weight=cfg.prune.empty_weight,
            temperature=[cfg.prune.t_start, cfg.prune.t_end, "x sigma", sigma],
            support_kept_test=test.support_kept, threshold_history=history,
            training_seconds={"dense_finetune": round(dense_seconds, 1), "thresholds": round(prune_seconds, 1),
                              "total_with_evaluation": round(total_seconds, 1)},
            training_where=where),
    }
    inputs = [test.batch([i]) for i in range(cfg.trace_inputs)]
    path = os.path.join(out, f"minilm-babi-qa{task}.npz")
    counts, preds = write_trace(path, pruned_model, lambda m, b: m(b[0], b[1], b[2]), inputs, th, qspecs[cfg.bits],
                                meta, "keep_max")
    return {
        "task": task, "name": babi.TASK_NAMES[task], "trace": os.path.basename(path),
        "trace_bytes": os.path.getsize(path), "dense": dense, "quantized": quant,
        "pruned": {b: pruned[b].accuracy for b in cfg.eval_bits},
        "pruning_rate": {b: pruned[b].pruning_rate for b in cfg.eval_bits},
        "layer_pruning_rates": p.layer_rates, "empty_rows": p.empty_rows, "lambda": cfg.prune.lam,
        "thresholds": [float(x) for x in th.as_array()[:, 0]], "seconds": round(total_seconds, 1),
        "dense_seconds": round(dense_seconds, 1), "prune_seconds": round(prune_seconds, 1),
        "support_kept": test.support_kept,
    }


def main(argv=None):
    """python3 -m lrpsim_workloads.minilm_qa --tasks 1 2 3 6 16 --out traces/data"""
    import argparse
    import json
    import shlex
    import sys
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python3 -m lrpsim_workloads.minilm_qa",
                                description="Fine-tune all-MiniLM-L6-v2 on bAbI tasks with learned thresholds "
                                            "and write minilm-babi-qaN.npz traces.")
    p.add_argument("--tasks", type=int, nargs="+", default=[1, 2, 3, 6, 16])
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--babi-dir")
    p.add_argument("--epochs", type=int, help="dense fine-tuning epochs (default 6)")
    p.add_argument("--train", type=int, help="training questions (default 384; 0: all 900)")
    p.add_argument("--max-tokens", type=int, help="word pieces per input (default 64)")
    p.add_argument("--lambda", dest="lam", type=float, help="regularizer weight (default 0.2)")
    p.add_argument("--report", help="append the results as JSON lines here")
    a = p.parse_args(argv)
    if not os.path.isdir(a.out):
        print(f"lrpsim_workloads.minilm_qa: --out {a.out}: not a folder", file=sys.stderr)
        return 1
    for t in a.tasks:
        if not 1 <= t <= 20:
            print(f"lrpsim_workloads.minilm_qa: --tasks {t}: expected 1..20", file=sys.stderr)
            return 1
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    cfg = QAConfig()
    if a.epochs:
        cfg.epochs = a.epochs
    if a.train is not None:
        cfg.train = a.train
    if a.max_tokens:
        cfg.max_tokens = a.max_tokens
    if a.lam is not None:
        cfg.prune.lam = a.lam
    command = "python3 -m lrpsim_workloads.minilm_qa " + " ".join(shlex.quote(x) for x in argv)
    for t in a.tasks:
        r = run_task(t, cfg, a.seed, a.babi_dir, a.out, command)
        line = json.dumps(r, sort_keys=True)
        print(line, flush=True)
        if a.report:
            with open(a.report, "a") as f:
                f.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
