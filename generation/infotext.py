"""A1111-style generation parameters ("infotext"), written into each PNG's `parameters` text chunk.

Merchants and support staff can drop a result into A1111's PNG Info tab, or any tool that reads
its format, to see exactly how it was made. The format follows A1111's `create_infotext`.
"""

import io
import json
from collections.abc import Mapping

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from prompts.plan import GenerationPlan


def quote(value) -> str:
    """A1111's rule: a value with a comma, colon or newline is written as a JSON string."""
    text = str(value)
    if "," not in text and ":" not in text and "\n" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def format_parameters(plan: GenerationPlan, *, controlnet_models: Mapping[str, str], sample: int = 0) -> str:
    """The infotext of image `sample` of `plan`; `controlnet_models` names each kind's ControlNet as A1111 would.

    Each image carries its own seed, so pasting one image's infotext back renders that image alone.
    """
    fields = {
        "Steps": plan.steps,
        "Sampler": plan.sampler,
        "CFG scale": float(plan.guidance_scale),
        "Seed": plan.sample_seeds[sample],
        "Size": f"{plan.width}x{plan.height}",
        "Model": plan.preset,
    }
    if plan.mode != "generate":  # A1111 writes it for img2img and inpainting
        fields["Denoising strength"] = float(plan.strength)
    if plan.mode == "warp":  # how the garments' own pixels got into the picture
        person = "photo" if plan.init_image is not None else f"stage 1 seed {plan.person.seed}"
        fields["Try-on"] = f"warp, person: {person}, garments: {len(plan.garment_layers)}"
    for index, unit in enumerate(plan.controlnet_units):
        fields[f"ControlNet {index}"] = (
            f"Module: {unit.kind}, Model: {controlnet_models.get(unit.kind, unit.kind)}, Weight: {float(unit.scale)}, "
            f"Guidance Start: {float(unit.guidance_start)}, Guidance End: {float(unit.guidance_end)}"
        )
    negative = f"\nNegative prompt: {plan.negative_prompt}" if plan.negative_prompt else ""
    parameters = ", ".join(f"{key}: {quote(value)}" for key, value in fields.items())
    return f"{plan.prompt}{negative}\n{parameters}".strip()


def with_fields(parameters: str, fields: Mapping[str, object]) -> str:
    """`parameters` with `fields` added to its last line, quoted as A1111 quotes values with commas."""
    if not fields:
        return parameters
    return f"{parameters}, " + ", ".join(f"{key}: {quote(value)}" for key, value in fields.items())


def png_with_parameters(image: Image.Image, parameters: str) -> bytes:
    """PNG bytes carrying `parameters` where A1111 looks for it (a tEXt chunk, iTXt beyond Latin-1)."""
    info = PngInfo()
    info.add_text("parameters", parameters)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()
