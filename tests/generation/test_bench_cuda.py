"""The GPU bench's parts that run anywhere: the check of the worker's batched path it runs on the device, its
levers, and its table. The timings themselves need a CUDA device (README: GPU workers)."""

import copy
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from generation.bench.__main__ import batched_summary, cuda_report
from generation.bench.cuda import VARIANTS, Variant, _apply, batched_on_device
from generation.loading import load_stack
from prompts.plan import ControlNetUnit
from prompts.poses import FRONT_STANDING


def test_the_device_check_sees_shoppers_share_their_unet_calls_and_a_cancel_end_only_its_own_render():
    check = batched_on_device("tiny-fast", batch=3, steps=3, width=64, height=96)  # cancelled after step 2 of 3

    assert check["unet_batch_sizes"] == [3]  # guidance off: one row per shopper, one call per step
    assert check["failures"] == []
    assert check["max_px_diff"] <= 1 and check["distinct_images"] == 3
    assert check["cancelled_alone"] is True
    summary = batched_summary(check)
    assert "UNet called on batches of 3; failures: none" in summary
    assert "it alone ended, the others finished: True" in summary


def test_fusing_attention_projections_changes_no_pixel_and_unfusing_puts_the_processors_back():
    pipeline = copy.deepcopy(load_stack("tiny-fast").pipeline)  # the session's shared stack stays as it is
    pipeline.set_progress_bar_config(disable=True)
    pose = ControlNetUnit(kind="openpose", keypoints=FRONT_STANDING.keypoints).conditioning_image(64, 96)

    def image() -> np.ndarray:
        generator = torch.Generator().manual_seed(7)
        call = dict(prompt="a red linen dress", image=pose, width=64, height=96, num_inference_steps=2)
        return np.asarray(pipeline(**call, guidance_scale=1.0, generator=generator).images[0], np.int16)

    models = (pipeline.unet, pipeline.controlnet)

    def processors() -> set[str]:
        return {type(p).__name__ for model in models for p in model.attn_processors.values()}

    plain = image()
    _apply(Variant("fused", dtype=torch.float32, fused_qkv=True), pipeline)
    fused, fused_processors = image(), processors()
    _apply(Variant("plain", dtype=torch.float32), pipeline)
    unfused_processors = processors()
    _apply(Variant("fused again", dtype=torch.float32, fused_qkv=True), pipeline)  # as VARIANTS' order does

    assert fused_processors == processors() == {"FusedAttnProcessor2_0"}
    assert unfused_processors == {"AttnProcessor2_0"}
    assert np.abs(plain - fused).max() <= 1
    assert torch.backends.cudnn.benchmark is False


def test_the_report_shows_a_failed_variant_even_when_it_is_the_first_row():
    failed = {"variant": "fp16 compiled", "error": "BackendCompilerFailed: Failed to find C compiler"}
    measured = {"variant": "fp16 eager", "batch": 8, "steps": 4, "s_per_image": 0.0476, "gflop_per_image": 7961.0}
    measured |= {"tflops": 167.2, "peak_share": 0.169, "warm_up_s": 0.8, "peak_gib": 6.9}
    batched = {"error": "OutOfMemoryError: CUDA out of memory"}
    device = {"name": "NVIDIA H200", "attention": "AttnProcessor2_0", "matmul_tflops": 780.0, "batched": batched}

    report = cuda_report({"preset": "sd15-full", "cuda": [failed, measured], "cuda_device": device}).splitlines()

    assert report[0].startswith("CUDA on NVIDIA H200, attention AttnProcessor2_0")
    row = next(line for line in report if "fp16 eager" in line).split("|")
    assert row[4].strip() == "47.6" and row[8].strip() == "21.4"  # ms/img; % of the measured 780 TFLOP/s
    assert any("fp16 compiled | failed: BackendCompilerFailed: Failed to find C compiler" in line for line in report)
    assert report[-1] == "  failed: OutOfMemoryError: CUDA out of memory"


def test_the_table_refuses_to_run_under_the_workers_own_compile_setting():
    command = [sys.executable, "-m", "generation.bench", "--cuda"]
    environment = {**os.environ, "TRYON_COMPILE": "1"}

    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, env=environment)

    assert finished.returncode == 2
    assert "--cuda: unset TRYON_COMPILE: the table switches compiling and layouts itself" in finished.stderr


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--cuda-variants", "fp16 eager,,bf16 eager"], "--cuda-variants: unknown ''; known: fp16 eager, "),
        (["--budget", "-5"], "--budget: -5 must be more than 0 seconds"),
        (["--budget", "0"], "--budget: 0 must be more than 0 seconds"),
    ],
)
def test_an_empty_variant_name_or_no_time_is_refused_before_anything_loads(arguments, message):
    command = [sys.executable, "-m", "generation.bench", "--cuda", *arguments]

    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)

    assert finished.returncode == 2
    assert message in finished.stderr


def test_an_unknown_variant_name_is_refused_with_the_known_ones():
    command = [sys.executable, "-m", "generation.bench", "--cuda", "--cuda-variants", "fp16 eager,fp8 eager"]

    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)

    assert finished.returncode == 2
    assert "--cuda-variants: unknown fp8 eager; known: " + ", ".join(v.name for v in VARIANTS) in finished.stderr
