"""tiny-sdxl: random weights in the SDXL architecture, so the SDXL code paths run in tests.

SDXL differs from SD1.5 where the engine must get it right: two CLIP text encoders whose penultimate
hidden states are laid side by side, a pooled embedding from the second, and size and crop
conditioning (the UNet's "text_time" embedding). The shapes follow diffusers' own SDXL test models.
"""

import tempfile
from pathlib import Path

import torch
from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
from transformers import CLIPTextModelWithProjection, CLIPTokenizer

from generation.tiny import SD15_SCHEDULER, seeded, tiny_controlnet, tiny_text_encoder, tiny_vae
from generation.tokenizer import MODEL_MAX_LENGTH, build_clip_tokenizer

SDXL_MARKERS = ("base/model_index.json", "controlnet-openpose/config.json")
TIME_EMBED_DIM = 8  # per size or crop number; SDXL adds 6 of them to the pooled text embedding


def build_tiny_sdxl(folder: Path) -> None:
    with tempfile.TemporaryDirectory() as vocab_folder:
        tokenizer = build_clip_tokenizer(Path(vocab_folder))
        # SDXL's second tokenizer pads with "!" (id 0) rather than with its end token.
        tokenizer_2 = CLIPTokenizer.from_pretrained(vocab_folder, model_max_length=MODEL_MAX_LENGTH, pad_token="!")
    with torch.random.fork_rng(devices=[]):
        text_encoder = seeded(tiny_text_encoder)
        text_encoder_2 = seeded(lambda: CLIPTextModelWithProjection(tiny_text_encoder().config), seed=1)
        projection = text_encoder_2.config.projection_dim
        unet = seeded(lambda: _unet(text_encoder.config.hidden_size * 2, projection), seed=2)
        controlnet = seeded(lambda: tiny_controlnet(unet), seed=3)
        pipeline = StableDiffusionXLPipeline(
            vae=seeded(tiny_vae, seed=4),
            text_encoder=text_encoder,
            text_encoder_2=text_encoder_2,
            tokenizer=tokenizer,
            tokenizer_2=tokenizer_2,
            unet=unet,
            scheduler=EulerDiscreteScheduler(**_scheduler_config()),
            force_zeros_for_empty_prompt=True,
            add_watermarker=False,
        )
    pipeline.save_pretrained(folder / "base")
    controlnet.save_pretrained(folder / "controlnet-openpose")


def _unet(cross_attention_dim: int, pooled_dim: int) -> UNet2DConditionModel:
    return UNet2DConditionModel(
        sample_size=16,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=TIME_EMBED_DIM,
        transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=6 * TIME_EMBED_DIM + pooled_dim,
        cross_attention_dim=cross_attention_dim,
        norm_num_groups=8,
    )


def _scheduler_config() -> dict:
    # SDXL's scheduler_config.json: SD1.5's noise schedule, "leading" spacing, Euler.
    config = {key: value for key, value in SD15_SCHEDULER.items() if key not in ("set_alpha_to_one", "skip_prk_steps")}
    return {**config, "timestep_spacing": "leading", "interpolation_type": "linear"}
