"""all-MiniLM-L6-v2 fine-tuned on bAbI question answering, with learned thresholds.

The input is one BERT sentence pair, "[CLS] story [SEP] question [SEP]" (token types 0 then 1): the
story is the statements before the question, lower-cased words as lrpsim_workloads.babi reads them,
each ended with a full stop, and when the pair would exceed `max_tokens` word pieces the oldest
statements are dropped (the recorded `support_kept` says how often a supporting fact was lost). The
answer is one class over the training file's answers (a linear head on the [CLS] hidden state).

Recipe (CPU, one thread, deterministic for a seed):
1. dense fine-tune of the whole encoder (word embeddings frozen: the bAbI vocabulary is tiny and the
   Adam state of 11.7M embedding weights would double the step time) and the head: AdamW, linear
   warm-up over 10% of the steps then linear decay, `epochs` over the training split. The default
   ("quick") recipe trains on the first 384 questions for 6 epochs, which two shared cores afford in
   CI; the "full" recipe (`--recipe full`, issue 26) trains on the whole training split (900
   questions), chooses the learning rate from a grid and the epoch from the validation split (the
   training file's last 100 questions, never trained on; early stopping with patience), and sizes
   `max_tokens` so that every supporting fact stays in the input (`choose_max_tokens`);
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

from lrpsim_export.errors import ExportError
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
    # The full recipe's schedule search (empty lrs: `lr` alone, the final epoch's weights kept).
    lrs: tuple = ()
    patience: int = 0  # epochs without a better validation accuracy before stopping (0: never)
    bucket: bool = False  # batches of similar length (less padding; the full recipe's)
    recipe: str = "quick"
    test: int = 0  # the first test questions evaluated (0: all 1000; a small case in tests)


def full_recipe(cfg):
    """The full recipe (issue 26): the whole training split, the learning rate and the epoch chosen
    on the validation split, batches bucketed by length; max_tokens is chosen per task (0 here)."""
    return dataclasses.replace(cfg, train=0, epochs=15, lrs=(1e-4, 3e-4), patience=3, bucket=True, max_tokens=0,
                               recipe="full")


MAX_TOKENS_STEPS = (64, 128, 256, 512)


def choose_max_tokens(tok, questions, need=0.99):
    """The smallest of MAX_TOKENS_STEPS at which every supporting fact stays in the input for at least
    `need` of the (training) questions; the largest when none does."""
    for mt in MAX_TOKENS_STEPS:
        kept = sum(encode_pair(tok, q, mt)[3] for q in questions) / max(len(questions), 1)
        if kept >= need:
            return mt
    return MAX_TOKENS_STEPS[-1]


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

    def labels(self, b):
        return b[3]  # -1 for an answer never seen in training: always wrong

    def size(self, b):
        return int(b[3].shape[0])

    def train_batches(self, epoch, gen, bucket=False):
        """Shuffled batches of `bs` questions (a ragged last one dropped); with `bucket`, each run of 8
        batches' worth of shuffled questions is sorted by length before it is cut, and the batches
        are shuffled again, so a batch pads to little more than its own length."""
        perm = torch.randperm(len(self.data), generator=gen).tolist()
        cuts = [perm[i:i + self.bs] for i in range(0, len(perm) - self.bs + 1, self.bs)]
        if bucket:
            span = 8 * self.bs
            n = len(cuts) * self.bs
            cuts = []
            for i in range(0, n, span):
                chunk = sorted(perm[i:min(i + span, n)], key=lambda j: (self.data.tokens[j], j))
                cuts += [chunk[k:k + self.bs] for k in range(0, len(chunk), self.bs)]
            order = torch.randperm(len(cuts), generator=gen).tolist()
            cuts = [cuts[k] for k in order]
        return [self.data.batch(c) for c in cuts]


def validation_score(model, wl, batches):
    """(accuracy, mean cross-entropy) of the float model on the validation batches."""
    model.eval()
    correct = total = 0
    loss = 0.0
    with torch.no_grad():
        for b in batches:
            logits = wl.forward(model, b)
            correct += wl.correct(logits, b)
            total += wl.size(b)
            # an answer never seen in training is labelled -1: wrong, and out of the loss
            loss += float(F.cross_entropy(logits, b[3], reduction="sum", ignore_index=-1))
    model.train()
    return correct / max(total, 1), loss / max(total, 1)


def better(a, b):
    """Whether validation score a = (accuracy, loss) beats b: higher accuracy, then lower loss."""
    return b is None or a[0] > b[0] or (a[0] == b[0] and a[1] < b[1])


def train_dense(model, wl, cfg, seed, log, lr=None, valid=None):
    """AdamW over everything but the word embeddings, linear warm-up (10%) and linear decay over
    `cfg.epochs`. With `valid` batches: the validation score after each epoch, the best epoch's
    weights restored at the end, and a stop after `cfg.patience` epochs without a better one.
    Returns the history, one (epoch, train loss, validation accuracy, validation loss) per epoch,
    and the epoch whose weights were kept (None without `valid`)."""
    lr = cfg.lr if lr is None else lr
    gen = torch.Generator().manual_seed(seed)
    model.encoder.emb_word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=cfg.weight_decay)
    per_epoch = len(wl.data) // cfg.batch_size
    total, warm = cfg.epochs * per_epoch, max(cfg.epochs * per_epoch // 10, 1)
    step, t0 = 0, time.time()
    history, best, best_state, best_epoch, since = [], None, None, None, 0
    model.train()
    for e in range(cfg.epochs):
        tot = 0.0
        for b in wl.train_batches(e, gen, cfg.bucket):
            rate = lr * ((step + 1) / warm if step < warm else max(total - step, 0) / max(total - warm, 1))
            for g in opt.param_groups:
                g["lr"] = rate
            loss = wl.loss(wl.forward(model, b), b)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            tot += float(loss)
            step += 1
        score = validation_score(model, wl, valid) if valid else (None, None)
        history.append([e, round(tot / per_epoch, 5), score[0], None if score[1] is None else round(score[1], 5)])
        vtxt = f", validation accuracy {score[0]:.3f} loss {score[1]:.4f}" if valid else ""
        log(f"    dense epoch {e} (lr {lr:g}): train loss {tot / per_epoch:.4f}{vtxt} ({time.time() - t0:.0f}s)")
        if valid:
            if better(score, best):
                best, best_state, best_epoch, since = score, copy.deepcopy(model.state_dict()), e, 0
            else:
                since += 1
                if cfg.patience and since >= cfg.patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history, best_epoch


def fine_tune(enc, answers, wl, cfg, seed, log, valid):
    """The dense model: one run at cfg.lr, or (cfg.lrs) one run per learning rate from the same
    start, the best validation score kept (ties: the earlier rate). Returns (model, schedule record)."""
    if not cfg.lrs:
        model = MiniLMQA(enc, len(answers))
        hist, _ = train_dense(model, wl, cfg, seed, log, valid=valid)
        return model, {"lr": cfg.lr, "epochs": cfg.epochs, "history": hist}
    runs, chosen = [], None
    for lr in cfg.lrs:
        torch.manual_seed(seed)
        model = MiniLMQA(copy.deepcopy(enc), len(answers))
        hist, kept = train_dense(model, wl, cfg, seed, log, lr=lr, valid=valid)
        best = hist[kept]  # the restored weights' epoch (unrounded scores decided it)
        runs.append({"lr": lr, "best_epoch": best[0], "valid_accuracy": best[2], "valid_loss": best[3],
                     "history": hist})
        if chosen is None or better((best[2], best[3]), (chosen[1]["valid_accuracy"], chosen[1]["valid_loss"])):
            chosen = (model, runs[-1])
        else:
            del model
    model, rec = chosen
    log(f"  chosen on validation: lr {rec['lr']:g}, epoch {rec['best_epoch']} (validation accuracy "
        f"{rec['valid_accuracy']:.3f})")
    return model, {"lr": rec["lr"], "epoch": rec["best_epoch"], "valid_accuracy": rec["valid_accuracy"],
                   "max_epochs": cfg.epochs, "patience": cfg.patience, "grid": runs}


def split_training(questions, train=0):
    """(training, validation) questions of a task's training file: the last 10% validate (MemN2N's
    validation split, never trained on) and the first `train` of the rest train (0: all of them)."""
    n_train = len(questions) - int(round(len(questions) * 0.1))
    head = questions[:n_train]
    return (head[:train] if train else head), questions[n_train:]


@dataclasses.dataclass
class TaskData:
    """A task's splits encoded for MiniLM, the pretrained encoder and the config (max_tokens set)."""
    cfg: QAConfig
    enc: object
    answers: dict
    train: QAData
    valid: QAData
    test: QAData
    wl: QAWorkload
    train_path: str
    test_path: str


def task_data(task, cfg, babi_dir=None, model_dir=None):
    """The splits of a bAbI task as run_task uses them: the training file's last 10% validate, the
    test file's first cfg.test (all) questions test; max_tokens chosen when cfg leaves it 0."""
    babi_dir = babi_dir or babi.default_babi_dir()
    tr_path, te_path = babi.task_file(babi_dir, task, "train"), babi.task_file(babi_dir, task, "test")
    train_q, test_q = babi.read_questions(tr_path), babi.read_questions(te_path)
    if cfg.test:
        test_q = test_q[:cfg.test]
    train_q, valid_q = split_training(train_q, cfg.train)
    answers = {a: i for i, a in enumerate(sorted({q.answer for q in train_q}))}
    enc, tok, _ = load_encoder(model_dir or default_model_dir())
    if not cfg.max_tokens:
        cfg = dataclasses.replace(cfg, max_tokens=choose_max_tokens(tok, train_q))
    train = QAData(train_q, tok, answers, cfg.max_tokens)
    return TaskData(cfg, enc, answers, train, QAData(valid_q, tok, answers, cfg.max_tokens),
                    QAData(test_q, tok, answers, cfg.max_tokens),
                    QAWorkload(train, cfg.batch_size, enc.num_layers, enc.num_heads), tr_path, te_path)


def run_task(task, cfg, seed, babi_dir, out, command, log=print, model_dir=None):
    """Fine-tune, learn thresholds, evaluate and write minilm-babi-qaN.npz; returns the result dict."""
    torch.manual_seed(seed)
    t_start = time.time()
    d = task_data(task, cfg, babi_dir, model_dir)
    cfg, enc, answers, train, valid, test, wl = d.cfg, d.enc, d.answers, d.train, d.valid, d.test, d.wl
    te_path = d.test_path
    log(f"MiniLM on bAbI task {task} ({cfg.recipe} recipe): {len(train)} train, {len(valid)} validation, "
        f"{len(test)} test questions, {len(answers)} answers; at most {cfg.max_tokens} tokens (mean "
        f"{sum(test.tokens) / len(test):.1f} test), every supporting fact kept for {100 * test.support_kept:.1f}% "
        f"of the test questions")
    t0 = time.time()
    model, schedule = fine_tune(enc, answers, wl, cfg, seed, log,
                                valid.batches() if cfg.recipe == "full" else None)
    dense_seconds = time.time() - t0
    test_b = test.batches()
    calib_b = train.batches()[: max(cfg.calib // 64, 1)]
    dense = evaluate(wl, model, test_b).accuracy
    dense_valid = evaluate(wl, model, valid.batches()).accuracy
    log(f"  dense test accuracy {dense:.4f}, validation {dense_valid:.4f} ({dense_seconds:.0f}s)")
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
                   "note": f"test accuracy on the task's first {len(test)} test questions. dense: fine-tuned float model; "
                           "quantized: the same weights, integer Q/K/V, no pruning; pruned: weights and "
                           "thresholds trained together, integer Q/K/V, the integer comparator"},
        "weights": {"package": f"{PACKAGE}=={PACKAGE_VERSION}", "file": "model.safetensors", "sha256": WEIGHTS_SHA256},
        "generator": generator_meta(
            command, seed, workload=f"minilm babi {task}", **{"lambda": cfg.prune.lam},
            eval_pruning_rate=p.pruning_rate, eval_pruning_rate_per_layer=p.layer_rates,
            max_tokens=cfg.max_tokens, train_questions=len(train), epochs=cfg.epochs, batch_size=cfg.batch_size,
            lr=schedule["lr"], recipe=cfg.recipe, schedule=schedule, dense_valid=dense_valid,
            prune_epochs=cfg.prune.epochs, prune_lr_weights=cfg.prune.lr_weights,
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
        "support_kept": test.support_kept, "recipe": cfg.recipe, "max_tokens": cfg.max_tokens,
        "train_questions": len(train), "dense_valid": dense_valid, "schedule": schedule, "where": where,
    }


def bundled_recipe(entry):
    """The recipe of a bundled MiniLM bAbI trace, from the command in its manifest entry."""
    import shlex
    argv = shlex.split(entry.get("command") or "")
    for i, x in enumerate(argv):
        if x == "--recipe" and i + 1 < len(argv):
            return argv[i + 1]
        if x.startswith("--recipe="):
            return x.split("=", 1)[1]
    return "quick"  # the option's default


def quick_accuracies(folder):
    """{trace file: dense test accuracy} of the quick fine-tunes' traces kept in folder
    (results/minilm-babi/quick: the suite's MiniLM bAbI traces before the full recipe replaced them)."""
    from lrpsim_export.tracefile import Trace
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.startswith("minilm-babi-qa") and name.endswith(".npz"):
            with Trace(os.path.join(folder, name)) as t:
                if (t.meta.get("generator") or {}).get("recipe", "quick") != "quick":
                    raise ValueError(f"{os.path.join(folder, name)}: generator.recipe "
                                     f"{t.meta['generator']['recipe']!r}: expected a quick fine-tune's trace")
                out[name] = t.meta["metric"]["dense"]
    return out


def accuracy_report(rows, workloads, manifest, quick, command):
    """Markdown: per task, the full recipe's dense test accuracy (rows: run_task's results) beside
    MemN2N's (workloads: traces/data/workloads.json) and the quick fine-tune's (quick: {trace file:
    accuracy}, quick_accuracies), with the recipe of the bundled trace (manifest:
    traces/data/MANIFEST.json) and the schedule chosen on validation."""
    memn2n = {w["key"]: w["dense_accuracy"] for w in workloads["workloads"] if w["key"].startswith("memn2n/")}
    bundled = {e["file"]: bundled_recipe(e) for e in manifest["traces"] if e["file"].startswith("minilm-babi-qa")}
    rows = sorted(rows, key=lambda r: r["task"])
    pct = lambda x: "" if x is None else f"{100 * x:.1f}"
    at8 = lambda d: d.get("8", d.get(8))  # JSON lines key widths as strings
    out = ["# MiniLM fine-tuned on bAbI: the full recipe against MemN2N", "",
           f"<!-- Generated by `{command}`; do not edit by hand. -->", "",
           "all-MiniLM-L6-v2 fine-tuned on each bAbI task's whole training split (900 questions; the last 100 "
           "of the training file validate and are never trained on), the learning rate chosen from a grid and "
           "the epoch by early stopping, both on validation, the input long enough to keep every supporting "
           "fact (`python3 -m lrpsim_workloads.minilm_qa --recipe full`, issue 26). Test accuracy on the task's "
           "1000 test questions, in percent. *quick*: the quick recipe's model (the first 384 questions, 6 "
           "epochs, 64 tokens, what two shared CI cores afford), whose traces the suite bundled before "
           "(kept in results/minilm-babi/quick). *MemN2N*: the suite's dense model (traces/data/WORKLOADS.md). "
           "*pruned*: weights and thresholds trained together at lambda 0.2, integer Q/K/V at 8 bits, the "
           "integer comparator. *bundled*: the recipe of the suite's trace traces/data/minilm-babi-qaN.npz "
           "(from its command in traces/data/MANIFEST.json).", "",
           "| task | MemN2N | MiniLM quick | MiniLM full | full - MemN2N (pts) | validation | lr, epoch (from 1) | max tokens | "
           "pruned 8-bit | pruning | training | bundled |",
           "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|"]
    for r in rows:
        t = r["task"]
        m, q = memn2n.get(f"memn2n/babi-qa{t}"), quick.get(f"minilm-babi-qa{t}.npz")
        b = bundled.get(f"minilm-babi-qa{t}.npz", "")
        s = r["schedule"]
        diff = "" if m is None else f"{100 * (r['dense'] - m):+.1f}"
        out.append(f"| {t} {r['name']} | {pct(m)} | {pct(q)} | {pct(r['dense'])} | {diff} | {pct(r['dense_valid'])} | "
                   f"{s['lr']:g}, {'' if s.get('epoch') is None else s['epoch'] + 1} | {r['max_tokens']} | {pct(at8(r['pruned']))} | "
                   f"{pct(at8(r['pruning_rate']))} | "
                   f"{r['seconds'] / 60:.0f} min | {b} |")
    missing = [t for t in range(1, 21) if t not in {r["task"] for r in rows}]
    if missing:
        out += ["", f"Not trained yet with the full recipe: tasks {', '.join(map(str, missing))} "
                    "(`results/minilm-babi/regen.sh N...`; hours on one CPU core, minutes on a GPU)."]
    # the learning rates any task searched (a task trained with fewer, --lr, leaves the others blank)
    lrs = sorted({g["lr"] for r in rows for g in r["schedule"].get("grid") or []})
    if lrs:
        out += ["", "Schedule search, per task and learning rate: the best validation accuracy and its epoch "
                    "(counted from 1; early stopping after "
                f"{rows[0]['schedule']['patience']} epochs without a better one, at most "
                f"{rows[0]['schedule']['max_epochs']}); *not run*: a rate that task's training left out (`--lr`).", "",
                "| task | " + " | ".join(f"lr {lr:g}" for lr in lrs) + " |",
                "|---|" + "---:|" * len(lrs)]
        for r in rows:
            by_lr = {g["lr"]: g for g in r["schedule"].get("grid") or []}
            cells = [f"{pct(g['valid_accuracy'])} (epoch {g['best_epoch'] + 1} of {len(g['history'])})"
                     if g else "not run" for g in (by_lr.get(lr) for lr in lrs)]
            out.append(f"| {r['task']} | " + " | ".join(cells) + " |")
    where = {r.get("where") for r in rows} - {None}
    out += ["", f"Trained on {sorted(where)[0] if where else 'CPU, one torch thread'}; the trained weights are "
                "not committed."]
    return "\n".join(out) + "\n"


def write_report(argv):
    """python3 -m lrpsim_workloads.minilm_qa report REPORT.jsonl OUT.md: accuracy_report of the JSON lines
    (the last line of each task wins), written atomically."""
    import argparse
    import json
    import sys
    p = argparse.ArgumentParser(prog="python3 -m lrpsim_workloads.minilm_qa report")
    p.add_argument("report")
    p.add_argument("out")
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "data"),
                   help="the bundled traces' folder (workloads.json, MANIFEST.json)")
    p.add_argument("--quick", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "results",
                                                   "minilm-babi", "quick"),
                   help="the quick fine-tunes' traces (default results/minilm-babi/quick)")
    a = p.parse_args(argv)
    rows = {}
    try:
        with open(a.report, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        r = json.loads(line)
                        rows[r["task"]] = r
                    except (ValueError, KeyError, TypeError) as e:
                        raise ValueError(f"{a.report}:{n}: expected a JSON object of run_task's results "
                                         f"with a task ({e})") from None
        with open(os.path.join(a.data, "workloads.json"), encoding="utf-8") as f:
            workloads = json.load(f)
        with open(os.path.join(a.data, "MANIFEST.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        quick = quick_accuracies(a.quick)
    except (OSError, ValueError, KeyError, ExportError) as e:
        print(f"lrpsim_workloads.minilm_qa report: {e}", file=sys.stderr)
        return 1
    text = accuracy_report(list(rows.values()), workloads, manifest, quick,
                           "python3 -m lrpsim_workloads.minilm_qa report " + " ".join(argv))
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, a.out)
    return 0


def main(argv=None):
    """python3 -m lrpsim_workloads.minilm_qa --tasks 1 2 3 6 16 --out traces/data"""
    import argparse
    import json
    import shlex
    import sys
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["report"]:
        return write_report(argv[1:])
    if argv[:1] == ["frontier"]:
        from .minilm_frontier import main as frontier_main
        return frontier_main(argv[1:])
    p = argparse.ArgumentParser(prog="python3 -m lrpsim_workloads.minilm_qa",
                                description="Fine-tune all-MiniLM-L6-v2 on bAbI tasks with learned thresholds "
                                            "and write minilm-babi-qaN.npz traces.")
    p.add_argument("--tasks", type=int, nargs="+", default=[1, 2, 3, 6, 16])
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--babi-dir")
    p.add_argument("--epochs", type=int, help="dense fine-tuning epochs (default 6)")
    p.add_argument("--train", type=int, help="training questions (default 384; 0: all 900)")
    p.add_argument("--max-tokens", type=int, help="word pieces per input (default 64; full recipe: the "
                                                  "smallest of 64, 128, 256, 512 keeping the supporting facts)")
    p.add_argument("--lambda", dest="lam", type=float, help="regularizer weight (default 0.2)")
    p.add_argument("--recipe", choices=["quick", "full"], default="quick",
                   help="quick (default): the first 384 questions, 6 epochs, 64 tokens, lr 2e-4 (CI's budget); "
                        "full: the whole training split, learning rate and epoch chosen on validation, max "
                        "tokens sized to keep the supporting facts (hours on one CPU core)")
    p.add_argument("--lr", type=float, nargs="+", help="learning rate (several: a grid chosen on validation)")
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
    cfg = QAConfig() if a.recipe == "quick" else full_recipe(QAConfig())
    if a.lr:
        if a.recipe == "quick" and len(a.lr) > 1:
            print(f"lrpsim_workloads.minilm_qa: --lr {' '.join(map(str, a.lr))}: a grid of rates is chosen on the "
                  "validation split, which only --recipe full uses; expected one rate", file=sys.stderr)
            return 1
        if a.recipe == "quick":
            cfg.lr = a.lr[0]
        else:
            cfg.lrs = tuple(a.lr)
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
