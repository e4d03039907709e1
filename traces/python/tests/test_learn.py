"""Threshold learning: the regularizer raises thresholds and pruning, the distillation loss holds
them back, and the hard thresholds at inference prune on the trace's integers."""

import torch

from lrpsim_export.learn import LearnConfig, Thresholds, absmax_scales, evaluate, learn, score_quantiles


class TinyStories:
    """StoriesLM with a handful of short sequences, for speed."""

    def __init__(self, model):
        from lrpsim_export.tasks import StoriesLM
        t = StoriesLM.__new__(StoriesLM)
        t.model = model
        seqs = model.sample(8, 48, seed=5)
        t.train, t.eval = [seqs[:4]], [seqs[4:]]
        t.trace_inputs = [seqs[4:5]]
        self.task = t


def test_lambda_controls_pruning(stories):
    task = TinyStories(stories).task
    with torch.no_grad():
        refs = [task.run(stories, b) for b in task.eval]
    rates, metrics, ths = [], [], []
    for lam in (0.0, 3.0):
        cfg = LearnConfig(lam=lam, steps=25, lr_threshold=0.2, train_weights=False, seed=0)
        st, th, hist = learn(task, cfg, log=lambda *_: None)
        assert all(p.requires_grad is False for p in st.parameters())
        q = absmax_scales(task, st, task.eval + task.trace_inputs, (12, 12, 12), False)
        m, rate, per = evaluate(task, st, task.eval, refs, thresholds=th, quant=q)
        rates.append(rate)
        metrics.append(m)
        ths.append(th.as_array())
        assert len(per) == 5 and all(len(v) == 8 for v in per.values())
    init = score_quantiles(task, stories, task.train, 0.05, False).double()
    assert rates[1] > rates[0] + 0.1
    assert metrics[1] >= metrics[0]  # perplexity: pruning more costs accuracy
    assert bool((ths[1][:, 0] > init[:, 0]).all())  # the regularizer raised every layer's threshold


def test_weights_train_with_thresholds(stories):
    task = TinyStories(stories).task
    cfg = LearnConfig(lam=1.0, steps=3, lr_weights=1e-3, train_weights=True, per_head=True, seed=0)
    st, th, _ = learn(task, cfg, log=lambda *_: None)
    assert th.value.shape == (5, 8)
    assert not torch.equal(st.wq, stories.wq)  # the student's weights moved
    assert torch.equal(stories.wq, stories.wq.detach())  # the teacher is untouched


def test_thresholds_as_array():
    th = Thresholds(2, 3, per_head=False, init=torch.tensor([[0.5], [-1.0]]))
    assert th.as_array().tolist() == [[0.5] * 3, [-1.0] * 3]
    th = Thresholds(2, 3, per_head=True)
    assert th.as_array().shape == (2, 3)
