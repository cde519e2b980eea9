"""A plan's fingerprint is how a repeated request finds its finished images: it must change with
anything that changes the render, and only with that."""

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from prompts import POSE_LIBRARY, ControlNetUnit, GenerationPlan, ImageRef, InpaintMask

POSE = POSE_LIBRARY["front-standing"].keypoints
PLAN = GenerationPlan(
    prompt="a photo",
    negative_prompt="lowres",
    width=512,
    height=768,
    steps=30,
    guidance_scale=7.0,
    sampler="Euler a",
    seed=1,
    preset="sd15",
    controlnet_units=(ControlNetUnit(kind="openpose", keypoints=POSE),),
)

texts = st.text(min_size=1, max_size=40).filter(str.strip)
sizes = st.integers(8, 256).map(lambda n: n * 8)
keypoints = st.tuples(st.floats(0, 1), st.floats(0, 1), st.booleans())

# One strategy per field, each drawing values a valid plan may hold.
PLAN_FIELDS = {
    "prompt": texts,
    "negative_prompt": st.text(max_size=40),
    "width": sizes,
    "height": sizes,
    "steps": st.integers(1, 150),
    "guidance_scale": st.floats(0, 30),
    "sampler": texts,
    "seed": st.integers(0, 2**32 - 1),
    "preset": texts,
    "samples": st.integers(1, 4),
}
UNIT_FIELDS = {
    "keypoints": st.lists(keypoints, min_size=18, max_size=18).map(tuple),
    "scale": st.floats(0, 2),
    "guidance_start": st.floats(0, 0.49),
    "guidance_end": st.floats(0.5, 1),
}


@settings(deadline=None)  # a loaded CI machine must not turn a slow example into a failure
@given(st.data())
def test_changing_any_plan_field_changes_the_fingerprint(data):
    field = data.draw(st.sampled_from(sorted(PLAN_FIELDS)))
    value = data.draw(PLAN_FIELDS[field].filter(lambda v: v != getattr(PLAN, field)))

    changed = dataclasses.replace(PLAN, **{field: value})

    assert changed.fingerprint != PLAN.fingerprint


@settings(deadline=None)
@given(st.data())
def test_changing_any_controlnet_field_changes_the_fingerprint(data):
    unit = PLAN.controlnet_units[0]
    field = data.draw(st.sampled_from(sorted(UNIT_FIELDS)))
    value = data.draw(UNIT_FIELDS[field].filter(lambda v: v != getattr(unit, field)))

    changed = dataclasses.replace(PLAN, controlnet_units=(dataclasses.replace(unit, **{field: value}),))

    assert changed.fingerprint != PLAN.fingerprint


def test_adding_a_controlnet_unit_changes_the_fingerprint():
    twice = dataclasses.replace(PLAN, controlnet_units=PLAN.controlnet_units * 2)

    assert twice.fingerprint != PLAN.fingerprint


def test_equal_values_spelled_differently_share_a_fingerprint():
    # 7 and 7.0, lists and tuples, 1 and True: what a form or a JSON column hands back must not miss the cache.
    spelled_loosely = dataclasses.replace(
        PLAN,
        guidance_scale=7,
        controlnet_units=[ControlNetUnit(kind="openpose", keypoints=[[x, y, int(v)] for x, y, v in POSE], scale=1)],
    )

    assert spelled_loosely == PLAN
    assert spelled_loosely.fingerprint == PLAN.fingerprint


@settings(deadline=None)
@given(**PLAN_FIELDS, unit_keypoints=UNIT_FIELDS["keypoints"])
def test_any_valid_plan_survives_a_json_round_trip(unit_keypoints, **fields):
    plan = GenerationPlan(**fields, controlnet_units=(ControlNetUnit(kind="openpose", keypoints=unit_keypoints),))

    again = GenerationPlan.from_json(plan.to_json())

    assert again == plan
    assert again.fingerprint == plan.fingerprint


# The fields try-on added, on a try-on plan that uses every one of them.
image_refs = st.builds(
    ImageRef, name=texts, sha256=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
)  # fmt: skip
TRYON = dataclasses.replace(
    PLAN,
    controlnet_units=(*PLAN.controlnet_units, ControlNetUnit(kind="canny", image=ImageRef("shirt.png", "b" * 64))),
    mode="tryon",
    garment_references=(ImageRef("shirt.png", "b" * 64),),
    init_image=ImageRef("ada.jpg", "a" * 64),
    inpaint_mask=InpaintMask(category="top", keypoints=POSE),
    strength=1.0,
)
TRYON_FIELDS = {
    "garment_references": st.lists(image_refs, max_size=3).map(tuple),
    "init_image": image_refs,
    "strength": st.floats(0.01, 1),
}
MASK_FIELDS = {
    "category": st.sampled_from(["top", "bottom", "dress", "outerwear", "outfit", ("top", "bottom")]),
    "sleeves": st.booleans(),
    "dilation": st.floats(0, 0.25),
    "length": st.sampled_from(["", "cropped", "hip", "knee", "ankle", "floor"]),
}
CANNY_FIELDS = {"image": image_refs, "low_threshold": st.integers(0, 99), "high_threshold": st.integers(100, 255)}


@settings(deadline=None)
@given(st.data())
def test_changing_any_try_on_field_changes_the_fingerprint(data):
    field = data.draw(st.sampled_from(sorted(TRYON_FIELDS)))
    value = data.draw(TRYON_FIELDS[field].filter(lambda v: v != getattr(TRYON, field)))

    assert dataclasses.replace(TRYON, **{field: value}).fingerprint != TRYON.fingerprint


@settings(deadline=None)
@given(st.data())
def test_changing_any_mask_field_changes_the_fingerprint(data):
    mask = TRYON.inpaint_mask
    field = data.draw(st.sampled_from(sorted(MASK_FIELDS)))
    value = data.draw(MASK_FIELDS[field].filter(lambda v: v != getattr(mask, field)))

    changed = dataclasses.replace(TRYON, inpaint_mask=dataclasses.replace(mask, **{field: value}))

    assert changed.fingerprint != TRYON.fingerprint


@settings(deadline=None)
@given(st.data())
def test_changing_any_canny_field_changes_the_fingerprint(data):
    unit = TRYON.controlnet_units[1]
    field = data.draw(st.sampled_from(sorted(CANNY_FIELDS)))
    value = data.draw(CANNY_FIELDS[field].filter(lambda v: v != getattr(unit, field)))

    changed = dataclasses.replace(
        TRYON, controlnet_units=(PLAN.controlnet_units[0], dataclasses.replace(unit, **{field: value}))
    )

    assert changed.fingerprint != TRYON.fingerprint


def test_the_mode_changes_the_fingerprint():
    # A refine plan cannot carry a mask, so the mode never changes alone; going back restores the fingerprint.
    refine = dataclasses.replace(TRYON, mode="refine", inpaint_mask=None)
    tryon_again = dataclasses.replace(refine, mode="tryon", inpaint_mask=TRYON.inpaint_mask)

    assert refine.fingerprint != TRYON.fingerprint
    assert tryon_again.fingerprint == TRYON.fingerprint


@settings(deadline=None)
@given(name=texts, sha256=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
def test_an_image_fingerprints_by_content_whatever_its_name(name, sha256):
    first = dataclasses.replace(TRYON, init_image=ImageRef("ada.jpg", sha256))
    second = dataclasses.replace(TRYON, init_image=ImageRef(name, sha256.upper()))

    assert first.fingerprint == second.fingerprint
    assert GenerationPlan.from_json(second.to_json()) == second


def test_a_plan_stored_before_samples_existed_keeps_its_fingerprint():
    # The fingerprint PLAN had before plans had `samples`: stored jobs must still find their images.
    assert PLAN.fingerprint == "9af5dd2c920086b130665d3ec105bb3b331c67a8be66b3a31a4eebb753061ccd"
    assert GenerationPlan.from_dict({k: v for k, v in PLAN.to_dict().items() if k != "samples"}) == PLAN
    assert dataclasses.replace(PLAN, samples=2).fingerprint != PLAN.fingerprint
