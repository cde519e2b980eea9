"""Fields the A1111-compatible API needs: a drawn mask on a refine plan, a ready-made ControlNet image.

Both are left out of the fingerprint at their defaults, so every plan stored before them keeps its images."""

import dataclasses

import pytest

from prompts import ControlNetUnit, ImageRef, PlanError

from .test_plan_fingerprint import PLAN

MASK = ImageRef(name="a1111/1/mask.png", sha256="a" * 64)
PHOTO = ImageRef(name="a1111/1/photo.png", sha256="b" * 64)
SKELETON = ImageRef(name="a1111/1/skeleton.png", sha256="c" * 64)


def test_plans_from_before_the_new_fields_keep_their_fingerprint():
    assert PLAN.fingerprint == "9af5dd2c920086b130665d3ec105bb3b331c67a8be66b3a31a4eebb753061ccd"


def test_a_mask_and_a_ready_made_control_image_change_the_fingerprint_and_round_trip():
    refine = dataclasses.replace(PLAN, mode="refine", init_image=PHOTO, strength=0.5)
    masked = dataclasses.replace(refine, mask=MASK)
    drawn = dataclasses.replace(
        PLAN, controlnet_units=(ControlNetUnit(kind="openpose", image=SKELETON, preprocessed=True),)
    )

    assert len({PLAN.fingerprint, refine.fingerprint, masked.fingerprint, drawn.fingerprint}) == 4
    assert type(PLAN).from_json(masked.to_json()) == masked
    assert type(PLAN).from_json(drawn.to_json()) == drawn
    assert MASK in masked.image_refs and SKELETON in drawn.image_refs


def test_only_a_refine_plan_takes_a_drawn_mask():
    with pytest.raises(PlanError, match=r"^mask: only a refine plan repaints a drawn region, this one is generate"):
        dataclasses.replace(PLAN, mask=MASK)


def test_a_ready_made_control_image_must_be_given():
    with pytest.raises(PlanError, match=r"^controlnet_units.image: a preprocessed unit needs its conditioning image"):
        ControlNetUnit(kind="openpose", preprocessed=True)
    with pytest.raises(PlanError, match=r"^controlnet_units.preprocessed: 'yes' is not true or false"):
        ControlNetUnit(kind="openpose", image=SKELETON, preprocessed="yes")
