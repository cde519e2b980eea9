"""Casting's words and plans: a brief and a seed give the same candidates every time, each a different face; the
portrait is a head-and-shoulders frame, the full body a standing one conditioned on the portrait."""

import pytest

from prompts.casting import (
    IDENTITY_LIMIT,
    CastingAttributes,
    cast,
    full_body_plan,
    portrait_plan,
)
from prompts.errors import PickError
from prompts.framing import framing
from prompts.image_ref import ImageRef

BRIEF = {"gender_presentation": "masculine", "age_range": "45-54", "body_type": "athletic", "skin_tone": "olive"}
ENGINE = {"preset": "sd15", "steps": 25, "guidance_scale": 6.5, "sampler": "DPM++ 2M Karras", "base_size": (512, 768)}
PORTRAIT = ImageRef("casting/1/1/candidate-1-portrait.png", "ab" * 32)


def test_eight_candidates_have_eight_faces_and_blank_hair_is_chosen_per_candidate():
    candidates = cast(CastingAttributes(**BRIEF), count=8, seed=99)

    assert [c.index for c in candidates] == list(range(8))
    assert len({c.identity_prompt for c in candidates}) == 8 and len({c.seed for c in candidates}) == 8
    assert len({c.hair for c in candidates}) > 1
    assert all(("hair" in c.hair or c.hair.split()[-1] in ("cut", "bob", "afro", "braids", "locs")) for c in candidates)


def test_the_merchants_note_is_cleaned_of_prompt_syntax_and_the_words_are_capped():
    note = "Wears glasses (masterpiece:1.6) <lora:face:1> BREAK " + "freckled " * 25
    candidate = cast(CastingAttributes(**BRIEF, note=note), count=1, seed=1)[0]

    assert "wears glasses" in candidate.identity_prompt
    assert not set("()<>:") & set(candidate.identity_prompt) and "BREAK" not in candidate.identity_prompt
    assert len(candidate.identity_prompt) <= IDENTITY_LIMIT


def test_the_portrait_is_head_and_shoulders_and_the_full_body_is_conditioned_on_it():
    wanted = CastingAttributes(**BRIEF, height_cm=192, hair_colour="black", hair_style="buzz cut")
    candidate = cast(wanted, count=1, seed=3)[0]

    portrait = portrait_plan(wanted, candidate, **ENGINE)
    full_body = full_body_plan(wanted, candidate, portrait=PORTRAIT, **ENGINE)

    assert framing(portrait.controlnet_units[0].keypoints) == "head"
    assert framing(full_body.controlnet_units[0].keypoints) == "full"
    assert (portrait.width, portrait.height) == (576, 720) and (full_body.width, full_body.height) == (512, 768)
    assert portrait.mode == full_body.mode == "generate"
    assert portrait.identity_references == () and full_body.identity_references == (PORTRAIT,)
    assert portrait.seed == full_body.seed == candidate.seed
    for plan in (portrait, full_body):
        assert plan.prompt.count(candidate.identity_prompt) == 1 and "black buzz cut" in plan.prompt
        assert "tall athletic man around fifty with olive skin" in plan.prompt
        assert "seamless light grey studio backdrop" in plan.prompt and "plain white t-shirt" in plan.prompt
        assert "sunglasses" in plan.negative_prompt and "nsfw" in plan.negative_prompt
    assert "head-and-shoulders" in portrait.prompt and "full-body" in full_body.prompt
    assert "plain neutral trousers" in full_body.prompt


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gender_presentation": "feminin"}, "gender_presentation"),
        ({"age_range": "16-17"}, "age_range"),
        ({"body_type": "huge"}, "body_type"),
        ({"skin_tone": "green"}, "skin_tone"),
        ({"height_cm": 139}, "height_cm"),
        ({"height_cm": True}, "height_cm"),
        ({"hair_colour": "blue"}, "hair_colour"),
        ({"hair_style": "mullet"}, "hair_style"),
        ({"note": 5}, "note"),
        ({"note": "x" * 301}, "note"),
        ({"eye_colour": "green"}, "eye_colour"),
    ],
)
def test_a_bad_attribute_is_refused_by_its_name(change, field):
    with pytest.raises(PickError, match=rf"^{field}: "):
        CastingAttributes.from_dict({**BRIEF, **change})


def test_the_count_and_the_portrait_are_checked_too():
    wanted = CastingAttributes(**BRIEF)
    for count in (0, 9, 2.0):
        with pytest.raises(PickError, match=r"^count: "):
            cast(wanted, count=count, seed=1)
    with pytest.raises(PickError, match=r"^portrait: "):
        full_body_plan(wanted, cast(wanted, count=1, seed=1)[0], portrait=None, **ENGINE)
