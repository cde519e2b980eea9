"""Golden prompts: every category and two outfits, in every style, at three framings, word for word.

A wording change shows up here as a diff a person reads before it ships. To accept new wording, run
    UPDATE_GOLDEN=1 .venv/bin/pytest tests/prompts/test_golden.py
then read `git diff tests/prompts/golden/` as a merchant would, and commit it with the change.
"""

import json
import os
from pathlib import Path

import pytest

from prompts import POSE_LIBRARY, FashionModelPick, GarmentPick, PosePick, ScenePick, build_plan
from prompts.vocabulary import OPENPOSE_KEYPOINTS

GOLDEN = Path(__file__).parent / "golden" / "prompts.json"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _without(pose: PosePick, *parts: str) -> PosePick:
    hidden = {OPENPOSE_KEYPOINTS.index(part) for part in parts}
    return PosePick(pose.name, tuple((x, y, v and i not in hidden) for i, (x, y, v) in enumerate(pose.keypoints)))


FRAMINGS = {
    "full-body": POSE_LIBRARY["hands-on-hips"],
    "three-quarter": _without(POSE_LIBRARY["three-quarter-left"], "right_ankle", "left_ankle"),
    "upper-body": POSE_LIBRARY["upper-body-close-up"],
}

# A catalogue as a merchant fills it in: some fields rich, some empty, a fashion model for each.
PICKS = {
    "top": (
        GarmentPick(
            "top",
            name="Aurora Blouse",
            colour="#1B2A4A",
            material="Silk",
            description="Relaxed fit. Pussy-bow collar, mother-of-pearl buttons.",
            pattern="solid",
            fit="relaxed",
            sleeve_length="long",
            keywords=("office", "silk", "evening"),
        ),
        FashionModelPick("feminine", "25-34", "curvy", "medium", hair="long wavy black", expression="soft smile"),
    ),
    "bottom": (
        GarmentPick(
            "bottom",
            name="Wide-leg trousers",
            colour="#C3B091",
            material="linen",
            description="High waist with front pleats.",
            pattern="solid",
            fit="relaxed",
            length="ankle",
            keywords=("summer",),
        ),
        FashionModelPick("masculine", "35-44", "athletic", "brown", hair="short natural curls", expression="confident"),
    ),
    "dress": (
        GarmentPick(
            "dress",
            name="Marguerite",
            colour="#E2725B",
            material="cotton poplin",
            description="Wrap dress with a tie waist and flutter sleeves.",
            pattern="floral",
            length="midi",
            sleeve_length="short",
        ),
        FashionModelPick("feminine", "45-54", "plus-size", "dark brown", hair="box braids", expression="laughing"),
    ),
    "outerwear": (
        GarmentPick(
            "outerwear",
            name="Trench coat",
            colour="#C19A6B",
            material="cotton gabardine",
            description="Double-breasted trench coat with a belt.",
            length="knee",
            sleeve_length="long",
            keywords=("classic", "belted", "autumn"),
        ),
        FashionModelPick("androgynous", "18-24", "slim", "light", hair="platinum pixie cut", expression="serious"),
    ),
    "outfit-weekend": (
        (
            GarmentPick(
                "top", name="Breton tee", colour="#FFFFFF", material="cotton jersey", pattern="striped",
                sleeve_length="long",
            ),
            GarmentPick(
                "bottom", name="Straight-leg jeans", colour="#1560BD", material="denim", fit="regular", length="ankle",
            ),
        ),
        FashionModelPick("feminine", "18-24", "petite", "light", hair="shoulder-length auburn"),
    ),
    "outfit-tailored": (
        (
            GarmentPick(
                "outerwear", name="Single-breasted blazer", colour="#202A44", material="wool", fit="tailored",
                sleeve_length="long",
            ),
            GarmentPick("top", name="Oxford shirt", colour="white", material="cotton", sleeve_length="long"),
            GarmentPick("bottom", name="Trousers", colour="#36454F", material="wool", fit="slim", length="ankle"),
        ),
        FashionModelPick("masculine", "55+", "average", "olive", hair="short grey", expression="neutral"),
    ),
}  # fmt: skip

# Studio leaves the set to the style; lifestyle names a place and a time; editorial writes its own set.
SCENES = {
    "studio": ScenePick("Studio"),
    "lifestyle": ScenePick(
        "Lisbon", location="cobbled street in lisbon's old town", lighting="natural daylight", time_of_day="morning"
    ),
    "editorial": ScenePick("Gallery", prompt="concrete gallery space with tall windows", lighting="dramatic rim light"),
}


def _case_plan(pick: str, style: str, shot: str):
    garments, fashion_model = PICKS[pick]
    return build_plan(
        garments=garments,
        fashion_model=fashion_model,
        pose=FRAMINGS[shot],
        scene=SCENES[style],
        style=style,
        preset="sd15",
        seed=1,
        steps=25,
        guidance_scale=7.0,
        sampler="DPM++ 2M Karras",
    )


CASES = [f"{pick}/{style}/{shot}" for pick in PICKS for style in SCENES for shot in FRAMINGS]


def _generated(case: str) -> dict:
    plan = _case_plan(*case.split("/"))
    return {"prompt": plan.prompt, "negative_prompt": plan.negative_prompt, "size": [plan.width, plan.height]}


def _stored() -> dict:
    return json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}


@pytest.fixture(scope="module")
def stored():
    if UPDATE:
        GOLDEN.write_text(json.dumps({case: _generated(case) for case in CASES}, indent=2, ensure_ascii=False) + "\n")
    return _stored()


@pytest.mark.parametrize("case", CASES)
def test_the_prompt_is_word_for_word_the_golden_one(stored, case):
    assert case in stored, f"{case} has no golden prompt: run with UPDATE_GOLDEN=1 and read the diff"

    assert _generated(case) == stored[case]


def test_no_golden_prompt_is_left_without_its_case(stored):
    assert sorted(stored) == sorted(CASES)
