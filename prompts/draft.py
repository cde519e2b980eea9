"""The instant draft of a try-on: each garment's cut-out warped onto the person by the pose, no diffusion.

The garment lands where prompts/masks.py says it goes (stage 2 inpaints there, so the two must agree):
its rows run down the body from the shoulders (or the waistband) to the hem, edge to edge across the
same widened outline, and its sleeves run down the arms. Forearms crossing the torso stay in front.
Deterministic, and a few milliseconds at 512 x 768.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from prompts.hems import UPPER, WAISTBAND, hem, needed_keypoints
from prompts.letterbox import POSE_CANVAS, fit, letterbox

# The try-on mask's own body geometry, private as it is: the draft must land exactly where stage 2 inpaints.
from prompts.masks import ARM_WIDTH, OUTLINE_WIDTH, SLEEVE_CAP, _along, _Body, _pixels
from prompts.picks import Keypoint
from prompts.vocabulary import GARMENT_CATEGORIES, LENGTHS_BY_CATEGORY, OPENPOSE_KEYPOINTS
from prompts.warp import Anatomy, read_anatomy, warp_part

# Outfit order, innermost first: a top's hem lies over the waistband, a jacket over everything.
LAYER_ORDER = {"bottom": 0, "dress": 1, "top": 2, "outerwear": 3}
FRONT_BREADTH = 0.78 + OUTLINE_WIDTH  # a front-facing body's width at the shoulders, outline included, per torso
ROWS_PER_HEIGHT = 5  # cross-sections per shoulder-to-hip height of garment
FOREARM = 0.2  # of the torso: the width of the arm drawn back over the garment
HAND = 0.12  # of the torso: how far past the wrist the hand reaches
WORKING_SIDE = 1024  # larger cut-outs are scaled down first: a draft garment is never bigger than this


class DraftError(ValueError):
    """Input the draft cannot be made from; the message starts with the field."""


@dataclass(frozen=True)
class DraftLayer:
    cutout: Image.Image  # RGBA: the garment on transparency (prompts.cutout.garment_cutout of the product photo)
    category: str  # "top" | "bottom" | "dress" | "outerwear"
    sleeves: bool = False  # the garment has sleeves that should follow the arms
    length: str = ""  # a LENGTHS value, or "" for the category's usual hem (prompts.hems)


@dataclass(frozen=True)
class Draft:
    image: Image.Image  # RGB width x height: the person with the garments on
    garment: Image.Image  # RGBA width x height: the warped garments alone, after occlusion
    garment_mask: Image.Image  # "L" width x height: 255 where any garment pixel lands


def compose_draft(
    person: Image.Image, layers: Sequence[DraftLayer], keypoints: Sequence[Keypoint], *, width: int, height: int
) -> Draft:
    """The garments warped onto `person` (letterboxed to width x height, as the pose canvas is)."""
    # 1. Check inputs, then put the layers in outfit order whatever order they came in.
    _check_inputs(person, layers, keypoints, width, height)
    ordered = sorted(enumerate(layers), key=lambda item: LAYER_ORDER[item[1].category])
    # 2. The body, on the same canvas as the skeleton and the try-on mask.
    box = fit(POSE_CANVAS, width, height)
    body = _Figure(keypoints, box)
    bounds = (box.left, box.top, box.left + box.width, box.top + box.height)
    front = body.forearms_in_front(width, height)
    canvas = np.zeros((height, width, 4), np.float32)  # premultiplied RGBA, 0..1
    covered = [height, width, 0, 0]  # the window the garments reach: outside it the person stays untouched
    # 3. Each layer's parts over the ones before; arms in front of the body are cut out of the body parts.
    for index, layer in ordered:
        rgba, anatomy = _prepare(layer, f"layers[{index}].cutout")
        for label, sections, targets in _placements(anatomy, layer, body):
            source, corner = _part(rgba, anatomy.labels, label)
            warped = warp_part(source, sections - corner, targets, bounds)
            if warped is None:
                continue
            patch, left, top = warped
            window = np.s_[top : top + patch.shape[0], left : left + patch.shape[1]]
            if (label == 1 or layer.category == "bottom") and front[window].any():  # a body or leg: behind forearms
                patch *= 1 - front[window][..., None]
            if layer.category in UPPER:
                patch[: max(0, body.neckline() - top)] = 0  # the face stays the photo's, as in the mask
            canvas[window] = cv2.add(patch, cv2.multiply(canvas[window], cv2.merge([1 - patch[..., 3]] * 4)))  # over
            ends = (top + patch.shape[0], left + patch.shape[1])
            covered = [min(covered[0], top), min(covered[1], left), max(covered[2], ends[0]), max(covered[3], ends[1])]
    # 4. Lay the garment over the person: where none lands, the person is untouched, to the last bit.
    image = np.array(letterbox(person if person.mode == "RGB" else person.convert("RGB"), width, height))
    garment = np.zeros((height, width, 4), np.uint8)
    window = np.s_[covered[0] : covered[2], covered[1] : covered[3]]
    premultiplied = canvas[window]
    premultiplied[premultiplied[..., 3] < 4 / 255] = 0  # specks of spline fringe: not worth a mask pixel
    alpha = premultiplied[..., 3:]
    image[window] = image[window] * (1 - alpha) + premultiplied[..., :3] * 255 + 0.5  # rounded as it is cast
    garment[window] = np.clip(np.dstack([premultiplied[..., :3] / np.maximum(alpha, 1e-6), alpha]), 0, 1) * 255 + 0.5
    return Draft(
        image=Image.fromarray(image, "RGB"),
        garment=Image.fromarray(garment, "RGBA"),
        garment_mask=Image.fromarray(np.where(garment[..., 3] > 0, 255, 0).astype(np.uint8), "L"),
    )


def _part(rgba: np.ndarray, labels: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
    """The part's pixels alone, premultiplied float RGBA, cropped to it; and the crop's corner (x, y)."""
    x, y, w, h = cv2.boundingRect((labels == label).astype(np.uint8))
    crop = rgba[y : y + h, x : x + w].astype(np.float32) / 255
    crop *= (labels[y : y + h, x : x + w] == label)[..., None]
    crop[..., :3] *= crop[..., 3:]  # premultiplied, so the photo's background never bleeds into the edges
    return crop, np.array([x, y], float)


def refine_mask(garment_mask: Image.Image, *, dilation: float = 0.02, feather: float = 0.01) -> Image.Image:
    """Mode "L": the draft's garment mask grown by dilation x width px and feathered by feather x width."""
    if not isinstance(garment_mask, Image.Image) or garment_mask.mode != "L":
        raise DraftError("garment_mask: expected an 'L' image (Draft.garment_mask)")
    for name, value in (("dilation", dilation), ("feather", feather)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 0.5:
            raise DraftError(f"{name}: {value!r} is not a fraction of the width between 0 and 0.5")
    mask = np.asarray(garment_mask)
    radius = round(dilation * garment_mask.width)
    if radius:
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)))
    sigma = feather * garment_mask.width
    if sigma > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), sigma)
    return Image.fromarray(mask, "L")


def _check_inputs(person, layers, keypoints, width, height) -> None:
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or isinstance(value, bool) or not 8 <= value <= 8192:
            raise DraftError(f"{name}: {value!r} is not a whole number of pixels from 8 to 8192")
    if not isinstance(person, Image.Image):
        raise DraftError(f"person: expected a PIL image, got {type(person).__name__}")
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) or not layers:
        raise DraftError("layers: expected at least one DraftLayer")
    for i, layer in enumerate(layers):
        if not isinstance(layer, DraftLayer):
            raise DraftError(f"layers[{i}]: expected a DraftLayer, got {type(layer).__name__}")
        if layer.category not in GARMENT_CATEGORIES:
            raise DraftError(f"layers[{i}].category: {layer.category!r} is not one of {', '.join(GARMENT_CATEGORIES)}")
        if layer.length and layer.length not in LENGTHS_BY_CATEGORY[layer.category]:
            lengths = ", ".join(LENGTHS_BY_CATEGORY[layer.category])
            raise DraftError(f"layers[{i}].length: {layer.length!r} does not fit a {layer.category}; one of {lengths}")
        if not isinstance(layer.sleeves, bool):
            raise DraftError(f"layers[{i}].sleeves: expected True or False, got {layer.sleeves!r}")
        if not isinstance(layer.cutout, Image.Image) or layer.cutout.mode != "RGBA":
            got = layer.cutout.mode if isinstance(layer.cutout, Image.Image) else type(layer.cutout).__name__
            raise DraftError(f"layers[{i}].cutout: expected an RGBA cut-out (prompts.cutout.garment_cutout), got {got}")
        if layer.cutout.getchannel("A").getextrema()[1] == 0:
            raise DraftError(f"layers[{i}].cutout: the alpha channel is empty, there is no garment to warp")
    if isinstance(keypoints, (str, bytes)) or not isinstance(keypoints, Sequence) or len(keypoints) != 18:
        count = len(keypoints) if isinstance(keypoints, Sequence) else type(keypoints).__name__
        raise DraftError(f"keypoints: expected {len(OPENPOSE_KEYPOINTS)} OpenPose keypoints, got {count}")
    for name, point in zip(OPENPOSE_KEYPOINTS, keypoints, strict=True):
        if not isinstance(point, Sequence) or len(point) != 3 or not all(_number(v) for v in point[:2]):
            raise DraftError(f"keypoints.{name}: {point!r} is not (x, y, visible)")
    visible = {name for name, point in zip(OPENPOSE_KEYPOINTS, keypoints, strict=True) if point[2]}
    categories = [layer.category for layer in layers]
    if not visible & set(needed_keypoints(categories)):
        upper = next((category for category in categories if category in UPPER), None)
        raise DraftError(
            f"keypoints: a {upper} needs the shoulders in frame"
            if upper
            else "keypoints: a bottom needs the hips in frame"
        )


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


def _prepare(layer: DraftLayer, field: str) -> tuple[np.ndarray, Anatomy]:
    rgba = np.asarray(layer.cutout)
    if max(rgba.shape[:2]) > WORKING_SIDE:
        factor = WORKING_SIDE / max(rgba.shape[:2])
        size = (max(1, round(rgba.shape[1] * factor)), max(1, round(rgba.shape[0] * factor)))
        rgba = cv2.resize(rgba, size, interpolation=cv2.INTER_AREA)
    try:
        anatomy = read_anatomy(rgba[..., 3], layer.category)
    except ValueError as error:
        raise DraftError(f"{field}: {error}") from None
    return rgba, anatomy


def _placements(anatomy: Anatomy, layer: DraftLayer, body: "_Figure"):
    """(label, cut-out cross-sections, body cross-sections) for each part of the layer's garment."""
    bottom = hem([layer.category], layer.length)
    start = WAISTBAND if layer.category == "bottom" else 0.0
    count = max(4, round(ROWS_PER_HEIGHT * (bottom - start)) + 1)
    for band in anatomy.bands:
        rows = np.linspace(band.top, band.bottom, count)
        heights = start + (rows - band.top) / max(band.bottom - band.top, 1.0) * (bottom - start)
        sections = np.array([band.section(row) for row in rows])
        if band.crotch is None:
            targets = body.band(heights)
        else:
            targets = body.leg("right" if band.label == 1 else "left", heights, rows < band.crotch)
        yield band.label, sections, targets
    scale = FRONT_BREADTH * body.torso / anatomy.width  # body pixels per cut-out pixel
    for sleeve in anatomy.sleeves:
        targets = body.sleeve(sleeve.side, body.outline / 2 + sleeve.length * scale, layer.sleeves)
        if targets is not None:
            yield sleeve.label, sleeve.sections, targets


class _Figure(_Body):
    """prompts/masks.py's body, read as cross-sections: the garment's edges land on the mask's edges."""

    def __init__(self, keypoints, box):
        super().__init__(keypoints, box)
        self.half = self.outline / 2  # the mask's outline stroke reaches this far beyond the joint centres
        self.arm = _pixels(ARM_WIDTH * self.torso)

    def edge(self, side: str, height: float, outwards: float) -> np.ndarray:
        """The point `outwards` px beyond the chain `side` at `height`, across the chain."""
        chain, other = (self.right, self.left) if side == "right" else (self.left, self.right)
        joint = min(int(height), 2)
        down = chain[joint + 1] - chain[joint]
        down = down / max(float(np.linalg.norm(down)), 1e-6)
        normal = np.array([-down[1], down[0]]) * (1 if side == "right" else -1)  # image-left for a right side
        apart = _along(chain, height) - _along(other, height)
        distance = float(np.linalg.norm(apart))
        if distance > 4:
            # Straight across the body where the sides are apart: a bent hip or knee (seated) must not tip
            # the rows over each other and fold the garment.
            normal = normal if normal @ apart >= 0 else -normal
            trust = min(1.0, distance / max(self.outline, 1))
            normal = trust * apart / distance + (1 - trust) * normal
            normal /= max(float(np.linalg.norm(normal)), 1e-6)
        return _along(chain, height) + normal * outwards

    def band(self, heights: np.ndarray) -> np.ndarray:
        targets = np.array([[self.edge("right", h, self.half), self.edge("left", h, self.half)] for h in heights])
        return self._ends(targets, heights)

    def leg(self, side: str, heights: np.ndarray, above_crotch: np.ndarray) -> np.ndarray:
        """One trouser leg: its outer edge on the mask's outline, its inner edge at the crotch's middle
        above the crotch and beside the leg below it (never past the middle, so legs side by side meet)."""
        targets = []
        for h, joined in zip(heights, above_crotch, strict=True):
            middle = (_along(self.right, h) + _along(self.left, h)) / 2
            apart = float(np.linalg.norm(_along(self.right, h) - _along(self.left, h))) / 2
            inner = middle if joined else self.edge(side, h, -min(self.half, apart))
            outer = self.edge(side, h, self.half)
            targets.append([outer, inner] if side == "right" else [inner, outer])
        return self._ends(np.array(targets), heights)

    def _ends(self, targets: np.ndarray, heights: np.ndarray) -> np.ndarray:
        """The first row rises to the collar (as high as the mask's neckline) and the hem drops by half the
        outline's round end, as the mask's outline reaches past its last joints."""
        middle = (targets[:, 0] + targets[:, 1]) / 2
        up = middle[0] - middle[1]
        up /= max(float(np.linalg.norm(up)), 1e-6)
        if heights[0] == 0.0:
            rise = min(self.half, max(0.0, middle[0][1] - self.neckline())) if self.neckline() else self.half
        else:
            rise = self.half / 2
        targets[0] += up * rise
        targets[-1] -= up * self.half / 2
        return targets

    def sleeve(self, side: str, length: float, follows: bool) -> np.ndarray | None:
        """Cross-sections down the arm, `length` px from the shoulder (a cap only, unless it follows the arm)."""
        shoulder, elbow, wrist = (self.at(f"{side}_{joint}") for joint in ("shoulder", "elbow", "wrist"))
        if shoulder is None or elbow is None:
            return None  # the arm is hidden: so is its sleeve
        wrist = wrist if wrist is not None else elbow + (elbow - shoulder) * 0.9
        path = np.array([shoulder, elbow, wrist])
        steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
        reach = np.concatenate([[0.0], np.cumsum(steps)])
        length = min(length, reach[-1]) if follows else min(length, SLEEVE_CAP * steps[0])

        def at(distance):
            distance = np.clip(distance, 0.0, reach[-1])
            return np.array([np.interp(distance, reach, path[:, axis]) for axis in (0, 1)])

        sections = []
        for distance in np.linspace(0.0, length, 5):
            down = at(distance + self.arm / 2) - at(distance - self.arm / 2)  # smoothed round the elbow
            down /= max(float(np.linalg.norm(down)), 1e-6)
            across = np.array([down[1], -down[0]])
            middle = at(distance)
            sections.append([middle - across * self.arm / 2, middle + across * self.arm / 2])
        return np.array(sections)

    def forearms_in_front(self, width: int, height: int) -> np.ndarray:
        """0..1 per pixel: forearms whose wrist lies on the torso, so are in front of the garment."""
        front = np.zeros((height, width), np.uint8)
        torso = np.round([self.right[0], self.left[0], self.left[1], self.right[1]]).astype(np.float32)
        for side in ("right", "left"):
            elbow, wrist = self.at(f"{side}_elbow"), self.at(f"{side}_wrist")
            if elbow is None or wrist is None or cv2.pointPolygonTest(torso, tuple(map(float, wrist)), False) < 0:
                continue
            hand = wrist + (wrist - elbow) / max(float(np.linalg.norm(wrist - elbow)), 1e-6) * HAND * self.torso
            ends = [tuple(int(v) for v in np.round(p)) for p in (elbow, wrist, hand)]
            cv2.polylines(front, [np.array(ends, np.int32)], False, 1, _pixels(FOREARM * self.torso))
        return front.astype(np.float32)
