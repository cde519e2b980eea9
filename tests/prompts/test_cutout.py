"""A garment's cut-out from a product photo: the mask follows the garment, whatever its colour and pattern."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from prompts.cutout import CutoutError, garment_cutout, garment_mask

DRESS = [(90, 40), (210, 40), (270, 360), (30, 360)]


def product_photo(garment="#b0242e", background="white", size=(300, 400), stripes=None, noise=0, mode="RGB"):
    """A garment shot on a plain background, as merchants photograph them; and the true mask."""
    truth = Image.new("L", size, 0)
    ImageDraw.Draw(truth).polygon(DRESS, fill=255)
    garment_layer = Image.new("RGB", size, garment)
    if stripes:
        draw = ImageDraw.Draw(garment_layer)
        for y in range(0, size[1], 24):
            draw.rectangle([0, y, size[0], y + 11], fill=stripes)
    photo = Image.composite(garment_layer, Image.new("RGB", size, background), truth)
    photo = photo.filter(ImageFilter.GaussianBlur(0.8))  # a lens, not a vector drawing
    if noise:
        grain = np.random.default_rng(0).normal(0, noise, (size[1], size[0], 3))
        photo = Image.fromarray(np.clip(np.asarray(photo) + grain, 0, 255).astype(np.uint8))
    return photo.convert(mode), np.asarray(truth) > 0


def overlap(mask: Image.Image, truth: np.ndarray) -> float:
    found = np.asarray(mask) > 0
    return (found & truth).sum() / (found | truth).sum()


@pytest.mark.parametrize(
    "photo",
    [
        {},
        {"garment": "#f4f1ea", "background": "#9aa0a6"},  # an off-white garment on grey
        {"garment": "#1b2a4a", "stripes": "#ffffff"},  # a Breton stripe: white stripes on a white background
        {"garment": "#2e7d32", "background": "#eeeeee", "noise": 6},  # sensor noise
        {"size": (1200, 1600)},  # a full-size photo, worked on smaller and scaled back up
    ],
    ids=["red-on-white", "ivory-on-grey", "stripes", "noisy", "large"],
)
def test_the_mask_follows_the_garment(photo):
    image, truth = product_photo(**photo)
    if image.size != (300, 400):
        truth = np.asarray(Image.fromarray(truth).resize(image.size)) > 0

    mask = garment_mask(image)

    assert mask.mode == "L" and mask.size == image.size
    assert overlap(mask, truth) > 0.93


def test_the_gap_between_trouser_legs_stays_background():
    size = (300, 400)
    truth = Image.new("L", size, 0)
    draw = ImageDraw.Draw(truth)
    draw.polygon([(60, 30), (240, 30), (250, 380), (170, 380), (150, 150), (130, 380), (50, 380)], fill=255)
    photo = Image.composite(Image.new("RGB", size, "#c3b091"), Image.new("RGB", size, "white"), truth)

    mask = np.asarray(garment_mask(photo)) > 0

    assert overlap(Image.fromarray(mask), np.asarray(truth) > 0) > 0.93
    assert not mask[300:380, 145:155].any()  # between the legs, near the hems


def test_the_cut_out_keeps_the_garment_and_clears_the_background():
    image, truth = product_photo()

    cutout = np.asarray(garment_cutout(image))

    assert cutout.shape == (400, 300, 4)
    assert (cutout[..., 3][~truth] == 0).mean() > 0.98
    inside = cutout[..., 3] == 255
    assert np.abs(cutout[inside][:, :3].astype(int) - [176, 36, 46]).mean() < 10


def test_a_photo_already_on_transparency_is_cut_along_its_alpha():
    image, truth = product_photo(mode="RGB")
    transparent = image.convert("RGBA")
    transparent.putalpha(Image.fromarray((truth * 255).astype(np.uint8)))

    assert overlap(garment_mask(transparent), truth) > 0.93


def test_the_same_photo_gives_the_same_mask():
    image, _truth = product_photo(stripes="#ffffff", noise=4)

    assert garment_mask(image).tobytes() == garment_mask(image).tobytes()


def test_a_blank_photo_has_nothing_to_cut_out():
    with pytest.raises(CutoutError, match="nothing that stands out"):
        garment_mask(Image.new("RGB", (200, 300), "white"))
