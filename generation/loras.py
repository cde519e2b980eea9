"""A1111's `<lora:name:weight>` prompt tags: LoRA files from a folder, applied for one render.

Merchants bring LoRAs the way A1111 users keep them: `.safetensors` files (kohya or diffusers format)
in one folder, `TRYON_LORA_DIR`, else `<models_dir>/loras`. A tag names a file by its stem; the tag
is cut from the text before encoding, as A1111 does. The LoRAs are loaded into the shared pipeline
for the render and unloaded after it, so the next render starts from the preset's own weights.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from generation.env import env_str
from generation.errors import EngineError
from generation.presets import models_dir

TAG = re.compile(r"<lora:([^:<>]*)(?::([^:<>]*))?>")
SUFFIX = ".safetensors"


@dataclass(frozen=True)
class LoraTag:
    name: str
    weight: float
    path: Path


def lora_dir() -> Path:
    return Path(env_str("TRYON_LORA_DIR") or models_dir() / "loras").expanduser()


def available_loras() -> list[str]:
    folder = lora_dir()
    return sorted(path.stem for path in folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def strip_lora_tags(text: str) -> str:
    """`text` without its LoRA tags, the rest as written."""
    return TAG.sub("", text)


def lora_tags(text: str, *, field: str = "prompt") -> list[LoraTag]:
    """The tags in `text`, each checked against the LoRA folder; errors name `field` and the tag."""
    found: list[LoraTag] = []
    for match in TAG.finditer(text):
        name, weight = match[1].strip(), (match[2] or "1").strip()
        try:
            value = float(weight)
        except ValueError:
            raise EngineError(f"{field}: {match[0]} has a weight {weight!r} that is not a number") from None
        if not -4 <= value <= 4:
            raise EngineError(f"{field}: {match[0]} has a weight {value:g} outside -4..4")
        if any(tag.name == name for tag in found):
            raise EngineError(f"{field}: LoRA {name!r} is tagged twice; give it one weight")
        path = lora_dir() / f"{name}{SUFFIX}"
        # Only plain names: a tag is text from a plan, never a path to somewhere else on the server.
        if not name or Path(name).name != name or name.startswith(".") or not path.is_file():
            available = ", ".join(available_loras()) or "none"
            raise EngineError(f"{field}: LoRA {name!r} is not in {lora_dir()} (available: {available})")
        found.append(LoraTag(name=name, weight=value, path=path))
    return found


@contextmanager
def applied_loras(pipeline, tags: list[LoraTag]) -> Iterator[None]:
    """`tags` loaded into `pipeline` at their weights for the block, then unloaded whatever happens.

    The caller holds the stack's lock: the LoRA layers change modules that every render shares.
    """
    if not tags:
        yield
        return
    names = [f"tag{index}" for index in range(len(tags))]  # adapter names: module-safe, unlike file names
    try:
        for tag, name in zip(tags, names, strict=True):
            try:
                pipeline.load_lora_weights(str(tag.path), adapter_name=name)
            except (OSError, ValueError, KeyError) as error:
                raise EngineError(f"prompt: LoRA {tag.name!r} ({tag.path}) could not be loaded: {error}") from None
        pipeline.set_adapters(names, adapter_weights=[tag.weight for tag in tags])
        yield
    finally:
        pipeline.unload_lora_weights()
