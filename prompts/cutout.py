"""A garment cut out of its product photo: the mask of the garment, and the garment on transparency.

Product photos are shot on a plain background, so the photo's border tells the background's colour.
Pixels far from it seed the garment, the border itself is background for certain, and OpenCV's GrabCut
settles the uncertain pixels in between by colour models of both. Deterministic: the same photo always
gives the same mask.
"""

import cv2
import numpy as np
from PIL import Image

WORKING_SIDE = 512  # GrabCut's cost grows with pixels; the mask is scaled back up to the photo's size
BORDER = 0.02  # of the shorter side: the strip that is background for certain
FOREGROUND_DISTANCE = 60  # colour distance from the background that makes a pixel a garment seed
BACKGROUND_DISTANCE = 18  # and closer than this, it is probably background
ITERATIONS = 4
GAP_BRIDGED = 0.05  # of the shorter side: background-coloured stripes up to this wide count as garment


class CutoutError(ValueError):
    """The photo has no plain background to cut the garment out of."""


def garment_mask(photo: Image.Image) -> Image.Image:
    """The garment in `photo` as an "L" mask of the photo's size: 255 garment, 0 background.

    Raises CutoutError when nothing stands out from the border's colour (a blank photo), or when the
    whole photo does (a photo without a plain background).
    """
    return _mask_of(_on_white(photo))


def garment_cutout(photo: Image.Image) -> Image.Image:
    """The garment on a transparent background (RGBA), the photo's size."""
    flat = _on_white(photo)
    cutout = flat.convert("RGBA")
    cutout.putalpha(_mask_of(flat))
    return cutout


def _mask_of(flat: Image.Image) -> Image.Image:
    rgb = np.asarray(flat)
    small, scale = _working_copy(rgb)
    distance = _distance_from_background(small)
    seeds = _seeds(distance)
    foreground = seeds == cv2.GC_FGD
    if not foreground.any():
        raise CutoutError("the photo has nothing that stands out from its background")
    if foreground.mean() > 0.95:
        raise CutoutError("the photo has no plain background to cut the garment out of")

    cv2.setRNGSeed(0)  # GrabCut's colour models start from k-means: seeded, the same photo gives the same mask
    models = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(small, seeds, None, *models, ITERATIONS, cv2.GC_INIT_WITH_MASK)
    mask = np.where((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
    mask = _tidy(mask)
    if scale != 1:
        mask = cv2.resize(mask, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
        mask = np.where(mask >= 128, 255, 0).astype(np.uint8)
    return Image.fromarray(mask, mode="L")


def _on_white(photo: Image.Image) -> Image.Image:
    if photo.mode in ("RGBA", "LA", "PA") or "transparency" in photo.info:
        rgba = photo.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    return photo.convert("RGB")


def _working_copy(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    scale = min(1.0, WORKING_SIDE / max(rgb.shape[:2]))
    if scale == 1:
        return np.ascontiguousarray(rgb), 1.0
    size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale


def _border_width(shape) -> int:
    return max(1, round(min(shape[:2]) * BORDER))


def _distance_from_background(rgb: np.ndarray) -> np.ndarray:
    """Each pixel's Lab distance from the border's median colour: how far it stands out."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    width = _border_width(rgb.shape)
    edges = (lab[:width], lab[-width:], lab[:, :width], lab[:, -width:])
    border = np.concatenate([edge.reshape(-1, 3) for edge in edges])
    background = np.median(border, axis=0)
    return np.linalg.norm(lab - background, axis=-1)


def _seeds(distance: np.ndarray) -> np.ndarray:
    seeds = np.full(distance.shape, cv2.GC_PR_FGD, np.uint8)
    seeds[distance < BACKGROUND_DISTANCE] = cv2.GC_PR_BGD
    seeds[distance >= FOREGROUND_DISTANCE] = cv2.GC_FGD
    width = _border_width(distance.shape)
    for edge in (np.s_[:width], np.s_[-width:], np.s_[:, :width], np.s_[:, -width:]):
        seeds[edge] = cv2.GC_BGD
    return seeds


def _tidy(mask: np.ndarray) -> np.ndarray:
    """Specks dropped, gaps bridged and holes filled: a garment is a few solid pieces, not confetti.

    The bridging closes stripes the colour of the background (a Breton top on white), up to GAP_BRIDGED
    of the photo's shorter side; wider gaps, as between trouser legs, stay open.
    """
    speck = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, speck)
    side = max(5, round(min(mask.shape) * GAP_BRIDGED) | 1)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    mask = _holes_filled(mask)
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(mask)
    if count > 1:
        largest = stats[1:, cv2.CC_STAT_AREA].max()
        for label in range(1, count):
            if stats[label, cv2.CC_STAT_AREA] < 0.05 * largest:  # keeps a second sleeve, drops dust
                mask[labels == label] = 0
    return mask


def _holes_filled(mask: np.ndarray) -> np.ndarray:
    """Background that the border cannot reach is inside the garment: a white print, a sheer panel."""
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)  # the border joins all outside
    cv2.floodFill(padded, None, (0, 0), 128)
    return np.where(padded[1:-1, 1:-1] == 128, 0, 255).astype(np.uint8)
