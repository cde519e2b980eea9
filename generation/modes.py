"""The three plan modes, one entry point each: the pipeline to run and what to call it with.

    generate  txt2img, steered by the plan's ControlNet units (OpenPose, optionally canny)
    tryon     inpaint the fashion model's photo inside the garment mask; OpenPose keeps the body,
              the IP-Adapter paints the garments from their photos
    refine    img2img of an image at the plan's strength; with a mask, only inside it (A1111's inpainting)
    warp      the garments' own cut-outs warped onto the person by keypoints (the draft), then inpainted
              inside the warped garments at the plan's strength, so their print and colour survive

Each builds its pipeline over the stack's shared weights; render() encodes the prompts, runs the
pipeline and reports progress. Images arrive as `images[sha256]`, already checked by render().
"""

import copy
import inspect
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from diffusers.models import MultiControlNetModel
from PIL import Image

from generation.identity_conditioning import adapter_arguments
from generation.loading import Stack, controlnet
from generation.pipeline_classes import build_pipeline, pipeline_class
from generation.samplers import make_scheduler
from prompts.letterbox import letterbox
from prompts.plan import GenerationPlan

_PER_THREAD = threading.local()


@dataclass
class PipelineCall:
    pipeline: object
    arguments: dict  # besides prompts, steps, guidance, generator and the step callback
    finish: Callable[[Image.Image], Image.Image] | None = None  # applied to each image made
    garment: Image.Image | None = None  # warp: the warped garments (RGBA), which the render is scored against


def generate(plan: GenerationPlan, stack: Stack, images: Mapping[str, Image.Image]) -> PipelineCall:
    # 1. ControlNets and their conditioning images at the plan's size
    model, control = _controlnets(plan, stack, images, image_argument="image")
    # 2. A cast fashion model's face, where the preset has an identity adapter
    adapter = adapter_arguments(plan, stack, [], images)
    # 3. The pipeline over the shared weights (a preview swaps in TAESD later: generation.preview)
    pipeline = _pipeline(plan, stack, model)
    return PipelineCall(pipeline, {"width": plan.width, "height": plan.height, **control, **adapter})


def tryon(plan: GenerationPlan, stack: Stack, images: Mapping[str, Image.Image]) -> PipelineCall:
    # 1. The photo letterboxed to the plan's size, as the mask and the pose skeleton were drawn
    photo = _photo(plan, images)
    mask = plan.inpaint_mask.mask_image(plan.width, plan.height)
    # 2. ControlNets: the pose keeps the body where the photo has it
    model, control = _controlnets(plan, stack, images, image_argument="control_image")
    # 3. The garments' photos for the IP-Adapter: one adapter, all of them at once (and a cast model's face)
    garments = [images[ref.sha256].convert("RGB") for ref in plan.garment_references]
    adapter = adapter_arguments(plan, stack, garments, images)
    # 4. The inpainting pipeline over the shared weights
    pipeline = _pipeline(plan, stack, model)
    # One photo and mask per sample: diffusers encodes a single one with the first sample's generator
    # only, and sample i would not be what seed + i renders alone.
    arguments = {
        "image": [photo] * plan.samples,
        "mask_image": [mask] * plan.samples,
        "strength": plan.strength,
        **control,
        **adapter,
    }

    # 5. Outside the mask the photo stays exactly as it was: the VAE round trip would soften faces and
    #    backgrounds the shopper knows from the original (A1111 pastes it back the same way)
    def keep_photo(image: Image.Image) -> Image.Image:
        return Image.composite(image, photo, mask)

    return PipelineCall(pipeline, _with_size(pipeline, plan, arguments), finish=keep_photo)


def refine(plan: GenerationPlan, stack: Stack, images: Mapping[str, Image.Image]) -> PipelineCall:
    # 1. The image to refine, at the plan's size
    photo = _photo(plan, images)
    # 2. ControlNets, if the plan keeps any
    model, control = _controlnets(plan, stack, images, image_argument="control_image")
    # 3. The img2img pipeline over the shared weights
    pipeline = _pipeline(plan, stack, model)
    arguments = {"image": photo, "strength": plan.strength, **control, **adapter_arguments(plan, stack, [], images)}
    if plan.mask is None:
        return PipelineCall(pipeline, _with_size(pipeline, plan, arguments))
    # 4. A drawn mask: outside it the image stays as it was, as A1111 pastes the original back over an inpaint
    mask = letterbox(images[plan.mask.sha256].convert("L"), plan.width, plan.height)

    def keep_unmasked(image: Image.Image) -> Image.Image:
        return Image.composite(image, photo, mask)

    return PipelineCall(pipeline, _with_size(pipeline, plan, arguments), finish=keep_unmasked)


def warp(plan: GenerationPlan, stack: Stack, images: Mapping[str, Image.Image]) -> PipelineCall:
    from generation.drafts import plan_draft
    from prompts.draft import refine_mask

    # 1. The draft: the garments' pixels warped onto the person (photo or stage-1 render), at the plan's size
    draft = plan_draft(plan, images)
    mask = refine_mask(draft.garment_mask, dilation=plan.mask_dilation)
    # 2. ControlNets: the pose of the person the garments were warped onto
    model, control = _controlnets(plan, stack, images, image_argument="control_image")
    # 3. The garments' cut-outs on white for the IP-Adapter, where the preset has one
    references = [_on_white(images[ref.sha256]) for ref in plan.garment_references]
    adapter = adapter_arguments(plan, stack, references, images)
    # 4. The inpainting pipeline over the shared weights; one draft and mask per sample (see tryon)
    pipeline = _pipeline(plan, stack, model)
    arguments = {
        "image": [draft.image] * plan.samples,
        "mask_image": [mask] * plan.samples,
        "strength": plan.strength,
        **control,
        **adapter,
    }

    # 5. Outside the refined region the draft stays exactly as it was: the person's photo, untouched
    def keep_person(image: Image.Image) -> Image.Image:
        return Image.composite(image, draft.image, mask)

    return PipelineCall(pipeline, _with_size(pipeline, plan, arguments), finish=keep_person, garment=draft.garment)


MODES = {"generate": generate, "tryon": tryon, "refine": refine, "warp": warp}


def _on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")


def _photo(plan: GenerationPlan, images: Mapping[str, Image.Image]) -> Image.Image:
    return letterbox(images[plan.init_image.sha256].convert("RGB"), plan.width, plan.height)


def _controlnets(plan: GenerationPlan, stack: Stack, images, *, image_argument: str):
    """(the ControlNet model or None, its pipeline arguments); two or more units as a MultiControlNetModel."""
    units = plan.controlnet_units
    if not units:
        return None, {}
    models = [controlnet(stack, unit.kind) for unit in units]
    conditioning = [unit.conditioning_image(plan.width, plan.height, images) for unit in units]
    # diffusers 0.42 wants several ControlNets wrapped, and their settings as lists in the same order.
    model = models[0] if len(units) == 1 else MultiControlNetModel(models)

    def one_or_list(values):
        return values[0] if len(units) == 1 else values

    return model, {
        image_argument: one_or_list(conditioning),
        "controlnet_conditioning_scale": one_or_list([float(unit.scale) for unit in units]),
        "control_guidance_start": one_or_list([float(unit.guidance_start) for unit in units]),
        "control_guidance_end": one_or_list([float(unit.guidance_end) for unit in units]),
    }


def _pipeline(plan: GenerationPlan, stack: Stack, model, **replacements):
    """This render's pipeline: the shared weights, a fresh scheduler, this thread's tokenizers."""
    shared = stack.pipeline
    cls = pipeline_class(stack.preset.family, plan.mode, controlnet=model is not None)
    tokenizers = {
        name: _tokenizer_for_this_thread(getattr(shared, name))
        for name in ("tokenizer", "tokenizer_2")
        if getattr(shared, name, None) is not None
    }
    scheduler = make_scheduler(plan.sampler, shared.scheduler.config)
    return build_pipeline(cls, shared, scheduler=scheduler, controlnet=model, **tokenizers, **replacements)


def _with_size(pipeline, plan: GenerationPlan, arguments: dict) -> dict:
    # Inpainting and ControlNet img2img take the size; plain img2img reads it off the image.
    parameters = inspect.signature(type(pipeline).__call__).parameters
    size = {"width": plan.width, "height": plan.height}
    return {**arguments, **{name: value for name, value in size.items() if name in parameters}}


def _tokenizer_for_this_thread(shared):
    # A fast tokenizer reconfigures its Rust backend's truncation and padding on every call, so two
    # threads sharing one can fail with "Already borrowed" (transformers#47085): one copy per thread.
    copies = _PER_THREAD.__dict__.setdefault("tokenizers", {})
    if id(shared) not in copies:  # the original is kept alongside, so its id cannot be reused
        copies[id(shared)] = (shared, copy.deepcopy(shared))
    return copies[id(shared)][1]
