"""The fields a pick gained after its first release: closed vocabularies refused by name, untrusted text
cleaned and capped, and callers that never heard of them still served."""

import re

import numpy as np
import pytest

from prompts import POSE_LIBRARY, FashionModelPick, GarmentPick, ImageRef, PickError, PosePick, ScenePick
from prompts.vocabulary import LENGTHS, LENGTHS_BY_CATEGORY

PHOTO = ImageRef("fashion-models/ada.jpg", "a" * 64)


def test_every_new_field_is_optional_so_older_callers_keep_working():
    garment = GarmentPick("top", name="Shirt")
    fashion_model = FashionModelPick("feminine", "25-34", "slim", "light")
    scene = ScenePick("Studio", prompt="white studio")

    assert (garment.pattern, garment.fit, garment.length, garment.sleeve_length) == ("", "", "", "")
    assert (garment.keywords, garment.image) == ((), None)
    assert (fashion_model.expression, fashion_model.photo) == ("", None)
    assert (scene.location, scene.lighting, scene.time_of_day) == ("", "", "")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: GarmentPick("top", pattern="tartan"), r"^garment\.pattern: 'tartan' is not one of solid, "),
        (lambda: GarmentPick("top", fit="baggy"), r"^garment\.fit: 'baggy' is not one of slim, "),
        (lambda: GarmentPick("top", length="calf"), r"^garment\.length: 'calf' is not one of cropped, "),
        (lambda: GarmentPick("top", sleeve_length="cap"), r"^garment\.sleeve_length: 'cap' is not one of "),
        (lambda: GarmentPick("top", keywords="summer"), r"^garment\.keywords: expected a sequence of text, got str"),
        (lambda: GarmentPick("top", keywords=["a", 1]), r"^garment\.keywords: expected text, got int"),
        (lambda: GarmentPick("top", image="shirt.jpg"), r"^garment\.image: expected an ImageRef or None, got str"),
        (
            lambda: FashionModelPick("feminine", "25-34", "slim", "light", expression="smug"),
            r"^fashion_model\.expression: 'smug' is not one of neutral, ",
        ),
        (
            lambda: FashionModelPick("feminine", "25-34", "slim", "light", photo={"name": "x"}),
            r"^fashion_model\.photo: expected an ImageRef or None, got dict",
        ),
        (lambda: ScenePick("x", lighting="strobe"), r"^scene\.lighting: 'strobe' is not one of softbox, "),
        (lambda: ScenePick("x", time_of_day="noon"), r"^scene\.time_of_day: 'noon' is not one of morning, "),
    ],
)
def test_a_value_outside_its_vocabulary_is_refused_by_name(make, message):
    with pytest.raises(PickError, match=message):
        make()


@pytest.mark.parametrize("category", LENGTHS_BY_CATEGORY)
def test_a_length_must_suit_the_category(category):
    for length in LENGTHS:
        if length in LENGTHS_BY_CATEGORY[category]:
            assert GarmentPick(category, length=length).length == length
        else:
            with pytest.raises(PickError, match=rf"^garment\.length: '{length}' does not fit a {category}; one of "):
                GarmentPick(category, length=length)


def test_a_bottom_has_no_sleeves():
    with pytest.raises(PickError, match=r"^garment\.sleeve_length: a bottom has no sleeves, got 'long'"):
        GarmentPick("bottom", sleeve_length="long")


def test_keywords_become_a_tuple_so_picks_compare_and_hash_alike():
    assert GarmentPick("top", keywords=["summer", "linen"]) == GarmentPick("top", keywords=("summer", "linen"))
    assert hash(GarmentPick("top", keywords=["summer"]))


def test_a_photo_is_an_image_ref():
    assert FashionModelPick("feminine", "25-34", "slim", "light", photo=PHOTO).photo.sha256 == "a" * 64


PROMPT_SYNTAX = re.compile(r"[()\[\]{}<>:|\\]|\bBREAK\b|\bAND\b")


def test_keywords_and_location_are_untrusted_text(make_plan):
    attack = "(masterpiece:1.6) BREAK <lora:x:1> nsfw"

    plan = make_plan(
        garments=GarmentPick("top", name="Shirt", keywords=(attack,) * 3),
        scene=ScenePick("x", location=attack),
    )

    assert not PROMPT_SYNTAX.search(plan.prompt)
    assert "lora" not in plan.prompt and "1.6" not in plan.prompt and "nsfw" not in plan.prompt
    assert plan.prompt.count("masterpiece") == 1  # the location said it: the keywords do not repeat it


def test_keywords_are_capped_in_number_and_length(make_plan):
    keywords = tuple(f"keyword{i} " + "long " * 20 for i in range(10))

    plan = make_plan(garments=GarmentPick("top", name="Shirt", keywords=keywords))

    said = re.findall(r"keyword\d+(?: long)*", plan.prompt)
    assert len(said) == 4
    assert all(len(keyword.strip()) <= 30 for keyword in said)


def test_a_poses_keypoints_read_the_same_however_they_are_written():
    canonical = POSE_LIBRARY["front-standing"].keypoints
    as_stored = [[int(x) if x in (0.0, 1.0) else x, y, int(visible)] for x, y, visible in canonical]  # JSON's
    as_numpy = [(np.float64(x), np.float64(y), np.bool_(visible)) for x, y, visible in canonical]

    for written in (canonical, as_stored, as_numpy):
        keypoints = PosePick("front", written).keypoints
        assert keypoints == canonical
        assert all(tuple(map(type, point)) == (float, float, bool) for point in keypoints)


@pytest.mark.parametrize(
    ("point", "message"),
    [((1.5, 0.5, True), r"pose\.keypoints\.nose: \(1\.5, 0\.5\) is outside 0\.\.1"),
     ((float("nan"), 0.5, True), r"pose\.keypoints\.nose: \(nan, 0\.5\) is outside 0\.\.1"),
     ((0.5, 0.5), r"pose\.keypoints\.nose: \(0\.5, 0\.5\) is not \(x, y, visible\)"),
     (("0.5", 0.5, True), r"pose\.keypoints\.nose: \('0\.5', 0\.5, True\) is not \(x, y, visible\)")],
)  # fmt: skip
def test_a_keypoint_out_of_range_or_malformed_is_refused_by_name(point, message):
    keypoints = (point, *POSE_LIBRARY["front-standing"].keypoints[1:])

    with pytest.raises(PickError, match=message):
        PosePick("front", keypoints)
