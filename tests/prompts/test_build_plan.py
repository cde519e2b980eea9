"""A shopper's picks become one GenerationPlan: a photographer's brief, a negative prompt and a pose."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import prompts
from prompts import (
    POSE_LIBRARY,
    FashionModelPick,
    GarmentPick,
    GenerationPlan,
    PickError,
    PlanError,
    PosePick,
    ScenePick,
)
from prompts.vocabulary import GARMENT_CATEGORIES

PROMPT_SYNTAX = re.compile(r"[()\[\]{}<>:|\\]|\bBREAK\b|\bAND\b")


def test_the_prompt_reads_like_a_photographers_brief(make_plan, trousers):
    plan = make_plan(garments=[GarmentPick("top", name="Aurora Blouse", colour="#000080", material="Silk"), trousers])

    assert plan.prompt.startswith("full-body e-commerce fashion photograph of a curvy woman around thirty")
    assert "with medium skin tone and long wavy black hair" in plan.prompt
    assert "wearing a navy silk aurora blouse and olive linen wide-leg trousers" in plan.prompt
    assert "standing, facing camera" in plan.prompt
    assert "minimalist white studio, softbox lighting" in plan.prompt
    assert plan.prompt.endswith("high resolution")


def test_the_negative_prompt_leads_with_what_a_try_on_must_never_show(make_plan, trousers):
    plan = make_plan(garments=trousers)
    terms = plan.negative_prompt.split(", ")

    assert terms[:4] == ["nsfw", "nude", "naked", "child"]
    assert terms.index("dress") < terms.index("lowres")  # the bottom's exclusion survives a 77-token cut
    for usual in ("lowres", "bad anatomy", "bad hands", "extra digits", "watermark", "text"):
        assert usual in terms
    assert "harsh shadows" in terms
    assert len(terms) == len(set(terms))


def test_the_same_picks_always_give_the_same_plan(make_plan):
    first, second = make_plan(), make_plan()

    assert first == second
    assert first.fingerprint == second.fingerprint


# One plan, as source, so a fresh interpreter can build it too.
PLAN_SOURCE = (
    "build_plan(garments=[GarmentPick('bottom', colour='#808000'), GarmentPick('top', name='Shirt')], "
    "fashion_model=FashionModelPick('feminine', '25-34', 'curvy', 'medium', hair='long wavy black'), "
    "pose=POSE_LIBRARY['walking'], scene=ScenePick('Studio', prompt='white studio'), preset='sd15', seed=1, "
    "width=512, height=768, steps=30, guidance_scale=7.0, sampler='Euler a')"
)


def test_the_fingerprint_does_not_depend_on_the_process_that_built_the_plan():
    # Web and worker processes hash strings differently (PYTHONHASHSEED); the plan must not notice.
    here = eval(PLAN_SOURCE, vars(prompts)).fingerprint
    elsewhere = {
        subprocess.run(
            [sys.executable, "-c", f"from prompts import *; print({PLAN_SOURCE}.fingerprint)"],
            cwd=Path(__file__).parents[2],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }

    assert elsewhere == {here}


def test_an_outfit_is_described_the_same_whatever_order_it_was_picked_in(make_plan, blouse, trousers):
    assert make_plan(garments=[trousers, blouse]) == make_plan(garments=(blouse, trousers))


def test_a_plan_survives_a_json_round_trip(make_plan, trousers):
    plan = make_plan(garments=[trousers])

    again = GenerationPlan.from_json(plan.to_json())

    assert again == plan
    assert again.fingerprint == plan.fingerprint


def test_the_plan_carries_the_pose_as_one_openpose_unit(make_plan):
    pose = POSE_LIBRARY["walking"]

    (unit,) = make_plan(pose=pose).controlnet_units

    assert (unit.kind, unit.keypoints, unit.scale) == ("openpose", pose.keypoints, 1.0)


def test_the_render_settings_pass_through_untouched(make_plan):
    plan = make_plan(preset="sdxl", seed=7, width=832, height=1216, steps=25, guidance_scale=5.5, sampler="Euler a")

    assert (plan.preset, plan.seed, plan.width, plan.height, plan.steps) == ("sdxl", 7, 832, 1216, 25)
    assert (plan.guidance_scale, plan.sampler) == (5.5, "Euler a")


CATEGORY_STORIES = {
    # category: (words the prompt must say, exclusions the negative must carry)
    "top": ("wearing a red cotton top and plain neutral trousers", ("dress", "jumpsuit")),
    "bottom": ("wearing a plain white t-shirt and red cotton trousers", ("dress", "jumpsuit", "overalls")),
    "dress": ("wearing a red cotton dress,", ("trousers", "jeans", "shorts", "two-piece outfit")),
    "outerwear": ("wearing a red cotton jacket over a plain white t-shirt", ("shirtless", "bare chest")),
}


@pytest.mark.parametrize("category", GARMENT_CATEGORIES)
def test_every_category_gets_its_own_wording_and_exclusions(make_plan, category):
    wording, exclusions = CATEGORY_STORIES[category]

    plan = make_plan(garments=GarmentPick(category, colour="red", material="cotton"))

    assert wording in plan.prompt
    for term in exclusions:
        assert term in plan.negative_prompt.split(", ")


def test_a_merchant_name_that_says_what_the_garment_is_is_used_as_it_is(make_plan):
    named = make_plan(garments=GarmentPick("bottom", name="Slim Chinos", colour="#C3B091"))
    unnamed = make_plan(garments=GarmentPick("bottom", name="Aurora", colour="#C3B091"))

    assert "wearing a plain white t-shirt and khaki slim chinos," in named.prompt  # plural: no article
    assert "khaki aurora trousers" in unnamed.prompt


def test_colour_and_material_are_not_said_twice(make_plan):
    plan = make_plan(garments=GarmentPick("top", name="Navy Linen Shirt", colour="navy", material="linen"))

    assert "wearing a navy linen shirt and" in plan.prompt


def test_outerwear_is_worn_over_the_rest_of_the_outfit(make_plan, blouse, trousers):
    coat = GarmentPick("outerwear", name="Overcoat", colour="#C19A6B", material="wool")

    plan = make_plan(garments=[coat, trousers, blouse])

    assert "wearing a camel wool overcoat over a dark navy silk aurora blouse and olive linen" in plan.prompt
    assert "plain" not in plan.prompt  # nothing is left for a filler to stand in for


def test_a_dress_with_leggings_does_not_exclude_its_own_leggings(make_plan):
    outfit = [GarmentPick("dress", name="Tunic dress"), GarmentPick("bottom", name="Leggings", colour="black")]

    terms = make_plan(garments=outfit).negative_prompt.split(", ")

    assert "dress" not in terms
    assert "trousers" not in terms and "two-piece outfit" not in terms


def test_a_garment_is_never_excluded_by_its_own_words_but_safety_terms_stay(make_plan):
    top = GarmentPick("top", name="Cropped tee", colour="nude", description="naked shoulder, text print")

    plan = make_plan(garments=top)
    terms = plan.negative_prompt.split(", ")

    assert "wearing a nude cropped tee" in plan.prompt
    for own_word in ("cropped", "nude", "text"):
        assert own_word not in terms
    for safety in ("nsfw", "naked", "child"):
        assert safety in terms
    assert "naked" not in plan.prompt  # and the merchant cannot ask for it either


def test_descriptions_follow_the_scene_so_a_long_one_cannot_push_the_backdrop_out(make_plan):
    plan = make_plan(garments=GarmentPick("top", name="Blouse", description="With puff sleeves. " * 20))

    assert plan.prompt.index("softbox lighting") < plan.prompt.index("blouse with puff sleeves")


def test_the_framing_follows_the_pose(make_plan, trousers):
    close_up = make_plan(pose=POSE_LIBRARY["upper-body-close-up"])
    back = make_plan(pose=POSE_LIBRARY["back-view"])
    side = make_plan(pose=POSE_LIBRARY["side-profile"])

    assert close_up.prompt.startswith("upper-body e-commerce fashion photograph")
    assert "trousers" not in close_up.prompt  # no filler for legs out of frame
    assert "cut off feet" not in close_up.negative_prompt
    assert "cut off feet" in back.negative_prompt
    assert "seen from behind" in back.prompt
    assert "seen from the side" in side.prompt


def test_without_a_scene_the_style_chooses_the_set_and_its_light(make_plan):
    untitled = ScenePick("Untitled")

    assert "seamless light grey studio backdrop, soft even studio lighting," in make_plan(scene=untitled).prompt
    assert "sunlit city street" in make_plan(scene=untitled, style="lifestyle").prompt
    assert "dramatic directional lighting" in make_plan(scene=untitled, style="editorial").prompt


def test_hair_is_described_as_hair(make_plan):
    assert "and short curly hair," in make_plan(fashion_model=_model(hair="Short curly")).prompt
    assert "and shaved head," in make_plan(fashion_model=_model(hair="shaved head")).prompt
    assert "with very dark skin," in make_plan(fashion_model=_model(skin_tone="deep")).prompt


def _model(**overrides):
    picks = {"gender_presentation": "masculine", "age_range": "55+", "body_type": "slim", "skin_tone": "tan"}
    return FashionModelPick(**{**picks, **overrides})


INJECTIONS = [
    "(cheap:1.8) BREAK <lora:x:1>",
    "[[ugly]] AND (nsfw:2) {red|blue} __wildcard__",
    "masterpiece++ \\(escaped\\) <embedding:bad> low quality--",
    "\uff08full:1.5\uff09width \uff1clora\uff1ay\uff1a1\uff1e",  # full-width lookalikes
]


@pytest.mark.parametrize("attack", INJECTIONS)
def test_untrusted_text_cannot_inject_prompt_syntax(make_plan, attack):
    plan = make_plan(
        garments=GarmentPick("top", name=attack, colour=attack, material=attack, description=attack),
        fashion_model=FashionModelPick("feminine", "18-24", "slim", "light", hair=attack),
        pose=PosePick(attack, POSE_LIBRARY["walking"].keypoints),
        scene=ScenePick(attack, prompt=attack, negative_prompt=attack),
    )

    for text in (plan.prompt, plan.negative_prompt):
        assert not PROMPT_SYNTAX.search(text), text
        assert "lora" not in text and "1.8" not in text and "++" not in text and "__" not in text


def test_the_weighted_words_survive_as_plain_words(make_plan):
    plan = make_plan(garments=GarmentPick("top", description="(cheap:1.8) BREAK <lora:x:1> pleated"))

    assert "top, cheap pleated," in plan.prompt


def test_untrusted_text_is_capped(make_plan):
    plan = make_plan(garments=GarmentPick("top", name="Shirt", description="ruffle " * 100))

    said = re.search(r"shirt, ((?:ruffle ?)+)", plan.prompt).group(1)
    assert len(said.strip()) <= 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("gender_presentation", "female"), ("age_range", "16"), ("body_type", "xx"), ("skin_tone", "green")],
)
def test_a_fashion_model_outside_the_vocabulary_is_refused_by_name(field, value):
    picks = {"gender_presentation": "feminine", "age_range": "18-24", "body_type": "slim", "skin_tone": "light"}

    with pytest.raises(PickError, match=rf"^fashion_model\.{field}: '{value}' is not one of "):
        FashionModelPick(**{**picks, field: value})


@pytest.mark.parametrize(
    ("garments", "message"),
    [
        ([], r"^garments: an outfit has 1 to 4 garments, got 0"),
        ([GarmentPick("top")] * 5, r"^garments: an outfit has 1 to 4 garments, got 5"),
        ([GarmentPick("bottom"), GarmentPick("bottom")], r"^garments: an outfit has at most one bottom, got 2"),
        ([GarmentPick("dress"), GarmentPick("dress")], r"^garments: an outfit has at most one dress, got 2"),
        ("top", r"^garments: expected a GarmentPick or a sequence of them, got str"),
        ([GarmentPick("top"), "bottom"], r"^garments\[1\]: expected a GarmentPick, got str"),
        (GarmentPick("top", colour="#12345"), r"^garment\.colour: '#12345' is not #RRGGBB or a colour name"),
        ([GarmentPick("top"), GarmentPick("top", colour="#xyz")], r"^garments\[1\]\.colour: '#xyz' is not #RRGGBB"),
        (GarmentPick("top", description=None), r"^garment\.description: expected text, got NoneType"),
    ],
)
def test_an_outfit_that_cannot_be_drawn_is_refused_by_name(make_plan, garments, message):
    with pytest.raises(PickError, match=message):
        make_plan(garments=garments)


def test_a_garment_outside_the_categories_is_refused_by_name():
    with pytest.raises(PickError, match=r"^garment\.category: 'hat' is not one of top, bottom, dress, outerwear"):
        GarmentPick("hat")


@pytest.mark.parametrize("field", ["fashion_model", "pose", "scene"])
def test_a_pick_of_the_wrong_kind_is_refused_by_name(make_plan, field):
    with pytest.raises(PickError, match=rf"^{field}: expected a \w+Pick, got dict"):
        make_plan(**{field: {}})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("width", 500, r"^width: 500 must be a multiple of 8, at least 64"),
        ("height", 770, r"^height: 770 must be a multiple of 8, at least 64"),
        ("width", 56, r"^width: 56 must be a multiple of 8"),
        ("height", 768.0, r"^height: 768.0 must be a multiple of 8"),
        ("steps", 0, r"^steps: 0 must be an integer from 1 to 150"),
        ("seed", -1, r"^seed: -1 must be an integer from 0 to 2\*\*32-1"),
        ("seed", True, r"^seed: True is not an integer"),
        ("guidance_scale", 31, r"^guidance_scale: 31.0 must be from 0 to 30"),
        ("guidance_scale", float("nan"), r"^guidance_scale: nan is not a finite number"),
        ("sampler", " ", r"^sampler: must not be empty"),
        ("preset", None, r"^preset: expected text, got NoneType"),
    ],
)
def test_render_settings_the_engine_cannot_honour_are_refused_by_name(make_plan, field, value, message):
    with pytest.raises(PlanError, match=message):
        make_plan(**{field: value})


@pytest.mark.parametrize(("start", "end"), [(0.5, 0.5), (0.8, 0.2), (-0.1, 1.0), (0.0, 1.5)])
def test_a_controlnet_window_that_is_empty_or_outside_0_to_1_is_refused(start, end):
    from prompts import ControlNetUnit

    with pytest.raises(PlanError, match=r"^controlnet_units.guidance_start: .* starts before it ends"):
        ControlNetUnit(kind="openpose", guidance_start=start, guidance_end=end)
