"""A shopper's preview is its own image: the plan says so, keeps saying so through JSON, and fingerprints apart."""

import dataclasses

import pytest

from prompts import POSE_LIBRARY, ControlNetUnit, GenerationPlan, PlanError

PLAN = GenerationPlan(
    prompt="a photo",
    negative_prompt="lowres",
    width=512,
    height=768,
    steps=4,
    guidance_scale=1.0,
    sampler="LCM",
    seed=1,
    preset="sd15-fast",
    controlnet_units=(ControlNetUnit(kind="openpose", keypoints=POSE_LIBRARY["front-standing"].keypoints),),
)


def test_a_preview_plan_round_trips_and_is_not_the_catalog_renders_image():
    preview = dataclasses.replace(PLAN, preview=True)

    assert GenerationPlan.from_json(preview.to_json()) == preview
    assert preview.fingerprint != PLAN.fingerprint


def test_plans_stored_before_previews_existed_keep_their_fingerprint():
    stored = PLAN.to_dict()
    del stored["preview"]

    assert GenerationPlan.from_dict(stored).fingerprint == PLAN.fingerprint


def test_preview_must_be_true_or_false():
    with pytest.raises(PlanError, match=r"^preview: 'yes' is not true or false$"):
        dataclasses.replace(PLAN, preview="yes")
