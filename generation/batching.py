"""render_batch(plans): several plans denoised in one pipeline call, each as if it were rendered alone.

On a GPU one UNet call on a batch of 8 costs little more than on a batch of 1, so a worker with several
queued try-ons of the same shape renders them together. Each plan keeps what makes its image its own:
its prompts (stacked along the batch), its control and init images, its seed (its own CPU generator, as
render() seeds it), its progress and its cancel. A plan whose `on_step` raises (a cancel, a lost row) is
dropped from the reports and ends with that error; its batch-mates go on. If the batched call itself
fails, each plan is rendered alone, so one plan's failure is only ever its own.

What batches (`batch_key`): one-sample plans of the same preset, mode, size, steps, sampler, guidance,
strength and ControlNet settings, previews or not, without LoRA tags or IP-Adapter garment photos. A batch of
shoppers' previews takes the preview path (generation.preview) as each would alone. Every mode batches:
generate, refine, tryon and warp (the refine of a warp plan; its stage-1 person comes in `images`).
A warp plan at strength 0 is its draft and needs no batch. Plans whose prompt embeddings differ in length
(a prompt past CLIP's 75 tokens has two chunks) share the batch but not the call: one call per length.

Same pixels as alone: the noise comes from each plan's own generator, and on CPU the batched models give
the same floats as batch 1 (tests/generation/test_batching.py pins it).
"""

import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import torch
from PIL import Image

from generation.errors import EngineError
from generation.loading import load_stack
from generation.loras import TAG, strip_lora_tags
from generation.modes import MODES
from generation.preview import preview_call
from generation.prompt_encoding import prompt_embeddings
from generation.rendering import (
    OnStep,
    RenderResult,
    SamplerSteps,
    _denoise,
    _infotexts,
    _tiled_above,
    check_inputs,
    render,
)
from prompts.plan import GenerationPlan


@dataclass(frozen=True)
class BatchItem:
    """One plan of a batch, with its images (render()'s `images`) and its own progress callback."""

    plan: GenerationPlan
    images: Mapping[str, Image.Image] | None = None
    on_step: OnStep | None = None


class _EveryoneLeft(Exception):
    """Every plan of the call has ended (cancelled or failed): stop denoising."""


def batch_key(plan: GenerationPlan) -> tuple | None:
    """Plans with equal keys can share one pipeline call; None: this plan renders alone."""
    if plan.samples != 1 or plan.garment_references or plan.identity_references or TAG.search(plan.prompt):
        return None
    if plan.mode == "warp" and plan.strength == 0:
        return None
    units = tuple((unit.kind, unit.scale, unit.guidance_start, unit.guidance_end) for unit in plan.controlnet_units)
    return (
        plan.preset,
        plan.preview,  # a shopper's preview takes the preview path, a catalog render never does
        plan.mode,
        plan.width,
        plan.height,
        plan.steps,
        plan.sampler,
        plan.guidance_scale,
        plan.strength,
        units,
    )


def render_batch(items: Sequence[BatchItem]) -> list[RenderResult | Exception]:
    """Each item's RenderResult, or the exception that ended it, in the order given.

    Items must share one batch_key (EngineError otherwise). Each result's `seconds` is the whole batch's.
    """
    # 1. Check every plan as render() would; a plan that fails its checks ends alone, before any weights
    outcomes: list[RenderResult | Exception | None] = [None] * len(items)
    if len(items) == 1:  # a batch of one is a render
        return _alone(items, [0], outcomes)
    keys = {batch_key(item.plan) for item in items}
    if None in keys or len(keys) > 1:
        raise EngineError("plans: a batch takes one-sample plans of one batch_key; render the others alone")
    checked = []
    for index, item in enumerate(items):
        try:
            check_inputs(item.plan, images=item.images)
        except EngineError as error:
            outcomes[index] = error
        else:
            checked.append(index)
    if not checked:
        return outcomes
    if len(checked) == 1:
        return _alone(items, checked, outcomes)

    # 2. The shared stack, held for the whole batch: one render at a time per stack
    plan = items[checked[0]].plan
    stack = load_stack(plan.preset)
    started = time.perf_counter()
    with stack.lock:
        # 3. Each plan's pipeline arguments and prompt embeddings; plans whose embeddings differ in length
        #    cannot be stacked, so each length is a call of its own
        calls, groups = {}, {}
        for index in checked:
            try:
                calls[index], prompts = _prepare(items[index], stack)
            except Exception as error:  # this plan's images or prompt: its own failure
                outcomes[index] = error
                continue
            shape = tuple(tuple(tensor.shape) for tensor in prompts.values() if tensor is not None)
            groups.setdefault(shape, []).append((index, prompts))

        # 4. Denoise each group in one call (previews on the preview path, as render() takes it); if the call
        #    fails, its plans are rendered alone
        levers = {}
        for members in groups.values():
            indices = [index for index, _prompts in members]
            try:
                images, used = _denoise_together(items, calls, members, outcomes, stack)
            except Exception:
                _alone(items, indices, outcomes)
                continue
            for index, image in zip(indices, images, strict=True):
                levers[index] = used
                if outcomes[index] is None:
                    outcomes[index] = image

    # 5. Each plan's finishing touch and infotext
    seconds = time.perf_counter() - started
    for index in checked:
        if not isinstance(outcomes[index], Image.Image):
            continue
        call, image = calls[index], outcomes[index]
        try:
            made = call.finish(image) if call.finish else image
            [infotext] = _infotexts(items[index].plan, stack.preset, 1, levers[index])
            outcomes[index] = RenderResult(images=[made], infotexts=[infotext], seconds=seconds, garment=call.garment)
        except Exception as error:
            outcomes[index] = error
    return outcomes


def _prepare(item: BatchItem, stack):
    call = MODES[item.plan.mode](item.plan, stack, item.images or {})
    do_cfg = item.plan.guidance_scale > 1 and call.pipeline.unet.config.time_cond_proj_dim is None
    prompts = prompt_embeddings(
        call.pipeline, strip_lora_tags(item.plan.prompt), item.plan.negative_prompt, do_cfg=do_cfg
    )
    return call, prompts


def _denoise_together(items, calls, members, outcomes, stack) -> tuple[list[Image.Image], list[str]]:
    """One pipeline call over `members` (index, prompt embeddings): their images in that order, and the
    preview levers it ran with (none for catalog plans)."""
    indices = [index for index, _prompts in members]
    head = items[indices[0]].plan
    pipeline = calls[indices[0]].pipeline
    # A preview batch changes the head's pipeline and settings (steered steps), which every plan shares
    previewed = preview_call(calls[indices[0]], stack, steps=head.steps, loras=[]) if head.preview else None
    with previewed or nullcontext([]) as levers, _tiled_above(pipeline.vae, max(head.width, head.height)):
        # Prompts and images stacked along the batch; everything else is equal across a batch_key
        prompts = {
            name: None if tensors[0] is None else torch.cat(tensors)
            for name in members[0][1]
            for tensors in [[prompts[name] for _index, prompts in members]]
        }
        arguments = _stack_arguments([calls[index].arguments for index in indices])
        output = _denoise(
            head,
            stack,
            pipeline,
            **prompts,
            **arguments,
            num_inference_steps=head.steps,
            guidance_scale=head.guidance_scale,
            num_images_per_prompt=1,
            # Each plan's own seed on its own CPU generator: its noise is what it would get alone
            generator=[torch.Generator(device="cpu").manual_seed(items[index].plan.seed) for index in indices],
            callback_on_step_end=_progress_each([items[index].on_step for index in indices], indices, outcomes),
            callback_on_step_end_tensor_inputs=[],
        )
    return list(output.images), levers


def _stack_arguments(each: list[dict]) -> dict:
    """Per-plan images become one list along the batch; settings, equal for a batch_key, are kept once.

    A one-sample plan's image arguments are an image, or a list of one (inpaint's image and mask), or,
    with several ControlNet units, a list with one image per unit.
    """
    stacked = {}
    for name, first in each[0].items():
        values = [arguments[name] for arguments in each]
        if isinstance(first, Image.Image):
            stacked[name] = values
        elif isinstance(first, list) and first and isinstance(first[0], Image.Image):
            if len(first) == 1:  # [image] per plan
                stacked[name] = [value[0] for value in values]
            else:  # one image per ControlNet unit: per unit, one image per plan
                stacked[name] = [[value[unit] for value in values] for unit in range(len(first))]
        else:
            stacked[name] = first
    return stacked


def _progress_each(callbacks: list[OnStep | None], indices: list[int], outcomes: list) -> callable:
    """A callback_on_step_end reporting each plan's steps to its own on_step; a raising one drops only its plan."""
    steps = SamplerSteps()

    def callback(pipeline, index: int, timestep, tensors: dict) -> dict:
        if not steps.ended(pipeline, index):
            return {}
        for on_step, plan_index in zip(callbacks, indices, strict=True):
            if on_step is None or outcomes[plan_index] is not None:
                continue
            try:
                on_step(steps.done, steps.total)
            except Exception as error:  # a cancel, or its row gone: this plan ends here, the others go on
                outcomes[plan_index] = error
        if all(outcomes[plan_index] is not None for plan_index in indices):
            raise _EveryoneLeft
        return {}

    return callback


def _alone(items, indices: list[int], outcomes: list) -> list:
    """Render each of `indices` on its own: a batch of one, or a batch whose call failed."""
    for index in indices:
        if outcomes[index] is not None:  # cancelled or failed during the batched call: stays so
            continue
        item = items[index]
        try:
            outcomes[index] = render(item.plan, on_step=item.on_step, images=item.images)
        except Exception as error:
            outcomes[index] = error
    return outcomes
