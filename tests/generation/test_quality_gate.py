"""The quality gate: which scores pass, why others fail, and which attempt to keep."""

import pytest

from generation.quality_gate import QualityThresholds, gate_failures, score_rank
from generation.scoring import FidelityScores, ScoringError

GOOD = FidelityScores(
    colour_delta_e_median=2.0,
    colour_delta_e_p90=5.0,
    pattern_ssim=0.8,
    edge_agreement=0.9,
    coverage=0.95,
    leakage=0.02,
    pose_error=0.03,
)


def worse(**changes) -> FidelityScores:
    return FidelityScores(**{**GOOD.to_dict(), **changes})


def test_good_scores_pass_the_default_gate():
    assert gate_failures(GOOD, QualityThresholds()) == []


def test_each_failure_names_its_criterion_the_score_and_the_limit():
    scores = worse(colour_delta_e_median=12.5, coverage=0.4, leakage=0.3, pose_error=0.2)

    assert gate_failures(scores, QualityThresholds()) == [
        "colour ΔE median 12.50 is above the maximum 8",
        "coverage 0.40 is below the minimum 0.7",
        "leakage 0.30 is above the maximum 0.15",
        "pose error 0.20 is above the maximum 0.1",
    ]


def test_a_pose_nobody_measured_is_not_a_failure():
    scores = worse(pose_error=None, pose_note="no keypoint detector weights")

    assert gate_failures(scores, QualityThresholds(max_pose_error=0.0)) == []


def test_fewer_failures_rank_higher_and_then_more_headroom():
    thresholds = QualityThresholds()
    one_failure_barely = worse(coverage=0.69)
    two_failures = worse(coverage=0.69, leakage=0.16)
    passing_barely = worse(colour_delta_e_median=7.9, pattern_ssim=0.36)

    ranks = [score_rank(scores, thresholds) for scores in (GOOD, passing_barely, one_failure_barely, two_failures)]

    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) == 4


def test_thresholds_round_trip_and_a_partial_dict_keeps_the_defaults():
    custom = QualityThresholds(max_delta_e_median=5, min_coverage=0.8)

    assert QualityThresholds.from_dict(custom.to_dict()) == custom
    assert QualityThresholds.from_dict({"max_leakage": 0.05}) == QualityThresholds(max_leakage=0.05)
    assert QualityThresholds().to_dict()["max_delta_e_median"] == 8.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"min_coverage": 1.5}, r"^thresholds\.min_coverage: 1\.5 must be from 0 to 1"),
        ({"max_delta_e_median": -1}, r"^thresholds\.max_delta_e_median: -1 must be from 0 to 100"),
        ({"min_pattern_ssim": "high"}, r"^thresholds\.min_pattern_ssim: 'high' is not a finite number"),
        ({"max_leakage": True}, r"^thresholds\.max_leakage: True is not a finite number"),
        ({"max_pose_error": float("nan")}, r"^thresholds\.max_pose_error: nan is not a finite number"),
        ({"min_sharpness": 0.5}, r"^thresholds\.min_sharpness: unknown field"),
        (["max_leakage"], r"^thresholds: expected a mapping, got list"),
    ],
)
def test_thresholds_that_do_not_fit_are_refused_naming_the_field(data, message):
    with pytest.raises(ScoringError, match=message):
        QualityThresholds.from_dict(data)


def test_a_cast_models_face_unlike_its_portrait_fails_the_gate_naming_identity():
    unlike = worse(identity_similarity=0.31)

    assert gate_failures(unlike, QualityThresholds()) == ["identity similarity 0.31 is below the minimum 0.5"]
    assert gate_failures(worse(identity_similarity=0.8), QualityThresholds()) == []
    assert gate_failures(unlike, QualityThresholds(min_identity_similarity=0.3)) == []
    # The likelier face ranks higher, all else equal; a face nobody measured is no failure
    assert score_rank(worse(identity_similarity=0.9), QualityThresholds()) > score_rank(unlike, QualityThresholds())
    assert gate_failures(worse(identity_similarity=None, identity_note="no image encoder"), QualityThresholds()) == []


def test_a_face_no_retry_would_change_is_kept_out_of_the_gate_and_the_ranking():
    # A warp onto a cached stage-1 person: another seed repaints the garments, never the face
    unlike = worse(identity_similarity=0.31)

    assert gate_failures(unlike, QualityThresholds(), identity=False) == []
    assert score_rank(unlike, QualityThresholds(), identity=False) == score_rank(GOOD, QualityThresholds())
    assert gate_failures(worse(identity_similarity=0.31, coverage=0.4), QualityThresholds(), identity=False) == [
        "coverage 0.40 is below the minimum 0.7"
    ]


def test_identity_scores_round_trip_and_older_stored_scores_still_load():
    scores = worse(identity_similarity=0.72, identity_note="")

    assert FidelityScores.from_dict(scores.to_dict()) == scores
    older = {k: v for k, v in GOOD.to_dict().items() if not k.startswith("identity")}
    assert FidelityScores.from_dict(older) == GOOD
    assert "identity 0.72" in scores.infotext() and "identity" not in GOOD.infotext()
    with pytest.raises(ScoringError, match=r"scores\.identity_similarity"):
        FidelityScores.from_dict({**GOOD.to_dict(), "identity_similarity": "high"})
    with pytest.raises(ScoringError, match=r"thresholds\.min_identity_similarity"):
        QualityThresholds(min_identity_similarity=1.5)
