"""Canny conditioning from a garment photo: the edges a canny ControlNet expects (white on black, three
channels), at the plan's size, letterboxed like every other conditioning image."""

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFilter

from prompts import POSE_LIBRARY, ControlNetUnit, ImageRef, PlanError
from prompts.letterbox import fit

SHIRT = ImageRef("garments/shirt.png", "b" * 64)


def garment_photo(width: int, height: int, mode: str = "RGB", fill=(30, 40, 90)) -> Image.Image:
    """A dark T-shape (a shirt, roughly) with a stripe, on a light background or on transparency."""
    background = (0, 0, 0, 0) if mode == "RGBA" else (235, 235, 235)
    image = Image.new(mode, (width, height), background)
    draw = ImageDraw.Draw(image)
    w, h = width, height
    draw.polygon([(0.2 * w, 0.1 * h), (0.8 * w, 0.1 * h), (0.8 * w, 0.9 * h), (0.2 * w, 0.9 * h)], fill=fill)
    draw.rectangle([0.05 * w, 0.1 * h, 0.95 * w, 0.3 * h], fill=fill)
    draw.rectangle([0.2 * w, 0.5 * h, 0.8 * w, 0.55 * h], fill=(220, 220, 220))
    return image


def canny(image, width, height, **thresholds):
    unit = ControlNetUnit(kind="canny", image=SHIRT, **thresholds)
    return unit.conditioning_image(width, height, images={SHIRT.sha256: image})


@settings(max_examples=60, deadline=None)
@given(
    photo=st.tuples(st.integers(16, 400), st.integers(16, 400)),
    plan=st.tuples(st.integers(8, 96).map(lambda n: n * 8), st.integers(8, 96).map(lambda n: n * 8)),
)
def test_canny_conditioning_has_the_plan_size_and_edges_only_inside_the_letterbox(photo, plan):
    width, height = plan

    image = canny(garment_photo(*photo), width, height)

    pixels = np.asarray(image)
    assert (image.mode, image.size) == ("RGB", (width, height))
    assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    assert set(np.unique(pixels)) <= {0, 255}
    box = fit(photo, width, height)
    bars = pixels.copy()
    bars[box.top : box.top + box.height, box.left : box.left + box.width] = 0
    assert not bars.any()


def test_at_the_plans_own_size_it_is_exactly_cv2_canny():
    photo = garment_photo(512, 768)

    pixels = np.asarray(canny(photo, 512, 768, low_threshold=50, high_threshold=150))

    expected = cv2.Canny(np.asarray(photo.convert("L")), 50, 150)
    np.testing.assert_array_equal(pixels, np.stack([expected] * 3, axis=-1))


def test_lower_thresholds_find_more_edges():
    photo = garment_photo(300, 300).filter(ImageFilter.GaussianBlur(3))

    strict = np.asarray(canny(photo, 512, 512, low_threshold=200, high_threshold=250)).sum()
    loose = np.asarray(canny(photo, 512, 512, low_threshold=5, high_threshold=20)).sum()

    assert loose > strict


def test_a_cut_out_garment_is_outlined_whatever_its_colour():
    black_shirt = garment_photo(256, 384, mode="RGBA", fill=(12, 12, 12))
    on_black = Image.alpha_composite(Image.new("RGBA", black_shirt.size, (0, 0, 0, 255)), black_shirt)

    # The side seam at x = 0.2 * 256: transparency counts as white, where a black shirt has an outline.
    assert np.asarray(canny(black_shirt, 256, 384))[300, 49:54].any()
    assert not np.asarray(canny(on_black, 256, 384))[300, 49:54].any()


def test_a_missing_image_is_refused_by_name():
    with pytest.raises(PlanError, match=rf"^controlnet_units\.image: no image given for {'b' * 64} \(garments/shirt"):
        ControlNetUnit(kind="canny", image=SHIRT).conditioning_image(512, 768, images={})


def test_an_openpose_unit_ignores_the_images():
    unit = ControlNetUnit(kind="openpose", keypoints=POSE_LIBRARY["walking"].keypoints)

    with_images = unit.conditioning_image(512, 768, images={SHIRT.sha256: garment_photo(64, 64)})

    assert np.array_equal(np.asarray(with_images), np.asarray(unit.conditioning_image(512, 768)))


def test_a_kind_without_a_drawing_is_refused_by_name():
    with pytest.raises(PlanError, match=r"^controlnet_units\.kind: 'depth' is not one of openpose, canny"):
        ControlNetUnit(kind="depth").conditioning_image(512, 768)
