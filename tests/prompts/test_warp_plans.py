"""build_plan's warp mode: the garments' own cut-outs go on the person, who is the fashion model's photo or a
stage-1 render shared by every garment; a garment without a cut-out is refused by name."""

import dataclasses

import pytest

from prompts import POSE_LIBRARY, GarmentPick, GenerationPlan, ImageRef, PickError, PlanError
from prompts.plan import GarmentLayer

PHOTO = ImageRef("fashion-models/ada.jpg", "a" * 64)
SHIRT = GarmentPick(
    "top",
    name="Oxford shirt",
    colour="white",
    sleeve_length="long",
    image=ImageRef("garments/shirt.png", "b" * 64),
    cutout=ImageRef("garments/cutouts/shirt.png", "d" * 64),
)
JEANS = GarmentPick(
    "bottom",
    name="Jeans",
    colour="#1560BD",
    length="ankle",
    image=ImageRef("garments/jeans.png", "c" * 64),
    cutout=ImageRef("garments/cutouts/jeans.png", "e" * 64),
)
LEANING = tuple((min(1.0, x + 0.05), y, visible) for x, y, visible in POSE_LIBRARY["front-standing"].keypoints)


def test_without_a_photo_the_garments_go_on_a_stage_1_person_in_plain_clothes(make_plan):
    plan = make_plan(garments=[JEANS, SHIRT], mode="warp", person_seed=77, strength=0.45)

    assert (plan.mode, plan.init_image, plan.strength) == ("warp", None, 0.45)
    person = plan.person
    assert (person.mode, person.seed, person.preset) == ("generate", 77, plan.preset)
    assert "plain white t-shirt" in person.prompt and "oxford" not in person.prompt.lower()
    assert person.controlnet_units[0].keypoints == plan.person_keypoints == POSE_LIBRARY["front-standing"].keypoints
    assert plan.garment_layers == (  # layering order, whatever the pick order
        GarmentLayer(SHIRT.cutout, "top", sleeves=True, length=""),
        GarmentLayer(JEANS.cutout, "bottom", sleeves=False, length="ankle"),
    )
    assert "oxford shirt" in plan.prompt  # the refine is told what it is refining
    assert plan.garment_references == ()  # only for a preset with an IP-Adapter


def test_every_garment_on_the_same_picks_shares_one_person(make_plan):
    shirt = make_plan(garments=SHIRT, mode="warp", person_seed=5, seed=1)
    jeans = make_plan(garments=JEANS, mode="warp", person_seed=5, seed=2)

    assert shirt.person.fingerprint == jeans.person.fingerprint
    assert shirt.fingerprint != jeans.fingerprint


def test_an_inpainting_preset_renders_its_person_with_its_txt2img_sibling(make_plan):
    plan = make_plan(garments=SHIRT, mode="warp", preset="sd15-tryon", person_preset="sd15", garment_references=True)

    assert (plan.preset, plan.person.preset) == ("sd15-tryon", "sd15")
    assert plan.garment_references == (SHIRT.cutout,)  # the IP-Adapter reads the cut-out, not the whole photo


def test_a_photo_is_dressed_where_its_own_keypoints_put_the_body(make_plan, fashion_model):
    ada = dataclasses.replace(fashion_model, photo=PHOTO, photo_keypoints=LEANING)

    plan = make_plan(garments=SHIRT, fashion_model=ada, mode="warp")

    assert (plan.init_image, plan.person) == (PHOTO, None)
    assert plan.person_keypoints == LEANING
    assert plan.controlnet_units[0].keypoints == LEANING  # not the pose picked for a photo that has its own


def test_a_photo_without_keypoints_is_dressed_by_the_picked_pose(make_plan, fashion_model):
    plan = make_plan(garments=SHIRT, fashion_model=dataclasses.replace(fashion_model, photo=PHOTO), mode="warp")

    assert plan.person_keypoints == POSE_LIBRARY["front-standing"].keypoints


def test_a_garment_without_a_cutout_is_refused_by_name(make_plan):
    with pytest.raises(PickError, match=r"^garments: Oxford shirt has no cut-out to warp"):
        make_plan(garments=dataclasses.replace(SHIRT, cutout=None), mode="warp")


def test_a_warp_plan_round_trips_through_json_with_its_person(make_plan):
    plan = make_plan(garments=[SHIRT, JEANS], mode="warp")

    again = GenerationPlan.from_json(plan.to_json())

    assert again == plan and again.fingerprint == plan.fingerprint
    assert plan.image_refs == (SHIRT.cutout, JEANS.cutout)


def test_a_plan_without_warp_fields_keeps_its_old_fingerprint(make_plan):
    plan = make_plan(garments=SHIRT)

    assert "garment_layers" not in plan.to_json() or plan.garment_layers == ()
    assert (
        plan.fingerprint
        == GenerationPlan.from_dict(
            {k: v for k, v in plan.to_dict().items() if k not in ("person", "person_keypoints", "garment_layers")}
        ).fingerprint
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"init_image": PHOTO}, r"^person: a warp plan puts the garments on init_image \(a photo\) or person"),
        ({"garment_layers": ()}, r"^garment_layers: a warp plan needs at least one garment cut-out$"),
        ({"strength": 1.5}, r"^strength: 1.5 must be from 0 \(the draft as it is\) to 1$"),
        ({"person_keypoints": ()}, r"^person_keypoints: expected 18 points within 0..1$"),
        ({"mask_dilation": 0.5}, r"^mask_dilation: 0.5 must be from 0 to 0.25$"),
    ],
)
def test_a_warp_plan_that_cannot_be_rendered_is_refused_naming_the_field(make_plan, changes, message):
    plan = make_plan(garments=SHIRT, mode="warp")

    with pytest.raises(PlanError, match=message):
        dataclasses.replace(plan, **changes)


def test_only_a_warp_plan_takes_warp_fields_or_strength_0(make_plan):
    plan = make_plan(garments=SHIRT)

    with pytest.raises(PlanError, match=r"^garment_layers: only a warp plan puts garments on a person"):
        dataclasses.replace(plan, garment_layers=(GarmentLayer(SHIRT.cutout, "top"),))
    with pytest.raises(PlanError, match=r"^strength: 0.0 must be above 0 and at most 1$"):
        dataclasses.replace(plan, mode="refine", init_image=PHOTO, strength=0.0)
