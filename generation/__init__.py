"""The diffusion engine: presets, weight loading and render(). No Django here.

result = render(plan, on_step=lambda done, total: ..., images={sha256: pil_image}, time_budget_s=300)
png = png_with_parameters(result.images[0], result.parameters)
"""

import importlib

from generation.errors import EngineBroken, EngineError, OutOfMemory, RenderCancelled, RenderTimedOut, WeightsMissing
from generation.infotext import png_with_parameters
from generation.presets import PRESETS, Preset, all_presets, get_preset, models_dir

# These pull in torch, diffusers and transformers (seconds and hundreds of MB): imported on first
# use, so a web process that reads presets, catches errors or writes PNGs never pays for them.
_HEAVY = {
    "render": "generation.rendering",
    "RenderResult": "generation.rendering",
    "load_pipeline": "generation.loading",
}


def __getattr__(name: str):
    if name not in _HEAVY:
        raise AttributeError(f"module 'generation' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HEAVY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "PRESETS",
    "EngineBroken",
    "EngineError",
    "OutOfMemory",
    "Preset",
    "RenderCancelled",
    "RenderResult",
    "RenderTimedOut",
    "WeightsMissing",
    "all_presets",
    "get_preset",
    "load_pipeline",
    "models_dir",
    "png_with_parameters",
    "render",
]
