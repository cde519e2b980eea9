"""CUDA only (`python -m generation.bench --cuda`): seconds per image at batch 1 and 8, eager and
torch.compile'd, fp16 and bf16, for the diffusers call a worker's batch makes (one call over 8 prompts, a
CPU generator per image, guidance off as sd15-fast renders) and the share of the GPU's bf16 peak it reaches.

The FLOPs of one image are counted once per call shape (torch.utils.flop_counter, every model of the call:
text encoder, ControlNet, UNet, VAE) and divided by the measured seconds; the peak is the vendor's dense bf16
tensor-core figure for the device's name (PEAK_BF16_TFLOPS), and a large bf16 matrix product measured here
says what this card reaches in practice. Before the table, the worker's own batched path (render_batch) runs
on the device against render() of each plan alone. Our own machines have no GPU: the batched path's
correctness is tested on CPU (tests/generation/test_batching.py); this is its check where a GPU is lent.
"""

import statistics
import sys
import time
import traceback
from dataclasses import dataclass

import numpy as np
import torch

# Dense (no sparsity) bf16 tensor-core peak, TFLOP/s, from the vendors' data sheets; matched by substring of
# torch.cuda.get_device_name(), most specific first.
PEAK_BF16_TFLOPS = (
    ("H200", 989.0),
    ("GH200", 989.0),
    ("H100 NVL", 835.0),
    ("H100 PCIe", 756.0),
    ("H100", 989.0),  # SXM
    ("H800", 989.0),
    ("B200", 2250.0),
    ("A100", 312.0),
    ("A800", 312.0),
    ("L40S", 362.0),
    ("L40", 181.0),
    ("L4", 121.0),
    ("A10G", 70.0),
    ("A10", 125.0),
    ("RTX 4090", 165.0),
    ("RTX 3090", 71.0),
)
PROMPT = "full body photo of a woman wearing a red linen summer dress, white studio background, soft light"
GUIDANCE = 1.0  # sd15-fast: LCM-LoRA, guidance off, so one UNet row per image


def peak_bf16_tflops(device_name: str) -> float | None:
    return next((peak for name, peak in PEAK_BF16_TFLOPS if name in device_name), None)


def failure(error: Exception) -> dict:
    """A part of the report that failed, as the report shows it (the traceback went to stderr)."""
    return {"error": f"{type(error).__name__}: {error}"[:300]}


def device_description(pipeline) -> dict:
    """The card's name and the attention the UNet runs (diffusers' processors), for the table's heading."""
    attention = sorted({type(processor).__name__ for processor in pipeline.unet.attn_processors.values()})
    return {"name": torch.cuda.get_device_name(), "attention": ", ".join(attention)}


def matmul_tflops(size: int = 8192, repeats: int = 10) -> float:
    """A bf16 matrix product's rate on random data (zeros run faster): the card's practical ceiling."""
    a, b = (torch.randn(size, size, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    for _ in range(3):
        a @ b
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeats):
        a @ b
    end.record()
    torch.cuda.synchronize()
    return 2 * size**3 * repeats / (start.elapsed_time(end) / 1000) / 1e12


def batched_on_device(preset: str, batch: int = 8, steps: int = 4, *, width=512, height=512) -> dict:
    """render_batch of `batch` shopper-shaped plans (LCM, guidance off, OpenPose) on this device against render()
    of each alone: whether they shared their UNet calls, how far each image is from its plan's image alone,
    and, with one plan cancelled at its second step, whether it alone ended."""
    from diffusers import UNet2DConditionModel

    from generation import RenderCancelled, RenderResult, render
    from generation.batching import BatchItem, render_batch
    from prompts.plan import ControlNetUnit, GenerationPlan
    from prompts.poses import FRONT_STANDING

    unit = ControlNetUnit(kind="openpose", keypoints=FRONT_STANDING.keypoints)
    plans = [
        GenerationPlan(
            prompt=f"{PROMPT}, look {seed}",
            negative_prompt="",
            width=width,
            height=height,
            steps=steps,
            guidance_scale=GUIDANCE,
            sampler="LCM",
            seed=seed,
            preset=preset,
            controlnet_units=(unit,),
        )
        for seed in range(1, batch + 1)
    ]
    sizes, forward = [], UNet2DConditionModel.forward

    def counting(self, sample, *args, **kwargs):
        sizes.append(sample.shape[0])
        return forward(self, sample, *args, **kwargs)

    alone = [render(plan).images[0] for plan in plans]  # the first also sets the kernels up
    started = time.perf_counter()
    alone = [render(plan).images[0] for plan in plans]
    alone_s = time.perf_counter() - started
    UNet2DConditionModel.forward = counting
    try:

        def cancel(done, total):
            if done >= 2:
                raise RenderCancelled("shopper 3 left the page")

        # First, with one plan cancelled: it also warms the batch's shapes up (the allocator's blocks, kernels
        # loaded on first use), which would otherwise land on the timed call.
        items = [BatchItem(plan, on_step=cancel if index == 2 else None) for index, plan in enumerate(plans)]
        with_cancel = render_batch(items)
        started = time.perf_counter()
        together = render_batch([BatchItem(plan) for plan in plans])
        together_s = time.perf_counter() - started
        batch_sizes = sorted(set(sizes))
    finally:
        UNet2DConditionModel.forward = forward
    failures = [repr(r) for r in together if not isinstance(r, RenderResult)]
    differences = [
        np.abs(np.asarray(one, np.int16) - np.asarray(result.images[0], np.int16))
        for one, result in zip(alone, together, strict=True)
        if isinstance(result, RenderResult)
    ]
    return {
        "batch": batch,
        "unet_batch_sizes": batch_sizes,
        "failures": failures,
        "max_px_diff": max((int(d.max()) for d in differences), default=None),
        "share_px_off": statistics.mean(float((d > 0).mean()) for d in differences) if differences else None,
        "distinct_images": len({np.asarray(r.images[0]).tobytes() for r in together if isinstance(r, RenderResult)}),
        "cancelled_alone": isinstance(with_cancel[2], RenderCancelled)
        and all(isinstance(r, RenderResult) for i, r in enumerate(with_cancel) if i != 2),
        "batch_s_per_image": together_s / batch,
        "alone_s_per_image": alone_s / batch,
    }


@dataclass(frozen=True)
class Variant:
    """One group of the table: how the shared models run, and the batch sizes timed that way. Levers are
    applied in place, in VARIANTS' order; compiling cannot be undone, so the compiled variants come last."""

    name: str
    dtype: torch.dtype = torch.float16
    batches: tuple[int, ...] = (8,)
    compiled: bool = False  # the UNet and ControlNet, as TRYON_COMPILE=1 compiles them
    compiled_decoder: bool = False  # the VAE's decoder too
    taesd: bool = False  # decode with TAESD, as previews do
    channels_last: bool = False
    cudnn_benchmark: bool = False  # cuDNN times its convolution algorithms per shape and keeps the fastest
    fused_qkv: bool = False  # one projection for attention's query, key and value (diffusers' fuse_qkv_projections)


FP16, BF16 = torch.float16, torch.bfloat16
TUNED = dict(cudnn_benchmark=True, fused_qkv=True)
VARIANTS = (
    Variant("fp16 eager", FP16, (1, 8)),
    Variant("bf16 eager", BF16, (1, 8)),
    Variant("fp16 eager channels_last", channels_last=True),
    Variant("fp16 eager cudnn-benchmark", cudnn_benchmark=True),
    Variant("fp16 eager cudnn-benchmark channels_last", cudnn_benchmark=True, channels_last=True),
    Variant("fp16 eager cudnn-benchmark fused-qkv", **TUNED),
    Variant("fp16 eager TAESD decode", taesd=True),
    # Batch 8 first: its graph is compiled for that shape alone; batch 1 after it recompiles with a dynamic
    # batch dimension, as a worker that saw both sizes runs.
    Variant("fp16 compiled", FP16, (8, 1), compiled=True),
    Variant("bf16 compiled", BF16, (8, 1), compiled=True),
    Variant("fp16 compiled tuned", compiled=True, compiled_decoder=True, **TUNED),
    Variant("fp16 compiled tuned TAESD decode", compiled=True, compiled_decoder=True, taesd=True, **TUNED),
)


def _apply(variant: Variant, shared) -> None:
    from diffusers import UNet2DConditionModel

    torch.backends.cudnn.benchmark = variant.cudnn_benchmark
    for model in (shared.unet, shared.controlnet):
        if variant.fused_qkv != bool(getattr(model, "original_attn_processors", None)):
            # UNet2DConditionModel's own fusing; ControlNetModel has the same attention modules but not the method.
            if variant.fused_qkv:
                UNet2DConditionModel.fuse_qkv_projections(model)
            else:
                UNet2DConditionModel.unfuse_qkv_projections(model)
                model.original_attn_processors = None
        if variant.compiled and model._compiled_call_impl is None:
            model.compile()  # in place, so every view of the shared pipeline runs the compiled modules
    if variant.compiled_decoder and shared.vae.decoder._compiled_call_impl is None:
        shared.vae.decoder.compile()
    shared.to(dtype=variant.dtype)
    memory_format = torch.channels_last if variant.channels_last else torch.contiguous_format
    for module in (shared.unet, shared.controlnet, shared.vae):
        module.to(memory_format=memory_format)


def cuda_variants(
    stack, steps: int = 4, repeats: int = 5, *, width=512, height=512, budget: float = 900, only: list[str] = ()
) -> list[dict]:
    """Rows of s/image per dtype, compile and batch size on the device of `stack` (a loaded preset).

    A variant group not started within `budget` seconds is left out (compiling takes minutes a group), so a
    lease's time limit still leaves a table; each row is also printed to stderr as it is measured, and a
    group that fails (a compile, memory) is a row saying so while the others go on. `only`: the VARIANTS
    of these names, in VARIANTS' order."""
    from prompts.plan import ControlNetUnit
    from prompts.poses import FRONT_STANDING

    pose = ControlNetUnit(kind="openpose", keypoints=FRONT_STANDING.keypoints).conditioning_image(width, height)
    shared, taesd = stack.pipeline, stack.taesd
    pipeline = type(shared)(**shared.components)
    pipeline.set_progress_bar_config(disable=True)
    full_vae = pipeline.vae

    def batch_call(batch: int):
        # What render_batch hands diffusers: one prompt per image, each image's own CPU generator.
        return pipeline(
            prompt=[PROMPT] * batch,
            image=[pose] * batch,
            width=width,
            height=height,
            num_inference_steps=steps,
            guidance_scale=GUIDANCE,
            generator=[torch.Generator(device="cpu").manual_seed(seed) for seed in range(batch)],
            output_type="pil",
        ).images

    peak = peak_bf16_tflops(torch.cuda.get_device_name())
    # Counted first, on the models as loaded: counting runs batch 1, which after a variant compiled for batch 8
    # would compile the models again outside any row's warm-up.
    flops = {}
    for decoder, vae in (("VAE", full_vae), ("TAESD", taesd)):
        if vae is not None:
            pipeline.vae = vae
            try:
                flops[decoder] = _flops_per_image(batch_call)
            except Exception:  # the rows' times are still worth the lease; their TFLOP/s are left blank
                traceback.print_exc()
    pipeline.vae = full_vae
    rows, started = [], time.perf_counter()
    for variant in VARIANTS:
        if only and variant.name not in only:
            continue
        if variant.taesd and taesd is None:
            continue
        if time.perf_counter() - started > budget:
            print(f"  cuda: {variant.name} left out, past the {budget:.0f} s budget", file=sys.stderr, flush=True)
            continue
        try:
            _apply(variant, shared)
            pipeline.vae = taesd.to(dtype=variant.dtype) if variant.taesd else full_vae
            decoder = "TAESD" if variant.taesd else "VAE"
            for batch in variant.batches:
                group_started = time.perf_counter()
                for _ in range(2):  # warm-up: compiling (again for a new dtype or batch), cuDNN autotuning
                    batch_call(batch)
                warm_up_s = time.perf_counter() - group_started
                torch.cuda.reset_peak_memory_stats()
                seconds = []
                for _ in range(repeats):
                    torch.cuda.synchronize()
                    begun = time.perf_counter()
                    batch_call(batch)
                    torch.cuda.synchronize()
                    seconds.append(time.perf_counter() - begun)
                per_image = statistics.median(seconds) / batch
                counted = flops.get(decoder)
                achieved = counted / per_image / 1e12 if counted else None
                row = {
                    "variant": variant.name,
                    "batch": batch,
                    "steps": steps,
                    "s_per_image": per_image,
                    "peak_gib": torch.cuda.max_memory_allocated() / 2**30,
                    "tflops": achieved,
                    "gflop_per_image": counted / 1e9 if counted else None,
                    "peak_share": achieved / peak if peak and achieved else None,
                    "warm_up_s": warm_up_s,
                }
                rows.append(row)
                print(
                    f"  cuda: {variant.name}, batch {batch}: {per_image * 1000:.1f} ms/img, "
                    f"{achieved or 0:.0f} TFLOP/s, warm-up {warm_up_s:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
        except Exception as error:  # one variant's failure (a compile, memory) leaves the rest
            traceback.print_exc()
            rows.append({"variant": variant.name, **failure(error)})
    pipeline.vae = full_vae
    return rows


def _flops_per_image(batch_call) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    batch_call(1)  # not counted: the first call sets up kernels
    with FlopCounterMode(display=False) as counter:
        batch_call(1)
    return float(counter.get_total_flops())
