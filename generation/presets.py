"""The model stacks the engine can render with, declared in one place.

A preset names its weights, the licence terms a merchant accepts by using them, and the defaults the
prompt builder starts from. A weight source is a Hugging Face Hub id (`owner/name`, pinned with
`owner/name@revision`), a local folder in diffusers layout, or, for the base model, one `.safetensors`
or `.ckpt` file as A1111 and Civitai users have. `{models_dir}` in a source stands for `models_dir()`.
Merchants add presets without code in the file `TRYON_PRESETS_FILE` names (generation.presets_file).
"""

from dataclasses import dataclass
from pathlib import Path

from generation.env import env_bool, env_str
from generation.errors import EngineError

FAMILIES = ("sd15", "sdxl")
MODES = ("generate", "tryon", "refine", "warp")


def models_dir() -> Path:
    """Where locally built or copied weights live: `TRYON_MODELS_DIR`, else `~/.cache/tryon/models`."""
    return Path(env_str("TRYON_MODELS_DIR", "~/.cache/tryon/models")).expanduser()


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    base: str  # Stable Diffusion pipeline: Hub id, local folder, or one checkpoint file
    openpose: str  # OpenPose ControlNet: Hub id or local folder
    licence: str
    width: int
    height: int
    steps: int
    guidance_scale: float
    sampler: str  # an A1111 sampler name, see generation.samplers
    base_env: str = ""  # environment variable that overrides `base`
    openpose_env: str = ""  # environment variable that overrides `openpose`
    revision: str | None = None  # Hub revision of `base`; other sources pin theirs with `@revision`
    built_locally: bool = False  # weights made by generation.tiny, never downloaded
    family: str = "sd15"  # which pipelines and text encoders: one of FAMILIES
    modes: tuple[str, ...] = ("generate", "refine", "warp")  # plan modes this stack can render
    base_config: str = ""  # for a checkpoint-file base: the diffusers folder or Hub id with its configs
    canny: str = ""  # canny ControlNet, for plans with a canny unit; "" for none
    ip_adapter: str = ""  # IP-Adapter in h94/IP-Adapter's layout: garment images steer try-on
    ip_adapter_weight: str = ""  # its weight file, e.g. models/ip-adapter_sd15.safetensors
    ip_adapter_encoder: str = ""  # its CLIP image encoder's folder, e.g. models/image_encoder
    ip_adapter_scale: float = 0.7
    # A cast fashion model's face kept across renders (generation.identity_conditioning): IP-Adapter Plus Face in
    # h94/IP-Adapter's layout, loaded on the first plan with identity_references. Its image encoder must be the
    # garment IP-Adapter's where the preset has both (ViT-H for both here). "" for none: identity is then kept
    # by the fashion model's words and seed only, and the infotext says "Identity: prompt+seed".
    identity_adapter: str = ""
    identity_adapter_weight: str = ""  # e.g. models/ip-adapter-plus-face_sd15.safetensors
    identity_adapter_encoder: str = ""  # e.g. models/image_encoder (OpenCLIP ViT-H)
    identity_adapter_scale: float = 0.6  # strong enough for the face, weak enough to leave pose and garments
    lora: str = ""  # a LoRA fused into the weights at load (LCM-LoRA for few-step presets)
    lora_weight: str = ""  # its weight file when `lora` is a Hub id or folder
    lora_scale: float = 1.0
    taesd: str = ""  # tiny autoencoder (TAESD) for previews (generation.preview): faster, a little softer; optional
    commercial_use: bool = True  # False: non-commercial licence; refused unless TRYON_ALLOW_NONCOMMERCIAL=1
    # warp: how far the draft is noised before it is refined; 0.5 keeps a print's lines and lets folds,
    # shading and the seams at the body blend in. Higher repaints more (and keeps less of the garment).
    refine_strength: float = 0.5
    # warp without a photo: the preset that renders the stage-1 person (txt2img + OpenPose); "" for this one.
    # An inpainting-only stack names its txt2img sibling, which shares the text encoder and VAE.
    person_preset: str = ""
    # Re-render with the next seed when fidelity scores fail the thresholds (generation.quality_gate). Off for
    # random-weight presets, which cannot pass it: they are scored all the same.
    quality_gate: bool = True

    @property
    def inpainting_base(self) -> bool:
        """The base UNet is an inpainting one (9 input channels): it cannot generate from noise alone."""
        return "tryon" in self.modes and "generate" not in self.modes

    @property
    def controlnet_kinds(self) -> tuple[str, ...]:
        return ("openpose", "canny") if self.canny else ("openpose",)


TINY_LICENCE = "Random weights, no licence terms. Tokenizer vocabulary: OpenAI CLIP (MIT)."
TINY_SIZE = {"width": 128, "height": 192}
SD15_LICENCE = (
    "Stable Diffusion 1.5: CreativeML OpenRAIL-M (use restrictions must be passed on to users; "
    "the safety checker is off, so content moderation is the operator's duty). "
    "ControlNet 1.1 OpenPose and Canny: OpenRAIL."
)
SD15_SIZE = {"width": 512, "height": 768}
SD15_CONTROLNETS = {
    "openpose": "lllyasviel/control_v11p_sd15_openpose",
    "canny": "lllyasviel/control_v11p_sd15_canny",
    "openpose_env": "TRYON_SD15_OPENPOSE",
}
# madebyollin/taesd (MIT): SD1.5's latents decoded by a 2.4 M-parameter decoder; SDXL's by taesdxl.
SD15_TAESD = {"taesd": "madebyollin/taesd"}
TAESD_LICENCE = "TAESD: MIT."
SD15_IP_ADAPTER = {
    "ip_adapter": "h94/IP-Adapter",
    "ip_adapter_weight": "models/ip-adapter_sd15.safetensors",
    "ip_adapter_encoder": "models/image_encoder",
}

# IP-Adapter Plus Face: the portrait's CLIP ViT-H patch features through a resampler, 16 tokens
SD15_IDENTITY = {
    "identity_adapter": "h94/IP-Adapter",
    "identity_adapter_weight": "models/ip-adapter-plus-face_sd15.safetensors",
    "identity_adapter_encoder": "models/image_encoder",
}
SDXL_IDENTITY = {
    "identity_adapter": "h94/IP-Adapter",
    "identity_adapter_weight": "sdxl_models/ip-adapter-plus-face_sdxl_vit-h.safetensors",
    "identity_adapter_encoder": "models/image_encoder",  # the ViT-H one: "vit-h" in the weight's name
}
TINY_IDENTITY = SD15_IDENTITY | {"identity_adapter": "{models_dir}/tiny-identity"}
IDENTITY_LICENCE = "IP-Adapter Plus Face (h94/IP-Adapter) and its OpenCLIP ViT-H image encoder: Apache-2.0."

TINY = Preset(
    name="tiny",
    description="Random weights in the SD1.5 architecture, built on first use: for tests and offline trials.",
    base="{models_dir}/tiny/base",
    openpose="{models_dir}/tiny/controlnet-openpose",
    canny="{models_dir}/tiny-extras/controlnet-canny",
    # As sd15 has: a random Plus Face adapter (generation.tiny_identity), loaded only by a cast model's plan, so
    # tiny-tryon's stage-1 person of a cast model takes the product's path; plain renders never touch it.
    **TINY_IDENTITY,
    licence=TINY_LICENCE,
    **TINY_SIZE,
    steps=4,
    guidance_scale=7.0,
    sampler="Euler a",
    built_locally=True,
    quality_gate=False,
)

TINY_FAST = Preset(
    name="tiny-fast",
    description="tiny with a random LCM-style LoRA fused in: LCM sampler, 4 steps, no guidance.",
    base=TINY.base,
    openpose=TINY.openpose,
    canny=TINY.canny,
    lora="{models_dir}/tiny-extras/lcm-lora/pytorch_lora_weights.safetensors",
    taesd="{models_dir}/tiny-extras/taesd",
    licence=TINY_LICENCE,
    **TINY_SIZE,
    steps=4,
    guidance_scale=1.0,
    sampler="LCM",
    built_locally=True,
    quality_gate=False,
)

TINY_TRYON = Preset(
    name="tiny-tryon",
    description="tiny's try-on stack: a 9-channel inpainting UNet, OpenPose ControlNet and a random IP-Adapter.",
    base="{models_dir}/tiny-extras/inpaint",
    openpose=TINY.openpose,
    **SD15_IP_ADAPTER | {"ip_adapter": "{models_dir}/tiny-extras/ip-adapter"},
    # A random Plus Face adapter beside the garment one (generation.tiny_identity): both at once, as on sd15
    **TINY_IDENTITY,
    licence=TINY_LICENCE,
    **TINY_SIZE,
    steps=4,
    guidance_scale=7.0,
    sampler="Euler a",
    modes=("tryon", "warp"),
    person_preset="tiny",
    built_locally=True,
    quality_gate=False,
)

TINY_SDXL = Preset(
    name="tiny-sdxl",
    description="Random weights in the SDXL architecture (two text encoders, pooled embeddings): for tests.",
    base="{models_dir}/tiny-sdxl/base",
    openpose="{models_dir}/tiny-sdxl/controlnet-openpose",
    licence=TINY_LICENCE,
    **TINY_SIZE,
    steps=4,
    guidance_scale=5.0,
    sampler="Euler a",
    family="sdxl",
    built_locally=True,
    quality_gate=False,
)

SD15 = Preset(
    name="sd15",
    description="Stable Diffusion 1.5 with the ControlNet 1.1 OpenPose and Canny models.",
    base="stable-diffusion-v1-5/stable-diffusion-v1-5",
    base_env="TRYON_SD15_BASE",
    **SD15_CONTROLNETS,
    **SD15_TAESD,
    **SD15_IDENTITY,
    licence=f"{SD15_LICENCE} {TAESD_LICENCE} {IDENTITY_LICENCE}",
    **SD15_SIZE,
    steps=25,
    guidance_scale=7.0,
    sampler="DPM++ 2M Karras",
)

SD15_FAST = Preset(
    name="sd15-fast",
    description="sd15 with LCM-LoRA fused in: 4 steps of the LCM sampler without guidance, 4 UNet calls an image.",
    base=SD15.base,
    base_env="TRYON_SD15_BASE",
    **SD15_CONTROLNETS,
    lora="latent-consistency/lcm-lora-sdv1-5",
    lora_weight="pytorch_lora_weights.safetensors",
    **SD15_TAESD,
    **SD15_IDENTITY,
    licence=f"{SD15_LICENCE} LCM-LoRA: OpenRAIL++-M. {TAESD_LICENCE} {IDENTITY_LICENCE}",
    **SD15_SIZE,
    steps=4,
    guidance_scale=1.0,
    sampler="LCM",
)

SD15_TRYON = Preset(
    name="sd15-tryon",
    description="Try-on: SD1.5 inpainting repaints the photo's garment region, OpenPose keeps the body, "
    "IP-Adapter reads the garment photos.",
    base="stable-diffusion-v1-5/stable-diffusion-inpainting",
    base_env="TRYON_SD15_INPAINT_BASE",
    openpose=SD15_CONTROLNETS["openpose"],
    openpose_env="TRYON_SD15_OPENPOSE",
    **SD15_IP_ADAPTER,
    **SD15_IDENTITY,
    **SD15_TAESD,
    licence=f"{SD15_LICENCE} IP-Adapter and IP-Adapter Plus Face (h94/IP-Adapter) and their OpenCLIP ViT-H image "
    "encoder: Apache-2.0. "
    f"{TAESD_LICENCE}",
    **SD15_SIZE,
    steps=25,
    guidance_scale=7.0,
    sampler="DPM++ 2M Karras",
    modes=("tryon", "warp"),
    person_preset="sd15",
)

SDXL = Preset(
    name="sdxl",
    description="Stable Diffusion XL base 1.0 with an OpenPose SDXL ControlNet and the Canny SDXL ControlNet.",
    base="stabilityai/stable-diffusion-xl-base-1.0",
    base_env="TRYON_SDXL_BASE",
    openpose="xinsir/controlnet-openpose-sdxl-1.0",
    openpose_env="TRYON_SDXL_OPENPOSE",
    canny="diffusers/controlnet-canny-sdxl-1.0",
    taesd="madebyollin/taesdxl",
    **SDXL_IDENTITY,
    licence=(
        "SDXL base 1.0: CreativeML Open RAIL++-M (use restrictions passed on to users; no safety checker). "
        f"xinsir OpenPose SDXL ControlNet: Apache-2.0. diffusers Canny SDXL ControlNet: OpenRAIL++. {TAESD_LICENCE} "
        f"{IDENTITY_LICENCE}"
    ),
    width=832,
    height=1216,
    steps=25,
    guidance_scale=6.0,
    sampler="DPM++ 2M Karras",
    family="sdxl",
)

SD15_HYPER = Preset(
    name="sd15-hyper",
    description="sd15 with the Hyper-SD 2-step LoRA fused in: 2 steps of the TCD sampler without guidance, "
    "for shopper previews at half sd15-fast's UNet work.",
    base=SD15.base,
    base_env="TRYON_SD15_BASE",
    **SD15_CONTROLNETS,
    lora="ByteDance/Hyper-SD",
    lora_weight="Hyper-SD15-2steps-lora.safetensors",
    **SD15_TAESD,
    **SD15_IDENTITY,
    licence=f"{SD15_LICENCE} Hyper-SD LoRA (ByteDance/Hyper-SD): OpenRAIL++-M. {TAESD_LICENCE} {IDENTITY_LICENCE}",
    **SD15_SIZE,
    steps=2,
    guidance_scale=1.0,
    sampler="TCD",
)

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (TINY, SD15, SD15_FAST, SD15_TRYON, SDXL, TINY_FAST, TINY_TRYON, TINY_SDXL, SD15_HYPER)
}


def all_presets() -> dict[str, Preset]:
    """The built-in presets, then those of the file `TRYON_PRESETS_FILE` names, if any."""
    from generation.presets_file import presets_from_environment

    return {**PRESETS, **presets_from_environment()}


def get_preset(name: str) -> Preset:
    presets = all_presets()
    try:
        preset = presets[name]
    except KeyError:
        raise EngineError(f"preset: {name!r} is not one of {', '.join(presets)}") from None
    if not preset.commercial_use and not _allow_noncommercial():
        raise EngineError(
            f"preset: {name!r} has a non-commercial licence ({preset.licence}); "
            "set TRYON_ALLOW_NONCOMMERCIAL=1 to use it for non-commercial work only"
        )
    return preset


def _allow_noncommercial() -> bool:
    return env_bool("TRYON_ALLOW_NONCOMMERCIAL", False)
