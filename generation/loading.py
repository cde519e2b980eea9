"""Load a preset's model stack once per process, from local files unless downloads are switched on.

Weights are gigabytes: a worker loads its preset once and shares it between renders. Our machines
cannot download, so by default a missing weight fails at once with instructions, rather than after
minutes of network retries. The base model comes from a Hub id, a local folder or one checkpoint
file (`from_single_file`, configs from `base_config`); ControlNets, an IP-Adapter, a LoRA fused for
few-step sampling and a TAESD decoder come with it as the preset says.
"""

import logging
import os
import threading
import time
from dataclasses import dataclass, field

import torch
from diffusers import AutoencoderTiny, ControlNetModel, UNet2DConditionModel
from diffusers.loaders.single_file_utils import SingleFileComponentError

from generation.env import env_bool, env_choice
from generation.errors import EngineBroken, WeightsMissing
from generation.pipeline_classes import constructor_options, pipeline_class
from generation.presets import Preset, get_preset, models_dir
from generation.sources import WeightSource, describe_missing, how_to_get, is_available, weight_sources

logger = logging.getLogger(__name__)
_PIPELINES: dict[str, "Stack"] = {}  # preset name -> its loaded stack
_LOCK = threading.Lock()  # held while loading, so two threads never load the same weights twice

DEVICES = ("cuda", "mps", "cpu")


@dataclass
class Stack:
    """A preset's loaded models. Renders hold `lock`: LoRAs and VAE tiling change shared modules."""

    preset: Preset
    pipeline: object  # the preset's diffusers pipeline; per-render pipelines are built from its components
    controlnets: dict[str, ControlNetModel]
    taesd: AutoencoderTiny | None
    device: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    identity: object = None  # generation.identity_conditioning.IdentityAdapter, once a plan has needed it


def load_pipeline(preset_name: str):
    """The preset's pipeline, loaded on first use and cached for the life of the process.

    Shared between callers: never change its scheduler or other state; build a per-call view
    with `type(pipe)(**pipe.components)` instead.
    """
    return load_stack(preset_name).pipeline


def load_stack(preset_name: str) -> Stack:
    preset = get_preset(preset_name)
    with _LOCK:
        if preset.name not in _PIPELINES:
            started = time.perf_counter()
            stack = _PIPELINES[preset.name] = _load(preset)
            logger.info(
                "Pipeline for preset %r loaded on %s (%s) in %.1f s",
                preset.name,
                stack.device,
                str(stack.pipeline.dtype).removeprefix("torch."),
                time.perf_counter() - started,
            )
        return _PIPELINES[preset.name]


def controlnet(stack: Stack, kind: str) -> ControlNetModel:
    """The stack's ControlNet of `kind`; an optional one (canny) is loaded on the first plan that needs it."""
    with stack.lock:
        if kind not in stack.controlnets:
            weights = next(w for w in weight_sources(stack.preset) if w.role.lower().startswith(kind))
            _check_available(stack.preset, [weights], optional_too=True)
            with _loading_errors(stack.preset, weights):
                model = _controlnet(weights, _options(stack.device)).to(stack.device)
            stack.controlnets[kind] = _worker_options([model])[0]
        return stack.controlnets[kind]


def _load(preset: Preset) -> Stack:
    # 1. Resolve where the weights are, building tiny's if need be
    if preset.built_locally:
        from generation.tiny_extras import ensure_local_builds

        ensure_local_builds(models_dir())
    sources = {weights.role: weights for weights in weight_sources(preset)}
    env_flag("TRYON_DOWNLOAD_WEIGHTS")  # a mistyped value stops here, before anything is loaded

    # 2. Fail at once, with the whole story, when anything is missing
    _check_available(preset, list(sources.values()))

    # 3. Load on the best device: fp16 halves memory and time on CUDA; CPU kernels want fp32
    device = select_device()
    options = _options(device)
    base = sources["base model"]
    with _loading_errors(preset, base):
        openpose = _controlnet(sources["OpenPose ControlNet"], options)
        pipeline = _base(preset, base, sources.get("base model's configs"), openpose, options)
        if preset.lora:
            _fuse_lora(pipeline, sources["fused LoRA"], preset.lora_scale, options)
        if preset.ip_adapter:
            _load_ip_adapter(pipeline, preset, sources["IP-Adapter"], options)
        # TAESD only speeds previews up (generation.preview): without it here, they decode with the full VAE
        tiny_vae = sources.get("TAESD decoder")
        obtainable = tiny_vae is not None and (env_flag("TRYON_DOWNLOAD_WEIGHTS") or is_available(tiny_vae))
        taesd = _taesd(tiny_vae, options) if obtainable else None

    # 4. Onto the device, with the worker's speed options
    pipeline.to(device)
    pipeline.set_progress_bar_config(disable=True)
    taesd = taesd.to(device) if taesd is not None else None
    # Compiled in place, the modules keep their types: diffusers' checks and per-render pipelines still work.
    _worker_options([pipeline.unet, pipeline.vae, openpose, *([taesd] if taesd is not None else [])])
    return Stack(preset=preset, pipeline=pipeline, controlnets={"openpose": openpose}, taesd=taesd, device=device)


def _check_available(preset: Preset, sources: list[WeightSource], *, optional_too: bool = False) -> None:
    if env_flag("TRYON_DOWNLOAD_WEIGHTS"):
        return
    missing = [
        describe_missing(weights)
        for weights in sources
        if (optional_too or not weights.optional) and not is_available(weights)
    ]
    if missing:
        raise WeightsMissing(how_to_get(preset, "model weights are missing on this machine", missing))


class _loading_errors:
    """Library errors while loading, as the engine's: missing files as WeightsMissing, the rest as EngineBroken."""

    def __init__(self, preset: Preset, weights: WeightSource):
        self.preset, self.weights = preset, weights

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        where = f"could not load its weights from {self.weights.value!r}"
        if isinstance(error, OSError):  # a partial download or copy, or the Hub unreachable while downloading
            raise WeightsMissing(how_to_get(self.preset, where, [str(error)])) from error
        if isinstance(error, ValueError | KeyError | SingleFileComponentError):  # another architecture, a bad file
            raise EngineBroken(f"preset {self.preset.name!r}: {where}: {error}") from error
        return False


CUDA_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}


def _options(device: str) -> dict:
    # On CUDA, TRYON_CUDA_DTYPE: float16 (default) or bfloat16, which cannot overflow where fp16 VAEs can;
    # both run at the tensor cores' full rate. Attention is PyTorch's SDPA (flash or memory-efficient
    # kernels), diffusers' default processor wherever no adapter installs its own.
    dtype = CUDA_DTYPES[env_choice("TRYON_CUDA_DTYPE", list(CUDA_DTYPES), "float16")] if device == "cuda" else None
    return {"dtype": dtype or torch.float32, "local_files_only": not env_flag("TRYON_DOWNLOAD_WEIGHTS")}


def _revision(weights: WeightSource) -> dict:
    return {"revision": weights.revision} if weights.revision and weights.is_hub else {}


def _controlnet(weights: WeightSource, options: dict) -> ControlNetModel:
    if weights.is_file:
        return ControlNetModel.from_single_file(weights.value, **options)
    return ControlNetModel.from_pretrained(weights.value, **options, **_revision(weights))


def _base(preset: Preset, base: WeightSource, configs: WeightSource | None, openpose, options: dict):
    cls = pipeline_class(preset.family, "tryon" if preset.inpainting_base else "generate", controlnet=True)
    extra = constructor_options(cls)
    if base.is_file:
        # One A1111/Civitai-style checkpoint: diffusers reads the component configs from `configs`
        # (a local diffusers folder, or a Hub repo in the cache), so it loads offline.
        return cls.from_single_file(base.value, config=configs.value, controlnet=openpose, **extra, **options)
    return cls.from_pretrained(base.value, controlnet=openpose, **extra, **options, **_revision(base))


def _fuse_lora(pipeline, weights: WeightSource, scale: float, options: dict) -> None:
    # Fused into the weights, then the LoRA layers removed: LCM-LoRA costs nothing per step, and a
    # plan's own <lora:...> tags still load on top and unload cleanly.
    name = None if weights.is_file else os.path.basename(weights.index)
    subfolder = os.path.dirname(weights.index) or None
    pipeline.load_lora_weights(
        weights.value,
        weight_name=name,
        subfolder=subfolder,
        adapter_name="fused",
        local_files_only=options["local_files_only"],
        **_revision(weights),
    )
    pipeline.fuse_lora(lora_scale=scale, adapter_names=["fused"])
    pipeline.unload_lora_weights()


def _load_ip_adapter(pipeline, preset: Preset, weights: WeightSource, options: dict) -> None:
    pipeline.load_ip_adapter(
        weights.value,
        subfolder=os.path.dirname(preset.ip_adapter_weight),
        weight_name=os.path.basename(preset.ip_adapter_weight),
        image_encoder_folder=preset.ip_adapter_encoder,
        local_files_only=options["local_files_only"],
        **_revision(weights),
    )
    pipeline.set_ip_adapter_scale(preset.ip_adapter_scale)


def _taesd(weights: WeightSource, options: dict) -> AutoencoderTiny:
    return AutoencoderTiny.from_pretrained(weights.value, **options, **_revision(weights))


COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def _worker_options(modules: list) -> list:
    """TRYON_CHANNELS_LAST=1 and TRYON_COMPILE=1, applied in place; compiled: the UNet and ControlNets.

    TRYON_COMPILE_MODE is torch.compile's mode: "reduce-overhead" replays CUDA graphs (one per batch size,
    recorded by the worker's warm-up, generation.warmup), which saves the kernel launches of small batches.
    """
    channels_last, compile_ = env_flag("TRYON_CHANNELS_LAST"), env_flag("TRYON_COMPILE")
    mode = env_choice("TRYON_COMPILE_MODE", list(COMPILE_MODES), "default")
    for module in modules:
        if channels_last:
            # NHWC: faster convolutions on recent GPUs and on CPUs with oneDNN.
            module.to(memory_format=torch.channels_last)
        if compile_ and isinstance(module, UNet2DConditionModel | ControlNetModel):
            module.compile(mode=mode)  # in place: the worker's warm-up pays the compile, every render gains
    return modules


def select_device() -> str:
    """`TRYON_DEVICE` if set, else the first of cuda, mps, cpu that this machine has."""
    wanted = env_choice("TRYON_DEVICE", ["", *DEVICES], "")
    if wanted:
        return wanted
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def env_flag(name: str) -> bool:
    """Off unless set; a value that is not a boolean is a configuration mistake worth stopping for."""
    return env_bool(name, False)
