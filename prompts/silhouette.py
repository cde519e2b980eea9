"""A neutral mannequin drawn from a pose: the person to show a draft on when no photo is given.

Torso, limbs as capsules and a head, in one soft tone shaded darker towards each part's edges, so a
forearm across the chest still reads as an arm. Drawn on the letterboxed 2:3 pose canvas like the
skeleton and the try-on mask, on the scene's picture (cover-fitted) or a flat light colour.
"""

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image, ImageColor, ImageOps

from prompts.letterbox import POSE_CANVAS, fit
from prompts.masks import _Body  # the same body geometry as the try-on mask: hidden joints handled alike
from prompts.picks import Keypoint

SKIN = (214, 203, 190)  # a neutral, greyish beige: no skin tone is implied
SHADE = 0.28  # how much darker a part's edge is than its middle
# Widths as fractions of the torso (mid-shoulder to mid-hip), as in prompts/masks.py.
UPPER_ARM, FOREARM, THIGH, SHIN, NECK = 0.2, 0.16, 0.3, 0.2, 0.2
HEAD = (0.26, 0.34)  # half-width and half-height of the head


def silhouette(
    keypoints: Sequence[Keypoint],
    *,
    width: int,
    height: int,
    background: Image.Image | None = None,
    colour: str = "#eeeeee",
) -> Image.Image:
    """RGB width x height: the mannequin in the pose, on `background` or on `colour`."""
    box = fit(POSE_CANVAS, width, height)
    body = _Body(keypoints, box)
    if background is not None:
        scene = ImageOps.fit(background.convert("RGB"), (width, height), Image.Resampling.LANCZOS)
    else:
        scene = Image.new("RGB", (width, height), ImageColor.getrgb(colour))
    canvas = np.asarray(scene).astype(np.float32)
    # Back to front: legs, torso, head, then the arms, which may cross the chest.
    for part in (*_legs(body), _torso(body), *_head(body), *_arms(body)):
        _paint(canvas, part, body.torso)
    return Image.fromarray(np.round(canvas).astype(np.uint8), "RGB")


def _legs(body: _Body):
    for chain in (body.right, body.left):
        yield [("line", chain[1], chain[2], THIGH), ("line", chain[2], chain[3], SHIN)]


def _torso(body: _Body):
    corners = [body.right[0], body.left[0], body.left[1], body.right[1]]
    outline = body.outline / body.torso  # a profile's torso is as deep as the mask's outline says
    return [
        ("polygon", corners),
        *(("line", a, b, outline) for a, b in zip(corners, corners[1:] + corners[:1], strict=True)),
    ]


def _head(body: _Body):
    neck = body.neck if body.neck is not None else (body.right[0] + body.left[0]) / 2
    face = [body.at(name) for name in ("nose", "right_ear", "left_ear", "right_eye", "left_eye")]
    face = [point for point in face if point is not None]
    if not face:
        return
    centre = np.mean(face, axis=0)
    yield [("line", neck, centre, NECK), ("head", centre)]


def _arms(body: _Body):
    for side in ("right", "left"):
        shoulder, elbow, wrist = (body.at(f"{side}_{joint}") for joint in ("shoulder", "elbow", "wrist"))
        if shoulder is None or elbow is None:
            continue
        segments = [("line", shoulder, elbow, UPPER_ARM)]
        if wrist is not None:
            segments.append(("line", elbow, wrist, FOREARM))
        yield segments


def _paint(canvas: np.ndarray, shapes, torso: float) -> None:
    """One body part, filled and shaded by its distance from its own edge."""
    mask = np.zeros(canvas.shape[:2], np.uint8)
    for shape in shapes:
        if shape[0] == "polygon":
            cv2.fillConvexPoly(mask, np.round(shape[1]).astype(np.int32), 255)
        elif shape[0] == "head":
            axes = (max(2, round(HEAD[0] * torso)), max(2, round(HEAD[1] * torso)))
            cv2.ellipse(mask, _point(shape[1]), axes, 0, 0, 360, 255, -1)
        else:
            _, start, end, thickness = shape
            cv2.line(mask, _point(start), _point(end), 255, max(3, round(thickness * torso)))
    x, y, w, h = cv2.boundingRect(mask)
    if not w or not h:
        return
    window = np.s_[max(0, y - 2) : y + h + 2, max(0, x - 2) : x + w + 2]  # the part alone: a fraction of the frame
    mask = mask[window]
    depth = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    light = 1.0 - SHADE * (1.0 - np.clip(depth / max(float(depth.max()), 1.0), 0.0, 1.0)) ** 2
    alpha = cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32)[..., None] / 255  # soft, not jagged, edges
    tone = light[..., None] * np.array(SKIN, np.float32)
    canvas[window] = canvas[window] * (1 - alpha) + tone * alpha


def _point(point) -> tuple[int, int]:
    return round(float(point[0])), round(float(point[1]))
