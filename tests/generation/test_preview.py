"""The shopper preview path: TAESD, fewer steps, DeepCache, ControlNets on early steps only, bf16 where native."""

import copy
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from diffusers import AutoencoderTiny, UNet2DConditionModel
from torch.nn.modules.module import register_module_forward_pre_hook

from generation import preview, render
from generation.deepcache import DeepCache
from generation.loading import load_stack
from generation.preview import PreviewLevers, native_bf16
from generation.tiny_extras import write_random_lora

ALL_OFF = PreviewLevers(taesd=False, deepcache_interval=1, control_end=1.0, bf16=False)


@pytest.fixture
def fast_plan(make_plan):
    """What a shopper's try-on renders with on tiny: tiny-fast's LCM-LoRA, 4 steps, guidance off."""

    def make(**changes):
        return make_plan(preset="tiny-fast", steps=4, guidance_scale=1.0, sampler="LCM", **changes)

    return make


def pixels(result) -> np.ndarray:
    return np.asarray(result.images[0]).astype(int)


def test_a_shopper_preview_renders_fast_and_its_infotext_names_its_levers(fast_plan, monkeypatch):
    monkeypatch.setattr(preview, "native_bf16", lambda: False)  # the same pixels on every CPU

    shown = render(fast_plan(preview=True))
    catalog = render(fast_plan())

    assert shown.images[0].size == (64, 96)
    assert 'Preview: "TAESD, 4 steps, ControlNet until 0.5, DeepCache every 2"' in shown.parameters
    assert "Preview" not in catalog.parameters
    assert np.abs(pixels(shown) - pixels(catalog)).max() > 0  # a preview is its own, cheaper image


def test_a_preview_with_every_lever_off_is_the_catalog_render_exactly(fast_plan):
    assert (pixels(render(fast_plan(preview=True), preview_levers=ALL_OFF)) == pixels(render(fast_plan()))).all()


def test_deepcache_every_step_is_the_plain_unet_and_every_other_step_skips_the_deep_blocks(fast_plan):
    unet = load_stack("tiny-fast").pipeline.unet
    generator = torch.Generator().manual_seed(0)
    sample = torch.randn(1, 4, 12, 8, generator=generator)
    context = torch.randn(1, 77, unet.config.cross_attention_dim, generator=generator)
    timesteps = [999, 759, 499, 259]
    with torch.no_grad():
        plain = [unet(sample, t, context).sample for t in timesteps]
        with DeepCache(1).applied(unet):
            every_step = [unet(sample, t, context).sample for t in timesteps]
        middle_calls = []
        # A layer inside the middle block: on a replayed step the block hands back its output without running it.
        hook = unet.mid_block.resnets[0].register_forward_hook(lambda *_: middle_calls.append(1))
        with DeepCache(2).applied(unet):
            alternate = [unet(sample, t, context).sample for t in timesteps]
        hook.remove()
        after = unet(sample, timesteps[1], context).sample

    assert all(torch.equal(a, b) for a, b in zip(every_step, plain, strict=True))
    assert len(middle_calls) == 2  # steps 0 and 2 ran the deep blocks; 1 and 3 replayed them
    assert torch.equal(alternate[0], plain[0]) and torch.equal(alternate[2], plain[2])
    assert not torch.equal(alternate[1], plain[1])  # the cheap path, close to the full one but not it
    assert torch.equal(after, plain[1])  # afterwards the UNet is its plain self again


def test_a_controlnet_outside_its_window_is_not_run_at_all(fast_plan):
    controlnet = load_stack("tiny-fast").controlnets["openpose"]
    runs = []
    hook = controlnet.controlnet_cond_embedding.register_forward_hook(lambda *_: runs.append(1))
    try:
        render(fast_plan(preview=True), preview_levers=PreviewLevers(bf16=False, deepcache_interval=1))
    finally:
        hook.remove()

    assert len(runs) == 2  # until 0.5 of 4 steps; diffusers alone would run it 4 times at scale 0


def test_taesd_decodes_latents_to_an_image_of_the_plans_size():
    taesd = load_stack("tiny-fast").taesd

    with torch.no_grad():
        image = taesd.decode(torch.zeros(1, 4, 96 // 8, 64 // 8)).sample

    assert isinstance(taesd, AutoencoderTiny)
    assert image.shape == (1, 3, 96, 64)


@pytest.mark.parametrize(
    ("cpuinfo", "native"),
    [
        ("processor : 0\nflags : fpu sse2 avx2 avx512f avx512_bf16\n", True),  # Cooper Lake, Zen 4
        ("flags : fpu avx2 avx512f amx_tile amx_bf16\n", True),  # Sapphire Rapids
        ("flags : fpu sse2 avx2 avx512f\n", False),  # Skylake-SP: bf16 emulated, slower than fp32
        ("Features : fp asimd sve bf16 i8mm\n", True),  # Arm Neoverse V1
        ("Features : fp asimd\n", False),
    ],
)
def test_bf16_is_native_only_where_the_cpu_says_so(cpuinfo, native, tmp_path, monkeypatch):
    (tmp_path / "cpuinfo").write_text(cpuinfo)
    monkeypatch.setattr(preview, "CPU_FLAGS", tmp_path / "cpuinfo")
    native_bf16.cache_clear()
    try:
        assert native_bf16() is native
    finally:
        native_bf16.cache_clear()


def test_this_machines_answer_is_a_bool_read_once():
    assert native_bf16() in (True, False)
    assert native_bf16.cache_info().currsize == 1


def test_on_a_compiled_worker_the_bf16_copy_runs_its_own_bf16_weights_not_the_compiled_fp32_model():
    unet = copy.deepcopy(load_stack("tiny-fast").pipeline.unet)  # not the session's shared one
    unet.compile(backend="eager")  # what TRYON_COMPILE=1 does, without the minutes of code generation
    config = unet.config
    sample = torch.randn(1, config.in_channels, 16, 16, generator=torch.Generator().manual_seed(1))
    words = torch.randn(1, 77, config.cross_attention_dim, generator=torch.Generator().manual_seed(2))

    fp32 = unet(sample, 500, encoder_hidden_states=words).sample
    bf16 = preview.bf16_copy(unet)(sample, 500, encoder_hidden_states=words).sample

    assert bf16.dtype == torch.float32  # handed back in fp32, as the pipeline expects
    assert 0 < (bf16 - fp32).abs().max() < 0.1  # computed in bf16: close, and not the fp32 model's own output


@pytest.mark.parametrize("native", [True, False])
def test_the_preview_uses_bf16_exactly_where_it_is_native(native, fast_plan, monkeypatch):
    monkeypatch.setattr(preview, "native_bf16", lambda: native)
    shared = load_stack("tiny-fast").pipeline.unet
    seen = []
    handle = register_module_forward_pre_hook(
        lambda module, args: seen.append(module.dtype) if isinstance(module, UNet2DConditionModel) else None
    )
    try:
        shown = render(fast_plan(preview=True))
    finally:
        handle.remove()

    assert set(seen) == {torch.bfloat16 if native else torch.float32}
    assert ("bf16, channels_last" in shown.parameters) is native
    assert shared.dtype == torch.float32  # catalog renders keep the shared fp32 UNet


def test_a_preview_with_its_own_lora_keeps_the_fp32_unet_the_lora_is_applied_to(fast_plan, monkeypatch, tmp_path):
    write_random_lora(load_stack("tiny-fast").pipeline.unet, tmp_path / "linen.safetensors", seed=11)
    monkeypatch.setenv("TRYON_LORA_DIR", str(tmp_path))
    monkeypatch.setattr(preview, "native_bf16", lambda: True)

    plain = render(fast_plan(preview=True))
    with_lora = render(fast_plan(preview=True, prompt="a red linen dress <lora:linen:0.8>"))

    assert "bf16" in plain.parameters
    assert "bf16" not in with_lora.parameters and "DeepCache every 2" in with_lora.parameters


def test_the_compare_bench_runs_end_to_end_on_tiny_and_ends_with_its_one_line(tiny_models_dir):
    environment = {**os.environ, "TRYON_MODELS_DIR": str(tiny_models_dir), "OMP_WAIT_POLICY": "PASSIVE"}
    command = [sys.executable, "-m", "generation.bench", "--presets", "tiny", "--compare", "--repeats", "1"]
    command += ["--memory", "2", "--threads", "1"]

    finished = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=900, check=True)

    lines = finished.stdout.strip().splitlines()
    assert re.fullmatch(r"preview/bare-default: \d+\.\d{3} \(preview \d+\.\d{2} s, bare \d+\.\d{2} s\)", lines[-1])
    assert sum(line.startswith("preview/bare-default:") for line in lines) == 1
    table = "\n".join(lines)
    for lever in ("TAESD decode", "DeepCache every 2", "ControlNet until 0.5", "2 steps"):
        assert lever in table
    assert re.search(r"2 consecutive previews: RSS start [\d.]+ GiB, middle [\d.]+ GiB, end [\d.]+ GiB", table)
