"""Default poses every merchant starts with, authored as OpenPose-18 keypoints.

Authored in pixels on a 512 x 768 portrait canvas (2:3, the shape of a catalogue shot) and stored
normalised, so they fit any 2:3 render size. Proportions follow the usual 7.5-heads figure (a head is
about 87 px here): shoulders 1.5 heads down, hips at 3.8, knees at 5.7, ankles at 7.2. "Right" is the
person's right, so a person facing the camera has their right shoulder on the image's left.
"""

from collections.abc import Sequence

from prompts.picks import Keypoint, PosePick
from prompts.vocabulary import OPENPOSE_KEYPOINTS

REFERENCE_WIDTH = 512
REFERENCE_HEIGHT = 768
HIDDEN: Keypoint = (0.0, 0.0, False)  # out of frame or occluded; controlnet_aux draws nothing for it


def mirror_pose(keypoints: Sequence[Keypoint]) -> tuple[Keypoint, ...]:
    """The pose reflected left to right: x -> 1 - x, and every right_* keypoint swapped with its left_*."""
    by_name = dict(zip(OPENPOSE_KEYPOINTS, keypoints, strict=True))

    def opposite(name: str) -> str:
        if name.startswith("right_"):
            return "left_" + name.removeprefix("right_")
        if name.startswith("left_"):
            return "right_" + name.removeprefix("left_")
        return name

    return tuple((1.0 - x, y, visible) for x, y, visible in (by_name[opposite(name)] for name in OPENPOSE_KEYPOINTS))


def _pose(name: str, **pixels: tuple[int, int]) -> PosePick:
    """A PosePick from pixel positions on the reference canvas; keypoints not given are hidden."""
    unknown = set(pixels) - set(OPENPOSE_KEYPOINTS)
    if unknown:
        raise ValueError(f"{name}: unknown keypoints {sorted(unknown)}")
    return PosePick(
        name=name,
        keypoints=tuple(
            (pixels[part][0] / REFERENCE_WIDTH, pixels[part][1] / REFERENCE_HEIGHT, True) if part in pixels else HIDDEN
            for part in OPENPOSE_KEYPOINTS
        ),
    )


def _hide(pose: PosePick, *parts: str) -> PosePick:
    hidden = {OPENPOSE_KEYPOINTS.index(part) for part in parts}
    return PosePick(pose.name, tuple(HIDDEN if i in hidden else point for i, point in enumerate(pose.keypoints)))


# Shared by the front-facing poses: a head on a neck between the shoulders.
_FACE = {
    "nose": (256, 130),
    "right_eye": (244, 116),
    "left_eye": (268, 116),
    "right_ear": (228, 124),
    "left_ear": (284, 124),
}
_SHOULDERS = {"neck": (256, 202), "right_shoulder": (178, 202), "left_shoulder": (334, 202)}
_LEGS = {
    "right_hip": (212, 402),
    "right_knee": (216, 562),
    "right_ankle": (220, 700),
    "left_hip": (300, 402),
    "left_knee": (296, 562),
    "left_ankle": (292, 700),
}

FRONT_STANDING = _pose(
    "Standing, facing camera",
    **_FACE,
    **_SHOULDERS,
    **_LEGS,
    right_elbow=(166, 318),
    right_wrist=(160, 428),
    left_elbow=(346, 318),
    left_wrist=(352, 428),
)

# Turned 45 degrees to their left: the right side comes towards the camera, the left ear goes out of sight
# and the shoulders look narrower.
THREE_QUARTER_LEFT = _pose(
    "Three-quarter turn left",
    nose=(270, 132),
    right_eye=(258, 116),
    left_eye=(280, 117),
    right_ear=(234, 124),
    neck=(253, 203),
    right_shoulder=(196, 206),
    right_elbow=(186, 322),
    right_wrist=(184, 432),
    left_shoulder=(310, 200),
    left_elbow=(322, 312),
    left_wrist=(326, 418),
    right_hip=(222, 404),
    right_knee=(224, 562),
    right_ankle=(226, 700),
    left_hip=(286, 400),
    left_knee=(292, 558),
    left_ankle=(300, 694),
)

THREE_QUARTER_RIGHT = PosePick("Three-quarter turn right", mirror_pose(THREE_QUARTER_LEFT.keypoints))

# Towards the camera: right foot forward (lower in frame), left heel lifted behind, arms swinging opposite.
WALKING = _pose(
    "Walking",
    **_FACE,
    **_SHOULDERS,
    right_elbow=(170, 318),
    right_wrist=(176, 426),
    left_elbow=(348, 312),
    left_wrist=(332, 404),
    right_hip=(214, 402),
    right_knee=(210, 566),
    right_ankle=(206, 712),
    left_hip=(298, 400),
    left_knee=(304, 560),
    left_ankle=(310, 678),
)

HANDS_ON_HIPS = _pose(
    "Hands on hips",
    **_FACE,
    **_SHOULDERS,
    right_elbow=(122, 300),
    right_wrist=(204, 372),
    left_elbow=(390, 300),
    left_wrist=(308, 372),
    right_hip=(212, 402),
    right_knee=(208, 562),
    right_ankle=(204, 700),
    left_hip=(300, 402),
    left_knee=(304, 562),
    left_ankle=(308, 700),
)

ARMS_CROSSED = _pose(
    "Arms crossed",
    **_FACE,
    **_SHOULDERS,
    **_LEGS,
    right_elbow=(184, 318),
    right_wrist=(292, 290),
    left_elbow=(328, 318),
    left_wrist=(220, 292),
)

# On a stool, seen from the front: thighs come towards the camera, so knees sit just below the hips.
SEATED = _pose(
    "Seated on a stool",
    nose=(256, 210),
    right_eye=(244, 196),
    left_eye=(268, 196),
    right_ear=(228, 204),
    left_ear=(284, 204),
    neck=(256, 284),
    right_shoulder=(178, 284),
    right_elbow=(168, 398),
    right_wrist=(206, 500),
    left_shoulder=(334, 284),
    left_elbow=(344, 398),
    left_wrist=(306, 500),
    right_hip=(212, 482),
    right_knee=(190, 526),
    right_ankle=(196, 668),
    left_hip=(300, 482),
    left_knee=(322, 526),
    left_ankle=(316, 668),
)

# Facing the image's right, so the person's right side faces the camera and the left arm is hidden.
SIDE_PROFILE = _pose(
    "Side profile",
    nose=(290, 132),
    right_eye=(276, 118),
    right_ear=(248, 124),
    neck=(258, 202),
    right_shoulder=(252, 206),
    right_elbow=(250, 320),
    right_wrist=(262, 430),
    right_hip=(252, 402),
    right_knee=(250, 562),
    right_ankle=(232, 700),
    left_hip=(258, 400),
    left_knee=(276, 558),
    left_ankle=(290, 698),
)

# The front pose turned half a circle: every part moves across the middle but keeps its label, so the
# person's right is now on the image's right (a mirror would swap labels too, and face the camera again).
BACK_VIEW = _hide(
    PosePick("Back view", tuple((1.0 - x, y, visible) for x, y, visible in FRONT_STANDING.keypoints)),
    "nose",
    "right_eye",
    "left_eye",
)

# Weight on the right leg, left foot crossed in front, shoulders and head tilted.
LEANING = _pose(
    "Leaning, legs crossed",
    nose=(250, 134),
    right_eye=(238, 120),
    left_eye=(262, 118),
    right_ear=(222, 128),
    left_ear=(278, 124),
    neck=(250, 204),
    right_shoulder=(172, 210),
    right_elbow=(160, 326),
    right_wrist=(164, 434),
    left_shoulder=(328, 198),
    left_elbow=(340, 314),
    left_wrist=(322, 410),
    right_hip=(208, 404),
    right_knee=(204, 564),
    right_ankle=(200, 702),
    left_hip=(294, 398),
    left_knee=(274, 556),
    left_ankle=(226, 688),
)

HAND_IN_POCKET = _pose(
    "Hand in pocket",
    **_FACE,
    **_SHOULDERS,
    **_LEGS,
    right_elbow=(166, 318),
    right_wrist=(160, 428),
    left_elbow=(356, 316),
    left_wrist=(318, 398),
)

# The front pose at 2.2x, from just above the head to mid-torso: wrists and hips fall out of frame.
UPPER_BODY_CLOSE_UP = _pose(
    "Upper-body close-up",
    nose=(256, 175),
    right_eye=(230, 145),
    left_eye=(282, 145),
    right_ear=(194, 162),
    left_ear=(318, 162),
    neck=(256, 334),
    right_shoulder=(84, 334),
    left_shoulder=(428, 334),
    right_elbow=(58, 591),
    left_elbow=(454, 591),
)

POSE_LIBRARY: dict[str, PosePick] = {
    "front-standing": FRONT_STANDING,
    "three-quarter-left": THREE_QUARTER_LEFT,
    "three-quarter-right": THREE_QUARTER_RIGHT,
    "walking": WALKING,
    "hands-on-hips": HANDS_ON_HIPS,
    "arms-crossed": ARMS_CROSSED,
    "seated": SEATED,
    "side-profile": SIDE_PROFILE,
    "back-view": BACK_VIEW,
    "leaning": LEANING,
    "hand-in-pocket": HAND_IN_POCKET,
    "upper-body-close-up": UPPER_BODY_CLOSE_UP,
}
