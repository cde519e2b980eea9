"""A garment cut-out taken apart for warping: its parts, their cross-sections, and the spline that moves them.

A flat-lay product photo is read as parts: a body (torso, dress, skirt) or two trouser legs, and the
sleeves. Each part is described by cross-sections, pairs of points from the wearer's right edge to the
left one (a flat lay faces the camera, so the wearer's right is the photo's left), taken row by row
down a body or leg and station by station out along a sleeve. prompts/draft.py finds the matching
cross-sections on the body, and a thin-plate spline through points along each pair carries the part
from the cut-out onto it.
"""

from dataclasses import dataclass

import cv2
import numpy as np

ANALYSIS_SIDE = 256  # the cut-out's shape is read at this size: parts are coarse, and speed matters
JUMP = 0.03  # of the garment's width: a row this much wider than the one below it starts a sleeve
SLEEVE_STATIONS = 5
ACROSS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])  # where along each cross-section the spline is anchored
GRID = 8  # the spline is evaluated every GRID px and interpolated between: it is smooth at that scale


@dataclass(frozen=True)
class Band:
    """A part cut into rows: the body of a top or dress, a skirt, or one trouser leg."""

    label: int  # its pixels in Anatomy.labels
    top: float  # rows, in cut-out pixels
    bottom: float
    lo: np.ndarray  # per analysis row: the part's leftmost and rightmost column, in cut-out pixels
    hi: np.ndarray
    scale: float  # cut-out pixels per analysis pixel
    crotch: float | None = None  # trousers: the row where the legs part

    def section(self, row: float) -> np.ndarray:
        """The cross-section at a cut-out row: [[x, y] of its right-hand edge, [x, y] of its left]."""
        i = int(np.clip(round(row / self.scale), 0, len(self.lo) - 1))
        return np.array([[self.lo[i], row], [self.hi[i], row]])


@dataclass(frozen=True)
class Sleeve:
    label: int
    side: str  # the wearer's "right" or "left"
    sections: np.ndarray  # (stations, 2, 2): from the armhole out to the cuff
    length: float  # armhole to cuff, cut-out pixels


@dataclass(frozen=True)
class Anatomy:
    labels: np.ndarray  # uint8, the cut-out's size: 0 background, else the part's label
    bands: tuple[Band, ...]
    sleeves: tuple[Sleeve, ...]
    width: float  # the body's width across its middle rows, cut-out pixels: what a sleeve's length is relative to


def read_anatomy(alpha: np.ndarray, category: str) -> Anatomy:
    """The parts of the garment whose cut-out alpha (2-D uint8) is given, as a `category` garment."""
    scale = max(1.0, max(alpha.shape) / ANALYSIS_SIDE)
    size = (max(1, round(alpha.shape[1] / scale)), max(1, round(alpha.shape[0] / scale)))
    small = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA) >= 128
    rows = np.flatnonzero(small.any(axis=1))
    if len(rows) < 4 or small.sum() < 32:
        raise ValueError("the garment is too small to warp: fewer than a few pixels of alpha")
    labels = np.zeros(small.shape, np.uint8)
    if category == "bottom":
        bands, sleeves = _bottom(small, labels, scale), ()
    else:
        bands, sleeves = _upper(small, labels, scale)
    full = cv2.resize(labels, (alpha.shape[1], alpha.shape[0]), interpolation=cv2.INTER_NEAREST)
    body = bands[0]  # its width just below the shoulders: what a sleeve's length is measured against
    rows = slice(
        int((body.top + 0.1 * (body.bottom - body.top)) / scale),
        int((body.top + 0.25 * (body.bottom - body.top)) / scale) + 1,
    )
    width = float(np.median(body.hi[rows] - body.lo[rows])) if body.hi[rows].size else 1.0
    return Anatomy(full, bands, sleeves, max(width, 1.0))


def _upper(mask: np.ndarray, labels: np.ndarray, scale: float):
    """A top, dress or jacket: the body, and a sleeve on each side where the outline jumps out at an armpit."""
    rows = np.flatnonzero(mask.any(axis=1))
    top, bottom = rows[0], rows[-1]
    centre = _centre(mask, rows)
    lo, hi = _run_around(mask, centre)
    torso = mask.copy()
    found = []
    for side, edge, outwards in (("right", lo, -1), ("left", hi, 1)):
        armpit = _armpit(edge, outwards, top, bottom, JUMP * mask.shape[1])
        if armpit is None:
            continue
        column = int(edge[armpit])
        beyond = np.zeros_like(mask)
        if outwards < 0:
            beyond[:, :column] = mask[:, :column]
        else:
            beyond[:, column + 1 :] = mask[:, column + 1 :]
        _, parts = cv2.connectedComponents(beyond.astype(np.uint8), connectivity=8)
        attached = set(parts[: armpit + 1, column + outwards][mask[: armpit + 1, column + outwards]]) - {0}
        sleeve = np.isin(parts, list(attached)) if attached else np.zeros_like(mask)
        if sleeve.sum() < 0.01 * mask.sum():
            continue
        torso &= ~sleeve
        found.append((side, sleeve, column))
    lo, hi = _run_around(torso, centre)
    labels[torso] = 1
    # The shoulder line: the top of the body where a sleeve joins it, or where its outline starts.
    shoulders = [np.flatnonzero(torso[:, column])[0] for _, _, column in found if torso[:, column].any()]
    if not shoulders:
        shoulders = [np.flatnonzero(torso[:, int(edge[top + (bottom - top) // 8])])[0] for edge in (lo, hi)]
    body = Band(1, float(np.mean(shoulders)) * scale, bottom * scale, lo * scale, hi * scale, scale)
    sleeves = []
    for label, (side, sleeve, column) in enumerate(found, start=2):
        labels[sleeve] = label
        sections, length = _sleeve_sections(sleeve, column)
        sleeves.append(Sleeve(label, side, sections * scale, length * scale))
    return (body,), tuple(sleeves)


def _bottom(mask: np.ndarray, labels: np.ndarray, scale: float):
    """Trousers, split down the middle into legs where the gap between them runs to the hem; else a skirt."""
    rows = np.flatnonzero(mask.any(axis=1))
    top, bottom = rows[0], rows[-1]
    centre = _centre(mask, rows[: max(1, len(rows) // 10)])
    gap = ~mask[top : bottom + 1, centre]
    open_to_hem = np.argmin(gap[::-1]) if not gap.all() else len(gap)  # the gap's run up from the hem
    if open_to_hem < 0.3 * len(gap):
        lo, hi = _run_around(mask, centre)
        labels[mask] = 1
        return (Band(1, top * scale, bottom * scale, lo * scale, hi * scale, scale),)
    crotch = (bottom + 1 - open_to_hem) * scale
    legs = []
    for label, columns in ((1, np.s_[:centre]), (2, np.s_[centre:])):
        half = np.zeros_like(mask)
        half[:, columns] = mask[:, columns]
        labels[half] = label
        lo, hi = _extents(half)
        legs.append(Band(label, top * scale, bottom * scale, lo * scale, hi * scale, scale, crotch))
    return tuple(legs)


def _centre(mask: np.ndarray, rows: np.ndarray) -> int:
    lo, hi = _extents(mask[rows])
    return round(float(np.nanmedian((lo + hi) / 2)))


def _extents(mask: np.ndarray):
    """Per row, the leftmost and rightmost garment column; NaN in empty rows (filled from the nearest row)."""
    any_ = mask.any(axis=1)
    lo = np.where(any_, np.argmax(mask, axis=1), np.nan)
    hi = np.where(any_, mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1), np.nan)
    return _filled(lo), _filled(hi)


def _run_around(mask: np.ndarray, centre: int):
    """Per row, the run of garment through column `centre`, or spanning the nearest runs either side of it
    (a neckline leaves the middle of the top rows empty). Sleeves hanging apart from the body are left out."""
    left = _run_end(mask[:, : centre + 1][:, ::-1])
    right = _run_end(mask[:, centre:])
    lo = np.where(np.isnan(left), np.nan, centre - left + 1)
    hi = np.where(np.isnan(right), np.nan, centre + right - 1)
    return _filled(lo), _filled(hi)


def _run_end(rows: np.ndarray) -> np.ndarray:
    """Per row, where the first run of True ends (its length from the row's start, gaps before it included)."""
    first = np.argmax(rows, axis=1)
    inside = rows | (np.arange(rows.shape[1]) < first[:, None])
    end = np.where(inside.all(axis=1), rows.shape[1], np.argmax(~inside, axis=1))
    return np.where(rows.any(axis=1), end.astype(float), np.nan)


def _filled(values: np.ndarray) -> np.ndarray:
    known = np.flatnonzero(~np.isnan(values))
    if len(known) == 0:
        return values
    return np.interp(np.arange(len(values)), known, values[known])


def _armpit(edge: np.ndarray, outwards: int, top: int, bottom: int, jump: float) -> int | None:
    """The highest row of the body's side below a sleeve: going up its outline, the row before it leaps out."""
    for row in range(top + int(0.8 * (bottom - top)), top + 2, -1):
        if outwards * (edge[row - 2] - edge[row]) > jump:
            return row
    return None


def _sleeve_sections(sleeve: np.ndarray, column: int):
    """Cross-sections from the armhole (at `column`) out to the cuff, across the sleeve's own axis."""
    ys, xs = np.nonzero(sleeve)
    points = np.stack([xs, ys], axis=1).astype(float)
    near = points[np.abs(points[:, 0] - column) <= 1.5]
    start = np.array([column, near[:, 1].mean()]) if len(near) else points.mean(axis=0)
    reach = np.linalg.norm(points - start, axis=1)
    end = points[reach >= 0.9 * reach.max()].mean(axis=0)
    length = max(float(np.linalg.norm(end - start)), 1.0)
    along = (end - start) / length
    across = np.array([along[1], -along[0]])  # the same turn as on the body, so nothing is mirrored
    p, q = (points - start) @ along, (points - start) @ across
    sections = []
    for station in np.linspace(0.0, 1.0, SLEEVE_STATIONS):
        near = np.abs(p - station * length) <= length / (2 * (SLEEVE_STATIONS - 1))
        low, high = (q[near].min(), q[near].max()) if near.any() else (-1.0, 1.0)
        middle = start + along * station * length
        sections.append([middle + across * low, middle + across * high])
    return np.array(sections), length


def warp_part(source: np.ndarray, sections: np.ndarray, targets: np.ndarray, bounds: tuple[int, int, int, int]):
    """The part carried by a thin-plate spline from `sections` (in `source`) to `targets` (on the canvas).

    source: float32 premultiplied RGBA (alpha already zero outside the part); sections and targets:
    (n, 2, 2) matching cross-sections. Returns (patch, left, top): the warped part, premultiplied, for the
    canvas window that holds the targets, clipped to `bounds` (left, top, right, bottom).
    """
    weights = ACROSS[None, :, None]
    source_points = (sections[:, :1] * (1 - weights) + sections[:, 1:] * weights).reshape(-1, 2)
    target_points = (targets[:, :1] * (1 - weights) + targets[:, 1:] * weights).reshape(-1, 2)
    # Points that land on the same canvas pixel cannot go to two places in the cut-out: keep the first.
    _, keep = np.unique(np.round(target_points * 2), axis=0, return_index=True)
    keep = np.sort(keep)
    spline = ThinPlateSpline.from_estimate(target_points[keep], source_points[keep])
    if spline is None:
        return None
    margin = GRID * 3
    left = max(bounds[0], int(target_points[:, 0].min()) - margin)
    top = max(bounds[1], int(target_points[:, 1].min()) - margin)
    columns = max(0, -(-(min(bounds[2], int(target_points[:, 0].max()) + margin) - left) // GRID))
    rows = max(0, -(-(min(bounds[3], int(target_points[:, 1].max()) + margin) - top) // GRID))
    if not columns or not rows:
        return None
    # Sampled at the middle of each GRID block, so an exact GRID-fold resize puts each sample back in place.
    xs = left + GRID * np.arange(columns) + (GRID - 1) / 2
    ys = top + GRID * np.arange(rows) + (GRID - 1) / 2
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    coarse = spline(grid).astype(np.float32).reshape(rows, columns, 2)
    fine = cv2.resize(coarse, (columns * GRID, rows * GRID), interpolation=cv2.INTER_LINEAR)
    patch = cv2.remap(source, fine[..., 0], fine[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return patch[: bounds[3] - top, : bounds[2] - left], left, top


class ThinPlateSpline:
    """The thin-plate spline through `src` -> `dst` points, as skimage.transform.ThinPlateSplineTransform
    estimates and applies it, to the same arithmetic (its float32 system included), in numpy alone: the web
    process makes drafts in the request, and importing scipy there for one distance matrix cost a second."""

    def __init__(self, src: np.ndarray, mappings: np.ndarray):
        self.src, self.mappings = src, mappings

    @classmethod
    def from_estimate(cls, src: np.ndarray, dst: np.ndarray) -> "ThinPlateSpline | None":
        """None when the points do not define a spline (the system is singular)."""
        if len(src) < 3 or src.shape != dst.shape:
            raise ValueError(f"src, dst: need at least 3 matching points, got {src.shape} and {dst.shape}")
        n = len(src)
        system = np.zeros((n + 3, n + 3), dtype=np.float32)
        system[:n, :n] = _radial_basis(_distances(src, src))
        system[:n, -3:] = np.hstack([np.ones((n, 1)), src])
        system[-3:, :n] = system[:n, -3:].T
        try:
            mappings = np.linalg.solve(system, np.vstack([dst, np.zeros((3, 2))]))
        except np.linalg.LinAlgError:
            return None
        return cls(src, mappings)

    def __call__(self, coords: np.ndarray) -> np.ndarray:
        n = len(self.src)
        weights, affine = self.mappings[:n], self.mappings[n:]
        return affine[0] + np.dot(coords, affine[1:]) + np.dot(_radial_basis(_distances(coords, self.src)), weights)


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance of every point of `a` to every point of `b` (scipy's distance_matrix, p=2)."""
    return np.sqrt(np.sum(np.abs(b[None, :, :] - a[:, None, :]) ** 2, axis=-1))


def _radial_basis(r: np.ndarray) -> np.ndarray:
    r_sq = r**2
    return np.where(r == 0.0, 0.0, r_sq * np.log(r_sq + 1e-8))
