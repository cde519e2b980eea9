"""The plan fields the engine codes against: images by reference, try-on and refine modes, masks and
canny units. A plan that cannot be rendered is refused by name; one that can survives JSON exactly."""

import dataclasses
import json

import pytest

from prompts import POSE_LIBRARY, ControlNetUnit, GenerationPlan, ImageRef, InpaintMask, PlanError

POSE = POSE_LIBRARY["front-standing"].keypoints
PHOTO = ImageRef("fashion-models/ada.jpg", "a" * 64)
SHIRT = ImageRef("garments/shirt.png", "b" * 64)
MASK = InpaintMask(category="top", keypoints=POSE, sleeves=True, dilation=0.02)
BASE = {
    "prompt": "a photo",
    "negative_prompt": "lowres",
    "width": 512,
    "height": 768,
    "steps": 30,
    "guidance_scale": 7.0,
    "sampler": "Euler a",
    "seed": 1,
    "preset": "sd15",
}
TRYON = GenerationPlan(
    **BASE,
    controlnet_units=(
        ControlNetUnit(kind="openpose", keypoints=POSE),
        ControlNetUnit(kind="canny", image=SHIRT, scale=0.5, guidance_end=0.6, low_threshold=50, high_threshold=150),
    ),
    mode="tryon",
    garment_references=(SHIRT,),
    init_image=PHOTO,
    inpaint_mask=MASK,
    strength=0.99,
)


def test_a_try_on_plan_survives_a_json_round_trip_with_every_image_named():
    data = json.loads(TRYON.to_json())

    assert GenerationPlan.from_json(TRYON.to_json()) == TRYON
    assert data["init_image"] == {"name": "fashion-models/ada.jpg", "sha256": "a" * 64}
    assert data["inpaint_mask"]["category"] == "top"
    assert data["controlnet_units"][1]["image"]["name"] == "garments/shirt.png"


def test_plan_json_from_before_images_still_loads_as_a_generate_plan():
    old = {**BASE, "controlnet_units": [{"kind": "openpose", "keypoints": [list(p) for p in POSE], "scale": 1.0,
                                          "guidance_start": 0.0, "guidance_end": 1.0}], "version": 1}  # fmt: skip

    plan = GenerationPlan.from_dict(old)

    assert (plan.mode, plan.init_image, plan.inpaint_mask, plan.garment_references, plan.strength) == (
        "generate", None, None, (), 1.0
    )  # fmt: skip
    assert plan.controlnet_units[0].image is None


def test_the_fingerprint_sees_an_images_content_not_the_name_it_is_stored_under():
    renamed = dataclasses.replace(
        TRYON,
        init_image=ImageRef("copies/ada (1).jpg", "a" * 64),
        garment_references=(ImageRef("elsewhere.png", "B" * 64),),  # hex case is one spelling too
    )
    other_photo = dataclasses.replace(TRYON, init_image=ImageRef("fashion-models/ada.jpg", "c" * 64))

    assert renamed != TRYON and renamed.fingerprint == TRYON.fingerprint
    assert other_photo.fingerprint != TRYON.fingerprint


def test_a_plan_lists_each_image_it_needs_once():
    assert TRYON.image_refs == (PHOTO, SHIRT)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mode": "inpaint"}, r"^mode: 'inpaint' is not one of generate, tryon, refine"),
        ({"mode": "tryon", "inpaint_mask": MASK}, r"^init_image: a tryon plan needs the image to start from"),
        ({"mode": "tryon", "init_image": PHOTO}, r"^inpaint_mask: a tryon plan needs the region to repaint"),
        ({"mode": "refine"}, r"^init_image: a refine plan needs the image to start from"),
        ({"init_image": PHOTO}, r"^init_image: a generate plan starts from noise"),
        ({"mode": "refine", "init_image": PHOTO, "inpaint_mask": MASK}, r"^inpaint_mask: only a tryon plan"),
        ({"strength": 0.5}, r"^strength: 0.5 needs an init_image; a generate plan always has 1"),
        ({"mode": "refine", "init_image": PHOTO, "strength": 0}, r"^strength: 0.0 must be above 0 and at most 1"),
        ({"mode": "refine", "init_image": PHOTO, "strength": 1.5}, r"^strength: 1.5 must be above 0"),
        ({"init_image": "photo.jpg"}, r"^init_image: expected an ImageRef, got str"),
        ({"garment_references": SHIRT}, r"^garment_references: expected a sequence of ImageRef, got ImageRef"),
        ({"garment_references": (SHIRT, None)}, r"^garment_references\[1\]: expected an ImageRef, got NoneType"),
        ({"inpaint_mask": {"category": "top"}}, r"^inpaint_mask: expected an InpaintMask, got dict"),
    ],
)
def test_a_plan_whose_images_do_not_fit_its_mode_is_refused_by_name(changes, message):
    with pytest.raises(PlanError, match=message):
        GenerationPlan(**BASE, **changes)


def test_a_refine_plan_starts_from_an_image_at_a_strength():
    plan = GenerationPlan(**BASE, mode="refine", init_image=PHOTO, strength=0.35)

    assert GenerationPlan.from_json(plan.to_json()) == plan


@pytest.mark.parametrize(
    ("name", "sha256", "message"),
    [
        ("", "a" * 64, r"^image\.name: '' must be a storage name"),
        ("x.jpg", "a" * 63, r"^image\.sha256: 'a{63}' is not a sha256 hex digest"),
        ("x.jpg", "g" * 64, r"^image\.sha256: 'g{64}' is not"),
        ("x.jpg", None, r"^image\.sha256: None is not"),
    ],
)
def test_an_image_ref_names_a_file_and_its_content_hash(name, sha256, message):
    with pytest.raises(PlanError, match=message):
        ImageRef(name, sha256)


def test_a_canny_unit_needs_an_image_and_sane_thresholds():
    with pytest.raises(PlanError, match=r"^controlnet_units\.image: a canny unit needs the image"):
        ControlNetUnit(kind="canny")
    with pytest.raises(PlanError, match=r"^controlnet_units\.low_threshold: 200 is above high_threshold 100"):
        ControlNetUnit(kind="canny", image=SHIRT, low_threshold=200, high_threshold=100)
    with pytest.raises(PlanError, match=r"^controlnet_units\.high_threshold: 300 must be an integer from 0 to 255"):
        ControlNetUnit(kind="canny", image=SHIRT, high_threshold=300)
    with pytest.raises(PlanError, match=r"^controlnet_units\.low_threshold: True must be an integer"):
        ControlNetUnit(kind="canny", image=SHIRT, low_threshold=True)


def test_a_mask_has_one_spelling_per_region():
    assert InpaintMask(category=["bottom", "top", "top"], keypoints=POSE).category == ("top", "bottom")
    assert InpaintMask(category=("dress",), keypoints=POSE) == InpaintMask(category="dress", keypoints=POSE)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"category": "hat"}, r"^inpaint_mask\.category: 'hat' is not one of top, bottom, dress, outerwear, outfit"),
        ({"category": ("top", "outfit")}, r"^inpaint_mask\.category: \('top', 'outfit'\) must be garment categories"),
        ({"category": ()}, r"^inpaint_mask\.category: \(\) must be garment categories"),
        ({"keypoints": POSE[:17]}, r"^inpaint_mask\.keypoints: expected 18 points within 0\.\.1"),
        ({"keypoints": ((2.0, 0.5, True),) * 18}, r"^inpaint_mask\.keypoints: expected 18 points within 0\.\.1"),
        ({"sleeves": "yes"}, r"^inpaint_mask\.sleeves: 'yes' is not true or false"),
        ({"dilation": 0.5}, r"^inpaint_mask\.dilation: 0\.5 must be from 0 to 0\.25"),
        ({"length": "calf"}, r"^inpaint_mask\.length: 'calf' is not one of cropped, "),
        (
            {"category": "bottom", "keypoints": POSE_LIBRARY["upper-body-close-up"].keypoints},
            r"^inpaint_mask\.keypoints: a bottom mask needs one of right_hip, left_hip",
        ),
    ],
)
def test_a_mask_that_cannot_be_drawn_is_refused_by_name(fields, message):
    with pytest.raises(PlanError, match=message):
        InpaintMask(**{"category": "top", "keypoints": POSE, **fields})


def test_an_unknown_field_in_stored_json_is_refused_by_name():
    data = json.loads(TRYON.to_json())
    data["inpaint_mask"]["feather"] = 3

    with pytest.raises(PlanError, match=r"^plan: .*feather"):
        GenerationPlan.from_dict(data)
