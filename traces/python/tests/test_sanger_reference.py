"""policies.py's `sanger` rule against Sanger's own code: sim/testdata/policy-masks/
sanger-reference-memn2n-babi-qa1.npz holds the keep masks and float32 probabilities that
traces/python/tools/sanger_reference.py computed with hatsu3/Sanger's quant_qk_matmul,
QuantizedMatMul and gen_sparsity_mask (the command is in that folder's README.md). Every pair must
get the same decision, except pairs whose float32 probability lies within 1e-6 (relative) of theta,
where float32 (Sanger) and float64 (POLICIES.md) may round to different sides."""

import json
import os

import numpy as np
import pytest

from lrpsim_export.policies import decide_head, kept_mask, read_head, sanger_predictor, sanger_probabilities
from lrpsim_export.tracefile import Trace, file_sha256

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
REF = os.path.join(REPO, "sim", "testdata", "policy-masks", "sanger-reference-memn2n-babi-qa1.npz")


@pytest.mark.skipif(not os.path.exists(REF), reason=f"{REF} not there (it is committed: check the checkout)")
def test_sanger_matches_its_own_code():
    with np.load(REF) as z:
        meta = json.loads(z["meta"].tobytes())
        ref = {n: z[n] for n in z.files if n != "meta"}
    trace = os.path.join(REPO, "traces", "data", meta["trace"])
    assert file_sha256(trace) == meta["trace_sha256"]
    theta = meta["theta"]
    params = dict(theta=theta, pred_bits=meta["bitwidth"])
    pairs = same = borderline = differ_borderline = tie_rows = 0
    with Trace(trace) as t:
        for b in range(t.B):
            for l in range(t.L):
                for h in range(t.H):
                    hd = read_head(t, b, l, h)
                    ours = kept_mask(decide_head(hd, "sanger", params, 1))
                    theirs = ref[f"keep.b{b}.l{l}.h{h}"].astype(bool)
                    prob = ref[f"prob.b{b}.l{l}.h{h}"].astype(np.float64)
                    assert ours.shape == theirs.shape == prob.shape
                    # the predictions themselves, float64 (POLICIES.md) against float32 (Sanger), on the
                    # rows where no quantizer input lies on a half-even tie (x.5 within 1e-6): on integer
                    # traces such ties are common (q_i / max|q| * 7 = 6.5 for 78 / 84), and float32 and
                    # float64 round them to different sides
                    qs, ks, _, _, _ = sanger_predictor(hd, params["pred_bits"])
                    tie_q = (np.abs(np.abs(qs - np.floor(qs)) - 0.5) < 1e-6).any(1)
                    tie_k = (np.abs(np.abs(ks - np.floor(ks)) - 0.5) < 1e-6).any()
                    rows = ~tie_q & ~tie_k
                    tie_rows += int(np.count_nonzero(~rows))
                    np.testing.assert_allclose(sanger_probabilities(hd, params["pred_bits"])[rows], prob[rows],
                                               rtol=1e-4, atol=1e-7)
                    near = np.abs(prob - theta) <= 1e-6 * theta
                    diff = ours != theirs
                    assert not np.any(diff & ~near), (b, l, h, np.argwhere(diff & ~near))
                    pairs += ours.size
                    same += int(np.count_nonzero(~diff))
                    borderline += int(np.count_nonzero(near))
                    differ_borderline += int(np.count_nonzero(diff & near))
    print(f"sanger vs Sanger's code: {same} of {pairs} pairs equal; {borderline} borderline pairs "
          f"(float32 probability within 1e-6 relative of theta), {differ_borderline} of them differ; "
          f"{tie_rows} rows with a quantizer tie (probabilities not compared)")
    assert pairs == 450 and borderline <= pairs // 100 and tie_rows < 45
    # Sanger keeps and drops pairs here: the comparison is not vacuous
    kept = sum(int(ref[n].sum()) for n in ref if n.startswith("keep."))
    assert 0 < kept < pairs
