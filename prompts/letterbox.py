"""Fitting one aspect into another: centred, whole, with black bars where the shapes differ.

Poses are authored on a 2:3 canvas and garment photos come in any shape, while a plan may be 3:4 or
4:5. Stretching a skeleton or an edge map would tell the ControlNet to draw a wider or thinner body,
so every conditioning image (and the try-on mask, which must line up with it) is letterboxed instead.
"""

from typing import NamedTuple

from PIL import Image

# The canvas every pose is authored on (prompts/poses.py): keypoints are fractions of it.
POSE_CANVAS = (512, 768)


class Box(NamedTuple):
    left: int
    top: int
    width: int
    height: int

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A point given as fractions of the fitted content, in pixels of the canvas."""
        return self.left + x * self.width, self.top + y * self.height


def fit(source: tuple[int, int], width: int, height: int) -> Box:
    """Where `source` (width, height) lands when scaled to fit inside width x height, centred."""
    source_width, source_height = source
    if source_width < 1 or source_height < 1 or width < 1 or height < 1:
        raise ValueError(f"size: {source} into {width}x{height} must be at least 1x1 both")
    # Compared as integers, so equal aspects (512x768 into 832x1248) fit exactly, with no bars.
    if width * source_height <= height * source_width:  # as wide as the canvas, bars above and below
        fitted = (width, max(1, round(source_height * width / source_width)))
    else:
        fitted = (max(1, round(source_width * height / source_height)), height)
    return Box((width - fitted[0]) // 2, (height - fitted[1]) // 2, *fitted)


def letterbox(image: Image.Image, width: int, height: int) -> Image.Image:
    """`image` scaled to fit width x height, centred on black. Returned as is when it already fits."""
    box = fit(image.size, width, height)
    if (box.width, box.height) != image.size:
        image = image.resize((box.width, box.height), Image.Resampling.LANCZOS)
    if image.size == (width, height):
        return image
    canvas = Image.new(image.mode, (width, height))
    canvas.paste(image, (box.left, box.top))
    return canvas
