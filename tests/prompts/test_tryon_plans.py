"""build_plan's try-on mode, garment images and sizes: the photo, the mask and the references a try-on
needs come from the picks, and a pick that cannot give them is refused by name."""

import dataclasses

import pytest

from prompts import POSE_LIBRARY, GarmentPick, ImageRef, InpaintMask, PickError, PlanError

PHOTO = ImageRef("fashion-models/ada.jpg", "a" * 64)
SHIRT_PHOTO = ImageRef("garments/shirt.png", "b" * 64)
JEANS_PHOTO = ImageRef("garments/jeans.png", "c" * 64)
SHIRT = GarmentPick("top", name="Oxford shirt", colour="white", sleeve_length="long", image=SHIRT_PHOTO)
JEANS = GarmentPick("bottom", name="Jeans", colour="#1560BD", length="ankle", image=JEANS_PHOTO)


@pytest.fixture
def ada(fashion_model):
    return dataclasses.replace(fashion_model, photo=PHOTO)


def test_a_try_on_paints_the_garments_onto_the_fashion_models_photo(make_plan, ada):
    plan = make_plan(garments=[JEANS, SHIRT], fashion_model=ada, mode="tryon")

    assert (plan.mode, plan.init_image, plan.strength) == ("tryon", PHOTO, 1.0)
    assert plan.garment_references == (SHIRT_PHOTO, JEANS_PHOTO)  # layering order, whatever the pick order
    assert plan.inpaint_mask == InpaintMask(
        category=("top", "bottom"),
        keypoints=POSE_LIBRARY["front-standing"].keypoints,
        sleeves=True,
        dilation=0.02,
        length="ankle",
    )
    assert [unit.kind for unit in plan.controlnet_units] == ["openpose"]  # canny only when asked
    assert plan.image_refs == (PHOTO, SHIRT_PHOTO, JEANS_PHOTO)


def test_a_try_on_says_only_what_it_paints(make_plan, ada):
    plan = make_plan(garments=SHIRT, fashion_model=ada, mode="tryon")

    assert "plain" not in plan.prompt  # no stand-in trousers: the photo keeps its own
    assert "wearing a white oxford shirt with long sleeves," in plan.prompt


@pytest.mark.parametrize(
    ("garments", "category", "sleeves", "length"),
    [
        (GarmentPick("top", sleeve_length="short"), "top", False, "hip"),
        (GarmentPick("top"), "top", False, "hip"),
        (GarmentPick("dress", length="midi", sleeve_length="three-quarter"), "dress", True, "midi"),
        (GarmentPick("dress"), "dress", False, "knee"),
        (GarmentPick("outerwear"), "outerwear", True, "hip"),
        (GarmentPick("outerwear", sleeve_length="sleeveless", length="knee"), "outerwear", False, "knee"),
        (GarmentPick("bottom", length="cropped"), "bottom", False, "cropped"),
        (
            [GarmentPick("top", length="cropped"), GarmentPick("outerwear", length="mini")],
            ("top", "outerwear"),
            True,
            "mini",
        ),
        ([GarmentPick("dress"), GarmentPick("bottom", length="mini")], ("bottom", "dress"), False, "knee"),
    ],
)
def test_the_mask_follows_the_categories_sleeves_and_the_longest_hem(
    make_plan, ada, garments, category, sleeves, length
):
    mask = make_plan(garments=garments, fashion_model=ada, mode="tryon").inpaint_mask

    assert (mask.category, mask.sleeves, mask.length) == (category, sleeves, length)


def test_try_on_needs_a_photo_of_the_fashion_model(make_plan):
    with pytest.raises(PickError, match=r"^fashion_model\.photo: try-on mode needs a reference photo$"):
        make_plan(mode="tryon")


def test_try_on_needs_the_garments_body_in_frame(make_plan, ada):
    with pytest.raises(PickError, match=r"^pose: try-on of a bottom needs one of right_hip, left_hip in frame"):
        make_plan(garments=JEANS, fashion_model=ada, mode="tryon", pose=POSE_LIBRARY["upper-body-close-up"])


def test_a_mode_is_refused_by_name(make_plan):
    with pytest.raises(PickError, match=r"^mode: 'refine' is not one of generate, tryon"):
        make_plan(mode="refine")


@pytest.mark.parametrize("mode", ["generate", "tryon"])
def test_canny_units_come_from_garment_images_when_asked(make_plan, ada, mode):
    plain = GarmentPick("outerwear", name="Parka")

    plan = make_plan(garments=[JEANS, plain, SHIRT], fashion_model=ada, mode=mode, canny=True)

    openpose, *cannies = plan.controlnet_units
    assert openpose.kind == "openpose"
    assert [(unit.kind, unit.image) for unit in cannies] == [("canny", SHIRT_PHOTO), ("canny", JEANS_PHOTO)]
    assert all(unit.scale < 1 and unit.guidance_end < 1 for unit in cannies)  # soft: the pose leads


def test_a_generate_plan_holds_no_photo_mask_or_references(make_plan, ada):
    plan = make_plan(garments=[SHIRT, JEANS], fashion_model=ada)

    assert (plan.mode, plan.init_image, plan.inpaint_mask, plan.garment_references) == ("generate", None, None, ())


def test_the_same_outfit_in_another_order_is_the_same_try_on(make_plan, ada):
    first = make_plan(garments=[SHIRT, JEANS], fashion_model=ada, mode="tryon", canny=True)
    second = make_plan(garments=[JEANS, SHIRT], fashion_model=ada, mode="tryon", canny=True)

    assert first == second and first.fingerprint == second.fingerprint


@pytest.mark.parametrize(
    ("pose", "size"),
    [("front-standing", (512, 768)), ("upper-body-close-up", (576, 720))],
)
def test_without_a_size_the_framing_chooses_the_aspect(make_plan, pose, size):
    plan = make_plan(pose=POSE_LIBRARY[pose], width=None, height=None)

    assert (plan.width, plan.height) == size


def test_the_framing_size_scales_with_the_presets_own(make_plan):
    plan = make_plan(pose=POSE_LIBRARY["upper-body-close-up"], width=None, height=None, base_size=(832, 1216))

    assert (plan.width, plan.height) == (896, 1120)


def test_half_a_size_is_refused(make_plan):
    with pytest.raises(PlanError, match=r"^width: give both width and height, or neither"):
        make_plan(height=None)
