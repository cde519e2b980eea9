"""Our OpenPose drawing must be pixel for pixel what controlnet_aux draws: the openpose ControlNets
learnt from that drawing, so a shifted limb or a wrong colour is a different conditioning. At a plan
aspect other than the poses' 2:3 the same drawing is letterboxed, never stretched."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prompts import POSE_LIBRARY, ControlNetUnit
from prompts.conditioning import render_openpose, render_pose_thumbnail
from prompts.letterbox import POSE_CANVAS, fit

with warnings.catch_warnings():  # controlnet_aux warns about its own optional models on import
    warnings.simplefilter("ignore")
    from controlnet_aux.open_pose import PoseResult, draw_poses
    from controlnet_aux.open_pose.body import BodyResult, Keypoint


def controlnet_aux_drawing(keypoints, width, height) -> np.ndarray:
    body = BodyResult(
        keypoints=[Keypoint(x, y) if visible else None for x, y, visible in keypoints],
        total_score=1.0,
        total_parts=len(keypoints),
    )
    return draw_poses(
        [PoseResult(body, None, None, None)], height, width, draw_body=True, draw_hand=False, draw_face=False
    )


SIZES = [(512, 768), (768, 1152), (832, 1216), (1024, 1024), (64, 96), (333, 517)]


@pytest.mark.parametrize(
    "slug", ["front-standing", "three-quarter-right", "seated", "back-view", "upper-body-close-up"]
)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_library_poses_are_drawn_exactly_as_controlnet_aux_draws_them(slug, width, height):
    keypoints = POSE_LIBRARY[slug].keypoints

    ours = render_openpose(keypoints, width=width, height=height)

    assert (ours.mode, ours.size) == ("RGB", (width, height))
    np.testing.assert_array_equal(np.asarray(ours), controlnet_aux_drawing(keypoints, width, height))


@settings(max_examples=150, deadline=None)
@given(
    keypoints=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.booleans()), min_size=18, max_size=18),
    width=st.integers(16, 300),
    height=st.integers(16, 300),
)
def test_any_pose_is_drawn_exactly_as_controlnet_aux_draws_it(keypoints, width, height):
    ours = np.asarray(render_openpose(keypoints, width=width, height=height))

    np.testing.assert_array_equal(ours, controlnet_aux_drawing(keypoints, width, height))


def test_an_invisible_keypoint_and_its_limbs_are_not_drawn():
    keypoints = list(POSE_LIBRARY["front-standing"].keypoints)
    without_left_arm = keypoints[:6] + [(x, y, False) for x, y, _ in keypoints[6:8]] + keypoints[8:]

    full = np.asarray(render_openpose(keypoints, width=512, height=768))
    armless = np.asarray(render_openpose(without_left_arm, width=512, height=768))

    # The left arm's limbs and joints are gone; everything they covered is black again.
    assert armless.sum() < full.sum()
    left_wrist = (int(keypoints[7][1] * 768), int(keypoints[7][0] * 512))
    assert full[left_wrist].any() and not armless[left_wrist].any()


def test_nothing_visible_draws_a_black_canvas():
    blank = render_openpose([(0.5, 0.5, False)] * 18, width=64, height=64)

    assert not np.asarray(blank).any()


def test_a_plans_unit_draws_its_conditioning_image_at_the_plans_size():
    keypoints = POSE_LIBRARY["walking"].keypoints

    image = ControlNetUnit(kind="openpose", keypoints=keypoints).conditioning_image(512, 768)

    np.testing.assert_array_equal(np.asarray(image), controlnet_aux_drawing(keypoints, 512, 768))


def test_a_pose_without_eighteen_keypoints_is_refused():
    with pytest.raises(ValueError, match="expected 18 OpenPose keypoints, got 17"):
        render_openpose([(0.5, 0.5, True)] * 17, width=64, height=64)


@pytest.mark.parametrize(("width", "height"), [(576, 720), (552, 736), (768, 768), (1024, 576), (832, 1216)])
def test_at_another_aspect_the_skeleton_keeps_its_proportions_between_black_bars(width, height):
    keypoints = POSE_LIBRARY["walking"].keypoints
    box = fit(POSE_CANVAS, width, height)

    image = np.asarray(ControlNetUnit(kind="openpose", keypoints=keypoints).conditioning_image(width, height))

    assert image.shape == (height, width, 3)
    assert abs(box.width / box.height - 2 / 3) < 0.01
    inner = image[box.top : box.top + box.height, box.left : box.left + box.width]
    np.testing.assert_array_equal(inner, controlnet_aux_drawing(keypoints, box.width, box.height))
    bars = image.copy()
    bars[box.top : box.top + box.height, box.left : box.left + box.width] = 0
    assert not bars.any()


def test_a_pose_thumbnail_is_the_skeleton_small_and_smooth():
    thumbnail = render_pose_thumbnail(POSE_LIBRARY["hands-on-hips"])
    square = np.asarray(render_pose_thumbnail(POSE_LIBRARY["hands-on-hips"].keypoints, size=(96, 96)))

    assert (thumbnail.mode, thumbnail.size) == ("RGB", (128, 192))
    pixels = np.asarray(thumbnail)
    assert pixels.any() and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 18  # anti-aliased, not jagged
    assert square.shape == (96, 96, 3) and not square[:, :16].any() and not square[:, -16:].any()
