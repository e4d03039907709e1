"""The four pruning rules of arch/POLICIES.md on tiny heads whose decisions are worked out by hand in
the comments, the config reader, and the parameter checks."""

import math
import textwrap

import numpy as np
import pytest

from lrpsim_export.policies import (Head, PolicyError, SURVIVE, check_params, decide_head, keep_count,
                                    read_config, row_relative_margin, sanger_probabilities)

S = SURVIVE


def head(q, k, *, bits=4, scale_q=1.0, scale_k=1.0, threshold=-math.inf, valid_q=None, valid_k=None,
         causal=False):
    q = np.array(q, dtype=np.int16)
    k = np.array(k, dtype=np.int16)
    return Head(q=q, k=k, v=np.zeros_like(k), scale_q=scale_q, scale_k=scale_k, scale_v=1.0,
                bits_q=bits, bits_k=bits, bits_v=bits,
                valid_q=q.shape[0] if valid_q is None else valid_q,
                valid_k=k.shape[0] if valid_k is None else valid_k, causal=causal, threshold=threshold)


# q = [1, -1, 0, 0]: Q+ = 1, Q- = -1. 4-bit keys (B = 4), one plane per cycle: G = 4, t(s) = 3, 2, 1, 0,
# so UB(s) = P(s) + (2^t - 1) = P(s) + 7, 3, 1, 0.
Q1 = [[1, -1, 0, 0]]


def test_leopard_by_hand():
    # threshold 1.0, d = 4, scales 1: x = 1 * sqrt(4) = 2, / 1 = 2, T = ceil(2) = 2.
    keys = [
        [7, 0, 0, 0],   # q.k = 7. P: 0, 4, 6 -> UB 7, 7, 7 never < 2; step 4: 7 >= 2 survives
        [-8, 0, 0, 0],  # q.k = -8. s=1: (-8 >> 3) << 3 = -8, UB = -8 + 7 = -1 < 2: dropped at 1
        [0, 1, 0, 0],   # q.k = -1. P = 0, 0, 0 -> UB 7, 3, 1: 1 < 2 at s=3: dropped at 3
        [2, 0, 0, 0],   # q.k = 2. P = 0, 0, 2 -> UB 7, 3, 3; step 4: 2 >= 2 survives (the bound is >=)
        [1, 0, 0, 0],   # q.k = 1. P = 0, 0, 0 -> UB 7, 3, 1 < 2: dropped at 3
        [0, -1, 0, 0],  # q.k = 1. k_1 = -1: P = -1*(-8), -1*(-4), -1*(-2) = 8, 4, 2 -> UB 15, 7, 3;
                        # step 4: 1 < 2 dropped at 4
    ]
    h = head(Q1, keys, threshold=1.0)
    assert h.int_threshold() == 2
    dec = decide_head(h, "leopard", {}, 1)
    assert dec.dtype == np.uint8 and dec.shape == (1, 6)
    assert dec.tolist() == [[4 | S, 1, 3, 4 | S, 3, 4]]
    # two planes per cycle: G = 2, t(1) = 2, UB(1) = P(1) + 3, P(1) = q.((k >> 2) << 2):
    # k0: 4 + 3 = 7 -> step 2 survives; k1: -8 + 3 < 2 -> 1; k2: 0 + 3 -> step 2, -1 < 2 -> 2;
    # k3: 0 + 3 -> 2, survives; k4: 0 + 3 -> 2, dropped; k5: -1*(-4) + 3 = 7 -> 2, dropped
    assert decide_head(h, "leopard", {}, 2).tolist() == [[2 | S, 1, 2, 2 | S, 2, 2]]
    # -inf keeps everything at full precision
    assert decide_head(head(Q1, keys), "leopard", {}, 1).tolist() == [[4 | S] * 6]


def test_causal_limits_and_padding():
    # 3 query rows (valid 2), 4 keys (valid 3), causal: limit[r] = min(3, r + 3 - 2 + 1) = 2, 3.
    q = [[1, 0], [1, 0], [5, 5]]
    k = [[1, 0], [2, 0], [3, 0], [7, 7]]
    h = head(q, k, valid_q=2, valid_k=3, causal=True)
    dec = decide_head(h, "leopard", {}, 1)
    assert dec.shape == (2, 3)
    assert dec.tolist() == [[4 | S, 4 | S, 0], [4 | S, 4 | S, 4 | S]]
    # spatten with keep_fraction 0.5: k_row = ceil(0.5 * 2) = 1 on row 0, ceil(1.5) = 2 on row 1; the
    # MSB score after ceil(4/1) = 4 = G steps is q.k = 1, 2, 3: row 0 keeps key 1, row 1 keys 2 and 1
    dec = decide_head(h, "spatten", dict(msb_bits=4, requant_threshold=0.0, keep_fraction=0.5), 1)
    assert dec.tolist() == [[4, 4 | S, 0], [4, 4 | S, 4 | S]]


def test_row_relative_by_hand():
    # epsilon 1e-3, margin 1, d = 4, scales 2 and 2: x = 6.9078 * 1 = 6.9078, * 2 = 13.8155,
    # / 4 = 3.4539, D = 4. c = 2 * 2 / 2 = 2.
    keys = [[7, 0, 0, 0], [2, 0, 0, 0], [-8, 0, 0, 0], [4, 0, 0, 0]]
    h = head(Q1, keys, scale_q=2.0, scale_k=2.0)
    assert row_relative_margin(h, 1e-3, 1.0) == 4
    # LB(s) = P(s) - (2^t - 1), UB(s) = P(s) + (2^t - 1):
    #        s=1 (t=3)     s=2 (t=2)     s=3 (t=1)    s=4
    # k0:  P 0 [-7, 7]   P 4 [1, 7]    P 6 [5, 7]    7
    # k1:  P 0 [-7, 7]   P 0 [-3, 3]   P 2 [1, 3]    2
    # k2:  P -8 [-15,-1] P -8 [-11,-5] P -8 [-9,-7]  -8
    # k3:  P 0 [-7, 7]   P 4 [1, 7]    P 4 [3, 5]    4
    # M - D: s=1: -7-4 = -11 (no UB below); s=2: 1-4 = -3, k2's UB -5 < -3: dropped at 2;
    # s=3: 5-4 = 1 (k1's UB 3, k3's 5: none); s=4: 7-4 = 3: k1 (2 < 3) dropped at 4, k3 (4) survives.
    assert decide_head(h, "row_relative", dict(epsilon=1e-3, margin=1.0), 1).tolist() == [[4 | S, 4, 2, 4 | S]]
    # certified: k1's probability exp(2*(2-7)) / (...) < 1e-3; k3's exp(2*(4-7)) = 0.0025 is above it
    # margin 0.5: x = 3.4539 / 2 -> D = ceil(1.727) = 2. s=2: M-D = -1: k2 at 2; s=3: 5-2 = 3: none
    # (k1's UB is 3, not < 3); s=4: 7-2 = 5: k1 (2) and k3 (4) dropped at 4
    assert decide_head(h, "row_relative", dict(epsilon=1e-3, margin=0.5), 1).tolist() == [[4 | S, 4, 2, 4]]


def test_row_relative_keeps_the_best_key():
    rng = np.random.default_rng(1)
    q = rng.integers(-7, 8, size=(5, 6))
    k = rng.integers(-8, 8, size=(9, 6))
    h = head(q, k, scale_q=0.5, scale_k=0.5)
    dec = decide_head(h, "row_relative", dict(epsilon=0.2, margin=0.3), 1)
    dots = q @ k.T
    kept = (dec & S) != 0
    assert kept[np.arange(5), dots.argmax(1)].all()
    assert not kept.all()  # the rule does drop here (the test could fail)


def test_sanger_by_hand():
    # d = 4, pred_bits 4: L = 7. Query row [3, 4, 0, 0] (scale 1): nq = 5, qn = [0.6, 0.8, 0, 0],
    # Q_max = 0.8 (the padding row [0, 0, 0, 9] is not valid: with it Q_max would be 1),
    # sq = 7 / 0.8 = 8.75, qn * sq = [5.25, 7, 0, 0] -> q^ = [5, 7, 0, 0].
    # Keys [1,0,0,0], [0,2,0,0], [0,0,3,0]: nk = 1, 2, 3; kn = unit vectors; K_max = 1, sk = 7;
    # k^ = 7 * unit vectors.
    # pred = q^.k^ / (sq sk) * nq * nk / sqrt(d):
    #   k0: 35 / 61.25 * 5 * 1 / 2 = 10/7 = 1.428571;  k1: 49 / 61.25 * 5 * 2 / 2 = 4;  k2: 0
    # softmax: exp(10/7 - 4) = exp(-2.571429) = 0.076426, exp(0) = 1, exp(-4) = 0.018316; sum 1.094742
    #   -> 0.069812, 0.913457, 0.016731
    h = head([[3, 4, 0, 0], [0, 0, 0, 9]], [[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0]], bits=8, valid_q=1)
    prob = sanger_probabilities(h, 4)
    assert prob.shape == (1, 3)
    np.testing.assert_allclose(prob[0], [0.069812, 0.913457, 0.016731], atol=2e-6)
    # B = 8, p = 1: G = 8, Sp = min(ceil(4 / 1), 8) = 4. theta 0.05 keeps k0 and k1
    assert decide_head(h, "sanger", dict(theta=0.05, pred_bits=4), 1).tolist() == [[8 | S, 8 | S, 4]]
    # theta 0.072: the exact probability of k0 (scores 1.5, 4, 0: 0.0746) is above it, the
    # prediction's 0.0698 is not (exact: exp(-2.5) = 0.082085, / 1.100401 = 0.074595): Sanger drops it
    assert decide_head(h, "sanger", dict(theta=0.072, pred_bits=4), 1).tolist() == [[4, 8 | S, 4]]
    # three planes per cycle: G = ceil(8/3) = 3, Sp = min(ceil(4/3), 3) = 2
    assert decide_head(h, "sanger", dict(theta=0.05, pred_bits=4), 3).tolist() == [[3 | S, 3 | S, 2]]


def test_sanger_zero_vectors():
    # an all-zero query row and an all-zero key stay zero: pred 0 everywhere on the zero row, uniform
    # probabilities 1/2 > theta
    h = head([[0, 0], [1, 0]], [[0, 0], [3, 0]], bits=4)
    prob = sanger_probabilities(h, 4)
    np.testing.assert_allclose(prob[0], [0.5, 0.5])
    assert np.all(np.isfinite(prob))


def test_spatten_by_hand():
    # B = 8, p = 1: G = 8; msb_bits 6: s1 = 6, t(6) = 2, so e_j = q.((k >> 2) << 2). q = [1, 0, 0, 0],
    # d = 4, scales 1: c = 1/2.
    # keys' first element 9, 10, 11, 3, -5: e = 8, 8, 8, 0, -8 (exact q.k 9, 10, 11, 3, -5)
    keys = [[x, 0, 0, 0] for x in (9, 10, 11, 3, -5)]
    h = head([[1, 0, 0, 0]], keys, bits=8)
    # keep_fraction 0.4: k_row = ceil(0.4 * 5 - 1e-9) = 2. c*e = 4, 4, 4, 0, -4: max prob
    # 1 / (3 + e^-4 + e^-8) = 0.327 >= 0.05, not flat: s_row = 6. Top 2 of e with ties to the smaller
    # index: keys 0 and 1 (the exact top 2 would be keys 2 and 1)
    p = dict(msb_bits=6, requant_threshold=0.05, keep_fraction=0.4)
    assert decide_head(h, "spatten", p, 1).tolist() == [[6 | S, 6 | S, 6, 6, 6]]
    # requant_threshold 0.5 > 0.327: a flat row fetches its low bits: s_row = 8, e = q.k, top 2 = keys 2, 1
    p["requant_threshold"] = 0.5
    assert decide_head(h, "spatten", p, 1).tolist() == [[8, 8 | S, 8 | S, 8, 8]]
    # four planes per cycle: G = 2, s1 = min(ceil(6/4), 2) = 2 = G: e = q.k, not flat under 0.05
    p["requant_threshold"] = 0.05
    assert decide_head(h, "spatten", p, 4).tolist() == [[2, 2 | S, 2 | S, 2, 2]]


def test_keep_count():
    assert keep_count(0.2, 15) == 3  # 0.2 * 15 = 3.0000000000000004
    assert keep_count(0.2, 5) == 1
    assert keep_count(0.2, 6) == 2  # 1.2 -> 2
    assert keep_count(0.01, 5) == 1  # at least one
    assert keep_count(1.0, 7) == 7


def test_bad_parameters():
    with pytest.raises(PolicyError, match="policy 'bitstopper'"):
        check_params("bitstopper", {})
    with pytest.raises(PolicyError, match="margin: missing"):
        check_params("row_relative", dict(epsilon=0.1))
    with pytest.raises(PolicyError, match=r"epsilon: 1\.5: expected a number in \(0, 1\)"):
        check_params("row_relative", dict(epsilon=1.5, margin=1))
    with pytest.raises(PolicyError, match="pred_bits: 4.5"):
        check_params("sanger", dict(theta=0.01, pred_bits=4.5))
    with pytest.raises(PolicyError, match="not a parameter of policy sanger"):
        check_params("sanger", dict(theta=0.01, pred_bits=4, top_k=3))
    with pytest.raises(PolicyError, match="keep_fraction: 'a'"):
        check_params("spatten", dict(msb_bits=6, requant_threshold=0.05, keep_fraction="a"))
    with pytest.raises(PolicyError, match="bits_per_cycle"):
        decide_head(head(Q1, [[1, 0, 0, 0]]), "leopard", {}, 0)
    assert check_params("sanger", dict(theta=0.002, pred_bits=4.0)) == dict(theta=0.002, pred_bits=4)


CONFIGS = {
    "leopard.yaml": "name: leopard\nfront_end:\n  lanes: 16\n",
    "row-relative.yaml": "name: row-relative\npruning: {policy: row_relative, epsilon: 0.001, margin: 1.0}\n",
    "row-relative-spec.yaml": "name: row-relative-spec\npruning: {policy: row_relative, epsilon: 0.001, margin: 0.5}\n",
    "sanger.yaml": "name: sanger\nfront_end: {bits_per_cycle: 2}\npruning: {policy: sanger, theta: 0.002, pred_bits: 4}\n",
    "spatten.yaml": textwrap.dedent("""\
        name: spatten
        pruning:
          policy: spatten
          msb_bits: 6
          requant_threshold: 0.05
          keep_fraction: 0.2
        """),
}


def test_read_config(tmp_path):
    for fn, text in CONFIGS.items():
        (tmp_path / fn).write_text(text)
    assert read_config(tmp_path / "leopard.yaml") == ("leopard", "leopard", {}, 1)
    assert read_config(tmp_path / "row-relative.yaml") == \
        ("row-relative", "row_relative", dict(epsilon=0.001, margin=1.0), 1)
    assert read_config(tmp_path / "row-relative-spec.yaml")[2]["margin"] == 0.5
    assert read_config(tmp_path / "sanger.yaml") == ("sanger", "sanger", dict(theta=0.002, pred_bits=4), 2)
    assert read_config(tmp_path / "spatten.yaml") == \
        ("spatten", "spatten", dict(msb_bits=6, requant_threshold=0.05, keep_fraction=0.2), 1)


@pytest.mark.parametrize("text, what", [
    ("name: x\npruning: {policy: magic}\n", "pruning.policy 'magic'"),
    ("name: x\npruning: {policy: sanger, top_k: 3}\n", "pruning.top_k: unknown parameter"),
    ("name: x\npruning: {policy: sanger, margin: 2}\n", "pruning.margin: 2: expected a number in (0, 1]"),
    ("name: x\npruning: {policy: sanger, theta: -1, pred_bits: 4}\n", "pruning.theta: -1: expected a probability in (0, 1)"),
    ("pruning: {policy: leopard}\n", "name: None"),
    ("name: x\nfront_end: {bits_per_cycle: 0}\n", "front_end.bits_per_cycle: 0"),
    ("name: [x\n", "not valid YAML"),
    ("- a\n", "expected a YAML mapping"),
])
def test_read_config_errors(tmp_path, text, what):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(PolicyError) as e:
        read_config(p)
    assert what in str(e.value) and str(p) in str(e.value) and "\n" not in str(e.value)


# configs/leopard.yaml's block: every rule's parameters, the policy leopard
LEOPARD_FULL = """name: leopard
front_end:
  lanes: 16
  bits_per_cycle: 1
pruning:
  policy: leopard
  epsilon: 0.001
  margin: 1.0
  theta: 0.002
  pred_bits: 4
  msb_bits: 6
  requant_threshold: 0.05
  keep_fraction: 0.2
"""


def test_read_config_every_rule_and_defaults(tmp_path):
    p = tmp_path / "leopard.yaml"
    p.write_text(LEOPARD_FULL)
    assert read_config(p) == ("leopard", "leopard", {}, 1)
    p.write_text(LEOPARD_FULL.replace("policy: leopard", "policy: spatten").replace("0.2", "0.25"))
    assert read_config(p) == ("leopard", "spatten", dict(msb_bits=6, requant_threshold=0.05, keep_fraction=0.25), 1)
    # a missing parameter takes its default; a block without a policy is leopard
    p.write_text("name: s\npruning: {policy: sanger, theta: 0.02}\n")
    assert read_config(p) == ("s", "sanger", dict(theta=0.02, pred_bits=4), 1)
    p.write_text("name: s\npruning: {theta: 0.02}\n")
    assert read_config(p) == ("s", "leopard", {}, 1)


def test_repository_configs(repo):
    import os
    paths = [os.path.join(repo, "configs", "leopard.yaml")] + [
        os.path.join(repo, "configs", "policies", f"{n}.yaml") for n in ("row-relative", "row-relative-spec",
                                                                         "sanger", "spatten")]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        pytest.skip(f"{missing[0]} not in this checkout (the policy configs land with the Go side)")
    got = [read_config(p) for p in paths]
    assert got == [("leopard", "leopard", {}, 1),
                   ("row-relative", "row_relative", dict(epsilon=0.001, margin=1.0), 1),
                   ("row-relative-spec", "row_relative", dict(epsilon=0.001, margin=0.5), 1),
                   ("sanger", "sanger", dict(theta=0.002, pred_bits=4), 1),
                   ("spatten", "spatten", dict(msb_bits=6, requant_threshold=0.05, keep_fraction=0.2), 1)]


def test_read_config_missing(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        read_config(tmp_path / "none.yaml")
