"""Traces of the trained workloads, written and checked with lrpsim_export's exporter.

Each trace input is run alone through the pruned model in Session "hard" mode (quantized, integer
comparator, the model's empty-row rule); the integers each attention layer used are written with
lrpsim_export.export.write_records and re-read with self_check, which holds the file's integer
comparator to the model's decisions pair for pair."""

import types

import numpy as np
import torch

from lrpsim_export.export import record_hard, self_check, write_records
from lrpsim_export.tracefile import validate_trace

from . import __version__


def write(path, model, run, inputs, thresholds, quant, meta, empty_row):
    """Write the trace of `inputs` (single-input batches run with run(model, batch)); returns per-layer
    [kept, allowed] counts and the model's predictions on the inputs."""
    preds = []

    def _run(m, b):
        out = run(m, b)
        preds.append(int(out.argmax(-1)[0]))
        return out

    task = types.SimpleNamespace(trace_inputs=inputs, run=_run, valid_lengths=lambda b: None)
    records = record_hard(task, model, thresholds, quant, empty_row=empty_row)
    meta = dict(meta)
    meta.setdefault("synthetic", False)
    meta["empty_row"] = empty_row
    counts = write_records(path, records, meta, thresholds.as_array(), quant, force=True)
    self_check(path, records)
    validate_trace(path).close()
    return counts, preds


def generator_meta(command, seed, **knobs):
    g = {"command": command, "seed": seed, "package": f"lrpsim_workloads {__version__}",
         "torch": torch.__version__, "numpy": np.__version__}
    g.update(knobs)
    return g
