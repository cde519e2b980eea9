"""The quality gate: which renders are faithful enough to keep, and which of several attempts is best.

The worker scores each render (generation.scoring), asks gate_failures whether it passes, retries with the
next seed when it does not, and keeps the attempt with the highest score_rank when none passes.
"""

import dataclasses
from dataclasses import dataclass

from generation.scoring import FidelityScores, ScoringError, finite_number, known_fields

FAILURE_WEIGHT = 10.0  # a failed threshold outweighs any sum of margins: fewer failures always rank higher
RANGES = {
    "max_delta_e_median": (0, 100),
    "min_pattern_ssim": (-1, 1),
    "min_identity_similarity": (-1, 1),
}  # the rest are shares, 0 to 1


@dataclass(frozen=True)
class QualityThresholds:
    # Synthetic checks (tests/generation/test_scoring.py): the garment pasted exactly scores ΔE ~0, SSIM ~1;
    # a 30° hue shift ΔE > 10; stripes turned 90° SSIM ~0.35, edges ~0.1; no garment at all SSIM ~0.4.
    # The limits leave room for what a refine pass legitimately changes: shading, folds, repainted texture.
    max_delta_e_median: float = 8.0  # CIEDE2000: ~2 is barely visible, ~10 is another shade
    min_pattern_ssim: float = 0.35  # low, as the refine repaints texture; edges catch a turned print
    min_edge_agreement: float = 0.5  # a plain garment scores 1: only prints and stripes are checked
    min_coverage: float = 0.7  # share of the mask that shows garment colour
    max_leakage: float = 0.15  # garment colour outside the mask, over the mask's area
    max_pose_error: float = 0.1  # of the person's size; only checked when a detector measured it
    # Cosine of the face's and the cast model's portrait's CLIP embeddings (generation.identity); only checked for
    # a cast fashion model on a preset with an image encoder, and only where a retry re-renders the face (not a
    # warp onto a cached stage-1 person: identity=False below). A random-weight preset's gate is off anyway.
    min_identity_similarity: float = 0.5

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            finite_number(f"thresholds.{field.name}", value)
            low, high = RANGES.get(field.name, (0, 1))
            if not low <= value <= high:
                raise ScoringError(f"thresholds.{field.name}: {value!r} must be from {low} to {high}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data) -> "QualityThresholds":
        """Any subset of the fields; the rest keep their defaults. Unknown fields are refused, not ignored."""
        known_fields(cls, data, "thresholds")
        return cls(**data)


def _checks(scores: FidelityScores, thresholds: QualityThresholds, identity: bool):
    """(criterion, value, limit, "max" | "min") for each criterion that was measured (and judged)."""
    yield "colour ΔE median", scores.colour_delta_e_median, thresholds.max_delta_e_median, "max"
    yield "pattern SSIM", scores.pattern_ssim, thresholds.min_pattern_ssim, "min"
    yield "edge agreement", scores.edge_agreement, thresholds.min_edge_agreement, "min"
    yield "coverage", scores.coverage, thresholds.min_coverage, "min"
    yield "leakage", scores.leakage, thresholds.max_leakage, "max"
    if scores.pose_error is not None:
        yield "pose error", scores.pose_error, thresholds.max_pose_error, "max"
    if identity and scores.identity_similarity is not None:
        yield "identity similarity", scores.identity_similarity, thresholds.min_identity_similarity, "min"


def _fails(value: float, limit: float, kind: str) -> bool:
    return value > limit if kind == "max" else value < limit


def gate_failures(scores: FidelityScores, thresholds: QualityThresholds, *, identity: bool = True) -> list[str]:
    """Why the render fails the gate, one reason per criterion; [] means it passes.

    `identity=False`: the face score is stored but not judged, where another seed would not change the face.
    """
    return [
        f"{name} {value:.2f} is {'above the maximum' if kind == 'max' else 'below the minimum'} {limit:g}"
        for name, value, limit, kind in _checks(scores, thresholds, identity)
        if _fails(value, limit, kind)
    ]


def score_rank(scores: FidelityScores, thresholds: QualityThresholds, *, identity: bool = True) -> float:
    """Higher is better: fewest failed criteria first, then the largest summed headroom past each threshold.

    Headroom is normalised per criterion (each within -1..1), so no single score swamps the others.
    `identity=False` leaves the face score out, as gate_failures does.
    """
    total = 0.0
    for _name, value, limit, kind in _checks(scores, thresholds, identity):
        if kind == "max":
            margin = (limit - value) / limit if limit > 0 else -value
        else:
            margin = (value - limit) / (1 - limit) if limit < 1 else value - limit
        total += max(-1.0, min(1.0, margin)) - (FAILURE_WEIGHT if _fails(value, limit, kind) else 0.0)
    return total
