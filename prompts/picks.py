"""What a merchant or shopper picked, as plain frozen values: the prompt builder's input.

Every field added after the first release has a default, so older callers keep working. Closed
vocabularies are checked here; free text is cleaned and capped later, by the builder.
"""

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from prompts.errors import PickError
from prompts.image_ref import ImageRef
from prompts.vocabulary import (
    AGE_RANGES,
    BODY_TYPES,
    EXPRESSIONS,
    FITS,
    GARMENT_CATEGORIES,
    GENDER_PRESENTATIONS,
    LENGTHS,
    LENGTHS_BY_CATEGORY,
    LIGHTINGS,
    OPENPOSE_KEYPOINTS,
    PATTERNS,
    SKIN_TONES,
    SLEEVE_LENGTHS,
    TIMES_OF_DAY,
)

__all__ = ["FashionModelPick", "GarmentPick", "Keypoint", "PickError", "PosePick", "ScenePick"]

# (x, y, visible): x and y normalised to 0..1 of the image.
Keypoint = tuple[float, float, bool]
MIN_HEIGHT_CM, MAX_HEIGHT_CM = 50, 250


def _check_choice(field: str, value, choices: Sequence[str], *, blank: bool) -> None:
    if (blank and value == "") or value in choices:
        return
    allowed = ", ".join(choices) + (', or "" for unspecified' if blank else "")
    raise PickError(f"{field}: {value!r} is not one of {allowed}")


def _check_image(field: str, value) -> None:
    if value is not None and not isinstance(value, ImageRef):
        raise PickError(f"{field}: expected an ImageRef or None, got {type(value).__name__}")


@dataclass(frozen=True)
class GarmentPick:
    category: str
    name: str = ""
    colour: str = ""  # "#RRGGBB" or a colour name
    material: str = ""
    description: str = ""  # merchant text: untrusted
    pattern: str = ""
    fit: str = ""
    length: str = ""
    sleeve_length: str = ""
    keywords: tuple[str, ...] = ()  # merchant text: untrusted; the builder cleans and caps them
    image: ImageRef | None = None  # the garment photo: IP-Adapter reference, canny edges
    cutout: ImageRef | None = None  # the garment cut out of its photo (RGBA): what the warp puts on the person

    def __post_init__(self):
        _check_choice("garment.category", self.category, GARMENT_CATEGORIES, blank=False)
        _check_choice("garment.pattern", self.pattern, PATTERNS, blank=True)
        _check_choice("garment.fit", self.fit, FITS, blank=True)
        _check_choice("garment.length", self.length, LENGTHS, blank=True)
        if self.length and self.length not in LENGTHS_BY_CATEGORY[self.category]:
            lengths = ", ".join(LENGTHS_BY_CATEGORY[self.category])
            raise PickError(f"garment.length: {self.length!r} does not fit a {self.category}; one of {lengths}")
        _check_choice("garment.sleeve_length", self.sleeve_length, SLEEVE_LENGTHS, blank=True)
        if self.sleeve_length and self.category == "bottom":
            raise PickError(f"garment.sleeve_length: a bottom has no sleeves, got {self.sleeve_length!r}")
        if isinstance(self.keywords, str) or not isinstance(self.keywords, Sequence):
            raise PickError(f"garment.keywords: expected a sequence of text, got {type(self.keywords).__name__}")
        for keyword in self.keywords:
            if not isinstance(keyword, str):
                raise PickError(f"garment.keywords: expected text, got {type(keyword).__name__}")
        object.__setattr__(self, "keywords", tuple(self.keywords))
        _check_image("garment.image", self.image)
        _check_image("garment.cutout", self.cutout)


@dataclass(frozen=True)
class FashionModelPick:
    gender_presentation: str
    age_range: str
    body_type: str
    skin_tone: str
    hair: str = ""
    expression: str = ""
    photo: ImageRef | None = None  # a photo of the fashion model: what try-on mode paints the garments onto
    # Where the body is in the photo (detected or set by the merchant), on the pose canvas; None: unknown
    photo_keypoints: tuple[Keypoint, ...] | None = None
    # A cast fashion model's identity: every render of it conditions on its portrait (IP-Adapter face where the
    # preset has one), says its fixed words (untrusted text: the builder cleans and caps it) and starts the person
    # from the same seed, so the same person appears across garments, poses and scenes.
    identity: ImageRef | None = None
    identity_prompt: str = ""
    identity_seed: int | None = None
    height_cm: int | None = None

    def __post_init__(self):
        for name, choices in (
            ("gender_presentation", GENDER_PRESENTATIONS),
            ("age_range", AGE_RANGES),
            ("body_type", BODY_TYPES),
            ("skin_tone", SKIN_TONES),
        ):
            _check_choice(f"fashion_model.{name}", getattr(self, name), choices, blank=False)
        _check_choice("fashion_model.expression", self.expression, EXPRESSIONS, blank=True)
        _check_image("fashion_model.photo", self.photo)
        _check_image("fashion_model.identity", self.identity)
        if not isinstance(self.identity_prompt, str):
            raise PickError(f"fashion_model.identity_prompt: expected text, got {type(self.identity_prompt).__name__}")
        for name, low, high in (("identity_seed", 0, 2**32 - 1), ("height_cm", MIN_HEIGHT_CM, MAX_HEIGHT_CM)):
            value = getattr(self, name)
            if value is not None and not (
                isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
            ):
                raise PickError(f"fashion_model.{name}: {value!r} must be an integer from {low} to {high}")
        if self.photo_keypoints is not None:
            object.__setattr__(
                self, "photo_keypoints", _keypoints("fashion_model.photo_keypoints", self.photo_keypoints)
            )


@dataclass(frozen=True)
class PosePick:
    name: str
    keypoints: tuple[Keypoint, ...]

    def __post_init__(self):
        object.__setattr__(self, "keypoints", _keypoints("pose.keypoints", self.keypoints))


def _keypoints(field: str, keypoints) -> tuple[Keypoint, ...]:
    if isinstance(keypoints, str) or not isinstance(keypoints, Sequence):
        raise PickError(f"{field}: expected {len(OPENPOSE_KEYPOINTS)} OpenPose keypoints")
    if len(keypoints) != len(OPENPOSE_KEYPOINTS):
        raise PickError(f"{field}: expected {len(OPENPOSE_KEYPOINTS)} OpenPose keypoints, got {len(keypoints)}")
    points = []
    for name, point in zip(OPENPOSE_KEYPOINTS, keypoints, strict=True):
        if type(point) is tuple and len(point) == 3 and tuple(map(type, point)) == _CANONICAL:
            x, y, visible = point  # canonical already (every submission's pose): only its range is checked
        elif not isinstance(point, Sequence) or len(point) != 3 or not all(_is_number(value) for value in point[:2]):
            raise PickError(f"{field}.{name}: {point!r} is not (x, y, visible)")
        else:
            x, y, visible = float(point[0]), float(point[1]), bool(point[2])
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise PickError(f"{field}.{name}: ({x}, {y}) is outside 0..1")
        points.append((x, y, visible))
    # Canonical (float, float, bool) tuples: 0 and 0.0, or lists and tuples, must not fingerprint differently.
    return tuple(points)


_CANONICAL = (float, float, bool)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class ScenePick:
    name: str
    prompt: str = ""  # merchant text: untrusted
    negative_prompt: str = ""  # merchant text: untrusted
    location: str = ""  # merchant text: untrusted, e.g. "a cobbled street in lisbon"
    lighting: str = ""  # "" lets the style choose
    time_of_day: str = ""

    def __post_init__(self):
        _check_choice("scene.lighting", self.lighting, LIGHTINGS, blank=True)
        _check_choice("scene.time_of_day", self.time_of_day, TIMES_OF_DAY, blank=True)
