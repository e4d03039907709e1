"""From a (pruned) model to a trace file: run the trace inputs through the model in hard mode, record
the integers each attention layer used, and write them with the thresholds and scales.

The recorded Q, K and V are those of the pruned, quantized model as it runs (later layers see the
outputs of pruned earlier layers), and the pruning is decided on exactly these integers with the
integer threshold of FORMAT.md, so lrpsim's comparator agrees with the exporter pair for pair; the
export re-reads the file and checks that it does.
"""

import numpy as np
import torch

from .attention import Session
from .capture import attached
from .errors import ExportError
from .tracefile import TraceWriter, head_pruning, validate_trace


def record_hard(task, model, thresholds, quant, empty_row="keep_max"):
    """Hard-mode records of the trace inputs, one forward (list of LayerRecord) per input."""
    s = Session("hard", thresholds=thresholds, quant=quant, record=True, empty_row=empty_row)
    with torch.no_grad(), attached(model, s, check_weights=False):
        for batch in task.trace_inputs:
            s.valid_lengths = task.valid_lengths(batch)
            task.run(model, batch)
    return s.records


def write_records(path, records, meta, thresholds_lh, quant, *, force=False):
    """Write hard-mode records (batch size 1 each) as a trace; returns per-layer [kept, allowed]."""
    B = len(records)
    L = max(r.layer for f in records for r in f) + 1
    H = records[0][0].q.shape[1]
    counts = np.zeros((L, 2), dtype=np.int64)
    with TraceWriter(path, meta, inputs=B, layers=L, heads=H, force=force) as w:
        for b, fwd in enumerate(records):
            if len(fwd) != L:
                raise ExportError(f"input {b}: {len(fwd)} attention calls, expected {L}")
            for r in fwd:
                if r.q.shape[0] != 1:
                    raise ExportError("write_records expects one input per forward pass")
                vq, vk = int(r.valid_q[0]), int(r.valid_k[0])
                for h in range(H):
                    w.add_head(b, r.layer, h, r.q[0, h, :vq].numpy(), r.k[0, h, :vk].numpy(),
                               r.v[0, h, :vk].numpy(), vq, vk)
                counts[r.layer, 0] += int(r.kept[0].sum())
                counts[r.layer, 1] += int(r.allowed[0].sum())
        w.finish(thresholds_lh.numpy(), quant.scale_q.numpy(), quant.scale_k.numpy(), quant.scale_v.numpy())
    return counts


def self_check(path, records):
    """Re-read the trace and check that its integer comparator keeps exactly the pairs the exporter
    kept, head by head."""
    with validate_trace(path) as t:
        for b, fwd in enumerate(records):
            for r in fwd:
                for h in range(t.H):
                    kept, allowed = head_pruning(t, b, r.layer, h)
                    if kept != int(r.kept[0, h]) or allowed != int(r.allowed[0, h]):
                        raise ExportError(
                            f"{path}: b{b}.l{r.layer}.h{h}: the trace keeps {kept} of {allowed} pairs, "
                            f"the exporter kept {int(r.kept[0, h])} of {int(r.allowed[0, h])}")
