"""Errors that lrpsim_export raises for bad input. Each message names the thing at fault and what
was expected; the command line prints it on one line and exits non-zero."""


class ExportError(Exception):
    """Base class of every error the package raises on purpose."""


class NoAttentionFound(ExportError):
    """The model has no attention layer that the capture hooks know."""


class OutputExists(ExportError):
    """The output path already exists and --force was not given."""


class NonFiniteWeights(ExportError):
    """A weight or buffer of the model holds NaN or infinity."""


class ThresholdRange(ExportError):
    """A learned threshold falls outside what the chosen bit width can represent."""


class TraceFormatError(ExportError):
    """A trace file breaks traces/FORMAT.md."""


class ModelFileError(ExportError):
    """A model file (llama2.c checkpoint, TF.js graph model) is missing, truncated or malformed."""
