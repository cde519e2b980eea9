"""render(plan): the engine's one entry point, a GenerationPlan in, images and their infotext out."""

import gc
import math
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import torch
from PIL import Image

from generation.errors import EngineError, OutOfMemory, RenderTimedOut
from generation.identity_conditioning import identity_label
from generation.infotext import format_parameters, with_fields
from generation.loading import Stack, load_stack
from generation.loras import TAG, applied_loras, lora_tags, strip_lora_tags
from generation.modes import MODES
from generation.presets import Preset, get_preset
from generation.preview import PreviewLevers, preview_call
from generation.prompt_encoding import prompt_embeddings
from generation.samplers import check_sampler
from generation.sources import display_name, weight_sources
from prompts.attention import parse_prompt_attention
from prompts.plan import GenerationPlan

OnStep = Callable[[int, int], None]
TILING_ABOVE = 1024  # px: past this the VAE decodes in tiles, so memory stays flat as the size grows


@dataclass(frozen=True)
class RenderResult:
    images: list[Image.Image]  # plan.samples of them, image i seeded with plan.sample_seeds[i]
    infotexts: list[str]  # A1111 infotext of each image, for png_with_parameters
    seconds: float  # this render, not counting the once-per-process pipeline load
    garment: Image.Image | None = None  # warp: the garments as warped onto the person (RGBA), for scoring

    @property
    def parameters(self) -> str:
        """The first image's infotext: all a one-sample render has."""
        return self.infotexts[0]


def render(
    plan: GenerationPlan,
    *,
    on_step: OnStep | None = None,
    images: Mapping[str, Image.Image] | None = None,
    time_budget_s: float | None = None,
    preview_levers: PreviewLevers | None = None,
) -> RenderResult:
    """Render `plan`. The same plan on the same device gives the same pixels.

    `images` maps an ImageRef's sha256 to its pixels: the init image, garment photos and canny
    sources the plan names. `on_step(done, total)` is called after each sampler step; `total` is
    plan.steps for every sampler but PLMS, which takes one step more, and fewer when an init image
    is only partly noised. If it raises (say RenderCancelled), the render stops there and the
    exception propagates unchanged. Past `time_budget_s` seconds (the once-per-process load not
    counted) the render stops at the next step with RenderTimedOut.
    Out of GPU memory, the memory is given back and OutOfMemory raised, so a worker can go on.
    A plan with `preview` set takes the preview path (generation.preview), with `preview_levers` if given
    (the bench switches them one by one), else all of them.
    """
    # 1. Check the plan against what the engine and its preset can do, before any weights are touched
    preset, loras = check_inputs(plan, images=images, time_budget_s=time_budget_s)
    images = images or {}
    if plan.mode == "warp" and plan.strength == 0:
        return _draft_only(plan, preset, images)

    # 2. The preset's shared stack, loaded once per process
    stack = load_stack(preset.name)
    started = time.perf_counter()

    # 3. One render at a time per stack: LoRAs and VAE tiling change modules that every render shares
    with stack.lock, applied_loras(stack.pipeline, loras):
        # 4. The mode's pipeline over the shared weights, with its images and ControlNets
        call = MODES[plan.mode](plan, stack, images)
        pipeline = call.pipeline

        # 5. Prompt embeddings A1111's way, so nothing past CLIP's 77 tokens is lost. Without
        #    classifier-free guidance (diffusers' own test) the negative prompt is never read.
        do_cfg = plan.guidance_scale > 1 and pipeline.unet.config.time_cond_proj_dim is None
        prompts = prompt_embeddings(pipeline, strip_lora_tags(plan.prompt), plan.negative_prompt, do_cfg=do_cfg)

        # 6. Denoise, seeded on the CPU so a seed means the same noise on every device; one generator
        #    per sample, so image i is what seed + i renders alone (modes give each sample its own image).
        #    A preview swaps in TAESD and faster models first, and puts the shared ones back after.
        deadline = started + time_budget_s if time_budget_s is not None else None
        previewed = preview_call(call, stack, steps=plan.steps, loras=loras, levers=preview_levers)
        with (
            previewed if plan.preview else nullcontext([]) as levers,
            _tiled_above(pipeline.vae, max(plan.width, plan.height)),
        ):
            output = _denoise(
                plan,
                stack,
                pipeline,
                **prompts,
                **call.arguments,
                num_inference_steps=plan.steps,
                guidance_scale=plan.guidance_scale,
                num_images_per_prompt=plan.samples,
                generator=[torch.Generator(device="cpu").manual_seed(seed) for seed in plan.sample_seeds],
                callback_on_step_end=_progress(on_step, deadline, time_budget_s),
                callback_on_step_end_tensor_inputs=[],
            )

    # 7. The mode's finishing touch (try-on: the photo back outside the mask), then how it was made
    made = [call.finish(image) for image in output.images] if call.finish else list(output.images)
    infotexts = _infotexts(plan, preset, len(made), levers)
    return RenderResult(images=made, infotexts=infotexts, seconds=time.perf_counter() - started, garment=call.garment)


def _infotexts(plan: GenerationPlan, preset: Preset, samples: int, levers: list[str]) -> list[str]:
    """Each sample's infotext: the plan's parameters, the preview's levers, how a cast fashion model's face was kept."""
    names = _controlnet_names(preset)
    infotexts = [format_parameters(plan, controlnet_models=names, sample=index) for index in range(samples)]
    if levers:
        infotexts = [with_fields(infotext, {"Preview": ", ".join(levers)}) for infotext in infotexts]
    if identity := identity_label(preset, plan):
        infotexts = [with_fields(infotext, {"Identity": identity}) for infotext in infotexts]
    return infotexts


def _draft_only(plan: GenerationPlan, preset: Preset, images: Mapping[str, Image.Image]) -> RenderResult:
    """A warp plan at strength 0: the draft itself, no weights touched."""
    from generation.drafts import plan_draft

    started = time.perf_counter()
    draft = plan_draft(plan, images)
    return RenderResult(
        images=[draft.image.copy() for _ in range(plan.samples)],
        infotexts=_infotexts(plan, preset, plan.samples, []),
        seconds=time.perf_counter() - started,
        garment=draft.garment,
    )


def check_inputs(
    plan: GenerationPlan, *, images: Mapping | None = None, time_budget_s: float | None = None
) -> tuple[Preset, list]:
    """Refuse a plan this engine cannot render, naming the field; never silently fix it."""
    if not isinstance(plan, GenerationPlan):
        raise EngineError(f"plan: expected a GenerationPlan, got {type(plan).__name__}")
    preset = get_preset(plan.preset)
    check_sampler(plan.sampler)
    if plan.mode not in preset.modes:
        raise EngineError(
            f"mode: {plan.mode!r} is not rendered by preset {preset.name!r} (it renders {', '.join(preset.modes)})"
        )
    for field in ("prompt", "negative_prompt"):
        try:
            parse_prompt_attention(strip_lora_tags(getattr(plan, field)))
        except ValueError as error:
            raise EngineError(f"{field}: {error}") from None
    if TAG.search(plan.negative_prompt):
        raise EngineError("negative_prompt: <lora:...> tags go in the prompt")
    loras = lora_tags(plan.prompt)
    _check_units(plan, preset)
    if plan.garment_references and not preset.ip_adapter:
        raise EngineError(
            f"garment_references: preset {preset.name!r} has no IP-Adapter to read garment photos "
            "(a try-on preset such as sd15-tryon has)"
        )
    if preset.ip_adapter and not plan.garment_references:
        raise EngineError(f"garment_references: preset {preset.name!r} paints garments from their photos; give one")
    _check_images(plan, images)
    if time_budget_s is not None and (
        isinstance(time_budget_s, bool)
        or not isinstance(time_budget_s, int | float)
        or not math.isfinite(time_budget_s)
        or time_budget_s <= 0
    ):
        raise EngineError(f"time_budget_s: {time_budget_s!r} must be a positive number of seconds")
    return preset, loras


def _check_units(plan: GenerationPlan, preset: Preset) -> None:
    for index, unit in enumerate(plan.controlnet_units):
        field = f"controlnet_units[{index}]"
        if unit.kind not in preset.controlnet_kinds:
            raise EngineError(
                f"{field}.kind: {unit.kind!r} is not supported by preset {preset.name!r} "
                f"(it has {', '.join(preset.controlnet_kinds)})"
            )
        if not 0 <= unit.scale <= 2:
            raise EngineError(f"{field}.scale: {unit.scale!r} must be from 0 to 2")
        if not 0 <= unit.guidance_start < unit.guidance_end <= 1:
            raise EngineError(
                f"{field}: guidance_start {unit.guidance_start!r} and guidance_end {unit.guidance_end!r} "
                "must satisfy 0 <= start < end <= 1"
            )


def _check_images(plan: GenerationPlan, images: Mapping | None) -> None:
    needed = [("init_image", plan.init_image), ("mask", plan.mask)]
    needed += [(f"garment_references[{i}]", ref) for i, ref in enumerate(plan.garment_references)]
    needed += [(f"identity_references[{i}]", ref) for i, ref in enumerate(plan.identity_references)]
    needed += [(f"controlnet_units[{i}].image", unit.image) for i, unit in enumerate(plan.controlnet_units)]
    needed += [(f"garment_layers[{i}].cutout", layer.cutout) for i, layer in enumerate(plan.garment_layers)]
    for field, ref in needed:
        if ref is None:
            continue
        _check_image(field, (images or {}).get(ref.sha256), f"{ref.sha256[:8]}… ({ref.name})")
    if plan.person is not None:
        _check_image("person", (images or {}).get(plan.person_ref), f"of the stage-1 person {plan.person_ref[:8]}…")


def _check_image(field: str, image, what: str) -> None:
    if image is None:
        raise EngineError(f"{field}: image {what} was not supplied")
    if not isinstance(image, Image.Image):
        raise EngineError(f"{field}: expected a PIL image for {what}, got {type(image).__name__}")


def _denoise(plan: GenerationPlan, stack: Stack, pipeline, **arguments):
    """The pipeline call; out of memory, the memory is handed back and OutOfMemory raised instead."""
    failure = None
    try:
        return pipeline(**arguments)
    except torch.OutOfMemoryError:
        failure = "GPU memory"
    except RuntimeError as error:
        if "out of memory" not in str(error).lower():
            raise
        failure = "GPU memory" if stack.device == "cuda" else "memory"
    # Out of the except block, the exception and the frames holding the step's tensors are gone,
    # so collecting now can actually give their memory back.
    gc.collect()
    torch.cuda.empty_cache()  # a no-op where CUDA was never used
    raise OutOfMemory(
        f"ran out of {failure} rendering {plan.width}x{plan.height} with preset {plan.preset!r}; "
        "the memory was given back. Try a smaller size, fewer samples or fewer ControlNet units."
    )


@contextmanager
def _tiled_above(vae, longest_side: int):
    """Decode in tiles past TILING_ABOVE px; the shared VAE's setting is put back afterwards."""
    if longest_side <= TILING_ABOVE or not hasattr(vae, "use_tiling"):
        yield
        return
    before = vae.use_tiling
    vae.use_tiling = True
    try:
        yield
    finally:
        vae.use_tiling = before


class SamplerSteps:
    """Counts sampler steps, not model calls, from a pipeline's callback_on_step_end.

    Second-order samplers (Heun, DPM2) call the model twice per step; a step counts where the pipeline's own
    progress bar counts one: at every `order`-th call and at the last.
    """

    def __init__(self):
        self.done, self.total = 0, None

    def ended(self, pipeline, index: int) -> bool:
        """Whether model call `index` ends a step (then `done` counts it)."""
        calls, order = pipeline.num_timesteps, pipeline.scheduler.order
        if self.total is None:
            self.total = sum(1 for i in range(calls) if _ends_step(i, calls, order))
        if not _ends_step(index, calls, order):
            return False
        self.done += 1
        return True


def _progress(on_step: OnStep | None, deadline: float | None, budget: float | None):
    """A callback_on_step_end that reports sampler steps, not model calls, and keeps the time budget."""
    steps = SamplerSteps()

    def callback(pipeline, index: int, timestep, tensors: dict) -> dict:
        if not steps.ended(pipeline, index):
            return {}
        if on_step is not None:
            on_step(steps.done, steps.total)
        if deadline is not None and time.perf_counter() > deadline and steps.done < steps.total:
            raise RenderTimedOut(
                f"time_budget_s: the render took longer than {budget:g} s; stopped at step {steps.done}/{steps.total}"
            )
        return {}

    return callback


def _ends_step(index: int, calls: int, order: int) -> bool:
    return (index + 1) % order == 0 or index == calls - 1


def _controlnet_names(preset: Preset) -> dict[str, str]:
    names = {}
    for weights in weight_sources(preset):
        if weights.role.endswith("ControlNet"):
            names[weights.role.split()[0].lower()] = display_name(weights.value)
    return names
