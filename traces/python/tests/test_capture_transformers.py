"""Capture hooks on transformers models (BERT, ALBERT, GPT-2, ViT), built from small configs with
random weights: the attention recomputed from the captured Q, K and V matches the model's own. The
whole module is skipped, with that reason, where transformers is not installed."""

import pytest
import torch

from lrpsim_export.attention import QuantSpec, Session
from lrpsim_export.capture import attached, capture, find_attention

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
