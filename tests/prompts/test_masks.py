"""Try-on masks: the region the new garments are painted into, drawn from the pose on the same
letterboxed canvas as the skeleton. Too small and the old garment shows through; painted outside the
picture and the bars show; so each is checked against the keypoints it must cover."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompts import POSE_LIBRARY, InpaintMask, mirror_pose
from prompts.hems import HEMS, hem
from prompts.letterbox import POSE_CANVAS, fit
from prompts.vocabulary import GARMENT_CATEGORIES, LENGTHS, OPENPOSE_KEYPOINTS

INDEX = {name: i for i, name in enumerate(OPENPOSE_KEYPOINTS)}
FRONT = POSE_LIBRARY["front-standing"].keypoints
HANDS_ON_HIPS = POSE_LIBRARY["hands-on-hips"].keypoints


def covered(mask: np.ndarray, keypoints, name: str) -> bool:
    height, width = mask.shape
    box = fit(POSE_CANVAS, width, height)
    x, y = box.point(*keypoints[INDEX[name]][:2])
    return bool(mask[min(int(y), box.top + box.height - 1), min(int(x), box.left + box.width - 1)])


def drawn(keypoints=FRONT, size=(512, 768), **fields) -> np.ndarray:
    mask = InpaintMask(**{"category": "top", "keypoints": keypoints, **fields}).mask_image(*size)
    assert (mask.mode, mask.size) == ("L", size)
    return np.asarray(mask)


def must_cover(mask: InpaintMask) -> set[str]:
    """The visible keypoints the garments lie over, whatever the pose."""
    visible = {name for name, (_, _, seen) in zip(OPENPOSE_KEYPOINTS, mask.keypoints, strict=True) if seen}
    reach = hem(mask.categories, mask.length)
    names = set()
    if set(mask.categories) & {"top", "dress", "outerwear", "outfit"}:
        names |= {"neck", "right_shoulder", "left_shoulder"}
        if mask.sleeves:
            for side in ("right", "left"):
                if f"{side}_shoulder" in visible:
                    names |= {f"{side}_elbow"} | ({f"{side}_wrist"} if f"{side}_elbow" in visible else set())
    if set(mask.categories) & {"bottom", "outfit"} or reach >= HEMS["hip"]:
        names |= {"right_hip", "left_hip"}
    if reach >= HEMS["knee"]:
        names |= {"right_knee", "left_knee"}
    if reach >= HEMS["ankle"]:
        names |= {"right_ankle", "left_ankle"}
    return names & visible


def jittered(keypoints, offsets):
    return tuple(
        (min(1.0, max(0.0, x + dx)), min(1.0, max(0.0, y + dy)), seen)
        for (x, y, seen), (dx, dy) in zip(keypoints, offsets, strict=True)
    )


library_poses = st.sampled_from(list(POSE_LIBRARY.values())).map(lambda pose: pose.keypoints)
poses = st.one_of(
    library_poses,
    library_poses.map(mirror_pose),
    st.builds(
        jittered,
        library_poses,
        st.lists(st.tuples(st.floats(-0.05, 0.05), st.floats(-0.05, 0.05)), min_size=18, max_size=18),
    ),
    st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.booleans()), min_size=18, max_size=18).map(tuple),
)
categories = st.one_of(
    st.sampled_from([*GARMENT_CATEGORIES, "outfit"]),
    st.lists(st.sampled_from(GARMENT_CATEGORIES), min_size=2, max_size=4, unique=True).map(tuple),
)


@st.composite
def masks(draw):
    category = draw(categories)
    keypoints = list(draw(poses))
    wanted = {"top", "dress", "outerwear", "outfit"} & ({category} if isinstance(category, str) else set(category))
    placed_from = "right_shoulder" if wanted else "left_hip"  # the keypoint the region must be placed from
    x, y, _ = keypoints[INDEX[placed_from]]
    keypoints[INDEX[placed_from]] = (x, y, True)
    return InpaintMask(
        category=category,
        keypoints=tuple(keypoints),
        sleeves=draw(st.booleans()),
        dilation=draw(st.floats(0, 0.05)),
        length=draw(st.sampled_from(["", *LENGTHS])),
    )


sizes = st.tuples(st.integers(8, 96).map(lambda n: n * 8), st.integers(8, 96).map(lambda n: n * 8))


@settings(max_examples=150, deadline=None)
@given(mask=masks(), size=sizes)
def test_a_mask_is_binary_non_empty_inside_the_picture_and_covers_its_garments_keypoints(mask, size):
    width, height = size
    pixels = np.asarray(mask.mask_image(width, height))
    box = fit(POSE_CANVAS, width, height)

    assert pixels.shape == (height, width)
    assert set(np.unique(pixels)) <= {0, 255}
    assert pixels.any()
    outside = pixels.copy()
    outside[box.top : box.top + box.height, box.left : box.left + box.width] = 0
    assert not outside.any()  # nothing painted in the letterbox bars
    for name in must_cover(mask):
        assert covered(pixels, mask.keypoints, name), name


def test_a_top_covers_shoulders_to_hips_and_leaves_the_legs():
    top = drawn(category="top")

    assert all(covered(top, FRONT, name) for name in ("neck", "right_shoulder", "left_hip"))
    assert not any(covered(top, FRONT, name) for name in ("nose", "right_knee", "left_ankle"))


def test_a_bottom_covers_waist_to_ankles_and_leaves_the_chest():
    bottom = drawn(category="bottom")

    assert all(covered(bottom, FRONT, name) for name in ("right_hip", "left_knee", "right_ankle"))
    assert not any(covered(bottom, FRONT, name) for name in ("neck", "right_shoulder"))


def test_sleeves_reach_the_wrists_and_without_them_only_the_shoulder_seam():
    sleeved = drawn(HANDS_ON_HIPS, category="top", sleeves=True)
    bare = drawn(HANDS_ON_HIPS, category="top", sleeves=False)

    for name in ("right_elbow", "left_elbow", "right_wrist", "left_wrist"):
        assert covered(sleeved, HANDS_ON_HIPS, name)
    assert not covered(bare, HANDS_ON_HIPS, "right_elbow") and not covered(bare, HANDS_ON_HIPS, "left_elbow")


@pytest.mark.parametrize("category", ["dress", "outerwear"])
def test_a_longer_hem_covers_more_and_stops_where_it_says(category):
    lengths = ["mini", "knee", "midi", "ankle", "floor"]
    areas = [(drawn(category=category, length=length) > 0).sum() for length in lengths]

    assert areas == sorted(areas) and len(set(areas)) == len(areas)
    knee = drawn(category=category, length="knee")
    assert covered(knee, FRONT, "right_knee") and not covered(knee, FRONT, "right_ankle")
    assert covered(drawn(category=category, length="floor"), FRONT, "left_ankle")


def test_cropped_means_above_the_waist_on_a_top_and_above_the_ankle_on_trousers():
    top = drawn(category="top", length="cropped")
    trousers = drawn(category="bottom", length="cropped")

    assert not covered(top, FRONT, "right_hip")
    assert covered(trousers, FRONT, "right_knee") and not covered(trousers, FRONT, "right_ankle")


def test_a_mask_for_two_garments_is_both_regions():
    both = drawn(category=("top", "bottom"))

    assert np.array_equal(both, np.maximum(drawn(category="top", length="ankle"), drawn(category="bottom")))


def test_dilation_grows_the_region():
    areas = [(drawn(dilation=dilation) > 0).sum() for dilation in (0, 0.02, 0.05)]

    assert areas[0] < areas[1] < areas[2]


def test_a_close_up_top_runs_on_out_of_frame():
    close_up = POSE_LIBRARY["upper-body-close-up"].keypoints

    top = drawn(close_up, category="top")

    assert top[-1].any()  # the torso continues below the bottom edge


def test_the_mask_scales_with_the_picture_and_sits_inside_the_letterbox():
    small, large = drawn(size=(256, 384), dilation=0), drawn(size=(512, 768), dilation=0)
    square = drawn(size=(768, 768))

    assert (large > 0).sum() / (small > 0).sum() == pytest.approx(4, rel=0.05)
    box = fit(POSE_CANVAS, 768, 768)
    assert not square[:, : box.left].any() and not square[:, box.left + box.width :].any()
