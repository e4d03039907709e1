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


def test_training_split_holds_out_validation():
    from lrpsim_workloads.minilm_qa import split_training
    qs = list(range(1000))
    train, valid = split_training(qs)
    assert valid == list(range(900, 1000)) and train == list(range(900))
    train, valid = split_training(qs, 32)
    assert train == list(range(32)) and valid == list(range(900, 1000)) and not set(train) & set(valid)


def test_validation_score_order():
    from lrpsim_workloads.minilm_qa import better
    assert better((0.9, 0.5), None)
    assert better((0.9, 0.5), (0.8, 0.1))  # accuracy first
    assert better((0.9, 0.4), (0.9, 0.5))  # then the lower loss
    assert not better((0.9, 0.5), (0.9, 0.5)) and not better((0.8, 0.0), (0.9, 1.0))


class _Lengths:
    def __init__(self, tokens):
        self.tokens = tokens

    def __len__(self):
        return len(self.tokens)

    def batch(self, idx):
        return list(idx)


@pytest.mark.parametrize("n", [96, 250, 1000])
def test_bucketed_batches(n):
    from lrpsim_workloads.minilm_qa import QAWorkload
    g = torch.Generator().manual_seed(1)
    tokens = torch.randint(8, 64, (n,), generator=g).tolist()
    wl = QAWorkload(_Lengths(tokens), 16, 6, 12)
    plain = wl.train_batches(0, torch.Generator().manual_seed(3))
    bucketed = wl.train_batches(0, torch.Generator().manual_seed(3), bucket=True)
    # the same questions (each at most once, the ragged tail dropped), the same batch size
    assert sorted(i for b in bucketed for i in b) == sorted(i for b in plain for i in b)
    assert len({i for b in bucketed for i in b}) == len(bucketed) * 16 == (n // 16) * 16
    assert all(len(b) == 16 for b in bucketed)
    # and less padding: each batch pads to its longest question
    pad = lambda bs: sum(16 * max(tokens[i] for i in b) - sum(tokens[i] for i in b) for b in bs)
    assert pad(bucketed) < pad(plain) / 2


def test_choose_max_tokens(minilm, babi_dir):
    from lrpsim_workloads import babi
    from lrpsim_workloads.minilm_qa import choose_max_tokens, encode_pair, split_training
    d = babi.default_babi_dir()
    chosen = {}
    for task in (1, 3):
        train, _ = split_training(babi.read_questions(babi.task_file(d, task, "train")))
        mt = chosen[task] = choose_max_tokens(minilm.tokenizer, train)
        kept = [sum(encode_pair(minilm.tokenizer, q, m)[3] for q in train) / len(train) for m in (mt, mt // 2)]
        assert kept[0] >= 0.99 and (mt == 64 or kept[1] < 0.99)
    assert chosen == {1: 64, 3: 256}  # task 3's stories are long (results/minilm-babi/accuracy.md)


def test_full_recipe_small_case(model_dir, babi_dir, tmp_path):
    """The full recipe end to end on a small case: two learning rates, each run's best validation
    epoch, the better run's weights kept (its validation accuracy measured again), a valid trace."""
    import dataclasses
    from lrpsim_export.tracefile import Trace
    from lrpsim_workloads import minilm_qa as mq
    torch.set_num_threads(1)
    cfg = mq.full_recipe(mq.QAConfig())
    cfg = dataclasses.replace(cfg, train=32, test=32, epochs=2, lrs=(1e-4, 3e-4), patience=1, calib=32,
                              prune=dataclasses.replace(cfg.prune, epochs=1))
    r = mq.run_task(1, cfg, 0, None, str(tmp_path), "test", log=lambda *_: None, model_dir=model_dir)
    s = r["schedule"]
    assert [g["lr"] for g in s["grid"]] == [1e-4, 3e-4] and r["max_tokens"] == 64 and r["train_questions"] == 32
    for g in s["grid"]:
        best = max(g["history"], key=lambda h: (h[2], -h[3]))
        assert (g["best_epoch"], g["valid_accuracy"]) == (best[0], best[2])
    chosen = max(s["grid"], key=lambda g: (g["valid_accuracy"], -g["valid_loss"], -g["lr"]))
    assert s["lr"] == chosen["lr"] and s["epoch"] == chosen["best_epoch"]
    assert r["dense_valid"] == pytest.approx(s["valid_accuracy"])
    with Trace(str(tmp_path / "minilm-babi-qa1.npz")) as t:
        assert t.meta["generator"]["recipe"] == "full" and t.meta["generator"]["lr"] == s["lr"]
        assert t.meta["metric"]["eval_inputs"] == 32
    _frontier_small_case(r, model_dir, babi_dir, tmp_path)


def _frontier_small_case(r, model_dir, babi_dir, tmp_path):
    """The MiniLM frontier on the small case's report (r, run_task's results): it makes the chosen
    dense model again (the same test answers), writes the dense trace and LeOPArd's, and measures
    each grid point on the disjoint validation (the training file's last 100) and test (32) splits."""
    import json
    from lrpsim_export.tracefile import Trace
    from lrpsim_workloads import frontier as fr
    from lrpsim_workloads import minilm_frontier as mf
    rep = tmp_path / "report.jsonl"
    rep.write_text(json.dumps(r) + "\n")
    cfgs = []
    for name, text in {"leopard": "name: leopard\noperating_points: {knob: lambda, values: [0.2]}\n",
                       "spatten": "name: spatten\npruning: {policy: spatten, msb_bits: 6, requant_threshold: 0.05, "
                                  "keep_fraction: 0.2}\noperating_points: {knob: pruning.keep_fraction, "
                                  "values: [0.1, 0.5]}\n"}.items():
        p = tmp_path / f"{name}.yaml"
        p.write_text(text)
        cfgs.append(str(p))
    traces = tmp_path / "fr"
    doc = mf.frontier(1, cfgs, report=str(rep), traces_out=str(traces), babi_dir=babi_dir, test=32,
                      model_dir=model_dir, log=lambda *_: None)
    assert doc["schema"] == fr.SCHEMA and doc["workload"] == "minilm-babi-qa1" and doc["reproduced"]
    assert doc["dense"]["test"]["metric"] == pytest.approx(r["dense"])
    assert doc["dense"]["validation"]["metric"] == pytest.approx(r["dense_valid"])
    assert doc["splits"]["validation"]["first"] == 900 and doc["splits"]["validation"]["count"] == 100
    assert doc["splits"]["test"]["count"] == 32
    fr.check_disjoint(doc)
    for split, n in (("validation", 100), ("test", 32)):
        e = doc["dense"][split]
        assert e["questions"] == n and fr.unpack(e["correct"], n).mean() == pytest.approx(e["metric"])
    lp, sp = doc["designs"][0]["points"], doc["designs"][1]["points"]
    assert [p["value"] for p in lp] == [0.2] and [p["value"] for p in sp] == [0.1, 0.5]
    assert sp[0]["test"]["pruning_rate"] > sp[1]["test"]["pruning_rate"]  # keeping fewer keys prunes more
    assert all(p["trace"] == doc["dense_trace"] for p in sp)
    with Trace(doc["dense_trace"]) as t:
        assert t.meta["thresholds"] == "none" and t.meta["generator"]["recipe"] == "full"
    with Trace(lp[0]["trace"]) as t:
        assert t.meta["thresholds"] == "learned" and t.meta["generator"]["lam"] == 0.2
        assert lp[0]["test"]["pruning_rate"] > 0
    # A report whose dense accuracy this model does not reproduce stops the run, unless allowed.
    bad = dict(r, dense=r["dense"] + 0.5)
    rep.write_text(json.dumps(bad) + "\n")
    with pytest.raises(mf.ExportError, match="expected the same model"):
        mf.frontier(1, cfgs[1:], report=str(rep), traces_out=str(traces), babi_dir=babi_dir, test=32,
                    model_dir=model_dir, log=lambda *_: None)


def _row(task, dense, valid=0.97):
    grid = [{"lr": 1e-4, "best_epoch": 4, "valid_accuracy": valid, "valid_loss": 0.1, "history": [[0]] * 7},
            {"lr": 3e-4, "best_epoch": 1, "valid_accuracy": 0.5, "valid_loss": 1.0, "history": [[0]] * 4}]
    return {"task": task, "name": "single-supporting-fact" if task == 1 else "x", "dense": dense,
            "dense_valid": valid, "max_tokens": 64, "pruned": {"8": dense - 0.01, "12": dense},
            "pruning_rate": {"8": 0.5, "12": 0.5}, "seconds": 600.0,
            "schedule": {"lr": 1e-4, "epoch": 4, "valid_accuracy": valid, "max_epochs": 15, "patience": 3,
                         "grid": grid}}


def test_accuracy_report(repo, tmp_path):
    import json
    from lrpsim_workloads import minilm_qa as mq
    data = os.path.join(repo, "traces", "data")
    rep = tmp_path / "r.jsonl"
    one_rate = _row(2, 0.6)
    one_rate["schedule"]["grid"] = one_rate["schedule"]["grid"][:1]  # trained with --lr 1e-4 alone
    rep.write_text(json.dumps(_row(1, 0.5)) + "\n" + json.dumps(_row(1, 0.99)) + "\n"  # the last line wins
                   + json.dumps(one_rate) + "\n")
    out = tmp_path / "a.md"
    quick_dir = os.path.join(repo, "results", "minilm-babi", "quick")
    assert mq.main(["report", str(rep), str(out), "--data", data, "--quick", quick_dir]) == 0
    text = out.read_text()
    memn2n = {w["key"]: w["dense_accuracy"] for w in json.load(open(os.path.join(data, "workloads.json")))["workloads"]}
    from lrpsim_export.tracefile import Trace
    with Trace(os.path.join(quick_dir, "minilm-babi-qa1.npz")) as t:
        q = t.meta["metric"]["dense"]
    bundled = [e for e in json.load(open(os.path.join(data, "MANIFEST.json")))["traces"]
               if e["file"] == "minilm-babi-qa1.npz"][0]
    recipe = "full" if "--recipe full" in bundled["command"] else "quick"
    m = memn2n["memn2n/babi-qa1"]
    assert (f"| 1 single-supporting-fact | {100 * m:.1f} | {100 * q:.1f} | 99.0 | {100 * (0.99 - m):+.1f} | 97.0 | "
            f"0.0001, 5 | 64 | 98.0 | 50.0 | 10 min | {recipe} |") in text
    assert "Not trained yet with the full recipe: tasks 3, 4," in text and "| 1 | 97.0 (epoch 5 of 7) | 50.0 (epoch 2 of 4) |" in text
    assert "| 2 | 97.0 (epoch 5 of 7) | not run |" in text
    rep.write_text("{not json\n")
    assert mq.main(["report", str(rep), str(tmp_path / "b.md"), "--data", data, "--quick", quick_dir]) == 1
    assert not (tmp_path / "b.md").exists()


def test_accuracy_report_refuses_a_full_trace_as_quick(repo, tmp_path, capsys):
    """The quick column reads only quick fine-tunes' traces: a full-recipe trace in that folder is refused."""
    import json
    import shutil
    from lrpsim_workloads import minilm_qa as mq
    data = os.path.join(repo, "traces", "data")
    shutil.copy(os.path.join(repo, "results", "minilm-babi", "traces", "minilm-babi-qa1.npz"), tmp_path)
    rep = tmp_path / "r.jsonl"
    rep.write_text(json.dumps(_row(1, 0.99)) + "\n")
    assert mq.main(["report", str(rep), str(tmp_path / "a.md"), "--data", data, "--quick", str(tmp_path)]) == 1
    assert "generator.recipe 'full': expected a quick fine-tune's trace" in capsys.readouterr().err
    assert not (tmp_path / "a.md").exists()


@pytest.mark.parametrize("command, want", [
    ("python3 -m lrpsim_workloads.minilm_qa --tasks 1 --out x", "quick"),
    ("python3 -m lrpsim_workloads.minilm_qa --recipe full --tasks 1 --out x", "full"),
    ("python3 -m lrpsim_workloads.minilm_qa --recipe=full --tasks 1 --out x", "full"),
    ("python3 -m lrpsim_workloads.minilm_qa --recipe quick --tasks 1 --out x", "quick"),
])
def test_bundled_recipe(command, want):
    from lrpsim_workloads import minilm_qa as mq
    assert mq.bundled_recipe({"command": command}) == want


def test_lr_grid_needs_full_recipe(tmp_path, capsys):
    from lrpsim_workloads import minilm_qa as mq
    assert mq.main(["--tasks", "1", "--out", str(tmp_path), "--lr", "1e-4", "3e-4"]) == 1
    assert "--lr 0.0001 0.0003: a grid of rates is chosen on the validation split" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("lines, want", [
    ([], "no line for task 1"),
    ([{"task": 1, "recipe": "quick", "schedule": {"lr": 2e-4, "epochs": 6}}], "expected the full recipe's line"),
    ([{"task": 2, "recipe": "full", "schedule": {"lr": 1e-4, "epoch": 3}}], "no line for task 1"),
])
def test_frontier_report_row_refused(tmp_path, lines, want):
    import json
    from lrpsim_workloads import minilm_frontier as mf
    rep = tmp_path / "r.jsonl"
    rep.write_text("".join(json.dumps(x) + "\n" for x in lines))
    with pytest.raises(mf.ExportError, match=want):
        mf.report_row(str(rep), 1)


def test_frontier_report_row_last_wins(tmp_path):
    import json
    from lrpsim_workloads import minilm_frontier as mf
    rep = tmp_path / "r.jsonl"
    rows = [{"task": 1, "recipe": "full", "schedule": {"lr": lr, "epoch": 3}} for lr in (3e-4, 1e-4)]
    rep.write_text("".join(json.dumps(x) + "\n" for x in rows) + "{broken\n")
    with pytest.raises(mf.ExportError, match=r"r.jsonl:3: expected a JSON object per line"):
        mf.report_row(str(rep), 1)
    rep.write_text("".join(json.dumps(x) + "\n" for x in rows))
    assert mf.report_row(str(rep), 1)["schedule"]["lr"] == 1e-4
