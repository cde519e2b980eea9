"""The engine's exceptions: callers catch these, never diffusers' or torch's own.

Each carries a `code`, one word a caller can act on without reading the message (tryon stores it as
TryOnJob.failure_code; the values are the same strings, since the engine knows nothing of Django).
"""


class EngineError(Exception):
    """A render that cannot run; the message names the field or the missing piece."""

    code = "invalid_input"  # most are a plan or an image this engine cannot render


class WeightsMissing(EngineError):
    """A preset's weights are not on this machine; the message says how to get them."""

    code = "weights_missing"


class OutOfMemory(EngineError):
    """The render ran out of GPU or CPU memory; the memory was given back, so the worker can go on."""

    code = "out_of_memory"


class RenderTimedOut(EngineError):
    """The render passed its time budget and was stopped at a step."""

    code = "timed_out"


class EngineBroken(EngineError):
    """This machine's engine cannot work: a library missing, a weights file of another architecture."""

    code = "internal"


class RenderCancelled(Exception):
    """Raised by an `on_step` callback to stop a render; `render` lets it propagate unchanged."""
