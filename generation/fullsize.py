"""Full-size SD1.5 and SDXL stacks with random weights, in the real models' architectures.

Our machines cannot download weights, yet speed and memory depend on shapes, not values: random
weights in the real architectures cost exactly what real weights cost. The configs below are the
Hub repos' config.json files written out (defaults that match diffusers' left out); the folders
are saved in diffusers layout, so they load through the same loader as real weights.
"""

import dataclasses
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from diffusers import (
    AutoencoderKL,
    AutoencoderTiny,
    ControlNetModel,
    EulerDiscreteScheduler,
    PNDMScheduler,
    StableDiffusionPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from generation.presets import Preset
from generation.presets import models_dir as default_models_dir
from generation.tiny import SD15_SCHEDULER, build_once
from generation.tokenizer import MODEL_MAX_LENGTH, VOCAB_SIZE, write_clip_vocab

SEED = 0
# Building sets torch's default dtype and seeds its global RNG, both process-wide: one build at a time,
# and nothing else making tensors in the process meanwhile (the bench builds before it renders).
_BUILD_LOCK = threading.Lock()

SD15_DOWN = ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D")
SD15_UP = ("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D")
# stable-diffusion-v1-5/stable-diffusion-v1-5 unet/config.json: 859,520,964 parameters.
SD15_UNET = dict(
    sample_size=64,
    block_out_channels=(320, 640, 1280, 1280),
    layers_per_block=2,
    down_block_types=SD15_DOWN,
    up_block_types=SD15_UP,
    cross_attention_dim=768,
    attention_head_dim=8,
    norm_num_groups=32,
)
# lllyasviel/control_v11p_sd15_openpose config.json: the UNet's encoder and middle, 361,279,120.
SD15_CONTROLNET = dict(
    block_out_channels=(320, 640, 1280, 1280),
    layers_per_block=2,
    down_block_types=SD15_DOWN,
    cross_attention_dim=768,
    attention_head_dim=8,
    conditioning_embedding_out_channels=(16, 32, 96, 256),
)
# SD1.5 vae/config.json: 83,653,863. SDXL's VAE has the same shape, another latent scale.
SD15_VAE = dict(
    block_out_channels=(128, 256, 512, 512),
    layers_per_block=2,
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    latent_channels=4,
    sample_size=512,
    scaling_factor=0.18215,
)
SDXL_VAE = {**SD15_VAE, "sample_size": 1024, "scaling_factor": 0.13025, "force_upcast": True}
# madebyollin/taesd config.json, the tiny autoencoder previews decode with (taesdxl has the same shape): 2,445,063.
TAESD = dict(
    encoder_block_out_channels=(64, 64, 64, 64),
    decoder_block_out_channels=(64, 64, 64, 64),
    num_encoder_blocks=(1, 3, 3, 3),
    num_decoder_blocks=(3, 3, 3, 1),
    act_fn="relu",
    latent_channels=4,
    latent_magnitude=3,
    latent_shift=0.5,
    scaling_factor=1.0,
)
# openai/clip-vit-large-patch14's text model (SD1.5's and SDXL's first encoder): 123,060,480.
CLIP_L = dict(
    vocab_size=VOCAB_SIZE,
    hidden_size=768,
    intermediate_size=3072,
    num_hidden_layers=12,
    num_attention_heads=12,
    max_position_embeddings=MODEL_MAX_LENGTH,
    hidden_act="quick_gelu",
    projection_dim=768,
    bos_token_id=0,
    eos_token_id=2,
    pad_token_id=1,
)
# laion/CLIP-ViT-bigG-14's text model with its projection (SDXL's text_encoder_2): 694,659,840.
CLIP_BIG_G = {
    **CLIP_L,
    "hidden_size": 1280,
    "intermediate_size": 5120,
    "num_hidden_layers": 32,
    "num_attention_heads": 20,
    "hidden_act": "gelu",
    "projection_dim": 1280,
}
SDXL_DOWN = ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D")
# The parts of SDXL's UNet that its OpenPose ControlNets (thibaud/, xinsir/) share: 1,251,014,160.
_SDXL_SHARED = dict(
    block_out_channels=(320, 640, 1280),
    layers_per_block=2,
    down_block_types=SDXL_DOWN,
    transformer_layers_per_block=(1, 2, 10),
    attention_head_dim=(5, 10, 20),
    cross_attention_dim=2048,  # CLIP-L's 768 + bigG's 1280, side by side
    use_linear_projection=True,
    addition_embed_type="text_time",
    addition_time_embed_dim=256,
    projection_class_embeddings_input_dim=2816,  # bigG's pooled 1280 + 6 size/crop numbers x 256
)
SDXL_CONTROLNET = {**_SDXL_SHARED, "conditioning_embedding_out_channels": (16, 32, 96, 256)}
# stabilityai/stable-diffusion-xl-base-1.0 unet/config.json: 2,567,463,684.
SDXL_UNET = {
    **_SDXL_SHARED,
    "sample_size": 128,
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
}
SDXL_SCHEDULER = dict(
    beta_start=0.00085,
    beta_end=0.012,
    beta_schedule="scaled_linear",
    num_train_timesteps=1000,
    steps_offset=1,
    timestep_spacing="leading",
)


def openpose_controlnet(config: dict) -> ControlNetModel:
    controlnet = ControlNetModel(**config)
    # A trained ControlNet's "zero convolutions" are no longer zero: give them PyTorch's default
    # init, so the pose steers the image as it would with real weights.
    zero_convs = [controlnet.controlnet_cond_embedding.conv_out, *controlnet.controlnet_down_blocks]
    for conv in [*zero_convs, controlnet.controlnet_mid_block]:
        conv.reset_parameters()
    return controlnet


# Each stack's models, made on demand: under `with torch.device("meta")` they cost nothing.
SD15_MODELS: dict[str, Callable[[], torch.nn.Module]] = {
    "unet": lambda: UNet2DConditionModel(**SD15_UNET),
    "vae": lambda: AutoencoderKL(**SD15_VAE),
    "text_encoder": lambda: CLIPTextModel(CLIPTextConfig(**CLIP_L)),
    "controlnet": lambda: openpose_controlnet(SD15_CONTROLNET),
}
SDXL_MODELS: dict[str, Callable[[], torch.nn.Module]] = {
    "unet": lambda: UNet2DConditionModel(**SDXL_UNET),
    "vae": lambda: AutoencoderKL(**SDXL_VAE),
    "text_encoder": lambda: CLIPTextModel(CLIPTextConfig(**CLIP_L)),
    "text_encoder_2": lambda: CLIPTextModelWithProjection(CLIPTextConfig(**CLIP_BIG_G)),
    "controlnet": lambda: openpose_controlnet(SDXL_CONTROLNET),
}

# The bench's presets; load_pipeline finds them only once they are in generation.presets.PRESETS.
SD15_FULL = Preset(
    name="sd15-full",
    description="Random weights in the full-size SD1.5 + ControlNet 1.1 OpenPose architecture: for speed tests.",
    base="{models_dir}/sd15-full/base",
    openpose="{models_dir}/sd15-full/controlnet-openpose",
    taesd="{models_dir}/taesd-full",
    licence="Random weights, no licence terms. Tokenizer vocabulary: OpenAI CLIP (MIT).",
    width=512,
    height=768,
    steps=25,
    guidance_scale=7.0,
    sampler="DPM++ 2M Karras",
)
SDXL_FULL = dataclasses.replace(
    SD15_FULL,
    name="sdxl-full",
    description="Random weights in the full-size SDXL base 1.0 + OpenPose ControlNet architecture: for speed tests.",
    base="{models_dir}/sdxl-full/base",
    openpose="{models_dir}/sdxl-full/controlnet-openpose",
    width=832,
    height=1216,
    guidance_scale=6.0,
    family="sdxl",
)


def build_fullsize_sd15(folder: Path, dtype: torch.dtype = torch.float32, models: dict | None = None) -> Path:
    """Write SD1.5 to `folder/base` and its OpenPose ControlNet to `folder/controlnet-openpose` (5.7 GB).

    `models` replaces SD15_MODELS: tests pass small ones to check the layout without 5.7 GB of weights.
    """
    with _tokenizers(pad_tokens=(None,)) as (tokenizer,):
        others = {"tokenizer": tokenizer, "scheduler": PNDMScheduler(**SD15_SCHEDULER)}
        others |= {"safety_checker": None, "feature_extractor": None, "requires_safety_checker": False}
        _save_stack(Path(folder), StableDiffusionPipeline, models or SD15_MODELS, others, dtype)
    return Path(folder)


def build_fullsize_sdxl(folder: Path, dtype: torch.dtype = torch.float16, models: dict | None = None) -> Path:
    """The same for SDXL base 1.0 and an OpenPose ControlNet; fp16 (9.4 GB), as SDXL ships its fp16 variant."""
    # SDXL's second tokenizer pads with "!" where the first pads with its end token.
    with _tokenizers(pad_tokens=(None, "!")) as (tokenizer, tokenizer_2):
        others = {"tokenizer": tokenizer, "tokenizer_2": tokenizer_2}
        others |= {"scheduler": EulerDiscreteScheduler(**SDXL_SCHEDULER), "add_watermarker": False}
        _save_stack(Path(folder), StableDiffusionXLPipeline, models or SDXL_MODELS, others, dtype)
    return Path(folder)


BUILDERS = {"sd15-full": build_fullsize_sd15, "sdxl-full": build_fullsize_sdxl}


def ensure_fullsize(name: str, models_dir: Path | None = None) -> Path:
    """Build `<models_dir>/<name>` ("sd15-full" or "sdxl-full") unless it is there; return that folder."""
    root = Path(models_dir) if models_dir is not None else default_models_dir()
    # As tiny's are: built beside the target and renamed, so no reader ever sees half a stack.
    build_once(root, "taesd-full", build_fullsize_taesd, ("config.json", "diffusion_pytorch_model.safetensors"))
    return build_once(root, name, BUILDERS[name], ("base/model_index.json", "controlnet-openpose/config.json"))


def build_fullsize_taesd(folder: Path) -> Path:
    """TAESD's architecture with random weights, in `folder` (10 MB): what previews decode with."""
    with _BUILD_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        AutoencoderTiny(**TAESD).eval().save_pretrained(folder)
    return Path(folder)


def _save_stack(folder: Path, pipeline_class, models: dict, others: dict, dtype: torch.dtype) -> None:
    # model_index.json comes from a pipeline of meta-device stand-ins; then each real model is made,
    # saved and freed in turn, since SDXL's whole stack would not fit in memory beside other work.
    with torch.device("meta"):
        stand_ins = {name: make() for name, make in models.items() if name != "controlnet"}
    pipeline_class(**stand_ins, **others).save_config(folder / "base")
    for name, component in others.items():
        if hasattr(component, "save_pretrained"):
            component.save_pretrained(folder / "base" / name)
    with _BUILD_LOCK, torch.random.fork_rng(devices=[]), _default_dtype(dtype), torch.no_grad():
        for name, make in models.items():
            torch.manual_seed(SEED)  # a seed per model: one model's weights never depend on another's
            model = make().eval()
            model.save_pretrained(folder / ("controlnet-openpose" if name == "controlnet" else f"base/{name}"))
            del model


@contextmanager
def _default_dtype(dtype: torch.dtype) -> Iterator[None]:
    # Made directly in `dtype`: SDXL's UNet made in fp32 and then halved would need 10 GB on the way.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


@contextmanager
def _tokenizers(pad_tokens: tuple[str | None, ...]) -> Iterator[list[CLIPTokenizer]]:
    """The real CLIP tokenizer, once per pad token (None: the tokenizer's own, its end token)."""
    with tempfile.TemporaryDirectory() as vocab:
        write_clip_vocab(Path(vocab))
        yield [
            CLIPTokenizer.from_pretrained(
                vocab, model_max_length=MODEL_MAX_LENGTH, **({"pad_token": pad} if pad else {})
            )
            for pad in pad_tokens
        ]
