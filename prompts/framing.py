"""What a pose puts in the frame, read from which keypoints are visible.

The prompt should agree with the ControlNet drawing: asking for a "full-body" photo with a pose whose
ankles are out of frame makes the model fight the conditioning.
"""

import math
from collections.abc import Sequence

from prompts.picks import Keypoint
from prompts.vocabulary import OPENPOSE_KEYPOINTS

_INDEX = {name: i for i, name in enumerate(OPENPOSE_KEYPOINTS)}


def _visible(keypoints: Sequence[Keypoint], *names: str) -> list[bool]:
    return [bool(keypoints[_INDEX[name]][2]) for name in names]


def framing(keypoints: Sequence[Keypoint]) -> str:
    """The lowest body part in frame: "full" (ankles), "knees", "waist" (hips), "upper" (elbows) or "head"."""
    for framing_name, parts in (
        ("full", ("right_ankle", "left_ankle")),
        ("knees", ("right_knee", "left_knee")),
        ("waist", ("right_hip", "left_hip")),
        ("upper", ("right_elbow", "left_elbow")),
    ):
        if any(_visible(keypoints, *parts)):
            return framing_name
    return "head"


def view(keypoints: Sequence[Keypoint]) -> str:
    """Which way the person faces: "back" (head in frame, no facial feature), "profile" (one eye) or "front"."""
    nose, right_eye, left_eye = _visible(keypoints, "nose", "right_eye", "left_eye")
    if not (nose or right_eye or left_eye):
        return "back" if any(_visible(keypoints, "neck", "right_ear", "left_ear")) else "front"
    if right_eye != left_eye:
        return "profile"
    return "front"


# framing -> (width, height) aspect a photographer would crop to: tall for the whole body, squarer closer in.
ASPECTS = {"full": (2, 3), "knees": (3, 4), "waist": (4, 5), "upper": (4, 5), "head": (4, 5)}


def plan_size(shot: str, base_width: int, base_height: int) -> tuple[int, int]:
    """(width, height) with exactly the aspect of `shot` (a `framing` result), both multiples of 8, and
    within a few per cent of the pixel count of base_width x base_height, the size a preset is made for.

    Exact, so no letterbox bars appear where none are needed: 512 x 768 stays 512 x 768 for "full".
    """
    if shot not in ASPECTS:
        raise ValueError(f"framing: {shot!r} is not one of {', '.join(ASPECTS)}")
    aspect_width, aspect_height = ASPECTS[shot]
    unit = math.sqrt(base_width * base_height / (aspect_width * aspect_height))
    smallest = math.ceil(64 / aspect_width / 8) * 8  # a plan is at least 64 pixels wide
    unit = max(smallest, int(unit / 8 + 0.5) * 8)  # a multiple of 8, so both sides are too
    return aspect_width * unit, aspect_height * unit
