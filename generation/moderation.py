"""Content moderation: diffusers' Stable Diffusion safety checker, as a verdict per image.

The checker is a CLIP ViT-L/14 image encoder whose embedding is compared (cosine similarity) with 17 "concept"
embeddings (nsfw) and 3 "special care" ones, each with its own threshold (`*_embeds_weights`). Its forward()
blacks out flagged images; here the verdict is computed from the same tensors instead (judge()), so no blacked-out
image is ever made, and the caller decides what a blocked image means (tryon fails the job, refuses the upload).

Levels (the merchant's setting; "off" never reaches this module):
- permissive: the checker's own thresholds, exactly as diffusers' StableDiffusionSafetyChecker applies them
  (adjustment 0.0; +0.01 on the nsfw concepts once a special-care concept matches).
- conservative: every score is raised by CONSERVATIVE_ADJUSTMENT = 0.03 before the same comparison, so images
  within 0.03 cosine of a concept's threshold are blocked too (diffusers' source: "increase this value to create
  a stronger nsfw filter at the cost of increasing the possibility of filtering benign images").

Weights: the `safety_checker/` and `feature_extractor/` folders of stable-diffusion-v1-5/stable-diffusion-v1-5
(safetensors, CreativeML OpenRAIL-M; the same files as CompVis/stable-diffusion-safety-checker, which has only a
pickle), or a local folder in that layout named by TRYON_MODERATION_WEIGHTS. `manage.py tryon_models pull
moderation` fetches them. Loaded once per process, on the first check, on the CPU (about 1.2 GB of memory,
0.2-0.5 s an image): a process that never checks never loads torch for it.
"""

import functools
import threading
from dataclasses import dataclass
from pathlib import Path

from generation.env import env_str
from generation.errors import EngineError, WeightsMissing
from generation.sources import WeightSource, is_hub_id, split_revision

MODERATION_ENV = "TRYON_MODERATION_WEIGHTS"
DEFAULT_WEIGHTS = "stable-diffusion-v1-5/stable-diffusion-v1-5"
CHECKER, PROCESSOR = "safety_checker", "feature_extractor"
FILES = (f"{CHECKER}/config.json", f"{CHECKER}/model.safetensors", f"{PROCESSOR}/preprocessor_config.json")
LICENCE = "Stable Diffusion safety checker (from stable-diffusion-v1-5): CreativeML OpenRAIL-M"
PULL_HINT = "python manage.py tryon_models pull moderation"
LEVELS = ("permissive", "conservative")
CONSERVATIVE_ADJUSTMENT = 0.03
ADJUSTMENT = {"permissive": 0.0, "conservative": CONSERVATIVE_ADJUSTMENT}
SPECIAL_CARE_ADJUSTMENT = 0.01  # diffusers': a special-care match makes the nsfw concepts this much stricter
MAX_IMAGES = 16  # one job's samples; more is a caller's mistake, not a batch to run on a web process's CPU

_lock = threading.Lock()  # one load and one inference at a time: a web process checks from several threads


class ModerationWeightsMissing(WeightsMissing):
    """The safety checker's weights are not on this machine; the message says how to get them."""


class ImageBlocked(EngineError):
    """A caller's refusal of an image the checker blocked (tryon fails its job with this code and message)."""

    code = "content_moderation"


@dataclass(frozen=True)
class Verdict:
    """One image's verdict. Scores are cosine similarity minus the concept's threshold plus the level's
    adjustment, rounded to 3 places as diffusers does: above 0 is a match."""

    blocked: bool
    kind: str  # "" when passed; "nsfw"; "special care" when an nsfw concept matched on a special-care image
    level: str
    concept_scores: tuple[float, ...]
    special_scores: tuple[float, ...]

    @property
    def worst(self) -> float:
        return max(self.concept_scores, default=float("-inf"))

    def to_dict(self) -> dict:
        return {
            "blocked": self.blocked,
            "kind": self.kind,
            "level": self.level,
            "worst": round(self.worst, 3),
        }


def judge(concept_cos, special_cos, concept_weights, special_weights, *, level: str) -> list[Verdict]:
    """Verdicts from the checker's tensors (rows: images; columns: concepts), as diffusers' forward() decides.

    Pure arithmetic on numbers, so the levels can be compared on the same scores without a model.
    """
    if level not in ADJUSTMENT:
        raise EngineError(f"moderation level: {level!r} is not one of {', '.join(LEVELS)}")
    adjustment = ADJUSTMENT[level]
    verdicts = []
    for concepts, specials in zip(_rows(concept_cos), _rows(special_cos), strict=True):
        special_scores = tuple(
            round(cos - float(threshold) + adjustment, 3)
            for cos, threshold in zip(specials, special_weights, strict=True)
        )
        special_care = any(score > 0 for score in special_scores)
        raised = adjustment + (SPECIAL_CARE_ADJUSTMENT if special_care else 0.0)
        concept_scores = tuple(
            round(cos - float(threshold) + raised, 3) for cos, threshold in zip(concepts, concept_weights, strict=True)
        )
        blocked = any(score > 0 for score in concept_scores)
        kind = ("special care" if special_care else "nsfw") if blocked else ""
        verdicts.append(Verdict(blocked, kind, level, concept_scores, special_scores))
    return verdicts


def _rows(matrix) -> list[list[float]]:
    return [[float(value) for value in row] for row in (matrix.tolist() if hasattr(matrix, "tolist") else matrix)]


def moderation_source() -> WeightSource:
    """Where the checker's weights come from: TRYON_MODERATION_WEIGHTS (a Hub id or a folder), else sd15's repo."""
    configured = env_str(MODERATION_ENV)
    if configured and not is_hub_id(configured):
        configured = str(Path(configured).expanduser())
    value, revision = split_revision(configured or DEFAULT_WEIGHTS)
    return WeightSource("safety checker", value, revision, FILES[0], FILES, MODERATION_ENV if configured else "")


def missing_files(weights: WeightSource | None = None) -> list[str]:
    """The checker's files that are not on this machine (none: it can load)."""
    weights = weights or moderation_source()
    if weights.is_hub:
        from huggingface_hub import try_to_load_from_cache

        return [
            name
            for name in FILES
            if not isinstance(try_to_load_from_cache(weights.value, name, revision=weights.revision), str)
        ]
    return [name for name in FILES if not (Path(weights.value) / name).is_file()]


def checker_available() -> bool:
    return not missing_files()


def check_inputs(images: list, level: str) -> None:
    from PIL import Image

    if level not in ADJUSTMENT:
        raise EngineError(f"moderation level: {level!r} is not one of {', '.join(LEVELS)}")
    if not images:
        raise EngineError("moderation: no images to check")
    if len(images) > MAX_IMAGES:
        raise EngineError(f"moderation: {len(images)} images; at most {MAX_IMAGES} at once")
    for index, image in enumerate(images):
        if not isinstance(image, Image.Image):
            raise EngineError(f"moderation: image {index} is a {type(image).__name__}, not a PIL image")


def check_images(images: list, *, level: str) -> list[Verdict]:
    """Each image's verdict at `level` (permissive or conservative), in order."""
    import torch

    # 1. Inputs, and the checker (loaded on first use; a clear error when its weights are missing).
    check_inputs(images, level)
    weights = moderation_source()
    if missing := missing_files(weights):
        raise ModerationWeightsMissing(_how_to_get(weights, missing))
    with _lock:
        checker, processor = _load(weights.value, weights.revision)

        # 2. The images as CLIP sees them, and their embeddings (what forward() computes before it judges).
        pixels = processor(images=[image.convert("RGB") for image in images], return_tensors="pt").pixel_values
        with torch.no_grad():
            pooled = checker.vision_model(pixels.to(checker.dtype))[1]
            embeds = torch.nn.functional.normalize(checker.visual_projection(pooled))

            # 3. Cosine similarity to each concept, as diffusers' cosine_distance.
            concept_cos = embeds @ torch.nn.functional.normalize(checker.concept_embeds).T
            special_cos = embeds @ torch.nn.functional.normalize(checker.special_care_embeds).T

    # 4. The verdicts, from the checker's own thresholds and the level's adjustment.
    return judge(
        concept_cos.float(),
        special_cos.float(),
        checker.concept_embeds_weights.float().tolist(),
        checker.special_care_embeds_weights.float().tolist(),
        level=level,
    )


@functools.lru_cache(maxsize=1)
def _load(value: str, revision: str | None):
    """The checker and its image processor, once per process (per source: tests switch between tiny ones)."""
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPImageProcessor

    options = {"revision": revision} if revision else {}
    try:
        checker = StableDiffusionSafetyChecker.from_pretrained(value, subfolder=CHECKER, **options).eval()
        processor = CLIPImageProcessor.from_pretrained(value, subfolder=PROCESSOR, **options)
    except (OSError, ValueError) as error:
        raise ModerationWeightsMissing(f"safety checker {value!r}: cannot load ({error}); `{PULL_HINT}`") from None
    return checker, processor


def _how_to_get(weights: WeightSource, missing: list[str]) -> str:
    where = "not in the Hugging Face cache" if weights.is_hub else "not in that folder"
    lines = [
        f"content moderation: the safety checker {weights.value!r} is missing {', '.join(missing)} ({where}).",
        f"  Run `{PULL_HINT}` on a machine with internet (then copy its Hugging Face cache here),",
        f"  or set {MODERATION_ENV} to a folder holding {CHECKER}/ and {PROCESSOR}/,",
        "  or turn the shop's content moderation off.",
    ]
    return "\n".join(lines)
