"""The preview path: how a plan with `preview` set (a shopper's try-on, someone waiting) is rendered.

Catalog renders keep full quality. A preview trades a little of it for time, lever by lever, each one
measured on and off by `python -m generation.bench --compare`:

    taesd          the tiny autoencoder (TAESD, the preset's `taesd`) encodes and decodes instead of the full
                   VAE, whose decode at 512 px costs more on a CPU than all four steps of the UNet
    deepcache      the UNet's (and ControlNets') deep features reused on every other step (generation.deepcache)
    control_end    ControlNets steer the first part of the steps only, and are not run after it: diffusers
                   would run them at scale 0 for nothing
    bf16           the UNet and ControlNets in bfloat16, only where the CPU computes it natively (AVX512-BF16,
                   AMX, Arm BF16): there convolutions and matmuls run 2-4x faster; emulated, slower than fp32
    channels_last  their tensors in NHWC, the layout oneDNN's bf16 convolutions are fastest in
The fewest steps are the preset's: sd15-fast (LCM-LoRA) takes 4, sd15-hyper (Hyper-SD) 2. Latents, the
scheduler and the decoders stay in fp32: the bf16 models take and give fp32 at their boundary.
"""

import copy
import logging
import weakref
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from diffusers.models import MultiControlNetModel
from diffusers.utils import BaseOutput

from generation.deepcache import DeepCache
from generation.identity_conditioning import identity_active

logger = logging.getLogger(__name__)
CPU_FLAGS = Path("/proc/cpuinfo")
BF16_FLAGS = {"avx512_bf16", "amx_bf16", "bf16"}  # x86 AVX512-BF16 and AMX; Arm's BF16 ("Features" line)
# A bf16 copy per shared model (and layout: a worker uses one, the bench both), made at the first preview
# and kept: converting 1.2 G parameters per render would cost more than bf16 saves. Weak, so a stack
# dropped by the loader takes its copies along.
_COPIES: "weakref.WeakKeyDictionary[torch.nn.Module, dict]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class PreviewLevers:
    taesd: bool = True
    deepcache_interval: int = 2  # 1: every step runs the whole UNet
    control_end: float = 0.5  # ControlNets steer until this fraction of the steps; 1: to the end
    bf16: bool | None = None  # None: where the CPU computes it natively (native_bf16)
    channels_last: bool = True  # with bf16: NHWC tensors

    def __post_init__(self):
        interval = self.deepcache_interval
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"deepcache_interval: {interval!r} must be an integer of at least 1")
        if not 0 < self.control_end <= 1:
            raise ValueError(f"control_end: {self.control_end!r} must be above 0 and at most 1")


@lru_cache(maxsize=1)
def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 in hardware; read once, at the first preview."""
    try:
        text = CPU_FLAGS.read_text()
    except OSError:  # not Linux: no way to tell cheaply, and fp32 is never the slow choice
        return False
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() in ("flags", "Features"):
            return bool(BF16_FLAGS & set(value.split()))
    return False


@contextmanager
def preview_call(call, stack, *, steps: int, loras: list, levers: PreviewLevers | None = None) -> Iterator[list[str]]:
    """Make `call` (a modes.PipelineCall over `stack`) the preview's; yields the levers used, for the infotext.

    The pipeline is this render's own, so its models and arguments are swapped freely; shared modules are
    only wrapped while the render runs, and put back after it.
    """
    levers = levers or PreviewLevers()
    pipeline, used = call.pipeline, []
    controlnet = getattr(pipeline, "controlnet", None)  # None too where a plan has no ControlNet unit
    # 1. TAESD instead of the full VAE, when the preset names one
    if levers.taesd and stack.taesd is not None:
        pipeline.vae = stack.taesd
        used.append("TAESD")
    elif levers.taesd and stack.preset.taesd:
        logger.warning("preset %r: TAESD %r is not on this machine; previews decode with the full VAE",
                       stack.preset.name, stack.preset.taesd)  # fmt: skip
    used.append(f"{steps} steps")
    # 2. bf16 copies of the UNet and ControlNets where the CPU computes bf16; a plan's own LoRAs are applied
    #    to the shared fp32 UNet only, so a plan with <lora:...> tags keeps it; so does a plan of a cast fashion
    #    model, whose face adapter is switched on the shared UNet only (generation.identity_conditioning)
    wanted = native_bf16() if levers.bf16 is None else levers.bf16
    kept = loras or identity_active(stack)
    if wanted and stack.device == "cpu" and not kept and pipeline.unet.dtype == torch.float32:
        layout = torch.channels_last if levers.channels_last else torch.contiguous_format
        pipeline.unet = bf16_copy(pipeline.unet, layout)
        if controlnet is not None:
            pipeline.controlnet = controlnet = _map_controlnets(controlnet, lambda net: bf16_copy(net, layout))
        used.append("bf16" + (", channels_last" if levers.channels_last else ""))
    # 3. ControlNets steer the first part of the steps only
    if controlnet is not None and levers.control_end < 1:
        call.arguments.update(_control_window(call.arguments, levers.control_end))
        used.append(f"ControlNet until {levers.control_end:g}")
    with ExitStack() as undo:
        if controlnet is not None:
            undo.enter_context(_skipped_at_zero_scale(controlnet))
        # 4. The deep features reused between steps
        if levers.deepcache_interval > 1:
            nets = controlnet.nets if isinstance(controlnet, MultiControlNetModel) else [controlnet]
            models = [pipeline.unet, *(net for net in nets if net is not None)]
            undo.enter_context(DeepCache(levers.deepcache_interval).applied(*models))
            used.append(f"DeepCache every {levers.deepcache_interval}")
        yield used


def bf16_copy(model: torch.nn.Module, layout=torch.channels_last) -> torch.nn.Module:
    """`model` in bfloat16 (and `layout`), taking and giving fp32 tensors; made once and kept beside it."""
    copies = _COPIES.setdefault(model, {})
    if layout in copies:
        return copies[layout]
    # Each parameter cast on its own and handed to deepcopy, which then never copies the fp32 weights:
    # the copy costs its bf16 size and nothing on the way.
    memo = {}
    for parameter in model.parameters():
        memo[id(parameter)] = torch.nn.Parameter(parameter.detach().to(torch.bfloat16), requires_grad=False)
    for buffer in model.buffers():
        if buffer.is_floating_point():
            memo[id(buffer)] = buffer.to(torch.bfloat16)
    clone = copy.deepcopy(model, memo).eval()
    if layout is torch.channels_last:
        clone.to(memory_format=torch.channels_last)
    clone.register_forward_pre_hook(_inputs_in(torch.bfloat16, layout), with_kwargs=True)
    clone.register_forward_hook(lambda module, args, output: _cast(output, torch.float32, torch.contiguous_format))
    copies[layout] = clone
    return clone


def _inputs_in(dtype, layout):
    # The timestep stays as it is: in bf16, step 999 would be 1000. The model casts its embedding itself.
    def hook(module, args, kwargs):
        args = (_cast(args[0], dtype, layout), *args[1:2], *_cast(args[2:], dtype, layout)) if args else args
        kwargs = {key: value if key == "timestep" else _cast(value, dtype, layout) for key, value in kwargs.items()}
        return args, kwargs

    return hook


def _cast(value, dtype, layout):
    """Floating tensors in `value` (nested in tuples, lists, dicts, diffusers outputs) cast to `dtype` and `layout`."""
    if isinstance(value, torch.Tensor):
        if not value.is_floating_point():
            return value
        value = value.to(dtype)
        return value.to(memory_format=layout) if value.dim() == 4 else value
    if isinstance(value, BaseOutput):
        return type(value)(**{key: _cast(item, dtype, layout) for key, item in value.items()})
    if isinstance(value, dict):
        return {key: _cast(item, dtype, layout) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cast(item, dtype, layout) for item in value)
    return value


def _map_controlnets(model, change):
    if isinstance(model, MultiControlNetModel):
        return MultiControlNetModel([change(net) for net in model.nets])
    return change(model)


def _control_window(arguments: dict, limit: float) -> dict:
    """control_guidance_end cut to `limit`, except where a unit would then end before it starts."""
    starts, ends = arguments["control_guidance_start"], arguments["control_guidance_end"]
    if isinstance(ends, list):
        return {
            "control_guidance_end": [
                end if start >= limit else min(end, limit) for start, end in zip(starts, ends, strict=True)
            ]
        }
    return {"control_guidance_end": ends if starts >= limit else min(ends, limit)}


@contextmanager
def _skipped_at_zero_scale(model) -> Iterator[None]:
    """At conditioning scale 0 (outside its guidance window) a ControlNet adds zeros: skip it, and the UNet
    runs as without one, which is the same sum. diffusers calls it on every step all the same."""
    had_own = "forward" in model.__dict__
    original = model.forward

    def forward(*args, **kwargs):
        scale = kwargs.get("conditioning_scale", 1.0)
        if all(value == 0 for value in (scale if isinstance(scale, list | tuple) else [scale])):
            return None, None  # the pipelines hand these on as "no residuals"
        return original(*args, **kwargs)

    model.forward = forward
    try:
        yield
    finally:
        if had_own:
            model.forward = original
        else:
            del model.forward
