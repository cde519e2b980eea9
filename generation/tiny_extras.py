"""The rest of the tiny stacks: what tiny-fast, tiny-tryon and TAESD or canny plans load, built locally.

Every mode and loading route must run offline in tests, so each real add-on has a tiny stand-in in
its real file layout: a canny ControlNet, a 9-channel inpainting UNet, an IP-Adapter laid out like
h94/IP-Adapter (weights plus a CLIP image encoder), an LCM-style LoRA in the kohya format A1111 and
Civitai use, and a TAESD. Random, seeded weights, large enough to change the pixels they touch.
"""

from pathlib import Path

import torch
from diffusers import (
    AutoencoderKL,
    AutoencoderTiny,
    PNDMScheduler,
    StableDiffusionInpaintPipeline,
    UNet2DConditionModel,
)
from safetensors.torch import save_file
from transformers import CLIPTextModel, CLIPTokenizer, CLIPVisionConfig, CLIPVisionModelWithProjection

from generation.presets import PRESETS
from generation.presets import models_dir as default_models_dir
from generation.tiny import SD15_SCHEDULER, build_once, ensure_tiny_preset, seeded, tiny_controlnet, tiny_unet

EXTRAS_MARKERS = (
    "controlnet-canny/config.json",
    "inpaint/model_index.json",
    "ip-adapter/models/ip-adapter_sd15.safetensors",
    "ip-adapter/models/image_encoder/config.json",
    "lcm-lora/pytorch_lora_weights.safetensors",
    "taesd/config.json",
)
IP_TOKENS = 4  # image tokens per garment image, as ip-adapter_sd15 has
LORA_TARGETS = ("to_q", "to_k", "to_v", "to_out.0")


def ensure_local_builds(models_dir: Path | None = None) -> Path:
    """Build every tiny stack under `models_dir` unless it is there, with its manifests; return models_dir."""
    from generation.manifest import manifest_path, write_manifest
    from generation.tiny_identity import IDENTITY_MARKERS, build_tiny_identity
    from generation.tiny_sdxl import SDXL_MARKERS, build_tiny_sdxl

    root = Path(models_dir) if models_dir is not None else default_models_dir()
    tiny = ensure_tiny_preset(root)
    build_once(root, "tiny-extras", lambda staging: _build_extras(tiny, staging), EXTRAS_MARKERS)
    build_once(root, "tiny-sdxl", build_tiny_sdxl, SDXL_MARKERS)
    build_once(
        root, "tiny-identity", lambda staging: build_tiny_identity(root / "tiny-extras", staging), IDENTITY_MARKERS
    )
    for preset in PRESETS.values():
        if preset.built_locally and not manifest_path(preset.name, root).is_file():
            write_manifest(preset, root)
    return root


def _build_extras(tiny: Path, folder: Path) -> None:
    base = tiny / "base"
    unet = UNet2DConditionModel.from_pretrained(base / "unet")
    # fork_rng: building must neither depend on nor disturb the caller's global RNG state.
    with torch.random.fork_rng(devices=[]):
        seeded(lambda: tiny_controlnet(unet), seed=1).save_pretrained(folder / "controlnet-canny")
        inpaint_unet = seeded(lambda: tiny_unet(in_channels=9), seed=2)
        StableDiffusionInpaintPipeline(
            vae=AutoencoderKL.from_pretrained(base / "vae"),
            text_encoder=CLIPTextModel.from_pretrained(base / "text_encoder"),
            tokenizer=CLIPTokenizer.from_pretrained(base / "tokenizer"),
            unet=inpaint_unet,
            scheduler=PNDMScheduler(**SD15_SCHEDULER),
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        ).save_pretrained(folder / "inpaint")
        encoder = seeded(_image_encoder, seed=3)
        encoder.save_pretrained(folder / "ip-adapter/models/image_encoder")
        save_file(
            ip_adapter_state_dict(inpaint_unet, encoder.config.projection_dim, seed=4),
            folder / "ip-adapter/models/ip-adapter_sd15.safetensors",
        )
        write_random_lora(unet, folder / "lcm-lora/pytorch_lora_weights.safetensors", seed=5)
        seeded(tiny_taesd, seed=6).save_pretrained(folder / "taesd")
    (folder / "README.txt").write_text("Random weights built by generation.tiny_extras; no licence terms.\n")


def _image_encoder() -> CLIPVisionModelWithProjection:
    config = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        projection_dim=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=32,
        patch_size=8,
    )
    return CLIPVisionModelWithProjection(config)


def ip_adapter_state_dict(unet: UNet2DConditionModel, image_embed_dim: int, *, seed: int) -> dict:
    """Random IP-Adapter weights for `unet`, keyed as ip-adapter_sd15.safetensors is.

    image_proj maps a CLIP image embedding to IP_TOKENS cross-attention tokens; each cross-attention
    layer gets its own key and value projections, numbered 1, 3, 5... in attn_processors order.
    """
    generator = torch.Generator().manual_seed(seed)
    cross = unet.config.cross_attention_dim
    weights = {
        "image_proj.proj.weight": _random((cross * IP_TOKENS, image_embed_dim), generator, 0.2),
        "image_proj.proj.bias": torch.zeros(cross * IP_TOKENS),
        "image_proj.norm.weight": torch.ones(cross),
        "image_proj.norm.bias": torch.zeros(cross),
    }
    channels = unet.config.block_out_channels
    key = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        block = name.split(".")[0]
        if block == "mid_block":
            hidden = channels[-1]
        else:
            index = int(name.split(".")[1])
            hidden = channels[index] if block == "down_blocks" else list(reversed(channels))[index]
        for projection in ("to_k_ip", "to_v_ip"):
            weights[f"ip_adapter.{key}.{projection}.weight"] = _random((hidden, cross), generator, 0.5)
        key += 2
    return weights


def write_random_lora(unet: UNet2DConditionModel, path: Path, *, seed: int, rank: int = 4, scale: float = 0.3) -> Path:
    """A random LoRA for `unet`'s attention projections, in the kohya format of A1111/Civitai files."""
    generator = torch.Generator().manual_seed(seed)
    weights = {}
    for name, module in unet.named_modules():
        if not isinstance(module, torch.nn.Linear) or not name.endswith(LORA_TARGETS) or ".attn" not in name:
            continue
        key = "lora_unet_" + name.replace(".", "_")
        weights[f"{key}.lora_down.weight"] = _random((rank, module.in_features), generator, scale)
        weights[f"{key}.lora_up.weight"] = _random((module.out_features, rank), generator, scale)
        weights[f"{key}.alpha"] = torch.tensor(float(rank))
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(weights, path, metadata={"format": "pt", "ss_network_module": "networks.lora"})
    return path


def tiny_taesd() -> AutoencoderTiny:
    return AutoencoderTiny(
        encoder_block_out_channels=(16, 16, 16, 16),
        decoder_block_out_channels=(16, 16, 16, 16),
        num_encoder_blocks=(1, 1, 1, 1),
        num_decoder_blocks=(1, 1, 1, 1),
        latent_channels=4,
    )


def _random(shape: tuple[int, ...], generator: torch.Generator, std: float) -> torch.Tensor:
    return (torch.randn(shape, generator=generator) * std).contiguous()
