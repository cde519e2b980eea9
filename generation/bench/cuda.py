"""CUDA only (`python -m generation.bench --cuda`): seconds per image at batch 1 and 8, eager and
torch.compile'd, fp16 and bf16, for the diffusers call a worker's batch makes (one call over 8 prompts, a
CPU generator per image, guidance off as sd15-fast renders) and the share of the GPU's bf16 peak it reaches.

The FLOPs of one image are counted once (torch.utils.flop_counter, every model of the call: text encoder,
ControlNet, UNet, VAE) and divided by the measured seconds; the peak is the vendor's dense bf16 tensor-core
figure for the device's name (PEAK_BF16_TFLOPS). Our own machines have no GPU: the batched path's
correctness is tested on CPU instead (tests/generation/test_batching.py).
"""

import statistics
import time

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


def cuda_variants(shared, bare_call=None, steps: int = 4, repeats: int = 5, *, width=512, height=512) -> list[dict]:
    """Rows of s/image per dtype, compile and batch size on `shared`'s device (`bare_call` is not used)."""
    from prompts.plan import ControlNetUnit
    from prompts.poses import FRONT_STANDING

    pose = ControlNetUnit(kind="openpose", keypoints=FRONT_STANDING.keypoints).conditioning_image(width, height)
    pipeline = type(shared)(**shared.components)
    pipeline.set_progress_bar_config(disable=True)

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

    name = torch.cuda.get_device_name()
    peak = peak_bf16_tflops(name)
    flops = _flops_per_image(batch_call)
    attention = sorted({type(p).__name__ for p in shared.unet.attn_processors.values()})
    rows = []
    for compiled in (False, True):
        if compiled:
            # In place, so every view of the shared pipeline runs the compiled modules.
            shared.unet.compile()
            shared.controlnet.compile()
        for dtype in (torch.float16, torch.bfloat16):
            shared.to(dtype=dtype)
            for batch in (1, 8):
                for _ in range(2):  # warm-up: compiling (again for a new dtype or batch), cuDNN autotuning
                    batch_call(batch)
                torch.cuda.reset_peak_memory_stats()
                seconds = []
                for _ in range(repeats):
                    torch.cuda.synchronize()
                    started = time.perf_counter()
                    batch_call(batch)
                    torch.cuda.synchronize()
                    seconds.append(time.perf_counter() - started)
                per_image = statistics.median(seconds) / batch
                achieved = flops / per_image / 1e12
                rows.append(
                    {
                        "variant": f"{str(dtype).removeprefix('torch.')} {'compiled' if compiled else 'eager'}",
                        "batch": batch,
                        "steps": steps,
                        "s_per_image": per_image,
                        "peak_gib": torch.cuda.max_memory_allocated() / 2**30,
                        "tflops": achieved,
                        "peak_share": achieved / peak if peak else None,
                        "device_name": name,
                        "attention": ", ".join(attention),
                    }
                )
    return rows


def _flops_per_image(batch_call) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    batch_call(1)  # not counted: the first call sets up kernels
    with FlopCounterMode(display=False) as counter:
        batch_call(1)
    return float(counter.get_total_flops())
