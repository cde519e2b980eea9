"""A diffusers SD1.5 folder written as one checkpoint file in the original (LDM) layout.

A1111 and Civitai users have their models as one `.safetensors` or `.ckpt` file in the layout of the
original Stable Diffusion code; diffusers reads it with `from_single_file`. To test that route offline
we write the tiny preset that way: the inverse of diffusers' convert_ldm_unet_checkpoint,
convert_ldm_vae_checkpoint and convert_ldm_clip_checkpoint (loaders/single_file_utils.py), for any
number of layers per block.
"""

import re
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

UNET, VAE, CLIP = "model.diffusion_model.", "first_stage_model.", "cond_stage_model.transformer."
UNET_RESNET = {"norm1": "in_layers.0", "conv1": "in_layers.2", "norm2": "out_layers.0", "conv2": "out_layers.3"}
UNET_RESNET |= {"time_emb_proj": "emb_layers.1", "conv_shortcut": "skip_connection"}
UNET_TOP = {"time_embedding.linear_1": "time_embed.0", "time_embedding.linear_2": "time_embed.2"}
UNET_TOP |= {"conv_in": "input_blocks.0.0", "conv_norm_out": "out.0", "conv_out": "out.2"}
VAE_ATTENTION = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def save_original_checkpoint(folder: Path, path: Path) -> Path:
    """Write the SD1.5 pipeline saved in `folder` as one LDM-layout file; `.ckpt` or `.safetensors`."""
    folder, path = Path(folder), Path(path)
    unet_config = _json(folder / "unet" / "config.json")
    state = {}
    unet = load_file(folder / "unet" / "diffusion_pytorch_model.safetensors")
    state |= {UNET + _unet_key(key, unet_config): value for key, value in unet.items()}
    vae = load_file(folder / "vae" / "diffusion_pytorch_model.safetensors")
    blocks = len(_json(folder / "vae" / "config.json")["up_block_types"])
    for key, value in vae.items():
        ldm_key = _vae_key(key, blocks)
        if ".mid.attn_1." in ldm_key and ldm_key.endswith("weight") and value.ndim == 2:
            value = value[:, :, None, None]  # the original's attention projections are 1x1 convolutions
        state[VAE + ldm_key] = value
    text = load_file(folder / "text_encoder" / "model.safetensors")
    # transformers 5 saves CLIPTextModel without its `text_model.` level; the original has it.
    state |= {CLIP + "text_model." + key.removeprefix("text_model."): value for key, value in text.items()}
    state = {key: value.contiguous() for key, value in state.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".ckpt":
        torch.save({"state_dict": state}, path)
    else:
        save_file(state, path)
    return path


def _unet_key(key: str, config: dict) -> str:
    per_block = config["layers_per_block"] + 1  # resnets, and a downsampler or upsampler
    for new, old in UNET_TOP.items():
        if key.startswith(new + "."):
            return old + key[len(new) :]
    match = re.match(r"down_blocks\.(\d+)\.(resnets|attentions|downsamplers)\.(\d+)\.(.*)", key)
    if match:
        block, kind, layer, rest = int(match[1]), match[2], int(match[3]), match[4]
        if kind == "downsamplers":
            return f"input_blocks.{(block + 1) * per_block}.0.op.{rest.removeprefix('conv.')}"
        index = block * per_block + layer + 1
        return f"input_blocks.{index}.0.{_resnet(rest)}" if kind == "resnets" else f"input_blocks.{index}.1.{rest}"
    match = re.match(r"mid_block\.(resnets|attentions)\.(\d+)\.(.*)", key)
    if match:
        kind, layer, rest = match[1], int(match[2]), match[3]
        return f"middle_block.{layer * 2}.{_resnet(rest)}" if kind == "resnets" else f"middle_block.1.{rest}"
    match = re.match(r"up_blocks\.(\d+)\.(resnets|attentions|upsamplers)\.(\d+)\.(.*)", key)
    if match:
        block, kind, layer, rest = int(match[1]), match[2], int(match[3]), match[4]
        if kind == "upsamplers":
            has_attention = config["up_block_types"][block].startswith("CrossAttn")
            return f"output_blocks.{block * per_block + per_block - 1}.{2 if has_attention else 1}.{rest}"
        index = block * per_block + layer
        return f"output_blocks.{index}.0.{_resnet(rest)}" if kind == "resnets" else f"output_blocks.{index}.1.{rest}"
    raise ValueError(f"unet: no original-layout name for {key!r}")


def _resnet(rest: str) -> str:
    name, _, tail = rest.partition(".")
    return f"{UNET_RESNET.get(name, name)}.{tail}"


def _vae_key(key: str, blocks: int) -> str:
    key = key.replace("conv_norm_out", "norm_out").replace("conv_shortcut", "nin_shortcut")
    key = re.sub(r"mid_block\.resnets\.(\d)", lambda m: f"mid.block_{int(m[1]) + 1}", key)
    if "mid_block.attentions.0." in key:
        prefix, rest = key.split("mid_block.attentions.0.")
        name = next((new for new in VAE_ATTENTION if rest.startswith(new + ".")), None)
        return f"{prefix}mid.attn_1.{VAE_ATTENTION[name]}{rest[len(name) :]}" if name else key
    key = re.sub(r"encoder\.down_blocks\.(\d+)\.resnets", r"encoder.down.\1.block", key)
    key = re.sub(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0", r"encoder.down.\1.downsample", key)
    # The decoder's up blocks are numbered from the bottom in the original, from the top in diffusers.
    key = re.sub(r"decoder\.up_blocks\.(\d+)\.resnets", lambda m: f"decoder.up.{blocks - 1 - int(m[1])}.block", key)
    return re.sub(
        r"decoder\.up_blocks\.(\d+)\.upsamplers\.0", lambda m: f"decoder.up.{blocks - 1 - int(m[1])}.upsample", key
    )


def _json(path: Path) -> dict:
    import json

    return json.loads(path.read_text())
