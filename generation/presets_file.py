"""Presets a merchant adds without code: a TOML or JSON file named by `TRYON_PRESETS_FILE`.

    [presets.realvis]                  # TOML; in JSON: {"presets": {"realvis": {...}}}
    based_on = "sd15"                  # optional: start from another preset's fields
    base = "/srv/models/realisticVision.safetensors"
    base_config = "stable-diffusion-v1-5/stable-diffusion-v1-5"
    licence = "CreativeML OpenRAIL-M"
    taesd = "madebyollin/taesd"        # previews (shoppers waiting) decode with TAESD (MIT), faster

Read strictly: an unknown key, a wrong type or a value out of range stops with the key's full name,
since a typo silently ignored would render with weights the merchant did not choose.
"""

import dataclasses
import json
import re
import threading
import tomllib
from pathlib import Path

from generation.env import env_str
from generation.errors import EngineError
from generation.presets import FAMILIES, MODES, PRESETS, Preset

ENV = "TRYON_PRESETS_FILE"
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Fields a file may set; name comes from the table's key, built_locally and the *_env only from code.
TEXT = (
    "description", "base", "openpose", "licence", "sampler", "revision", "family", "base_config", "canny",
    "ip_adapter", "ip_adapter_weight", "ip_adapter_encoder", "lora", "lora_weight", "taesd",
    "identity_adapter", "identity_adapter_weight", "identity_adapter_encoder",
)  # fmt: skip
REQUIRED = ("base", "openpose", "licence", "width", "height", "steps", "guidance_scale", "sampler")
_CACHE: dict[tuple, dict[str, Preset]] = {}
_LOCK = threading.Lock()


def presets_from_environment() -> dict[str, Preset]:
    """The presets of the file `TRYON_PRESETS_FILE` names; {} when it is unset. Re-read when the file changes."""
    value = env_str(ENV)
    if not value:
        return {}
    path = Path(value).expanduser()
    try:
        stat = path.stat()
    except OSError:
        raise EngineError(f"{ENV}: {str(path)!r} is not a readable file") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        if key not in _CACHE:
            _CACHE.clear()
            _CACHE[key] = read_presets_file(path)
        return _CACHE[key]


def read_presets_file(path: Path) -> dict[str, Preset]:
    where = f"{ENV} ({path})"
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as error:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise EngineError(f"{where}: cannot read it: {error}") from None
    try:
        return _presets(data)
    except EngineError as error:
        raise EngineError(f"{where}: {error}") from None


def _presets(data) -> dict[str, Preset]:
    if not isinstance(data, dict) or set(data) - {"presets"}:
        unknown = ", ".join(repr(key) for key in (set(data) - {"presets"} if isinstance(data, dict) else ()))
        raise EngineError(f"unknown key {unknown} at the top (only 'presets' is read)" if unknown else "not a table")
    tables = data.get("presets", {})
    if not isinstance(tables, dict):
        raise EngineError("presets: expected a table of presets by name")
    found: dict[str, Preset] = {}
    for name, table in tables.items():
        if name in PRESETS:
            raise EngineError(f"presets.{name}: a built-in preset has this name; choose another")
        if not NAME.match(name):
            raise EngineError(f"presets.{name}: a name is lowercase letters, digits, '.', '_' and '-'")
        if not isinstance(table, dict):
            raise EngineError(f"presets.{name}: expected a table of fields")
        found[name] = _preset(name, table, {**PRESETS, **found})
    return found


def _preset(name: str, table: dict, known: dict[str, Preset]) -> Preset:
    field = f"presets.{name}"
    allowed = {*TEXT, "based_on", "width", "height", "steps", "guidance_scale", "modes"}
    allowed |= {"ip_adapter_scale", "identity_adapter_scale", "lora_scale", "commercial_use"}
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise EngineError(f"{field}.{unknown[0]}: unknown key; a preset may set {', '.join(sorted(allowed))}")
    values: dict = {}
    parent_name = table.get("based_on")
    if parent_name is not None:
        if parent_name not in known:
            raise EngineError(f"{field}.based_on: {parent_name!r} is not one of {', '.join(known)}")
        parent = known[parent_name]
        values = {f.name: getattr(parent, f.name) for f in dataclasses.fields(Preset)}
        values.update(base_env="", openpose_env="", description=f"Based on {parent_name}.")
    else:
        missing = [key for key in REQUIRED if key not in table]
        if missing:
            raise EngineError(f"{field}.{missing[0]}: required (or name a preset to start from in based_on)")
    for key, value in table.items():
        if key != "based_on":
            values[key] = _checked(f"{field}.{key}", key, value)
    values.setdefault("description", "")
    values["name"], values["built_locally"] = name, False
    # A file preset never builds weights: sources made by the tiny build still load once built.
    preset = Preset(**values)
    if preset.lora and not preset.lora.lower().endswith(".safetensors") and not preset.lora_weight:
        raise EngineError(f"{field}.lora_weight: required when lora is a Hub id or folder: the file in it")
    for key in ("ip_adapter_weight", "ip_adapter_encoder"):
        if preset.ip_adapter and not getattr(preset, key):
            raise EngineError(f"{field}.{key}: required with ip_adapter (see h94/IP-Adapter's layout)")
    for key in ("identity_adapter_weight", "identity_adapter_encoder"):
        if preset.identity_adapter and not getattr(preset, key):
            raise EngineError(f"{field}.{key}: required with identity_adapter (see h94/IP-Adapter's layout)")
    return preset


def _checked(field: str, key: str, value):
    if key in TEXT:
        if not isinstance(value, str) or (key in REQUIRED and not value.strip()):
            raise EngineError(f"{field}: {value!r} must be text")
        if key == "family" and value not in FAMILIES:
            raise EngineError(f"{field}: {value!r} is not one of {', '.join(FAMILIES)}")
        if key == "sampler":
            from generation.samplers import check_sampler

            check_sampler(value, field=field)
        return value if key != "revision" else (value or None)
    if key in ("width", "height"):
        if not _integer(value) or value < 64 or value % 8:
            raise EngineError(f"{field}: {value!r} must be a multiple of 8, at least 64")
        return value
    if key == "steps":
        if not _integer(value) or not 1 <= value <= 150:
            raise EngineError(f"{field}: {value!r} must be an integer from 1 to 150")
        return value
    if key in ("guidance_scale", "ip_adapter_scale", "identity_adapter_scale", "lora_scale"):
        top = 30 if key == "guidance_scale" else 2
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= top:
            raise EngineError(f"{field}: {value!r} must be a number from 0 to {top}")
        return float(value)
    if key == "modes":
        if not isinstance(value, list) or not value or any(mode not in MODES for mode in value):
            raise EngineError(f"{field}: {value!r} must be a list of {', '.join(MODES)}")
        return tuple(value)
    if not isinstance(value, bool):  # commercial_use
        raise EngineError(f"{field}: {value!r} must be true or false")
    return value


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
