"""The instant draft: a merchant's garment cut-out warped onto the person by the pose, before any diffusion.

The shopper sees it at once, and stage 2 inpaints where it landed, so it must land where the try-on mask
says the garment goes, keep the garment's look, layer like clothes do, and leave the rest of the photo alone.
"""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from prompts import POSE_LIBRARY
from prompts.cutout import garment_cutout
from prompts.draft import Draft, DraftError, DraftLayer, compose_draft, refine_mask
from prompts.masks import draw_mask
from prompts.poses import HIDDEN
from prompts.silhouette import silhouette
from prompts.vocabulary import OPENPOSE_KEYPOINTS

INDEX = {name: i for i, name in enumerate(OPENPOSE_KEYPOINTS)}
SIZE = (512, 768)
NAVY, YELLOW, DENIM, PLUM, CREAM = "#1b2a4a", "#f2c230", "#3a5f8f", "#7b3f8c", "#f0e0a0"

# Flat-lay outlines on a 300 x 360 product photo, the wearer's right on the photo's left.
T_SHIRT = [(110, 30), (130, 45), (170, 45), (190, 30), (250, 60), (285, 120), (245, 140), (235, 110), (235, 330),
           (65, 330), (65, 110), (55, 140), (15, 120), (50, 60)]  # fmt: skip
LONG_SLEEVED = [(110, 30), (130, 45), (170, 45), (190, 30), (240, 50), (300, 250), (268, 264), (232, 110),
                (232, 330), (68, 330), (68, 110), (32, 264), (0, 250), (60, 50)]  # fmt: skip
TROUSERS = [(70, 20), (230, 20), (255, 340), (180, 340), (150, 120), (120, 340), (45, 340)]
SKIRT = [(90, 40), (210, 40), (260, 330), (40, 330)]
DRESS = [(110, 20), (130, 35), (170, 35), (190, 20), (215, 35), (205, 130), (265, 345), (35, 345), (95, 130), (85, 35)]


def product_photo(outline, colour, stripes=None, period=24) -> Image.Image:
    """A garment shot on white, as merchants photograph them: horizontal stripes of `stripes` if given."""
    shape = Image.new("L", (300, 360), 0)
    ImageDraw.Draw(shape).polygon(outline, fill=255)
    cloth = Image.new("RGB", shape.size, colour)
    for y in range(0, shape.height, period) if stripes else ():
        ImageDraw.Draw(cloth).rectangle([0, y, shape.width, y + period // 2 - 1], fill=stripes)
    return Image.composite(cloth, Image.new("RGB", shape.size, "white"), shape).filter(ImageFilter.GaussianBlur(0.8))


@pytest.fixture(scope="module")
def cutouts():
    return {
        "t-shirt": garment_cutout(product_photo(T_SHIRT, NAVY, YELLOW)),
        "long-sleeved": garment_cutout(product_photo(LONG_SLEEVED, "#b0242e", NAVY)),
        "trousers": garment_cutout(product_photo(TROUSERS, DENIM)),
        "dress": garment_cutout(product_photo(DRESS, PLUM, CREAM)),
        "skirt": garment_cutout(product_photo(SKIRT, PLUM)),
    }


def dress_up(cutouts, pose="front-standing", *garments, size=SIZE) -> tuple[Draft, Image.Image]:
    """The draft of `garments` ((cut-out name, category, sleeves)) on a mannequin in `pose`, and the mannequin."""
    keypoints = POSE_LIBRARY[pose].keypoints
    person = silhouette(keypoints, width=size[0], height=size[1])
    layers = [DraftLayer(cutouts[name], category, sleeves=sleeves) for name, category, sleeves in garments]
    return compose_draft(person, layers, keypoints, width=size[0], height=size[1]), person


def at(pose: str, name: str, toward: str | None = None, fraction: float = 0.0) -> tuple[int, int]:
    """A library pose's keypoint as (row, column) of the 512 x 768 canvas, or a point on the way to another."""
    keypoints = POSE_LIBRARY[pose].keypoints
    point = np.array(keypoints[INDEX[name]][:2])
    if toward:
        point = point + fraction * (np.array(keypoints[INDEX[toward]][:2]) - point)
    return round(point[1] * SIZE[1]), round(point[0] * SIZE[0])


def nearest(pixels: np.ndarray, *colours: str) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's nearest colour among `colours` (an index) and its distance from it."""
    palette = np.array([Image.new("RGB", (1, 1), c).getpixel((0, 0)) for c in colours], float)
    distance = np.linalg.norm(pixels[..., None, :].astype(float) - palette, axis=-1)
    return distance.argmin(axis=-1), distance.min(axis=-1)


OUTFITS = {
    "top": ([("t-shirt", "top", False)], False),
    "top-with-sleeves": ([("long-sleeved", "top", True)], True),
    "bottom": ([("trousers", "bottom", False)], False),
    "dress": ([("dress", "dress", False)], False),
    "top-and-bottom": ([("long-sleeved", "top", True), ("trousers", "bottom", False)], True),
}


@pytest.mark.parametrize("outfit", OUTFITS)
@pytest.mark.parametrize("pose", ["front-standing", "side-profile", "walking"])
def test_the_garment_lands_where_the_try_on_mask_says_it_goes(cutouts, pose, outfit):
    garments, sleeves = OUTFITS[outfit]
    draft, _ = dress_up(cutouts, pose, *garments)

    expected = draw_mask(
        [category for _, category, _ in garments],
        POSE_LIBRARY[pose].keypoints,
        sleeves=sleeves,
        dilation=0,
        length="",
        width=SIZE[0],
        height=SIZE[1],
    )
    landed, region = np.asarray(draft.garment_mask) > 0, np.asarray(expected) > 0
    assert (landed & region).sum() / (landed | region).sum() >= 0.8


@pytest.mark.parametrize(
    ("name", "category", "length"),
    [
        ("dress", "dress", "mini"),
        ("dress", "dress", "ankle"),
        ("t-shirt", "top", "cropped"),
        ("long-sleeved", "outerwear", "knee"),
        ("trousers", "bottom", "cropped"),
        ("skirt", "bottom", "knee"),
    ],
)
def test_the_hem_falls_at_the_length_asked_for(cutouts, name, category, length):
    front = POSE_LIBRARY["front-standing"].keypoints
    draft = compose_draft(
        silhouette(front, width=512, height=768),
        [DraftLayer(cutouts[name], category, length=length)],
        front,
        width=512,
        height=768,
    )

    expected = draw_mask([category], front, sleeves=False, dilation=0, length=length, width=512, height=768)
    landed, region = np.asarray(draft.garment_mask) > 0, np.asarray(expected) > 0
    assert (landed & region).sum() / (landed | region).sum() >= 0.8


def test_trouser_legs_go_down_each_leg_and_a_skirt_stays_one_piece(cutouts):
    trousers, _ = dress_up(cutouts, "front-standing", ("trousers", "bottom", False))
    skirt, _ = dress_up(cutouts, "front-standing", ("skirt", "bottom", False))
    between_the_knees = at("front-standing", "right_knee", "left_knee", 0.5)
    (row, column), knee = between_the_knees, at("front-standing", "right_knee")

    assert np.asarray(trousers.garment_mask)[row + 20, column] == 0
    assert np.asarray(trousers.garment_mask)[knee[0] + 20, knee[1]] == 255
    assert np.asarray(skirt.garment_mask)[row - 20, column] == 255


def test_the_draft_has_the_promised_shapes(cutouts):
    draft, _ = dress_up(cutouts, "front-standing", ("t-shirt", "top", False), size=(600, 600))

    assert (draft.image.mode, draft.image.size) == ("RGB", (600, 600))
    assert (draft.garment.mode, draft.garment.size) == ("RGBA", (600, 600))
    assert (draft.garment_mask.mode, draft.garment_mask.size) == ("L", (600, 600))
    assert set(np.unique(draft.garment_mask)) == {0, 255}
    assert np.array_equal(np.asarray(draft.garment_mask) > 0, np.asarray(draft.garment)[..., 3] > 0)


def test_outside_the_garment_the_draft_is_the_person_pixel_for_pixel(cutouts):
    # A square picture letterboxes the 2:3 pose canvas: the person is letterboxed alike, and the bars stay bare.
    draft, person = dress_up(cutouts, "walking", ("long-sleeved", "top", True), ("trousers", "bottom", False),
                             size=(640, 640))  # fmt: skip
    outside = np.asarray(draft.garment_mask) == 0

    assert outside.mean() > 0.5
    assert np.array_equal(np.asarray(draft.image)[outside], np.asarray(person)[outside])
    bars = np.asarray(draft.garment_mask)[:, :107]  # 2:3 fitted into 640 x 640 is 427 wide: 106 px bars
    assert not bars.any()


def test_the_stripes_survive_the_warp(cutouts):
    draft, _ = dress_up(cutouts, "front-standing", ("t-shirt", "top", False))
    garment = np.asarray(draft.garment)
    # The chest, well inside the garment: between the shoulders' and hips' heights, left of centre to right.
    chest = garment[at("front-standing", "neck")[0] + 30 : at("front-standing", "right_hip")[0] - 10, 200:312]
    assert (chest[..., 3] == 255).all()

    photo = np.asarray(cutouts["t-shirt"])[150:300, 80:220]  # the product photo's own body, blur and all
    stripe, distance = nearest(chest[..., :3], NAVY, YELLOW)
    _, in_the_photo = nearest(photo[..., :3], NAVY, YELLOW)
    # Navy or yellow about as often as in the photo itself: not smeared into a grey average of the two.
    assert np.mean(distance < 40) > np.mean(in_the_photo < 40) - 0.05
    assert np.abs(chest[..., :3].mean(axis=(0, 1)) - photo[..., :3].mean(axis=(0, 1))).max() < 15
    assert 0.3 < np.mean(stripe) < 0.7  # both stripes are there
    across = stripe.mean(axis=1)  # each row is one stripe or the other: they run across the body still
    assert np.mean(np.maximum(across, 1 - across)) > 0.9
    assert np.abs(np.diff(across)).max() > 0.9  # ...and change from row to row


def test_a_top_is_worn_over_the_waistband_whatever_order_the_layers_come_in(cutouts):
    trousers, _ = dress_up(cutouts, "front-standing", ("trousers", "bottom", False))
    top, _ = dress_up(cutouts, "front-standing", ("t-shirt", "top", False))
    hips = at("front-standing", "right_hip")[0]
    waistband = np.s_[hips - 30 : hips - 10, 230:282]
    assert (np.asarray(trousers.garment_mask)[waistband] > 0).all()  # the trousers reach up there...

    for garments in (
        [("t-shirt", "top", False), ("trousers", "bottom", False)],
        [("trousers", "bottom", False), ("t-shirt", "top", False)],
    ):
        outfit, _ = dress_up(cutouts, "front-standing", *garments)
        worn = np.asarray(outfit.garment)[waistband].astype(int)
        assert np.abs(worn - np.asarray(top.garment)[waistband]).max() <= 2  # ...but the top hides them
        which, _ = nearest(worn[..., :3], NAVY, YELLOW, DENIM)
        assert np.mean(which < 2) > 0.9


def test_a_jacket_is_worn_over_the_top(cutouts):
    shirt = DraftLayer(cutouts["t-shirt"], "top")
    jacket = DraftLayer(cutouts["long-sleeved"], "outerwear", sleeves=True)
    front = POSE_LIBRARY["front-standing"].keypoints
    person = silhouette(front, width=512, height=768)

    worn = compose_draft(person, [jacket, shirt], front, width=512, height=768)
    alone = compose_draft(person, [jacket], front, width=512, height=768)

    chest = np.s_[260:380, 210:300]
    assert np.abs(np.asarray(worn.garment)[chest].astype(int) - np.asarray(alone.garment)[chest]).max() <= 2


def test_a_forearm_across_the_body_stays_in_front_of_the_garment(cutouts):
    draft, person = dress_up(cutouts, "arms-crossed", ("t-shirt", "top", False))
    garment, image = np.asarray(draft.garment), np.asarray(draft.image)

    for side in ("right", "left"):
        for fraction in (0.3, 0.5, 0.7, 1.0):
            row, column = at("arms-crossed", f"{side}_elbow", f"{side}_wrist", fraction)
            assert garment[row, column, 3] == 0, (side, fraction)
            assert np.array_equal(image[row, column], np.asarray(person)[row, column])
    chest_below_the_arms = at("arms-crossed", "neck", "right_hip", 0.7)
    assert garment[chest_below_the_arms][3] == 255  # the top is still there, behind the arms

    sleeved, _ = dress_up(cutouts, "arms-crossed", ("long-sleeved", "top", True))
    row, column = at("arms-crossed", "right_elbow", "right_wrist", 0.5)
    assert np.asarray(sleeved.garment)[row, column, 3] == 255  # a long sleeve covers the forearm


def test_sleeves_follow_the_arms_only_when_the_garment_has_them(cutouts):
    with_sleeves, _ = dress_up(cutouts, "front-standing", ("long-sleeved", "top", True))
    capped, _ = dress_up(cutouts, "front-standing", ("long-sleeved", "top", False))

    for side in ("right", "left"):
        forearm = at("front-standing", f"{side}_elbow", f"{side}_wrist", 0.8)
        assert np.asarray(with_sleeves.garment_mask)[forearm] == 255, side
        assert np.asarray(capped.garment_mask)[forearm] == 0, side  # a sleeve cap at most, as in the mask


def test_hidden_keypoints_are_handled_like_the_try_on_mask_does(cutouts):
    # A close-up has no hips or wrists: the top runs on out of frame and the sleeves down the forearms' way.
    draft, _ = dress_up(cutouts, "upper-body-close-up", ("long-sleeved", "top", True))
    assert np.asarray(draft.garment_mask)[-5, 150:360].all()
    # Side on, the far arm is hidden: its sleeve with it, and nothing lands where it would be.
    draft, _ = dress_up(cutouts, "side-profile", ("long-sleeved", "top", True))
    assert not np.asarray(draft.garment_mask)[:, 340:].any()


def test_the_same_input_gives_the_same_draft(cutouts):
    first, _ = dress_up(cutouts, "walking", ("dress", "dress", False))
    second, _ = dress_up(cutouts, "walking", ("dress", "dress", False))
    assert first.image.tobytes() == second.image.tobytes()
    assert first.garment.tobytes() == second.garment.tobytes()


def test_refine_mask_grows_and_feathers_the_garment_mask(cutouts):
    draft, _ = dress_up(cutouts, "front-standing", ("dress", "dress", False))
    mask = np.asarray(draft.garment_mask) > 0

    refined = refine_mask(draft.garment_mask, dilation=0.02, feather=0.01)
    assert (refined.mode, refined.size) == ("L", SIZE)
    grown = np.asarray(refined)
    assert (grown[mask] >= 250).mean() > 0.98  # all of the garment, and solidly
    assert (grown > 127).sum() > mask.sum() * 1.05  # grown by ~10 px all round...
    assert ((grown > 0) & (grown < 255)).sum() > 1000  # ...with a soft edge
    assert np.array_equal(np.asarray(refine_mask(draft.garment_mask, dilation=0, feather=0)) > 0, mask)


def test_bad_input_is_refused_naming_the_field(cutouts):
    front = POSE_LIBRARY["front-standing"].keypoints
    person = silhouette(front, width=512, height=768)
    shirt, trousers = cutouts["t-shirt"], cutouts["trousers"]
    empty = Image.new("RGBA", (64, 64), (255, 255, 255, 0))
    cases = [
        ([DraftLayer(shirt, "hat")], front, "layers[0].category: 'hat' is not one of top, bottom, dress, outerwear"),
        (
            [DraftLayer(shirt, "top"), DraftLayer(empty, "bottom")],
            front,
            "layers[1].cutout: the alpha channel is empty",
        ),
        ([DraftLayer(shirt.convert("RGB"), "top")], front, "layers[0].cutout: expected an RGBA cut-out"),
        ([DraftLayer(trousers, "bottom", length="waist")], front, "layers[0].length: 'waist' does not fit a bottom"),
        ([DraftLayer(shirt, "top", sleeves="yes")], front, "layers[0].sleeves:"),
        (["top"], front, "layers[0]: expected a DraftLayer"),
        ([], front, "layers: expected at least one DraftLayer"),
        ([DraftLayer(shirt, "top")], front[:17], "keypoints: expected 18 OpenPose keypoints, got 17"),
        ([DraftLayer(shirt, "top")], [HIDDEN] * 18, "keypoints: a top needs the shoulders in frame"),
        (
            [DraftLayer(trousers, "bottom")],
            POSE_LIBRARY["upper-body-close-up"].keypoints,
            "keypoints: a bottom needs the hips in frame",
        ),
    ]
    for layers, keypoints, message in cases:
        with pytest.raises(DraftError) as refused:
            compose_draft(person, layers, keypoints, width=512, height=768)
        assert str(refused.value).startswith(message)
    with pytest.raises(DraftError, match=r"^width: 0 is not"):
        compose_draft(person, [DraftLayer(shirt, "top")], front, width=0, height=768)
    with pytest.raises(DraftError, match=r"^person: expected a PIL image"):
        compose_draft(np.zeros((768, 512, 3)), [DraftLayer(shirt, "top")], front, width=512, height=768)
    with pytest.raises(DraftError, match=r"^dilation: -1 is not"):
        refine_mask(Image.new("L", (8, 8)), dilation=-1)
    assert issubclass(DraftError, ValueError)
