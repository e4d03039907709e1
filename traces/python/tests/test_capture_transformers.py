"""Capture hooks on transformers models (BERT, ALBERT, GPT-2, ViT), built from small configs with
random weights: the attention recomputed from the captured Q, K and V matches the model's own
(context, and each layer's attention probabilities within 1e-5), and a trace exported from the
hooked model passes validation by the exporter and by `lrpsim trace validate`. The whole module is
skipped, with that reason, where transformers is not installed; CI runs it in the .venv that
ci/install-python.sh builds (transformers 4.49.0)."""

import math
import os
import subprocess
import types

import pytest
import torch

from lrpsim_export.attention import QuantSpec, Session
from lrpsim_export.capture import attached, capture, find_attention

from lrpsim_export.attention import allowed_mask
from lrpsim_export.export import record_hard, self_check, write_records
from lrpsim_export.learn import Thresholds
from lrpsim_export.quantize import scales_from_absmax
from lrpsim_export.tracefile import validate_trace

from test_capture import check_records

# -- transformers (skipped when it is not installed) ----------------------------------------------

transformers = pytest.importorskip("transformers", reason="transformers is not installed: the BERT, ALBERT, "
                                   "GPT-2 and ViT capture tests need it (pip install transformers)")


def _hf(kind):
    torch.manual_seed(0)
    T = transformers
    if kind == "bert":
        cfg = T.BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                           intermediate_size=64, max_position_embeddings=64)
        return T.BertModel(cfg), 3
    if kind == "albert":
        cfg = T.AlbertConfig(vocab_size=100, embedding_size=16, hidden_size=32, num_hidden_layers=3,
                             num_attention_heads=4, intermediate_size=64, max_position_embeddings=64)
        return T.AlbertModel(cfg), 3
    if kind == "gpt2":
        cfg = T.GPT2Config(vocab_size=100, n_embd=32, n_layer=2, n_head=4, n_positions=64)
        return T.GPT2Model(cfg), 2
    cfg = T.ViTConfig(image_size=16, patch_size=4, num_channels=3, hidden_size=32, num_hidden_layers=2,
                      num_attention_heads=4, intermediate_size=64)
    return T.ViTModel(cfg), 2


def _inputs(kind, B=2, n=10):
    if kind == "vit":
        return {"pixel_values": torch.randn(B, 3, 16, 16)}
    return {"input_ids": torch.randint(0, 100, (B, n))}


def _set_eager(model):
    for attr in ("_attn_implementation", "attn_implementation"):
        if hasattr(model.config, attr):
            try:
                setattr(model.config, attr, "eager")
            except Exception:
                pass


@pytest.mark.parametrize("kind", ["bert", "albert", "gpt2", "vit"])
def test_transformers_capture(kind):
    model, layers = _hf(kind)
    model.eval()
    inp = _inputs(kind)
    with torch.no_grad():
        want = model(**inp).last_hidden_state
        with capture(model) as cap:
            got = model(**inp).last_hidden_state
    torch.testing.assert_close(got, want)
    check_records(cap.records, layers)
    assert all(r.causal == (kind == "gpt2") for r in cap.records[0])
    # hard mode at 16 bits without pruning replaces the context and reproduces the model
    spec = QuantSpec(16, 16, 16, *(torch.full((layers, 4), 12.0 / 32767, dtype=torch.float64),) * 3)
    with torch.no_grad(), attached(model, Session("hard", quant=spec)):
        hard = model(**inp).last_hidden_state
    torch.testing.assert_close(hard, want, atol=5e-3, rtol=1e-2)


def test_transformers_found_by_structure():
    model, _ = _hf("bert")
    kinds = [k for _, k, _, _ in find_attention(model)]
    assert kinds == ["qkv"] * 3


def test_bert_padded_batch():
    model, layers = _hf("bert")
    model.eval()
    ids = torch.randint(0, 100, (2, 8))
    mask = torch.tensor([[1] * 8, [1] * 5 + [0] * 3])
    with torch.no_grad(), capture(model, valid_lengths=mask.sum(1)) as cap:
        model(input_ids=ids, attention_mask=mask)
    check_records(cap.records, layers)
    assert cap.records[0][0].valid_k.tolist() == [8, 5]


def test_soft_mode_trains_thresholds_through_hooks():
    from lrpsim_export.learn import Thresholds
    model, layers = _hf("gpt2")
    model.eval()
    th = Thresholds.constant(layers, 4, 0.0)
    s = Session("soft", thresholds=th, temperature=0.3)
    with attached(model, s):
        out = model(**_inputs("gpt2")).last_hidden_state
        (out.pow(2).mean() + s.soft_keep_fraction()).backward()
    assert th.value.grad is not None and float(th.value.grad.abs().sum()) > 0
    assert model.h[0].attn.c_attn.weight.grad is not None


def _probs(r):
    """[B, H, n, m] softmax(q.k / sqrt(d)) over the allowed keys of a captured record."""
    s = torch.matmul(r.q.double(), r.k.double().transpose(-1, -2)) / math.sqrt(r.q.shape[-1])
    ok = allowed_mask(r.q.shape[2], r.k.shape[2], r.valid_q, r.valid_k, r.causal)
    return torch.softmax(s.masked_fill(~ok, float("-inf")), dim=-1)


@pytest.mark.parametrize("kind", ["bert", "albert", "gpt2", "vit"])
def test_transformers_attention_probabilities(kind):
    """Each layer's probabilities recomputed from the captured Q and K equal the model's own
    (output_attentions, eager attention) within 1e-5."""
    model, layers = _hf(kind)
    _set_eager(model)
    model.eval()
    inp = _inputs(kind)
    with torch.no_grad(), capture(model) as cap:
        out = model(**inp, output_attentions=True)
    assert len(out.attentions) == layers == len(cap.records[0])
    for r, want in zip(cap.records[0], out.attentions):
        got = _probs(r)
        assert got.shape == want.shape
        err = float((got - want.double()).abs().max())
        assert err < 1e-5, f"{kind} layer {r.layer}: probabilities differ by {err}"


def _lrpsim_binary(go, repo, tmp):
    exe = os.path.join(tmp, "lrpsim")
    subprocess.run([go, "build", "-o", exe, "./cmd/lrpsim"], cwd=repo, check=True)
    return exe


@pytest.fixture(scope="module")
def lrpsim_exe(go, repo, tmp_path_factory):
    return _lrpsim_binary(go, repo, str(tmp_path_factory.mktemp("lrpsim")))


@pytest.mark.parametrize("kind", ["bert", "albert", "gpt2", "vit"])
def test_transformers_export_validates(kind, tmp_path, lrpsim_exe):
    """A hard-mode trace of the hooked model (8 bits, threshold 0 on every layer) is written,
    re-read pair for pair by the exporter, and accepted by `lrpsim trace validate`."""
    model, layers = _hf(kind)
    model.eval()
    torch.manual_seed(1)
    inputs = [{k: v[:1] for k, v in _inputs(kind).items()} for _ in range(2)]
    with torch.no_grad(), capture(model) as cap:
        for x in inputs:
            model(**x)
    amax = {p: torch.zeros(layers, 4, dtype=torch.float64) for p in "qkv"}
    for fwd in cap.records:
        for r in fwd:
            for p in "qkv":
                a = getattr(r, p).double().abs().amax(dim=(0, 2, 3))
                amax[p][r.layer] = torch.maximum(amax[p][r.layer], a)
    spec = QuantSpec(8, 8, 8, *(scales_from_absmax(amax[p].amax(1, keepdim=True).expand(layers, 4), 8)
                                for p in "qkv"))
    th = Thresholds.constant(layers, 4, 0.0)
    task = types.SimpleNamespace(trace_inputs=inputs, run=lambda m, b: m(**b), valid_lengths=lambda b: None)
    records = record_hard(task, model, th, spec)
    path = str(tmp_path / f"{kind}.npz")
    meta = {"model": f"transformers-{kind}-random", "task": "capture-test", "source": "random inputs",
            "synthetic": False, "bits_q": 8, "bits_k": 8, "bits_v": 8, "causal": kind == "gpt2",
            "empty_row": "keep_max", "threshold_granularity": "layer"}
    counts = write_records(path, records, meta, th.as_array(), spec)
    assert counts[:, 1].sum() > 0 and 0 < counts[:, 0].sum() < counts[:, 1].sum()  # threshold 0 prunes some
    self_check(path, records)
    validate_trace(path).close()
    out = subprocess.run([lrpsim_exe, "trace", "validate", path], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
