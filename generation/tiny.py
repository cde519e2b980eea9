"""The `tiny` preset: random weights in the SD1.5 architecture, built locally and deterministically.

Tests and offline trials need a pipeline that loads and runs exactly like a real one, through the
same loader, without downloading anything. Every component has SD1.5's shape at a fraction of its
width: 4 VAE blocks (8x latent downsampling), a 4-block UNet with cross-attention, a CLIP text
encoder over the real CLIP vocabulary, and an OpenPose-style ControlNet cloned from the UNet.
"""

import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import torch
from diffusers import AutoencoderKL, ControlNetModel, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel

from generation.errors import EngineError
from generation.presets import models_dir as default_models_dir
from generation.tokenizer import MODEL_MAX_LENGTH, VOCAB_SIZE, build_clip_tokenizer

SEED = 0
CONTROLNET_CONFIG = "controlnet-openpose/config.json"
# Building seeds torch's global RNG, which threads share: one build at a time per process.
# Between processes the atomic rename below is what keeps the result whole.
_BUILD_LOCK = threading.Lock()
# SD1.5's scheduler_config.json (less clip_sample, which PNDM ignores). render() makes each
# call's scheduler from this config, so tiny samples with SD1.5's noise schedule.
SD15_SCHEDULER = {
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
}


def ensure_tiny_preset(models_dir: Path | None = None) -> Path:
    """Build the tiny weights under `<models_dir>/tiny` unless they are there; return that folder."""
    root = Path(models_dir) if models_dir is not None else default_models_dir()
    # A lambda, so a test that replaces _build is what runs.
    return build_once(root, "tiny", lambda staging: _build(staging), ("base/model_index.json", CONTROLNET_CONFIG))


def build_once(root: Path, name: str, build: Callable[[Path], None], markers: tuple[str, ...]) -> Path:
    """`<root>/<name>`, made by `build(folder)` unless every one of `markers` is in it already."""
    target = root / name
    with _BUILD_LOCK:
        if not all((target / marker).is_file() for marker in markers):
            _build_into(root, target, build, markers)
    return target


def _build_into(root: Path, target: Path, build, markers) -> None:
    root.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: a reader never sees half a preset, and when two
    # processes build at once the second rename fails and that process uses the first's result.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
    try:
        build(staging)
        staging.chmod(0o755)
        try:
            staging.rename(target)
        except OSError as error:
            if not all((target / marker).is_file() for marker in markers):
                raise EngineError(f"tiny preset: {target} is incomplete; delete it to build it again") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _build(folder: Path) -> None:
    with tempfile.TemporaryDirectory() as vocab_folder:
        tokenizer = build_clip_tokenizer(Path(vocab_folder))
    # fork_rng: building must neither depend on nor disturb the caller's global RNG state.
    with torch.random.fork_rng(devices=[]):
        unet = seeded(tiny_unet)
        controlnet = seeded(lambda: tiny_controlnet(unet))
        pipeline = StableDiffusionPipeline(
            vae=seeded(tiny_vae),
            text_encoder=seeded(tiny_text_encoder),
            tokenizer=tokenizer,
            unet=unet,
            scheduler=PNDMScheduler(**SD15_SCHEDULER),
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )
    pipeline.save_pretrained(folder / "base")
    controlnet.save_pretrained(folder / "controlnet-openpose")


def seeded(make, seed: int = SEED):
    # A seed per component keeps each one's weights stable when another component changes.
    torch.manual_seed(seed)
    return make().eval()


def tiny_unet(in_channels: int = 4) -> UNet2DConditionModel:
    """tiny's UNet; 9 input channels for inpainting (latents, mask, masked-image latents)."""
    return UNet2DConditionModel(
        sample_size=16,
        in_channels=in_channels,
        out_channels=4,
        block_out_channels=(32, 32, 64, 64),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    )


def tiny_controlnet(unet: UNet2DConditionModel) -> ControlNetModel:
    # 4 conditioning channels stages = 3 stride-2 convs: the pose image is downsampled 8x, like the VAE.
    controlnet = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(8, 16, 16, 32))
    # A trained ControlNet starts from zero convolutions; left at zero the pose would change nothing,
    # and tests could not tell whether the conditioning image reaches the model.
    zero_convs = [controlnet.controlnet_cond_embedding.conv_out, *controlnet.controlnet_down_blocks]
    for conv in [*zero_convs, controlnet.controlnet_mid_block]:
        torch.nn.init.normal_(conv.weight, std=0.05)
    return controlnet


def tiny_vae() -> AutoencoderKL:
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(16, 16, 32, 32),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=128,
    )


def tiny_text_encoder() -> CLIPTextModel:
    return CLIPTextModel(
        CLIPTextConfig(
            vocab_size=VOCAB_SIZE,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            projection_dim=32,
            max_position_embeddings=MODEL_MAX_LENGTH,
            hidden_act="quick_gelu",
            bos_token_id=VOCAB_SIZE - 2,
            eos_token_id=VOCAB_SIZE - 1,
            pad_token_id=VOCAB_SIZE - 1,
        )
    )
