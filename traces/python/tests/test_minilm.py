"""all-MiniLM-L6-v2 in plain torch (lrpsim_export.models.minilm) against its references: the weights'
sha256, the tokenizer against the package's tokenizer.json (tokenizers), the hidden states and the
attention probabilities against transformers' BertModel on the same weights, and the model card's
similarity example. Skipped, with the reason, where the package or transformers is missing; CI runs
them in the .venv that ci/install-python.sh builds."""

import math
import os
import subprocess

import pytest
import torch

from lrpsim_export.attention import allowed_mask
from lrpsim_export.capture import capture
from lrpsim_export.errors import ModelFileError
from lrpsim_export.models import minilm as mm

# The sentence-transformers quickstart (sbert.net, "Quickstart"), run with all-MiniLM-L6-v2, prints
# model.similarity(embeddings, embeddings) for these three sentences as
# [[1.0000, 0.6660, 0.1046], [0.6660, 1.0000, 0.1411], [0.1046, 0.1411, 1.0000]].
CARD_SENTENCES = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
CARD_SIMILARITIES = {(0, 1): 0.6660, (0, 2): 0.1046, (1, 2): 0.1411}

TEXTS = CARD_SENTENCES + [
    "Mary moved to the bathroom. John went to the hallway. Where is Mary?",
    "Lily is a swan. Bernhard is green. What color is Greg?",
    "naïve café Ünïcode 東京 x--y (a, b) it's [MASK]",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
]


@pytest.fixture(scope="module")
def model_dir():
    try:
        d = mm.default_model_dir()
    except ModelFileError as e:
        pytest.skip(str(e))
    if not os.path.exists(os.path.join(d, "model.safetensors")):
        pytest.skip(f"{d}: no model.safetensors")
    return d


@pytest.fixture(scope="module")
def minilm(model_dir):
    return mm.MiniLM.load(model_dir)


@pytest.fixture(scope="module")
def hf_bert(model_dir):
    transformers = pytest.importorskip("transformers", reason="transformers is not installed (ci/install-python.sh "
                                       "puts transformers 4.49.0 in .venv)")
    return transformers.BertModel.from_pretrained(model_dir, attn_implementation="eager").eval()


def test_weights_sha256(model_dir):
    assert mm.sha256_file(os.path.join(model_dir, "model.safetensors")) == mm.WEIGHTS_SHA256


def test_shape_from_weights(minilm):
    enc = minilm.encoder
    assert (enc.num_layers, enc.num_heads, enc.head_size, enc.max_positions) == (6, 12, 32, 512)
    assert sum(p.numel() for p in enc.parameters()) == 22_565_376  # BertModel without its pooler


def test_tokenizer_matches_tokenizer_json(model_dir, minilm, babi_dir):
    tokenizers = pytest.importorskip("tokenizers", reason="tokenizers is not installed (.venv has it)")
    ref = tokenizers.Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    ref.no_padding()
    ref.no_truncation()
    from lrpsim_export.data import babi_passages
    texts = TEXTS + babi_passages(babi_dir, "test", 40)
    for t in texts:
        assert minilm.token_ids(t, 100000) == ref.encode(t).ids, t


def test_hidden_states_match_transformers(minilm, hf_bert):
    ids, lengths = minilm.tokenize(TEXTS)
    mask = (torch.arange(ids.shape[1])[None] < lengths[:, None]).long()
    with torch.no_grad():
        want = hf_bert(input_ids=ids, attention_mask=mask).last_hidden_state
        got = minilm.hidden(ids, lengths)
    for i, n in enumerate(lengths.tolist()):
        err = float((got[i, :n] - want[i, :n]).abs().max())
        assert err < 1e-5, f"input {i}: hidden states differ by {err}"


def test_attention_probabilities_match_transformers(minilm, hf_bert):
    """Q and K captured from the plain-torch model give transformers' attention probabilities."""
    ids, lengths = minilm.tokenize(TEXTS[:4])
    mask = (torch.arange(ids.shape[1])[None] < lengths[:, None]).long()
    with torch.no_grad():
        want = hf_bert(input_ids=ids, attention_mask=mask, output_attentions=True).attentions
        with capture(minilm) as cap:
            minilm(ids, lengths)
    assert len(cap.records[0]) == len(want) == 6
    for r, w in zip(cap.records[0], want):
        s = torch.matmul(r.q.double(), r.k.double().transpose(-1, -2)) / math.sqrt(32)
        ok = allowed_mask(r.q.shape[2], r.k.shape[2], r.valid_q, r.valid_k, False)
        p = torch.softmax(s.masked_fill(~ok, float("-inf")), dim=-1)
        for i, n in enumerate(lengths.tolist()):
            err = float((p[i, :, :n, :n] - w[i, :, :n, :n].double()).abs().max())
            assert err < 1e-5, f"layer {r.layer} input {i}: probabilities differ by {err}"


def test_capture_matches_transformers_adapter(minilm, hf_bert):
    """The transformers adapter on BertModel and the built-in model record the same Q, K and V."""
    ids, lengths = minilm.tokenize(TEXTS[:3])
    mask = (torch.arange(ids.shape[1])[None] < lengths[:, None]).long()
    with torch.no_grad():
        with capture(minilm) as ours:
            minilm(ids, lengths)
        with capture(hf_bert, valid_lengths=lengths) as theirs:
            hf_bert(input_ids=ids, attention_mask=mask)
    for a, b in zip(ours.records[0], theirs.records[0]):
        for i, n in enumerate(lengths.tolist()):
            for p in "qkv":
                err = float((getattr(a, p)[i, :, :n] - getattr(b, p)[i, :, :n]).abs().max())
                assert err < 1e-5, f"layer {a.layer} {p}: {err}"


def test_model_card_similarities(minilm):
    with torch.no_grad():
        e = minilm.embed(CARD_SENTENCES)
    sim = (e @ e.T).double()
    for (i, j), want in CARD_SIMILARITIES.items():
        assert round(float(sim[i, j]), 4) == want, f"similarity {i},{j}: {float(sim[i, j]):.6f}, card {want}"
    torch.testing.assert_close(sim.diagonal(), torch.ones(3, dtype=torch.float64), atol=1e-6, rtol=0)


@pytest.mark.parametrize("cut, what", [(4, "truncated safetensors"), (100, "runs past the end")])
def test_truncated_weights_file(tmp_path, model_dir, cut, what):
    with open(os.path.join(model_dir, "model.safetensors"), "rb") as f:
        head = f.read(cut)
    p = tmp_path / "model.safetensors"
    p.write_bytes(head)
    with pytest.raises(ModelFileError, match=what):
        mm.read_safetensors(str(p))


def test_wrong_weights_refused(tmp_path, model_dir):
    d = tmp_path / "model"
    d.mkdir()
    for f in ("config.json", "vocab.txt"):
        (d / f).write_bytes(open(os.path.join(model_dir, f), "rb").read())
    (d / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    with pytest.raises(ModelFileError, match="sha256"):
        mm.load_encoder(str(d))


def test_long_inputs_are_exact_length(minilm, babi_dir):
    from lrpsim_export.tasks import concatenated_passages
    seqs = concatenated_passages(babi_dir, "test", 2, 510, minilm.tokenizer.encode)
    assert [len(s) for s in seqs] == [510, 510] and seqs[0] != seqs[1]


def test_qa_pair_keeps_recent_statements(minilm):
    from lrpsim_workloads.babi import Question
    from lrpsim_workloads.minilm_qa import encode_pair
    tok = minilm.tokenizer
    mems = [["mary", "went", "to", "the", "kitchen"], ["john", "moved", "to", "the", "garden"],
            ["mary", "travelled", "to", "the", "office"]]
    q = Question(0, 4, mems, ["where", "is", "mary"], "office", [3], [1, 2, 3])
    ids, tt, kept, support = encode_pair(tok, q, 64)
    assert kept == 3 and support and ids[0] == tok.cls and ids[-1] == tok.sep
    assert tt.count(1) == len(tok.encode("where is mary ?")) + 1 and len(tt) == len(ids)
    # statements are 6 word pieces each, the question 4, plus [CLS] and two [SEP]: 21 holds two
    ids, tt, kept, support = encode_pair(tok, q, 21)
    assert kept == 2 and support and len(ids) == 19
    q.support = [1]
    assert not encode_pair(tok, q, 21)[3]


def test_export_cli_minilm_refuses_long_length(repo, model_dir, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.join(repo, "traces", "python"))
    import sys
    out = subprocess.run([sys.executable, "-m", "lrpsim_export", "export", "minilm", "--length", "600",
                          "--out", str(tmp_path / "x.npz")], capture_output=True, text=True, env=env, cwd=repo)
    assert out.returncode == 1 and "--length 600: expected 3..512" in out.stderr
    assert not (tmp_path / "x.npz").exists()
