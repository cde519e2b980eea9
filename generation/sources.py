"""Where each of a preset's weights comes from, whether this machine has it, and how to get it.

Light on purpose (no torch): the loader, `manage.py tryon_models` and the web process's settings checks
all read it. A source is a Hub id (`owner/name`, or `owner/name@revision`), a local folder, or one file.
"""

import fnmatch
import re
from dataclasses import dataclass, replace
from pathlib import Path

from generation.env import env_bool, env_str
from generation.presets import Preset, models_dir

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(@[\w./-]+)?$")
CHECKPOINT_SUFFIXES = (".safetensors", ".ckpt")
# The family's reference repo, whose configs describe a single checkpoint file of that family.
SINGLE_FILE_CONFIGS = {
    ("sd15", False): "stable-diffusion-v1-5/stable-diffusion-v1-5",
    ("sd15", True): "stable-diffusion-v1-5/stable-diffusion-inpainting",
    ("sdxl", False): "stabilityai/stable-diffusion-xl-base-1.0",
    ("sdxl", True): "diffusers/stable-diffusion-xl-1.0-inpainting-0.1",
}
MODEL = ["*.json", "*.txt", "*model.safetensors"]  # not the fp16, EMA or single-file copies beside them


@dataclass(frozen=True)
class WeightSource:
    role: str  # "base model", "OpenPose ControlNet", ... as messages name it
    value: str  # Hub id (revision split off), local folder or file, `{models_dir}` resolved
    revision: str | None
    index: str  # the file whose presence says the source is there ("" for a single file)
    patterns: tuple[str, ...]  # the files of it that are loaded: what to download and to verify
    env: str = ""  # the environment variable `value` came from, if one did
    optional: bool = False  # loaded on first use by a plan that needs it, not with the preset

    @property
    def is_hub(self) -> bool:
        return is_hub_id(self.value)

    @property
    def is_file(self) -> bool:
        return not self.is_hub and Path(self.value).suffix.lower() in CHECKPOINT_SUFFIXES

    def wants(self, relative: str) -> bool:
        return any(fnmatch.fnmatch(relative, pattern) for pattern in self.patterns)


def resolve(value: str) -> str:
    return value.replace("{models_dir}", str(models_dir()))


def hub_offline() -> bool:
    """HF_HUB_OFFLINE, read like every other boolean setting (huggingface_hub takes the same spellings)."""
    return env_bool("HF_HUB_OFFLINE", False)


def source(default: str, env: str) -> str:
    """A Hub id or a local path: the preset's, unless `env` names another."""
    return resolve((env_str(env) if env else None) or default)


def is_hub_id(value: str) -> bool:
    return not Path(value).expanduser().exists() and bool(HUB_ID.match(value))


def split_revision(value: str, revision: str | None = None) -> tuple[str, str | None]:
    """`owner/name@rev` -> ("owner/name", "rev"); a path is returned whole."""
    if is_hub_id(value) and "@" in value:
        repo, _, pinned = value.partition("@")
        return repo, pinned
    return value, revision


def display_name(value: str) -> str:
    """A Hub id as is; a local path by its name only, so server paths never reach shoppers' PNGs."""
    value = split_revision(value)[0]
    return value if is_hub_id(value) else Path(value).name


def weight_sources(preset: Preset, *, use_env: bool = True) -> list[WeightSource]:
    """Every weight the preset loads, the base model first; `use_env` False: as declared, no overrides."""
    if not use_env:
        preset = replace(preset, base_env="", openpose_env="")
    base_env = preset.base_env if preset.base_env and env_str(preset.base_env) else ""
    base, base_revision = split_revision(source(preset.base, preset.base_env), preset.revision)
    found = [WeightSource("base model", base, base_revision, "model_index.json", tuple(MODEL), base_env)]
    if found[0].is_file:
        found[0] = WeightSource("base model", base, None, "", (), base_env)
        config, revision = split_revision(resolve(preset.base_config or single_file_config(preset)))
        found.append(WeightSource("base model's configs", config, revision, "model_index.json", ("*.json", "*.txt")))
    controlnet = ("config.json", "diffusion_pytorch_model.safetensors")
    openpose_env = preset.openpose_env if preset.openpose_env and env_str(preset.openpose_env) else ""
    openpose = source(preset.openpose, preset.openpose_env)
    found.append(_source("OpenPose ControlNet", openpose, "config.json", controlnet, env=openpose_env))
    if preset.canny:
        found.append(_source("Canny ControlNet", resolve(preset.canny), "config.json", controlnet, optional=True))
    if preset.ip_adapter:
        encoder = preset.ip_adapter_encoder
        files = (preset.ip_adapter_weight, f"{encoder}/config.json", f"{encoder}/model.safetensors")
        found.append(_source("IP-Adapter", resolve(preset.ip_adapter), preset.ip_adapter_weight, files))
    if preset.identity_adapter:
        # Optional: loaded by the first plan of a cast fashion model (generation.identity_conditioning); pulled with
        # the preset all the same
        encoder = preset.identity_adapter_encoder
        files = (preset.identity_adapter_weight, f"{encoder}/config.json", f"{encoder}/model.safetensors")
        weight = preset.identity_adapter_weight
        found.append(_source("identity IP-Adapter", resolve(preset.identity_adapter), weight, files, optional=True))
    if preset.lora:
        found.append(_source("fused LoRA", resolve(preset.lora), preset.lora_weight, (preset.lora_weight,)))
    if preset.taesd:
        # Optional: previews decode with the full VAE until it is pulled
        found.append(_source("TAESD decoder", resolve(preset.taesd), "config.json", controlnet, optional=True))
    return found


def _source(role: str, value: str, index: str, patterns, *, env: str = "", optional: bool = False) -> WeightSource:
    value, revision = split_revision(value)
    weights = WeightSource(role, value, revision, index, tuple(patterns), env, optional)
    return WeightSource(role, value, None, "", (), env, optional) if weights.is_file else weights


def single_file_config(preset: Preset) -> str:
    return SINGLE_FILE_CONFIGS[(preset.family, preset.inpainting_base)]


def is_available(weights: WeightSource) -> bool:
    if weights.is_hub:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(weights.value, weights.index, revision=weights.revision), str)
    path = Path(weights.value).expanduser()
    return path.is_file() if weights.is_file else (path / weights.index).is_file()


def local_folder(weights: WeightSource) -> Path | None:
    """The folder (or the file) on this machine holding the source; None if it is not here."""
    if not weights.is_hub:
        path = Path(weights.value).expanduser()
        return path if path.exists() else None
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(weights.value, revision=weights.revision, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None


def where_missing(weights: WeightSource) -> str:
    if weights.is_hub:
        from huggingface_hub import constants

        return f"not in the Hugging Face cache ({constants.HF_HUB_CACHE})"
    if weights.is_file:
        return "no such file"
    return f"no {weights.index} in that folder" if Path(weights.value).is_dir() else "no such folder"


def describe_missing(weights: WeightSource) -> str:
    from_env = f" (from {weights.env})" if weights.env else ""
    pinned = f"@{weights.revision}" if weights.revision and weights.is_hub else ""
    return f"{weights.role} {weights.value + pinned!r}{from_env}: {where_missing(weights)}"


def how_to_get(preset: Preset, problem: str, details: list[str]) -> str:
    lines = [f"preset {preset.name!r}: {problem}.", *(f"  {detail}" for detail in details), "To fix it, do one of:"]
    if preset.built_locally:
        lines.append(f"  - delete the tiny folders under {models_dir()} so that they are built again")
        return "\n".join(lines)
    lines.append(f"  - on a machine with internet: python manage.py tryon_models pull {preset.name}")
    lines.append("    then copy its Hugging Face cache here; or download the files yourself:")
    for weights in weight_sources(preset, use_env=False):
        if weights.is_hub and not weights.optional:
            include = " ".join(f'--include "{pattern}"' for pattern in weights.patterns)
            pinned = f" --revision {weights.revision}" if weights.revision else ""
            lines.append(f"      hf download {weights.value}{pinned} {include}")
    envs = " and ".join(env for env in (preset.base_env, preset.openpose_env) if env)
    if envs:
        lines.append(f"  - set {envs} to local folders in diffusers layout (or the base to one .safetensors file)")
    lines.append("  - set TRYON_DOWNLOAD_WEIGHTS=1 on a machine with internet to download them on first use")
    lines.append("  - or set TRYON_PRESET=tiny to run offline with random weights")
    return "\n".join(lines)
