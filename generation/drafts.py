"""A warp plan's draft: the garments' cut-outs warped onto the person, before any diffusion.

The engine refines it (generation.modes.warp); the worker scores renders against its warped garments.
"""

from collections.abc import Mapping

from PIL import Image

from generation.errors import EngineError
from prompts.draft import Draft, DraftLayer, compose_draft
from prompts.plan import GenerationPlan


def plan_person(plan: GenerationPlan, images: Mapping[str, Image.Image]) -> Image.Image:
    """The person the garments go on: the fashion model's photo, or the stage-1 render of the person."""
    key = plan.init_image.sha256 if plan.init_image is not None else plan.person_ref
    return images[key].convert("RGB")


def plan_draft(plan: GenerationPlan, images: Mapping[str, Image.Image]) -> Draft:
    """The draft of a warp plan at the plan's size; `images` as render() takes them."""
    layers = [
        DraftLayer(
            cutout=images[layer.cutout.sha256].convert("RGBA"),
            category=layer.category,
            sleeves=layer.sleeves,
            length=layer.length,
        )
        for layer in plan.garment_layers
    ]
    try:
        return compose_draft(
            plan_person(plan, images), layers, plan.person_keypoints, width=plan.width, height=plan.height
        )
    except ValueError as error:  # DraftError names the field
        raise EngineError(f"garment_layers: the draft could not be made ({error})") from None
