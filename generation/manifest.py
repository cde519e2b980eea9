"""A preset's weight files with their sizes and sha256, written on pull and checked by verify.

Weights are copied between machines by hand (our workers cannot download), and a truncated or
swapped file otherwise shows up as a load error or, worse, as different pictures. The manifest lives
at `<models_dir>/manifests/<preset>.json`; files are named relative to their source, so a Hugging Face
cache or a models folder can move without invalidating it.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from generation.errors import EngineError
from generation.presets import Preset, models_dir
from generation.sources import WeightSource, local_folder, weight_sources

Progress = Callable[[Iterable], Iterable]
CHUNK = 1 << 20


def manifest_path(preset_name: str, root: Path | None = None) -> Path:
    return (root if root is not None else models_dir()) / "manifests" / f"{preset_name}.json"


def write_manifest(preset: Preset, root: Path | None = None, *, progress: Progress = iter) -> Path:
    """Hash every file of every source the preset has on this machine; fail naming a required one missing."""
    entries = []
    for weights in weight_sources(preset):
        files = source_files(weights)
        if files is None:
            if weights.optional:
                continue
            raise EngineError(f"preset {preset.name!r}: {weights.role} {weights.value!r} is not on this machine")
        folder, names = files
        hashed = {name: _describe(folder / name if name else folder) for name in progress(names)}
        entries.append({"role": weights.role, "source": weights.value, "revision": weights.revision, "files": hashed})
    path = manifest_path(preset.name, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"preset": preset.name, "sources": entries}, indent=1, sort_keys=True) + "\n")
    return path


def verify_manifest(
    preset: Preset, root: Path | None = None, *, progress: Progress = iter, hashes: bool = True
) -> tuple[int, list[str]]:
    """(files checked, problems): every file in the manifest is here with its size and sha256 (`hashes` False:
    sizes only, quick enough for every start and page: a pull that stopped half-way fails that too)."""
    path = manifest_path(preset.name, root)
    if not path.is_file():
        return 0, [f"no manifest at {path}; run `manage.py tryon_models pull {preset.name}` to write one"]
    recorded = {entry["role"]: entry for entry in json.loads(path.read_text())["sources"]}
    problems, checked = [], 0
    for weights in weight_sources(preset):
        entry = recorded.get(weights.role)
        if entry is None:
            if not weights.optional:
                problems.append(f"{weights.role}: not in the manifest; pull {preset.name} again")
            continue
        if entry["source"] != weights.value:
            problems.append(
                f"{weights.role}: the manifest is for {entry['source']!r}, the preset uses {weights.value!r}"
            )
            continue
        files = source_files(weights)
        if files is None:
            problems.append(f"{weights.role}: {weights.value!r} is not on this machine")
            continue
        folder = files[0]
        for name in progress(sorted(entry["files"])):
            expected, file = entry["files"][name], folder / name if name else folder
            checked += 1
            if not file.is_file():
                problems.append(f"{weights.role}: {file} is missing")
            elif file.stat().st_size != expected["size"]:
                problems.append(f"{weights.role}: {file} is {file.stat().st_size} bytes, expected {expected['size']}")
            elif hashes and _sha256(file) != expected["sha256"]:
                problems.append(f"{weights.role}: {file} has another sha256 than when it was pulled")
    return checked, problems


def source_files(weights: WeightSource) -> tuple[Path, list[str]] | None:
    """(where it is, its loaded files relative to that); a single file is itself with the name ""."""
    folder = local_folder(weights)
    if folder is None:
        return None
    if folder.is_file():
        return folder, [""]
    names = sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and weights.wants(str(path.relative_to(folder)))
    )
    return folder, names


def _describe(file: Path) -> dict:
    return {"size": file.stat().st_size, "sha256": _sha256(file)}


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()
