"""The tolerances of every check that compares Python float results across machines
(traces/python/REPRODUCIBILITY.md is the contract; the numbers behind each value are there).

What the Go side computes from a trace and a config is bit-identical everywhere, and so is every
integer the Python side reads back from a file. Python float results (training, calibration, the
exporter's metrics, the closed-loop metrics) are bit-identical only on one CPU type: torch and
OpenBLAS pick their kernels by CPU (ATEN_CPU_CAPABILITY and OPENBLAS_CORETYPE force another set,
which is how ci/python-tests.sh plays "another machine" on one machine), so float sums are taken in
another order and results move in their last digits. A check that compares such a float with one
made elsewhere (a bundled trace, a committed result) uses one of these constants. A check that
compares two results of the SAME process (e.g. PolicySession pruning nothing vs the exporter's
hard mode) stays exact: same machine, same operations.

Each value is far above what another kernel set moves (measured: REPRODUCIBILITY.md) and far below
what a wrong rule, a wrong threshold, a wrong scale or a wrong data split moves.
"""

# -- the rebuilt workload against the bundled trace (closed loop, test_closed_loop_transformers) --

# Relative difference allowed between a metric recomputed here (dense, quantized, a closed-loop
# metric) and the one a bundled trace or a committed result recorded, on the same inputs. Kernel
# rounding moves a cosine-to-dense metric by ~4e-7 and a perplexity by ~1e-6 relative (float32 sums
# in another order, averaged over thousands of values). Quantizing Q/K/V to 8 bits already moves the
# cosine by 8e-5 (use-lite) and 2e-4 (minilm-embed), and dropping one rule's worth of keys by >= 1e-4:
# a broken calibration, rule or held-out split moves the metric far past 1e-5.
METRIC_REL = 1e-5

# Relative difference allowed between a quantization scale recomputed here (absmax / (2^(b-1) - 1)
# over the calibration inputs) and the one a bundled trace holds. The absmax is one float32 value
# whose kernel rounding is ~1e-6 relative; a scale computed over other inputs, another layer or
# another bit width differs by a percent or (bit width) a factor of two.
SCALE_REL = 1e-5

# -- a regenerated trace against the bundled one (traces/regen.sh --check, `compare`) --------------

# Q, K, V: largest difference of one integer, in LSB. An integer is round(x / scale), so kernel
# rounding of x or of the scale can only carry a value that lies within ~1e-6 of a rounding boundary
# (n + 0.5) to the other side: one LSB. Two LSB would need x / scale to move by a whole quantization
# step, i.e. another model, another scale or another input.
INT_MAX_LSB = 1

# Q, K, V: fraction of the integers allowed to differ (each by at most INT_MAX_LSB). What differs is
# the share of values within kernel rounding of a rounding boundary, plus, for the traces whose
# weights and thresholds are trained, the drift of 150 training steps on other rounding.
INT_FRACTION = 0.02

# Integer thresholds T (keep iff q_int . k_int >= T, FORMAT.md), per layer or head: largest
# relative difference |T_regen - T_bundled| / max(|T_bundled|, 1). Learned thresholds move with the
# training's rounding; a threshold from another lambda, another layer or a sign error moves by tens
# of percent (and the survivors and pruning rate with it).
THRESHOLD_REL = 0.02

# Survivors (pairs whose q_int . k_int >= T, over the allowed pairs of every head of every input):
# fraction of the pairs whose keep/prune decision may differ. Only scores within a few LSB of T flip
# when Q, K or T move by one LSB; another threshold or a wrong comparison flips tens of percent.
SURVIVOR_FRACTION = 0.01

# The exporter's metrics in the meta (dense, quantized, pruned; and any other float of the meta but
# the pruning rates): relative difference between the regenerated and the bundled trace. The
# training ends in another place on another kernel set, so the pruned metric moves more than the
# closed-loop check's METRIC_REL; the export's own budget is a 1% metric loss
# (--max-metric-loss 0.01), so a regenerated trace further off than that is not the same workload.
TRACE_METRIC_REL = 0.01

# The pruning rates in the meta and over the trace (absolute): the learned thresholds move with the
# training's rounding; another lambda of the sweep moves the rate by 0.05 or more.
TRACE_RATE_ABS = 0.02
