"""The engine's exceptions: callers catch these, never diffusers' or torch's own."""


class EngineError(Exception):
    """A render that cannot run; the message names the field or the missing piece."""


class WeightsMissing(EngineError):
    """A preset's weights are not on this machine; the message says how to get them."""


class RenderCancelled(Exception):
    """Raised by an `on_step` callback to stop a render; `render` lets it propagate unchanged."""
