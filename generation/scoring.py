"""Fidelity scores: how faithfully a render shows the garment it was asked to show, measured without a GPU.

The reference is the warped garment (prompts.draft's RGBA: alpha is where the garment should appear) at
the render's size. Colour is CIEDE2000 from each render pixel inside the mask to the nearest of the
garment's dominant colours; pattern is SSIM against the garment laid over the render; edges compare
gradient orientations (stripes, prints); coverage and leakage say whether the garment's colour stays
inside its mask; pose compares the requested keypoints with ones re-detected on the render.

score_render(render, garment, garment_colours_from=cutout, requested_keypoints=..., detected_keypoints=...)
All work happens on the mask's bounding box (plus the leakage band), on a stride of its pixels for ΔE:
~65 ms of CPU for 512x768 with an 800x1000 cut-out (`python -m generation.bench.scoring`).
"""

import dataclasses
import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import structural_similarity

KEYPOINT_COUNT = 18  # OpenPose-18, DESIGN.md's order
MAX_COLOUR_SAMPLES = 10_000  # ΔE per pixel costs ~2 µs: a regular stride of the region keeps it ~20 ms
PALETTE_PIXELS = 65_536  # a big cut-out is shrunk to about this many pixels before its colours are read
MAX_PALETTE_SAMPLES = 5_000  # pixels k-means sees; the palette of a garment needs few
MARGIN = 6  # px around the mask for SSIM: its Gaussian window (sigma 1.5) reaches ~5 px
PALETTE_SIZE = 5  # dominant colours: enough for a print, few enough to stay deterministic and quick
PALETTE_MIN_SHARE = 0.03  # smaller clusters are anti-aliased edges and noise, not garment colours
GARMENT_COLOUR_DELTA_E = 12.0  # a pixel this close to a dominant colour shows the garment (shading included)
LEAK_BAND = 0.15  # of the mask's longer side: how far outside the mask to look for garment colour
LEAK_GAP = 2  # px next to the mask left out of the band: anti-aliased edges are not leaks
ORIENTATION_BINS = 12  # 15° each, orientations modulo 180° (a stripe has no direction)
FLAT = 0.02  # mean Sobel magnitude (channels 0..1) below which a garment has no pattern to agree with
DECIMALS = 4  # scores are stored rounded, so a to_dict/from_dict round trip is exact


class ScoringError(ValueError):
    """Inputs that cannot be scored; the message names the argument."""


@dataclass(frozen=True)
class FidelityScores:
    colour_delta_e_median: float  # CIEDE2000 from render pixels in the mask to the nearest dominant garment colour
    colour_delta_e_p90: float
    pattern_ssim: float  # SSIM of RGB inside the mask, -1..1 (1 = the same pattern)
    edge_agreement: float  # 0..1, magnitude-weighted orientation histograms intersected (1 = same directions)
    coverage: float  # 0..1, share of the mask whose render pixels are within GARMENT_COLOUR_DELTA_E
    leakage: float  # 0..1, garment-coloured pixels in a band outside the mask, over the mask's area
    pose_error: float | None  # mean keypoint distance over the requested person's size; None when not measured
    pose_note: str = ""  # why pose_error is None
    # A cast fashion model's face against its portrait (generation.identity), -1..1; None: not a cast model, or
    # not measured (identity_note says why). Stored beside the garment's scores; older ones have neither.
    identity_similarity: float | None = None
    identity_note: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data) -> "FidelityScores":
        names = known_fields(cls, data, "scores")
        values = {}
        for name in names[: names.index("pose_error")]:
            if name not in data:
                raise ScoringError(f"scores.{name}: missing")
            values[name] = finite_number(f"scores.{name}", data[name])
        pose = data.get("pose_error")
        values["pose_error"] = None if pose is None else finite_number("scores.pose_error", pose)
        note = data.get("pose_note", "")
        if not isinstance(note, str):
            raise ScoringError(f"scores.pose_note: expected text, got {type(note).__name__}")
        identity = data.get("identity_similarity")
        values["identity_similarity"] = (
            None if identity is None else finite_number("scores.identity_similarity", identity)
        )
        identity_note = data.get("identity_note", "")
        if not isinstance(identity_note, str):
            raise ScoringError(f"scores.identity_note: expected text, got {type(identity_note).__name__}")
        return cls(**values, pose_note=note, identity_note=identity_note)

    def infotext(self) -> str:
        """One line for the PNG's A1111 parameters: what a reviewer needs at a glance."""
        pose = "n/a" if self.pose_error is None else f"{self.pose_error:.2f}"
        identity = "" if self.identity_similarity is None else f", identity {self.identity_similarity:.2f}"
        return (
            f"Fidelity: dE {self.colour_delta_e_median:.1f}/{self.colour_delta_e_p90:.1f}, "
            f"SSIM {self.pattern_ssim:.2f}, edges {self.edge_agreement:.2f}, coverage {self.coverage:.2f}, "
            f"leak {self.leakage:.2f}, pose {pose}{identity}"
        )


def finite_number(field: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScoringError(f"{field}: {value!r} is not a finite number")
    return float(value)


def known_fields(cls, data, prefix: str) -> list[str]:
    """`cls`'s field names, once `data` is a mapping naming none but them; errors name `prefix`.field."""
    if not isinstance(data, dict):
        raise ScoringError(f"{prefix}: expected a mapping, got {type(data).__name__}")
    names = [field.name for field in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ScoringError(f"{prefix}.{unknown[0]}: unknown field; expected {', '.join(names)}")
    return names


def score_render(
    render: Image.Image,
    garment: Image.Image,
    *,
    garment_colours_from: Image.Image | None = None,
    requested_keypoints=None,
    detected_keypoints=None,
) -> FidelityScores:
    """Scores `render` (RGB) against `garment` (RGBA at the render's size, alpha = where it should appear).

    garment_colours_from: the garment's own cut-out (RGBA product photo); its dominant colours are the
    truth for ΔE, since warping blurs them. Without it they come from `garment`.
    Keypoints: 18 (x, y, visible), fractions of the render. detected_keypoints=None means no detector ran.
    """
    # 1. Check inputs: same size, masks that say where the garment is.
    _check_inputs(render, garment, garment_colours_from)
    rgb = np.asarray(render.convert("RGB"))
    rgba = np.asarray(garment.convert("RGBA"))
    alpha = rgba[..., 3].astype(np.float32) / 255
    mask = alpha >= 0.5
    if not mask.any():
        raise ScoringError("garment: its alpha is empty, so there is no garment region to score")

    # 2. Work on the mask's bounding box, widened by the leakage band (`tight`: by SSIM's window alone).
    top, bottom, left, right = _bounds(mask)
    reach = max(4, round(LEAK_BAND * max(bottom - top, right - left)))
    top, left = max(0, top - reach), max(0, left - reach)
    rgb, rgba, alpha, mask = (array[top : bottom + reach, left : right + reach] for array in (rgb, rgba, alpha, mask))
    tight = _bounds(mask)
    tight = np.s_[max(0, tight[0] - MARGIN) : tight[1] + MARGIN, max(0, tight[2] - MARGIN) : tight[3] + MARGIN]

    # 3. Colour: the garment's dominant colours, ΔE of the render's pixels to the nearest one.
    palette = dominant_colours(garment if garment_colours_from is None else garment_colours_from)
    inside = _nearest_delta_e(rgb, mask, palette)
    median, p90 = np.percentile(inside, [50, 90])
    coverage = float(np.mean(inside <= GARMENT_COLOUR_DELTA_E))

    # 4. Leakage: garment colour in a band just outside the mask, as a share of the mask's area.
    distance = cv2.distanceTransform(np.where(mask, 0, 255).astype(np.uint8), cv2.DIST_L2, 3)
    band = (distance > LEAK_GAP) & (distance <= reach)
    leakage = 0.0
    if band.any():
        outside = _nearest_delta_e(rgb, band, palette)
        leakage = min(1.0, float(np.mean(outside <= GARMENT_COLOUR_DELTA_E)) * band.sum() / mask.sum())

    # 5. Pattern and edges, per RGB channel (a red-blue stripe can be one grey): the garment laid over the
    # render, so only the mask differs.
    rgb, rgba, alpha, mask = rgb[tight], rgba[tight], alpha[tight], mask[tight]
    expected = (rgba[..., :3] * alpha[..., None] + rgb * (1 - alpha[..., None])).astype(np.float32) / 255
    actual = rgb.astype(np.float32) / 255
    ssim = _pattern_ssim(expected, actual, alpha)
    edges = _edge_agreement(expected, actual, mask)

    # 6. Pose: requested vs re-detected keypoints.
    pose_error, pose_note = pose_distance(requested_keypoints, detected_keypoints, render.size)
    return FidelityScores(
        colour_delta_e_median=_rounded(median),
        colour_delta_e_p90=_rounded(p90),
        pattern_ssim=_rounded(ssim),
        edge_agreement=_rounded(edges),
        coverage=_rounded(coverage),
        leakage=_rounded(leakage),
        pose_error=None if pose_error is None else _rounded(pose_error),
        pose_note=pose_note,
    )


def _check_inputs(render, garment, garment_colours_from) -> None:
    for name, image in (("render", render), ("garment", garment), ("garment_colours_from", garment_colours_from)):
        if image is not None and not isinstance(image, Image.Image):
            raise ScoringError(f"{name}: expected a PIL image, got {type(image).__name__}")
    if garment.size != render.size:
        raise ScoringError(f"garment: size {garment.size} differs from the render's {render.size}; warp it first")
    for name, image in (("garment", garment), ("garment_colours_from", garment_colours_from)):
        if image is not None and "A" not in image.getbands():
            raise ScoringError(f"{name}: expected RGBA (alpha = where the garment is), got mode {image.mode}")


def _bounds(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1


def _rounded(value) -> float:
    return round(float(value), DECIMALS)


def _strided(pixels: np.ndarray, limit: int) -> np.ndarray:
    """A regular stride through `pixels` (N, 3): deterministic, and spread over the whole region."""
    step = max(1, math.ceil(len(pixels) / limit))
    return pixels[::step]


def _lab(pixels: np.ndarray) -> np.ndarray:
    """(N, 3) uint8 RGB to (N, 3) CIELAB."""
    return rgb2lab(pixels.reshape(-1, 1, 3)).reshape(-1, 3)


def dominant_colours(image: Image.Image) -> np.ndarray:
    """The garment's few main colours, CIELAB (K, 3), by k-means over its opaque pixels; seeded, so repeatable."""
    image = image.crop(image.getchannel("A").getbbox() or (0, 0, 1, 1)).convert("RGBA")
    shrink = math.sqrt(PALETTE_PIXELS / (image.width * image.height))
    if shrink < 1:  # nearest neighbour: fewer pixels, no colours mixed at the edges between them
        size = (max(1, round(image.width * shrink)), max(1, round(image.height * shrink)))
        image = image.resize(size, Image.Resampling.NEAREST)
    rgba = np.asarray(image)
    opaque = rgba[..., 3] >= 128
    if not opaque.any():
        raise ScoringError("garment_colours_from: its alpha is empty, so it has no colours")
    lab = _lab(_strided(rgba[..., :3][opaque], MAX_PALETTE_SAMPLES)).astype(np.float32)
    clusters = min(PALETTE_SIZE, len(lab))
    cv2.setRNGSeed(0)  # k-means++ draws its first centres from OpenCV's global RNG
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.1)
    _compactness, labels, centres = cv2.kmeans(lab, clusters, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    shares = np.bincount(labels.ravel(), minlength=clusters) / len(labels)
    return centres[shares >= min(PALETTE_MIN_SHARE, shares.max())].astype(np.float64)


def _nearest_delta_e(rgb: np.ndarray, region: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """CIEDE2000 from each (strided) pixel of `region` to its nearest palette colour."""
    lab = _lab(_strided(rgb[region], MAX_COLOUR_SAMPLES))
    return deltaE_ciede2000(lab[:, None, :], palette[None, :, :]).min(axis=1)


def _pattern_ssim(expected: np.ndarray, actual: np.ndarray, alpha: np.ndarray) -> float:
    _mean, local = structural_similarity(
        expected,
        actual,
        data_range=1.0,
        channel_axis=-1,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        full=True,
    )
    return float(np.average(local.mean(axis=-1), weights=alpha))


def _orientations(rgb: np.ndarray, region: np.ndarray) -> tuple[np.ndarray, float]:
    """Histogram of gradient orientations (mod 180°) weighted by magnitude, and the mean magnitude.

    Each pixel's gradient is its strongest channel's, as in HOG.
    """
    dx = cv2.Sobel(rgb, cv2.CV_32F, 1, 0, ksize=3)[region]  # (N, 3)
    dy = cv2.Sobel(rgb, cv2.CV_32F, 0, 1, ksize=3)[region]
    strongest = np.argmax(dx * dx + dy * dy, axis=-1)[:, None]
    dx, dy = np.take_along_axis(dx, strongest, -1)[:, 0], np.take_along_axis(dy, strongest, -1)[:, 0]
    magnitude = np.hypot(dx, dy)
    # Bins centred on 0°, 15°, ... 90°: a horizontal stripe's gradient sits mid-bin, not on an edge between two.
    angle = np.mod(np.arctan2(dy, dx) + np.pi / ORIENTATION_BINS / 2, np.pi)
    histogram, _ = np.histogram(angle, bins=ORIENTATION_BINS, range=(0, np.pi), weights=magnitude)
    return histogram, float(magnitude.mean()) if magnitude.size else 0.0


def _edge_agreement(expected: np.ndarray, actual: np.ndarray, mask: np.ndarray) -> float:
    # The mask's own outline is not the garment's pattern: look a few pixels inside it.
    region = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if not region.any():
        region = mask
    wanted, strength = _orientations(expected, region)
    if strength < FLAT:
        return 1.0  # a plain garment has no stripes or print whose direction could be lost
    found, _ = _orientations(actual, region)
    if found.sum() == 0:
        return 0.0
    return float(np.minimum(wanted / wanted.sum(), found / found.sum()).sum())


def pose_distance(requested, detected, size: tuple[int, int]) -> tuple[float | None, str]:
    """Mean distance between keypoints visible in both, over the requested person's size (bounding-box diagonal).

    Returns (None, why) when it cannot be measured.
    """
    if detected is None:
        return None, "no keypoint detector weights"
    if requested is None:
        return None, "no requested pose"
    if len(detected) == 0:
        return None, "no person detected"
    requested, detected = _keypoints("requested_keypoints", requested), _keypoints("detected_keypoints", detected)
    if not any(visible for _x, _y, visible in detected):
        return None, "no person detected"
    width, height = size
    wanted = np.array([(x * width, y * height) for x, y, visible in requested if visible])
    if len(wanted) < 2:
        return None, "fewer than two requested keypoints are visible"
    both = [i for i in range(KEYPOINT_COUNT) if requested[i][2] and detected[i][2]]
    if not both:
        return None, "none of the requested keypoints was re-detected"
    scale = float(np.hypot(*(wanted.max(axis=0) - wanted.min(axis=0)))) or float(np.hypot(width, height))
    gaps = [
        np.hypot((requested[i][0] - detected[i][0]) * width, (requested[i][1] - detected[i][1]) * height) for i in both
    ]
    return float(np.mean(gaps)) / scale, ""


def _keypoints(name: str, points) -> list[tuple[float, float, bool]]:
    try:
        parsed = [(float(x), float(y), bool(visible)) for x, y, visible in points]
    except (TypeError, ValueError):
        raise ScoringError(f"{name}: expected {KEYPOINT_COUNT} (x, y, visible) points") from None
    if len(parsed) != KEYPOINT_COUNT:
        raise ScoringError(f"{name}: expected {KEYPOINT_COUNT} (x, y, visible) points, got {len(parsed)}")
    return parsed
