"""The four runtime-pruning rules of arch/POLICIES.md, in numpy, written from that text alone.

    head = read_head(trace, b, l, h)                 # or Head(...) by hand
    name, policy, params, p = read_config("configs/policies/sanger.yaml")
    dec = decide_head(head, policy, params, p)       # uint8 [valid_q, valid_k]

dec[r, j] is POLICIES.md's decision byte for an allowed pair: the lane step (1..G) after which the
key's K planes stop being read, with SURVIVE (0x80) set when the key survives; 0 for a pair that
is not allowed (beyond the causal limit). The bytes are the rule's own decisions: a row whose keys
are all dropped is left so (the trace's empty_row is applied by whoever consumes the row, as for
LeOPArd).

Integer bounds are computed in int64 (|P|, |UB|, |LB| <= d * 2^30 + (2^16 - 1) * d * 2^15, far below
2^63, and the thresholds are clamped to +-2^62 as FORMAT.md clamps T), the float parts in float64 in
the order POLICIES.md gives.
"""

import dataclasses
import math
import os

import numpy as np

from .errors import ExportError
from .quantize import KEEP_ALL, PRUNE_ALL, int_threshold

SURVIVE = 0x80
POLICIES = ("leopard", "row_relative", "sanger", "spatten")

# parameter name -> (kind, check, what is expected); the config's pruning block must give each
PARAMS = {
    "leopard": {},
    "row_relative": {
        "epsilon": (float, lambda x: 0 < x < 1, "a number in (0, 1)"),
        "margin": (float, lambda x: 0 < x <= 1, "a number in (0, 1]"),
    },
    "sanger": {
        "theta": (float, lambda x: 0 < x < 1, "a probability in (0, 1)"),
        "pred_bits": (int, lambda x: 2 <= x <= 16, "an integer in 2..16"),
    },
    "spatten": {
        "msb_bits": (int, lambda x: 1 <= x <= 16, "an integer in 1..16"),
        "requant_threshold": (float, lambda x: 0 <= x <= 1, "a probability in [0, 1]"),
        "keep_fraction": (float, lambda x: 0 < x <= 1, "a number in (0, 1]"),
    },
}

# The defaults of a config's pruning block (configs/leopard.yaml holds every rule's parameters; a
# config that leaves one out gets this value, as lrpsim's config reference says).
DEFAULTS = {"epsilon": 0.001, "margin": 1.0, "theta": 0.002, "pred_bits": 4, "msb_bits": 6,
            "requant_threshold": 0.05, "keep_fraction": 0.2}


class PolicyError(ExportError):
    """An unknown policy, a missing or bad parameter, or an unreadable policy config."""


@dataclasses.dataclass
class Head:
    """One head of one input: the integers and what the rules need besides them.

    q [n, d], k [m, d], v [m, dv] integer arrays (only the first valid_q rows of q and valid_k rows
    of k and v are used); threshold: the real threshold (FORMAT.md), used by leopard."""
    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    scale_q: float
    scale_k: float
    scale_v: float
    bits_q: int
    bits_k: int
    bits_v: int
    valid_q: int
    valid_k: int
    causal: bool
    threshold: float = -math.inf
    empty_row: str = "keep_max"

    @property
    def d(self):
        return int(self.q.shape[1])

    def int_threshold(self):
        return int_threshold(self.threshold, self.d, self.scale_q, self.scale_k, self.bits_q, self.bits_k)

    def limits(self):
        """limit[r] for r < valid_q: keys j < limit[r] are allowed."""
        vq, vk = int(self.valid_q), int(self.valid_k)
        lim = np.full(vq, vk, dtype=np.int64)
        if self.causal:
            lim = np.minimum(vk, np.arange(vq, dtype=np.int64) + vk - vq + 1)
        return lim


def read_head(trace, b, l, h):
    """Head b, l, h of an lrpsim_export.tracefile.Trace."""
    f64 = (np.dtype("float64"),)
    i32 = (np.dtype("int32"),)
    q, k, v = trace.head(b, l, h)
    m = trace.meta
    return Head(q=q, k=k, v=v,
                scale_q=float(trace.array("scale_q", f64, 2)[l, h]),
                scale_k=float(trace.array("scale_k", f64, 2)[l, h]),
                scale_v=float(trace.array("scale_v", f64, 2)[l, h]),
                bits_q=m["bits_q"], bits_k=m["bits_k"], bits_v=m["bits_v"],
                valid_q=int(trace.array("valid_q", i32, 3)[b, l, h]),
                valid_k=int(trace.array("valid_k", i32, 3)[b, l, h]),
                causal=bool(m["causal"]), threshold=float(trace.array("threshold", f64, 2)[l, h]),
                empty_row=m["empty_row"])


# -- parameters and configs ---------------------------------------------------------------------

def check_params(policy, params, where="pruning"):
    """The params dict of a policy, checked and normalized (ints as int, numbers as float)."""
    if policy not in PARAMS:
        raise PolicyError(f"{where}.policy {policy!r}: expected one of {', '.join(POLICIES)}")
    params = dict(params or {})
    spec = PARAMS[policy]
    for name in params:
        if name not in spec:
            raise PolicyError(f"{where}.{name}: not a parameter of policy {policy} "
                              f"(expected {', '.join(spec) or 'none'})")
    out = {}
    for name, (kind, ok, what) in spec.items():
        if name not in params:
            raise PolicyError(f"{where}.{name}: missing; policy {policy} needs {what}")
        x = params[name]
        if isinstance(x, bool) or not isinstance(x, (int, float)) or \
                (kind is int and not (isinstance(x, int) or (isinstance(x, float) and x.is_integer()))):
            raise PolicyError(f"{where}.{name}: {x!r}: expected {what}")
        x = kind(x)
        if not (math.isfinite(x) and ok(x)):
            raise PolicyError(f"{where}.{name}: {x!r}: expected {what}")
        out[name] = x
    return out


def check_bits_per_cycle(p, where="front_end.bits_per_cycle"):
    if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 16:
        raise PolicyError(f"{where}: {p!r}: expected an integer in 1..16")
    return p


def read_config(path):
    """(name, policy, params, bits_per_cycle) of an lrpsim config YAML: its `name`, its `pruning`
    block (absent, or without a policy: leopard; parameters of every rule may appear, the policy's
    own are returned, a missing one takes DEFAULTS'), and front_end.bits_per_cycle (default 1).
    Other fields are ignored."""
    try:
        import yaml
    except ImportError:
        raise PolicyError(f"{path}: reading YAML needs PyYAML (Debian: python3-yaml)") from None
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except OSError as e:
        raise PolicyError(f"{path}: cannot read ({e.strerror}); expected an lrpsim config YAML") from None
    except yaml.YAMLError as e:
        msg = " ".join(str(e).split())
        raise PolicyError(f"{path}: not valid YAML ({msg}); expected an lrpsim config") from None
    if not isinstance(doc, dict):
        raise PolicyError(f"{path}: expected a YAML mapping (an lrpsim config)")
    name_ = doc.get("name")
    if not isinstance(name_, str) or not name_ or any(c in name_ for c in "./ \t\n"):
        raise PolicyError(f"{path}: name: {name_!r}: expected a non-empty name without '.', '/' or spaces")
    fe = doc.get("front_end") or {}
    if not isinstance(fe, dict):
        raise PolicyError(f"{path}: front_end: expected a mapping")
    p = check_bits_per_cycle(fe.get("bits_per_cycle", 1), f"{path}: front_end.bits_per_cycle")
    pr = doc.get("pruning")
    if pr is None:
        return name_, "leopard", {}, p
    if not isinstance(pr, dict):
        raise PolicyError(f"{path}: pruning: expected a mapping with a policy")
    pr = dict(pr)
    policy = pr.pop("policy", "leopard")
    if policy not in PARAMS:
        raise PolicyError(f"{path}: pruning.policy {policy!r}: expected one of {', '.join(POLICIES)}")
    # the block may carry every rule's parameters (configs/leopard.yaml does): each known one is
    # checked, the chosen rule's are used, a missing one takes its default
    known = {n: spec for rule in PARAMS.values() for n, spec in rule.items()}
    for name in pr:
        if name not in known:
            raise PolicyError(f"{path}: pruning.{name}: unknown parameter (expected policy or one of "
                              f"{', '.join(known)})")
    full = dict(DEFAULTS, **pr)
    for name in known:  # a bad value of another rule's parameter is still bad
        check_params_one(name, full[name], f"{path}: pruning")
    params = {n: full[n] for n in PARAMS[policy]}
    return name_, policy, check_params(policy, params, f"{path}: pruning"), p


def check_params_one(name, x, where):
    kind, ok, what = {n: spec for rule in PARAMS.values() for n, spec in rule.items()}[name]
    if isinstance(x, bool) or not isinstance(x, (int, float)) or \
            (kind is int and not (isinstance(x, int) or (isinstance(x, float) and x.is_integer()))) or \
            not (math.isfinite(kind(x)) and ok(kind(x))):
        raise PolicyError(f"{where}.{name}: {x!r}: expected {what}")


# -- the bounds -------------------------------------------------------------------------------------

def _steps(bits_k, p):
    """G and t(s) for s = 1..G (index s-1)."""
    G = -(-bits_k // p)
    return G, [max(bits_k - s * p, 0) for s in range(1, G + 1)]


def _partial(q, k, t):
    """P(s) [n, m] = sum_i q_i ((k_i >> t) << t), int64 (arithmetic shift)."""
    return q @ ((k >> t) << t).T


def _valid(head):
    q = np.asarray(head.q)[: head.valid_q].astype(np.int64)
    k = np.asarray(head.k)[: head.valid_k].astype(np.int64)
    return q, k


def _allowed(head):
    lim = head.limits()
    return np.arange(head.valid_k)[None, :] < lim[:, None]


def bounds(head, bits_per_cycle=1):
    """(G, t list, P [G, vq, vk], UB, LB) int64 for the valid rows and keys."""
    q, k = _valid(head)
    G, ts = _steps(head.bits_k, bits_per_cycle)
    qp = np.maximum(q, 0).sum(axis=1)[:, None]
    qn = np.minimum(q, 0).sum(axis=1)[:, None]
    P = np.stack([_partial(q, k, t) for t in ts])
    w = np.array([(1 << t) - 1 for t in ts], dtype=np.int64)[:, None, None]
    return G, ts, P, P + w * qp[None], P + w * qn[None]


# -- the rules --------------------------------------------------------------------------------------

def _leopard(head, params, p):
    G, ts, P, UB, _ = bounds(head, p)
    T = head.int_threshold()  # clamped to +-2^62: fits int64
    dots = P[G - 1]
    step = np.full(dots.shape, G, dtype=np.int64)
    undecided = np.ones(dots.shape, dtype=bool)
    for s in range(1, G):  # t(s) > 0 for every s < G
        drop = undecided & (UB[s - 1] < T)
        step[drop] = s
        undecided &= ~drop
    survive = undecided & (dots >= T)
    return step, survive


def row_relative_margin(head, epsilon, margin):
    """POLICIES.md's integer margin D (IEEE float64, in its order)."""
    x = -math.log(epsilon) * margin
    x = x * math.sqrt(head.d)
    x = x / (head.scale_q * head.scale_k)
    return math.ceil(x)


def _row_relative(head, params, p):
    G, ts, P, UB, LB = bounds(head, p)
    allowed = _allowed(head)
    # D beyond 2^62 changes no decision (every bound is below 2^53 in size); clamp so int64 holds it
    D = min(row_relative_margin(head, params["epsilon"], params["margin"]), PRUNE_ALL)
    step = np.full(allowed.shape, G, dtype=np.int64)
    undecided = np.ones(allowed.shape, dtype=bool)
    lo = np.iinfo(np.int64).min
    for s in range(1, G + 1):
        # M(s): best lower bound over the row's allowed keys (every allowed key, dropped or not: a
        # dropped key's LB stays below the M that dropped it, so it never sets M)
        M = np.where(allowed, LB[s - 1], lo).max(axis=1)[:, None]
        drop = undecided & (UB[s - 1] < M - D)
        step[drop] = s
        undecided &= ~drop
    return step, undecided


def _norms(x):
    """||x_r||_2 of each row, the squares summed in index order (a plain loop, as any language would
    write it; numpy's pairwise sum would round differently, and the quantizer's half-even ties below
    are sensitive to the last bit)."""
    acc = np.zeros(x.shape[0])
    for i in range(x.shape[1]):
        acc = acc + x[:, i] * x[:, i]
    return np.sqrt(acc)


def sanger_predictor(head, pred_bits):
    """POLICIES.md's Sanger predictor: (qn * sq [vq, d], kn * sk [vk, d], q^, k^, pred [vq, vk]),
    float64."""
    q, k = _valid(head)
    qr = head.scale_q * q.astype(np.float64)
    kr = head.scale_k * k.astype(np.float64)
    nq = _norms(qr)
    nk = _norms(kr)
    qn = np.divide(qr, nq[:, None], out=np.zeros_like(qr), where=nq[:, None] > 0)
    kn = np.divide(kr, nk[:, None], out=np.zeros_like(kr), where=nk[:, None] > 0)
    L = (1 << (pred_bits - 1)) - 1
    qmax, kmax = float(np.abs(qn).max()), float(np.abs(kn).max())
    sq = L / qmax if qmax > 0 else 1.0
    sk = L / kmax if kmax > 0 else 1.0
    qs, ks = qn * sq, kn * sk
    qh = np.clip(np.round(qs), -L, L)  # np.round: half to even
    kh = np.clip(np.round(ks), -L, L)
    # q^ . k^: small integers, exact in any order
    pred = (qh @ kh.T) / (sq * sk) * nq[:, None] * nk[None, :] / math.sqrt(head.d)
    return qs, ks, qh, kh, pred


def sanger_probabilities(head, pred_bits):
    """POLICIES.md's Sanger prediction: the float64 probabilities [vq, vk] (0 where not allowed)."""
    return _softmax(sanger_predictor(head, pred_bits)[-1], _allowed(head))


def _softmax(x, allowed):
    """Softmax of each row over its allowed entries (max subtracted first; the exponentials summed in
    key order)."""
    x = np.where(allowed, x, -np.inf)
    mx = x.max(axis=1, keepdims=True)
    e = np.where(allowed, np.exp(x - mx), 0.0)
    tot = np.zeros(x.shape[0])
    for j in range(x.shape[1]):
        tot = tot + e[:, j]
    return e / tot[:, None]


def _sanger(head, params, p):
    G, _ = _steps(head.bits_k, p)
    prob = sanger_probabilities(head, params["pred_bits"])
    keep = _allowed(head) & (prob > params["theta"])
    Sp = min(-(-params["pred_bits"] // p), G)
    step = np.where(keep, G, Sp).astype(np.int64)
    return step, keep


def keep_count(keep_fraction, limit):
    """SpAtten's k_row for a row with `limit` allowed keys."""
    return min(max(1, math.ceil(keep_fraction * limit - 1e-9)), int(limit))


def _spatten(head, params, p):
    G, ts, P, _, _ = bounds(head, p)
    q, k = _valid(head)
    lim = head.limits()
    s1 = min(-(-params["msb_bits"] // p), G)
    c = head.scale_q * head.scale_k / math.sqrt(head.d)
    dots = P[G - 1]
    vq, vk = dots.shape
    step = np.zeros((vq, vk), dtype=np.int64)
    survive = np.zeros((vq, vk), dtype=bool)
    for r in range(vq):
        n = int(lim[r])
        e = P[s1 - 1][r, :n]
        x = c * e.astype(np.float64)
        prob = _softmax(x[None, :], np.ones((1, n), dtype=bool))[0]
        s_row = s1
        if prob.max() < params["requant_threshold"]:
            s_row, e = G, dots[r, :n]
        kr = keep_count(params["keep_fraction"], n)
        order = np.lexsort((np.arange(n), -e))  # largest e first, then the smaller index
        survive[r, order[:kr]] = True
        step[r, :n] = s_row
    return step, survive


_RULES = {"leopard": _leopard, "row_relative": _row_relative, "sanger": _sanger, "spatten": _spatten}


def decide_head(head, policy, params=None, bits_per_cycle=1):
    """uint8 [valid_q, valid_k]: step | 0x80 for a surviving allowed pair, step for a dropped one, 0
    for a pair that is not allowed."""
    params = check_params(policy, params)
    p = check_bits_per_cycle(bits_per_cycle, "bits_per_cycle")
    step, survive = _RULES[policy](head, params, p)
    allowed = _allowed(head)
    dec = np.where(allowed, step + np.where(survive, SURVIVE, 0), 0)
    assert dec.max(initial=0) < 256 and np.all(step[allowed] >= 1)
    return dec.astype(np.uint8)


def kept_mask(dec):
    """Boolean survivors of a decision array."""
    return (np.asarray(dec) & SURVIVE) != 0


__all__ = ["Head", "read_head", "read_config", "check_params", "decide_head", "kept_mask", "bounds",
           "sanger_probabilities", "sanger_predictor", "row_relative_margin", "keep_count", "PolicyError", "POLICIES",
           "SURVIVE", "KEEP_ALL", "PRUNE_ALL"]
