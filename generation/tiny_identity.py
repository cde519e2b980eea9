"""tiny-tryon's identity adapter: a random IP-Adapter Plus Face in h94/IP-Adapter's layout, built locally.

The real one (models/ip-adapter-plus-face_sd15.safetensors) feeds the CLIP encoder's patch features through a
resampler (a small perceiver) to 16 face tokens. The stand-in has the same keys and the same loading route in
diffusers, at tiny sizes, with the same random image encoder as tiny's garment IP-Adapter: one encoder serves
both adapters, as ViT-H serves both on sd15.
"""

from pathlib import Path

import torch
from diffusers import UNet2DConditionModel
from diffusers.models.embeddings import IPAdapterPlusImageProjection
from safetensors.torch import save_file

from generation.tiny import seeded

IDENTITY_MARKERS = (
    "models/ip-adapter-plus-face_sd15.safetensors",
    "models/image_encoder/config.json",
    "models/image_encoder/model.safetensors",
)
FACE_TOKENS = 4  # the real adapter has 16; a quarter keeps the tiny one small
RESAMPLER_WIDTH = 64  # diffusers reads the head count off the weights as width // 64


def build_tiny_identity(tiny_extras: Path, folder: Path) -> None:
    """The adapter and its image encoder under `folder`, for the UNet of `tiny_extras`/inpaint."""
    from generation.tiny_extras import _image_encoder, ip_adapter_state_dict

    unet = UNet2DConditionModel.from_pretrained(tiny_extras / "inpaint" / "unet")
    with torch.random.fork_rng(devices=[]):
        encoder = seeded(_image_encoder, seed=3)  # the garment adapter's encoder, weight for weight
        encoder.save_pretrained(folder / "models" / "image_encoder")
        weights = {
            key: value
            for key, value in ip_adapter_state_dict(unet, encoder.config.projection_dim, seed=7).items()
            if key.startswith("ip_adapter.")  # the per-layer key and value projections; the resampler is below
        }
        resampler = seeded(
            lambda: IPAdapterPlusImageProjection(
                embed_dims=encoder.config.hidden_size,
                output_dims=unet.config.cross_attention_dim,
                hidden_dims=RESAMPLER_WIDTH,
                depth=4,
                dim_head=64,
                heads=RESAMPLER_WIDTH // 64,
                num_queries=FACE_TOKENS,
            ),
            seed=8,
        )
        weights.update({f"image_proj.{key}": value for key, value in resampler_original_keys(resampler).items()})
    save_file({key: value.contiguous() for key, value in weights.items()}, folder / IDENTITY_MARKERS[0])
    (folder / "README.txt").write_text("Random weights built by generation.tiny_identity; no licence terms.\n")


def resampler_original_keys(resampler: IPAdapterPlusImageProjection) -> dict:
    """The resampler's weights keyed as the original IP-Adapter Plus files are (diffusers converts them back)."""
    original = {}
    for key, value in resampler.state_dict().items():
        parts = key.split(".")
        if parts[0] != "layers":
            original[key] = value
            continue
        layer, rest = parts[1], ".".join(parts[2:])
        if rest.startswith(("attn.to_k", "attn.to_v")):
            if rest.startswith("attn.to_k"):  # to_k and to_v are one to_kv matrix, key half first
                value_half = resampler.state_dict()[key.replace("to_k", "to_v")]
                original[f"layers.{layer}.0.to_kv.weight"] = torch.cat([value, value_half])
            continue
        renamed = {
            "ln0": "0.norm1",
            "ln1": "0.norm2",
            "attn.to_q": "0.to_q",
            "attn.to_out.0": "0.to_out",
            "ff.0": "1.0",
            "ff.1.net.0.proj": "1.1",
            "ff.1.net.2": "1.3",
        }
        prefix, suffix = rest.rsplit(".", 1)
        original[f"layers.{layer}.{renamed[prefix]}.{suffix}"] = value
    return original
