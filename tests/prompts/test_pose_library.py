"""Every merchant starts with these poses, so each must be a body a ControlNet can dress."""

import math

import pytest

from prompts import POSE_LIBRARY, PickError, PosePick, mirror_pose
from prompts.framing import framing, view
from prompts.vocabulary import OPENPOSE_KEYPOINTS

ASPECT = 768 / 512  # authored on a 2:3 portrait canvas
FRONT_FACING = ["front-standing", "walking", "hands-on-hips", "arms-crossed", "seated", "leaning", "hand-in-pocket"]
FULL_BODY = [slug for slug in POSE_LIBRARY if slug != "upper-body-close-up"]


def point(slug: str, name: str) -> tuple[float, float]:
    x, y, visible = POSE_LIBRARY[slug].keypoints[OPENPOSE_KEYPOINTS.index(name)]
    assert visible, f"{slug}: {name} is hidden"
    return x, y * ASPECT  # in widths, so distances compare across axes


def distance(slug: str, first: str, second: str) -> float:
    return math.dist(point(slug, first), point(slug, second))


def head(slug: str) -> str:
    """The keypoint that stands for the head: the nose, or an ear when the face is turned away."""
    return "nose" if POSE_LIBRARY[slug].keypoints[0][2] else "left_ear"


def test_the_library_has_the_poses_a_catalogue_needs():
    assert len(POSE_LIBRARY) >= 12
    for slug in ("front-standing", "three-quarter-left", "three-quarter-right", "walking", "hands-on-hips"):
        assert slug in POSE_LIBRARY
    assert "arms-crossed" in POSE_LIBRARY
    assert next(iter(POSE_LIBRARY)) == "front-standing"  # tests/factories.py takes the first as the default
    assert len({pose.name for pose in POSE_LIBRARY.values()}) == len(POSE_LIBRARY)  # names are unique per shop


@pytest.mark.parametrize("slug", POSE_LIBRARY)
def test_every_visible_keypoint_sits_inside_the_frame(slug):
    for x, y, visible in POSE_LIBRARY[slug].keypoints:
        if visible:
            assert 0.03 <= x <= 0.97 and 0.03 <= y <= 0.97


@pytest.mark.parametrize("slug", FRONT_FACING)
def test_facing_the_camera_the_persons_right_is_on_the_image_left(slug):
    for side in ("shoulder", "hip", "eye"):
        assert point(slug, f"right_{side}")[0] < point(slug, f"left_{side}")[0]


def test_seen_from_behind_the_persons_right_is_on_the_image_right():
    assert point("back-view", "right_shoulder")[0] > point("back-view", "left_shoulder")[0]
    assert point("back-view", "right_ear")[0] > point("back-view", "left_ear")[0]


@pytest.mark.parametrize("slug", FULL_BODY)
def test_a_full_body_stands_head_over_heels(slug):
    for upper, lower in [(head(slug), "neck"), ("neck", "right_hip"), ("right_hip", "right_knee")]:
        assert point(slug, upper)[1] < point(slug, lower)[1]
    for side in ("right", "left"):
        assert point(slug, f"{side}_hip")[1] < point(slug, f"{side}_knee")[1] < point(slug, f"{side}_ankle")[1]


@pytest.mark.parametrize("slug", FULL_BODY)
def test_limbs_have_human_proportions(slug):
    visible = {
        name for name, (_, _, seen) in zip(OPENPOSE_KEYPOINTS, POSE_LIBRARY[slug].keypoints, strict=True) if seen
    }
    for side in ("right", "left"):
        if {f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist"} <= visible:
            upper_arm = distance(slug, f"{side}_shoulder", f"{side}_elbow")
            forearm = distance(slug, f"{side}_elbow", f"{side}_wrist")
            assert 0.7 < forearm / upper_arm < 1.1, side  # foreshortening may shorten, never lengthen much
        if slug != "seated":  # a seated thigh points at the camera
            thigh, shin = distance(slug, f"{side}_hip", f"{side}_knee"), distance(slug, f"{side}_knee", f"{side}_ankle")
            assert 0.8 < thigh / shin < 1.4, side
    # Standing height is about 7.5 heads; a head is about twice nose to neck.
    if slug != "seated":
        height = point(slug, "right_ankle")[1] - point(slug, head(slug))[1]
        assert 5.0 < height / distance(slug, head(slug), "neck") < 9.0


def test_the_close_up_frames_the_upper_body_only():
    assert framing(POSE_LIBRARY["upper-body-close-up"].keypoints) == "upper"
    assert {framing(POSE_LIBRARY[slug].keypoints) for slug in FULL_BODY} == {"full"}


def test_the_prompt_can_tell_which_way_a_pose_faces():
    assert view(POSE_LIBRARY["back-view"].keypoints) == "back"
    assert view(POSE_LIBRARY["side-profile"].keypoints) == "profile"
    assert view(POSE_LIBRARY["three-quarter-left"].keypoints) == "front"


def test_three_quarter_right_is_three_quarter_left_in_a_mirror():
    assert POSE_LIBRARY["three-quarter-right"].keypoints == mirror_pose(POSE_LIBRARY["three-quarter-left"].keypoints)


@pytest.mark.parametrize("slug", POSE_LIBRARY)
def test_mirroring_twice_gives_the_pose_back(slug):
    keypoints = POSE_LIBRARY[slug].keypoints

    twice = mirror_pose(mirror_pose(keypoints))

    assert [visible for _, _, visible in twice] == [visible for _, _, visible in keypoints]
    assert [c for x, y, _ in twice for c in (x, y)] == pytest.approx([c for x, y, _ in keypoints for c in (x, y)])


def test_a_mirrored_pose_swaps_sides_and_flips_across_the_middle():
    keypoints = POSE_LIBRARY["hand-in-pocket"].keypoints
    right_wrist, left_wrist = (OPENPOSE_KEYPOINTS.index(name) for name in ("right_wrist", "left_wrist"))

    mirrored = mirror_pose(keypoints)

    assert mirrored[right_wrist] == (1 - keypoints[left_wrist][0], keypoints[left_wrist][1], True)
    assert mirrored[0] == (1 - keypoints[0][0], keypoints[0][1], True)  # the nose stays the nose


@pytest.mark.parametrize(
    ("keypoints", "message"),
    [
        (((0.5, 0.5, True),) * 17, r"^pose\.keypoints: expected 18 OpenPose keypoints, got 17"),
        (
            ((0.5, 0.5, True),) * 17 + ((0.5, 1.5, True),),
            r"^pose\.keypoints\.left_ear: \(0\.5, 1\.5\) is outside 0\.\.1",
        ),
        (((0.5, 0.5, True),) * 17 + (("a", 0.5, True),), r"^pose\.keypoints\.left_ear: \('a', 0\.5, True\) is not"),
        (((0.5, 0.5),) * 18, r"^pose\.keypoints\.nose: \(0\.5, 0\.5\) is not \(x, y, visible\)"),
    ],
)
def test_a_pose_that_is_not_a_body_is_refused_by_name(keypoints, message):
    with pytest.raises(PickError, match=message):
        PosePick("broken", keypoints)
