"""Full-size stacks have the real models' shapes, and their folders load and render like real weights.

Shapes are checked by counting parameters on the meta device, so no weights are made; the layout is
checked by building the same folders from small stand-ins of each model.
"""

import dataclasses

import pytest
import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel

from generation import load_pipeline, render
from generation.fullsize import (
    CLIP_L,
    SD15_CONTROLNET,
    SD15_FULL,
    SD15_MODELS,
    SD15_UNET,
    SD15_VAE,
    SDXL_MODELS,
    build_fullsize_sd15,
    openpose_controlnet,
)
from generation.presets import PRESETS

# The real models' parameter counts, as their published weights have them.
REAL_COUNTS = [
    ("sd15", "unet", 859_520_964),
    ("sd15", "vae", 83_653_863),
    ("sd15", "text_encoder", 123_060_480),  # CLIP ViT-L/14's text model
    ("sd15", "controlnet", 361_279_120),  # control_v11p_sd15_openpose
    ("sdxl", "unet", 2_567_463_684),
    ("sdxl", "vae", 83_653_863),
    ("sdxl", "text_encoder", 123_060_480),
    ("sdxl", "text_encoder_2", 694_659_840),  # OpenCLIP bigG's text model with its projection
    ("sdxl", "controlnet", 1_251_014_160),  # the shape of thibaud/ and xinsir/controlnet-openpose-sdxl-1.0
]


@pytest.mark.parametrize(("stack", "name", "expected"), REAL_COUNTS, ids=[f"{s}-{n}" for s, n, _ in REAL_COUNTS])
def test_each_model_has_the_real_models_parameter_count(stack, name, expected):
    with torch.device("meta"):
        model = {"sd15": SD15_MODELS, "sdxl": SDXL_MODELS}[stack][name]()

    assert sum(parameter.numel() for parameter in model.parameters()) == expected


@pytest.mark.parametrize("stack", ["sd15", "sdxl"])
def test_the_models_of_a_stack_fit_together_from_prompt_to_pixels(stack):
    # A forward pass on the meta device checks every shape between the models without computing anything.
    with torch.device("meta"):
        models = {name: make() for name, make in {"sd15": SD15_MODELS, "sdxl": SDXL_MODELS}[stack].items()}
        ids = torch.zeros(1, 77, dtype=torch.long)
        added = {}
        if stack == "sd15":
            context = models["text_encoder"](ids).last_hidden_state
        else:  # SDXL reads both encoders' penultimate layers side by side, and bigG's pooled projection
            first = models["text_encoder"](ids, output_hidden_states=True).hidden_states[-2]
            second = models["text_encoder_2"](ids, output_hidden_states=True)
            context = torch.cat([first, second.hidden_states[-2]], dim=-1)
            added = {"added_cond_kwargs": {"text_embeds": second.text_embeds, "time_ids": torch.zeros(1, 6)}}
        size = 8 * models["unet"].config.sample_size
        latents, pose = torch.zeros(1, 4, size // 8, size // 8), torch.zeros(1, 3, size, size)
        down, middle = models["controlnet"](latents, 500, context, pose, **added, return_dict=False)
        noise = models["unet"](
            latents, 500, context, **added, down_block_additional_residuals=down, mid_block_additional_residual=middle
        ).sample
        image = models["vae"].decode(noise).sample

    assert noise.shape == latents.shape
    assert image.shape == (1, 3, size, size)


SMALL = {"block_out_channels": (32, 32, 64, 64), "layers_per_block": 1, "norm_num_groups": 8, "cross_attention_dim": 32}
SMALL_SD15_MODELS = {
    "unet": lambda: UNet2DConditionModel(**{**SD15_UNET, **SMALL}),
    "vae": lambda: AutoencoderKL(
        **{**SD15_VAE, "block_out_channels": (16, 16, 32, 32), "layers_per_block": 1, "norm_num_groups": 8}
    ),
    "text_encoder": lambda: CLIPTextModel(
        CLIPTextConfig(
            **{**CLIP_L, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}
        )
    ),
    "controlnet": lambda: openpose_controlnet({**SD15_CONTROLNET, **SMALL}),
}


def test_a_built_sd15_folder_loads_through_the_engine_and_renders(tmp_path, make_plan, monkeypatch):
    build_fullsize_sd15(tmp_path, dtype=torch.float16, models=SMALL_SD15_MODELS)
    preset = dataclasses.replace(
        SD15_FULL, name="fullsize-layout", base=str(tmp_path / "base"), openpose=str(tmp_path / "controlnet-openpose")
    )
    monkeypatch.setitem(PRESETS, preset.name, preset)

    pipeline = load_pipeline(preset.name)
    result = render(make_plan(preset=preset.name, width=64, height=64, steps=1))

    assert result.images[0].size == (64, 64)
    assert len(pipeline.tokenizer) == 49408 and pipeline.tokenizer.model_max_length == 77
    assert pipeline.vae.config.scaling_factor == 0.18215
    assert pipeline.scheduler.config.beta_schedule == "scaled_linear"
    # Saved in fp16, made fp32 by the loader on CPU; a trained ControlNet's zero convolutions are not zero.
    assert pipeline.unet.dtype == torch.float32
    assert pipeline.controlnet.controlnet_mid_block.weight.abs().sum() > 0
