"""Scoring a folder of try-on results: one sub-folder per triple (person, garment, result), a table and JSON out.

    triples/
      striped-top/  person.png  garment.jpg  result.png  keypoints.json | mask.png  [meta.json]

garment is the product photo on a plain background (cut out with prompts.cutout). The expected garment at
the result's size comes from mask.png (the cut-out stretched into the mask's bounding box, alpha = the
mask) or else from keypoints.json (18 [x, y, visible], fractions of the pose canvas, warped by
prompts.draft). Where both are there, the mask wins: it is the region someone drew. meta.json may set
{"category": ...}; otherwise the caller's category applies. No Django: `manage.py tryon_eval` wraps this.
"""

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from generation.quality_gate import QualityThresholds, gate_failures
from generation.scoring import FidelityScores, ScoringError, score_render
from prompts.cutout import CutoutError, garment_cutout
from prompts.vocabulary import GARMENT_CATEGORIES, OPENPOSE_KEYPOINTS

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
SCORE_FIELDS = (
    "colour_delta_e_median",
    "colour_delta_e_p90",
    "pattern_ssim",
    "edge_agreement",
    "coverage",
    "leakage",
    "pose_error",
)


class EvaluationError(ValueError):
    """A triple that cannot be scored; the message names its folder and file."""


@dataclass(frozen=True)
class ScoredRow:
    """One line of the table: a triple of a folder, or a stored image of a job. scores None: not scored."""

    name: str
    scores: FidelityScores | None
    failures: tuple[str, ...] = ()
    category: str = ""
    garment_from: str = ""  # "mask.png" or "keypoints.json" for a folder's triples

    def to_dict(self) -> dict:
        data = {"name": self.name, "category": self.category, "garment_from": self.garment_from}
        if self.scores is None:
            return {**data, "scores": None, "passes": None, "failures": []}
        return {**data, "scores": self.scores.to_dict(), "passes": not self.failures, "failures": list(self.failures)}


def triple_folders(path: Path) -> list[Path]:
    path = Path(path)
    if not path.is_dir():
        raise EvaluationError(f"{path}: not a folder")
    folders = sorted(child for child in path.iterdir() if child.is_dir() and not child.name.startswith("."))
    if not folders:
        raise EvaluationError(f"{path}: no sub-folders; expected one per triple (person, garment, result)")
    return folders


def evaluate_folder(
    path: Path,
    *,
    category: str = "top",
    thresholds: QualityThresholds | None = None,
    progress: Callable[[Iterable], Iterable] = iter,
) -> list[ScoredRow]:
    """Every triple under `path`, scored and gated, in folder-name order."""
    if category not in GARMENT_CATEGORIES:
        raise EvaluationError(f"category: {category!r} is not one of {', '.join(GARMENT_CATEGORIES)}")
    thresholds = thresholds or QualityThresholds()
    folders = triple_folders(path)
    return [evaluate_triple(folder, category=category, thresholds=thresholds) for folder in progress(folders)]


def evaluate_triple(folder: Path, *, category: str, thresholds: QualityThresholds) -> ScoredRow:
    # 1. Read the parts; each error names the file.
    category = _meta_category(folder, category)
    person = _image(folder, "person")
    photo_path, photo = _find_image(folder, "garment"), _image(folder, "garment")
    result = _image(folder, "result").convert("RGB")
    try:
        cutout = garment_cutout(photo)
    except CutoutError as error:
        raise EvaluationError(f"{photo_path}: {error}") from None

    # 2. The garment as it should appear on the result: from the drawn mask, else warped by keypoints.
    keypoints = _keypoints(folder) if (folder / "keypoints.json").exists() else None
    if (folder / "mask.png").exists():
        garment, garment_from = _fitted_into_mask(folder, cutout, result.size), "mask.png"
    elif keypoints is not None:
        garment, garment_from = _warped(folder, person, cutout, category, keypoints, result.size), "keypoints.json"
    else:
        raise EvaluationError(f"{folder}: neither mask.png nor keypoints.json says where the garment goes")

    # 3. Score and gate.
    try:
        scores = score_render(result, garment, garment_colours_from=cutout, requested_keypoints=keypoints)
    except ScoringError as error:
        raise EvaluationError(f"{folder / garment_from}: {error}") from None
    failures = tuple(gate_failures(scores, thresholds))
    return ScoredRow(folder.name, scores, failures, category=category, garment_from=garment_from)


def _find_image(folder: Path, stem: str) -> Path:
    for suffix in IMAGE_SUFFIXES:
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    raise EvaluationError(f"{folder}: no {stem} image ({' or '.join(stem + suffix for suffix in IMAGE_SUFFIXES)})")


def _image(folder: Path, stem: str) -> Image.Image:
    path = _find_image(folder, stem)
    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise EvaluationError(f"{path}: cannot read the image ({error})") from None


def _json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise EvaluationError(f"{path}: cannot read it as JSON ({error})") from None


def _meta_category(folder: Path, default: str) -> str:
    path = folder / "meta.json"
    if not path.exists():
        return default
    meta = _json(path)
    category = meta.get("category", default) if isinstance(meta, dict) else None
    if category not in GARMENT_CATEGORIES:
        raise EvaluationError(f"{path}: category {category!r} is not one of {', '.join(GARMENT_CATEGORIES)}")
    return category


def _keypoints(folder: Path) -> list[tuple[float, float, bool]]:
    path = folder / "keypoints.json"
    points = _json(path)
    try:
        parsed = [(float(x), float(y), bool(visible)) for x, y, visible in points]
    except (TypeError, ValueError):
        parsed = []
    if len(parsed) != len(OPENPOSE_KEYPOINTS) or not all(0 <= x <= 1 and 0 <= y <= 1 for x, y, _ in parsed):
        raise EvaluationError(f"{path}: expected {len(OPENPOSE_KEYPOINTS)} [x, y, visible] with x and y from 0 to 1")
    return parsed


def _fitted_into_mask(folder: Path, cutout: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The cut-out stretched over the mask's bounding box, alpha = the mask: the garment where it was drawn."""
    mask = _image(folder, "mask").convert("L")
    if mask.size != size:
        raise EvaluationError(f"{folder / 'mask.png'}: size {mask.size} differs from the result's {size}")
    box = mask.point(lambda value: 255 if value >= 128 else 0).getbbox()
    if box is None:
        raise EvaluationError(f"{folder / 'mask.png'}: empty, so it says nowhere where the garment goes")
    garment = cutout.crop(cutout.getchannel("A").getbbox()).convert("RGB")
    canvas = Image.new("RGB", size, (0, 0, 0))
    canvas.paste(garment.resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.LANCZOS), box[:2])
    canvas.putalpha(mask)
    return canvas


def _warped(folder, person, cutout, category, keypoints, size) -> Image.Image:
    try:
        from prompts.draft import DraftLayer, compose_draft
    except ImportError:
        raise EvaluationError(f"{folder / 'keypoints.json'}: warping by keypoints needs prompts.draft") from None
    width, height = size
    try:
        return compose_draft(person, [DraftLayer(cutout, category)], keypoints, width=width, height=height).garment
    except ValueError as error:  # prompts' errors name the field: a pose that cannot carry this category
        raise EvaluationError(f"{folder / 'keypoints.json'}: {error}") from None


def mean_scores(rows: Sequence[ScoredRow]) -> dict | None:
    """Each score's mean over the scored rows; pose_error over those that measured it (None if none did)."""
    scored = [row.scores for row in rows if row.scores is not None]
    if not scored:
        return None
    means = {}
    for field in SCORE_FIELDS:
        values = [getattr(scores, field) for scores in scored if getattr(scores, field) is not None]
        means[field] = round(math.fsum(values) / len(values), 4) if values else None
    return means


def results_json(rows: Sequence[ScoredRow], thresholds: QualityThresholds | None) -> dict:
    """thresholds: what the rows were gated with; None where they differ (each merchant's own)."""
    scored = [row for row in rows if row.scores is not None]
    return {
        "thresholds": thresholds.to_dict() if thresholds is not None else None,
        "count": len(rows),
        "passed": sum(1 for row in scored if not row.failures),
        "mean": mean_scores(rows),
        "rows": [row.to_dict() for row in rows],
    }


COLUMNS = (  # header, width, score field, format
    ("ΔE med", 6, "colour_delta_e_median", "{:.1f}"),
    ("ΔE p90", 6, "colour_delta_e_p90", "{:.1f}"),
    ("SSIM", 5, "pattern_ssim", "{:.2f}"),
    ("edges", 5, "edge_agreement", "{:.2f}"),
    ("cover", 5, "coverage", "{:.2f}"),
    ("leak", 5, "leakage", "{:.2f}"),
    ("pose", 5, "pose_error", "{:.3f}"),
)


def results_table(rows: Sequence[ScoredRow]) -> str:
    """An aligned text table: one line per row, then the mean; the gate column says which criteria failed."""
    names = [row.name for row in rows] + ["mean"]
    first = max(len(name) for name in names)
    lines = [_line("", first, [header for header, *_ in COLUMNS], "gate")]
    for row in rows:
        values = row.scores.to_dict() if row.scores is not None else None
        lines.append(_line(row.name, first, _cells(values), _gate(row)))
    means = mean_scores(rows)
    passed = sum(1 for row in rows if row.scores is not None and not row.failures)
    lines.append(_line("mean", first, _cells(means), f"{passed}/{len(rows)} pass"))
    return "\n".join(lines)


def _cells(values: dict | None) -> list[str]:
    if values is None:
        return ["-" for _column in COLUMNS]
    return ["n/a" if values[field] is None else form.format(values[field]) for _h, _w, field, form in COLUMNS]


def _gate(row: ScoredRow) -> str:
    if row.scores is None:
        return "not scored"
    if not row.failures:
        return "pass"
    # Each reason starts with its criterion, then the score: "coverage 0.40 is below the minimum 0.7".
    return "fail: " + ", ".join(reason.split(" is ")[0].rsplit(" ", 1)[0] for reason in row.failures)


def _line(name: str, first: int, cells: list[str], gate: str) -> str:
    columns = "  ".join(cell.rjust(width) for cell, (_h, width, _f, _form) in zip(cells, COLUMNS, strict=True))
    return f"{name.ljust(first)}  {columns}  {gate}".rstrip()
