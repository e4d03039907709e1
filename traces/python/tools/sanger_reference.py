"""Sanger's own prediction code on the heads of an lrpsim trace: the reference that
lrpsim_export.policies' `sanger` rule (arch/POLICIES.md) is checked against.

    PYTHONPATH=traces/python .venv/bin/python traces/python/tools/sanger_reference.py SANGER_CHECKOUT \\
        traces/data/memn2n-babi-qa1.npz --out sim/testdata/policy-masks/sanger-reference-memn2n-babi-qa1.npz

SANGER_CHECKOUT is a checkout of github.com/hatsu3/Sanger (nothing of it is copied here). From it this
imports quant_utils.QuantizedMatMul and, from modeling_sanger_spattn, quant_qk_matmul and
gen_sparsity_mask (both modules import only torch and the standard library, so nothing is stubbed),
and runs, per head, what Sanger's BertSelfAttention runs (modeling_bert.py), in float32:

    query_layer = scale_q * q_int          [1, 1, valid_q, d]
    key_layer   = (scale_k * k_int)^T      [1, 1, d, valid_k]   (Sanger's keys are transposed)
    QuantizedMatMul("sym", 4), eval mode, input_x_thresh / input_y_thresh = max |x| of the normalized
        Q and K of the head (Sanger's EMA at its first step)
    scores = quant_qk_matmul(query_layer, key_layer, config, quant_matmul) / sqrt(d)
    attn_mask: additive, 0 for an allowed pair, -10000 otherwise (the causal flag)
    mask = gen_sparsity_mask(2e-3, scores, attn_mask)    (0: kept, -10000: pruned)

with config.quant_qk = {method: sym, bitwidth: 4}, config.normalize_qk = "inner_product",
config.prune_score = {threshold: 2e-3}.

One adaptation, between quant_qk_matmul and gen_sparsity_mask: a zero query row or key (MemN2N's
empty memory slots are zero vectors) has norm 0, and Sanger's normalization divides by it, which
makes its score NaN and, through the softmax, the whole row NaN. Such a score is set to 0, its limit
(the score is multiplied by the zero norm), which is also what POLICIES.md says ("a zero vector stays
zero"); the thresholds are the maxima over the other rows and keys. The number of such scores is
recorded in meta.

Writes (atomically; refused if --out exists unless --force) `keep.b{b}.l{l}.h{h}` (uint8 0/1
[valid_q, valid_k]: Sanger keeps the pair), `prob.b{b}.l{l}.h{h}` (float32: the probability Sanger
compares with the threshold; 0 where not allowed) and `meta` (JSON: the trace and its sha256, the
sha256 of the two Sanger files, the settings, the command line).
"""

import argparse
import hashlib
import importlib.util
import json
import math
import os
import shlex
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from lrpsim_export.errors import ExportError  # noqa: E402
from lrpsim_export.policies import read_head  # noqa: E402
from lrpsim_export.tracefile import allowed_pairs, file_sha256, validate_trace, write_npz  # noqa: E402

THETA = 2e-3
BITS = 4


def load_sanger(checkout):
    """(QuantizedMatMul, quant_qk_matmul, gen_sparsity_mask, {file: sha256}) from a Sanger checkout,
    each module loaded from its file with importlib (the checkout is not a package)."""
    mods, shas = {}, {}
    for name in ("quant_utils", "modeling_sanger_spattn"):
        path = os.path.join(checkout, name + ".py")
        if not os.path.isfile(path):
            raise ExportError(f"{path}: missing; expected a checkout of github.com/hatsu3/Sanger")
        spec = importlib.util.spec_from_file_location(f"sanger_{name}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mods[name] = mod
        with open(path, "rb") as f:
            shas[name + ".py"] = hashlib.sha256(f.read()).hexdigest()
    ms = mods["modeling_sanger_spattn"]
    if getattr(ms, "LOG_LOAD_BALANCE", False):
        raise ExportError("LOG_LOAD_BALANCE is set: unset it (Sanger would log to load_balance.csv)")
    return mods["quant_utils"].QuantizedMatMul, ms.quant_qk_matmul, ms.gen_sparsity_mask, shas


def sanger_head(head, QuantizedMatMul, quant_qk_matmul, gen_sparsity_mask, theta=THETA, bits=BITS):
    """(keep bool [vq, vk], prob float32 [vq, vk], zero-norm scores replaced) of one head."""
    config = types.SimpleNamespace(quant_qk={"method": "sym", "bitwidth": bits}, normalize_qk="inner_product",
                                   prune_score={"method": "probablity_threshold", "threshold": theta})
    vq, vk, d = head.valid_q, head.valid_k, head.d
    q = torch.tensor(head.scale_q * np.asarray(head.q[:vq], dtype=np.float64), dtype=torch.float32)
    k = torch.tensor(head.scale_k * np.asarray(head.k[:vk], dtype=np.float64), dtype=torch.float32)
    query_layer = q.view(1, 1, vq, d)
    key_layer = k.t().contiguous().view(1, 1, d, vk)
    # the thresholds: max |x| of the normalized tensors, as quant_qk_matmul normalizes them
    nq = query_layer / query_layer.norm(dim=-1, keepdim=True)
    nk = key_layer / key_layer.norm(dim=-2, keepdim=True)
    qmm = QuantizedMatMul(config.quant_qk["method"], input_bits=config.quant_qk["bitwidth"])
    qmm.eval()
    qmm.input_x_thresh.fill_(float(torch.nan_to_num(nq, nan=0.0).abs().max()))
    qmm.input_y_thresh.fill_(float(torch.nan_to_num(nk, nan=0.0).abs().max()))
    with torch.no_grad():
        scores = quant_qk_matmul(query_layer, key_layer, config, qmm) / math.sqrt(d)
        bad = torch.isnan(scores)
        scores = torch.where(bad, torch.zeros_like(scores), scores)
        allowed = torch.from_numpy(allowed_pairs(vq, vk, vq, vk, head.causal)).view(1, 1, vq, vk)
        attn_mask = torch.where(allowed, torch.tensor(0.0), torch.tensor(-10000.0))
        mask = gen_sparsity_mask(config.prune_score["threshold"], scores, attn_mask)
        prob = torch.softmax(scores + attn_mask, dim=-1)  # what gen_sparsity_mask compares
    keep = (mask == 0) & allowed
    prob = torch.where(allowed, prob, torch.zeros_like(prob))
    return keep[0, 0].numpy(), prob[0, 0].numpy().astype(np.float32), int(bad.sum())


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="traces/python/tools/sanger_reference.py",
                                description="Sanger's prediction (its own code) on every head of a trace.")
    p.add_argument("sanger", help="a checkout of github.com/hatsu3/Sanger")
    p.add_argument("trace")
    p.add_argument("--out", required=True)
    p.add_argument("--force", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    try:
        if not os.path.isfile(a.trace):
            raise ExportError(f"{a.trace}: no such trace file; expected an lrpsim trace (.npz)")
        QMM, qk, gsm, shas = load_sanger(a.sanger)
        arrays, replaced, pairs, kept = {}, 0, 0, 0
        with validate_trace(a.trace) as t:
            for b in range(t.B):
                for l in range(t.L):
                    for h in range(t.H):
                        keep, prob, bad = sanger_head(read_head(t, b, l, h), QMM, qk, gsm)
                        arrays[f"keep.b{b}.l{l}.h{h}"] = keep.astype(np.uint8)
                        arrays[f"prob.b{b}.l{l}.h{h}"] = prob
                        replaced += bad
                        kept += int(keep.sum())
                        pairs += int(np.count_nonzero(allowed_pairs(*keep.shape, *keep.shape, t.meta["causal"])))
            meta = {"format": "lrpsim-sanger-reference", "version": 1, "trace": os.path.basename(a.trace),
                    "trace_sha256": file_sha256(a.trace), "inputs": t.B, "layers": t.L, "heads": t.H,
                    "sanger_files_sha256": shas, "theta": THETA, "bitwidth": BITS, "normalize_qk": "inner_product",
                    "dtype": "float32", "zero_norm_scores_set_to_0": replaced,
                    "pruning_rate": 1 - kept / pairs,
                    "command": "traces/python/tools/sanger_reference.py " + " ".join(shlex.quote(x) for x in argv),
                    "torch": torch.__version__}
        out = {"meta": np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)}
        out.update(arrays)
        write_npz(a.out, out, force=a.force)
        print(f"wrote {a.out}: {len(arrays) // 2} heads, Sanger pruning rate {meta['pruning_rate']:.4f}, "
              f"{replaced} zero-norm scores set to 0", file=sys.stderr)
        return 0
    except ExportError as e:
        print(f"sanger_reference: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
