"""Content moderation with the Stable Diffusion safety checker: a verdict per image, never a blacked-out image,
at the checker's own thresholds (permissive) or stricter ones (conservative); tiny random checkers stand in."""

import pytest
import torch
from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
from PIL import Image

from generation import moderation
from generation.errors import EngineError
from generation.moderation import CONSERVATIVE_ADJUSTMENT, ModerationWeightsMissing, check_images, judge
from generation.moderation_tiny import PASSING, build_tiny_checker

PHOTOS = [Image.new("RGB", (64, 96), "tan"), Image.new("RGB", (96, 64), "navy")]


@pytest.fixture
def use_checker(monkeypatch):
    def use(folder):
        monkeypatch.setenv("TRYON_MODERATION_WEIGHTS", str(folder))
        return folder

    return use


def test_the_same_scores_pass_the_permissive_level_and_fail_the_conservative_one():
    # An image 0.02 under one concept's threshold: inside the conservative margin, outside the checker's own
    concept_cos, concept_thresholds = [[0.18, 0.30]], [0.20, 0.40]
    special_cos, special_thresholds = [[0.0]], [0.5]

    [permissive] = judge(concept_cos, special_cos, concept_thresholds, special_thresholds, level="permissive")
    [conservative] = judge(concept_cos, special_cos, concept_thresholds, special_thresholds, level="conservative")

    assert (permissive.blocked, permissive.kind, permissive.concept_scores) == (False, "", (-0.02, -0.1))
    assert (conservative.blocked, conservative.kind) == (True, "nsfw")
    assert conservative.concept_scores == (round(-0.02 + CONSERVATIVE_ADJUSTMENT, 3), round(-0.1 + 0.03, 3))


def test_a_special_care_match_makes_the_nsfw_concepts_stricter_as_diffusers_does():
    concept = ([[0.195]], [0.20])  # 0.005 under the threshold: passes alone

    [alone] = judge(*concept[:1], [[0.0]], *concept[1:], [0.5], level="permissive")
    [near_special] = judge(*concept[:1], [[0.6]], *concept[1:], [0.5], level="permissive")

    assert not alone.blocked
    assert (near_special.blocked, near_special.kind) == (True, "special care")


def test_an_unknown_level_is_refused_by_name():
    with pytest.raises(EngineError, match="moderation level: 'strict'"):
        judge([[0.0]], [[0.0]], [1.0], [1.0], level="strict")


def test_a_checker_that_blocks_blocks_every_image_and_returns_no_image(use_checker):
    use_checker(build_tiny_checker(blocks=True))

    verdicts = check_images(PHOTOS, level="permissive")

    assert [(verdict.blocked, verdict.kind) for verdict in verdicts] == [(True, "nsfw"), (True, "nsfw")]
    assert (
        all(isinstance(score, float) for score in verdicts[0].concept_scores) and len(verdicts[0].concept_scores) == 17
    )


def test_a_checker_that_passes_passes_every_image_at_both_levels(use_checker):
    use_checker(build_tiny_checker(blocks=False))

    for level in ("permissive", "conservative"):
        assert [verdict.blocked for verdict in check_images(PHOTOS, level=level)] == [False, False]


def test_permissive_agrees_with_the_checkers_own_forward_and_conservative_is_stricter(use_checker, tmp_path):
    # The concept nearest the photo sits 0.01 under a threshold chosen for it: the checker's own forward() and
    # the permissive level let it through, the conservative level blocks it.
    use_checker(build_tiny_checker(blocks=False))
    probe = check_images(PHOTOS[:1], level="permissive")[0]
    nearest = max(probe.concept_scores) + PASSING  # cosine similarity to the nearest concept
    folder = use_checker(build_tiny_checker(tmp_path / "borderline", threshold=round(nearest + 0.01, 4)))

    permissive = check_images(PHOTOS[:1], level="permissive")[0]
    conservative = check_images(PHOTOS[:1], level="conservative")[0]

    checker = StableDiffusionSafetyChecker.from_pretrained(folder, subfolder="safety_checker")
    pixels = moderation._load(str(folder), None)[1](images=PHOTOS[:1], return_tensors="pt").pixel_values
    _images, flagged = checker(clip_input=pixels, images=torch.ones(1, 3, 8, 8))
    assert flagged == [False] and permissive.blocked is False
    assert conservative.blocked is True


def test_without_weights_a_check_fails_saying_how_to_pull_them(use_checker, tmp_path):
    use_checker(tmp_path / "no-checker")

    with pytest.raises(ModerationWeightsMissing) as refused:
        check_images(PHOTOS, level="conservative")

    assert refused.value.code == "weights_missing"
    assert "tryon_models pull moderation" in str(refused.value) and "safety_checker/model.safetensors" in str(
        refused.value
    )


def test_check_inputs_refuses_what_is_not_an_image():
    with pytest.raises(EngineError, match="image 1 is a bytes"):
        check_images([PHOTOS[0], b"png"], level="permissive")
