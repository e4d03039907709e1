"""The workload suite (lrpsim_workloads): MemN2N on bAbI task 1 trained end to end with learned
thresholds, in a stated band; its trace; the building blocks; and the committed suite traces.

CI band for bAbI task 1 (seed 0, one dense run, lambda 0.1; about 20 s on one thread):
dense test accuracy >= 0.97, pruned >= 0.97 and at most 1.5 points below dense, pruning rate in
[0.80, 0.90] (a question keeps about one of the task's 10 memory slots per hop; 0.90 is one of ten),
empty rows <= 5%.
"""

import gzip
import json
import math
import os
import struct

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: the workload suite tests need PyTorch")
np = pytest.importorskip("numpy", reason="numpy is not installed")

from lrpsim_export.tracefile import Trace, head_pruning, validate_trace  # noqa: E402

from lrpsim_workloads import babi, memn2n, mnist  # noqa: E402
from lrpsim_workloads.babi_task import BabiConfig, DenseConfig, run_task  # noqa: E402

BAND = dict(dense_min=0.97, pruned_min=0.97, max_drop=0.015, pruning=(0.80, 0.90), empty_max=0.05)


def _ci_config():
    return BabiConfig(dense=DenseConfig(runs=1), lambdas=(0.1,))


@pytest.fixture(scope="module")
def task1(babi_dir):
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    lines = []
    r, task = run_task(1, _ci_config(), seed=0, babi_dir=babi_dir, log=lines.append)
    return r, task, lines


def test_babi_task1_in_band(task1):
    r, task, lines = task1
    msg = "\n".join(lines)
    assert r.dense_test >= BAND["dense_min"], msg
    assert r.pruned_test >= BAND["pruned_min"], msg
    assert r.dense_test - r.pruned_test <= BAND["max_drop"], msg
    lo, hi = BAND["pruning"]
    assert lo <= r.pruning_rate <= hi, msg
    assert r.empty_rows <= BAND["empty_max"], msg
    assert len(r.layer_rates) == 3 and all(0 < x < 1 for x in r.layer_rates)
    # thresholds fit 8-bit integers and rise with depth as the attention sharpens
    assert all(math.isfinite(t) for t in r.thresholds)


def test_babi_task1_trace(task1, tmp_path):
    from lrpsim_workloads.babi_task import recency
    from lrpsim_workloads.export import write
    r, task, _ = task1
    test = task.test
    idx = [i for i, q in enumerate(test.questions) if q.story < 2]
    inputs = [(test.story[i:i + 1], test.mem_len[i:i + 1], recency(test.mem_len[i:i + 1], task.memory_size),
               test.query[i:i + 1], test.answer[i:i + 1]) for i in idx]
    meta = {"model": "memn2n", "task": "babi-qa1", "source": "test", "bits_q": 8, "bits_k": 8, "bits_v": 8,
            "causal": False, "threshold_granularity": "layer",
            "metric": {"name": "accuracy", "dense": r.dense_test, "pruned": r.pruned_test}}
    path = str(tmp_path / "memn2n-babi-qa1.npz")
    counts, preds = write(path, r.model, lambda m, b: m(*b[:4]), inputs, r.th, r.qspec, meta, "keep_max")
    with validate_trace(path) as t:
        assert t.meta["empty_row"] == "keep_max"
        assert (t.B, t.L, t.H) == (len(idx), 3, 1)
        kept = allowed = 0
        for b in range(t.B):
            for l in range(t.L):
                q, k, v = t.head(b, l, 0)
                assert q.shape == (1, 20) and k.shape == v.shape == (task.memory_size, 20)
                # the slots after the story's statements are zero vectors
                assert not k[int(test.mem_len[idx[b]]):].any()
                kk, aa = head_pruning(t, b, l, 0)
                kept, allowed = kept + kk, allowed + aa
        assert (kept, allowed) == (int(counts[:, 0].sum()), int(counts[:, 1].sum()))
    # the stored threshold is in the model's own units (u . m): the trace's score is u . m
    th = np.load(path)["threshold"]
    assert np.allclose(th[:, 0], r.thresholds)


def test_score_folding_matches_model():
    """q = sqrt(d) * u makes FORMAT.md's q.k/sqrt(d) the MemN2N score u.m, and the trace's rule
    T = ceil(th*sqrt(d)/(scale_q*scale_k)) prunes exactly the pairs the model's comparator prunes."""
    from lrpsim_export.attention import QuantSpec, Session
    from lrpsim_export.capture import attached
    from lrpsim_export.learn import Thresholds
    from lrpsim_export.quantize import int_threshold
    torch.manual_seed(3)
    model = memn2n.MemN2N(12, 5, 8, dim=20, hops=3)
    story = torch.randint(1, 12, (4, 8, 5))
    ml = torch.tensor([8, 3, 1, 6])
    tm = memn2n.recency(ml, 8)
    query = torch.randint(1, 12, (4, 5))
    ds = Session("dense")
    with torch.no_grad(), attached(model, ds, check_weights=False):
        a = model(story, ml, tm, query)
    b = model(story, ml, tm, query).detach()
    assert torch.allclose(a, b, atol=1e-5)
    sc = model.scores(story, ml, tm, query)
    th = Thresholds(3, 1, False, torch.tensor([[0.0], [0.1], [0.2]]))
    quant = QuantSpec(8, 8, 8, torch.full((3, 1), 0.05, dtype=torch.float64),
                      torch.full((3, 1), 0.02, dtype=torch.float64), torch.full((3, 1), 0.02, dtype=torch.float64))
    hs = Session("hard", thresholds=th, quant=quant, record=True)
    with torch.no_grad(), attached(model, hs, check_weights=False):
        model(story, ml, tm, query)
    r0 = hs.records[0][0]
    T = int_threshold(0.0, 20, 0.05, 0.02, 8, 8)
    dots = (r0.q.double() @ r0.k.double().transpose(-1, -2))[:, 0, 0]  # [B, M]
    # hop 0's integer scores approximate the model's own u.m scores
    real = dots * 0.05 * 0.02 / math.sqrt(20)
    valid = sc[0][1]
    assert torch.allclose(real[valid], sc[0][0][valid].double(), atol=0.2)
    assert r0.T == [T]


def test_random_recency():
    g = torch.Generator().manual_seed(0)
    ml = torch.tensor([1, 5, 20, 50, 50])
    for _ in range(20):
        t = memn2n.random_recency(ml, 50, 0.1, g)
        for b, L in enumerate(ml.tolist()):
            row = t[b, :L].tolist()
            # newest last with the smallest index; strictly decreasing except at the cap (M - 1)
            assert all(x > y or x == y == 49 for x, y in zip(row, row[1:]))
            assert min(row) >= 0 and max(row) <= 49
            assert max(row) <= L - 1 + math.ceil(0.1 * L)
            assert all(x == 0 for x in t[b, L:].tolist())
    assert memn2n.recency(ml, 50)[1, :5].tolist() == [4, 3, 2, 1, 0]


def test_position_encoding():
    J, d = 6, 20
    paper = memn2n.position_encoding(J, d, "paper")
    code = memn2n.position_encoding(J, d, "code")
    for j in (1, 3, 6):
        for k in (1, 10, 20):
            assert paper[j - 1, k - 1].item() == pytest.approx((1 - j / J) - (k / d) * (1 - 2 * j / J))
            assert code[j - 1, k - 1].item() == pytest.approx(1 + 4 * (k - (d + 1) / 2) * (j - (J + 1) / 2) / (d * J))
    assert code.mean().item() == pytest.approx(1.0)


def test_babi_reader(babi_dir):
    qs = babi.read_questions(babi.task_file(babi_dir, 1, "test"))
    assert len(qs) == 1000
    q = qs[0]
    assert q.query == ["where", "is", "john"] or len(q.query) == 3
    assert q.story == 0 and all(i < q.line for i in q.memory_ids)
    t = babi.load_task(19, babi_dir)
    assert len(t.train) == 900 and len(t.valid) == 100 and len(t.test) == 1000
    assert "s,s" in t.vocab.index and "n,w" in t.vocab.index  # path answers are one symbol
    assert t.vocab.words[int(t.test.answer[0])] == t.test.questions[0].answer


def test_mnist_idx_reader(tmp_path):
    img = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    p = tmp_path / "x-images-idx3-ubyte.gz"
    with gzip.open(p, "wb") as f:
        f.write(struct.pack(">HBBIII", 0, 8, 3, 2, 28, 28) + img.tobytes())
    assert (mnist.read_idx(str(p)) == img).all()
    bad = tmp_path / "bad.gz"
    with gzip.open(bad, "wb") as f:
        f.write(struct.pack(">HBBI", 0, 8, 1, 5) + b"\x00\x01")
    with pytest.raises(mnist.MnistError):
        mnist.read_idx(str(bad))


def test_vit_soft_and_hard_modes(tmp_path):
    """A random small ViT through the soft and hard sessions, and a trace of it."""
    from lrpsim_export.attention import Session
    from lrpsim_export.capture import attached
    from lrpsim_workloads import vit
    from lrpsim_workloads.export import write
    from lrpsim_workloads.prune import PruneConfig, calibrate, evaluate, learn_thresholds
    torch.manual_seed(0)
    cfg = vit.ViTConfig(depth=2, epochs=1, batch_size=8)
    x = torch.randn(32, 28, 28)
    y = torch.randint(0, 10, (32,))
    model = vit.ViT(cfg.patch, cfg.dim, cfg.depth, cfg.heads, cfg.mlp)
    wl = vit.ViTWorkload(cfg, x, y, batch_size=8)
    with torch.no_grad(), attached(model, Session("dense"), check_weights=False):
        a = model(x[:4])
    assert torch.allclose(a, model(x[:4]), atol=1e-5)
    quant, init, sigma = calibrate(wl, model, vit.batches(x, y, 16), (8, 8, 8))
    th, hist = learn_thresholds(wl, model, PruneConfig(lam=1.0, epochs=2), init, sigma, seed=0)
    assert len(hist) == 2 and th.as_array().shape == (2, 4)
    res = evaluate(wl, model, vit.batches(x, y, 16), thresholds=th, quant=quant)
    assert 0 <= res.pruning_rate <= 1 and len(res.head_rates) == 2
    meta = {"model": "vit-mnist", "task": "mnist", "source": "random", "bits_q": 8, "bits_k": 8, "bits_v": 8,
            "causal": False, "threshold_granularity": "layer"}
    counts, _ = write(str(tmp_path / "v.npz"), model, lambda m, b: m(b[0]), [(x[i:i + 1], y[i:i + 1]) for i in range(2)],
                      th, quant, meta, "keep_max")
    with Trace(str(tmp_path / "v.npz")) as t:
        assert (t.B, t.L, t.H) == (2, 2, 4)
        assert t.head(0, 1, 3)[0].shape == (17, 16)


def test_training_is_deterministic(babi_dir):
    from lrpsim_workloads.babi_task import train_dense_run
    task = babi.load_task(1, babi_dir)
    cfg = DenseConfig(epochs=2, ls_epochs=1, runs=1)
    m1, a1, l1 = train_dense_run(task, cfg, 5)
    m2, a2, l2 = train_dense_run(task, cfg, 5)
    assert (a1, l1) == (a2, l2)
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(p, q)


# -- the committed suite --------------------------------------------------------------------------

def _suite(repo):
    d = os.path.join(repo, "traces", "data")
    p = os.path.join(d, "workloads.json")
    if not os.path.exists(p):
        pytest.skip("traces/data/workloads.json not there: run traces/workloads.sh")
    with open(p) as f:
        return d, json.load(f)


def test_committed_suite_traces(repo):
    d, doc = _suite(repo)
    ws = doc["workloads"]
    assert {e["task"] for e in ws if e["model"] == "memn2n"} == {f"babi-qa{t}" for t in range(1, 21)}
    assert any(e["model"] == "vit-mnist" for e in ws)
    total = 0
    for e in ws:
        path = os.path.join(d, e["trace"])
        total += os.path.getsize(path)
        with validate_trace(path) as t:
            assert t.meta["model"] == e["model"] and t.meta["task"] == e["task"]
            m = t.meta["metric"]
            assert m["name"] == "accuracy"
            assert m["dense"] == pytest.approx(e["dense_accuracy"], abs=1e-6)
            assert m["pruned"] == pytest.approx(e["pruned_accuracy"], abs=1e-6)
            assert t.meta["empty_row"] == "keep_max" and t.meta["threshold_granularity"] == "layer"
            assert "command" in t.meta["generator"] and "seed" in t.meta["generator"]
    assert total < 4 * 1024 * 1024, f"suite traces take {total} bytes"
