"""ControlNet conditioning images: OpenPose skeletons, canny edge maps, and pose thumbnails.

`render_openpose` draws exactly what `controlnet_aux.open_pose.draw_poses` draws for a body (no hands,
no face): the openpose ControlNets were trained on that drawing, so any drift in limb order, colour or
width is drift in the conditioning. We re-implement it rather than import controlnet_aux, which pulls
in torch; tests/prompts/test_openpose_drawing.py checks pixel identity against the real thing.
"""

import math
from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from prompts.letterbox import POSE_CANVAS, fit, letterbox
from prompts.picks import Keypoint, PosePick
from prompts.vocabulary import OPENPOSE_KEYPOINTS

# Limbs as 1-based OpenPose-18 indices, in controlnet_aux's drawing order (later limbs paint over earlier).
LIMB_SEQUENCE = (
    (2, 3), (2, 6), (3, 4), (4, 5),
    (6, 7), (7, 8), (2, 9), (9, 10),
    (10, 11), (2, 12), (12, 13), (13, 14),
    (2, 1), (1, 15), (15, 17), (1, 16),
    (16, 18),
)  # fmt: skip

# RGB. Limb i is drawn in COLOURS[i] at 60 % brightness, keypoint i in COLOURS[i].
COLOURS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip

STICK_WIDTH = 4
CIRCLE_RADIUS = 4


def render_openpose(keypoints: Sequence[Keypoint], *, width: int, height: int) -> Image.Image:
    """The OpenPose body drawing of `keypoints` on a black RGB canvas of width x height."""
    if len(keypoints) != len(OPENPOSE_KEYPOINTS):
        raise ValueError(f"keypoints: expected {len(OPENPOSE_KEYPOINTS)} OpenPose keypoints, got {len(keypoints)}")
    if width < 1 or height < 1:
        raise ValueError(f"size: {width}x{height} must be at least 1x1")
    points = [(float(x), float(y)) if visible else None for x, y, visible in keypoints]
    canvas = np.zeros((height, width, 3), dtype=np.uint8)

    for (first, second), colour in zip(LIMB_SEQUENCE, COLOURS[: len(LIMB_SEQUENCE)], strict=True):
        start, end = points[first - 1], points[second - 1]
        if start is None or end is None:
            continue
        # The same numpy float64 expressions as controlnet_aux, so every int() truncates identically.
        xs = np.array([start[0], end[0]]) * float(width)
        ys = np.array([start[1], end[1]]) * float(height)
        centre_x, centre_y = np.mean(xs), np.mean(ys)
        length = ((ys[0] - ys[1]) ** 2 + (xs[0] - xs[1]) ** 2) ** 0.5
        angle = math.degrees(math.atan2(ys[0] - ys[1], xs[0] - xs[1]))
        polygon = cv2.ellipse2Poly(
            (int(centre_x), int(centre_y)), (int(length / 2), STICK_WIDTH), int(angle), 0, 360, 1
        )
        cv2.fillConvexPoly(canvas, polygon, [int(float(c) * 0.6) for c in colour])

    for point, colour in zip(points, COLOURS, strict=True):
        if point is None:
            continue
        centre = (int(point[0] * width), int(point[1] * height))
        cv2.circle(canvas, centre, CIRCLE_RADIUS, list(colour), thickness=-1)

    return Image.fromarray(canvas)


def render_pose(keypoints: Sequence[Keypoint], *, width: int, height: int) -> Image.Image:
    """The skeleton at the pose canvas's 2:3 aspect, letterboxed into width x height.

    At 2:3 itself this is `render_openpose` exactly; elsewhere the body keeps its proportions and
    black bars (no conditioning) fill the rest.
    """
    box = fit(POSE_CANVAS, width, height)
    drawing = render_openpose(keypoints, width=box.width, height=box.height)
    if drawing.size == (width, height):
        return drawing
    canvas = Image.new("RGB", (width, height))
    canvas.paste(drawing, (box.left, box.top))
    return canvas


def render_canny(image: Image.Image, *, width: int, height: int, low: int, high: int) -> Image.Image:
    """Canny edges of `image`, letterboxed into width x height, white on black in 3 channels.

    Edges are found after scaling, so lines stay one pixel wide at the plan's size, as in the
    diffusers canny examples the ControlNets were trained on. A cut-out's transparent background
    counts as white, so the garment's outline is an edge whatever its colour.
    """
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    box = fit(image.size, width, height)
    grey = np.asarray(image.convert("L").resize((box.width, box.height), Image.Resampling.LANCZOS))
    edges = np.zeros((height, width), dtype=np.uint8)
    edges[box.top : box.top + box.height, box.left : box.left + box.width] = cv2.Canny(grey, low, high)
    return Image.fromarray(np.stack([edges] * 3, axis=-1))


THUMBNAIL_SCALE = 2  # drawn twice as large, then scaled down: smooth lines, still bold at a picker's size


def render_pose_thumbnail(pose: PosePick | Sequence[Keypoint], size: tuple[int, int] = (128, 192)) -> Image.Image:
    """A small RGB picture of the pose's skeleton for the admin and shop pickers, letterboxed into `size`."""
    keypoints = pose.keypoints if isinstance(pose, PosePick) else pose
    width, height = size
    large = render_pose(keypoints, width=width * THUMBNAIL_SCALE, height=height * THUMBNAIL_SCALE)
    return letterbox(large, width, height)
