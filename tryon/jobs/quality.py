"""How faithfully each render shows its garments, and the quality gate that re-renders what fails.

Every image is scored in the worker against the garments warped onto the person it shows
(generation.scoring): the draft's warped garments for a warp render, the same warp onto the render's
pose for a render drawn from words. A preset with the gate on re-renders a failing job with the next
seeds, up to TRYON_QUALITY_RETRIES times, and keeps the best image of each sample by score.
A cast fashion model's face is scored too, against its portrait (tryon.jobs.identity_scores).
"""

import dataclasses
import logging
from dataclasses import dataclass, field

from django.conf import settings
from PIL import Image

from generation.presets import Preset
from generation.quality_gate import QualityThresholds, gate_failures, score_rank
from generation.scoring import FidelityScores, ScoringError, score_render
from prompts import GenerationPlan
from prompts.builder import has_sleeves
from tryon.catalog.cutouts import garment_cutout_image
from tryon.catalog.picks import garment_pick
from tryon.jobs.identity_scores import ExpectedFace, expected_face, face_score
from tryon.jobs.models import TryOnJob
from tryon.merchants.models import Merchant

logger = logging.getLogger(__name__)


@dataclass
class Expected:
    """What the garments should look like in the render, and where."""

    garment: Image.Image | None  # RGBA at the render's size; None when there is nothing to compare with
    colours_from: Image.Image | None  # the garment's own cut-out, when the outfit is one garment
    keypoints: tuple | None  # the pose the render was asked for, on the pose canvas
    note: str = ""  # why garment is None
    face: ExpectedFace | None = None  # a cast fashion model's portrait, to score the face against


@dataclass
class ScoredImage:
    image: Image.Image
    infotext: str
    seed: int
    attempt: int
    scores: FidelityScores | None
    failures: list[str] = field(default_factory=list)
    rank: float = float("-inf")
    note: str = ""
    garment_mask: Image.Image | None = None  # where the garment should be: the admin's overlay

    @property
    def passes(self) -> bool:
        return not self.failures


def thresholds_for(merchant: Merchant, preset: str) -> QualityThresholds:
    """The defaults, overridden by the merchant's settings for all presets ("*"), then for this one."""
    overrides = merchant.quality_thresholds or {}
    try:
        return QualityThresholds.from_dict({**overrides.get("*", {}), **overrides.get(preset, {})})
    except ScoringError as error:
        logger.warning("Merchant %s has invalid quality thresholds (%s); using the defaults", merchant.pk, error)
        return QualityThresholds()


def gate_retries(preset: Preset) -> int:
    """How many times a failing render is tried again: none where the preset's gate is off."""
    return settings.TRYON_QUALITY_RETRIES if preset.quality_gate else 0


def expected_garment_or_none(job: TryOnJob, plan: GenerationPlan, images: dict, result) -> Expected:
    """expected_garment, best-effort: a render is never lost because it could not be scored."""
    try:
        expected = expected_garment(job, plan, images, result)
    except Exception as error:
        logger.exception("Try-on #%s: the garment to score against could not be made", job.id)
        expected = Expected(None, None, None, f"not scored: {type(error).__name__}: {error}")
    expected.face = expected_face(job, plan)
    return expected


def expected_garment(job: TryOnJob, plan: GenerationPlan, images: dict, result) -> Expected:
    """What `result` (a generation.RenderResult) should show of the garments, for scoring its images."""
    render = result.images[0]
    if plan.mode == "warp":  # the engine warped them already
        colours = images[plan.garment_layers[0].cutout.sha256] if len(plan.garment_layers) == 1 else None
        return Expected(result.garment, colours, plan.person_keypoints)
    # Drawn from words: the garments' cut-outs warped onto the pose the render was steered by.
    from prompts.draft import DraftLayer, compose_draft

    garments = [g for g in job.garments.all() if g.cutout]
    if not garments:  # a plan made without picks (the A1111-compatible API) may have no pose either
        return Expected(None, None, None, "no garment cut-out to compare the render with")
    keypoints = plan.inpaint_mask.keypoints if plan.inpaint_mask is not None else plan.controlnet_units[0].keypoints
    cutouts = [garment_cutout_image(garment) for garment in garments]
    layers = [
        DraftLayer(cutout=cutout, category=garment.category, sleeves=has_sleeves(garment_pick(garment)))
        for garment, cutout in zip(garments, cutouts, strict=True)
    ]
    try:
        draft = compose_draft(render, layers, keypoints, width=render.width, height=render.height)
    except ValueError as error:
        return Expected(None, None, keypoints, f"the garments could not be placed on this pose ({error})")
    return Expected(draft.garment, cutouts[0] if len(cutouts) == 1 else None, keypoints)


def score_image(image: Image.Image, expected: Expected) -> tuple[FidelityScores | None, str]:
    """The image's fidelity scores, or None and why they could not be measured."""
    if expected.garment is None:
        return None, expected.note
    try:
        detected, note = _detected_keypoints(image)
    except Exception as error:  # the detector is a nicety: its failure costs the pose score, never the render
        logger.exception("Keypoint detection on a render failed")
        detected, note = None, f"keypoint detection failed: {type(error).__name__}"
    try:
        scores = score_render(
            image,
            expected.garment,
            garment_colours_from=expected.colours_from,
            requested_keypoints=expected.keypoints if detected is not None else None,
            detected_keypoints=detected,
        )
    except ScoringError as error:
        return None, str(error)
    if note and not scores.pose_note:
        scores = FidelityScores(**{**scores.to_dict(), "pose_note": note})
    if expected.face is not None:  # a cast fashion model: is it its face?
        face = face_score(image, expected.face)
        scores = dataclasses.replace(scores, identity_similarity=face.similarity, identity_note=face.note)
    return scores, ""


def _detected_keypoints(image: Image.Image):
    """Keypoints re-detected on the render, where detector weights are present; else None and why not."""
    from generation import EngineError
    from generation.keypoints import detect_keypoints, detector_available

    if not detector_available():
        return None, "no keypoint detector weights (python manage.py tryon_models pull annotators)"
    try:
        found = detect_keypoints(image)
    except EngineError as error:
        return None, str(error)
    return (found, "") if found is not None else (None, "no person detected in the render")


FACE_NOT_GATED = "not gated: the face is the stage-1 person's, which a quality retry does not render again"


def retries_rerender_face(plan: GenerationPlan) -> bool:
    """Whether another seed paints the face anew: not for a warp onto a stage-1 person, which every attempt reuses
    (cached) and only the garments' inpainting is seeded again, so its face score would burn every retry."""
    return not (plan.mode == "warp" and plan.person is not None)


def judge(scored: ScoredImage, thresholds: QualityThresholds, *, gate: bool, gate_face: bool = True) -> ScoredImage:
    """Rank the image and, where the gate is on, say why it fails. `gate_face=False`: its face score is kept
    but neither gated nor ranked, and its note says so (retries_rerender_face)."""
    if scored.scores is not None:
        if not gate_face and scored.scores.identity_similarity is not None:
            scored.scores = dataclasses.replace(scored.scores, identity_note=FACE_NOT_GATED)
        scored.rank = score_rank(scored.scores, thresholds, identity=gate_face)
        if gate:
            scored.failures = gate_failures(scored.scores, thresholds, identity=gate_face)
    return scored


def attempt_record(attempt: int, seed: int, scored: list[ScoredImage]) -> dict:
    """One attempt as the job page shows it: each image's seed, scores and reasons it failed."""
    return {
        "attempt": attempt,
        "seed": seed,
        "images": [
            {
                "seed": image.seed,
                "scores": image.scores.to_dict() if image.scores else None,
                "failures": image.failures,
                "note": image.note,
            }
            for image in scored
        ],
    }
