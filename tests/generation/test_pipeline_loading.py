"""Loading: once per process, from local files only, and a clear way out when weights are missing."""

import logging
import subprocess
import sys
from pathlib import Path

import huggingface_hub
import pytest
import torch
from diffusers import StableDiffusionControlNetPipeline

from generation import PRESETS, EngineError, WeightsMissing, get_preset, load_pipeline, loading, models_dir
from generation.samplers import SAMPLERS


@pytest.fixture
def empty_hub_cache(tmp_path, monkeypatch):
    """A Hugging Face cache with nothing in it, whatever this machine has downloaded."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    for name in ("TRYON_SD15_BASE", "TRYON_SD15_OPENPOSE"):
        monkeypatch.delenv(name, raising=False)


def test_tiny_loads_through_the_loader_once_per_process():  # on the CPU, as the conftest asks
    pipeline = load_pipeline("tiny")

    assert isinstance(pipeline, StableDiffusionControlNetPipeline)
    assert pipeline.device.type == "cpu"
    assert pipeline.dtype == torch.float32
    assert load_pipeline("tiny") is pipeline


def test_loading_is_logged_once_per_process(monkeypatch, caplog):
    monkeypatch.setattr(loading, "_PIPELINES", {})  # as in a fresh worker process
    caplog.set_level(logging.INFO, logger="generation.loading")

    load_pipeline("tiny")
    load_pipeline("tiny")

    assert [record.getMessage().split(" on ")[0] for record in caplog.records] == ["Pipeline for preset 'tiny' loaded"]


def test_an_unknown_preset_is_refused_with_the_valid_names():
    with pytest.raises(EngineError, match=r"preset: 'sdxl-turbo' is not one of tiny, sd15"):
        load_pipeline("sdxl-turbo")


def test_sd15_from_a_missing_local_folder_fails_at_once_with_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TRYON_SD15_BASE", str(tmp_path / "no-such-folder"))
    monkeypatch.setenv("TRYON_SD15_OPENPOSE", str(tmp_path / "no-such-controlnet"))

    with pytest.raises(WeightsMissing) as missing:
        load_pipeline("sd15")

    message = str(missing.value)
    assert "preset 'sd15'" in message
    assert f"base model '{tmp_path / 'no-such-folder'}' (from TRYON_SD15_BASE)" in message
    assert "OpenPose ControlNet" in message
    assert "hf download stable-diffusion-v1-5/stable-diffusion-v1-5" in message
    assert "hf download lllyasviel/control_v11p_sd15_openpose" in message
    assert "TRYON_DOWNLOAD_WEIGHTS=1" in message
    assert "TRYON_PRESET=tiny" in message


def test_sd15_from_hub_ids_not_in_the_cache_fails_at_once(empty_hub_cache):
    with pytest.raises(WeightsMissing) as missing:
        load_pipeline("sd15")

    message = str(missing.value)
    assert "base model 'stable-diffusion-v1-5/stable-diffusion-v1-5': not in the Hugging Face cache" in message
    assert "OpenPose ControlNet 'lllyasviel/control_v11p_sd15_openpose': not in the Hugging Face cache" in message


def test_sd15_with_downloads_on_but_the_hub_unreachable_is_weights_missing(empty_hub_cache, monkeypatch):
    assert huggingface_hub.constants.HF_HUB_OFFLINE  # the conftest's guarantee: this test cannot download
    monkeypatch.setenv("TRYON_DOWNLOAD_WEIGHTS", "1")

    with pytest.raises(WeightsMissing, match=r"preset 'sd15': could not load"):
        load_pipeline("sd15")


def test_a_half_copied_local_folder_is_weights_missing(tmp_path, monkeypatch, tiny_models_dir):
    (tmp_path / "model_index.json").write_text((tiny_models_dir / "tiny/base/model_index.json").read_text())
    monkeypatch.setenv("TRYON_SD15_BASE", str(tmp_path))
    monkeypatch.setenv("TRYON_SD15_OPENPOSE", str(tiny_models_dir / "tiny/controlnet-openpose"))

    with pytest.raises(WeightsMissing, match=r"could not load"):
        load_pipeline("sd15")


@pytest.mark.parametrize(("name", "value"), [("TRYON_DOWNLOAD_WEIGHTS", "maybe"), ("TRYON_DEVICE", "gpu")])
def test_a_mistyped_setting_is_refused_not_guessed(monkeypatch, tiny_models_dir, name, value):
    # Point sd15 at the tiny weights so the loader gets as far as reading every setting.
    monkeypatch.setenv("TRYON_SD15_BASE", str(tiny_models_dir / "tiny/base"))
    monkeypatch.setenv("TRYON_SD15_OPENPOSE", str(tiny_models_dir / "tiny/controlnet-openpose"))
    monkeypatch.setenv(name, value)

    with pytest.raises(EngineError, match=rf"^{name}='{value}': expected one of"):
        load_pipeline("sd15")


def test_models_dir_comes_from_the_environment_or_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("TRYON_MODELS_DIR", str(tmp_path))
    assert models_dir() == tmp_path

    monkeypatch.delenv("TRYON_MODELS_DIR")
    assert models_dir() == Path.home() / ".cache" / "tryon" / "models"


def test_presets_declare_their_sources_and_defaults():
    assert list(PRESETS)[:2] == ["tiny", "sd15"]  # the rest: tests/generation/test_presets.py
    tiny, sd15 = get_preset("tiny"), get_preset("sd15")
    assert (tiny.width, tiny.height, tiny.steps, tiny.guidance_scale, tiny.sampler) == (128, 192, 4, 7.0, "Euler a")
    assert (sd15.width, sd15.height, sd15.steps, sd15.guidance_scale, sd15.sampler) == (
        512,
        768,
        25,
        7.0,
        "DPM++ 2M Karras",
    )
    assert sd15.base == "stable-diffusion-v1-5/stable-diffusion-v1-5"
    assert sd15.openpose == "lllyasviel/control_v11p_sd15_openpose"
    for preset in PRESETS.values():
        assert preset.sampler in SAMPLERS
        assert preset.description and preset.licence


def test_presets_errors_and_pngs_are_usable_without_importing_torch():
    # Web processes import generation for these; torch and diffusers cost them seconds and memory.
    script = (
        "import sys; import generation; from generation.presets import get_preset; "
        "from generation import EngineError, RenderCancelled, png_with_parameters, PRESETS; "
        "print(sorted(name for name in ('torch', 'diffusers', 'transformers') if name in sys.modules))"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert ran.stdout.strip() == "[]"
