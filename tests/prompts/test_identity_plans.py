"""A cast fashion model keeps its person: every plan that paints it carries its portrait, its words and its seed."""

import dataclasses

import pytest

from prompts import POSE_LIBRARY, FashionModelPick, GarmentPick, GenerationPlan, ImageRef, PickError, PlanError

PORTRAIT = ImageRef("fashion-models/amara-portrait.png", "f" * 64)
AMARA = FashionModelPick(
    "feminine",
    "25-34",
    "slim",
    "dark brown",
    hair="short natural curls",
    identity=PORTRAIT,
    identity_prompt="Amara, high cheekbones, a small scar above the left eyebrow",
    identity_seed=424242,
    height_cm=181,
)
SHIRT = GarmentPick(
    "top",
    name="Oxford shirt",
    colour="white",
    image=ImageRef("garments/shirt.png", "b" * 64),
    cutout=ImageRef("garments/cutouts/shirt.png", "d" * 64),
)
JEANS = GarmentPick("bottom", name="Jeans", colour="#1560BD", cutout=ImageRef("garments/cutouts/jeans.png", "e" * 64))
POSES = [name for name in POSE_LIBRARY if name != "front-standing"]


def test_a_cast_model_in_two_poses_is_painted_from_the_same_portrait_words_and_seed(make_plan):
    standing = make_plan(garments=SHIRT, fashion_model=AMARA, pose=POSE_LIBRARY["front-standing"], seed=1)
    other = make_plan(garments=JEANS, fashion_model=AMARA, pose=POSE_LIBRARY[POSES[0]], seed=2, mode="warp")

    person = other.person  # warp: the face is painted in stage 1
    assert standing.identity_references == person.identity_references == (PORTRAIT,)
    for prompt in (standing.prompt, person.prompt):
        assert "amara, high cheekbones, a small scar above the left eyebrow" in prompt
        assert "a tall slim woman" in prompt
    assert person.seed == 424242  # the model's seed family, whatever the garment, pose or scene
    assert other.identity_references == ()  # the refine keeps the stage-1 face outside the garments
    assert standing.fingerprint != dataclasses.replace(standing, identity_references=()).fingerprint


def test_every_garment_of_a_cast_model_shares_one_stage_1_person(make_plan):
    shirt = make_plan(garments=SHIRT, fashion_model=AMARA, mode="warp", seed=1)
    jeans = make_plan(garments=JEANS, fashion_model=AMARA, mode="warp", seed=2)

    assert shirt.person == jeans.person
    assert shirt.person_ref == jeans.person_ref


def test_a_model_that_was_not_cast_plans_as_before(make_plan, fashion_model):
    plan = make_plan(garments=JEANS, fashion_model=fashion_model, mode="warp", seed=5)

    assert plan.identity_references == plan.person.identity_references == ()
    assert plan.person.seed == 5
    assert "tall" not in plan.prompt and "petite" not in plan.prompt


def test_identity_words_are_cleaned_and_capped_like_any_merchant_text(make_plan):
    shouting = dataclasses.replace(AMARA, identity_prompt="(masterpiece:1.5) <lora:face:1> freckles BREAK dimples")
    rambling = dataclasses.replace(AMARA, identity_prompt=" ".join(["freckled"] * 60))

    prompt = make_plan(fashion_model=shouting).prompt

    assert "masterpiece freckles dimples" in prompt
    for syntax in ("(", ":1.5", "<lora", "BREAK"):
        assert syntax not in prompt
    assert make_plan(fashion_model=rambling).prompt.count("freckled") == 160 // len("freckled ")


@pytest.mark.parametrize(
    ("height", "words"), [(150, "a petite slim woman"), (168, "a slim woman"), (181, "a tall slim woman")]
)
def test_height_is_said_only_when_it_is_well_off_the_usual(make_plan, height, words):
    assert words in make_plan(fashion_model=dataclasses.replace(AMARA, height_cm=height)).prompt


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"height_cm": 20}, "fashion_model.height_cm: 20 must be an integer from 50 to 250"),
        ({"height_cm": 180.5}, "fashion_model.height_cm"),
        ({"identity_seed": 2**32}, "fashion_model.identity_seed"),
        ({"identity_seed": True}, "fashion_model.identity_seed"),
        ({"identity_prompt": None}, "fashion_model.identity_prompt: expected text"),
        ({"identity": "portrait.png"}, "fashion_model.identity: expected an ImageRef"),
    ],
)
def test_a_bad_identity_is_refused_naming_the_field(changes, message):
    with pytest.raises(PickError, match=message):
        dataclasses.replace(AMARA, **changes)


def test_a_plan_with_identity_references_round_trips_and_lists_the_portrait(make_plan):
    plan = make_plan(fashion_model=AMARA)

    assert GenerationPlan.from_json(plan.to_json()) == plan
    assert PORTRAIT in plan.image_refs
    stored = plan.to_dict()
    del stored["identity_references"]  # JSON from before the field: no portrait, the fingerprint of then
    assert GenerationPlan.from_dict(stored).fingerprint == dataclasses.replace(plan, identity_references=()).fingerprint


@pytest.mark.parametrize(
    ("value", "message"),
    [("portrait.png", "identity_references: expected a sequence"), ([None], r"identity_references\[0\]")],
)
def test_bad_identity_references_are_refused_naming_the_field(make_plan, value, message):
    with pytest.raises(PlanError, match=message):
        dataclasses.replace(make_plan(), identity_references=value)
