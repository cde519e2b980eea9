"""Garment colours as words a diffusion model knows.

Merchants often give a swatch as "#RRGGBB"; Stable Diffusion cannot read hex, so we name the nearest
colour from a table of names a fashion catalogue would use. "Nearest" is measured in CIELAB, where
equal distances look roughly equally different, so dark red lands on burgundy rather than on brown.
"""

import re
from functools import cache

from prompts.sanitise import clean_text

COLOUR_NAME_LIMIT = 40

# Name -> sRGB. Kept to names CLIP has seen on clothing, spread so every swatch has a close neighbour.
COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (0, 0, 0),
    "charcoal": (54, 69, 79),
    "dark grey": (90, 90, 90),
    "grey": (128, 128, 128),
    "light grey": (200, 200, 200),
    "white": (255, 255, 255),
    "ivory": (255, 253, 240),
    "cream": (245, 235, 210),
    "beige": (225, 205, 170),
    "taupe": (140, 125, 110),
    "camel": (193, 154, 107),
    "tan": (210, 180, 140),
    "khaki": (195, 176, 145),
    "brown": (120, 75, 40),
    "chocolate brown": (75, 45, 30),
    "rust": (183, 65, 14),
    "terracotta": (204, 98, 70),
    "orange": (255, 140, 0),
    "peach": (255, 203, 164),
    "mustard": (225, 173, 1),
    "yellow": (255, 225, 40),
    "lemon yellow": (255, 245, 140),
    "olive": (128, 128, 0),
    "sage green": (156, 175, 136),
    "mint green": (170, 240, 200),
    "green": (0, 150, 60),
    "emerald green": (0, 130, 90),
    "forest green": (34, 85, 34),
    "bottle green": (0, 66, 37),
    "teal": (0, 128, 128),
    "turquoise": (64, 224, 208),
    "sky blue": (135, 206, 235),
    "light blue": (173, 216, 230),
    "denim blue": (21, 96, 189),
    "royal blue": (65, 105, 225),
    "cobalt blue": (0, 71, 171),
    "navy": (0, 0, 128),
    "dark navy": (32, 42, 68),
    "midnight blue": (25, 25, 112),
    "lavender": (200, 180, 230),
    "lilac": (200, 162, 200),
    "purple": (110, 40, 150),
    "plum": (90, 30, 70),
    "mauve": (180, 130, 150),
    "burgundy": (128, 0, 32),
    "maroon": (90, 10, 20),
    "red": (210, 20, 30),
    "coral": (255, 127, 80),
    "salmon pink": (250, 150, 130),
    "blush pink": (240, 195, 195),
    "pink": (255, 170, 190),
    "hot pink": (255, 20, 147),
    "fuchsia": (200, 0, 140),
}

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def colour_name(value: str) -> str:
    """The readable name for "#RRGGBB" (or "#RGB"), or a plain name cleaned of prompt syntax; "" for none."""
    value = (value or "").strip()
    if not value.startswith("#"):
        return clean_text(value, limit=COLOUR_NAME_LIMIT)
    if not _HEX.fullmatch(value):
        raise ValueError(f"{value!r} is not #RRGGBB or a colour name")
    digits = value[1:] if len(value) == 7 else "".join(digit * 2 for digit in value[1:])
    return nearest_colour(tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4)))


@cache
def nearest_colour(rgb: tuple[int, int, int]) -> str:
    lab = _lab(rgb)
    return min(COLOURS, key=lambda name: _distance(lab, _lab(COLOURS[name])))


def _distance(first: tuple[float, ...], second: tuple[float, ...]) -> float:
    return sum((a - b) ** 2 for a, b in zip(first, second, strict=True))


@cache
def _lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """sRGB (D65) -> CIELAB."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(channel) for channel in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)
