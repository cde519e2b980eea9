"""Worker-grade behaviour: speed options, few-step presets, big images, time budgets, out-of-memory recovery."""

import os

import numpy as np
import pytest
import torch
from diffusers import AutoencoderKL, AutoencoderTiny

from generation import EngineError, load_pipeline, loading, render, rendering
from generation.loading import load_stack

from .conftest import IMAGES, PHOTO


def pixels(result) -> bytes:
    return result.images[0].tobytes()


def unet_evaluations(preset: str, plan) -> int:
    """How many images the UNet denoised during one render: a batch of 2 under guidance counts 2."""
    seen = []
    hook = load_pipeline(preset).unet.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape[0]))
    try:
        render(plan)
    finally:
        hook.remove()
    return sum(seen)


def test_the_fast_preset_takes_4_unet_evaluations_per_image_and_guidance_takes_2_per_step(make_plan):
    fast = make_plan(preset="tiny-fast", sampler="LCM", steps=4, guidance_scale=1.0)

    assert unet_evaluations("tiny-fast", fast) == 4
    assert unet_evaluations("tiny", make_plan(steps=4, guidance_scale=7.0)) == 8


def test_channels_last_loads_the_models_nhwc_and_renders_the_same_picture(make_plan, monkeypatch):
    reference = np.asarray(render(make_plan()).images[0]).astype(int)
    monkeypatch.setattr(loading, "_PIPELINES", {})  # as a worker started with the setting
    monkeypatch.setenv("TRYON_CHANNELS_LAST", "1")

    result = render(make_plan())

    weight = load_pipeline("tiny").unet.conv_in.weight
    assert weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()
    assert np.abs(np.asarray(result.images[0]).astype(int) - reference).max() <= 2  # reordered sums, same image


def test_compile_is_opt_in_and_compiles_the_unet_and_controlnet_in_place(monkeypatch, fresh_stacks):
    monkeypatch.setenv("TRYON_COMPILE", "1")

    stack = load_stack("tiny")

    assert stack.pipeline.unet._compiled_call_impl is not None
    assert stack.controlnets["openpose"]._compiled_call_impl is not None
    assert type(stack.pipeline.unet).__name__ == "UNet2DConditionModel"  # diffusers still sees a UNet


@pytest.mark.skipif(
    os.environ.get("TRYON_TEST_COMPILE") != "1",
    reason="inductor compiles for minutes on 2 CPU cores; set TRYON_TEST_COMPILE=1 to run it",
)
def test_a_compiled_stack_renders_the_same_picture(make_plan, monkeypatch):
    reference = np.asarray(render(make_plan()).images[0]).astype(int)
    monkeypatch.setattr(loading, "_PIPELINES", {})
    monkeypatch.setenv("TRYON_COMPILE", "1")

    compiled = np.asarray(render(make_plan()).images[0]).astype(int)

    assert np.abs(compiled - reference).max() <= 2


def test_a_taesd_preset_decodes_previews_with_it_and_keeps_the_full_vae_for_catalog_renders(presets_file, make_plan):
    presets_file('[presets.quick]\nbased_on = "tiny"\ntaesd = "{models_dir}/tiny-extras/taesd"')
    refine = {"mode": "refine", "init_image": PHOTO, "strength": 0.5}

    quick = render(make_plan(preset="quick"))
    quick_refined = render(make_plan(preset="quick", **refine), images=IMAGES)
    quick_preview = render(make_plan(preset="quick", preview=True))

    assert isinstance(load_stack("quick").taesd, AutoencoderTiny)
    assert pixels(quick) == pixels(render(make_plan()))  # a catalog render: the full VAE, full quality
    assert pixels(quick_refined) == pixels(render(make_plan(**refine), images=IMAGES))
    assert quick_preview.images[0].size == (64, 96)
    assert 'Preview: "TAESD, ' in quick_preview.parameters


def test_above_1024_px_the_vae_decodes_in_tiles_and_the_shared_vae_is_left_as_it_was(make_plan, monkeypatch):
    calls = []
    tiled = AutoencoderKL.tiled_decode
    monkeypatch.setattr(AutoencoderKL, "tiled_decode", lambda self, *a, **k: calls.append(1) or tiled(self, *a, **k))

    wide = render(make_plan(width=1088, height=64, steps=1, controlnet_units=()))
    render(make_plan(width=1024, height=64, steps=1, controlnet_units=()))

    assert wide.images[0].size == (1088, 64)
    assert len(calls) == 1
    assert load_pipeline("tiny").vae.use_tiling is False


def test_a_render_past_its_time_budget_stops_with_an_engine_error(make_plan):
    reports = []

    with pytest.raises(
        EngineError, match=r"^time_budget_s: the render took longer than 1e-06 s; stopped at step 1/4$"
    ) as stopped:
        render(make_plan(steps=4), on_step=lambda done, total: reports.append(done), time_budget_s=1e-6)

    assert reports == [1] and stopped.value.code == "timed_out"
    assert render(make_plan(steps=4), time_budget_s=600).images[0].size == (64, 96)


@pytest.mark.parametrize("budget", [0, -5, float("nan"), "60", True])
def test_a_time_budget_that_is_not_a_positive_number_is_refused(make_plan, budget):
    with pytest.raises(EngineError, match=r"^time_budget_s: .* must be a positive number of seconds$"):
        render(make_plan(), time_budget_s=budget)


@pytest.mark.parametrize(
    "error", [torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), RuntimeError("out of memory")]
)
def test_out_of_memory_gives_the_memory_back_and_the_worker_goes_on(make_plan, monkeypatch, error):
    before = render(make_plan())
    returned = []
    monkeypatch.setattr(rendering.gc, "collect", lambda: returned.append("gc") or 0)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: returned.append("cuda cache"))
    unet = load_pipeline("tiny").unet

    def run_out(module, args):
        raise error

    hook = unet.register_forward_pre_hook(run_out)
    try:
        with pytest.raises(
            EngineError, match=r"^ran out of (GPU )?memory rendering 64x96 with preset 'tiny'; the"
        ) as ran_out:
            render(make_plan())
    finally:
        hook.remove()

    assert returned == ["gc", "cuda cache"] and ran_out.value.code == "out_of_memory"  # a code callers act on
    assert pixels(render(make_plan())) == pixels(before)


def test_other_runtime_errors_are_not_mistaken_for_out_of_memory(make_plan):
    def fail(module, args):
        raise RuntimeError("boom")

    hook = load_pipeline("tiny").unet.register_forward_pre_hook(fail)
    try:
        with pytest.raises(RuntimeError, match=r"^boom$"):
            render(make_plan())
    finally:
        hook.remove()
