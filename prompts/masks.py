"""Try-on inpainting masks: where on the fashion model's photo the new garments are painted.

Drawn from the pose's keypoints on the same letterboxed 2:3 canvas as the OpenPose skeleton, so mask,
skeleton and photo line up. A garment covers a band of the body between two heights, measured along
each side of the body as shoulder 0, hip 1, knee 2, ankle 3 (prompts/hems.py); its outline is widened by about a limb's
width, because keypoints mark joint centres and cloth lies outside them, then dilated by `dilation`.
"""

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from prompts.hems import HEMS, LOWER, UPPER, WAISTBAND, hem
from prompts.letterbox import POSE_CANVAS, Box, fit
from prompts.picks import Keypoint
from prompts.vocabulary import OPENPOSE_KEYPOINTS

_INDEX = {name: i for i, name in enumerate(OPENPOSE_KEYPOINTS)}

# Widths as fractions of the torso (mid-shoulder to mid-hip), the one length every pose shows.
OUTLINE_WIDTH = 0.32  # total stroke along each side: half of it lies outside the joint centres
PROFILE_DEPTH = 0.6  # a body seen side-on is this thick, though its shoulders coincide
ARM_WIDTH = 0.26
NECKLINE_RISE = 0.08  # a collar stands this far above the shoulder line
SLEEVE_CAP = 0.35  # without sleeves, the shoulder seam still covers this much of the upper arm


def draw_mask(
    categories: Sequence[str],
    keypoints: Sequence[Keypoint],
    *,
    sleeves: bool,
    dilation: float,
    length: str,
    width: int,
    height: int,
) -> Image.Image:
    """Mode "L", 255 where the garments go; nothing outside the letterboxed pose canvas."""
    box = fit(POSE_CANVAS, width, height)
    body = _Body(keypoints, box)
    mask = np.zeros((height, width), dtype=np.uint8)
    bottom = hem(categories, length)
    if set(categories) & UPPER:
        body.band(mask, 0.0, min(bottom, HEMS["hip"]))
        body.collar(mask)
        mask[: body.neckline()] = 0  # the outline's round ends must not reach the chin: the face stays the photo's
        body.arms(mask, sleeves=sleeves)
    if set(categories) & LOWER or bottom > HEMS["hip"]:  # longer than the hips: on down the legs
        body.band(mask, WAISTBAND if set(categories) & LOWER else 1.0, bottom)
    radius = round(dilation * width)
    if radius:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        mask = cv2.dilate(mask, kernel)
    # Only the picture: letterbox bars are no part of the photo, and painting them would show.
    inside = np.zeros_like(mask)
    inside[box.top : box.top + box.height, box.left : box.left + box.width] = 1
    return Image.fromarray(mask * inside)


class _Body:
    """Each side of the body as a chain shoulder -> hip -> knee -> ankle, in canvas pixels.

    A hidden point is taken from the other side, or else continued from the points above it, so a
    close-up's torso runs on out of frame rather than stopping at the last visible joint.
    """

    def __init__(self, keypoints: Sequence[Keypoint], box: Box):
        def at(name: str):
            x, y, visible = keypoints[_INDEX[name]]
            return np.array(box.point(x, y)) if visible else None

        self.at = at
        right = [at(f"right_{joint}") for joint in ("shoulder", "hip", "knee", "ankle")]
        left = [at(f"left_{joint}") for joint in ("shoulder", "hip", "knee", "ankle")]
        for joint in range(4):  # a profile shows one side: the hidden one is behind it
            right[joint] = right[joint] if right[joint] is not None else left[joint]
            left[joint] = left[joint] if left[joint] is not None else right[joint]
        neck = at("neck")
        span = _span(right[0], left[0], at("nose"), neck, right[1], left[1], box)
        down = np.array([0.0, 1.0])
        for chain in (right, left):
            if chain[0] is None:  # shoulders hidden: the neck, or above the hips (a bottom alone)
                chain[0] = neck if neck is not None else chain[1] - down * span * 1.3
            if chain[1] is None:
                chain[1] = chain[0] + down * span * 1.3
            if chain[2] is None:
                chain[2] = chain[1] + (chain[1] - chain[0]) * 0.8
            if chain[3] is None:
                chain[3] = chain[2] + (chain[2] - chain[1]) * 0.87
        self.right, self.left, self.neck = right, left, neck
        self.torso = max(float(np.linalg.norm((right[1] + left[1]) / 2 - (right[0] + left[0]) / 2)), 8.0)
        shoulders = float(np.linalg.norm(right[0] - left[0]))
        self.outline = _pixels(max(OUTLINE_WIDTH * self.torso, PROFILE_DEPTH * self.torso - shoulders))

    def band(self, mask: np.ndarray, top: float, bottom: float) -> None:
        heights = [top, *(float(joint) for joint in range(1, 4) if top < joint < bottom), bottom]
        right = [_along(self.right, t) for t in heights]
        left = [_along(self.left, t) for t in heights]
        for i in range(len(heights) - 1):  # triangles: always convex, so crossed legs leave no holes
            _fill(mask, right[i], right[i + 1], left[i + 1])
            _fill(mask, right[i], left[i + 1], left[i])
        for chain in (right, left):
            cv2.polylines(mask, [np.round(chain).astype(np.int32)], False, 255, self.outline)

    def neckline(self) -> int:
        """The highest row the torso may cover: a little above the neck and shoulders, well below the chin.

        Only for a body standing the right way up: one lying or upside down keeps its whole outline.
        """
        tops = [self.right[0][1], self.left[0][1], *([self.neck[1]] if self.neck is not None else [])]
        row = int(min(tops) - NECKLINE_RISE * self.torso)
        return max(0, row) if min(self.right[1][1], self.left[1][1]) > row else 0

    def collar(self, mask: np.ndarray) -> None:
        neck = self.neck if self.neck is not None else (self.right[0] + self.left[0]) / 2
        _fill(mask, self.right[0], self.left[0], neck)
        cv2.circle(mask, tuple(int(c) for c in np.round(neck)), self.outline // 2, 255, -1)

    def arms(self, mask: np.ndarray, *, sleeves: bool) -> None:
        for side in ("right", "left"):
            shoulder, elbow, wrist = (self.at(f"{side}_{joint}") for joint in ("shoulder", "elbow", "wrist"))
            if shoulder is None or elbow is None:
                continue
            if not sleeves:
                arm = [shoulder, shoulder + (elbow - shoulder) * SLEEVE_CAP]
            else:  # a hidden wrist is out of frame or behind the body: the sleeve runs on the forearm's way
                arm = [shoulder, elbow, wrist if wrist is not None else elbow + (elbow - shoulder) * 0.9]
            cv2.polylines(mask, [np.round(arm).astype(np.int32)], False, 255, _pixels(ARM_WIDTH * self.torso))


def _span(right_shoulder, left_shoulder, nose, neck, right_hip, left_hip, box: Box) -> float:
    """A torso-sized length for continuing hidden joints: from the shoulders, the head or the hips."""
    if right_shoulder is not None and left_shoulder is not None and abs(right_shoulder[0] - left_shoulder[0]) > 4:
        return float(np.linalg.norm(right_shoulder - left_shoulder))
    if nose is not None and neck is not None:
        return 1.7 * float(np.linalg.norm(nose - neck))
    if right_hip is not None and left_hip is not None and abs(right_hip[0] - left_hip[0]) > 4:
        return 1.75 * float(np.linalg.norm(right_hip - left_hip))
    return 0.2 * box.height


def _along(chain: list, t: float) -> np.ndarray:
    joint = min(int(t), 2)  # past the ankle, the shin continues (floor-length)
    return chain[joint] + (t - joint) * (chain[joint + 1] - chain[joint])


def _fill(mask: np.ndarray, *corners) -> None:
    cv2.fillConvexPoly(mask, np.round(corners).astype(np.int32), 255)


def _pixels(width: float) -> int:
    return max(3, round(width))
