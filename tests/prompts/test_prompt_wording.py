"""How the brief reads: every word earns its place, nothing is said twice, and each style and category
is briefed the way a photographer would brief it."""

import pytest

from prompts import POSE_LIBRARY, FashionModelPick, GarmentPick, ScenePick

UPPER_BODY = POSE_LIBRARY["upper-body-close-up"]


def model(**overrides):
    picks = {"gender_presentation": "feminine", "age_range": "25-34", "body_type": "slim", "skin_tone": "olive"}
    return FashionModelPick(**{**picks, **overrides})


@pytest.mark.parametrize(
    ("hair", "said"),
    [
        ("short natural curls", "and short natural curls,"),
        ("Box braids", "and box braids,"),
        ("shoulder-length locs", "and shoulder-length locs,"),
        ("bald", "and bald,"),
        ("platinum pixie cut", "and platinum pixie cut,"),
        ("long wavy black", "and long wavy black hair,"),
        ("curly", "and curly hair,"),  # "curly" is not "curls": it still needs its noun
    ],
)
def test_hair_that_names_itself_gets_no_extra_hair(make_plan, hair, said):
    assert said in make_plan(fashion_model=model(hair=hair)).prompt


def test_an_expression_joins_the_fashion_models_features(make_plan):
    plan = make_plan(fashion_model=model(hair="long red", expression="soft smile"))

    assert "with olive skin, long red hair and a soft smile, wearing" in plan.prompt


def test_a_description_that_repeats_the_garment_name_reads_as_one_phrase(make_plan):
    coat = GarmentPick(
        "outerwear", name="Trench coat", colour="#C19A6B", description="Double-breasted trench coat with a belt."
    )

    plan = make_plan(garments=coat)

    assert "wearing a camel trench coat over" in plan.prompt
    assert ", double-breasted trench coat with a belt," in plan.prompt
    assert "trench coat with double-breasted" not in plan.prompt


def test_a_description_drops_what_the_garment_phrase_has_said(make_plan):
    blouse = GarmentPick(
        "top", name="Aurora blouse", colour="navy", material="silk", fit="relaxed",
        description="Relaxed fit. Navy silk blouse with a bow at the neck.",
    )  # fmt: skip

    plan = make_plan(garments=blouse)

    assert ", aurora blouse with a bow at the neck," in plan.prompt
    assert plan.prompt.count("relaxed") == 1 and plan.prompt.count("navy") == 1


def test_a_list_of_features_is_said_with_with(make_plan):
    blouse = GarmentPick("top", name="Blouse", description="Pussy-bow collar, mother-of-pearl buttons. Dry clean only")

    plan = make_plan(garments=blouse)

    assert ", blouse with pussy-bow collar and mother-of-pearl buttons, dry clean only," in plan.prompt


def test_the_garment_phrase_says_fit_colour_pattern_material_length_name_and_sleeves(make_plan):
    top = GarmentPick(
        "top", name="Breton top", colour="#FFFFFF", material="cotton", pattern="striped", fit="relaxed",
        length="cropped", sleeve_length="three-quarter",
    )  # fmt: skip

    assert "wearing a relaxed-fit white striped cotton cropped breton top with three-quarter sleeves and" in (
        make_plan(garments=top).prompt
    )


@pytest.mark.parametrize(
    ("garment", "phrase"),
    [
        (GarmentPick("bottom", name="Slim chinos", fit="slim", colour="khaki"), "and khaki slim chinos,"),
        (GarmentPick("top", name="Long-sleeve tee", sleeve_length="long"), "wearing a long-sleeve tee and"),
        (GarmentPick("bottom", name="Jeans", colour="#1560BD", material="denim"), "and denim blue jeans,"),
        (GarmentPick("outerwear", name="Blazer", sleeve_length="long"), "wearing a blazer over"),
        (GarmentPick("outerwear", name="Gilet", sleeve_length="sleeveless"), "wearing a sleeveless gilet over"),
        (GarmentPick("dress", name="Slip dress", length="ankle", colour="black"), "wearing a black maxi slip dress,"),
        (GarmentPick("bottom", name="Skirt", length="mini", pattern="checked"), "and a checked mini skirt,"),
    ],
)
def test_nothing_in_a_garment_phrase_is_said_twice_or_said_for_nothing(make_plan, garment, phrase):
    assert phrase in make_plan(garments=garment).prompt


def test_keywords_name_the_look_and_skip_what_is_said(make_plan):
    coat = GarmentPick(
        "outerwear", name="Trench coat", description="With a belt.", keywords=("Classic", "belted", "autumn")
    )

    assert ", trench coat with a belt, classic and autumn style," in make_plan(garments=coat).prompt


def test_a_style_changes_the_whole_brief(make_plan):
    studio, lifestyle, editorial = (
        make_plan(style=style, scene=ScenePick("x")) for style in ("studio", "lifestyle", "editorial")
    )

    assert studio.prompt.startswith("full-body e-commerce fashion photograph of")
    assert "clean catalog look, true-to-life garment colours" in studio.prompt
    assert "busy background" in studio.negative_prompt
    assert lifestyle.prompt.startswith("full-body lifestyle fashion photograph of")
    assert "candid moment" in lifestyle.prompt and "natural daylight" not in lifestyle.prompt  # "sunlit" says it
    assert "stiff pose" in lifestyle.negative_prompt
    assert editorial.prompt.startswith("full-body editorial fashion photograph of")
    assert "high-fashion magazine editorial" in editorial.prompt
    assert "flat lighting" in editorial.negative_prompt


def test_a_style_is_refused_by_name(make_plan):
    from prompts import PickError

    with pytest.raises(PickError, match=r"^style: 'boudoir' is not one of studio, lifestyle, editorial"):
        make_plan(style="boudoir")


def test_the_scene_says_where_when_and_in_what_light(make_plan):
    scene = ScenePick("Lisbon", location="Rooftop terrace in Lisbon", lighting="golden hour", time_of_day="sunset")

    plan = make_plan(scene=scene, style="lifestyle")

    assert ", rooftop terrace in lisbon, at sunset, warm golden hour sunlight," in plan.prompt


def test_the_style_lights_the_scene_only_when_the_scene_says_nothing_of_light(make_plan):
    unlit = make_plan(scene=ScenePick("x", prompt="white cyclorama"))
    lit = make_plan(scene=ScenePick("x", prompt="white cyclorama, softbox lighting"))
    grey = make_plan(scene=ScenePick("x", prompt="light grey paper backdrop"))

    assert "white cyclorama, soft even studio lighting," in unlit.prompt
    assert "studio lighting" not in lit.prompt
    assert "light grey paper backdrop, soft even studio lighting," in grey.prompt  # a colour, not a light


@pytest.mark.parametrize(
    ("garment", "focus"),
    [
        (GarmentPick("top", name="Shirt"), "neckline, fit and fabric of the shirt clearly visible"),
        (GarmentPick("bottom", name="Jeans"), "waistband, cut and hem of the jeans clearly visible"),
        (GarmentPick("dress", name="Wrap dress"), "the whole wrap dress visible from neckline to hem"),
        (GarmentPick("outerwear", name="Parka"), "collar, cut and closure of the parka clearly visible"),
        ([GarmentPick("top"), GarmentPick("bottom")], "the complete outfit clearly visible from head to toe"),
    ],
)
def test_the_category_decides_what_the_picture_must_show(make_plan, garment, focus):
    assert focus in make_plan(garments=garment).prompt


def test_legs_out_of_frame_leave_the_trousers_unsaid_unless_they_are_the_product(make_plan):
    outfit = [GarmentPick("top", name="Shirt"), GarmentPick("bottom", name="Jeans")]

    with_top = make_plan(garments=outfit, pose=UPPER_BODY)
    alone = make_plan(garments=GarmentPick("bottom", name="Jeans"), pose=UPPER_BODY)

    assert "jeans" not in with_top.prompt
    assert "neckline, fit and fabric of the shirt clearly visible" in with_top.prompt
    assert "jeans" in alone.prompt


def test_an_all_plain_outfit_keeps_prints_out_but_a_pattern_in_it_lets_them_in(make_plan):
    plain = make_plan(garments=GarmentPick("top", name="Shirt", pattern="solid"))
    striped = make_plan(garments=[GarmentPick("top", pattern="striped"), GarmentPick("bottom", pattern="solid")])

    assert "pattern, print" in plain.negative_prompt
    assert "solid" not in plain.prompt
    assert "print" not in striped.negative_prompt.split(", ")


def test_the_negative_never_excludes_what_the_scene_asks_for(make_plan):
    plan = make_plan(scene=ScenePick("x", location="festival crowd at dusk"), style="lifestyle")

    assert "crowd" not in plan.negative_prompt.split(", ")
    assert "stiff pose" in plan.negative_prompt.split(", ")
