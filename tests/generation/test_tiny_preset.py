"""The tiny preset: SD1.5's shape and tokenizer, random weights, built locally and identically."""

import shutil

from diffusers import ControlNetModel, StableDiffusionControlNetPipeline

from generation import load_pipeline, tiny
from generation.tiny import ensure_tiny_preset
from generation.tokenizer import build_clip_tokenizer

WEIGHTS = (
    "base/unet/diffusion_pytorch_model.safetensors",
    "base/vae/diffusion_pytorch_model.safetensors",
    "base/text_encoder/model.safetensors",
    "controlnet-openpose/diffusion_pytorch_model.safetensors",
)


def test_the_tokenizer_gives_real_clip_token_ids(tmp_path):
    tokenizer = build_clip_tokenizer(tmp_path)

    assert tokenizer("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    assert tokenizer("a red dress").input_ids == [49406, 320, 736, 2595, 49407]
    assert len(tokenizer) == 49408
    assert tokenizer.model_max_length == 77


def test_tiny_is_saved_in_diffusers_layout_and_not_rebuilt(tiny_models_dir):
    folder = tiny_models_dir / "tiny"
    assert (folder / "base" / "model_index.json").is_file()
    assert (folder / "controlnet-openpose" / "config.json").is_file()
    stamps = {name: (folder / name).stat().st_mtime_ns for name in WEIGHTS}

    assert ensure_tiny_preset(tiny_models_dir) == folder

    assert {name: (folder / name).stat().st_mtime_ns for name in WEIGHTS} == stamps


def test_tiny_has_the_sd15_shape():
    pipeline = load_pipeline("tiny")

    assert isinstance(pipeline, StableDiffusionControlNetPipeline)
    assert isinstance(pipeline.controlnet, ControlNetModel)
    assert pipeline.vae_scale_factor == 8
    assert len(pipeline.controlnet.config.conditioning_embedding_out_channels) == 4
    assert pipeline.unet.config.cross_attention_dim == pipeline.text_encoder.config.hidden_size
    assert pipeline.text_encoder.config.vocab_size == 49408
    assert pipeline.tokenizer("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    assert pipeline.safety_checker is None


def test_a_build_that_loses_the_race_to_another_process_uses_the_winners_preset(tmp_path, monkeypatch, tiny_models_dir):
    winner = tiny_models_dir / "tiny"

    def build_while_another_process_finishes_first(staging):
        shutil.copytree(winner, tmp_path / "tiny")
        shutil.copytree(winner, staging, dirs_exist_ok=True)

    monkeypatch.setattr(tiny, "_build", build_while_another_process_finishes_first)

    assert ensure_tiny_preset(tmp_path) == tmp_path / "tiny"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tiny"]  # our staging folder is gone


def test_every_build_writes_the_same_weights(tmp_path, tiny_models_dir):
    ensure_tiny_preset(tmp_path)

    for name in WEIGHTS:
        assert (tmp_path / "tiny" / name).read_bytes() == (tiny_models_dir / "tiny" / name).read_bytes(), name
