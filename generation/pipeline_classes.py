"""Which diffusers pipeline renders which mode, built per render from a stack's shared components.

Every mode shares one set of weights: an img2img or inpainting pipeline is the same modules in
another class. We construct it from the components rather than with `from_pipe`, which in diffusers
0.42 casts the shared weights to its dtype argument (fp32 by default) in place, undoing fp16 for
every other caller.
"""

import importlib
import inspect

CLASSES = {
    ("sd15", "generate"): ("StableDiffusionPipeline", "StableDiffusionControlNetPipeline"),
    ("sd15", "refine"): ("StableDiffusionImg2ImgPipeline", "StableDiffusionControlNetImg2ImgPipeline"),
    ("sd15", "tryon"): ("StableDiffusionInpaintPipeline", "StableDiffusionControlNetInpaintPipeline"),
    ("sdxl", "generate"): ("StableDiffusionXLPipeline", "StableDiffusionXLControlNetPipeline"),
    ("sdxl", "refine"): ("StableDiffusionXLImg2ImgPipeline", "StableDiffusionXLControlNetImg2ImgPipeline"),
    ("sdxl", "tryon"): ("StableDiffusionXLInpaintPipeline", "StableDiffusionXLControlNetInpaintPipeline"),
}
# warp refines the draft inside the warped garments' mask: inpainting, with a 4- or 9-channel UNet alike
# (a 4-channel one keeps the unmasked latents by blending them back at every step).
CLASSES.update({(family, "warp"): CLASSES[(family, "tryon")] for family in ("sd15", "sdxl")})


def pipeline_class(family: str, mode: str, *, controlnet: bool):
    name = CLASSES[(family, mode)][1 if controlnet else 0]
    return getattr(importlib.import_module("diffusers"), name)


def constructor_options(cls) -> dict:
    """Switches every pipeline of ours gets: no safety checker (moderation is the operator's, see the
    preset licences) and no invisible watermark (it needs a package we do not ship)."""
    parameters = inspect.signature(cls.__init__).parameters
    options = {"safety_checker": None, "requires_safety_checker": False, "add_watermarker": False}
    return {name: value for name, value in options.items() if name in parameters}


def build_pipeline(cls, shared, **replacements):
    """A `cls` pipeline over `shared`'s components, with `replacements` (scheduler, controlnet...) swapped in."""
    parameters = inspect.signature(cls.__init__).parameters
    components = {**shared.components, **replacements}
    arguments = {name: value for name, value in components.items() if name in parameters}
    if "force_zeros_for_empty_prompt" in parameters:
        arguments["force_zeros_for_empty_prompt"] = shared.config.get("force_zeros_for_empty_prompt", True)
    pipeline = cls(**{**arguments, **constructor_options(cls)})
    pipeline.set_progress_bar_config(disable=True)
    return pipeline
