"""GenerationPlan: everything the engine needs to render one try-on, and nothing it does not.

A plan is frozen, JSON round-trippable and fingerprinted, so a job can store it, a worker can
rebuild it exactly, and two requests that would render the same image can be recognised. Images are
referenced, never held (ImageRef): the engine gets their pixels keyed by sha256.
"""

import dataclasses
import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property

from prompts.errors import PlanError
from prompts.hems import needed_keypoints
from prompts.image_ref import ImageRef
from prompts.picks import Keypoint
from prompts.vocabulary import GARMENT_CATEGORIES, LENGTHS, OPENPOSE_KEYPOINTS

__all__ = [
    "MAX_SAMPLES",
    "PLAN_MODES",
    "ControlNetUnit",
    "GarmentLayer",
    "GenerationPlan",
    "ImageRef",
    "InpaintMask",
    "PlanError",
]

PLAN_VERSION = 1  # new fields have defaults, so version-1 JSON from before them still loads
# "warp": the garments' own cut-outs warped onto a person by keypoints (the draft), then refined by inpainting
PLAN_MODES = ("generate", "tryon", "refine", "warp")
MAX_SAMPLES = 4  # images per plan; more belongs in a batch of plans, not one denoising batch
# Fields added after plans were first stored, with their defaults: at the default a field is left out
# of the fingerprint, so a stored plan from before it still finds its finished images.
LATER_FIELD_DEFAULTS = {
    "samples": 1,
    "person": None,
    "person_keypoints": [],
    "garment_layers": [],
    "mask_dilation": 0.02,
    "mask": None,
    "preview": False,
    "identity_references": [],
}
# The same for ControlNet unit fields, inside each unit
LATER_UNIT_DEFAULTS = {"preprocessed": False}
CONTROLNET_KINDS = ("openpose", "canny")
MASK_CATEGORIES = (*GARMENT_CATEGORIES, "outfit")  # "outfit": everything from the collar to the ankles
MAX_DILATION = 0.25


def _number(field: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise PlanError(f"{field}: {value!r} is not a finite number")
    return float(value)


def _keypoints(field: str, points) -> tuple[Keypoint, ...]:
    # Canonical types, so equal plans serialise, and so fingerprint, equally (7 and 7.0, lists and tuples).
    try:
        return tuple((float(x), float(y), bool(visible)) for x, y, visible in points)
    except (TypeError, ValueError):
        raise PlanError(f"{field}: expected (x, y, visible) points") from None


def _references(field: str, references) -> tuple[ImageRef, ...]:
    if isinstance(references, str | Mapping) or not isinstance(references, list | tuple):
        raise PlanError(f"{field}: expected a sequence of ImageRef, got {type(references).__name__}")
    references = tuple(ImageRef.from_value(f"{field}[{i}]", ref) for i, ref in enumerate(references))
    if None in references:
        raise PlanError(f"{field}[{references.index(None)}]: expected an ImageRef, got NoneType")
    return references


@dataclass(frozen=True)
class InpaintMask:
    """Where try-on repaints the fashion model's photo: the garments' body region, read off the pose."""

    category: str | tuple[str, ...]  # one of MASK_CATEGORIES, or several garment categories
    keypoints: tuple[Keypoint, ...]  # the pose, on the 2:3 pose canvas like the openpose unit's
    sleeves: bool = False  # cover the arms to the wrists; else only the shoulder seams
    dilation: float = 0.02  # grow the region by this fraction of the image width
    length: str = ""  # where the longest garment's hem falls (LENGTHS); "" for its category's usual

    def __post_init__(self):
        category = self.category
        if isinstance(category, list | tuple):
            unknown = [c for c in category if c not in GARMENT_CATEGORIES]
            if not category or unknown:
                raise PlanError(f"inpaint_mask.category: {self.category!r} must be garment categories")
            category = tuple(c for c in GARMENT_CATEGORIES if c in category)
            category = category[0] if len(category) == 1 else category  # one spelling per region
        elif category not in MASK_CATEGORIES:
            raise PlanError(f"inpaint_mask.category: {category!r} is not one of {', '.join(MASK_CATEGORIES)}")
        object.__setattr__(self, "category", category)
        keypoints = _keypoints("inpaint_mask.keypoints", self.keypoints)
        if len(keypoints) != len(OPENPOSE_KEYPOINTS) or not all(0 <= c <= 1 for p in keypoints for c in p[:2]):
            raise PlanError(f"inpaint_mask.keypoints: expected {len(OPENPOSE_KEYPOINTS)} points within 0..1")
        object.__setattr__(self, "keypoints", keypoints)
        visible = {name for name, point in zip(OPENPOSE_KEYPOINTS, keypoints, strict=True) if point[2]}
        if not visible & set(needed_keypoints(self.categories)):
            needed = ", ".join(needed_keypoints(self.categories))
            raise PlanError(f"inpaint_mask.keypoints: a {' and '.join(self.categories)} mask needs one of {needed}")
        if not isinstance(self.sleeves, bool):
            raise PlanError(f"inpaint_mask.sleeves: {self.sleeves!r} is not true or false")
        dilation = _number("inpaint_mask.dilation", self.dilation)
        if not 0 <= dilation <= MAX_DILATION:
            raise PlanError(f"inpaint_mask.dilation: {dilation!r} must be from 0 to {MAX_DILATION}")
        object.__setattr__(self, "dilation", dilation)
        if self.length and self.length not in LENGTHS:
            raise PlanError(f"inpaint_mask.length: {self.length!r} is not one of {', '.join(LENGTHS)}")

    @property
    def categories(self) -> tuple[str, ...]:
        return self.category if isinstance(self.category, tuple) else (self.category,)

    def mask_image(self, width: int, height: int):
        """A mode "L" PIL image at width x height: 255 where to repaint, 0 where to keep the photo."""
        from prompts.masks import draw_mask

        return draw_mask(
            self.categories,
            self.keypoints,
            sleeves=self.sleeves,
            dilation=self.dilation,
            length=self.length,
            width=width,
            height=height,
        )


@dataclass(frozen=True)
class GarmentLayer:
    """One garment of a warp plan: its cut-out (RGBA, garment on transparency) and how it is worn."""

    cutout: ImageRef
    category: str
    sleeves: bool = False  # the cut-out has sleeves that follow the arms
    length: str = ""  # where its hem falls (LENGTHS); "" for its category's usual

    def __post_init__(self):
        cutout = ImageRef.from_value("garment_layers.cutout", self.cutout)
        if cutout is None:
            raise PlanError("garment_layers.cutout: every layer needs the garment's cut-out")
        object.__setattr__(self, "cutout", cutout)
        if self.category not in GARMENT_CATEGORIES:
            raise PlanError(f"garment_layers.category: {self.category!r} is not one of {', '.join(GARMENT_CATEGORIES)}")
        if not isinstance(self.sleeves, bool):
            raise PlanError(f"garment_layers.sleeves: {self.sleeves!r} is not true or false")
        if self.length and self.length not in LENGTHS:
            raise PlanError(f"garment_layers.length: {self.length!r} is not one of {', '.join(LENGTHS)}")


@dataclass(frozen=True)
class ControlNetUnit:
    """One ControlNet conditioning: its kind, how to make its image, and how strongly it steers."""

    kind: str  # "openpose" (from keypoints) or "canny" (from a garment image)
    keypoints: tuple[Keypoint, ...] = ()
    scale: float = 1.0
    guidance_start: float = 0.0
    guidance_end: float = 1.0
    image: ImageRef | None = None  # canny: the image whose edges steer
    low_threshold: int = 100  # canny hysteresis thresholds, as cv2.Canny takes them
    high_threshold: int = 200
    # `image` is the conditioning image itself (a drawn skeleton, an edge map), only fitted to the plan's
    # size: A1111's ControlNet module "none"
    preprocessed: bool = False

    def __post_init__(self):
        # The kind is not checked here: which kinds render is the engine's call (generation.rendering).
        object.__setattr__(self, "keypoints", _keypoints("controlnet_units.keypoints", self.keypoints))
        for name in ("scale", "guidance_start", "guidance_end"):
            object.__setattr__(self, name, _number(f"controlnet_units.{name}", getattr(self, name)))
        # diffusers needs a non-empty window: start strictly before end.
        if not 0 <= self.guidance_start < self.guidance_end <= 1:
            raise PlanError(
                f"controlnet_units.guidance_start: {self.guidance_start!r}..{self.guidance_end!r} must be a window "
                "within 0..1 that starts before it ends"
            )
        object.__setattr__(self, "image", ImageRef.from_value("controlnet_units.image", self.image))
        if self.kind == "canny" and self.image is None:
            raise PlanError("controlnet_units.image: a canny unit needs the image to find edges in")
        if not isinstance(self.preprocessed, bool):
            raise PlanError(f"controlnet_units.preprocessed: {self.preprocessed!r} is not true or false")
        if self.preprocessed and self.image is None:
            raise PlanError("controlnet_units.image: a preprocessed unit needs its conditioning image")
        for name in ("low_threshold", "high_threshold"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
                raise PlanError(f"controlnet_units.{name}: {value!r} must be an integer from 0 to 255")
        if self.low_threshold > self.high_threshold:
            raise PlanError(
                f"controlnet_units.low_threshold: {self.low_threshold} is above high_threshold {self.high_threshold}"
            )

    def conditioning_image(self, width: int, height: int, images: Mapping | None = None):
        """The conditioning image at the plan's size (an RGB PIL image); `images` maps sha256 to PIL images."""
        from prompts.conditioning import render_canny, render_pose

        if self.preprocessed:
            from prompts.letterbox import letterbox

            image = (images or {}).get(self.image.sha256)
            if image is None:
                raise PlanError(f"controlnet_units.image: no image given for {self.image.sha256} ({self.image.name})")
            return letterbox(image.convert("RGB"), width, height)
        if self.kind == "openpose":
            return render_pose(self.keypoints, width=width, height=height)
        if self.kind == "canny":
            image = (images or {}).get(self.image.sha256)
            if image is None:
                raise PlanError(f"controlnet_units.image: no image given for {self.image.sha256} ({self.image.name})")
            return render_canny(image, width=width, height=height, low=self.low_threshold, high=self.high_threshold)
        raise PlanError(f"controlnet_units.kind: {self.kind!r} is not one of {', '.join(CONTROLNET_KINDS)}")


@dataclass(frozen=True)
class GenerationPlan:
    prompt: str
    negative_prompt: str
    width: int
    height: int
    steps: int
    guidance_scale: float
    sampler: str
    seed: int
    preset: str
    controlnet_units: tuple[ControlNetUnit, ...] = field(default=())
    version: int = PLAN_VERSION
    mode: str = "generate"  # "generate" a new image, "tryon" (inpaint the garments), "refine" (img2img)
    garment_references: tuple[ImageRef, ...] = ()  # garment images for IP-Adapter conditioning
    # tryon: the fashion model's photo; refine: the image to refine. The engine fits it to width x height with
    # prompts.letterbox.letterbox, as the conditioning images are fitted, so mask, skeleton and photo line up.
    init_image: ImageRef | None = None
    inpaint_mask: InpaintMask | None = None  # tryon: where to paint (mask_image at the plan's size)
    strength: float = 1.0  # how far init_image is noised: 1 repaints fully, lower keeps more of it
    samples: int = 1  # images rendered together; image i has seed + i, as A1111's batch size does
    # warp: the person the garments go on is init_image (the fashion model's photo) or `person`, a generate plan
    # rendered first (stage 1) and cached by its own fingerprint; render() takes its pixels as
    # images[person.fingerprint]. Strength 0 keeps the draft as it is.
    person: "GenerationPlan | None" = None
    person_keypoints: tuple[Keypoint, ...] = ()  # warp: the person's body, on the pose canvas
    garment_layers: tuple[GarmentLayer, ...] = ()  # warp: the garments, in any order (layered by category)
    mask_dilation: float = 0.02  # warp: the refined region is the warped garments grown by this much of the width
    # refine: where to repaint (white; grey blends), the rest of init_image kept as it was: A1111's inpainting
    mask: ImageRef | None = None
    # A shopper is waiting: render on the engine's preview path (TAESD, DeepCache, ...; generation.preview).
    # Catalog renders leave it False and keep full quality; the two are different images, fingerprints too.
    preview: bool = False
    # Images of the person whose identity the render keeps (a cast fashion model's portrait): the preset's face
    # IP-Adapter conditions on them where it has one (generation.identity_conditioning), else prompt and seed only.
    identity_references: tuple[ImageRef, ...] = ()

    def __post_init__(self):
        for name in ("prompt", "negative_prompt", "sampler", "preset"):
            if not isinstance(getattr(self, name), str):
                raise PlanError(f"{name}: expected text, got {type(getattr(self, name)).__name__}")
        for name in ("sampler", "preset"):
            if not getattr(self, name).strip():
                raise PlanError(f"{name}: must not be empty")
        if not isinstance(self.preview, bool):
            raise PlanError(f"preview: {self.preview!r} is not true or false")
        for name in ("width", "height", "steps", "seed", "samples"):
            if isinstance(getattr(self, name), bool):  # bool is an int to Python, never to us
                raise PlanError(f"{name}: {getattr(self, name)!r} is not an integer")
        object.__setattr__(self, "guidance_scale", _number("guidance_scale", self.guidance_scale))
        object.__setattr__(self, "controlnet_units", tuple(self.controlnet_units))
        for name in ("width", "height"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 64 or value % 8:
                raise PlanError(f"{name}: {value!r} must be a multiple of 8, at least 64")
        if not isinstance(self.steps, int) or not 1 <= self.steps <= 150:
            raise PlanError(f"steps: {self.steps!r} must be an integer from 1 to 150")
        if not 0 <= self.guidance_scale <= 30:
            raise PlanError(f"guidance_scale: {self.guidance_scale!r} must be from 0 to 30")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**32:
            raise PlanError(f"seed: {self.seed!r} must be an integer from 0 to 2**32-1")
        if not isinstance(self.samples, int) or not 1 <= self.samples <= MAX_SAMPLES:
            raise PlanError(f"samples: {self.samples!r} must be an integer from 1 to {MAX_SAMPLES}")
        self._check_images()

    def _check_images(self) -> None:
        if self.mode not in PLAN_MODES:
            raise PlanError(f"mode: {self.mode!r} is not one of {', '.join(PLAN_MODES)}")
        for name in ("garment_references", "identity_references"):
            object.__setattr__(self, name, _references(name, getattr(self, name)))
        object.__setattr__(self, "init_image", ImageRef.from_value("init_image", self.init_image))
        object.__setattr__(self, "mask", ImageRef.from_value("mask", self.mask))
        if self.mask is not None and self.mode != "refine":
            raise PlanError(f"mask: only a refine plan repaints a drawn region, this one is {self.mode}")
        if self.inpaint_mask is not None and not isinstance(self.inpaint_mask, InpaintMask):
            raise PlanError(f"inpaint_mask: expected an InpaintMask, got {type(self.inpaint_mask).__name__}")
        strength = _number("strength", self.strength)
        if self.mode == "warp" and not 0 <= strength <= 1:
            raise PlanError(f"strength: {strength!r} must be from 0 (the draft as it is) to 1")
        if self.mode != "warp" and not 0 < strength <= 1:
            raise PlanError(f"strength: {strength!r} must be above 0 and at most 1")
        object.__setattr__(self, "strength", strength)
        self._check_warp()
        # What a mode does not use is refused rather than ignored: it would change the fingerprint, not the image.
        if self.mode not in ("generate", "warp") and self.init_image is None:
            raise PlanError(f"init_image: a {self.mode} plan needs the image to start from")
        if self.mode == "tryon" and self.inpaint_mask is None:
            raise PlanError("inpaint_mask: a tryon plan needs the region to repaint")
        if self.mode == "generate" and self.init_image is not None:
            raise PlanError("init_image: a generate plan starts from noise; use mode tryon or refine")
        if self.mode != "tryon" and self.inpaint_mask is not None:
            raise PlanError(f"inpaint_mask: only a tryon plan repaints a region, this one is {self.mode}")
        if self.mode == "generate" and strength != 1:
            raise PlanError(f"strength: {strength!r} needs an init_image; a generate plan always has 1")

    def _check_warp(self) -> None:
        person = self.person
        if isinstance(person, Mapping):
            person = GenerationPlan.from_dict(person)
        if person is not None and not isinstance(person, GenerationPlan):
            raise PlanError(f"person: expected a GenerationPlan, got {type(person).__name__}")
        object.__setattr__(self, "person", person)
        layers = self.garment_layers
        if isinstance(layers, str | Mapping) or not isinstance(layers, list | tuple):
            raise PlanError(f"garment_layers: expected a sequence of GarmentLayer, got {type(layers).__name__}")
        layers = tuple(GarmentLayer(**layer) if isinstance(layer, Mapping) else layer for layer in layers)
        for index, layer in enumerate(layers):
            if not isinstance(layer, GarmentLayer):
                raise PlanError(f"garment_layers[{index}]: expected a GarmentLayer, got {type(layer).__name__}")
        object.__setattr__(self, "garment_layers", layers)
        keypoints = _keypoints("person_keypoints", self.person_keypoints)
        object.__setattr__(self, "person_keypoints", keypoints)
        dilation = _number("mask_dilation", self.mask_dilation)
        if not 0 <= dilation <= MAX_DILATION:
            raise PlanError(f"mask_dilation: {dilation!r} must be from 0 to {MAX_DILATION}")
        object.__setattr__(self, "mask_dilation", dilation)
        if self.mode != "warp":
            for name in ("person", "garment_layers", "person_keypoints"):
                if getattr(self, name):
                    raise PlanError(f"{name}: only a warp plan puts garments on a person, this one is {self.mode}")
            return
        if (self.init_image is None) == (person is None):
            raise PlanError("person: a warp plan puts the garments on init_image (a photo) or person, exactly one")
        if person is not None and person.mode != "generate":
            raise PlanError(f"person.mode: the person is rendered by a generate plan, got {person.mode!r}")
        if not layers:
            raise PlanError("garment_layers: a warp plan needs at least one garment cut-out")
        if len(keypoints) != len(OPENPOSE_KEYPOINTS) or not all(0 <= c <= 1 for p in keypoints for c in p[:2]):
            raise PlanError(f"person_keypoints: expected {len(OPENPOSE_KEYPOINTS)} points within 0..1")

    @property
    def person_ref(self) -> str | None:
        """The key of the stage-1 person's pixels in render()'s images: its plan's fingerprint."""
        return self.person.fingerprint if self.person is not None else None

    @property
    def sample_seeds(self) -> tuple[int, ...]:
        """The seed of each image: seed, seed + 1, ... wrapping within 32 bits, so each can be asked for alone."""
        return tuple((self.seed + index) % 2**32 for index in range(self.samples))

    @property
    def image_refs(self) -> tuple[ImageRef, ...]:
        """Every image the engine needs, once each by sha256: what to load and pass to render."""
        refs = [
            self.init_image,
            self.mask,
            *self.garment_references,
            *self.identity_references,
            *(unit.image for unit in self.controlnet_units),
            *(layer.cutout for layer in self.garment_layers),
        ]
        return tuple({ref.sha256: ref for ref in refs if ref is not None}.values())

    def to_dict(self) -> dict:
        """The plan as JSON-ready dicts and lists: a new dict each time, whose nested values are the plan's own
        (walked once per plan, see replaced): copy them before changing them."""
        return dict(self._named)

    @cached_property
    def _named(self) -> dict:
        return {name: _named_field(name, getattr(self, name)) for name in _field_names(type(self))}

    def to_json(self) -> str:
        return _json(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict) -> "GenerationPlan":
        data = dict(data)
        if data.get("version", PLAN_VERSION) != PLAN_VERSION:
            raise PlanError(f"version: plan version {data.get('version')!r} is not {PLAN_VERSION}")
        try:
            units = tuple(ControlNetUnit(**unit) for unit in data.pop("controlnet_units", ()))
            mask = data.pop("inpaint_mask", None)
            if isinstance(mask, dict):
                mask = InpaintMask(**mask)
            if isinstance(data.get("person"), dict):
                data["person"] = cls.from_dict(data["person"])
            return cls(**data, controlnet_units=units, inpaint_mask=mask)
        except TypeError as error:
            raise PlanError(f"plan: {error}") from None

    @classmethod
    def from_json(cls, text: str) -> "GenerationPlan":
        return cls.from_dict(json.loads(text))

    def replaced(self, **changes) -> "GenerationPlan":
        """dataclasses.replace(self, **changes), its fingerprint and to_dict walking only the changed fields.

        A submission derives plans from one it already walked (another seed, its preview): the walk of the rest
        of the plan (prompts, keypoints, layers) is reused, so only the changed fields are walked anew.
        """
        plan = dataclasses.replace(self, **changes)
        if "_canonical" in self.__dict__:
            canonical = dict(self._canonical)
            for name in changes:
                if name != "person":
                    _put_canonical(canonical, name, getattr(plan, name))
            plan.__dict__["_canonical"] = canonical  # what cached_property would have stored
        if "_named" in self.__dict__:
            named = dict(self._named)
            for name in changes:
                named[name] = _named_field(name, getattr(plan, name))
            plan.__dict__["_named"] = named
        return plan

    @cached_property
    def on_preview_path(self) -> "GenerationPlan":
        """The same plan on the engine's preview path (generation.preview), its stage-1 person too.

        Kept on the plan: a kept plan's person is shared by the plans of every seed (prompts.builder), so a
        shopper's submission derives only its own plan, not its person again.
        """
        if self.preview and (self.person is None or self.person.preview):
            return self
        person = self.person.on_preview_path if self.person is not None else None
        return self.replaced(preview=True, person=person)

    @cached_property  # a frozen plan's: asked for several times per submission (cache keys, the person, the row)
    def fingerprint(self) -> str:
        """sha256 of the canonical JSON: equal exactly when the rendered image would be equal.

        Images count by content (sha256) only: the same photo stored under two names renders the same.
        """
        canonical = self._canonical
        if self.person is not None:
            canonical = {**canonical, "person": self.person.fingerprint}
        return hashlib.sha256(_json(canonical).encode()).hexdigest()

    @cached_property
    def _canonical(self) -> dict:
        """The fingerprint's fields, the person aside: it counts by its own fingerprint (above), so fields added
        to it later leave both unchanged, and a submission walks each plan once."""
        canonical = {}
        for name in _field_names(type(self)):
            if name != "person":
                _put_canonical(canonical, name, getattr(self, name))
        return canonical


def _named_field(name: str, value):
    """A field as to_dict has it: the person by its own (kept) to_dict, so it is walked once."""
    return value.to_dict() if name == "person" and value is not None else _plain(value, names=True)


def _put_canonical(canonical: dict, name: str, value) -> None:
    """A field as the fingerprint has it: left out at the default of a field added later (LATER_FIELD_DEFAULTS)."""
    plain = _plain(value, names=False)
    if name == "controlnet_units":
        for unit in plain:
            for unit_field, default in LATER_UNIT_DEFAULTS.items():
                if unit[unit_field] == default:
                    del unit[unit_field]
    if name in LATER_FIELD_DEFAULTS and plain == LATER_FIELD_DEFAULTS[name]:
        canonical.pop(name, None)
    else:
        canonical[name] = plain


def _plain(value, *, names: bool):
    """`value` as JSON-ready dicts and lists; ImageRef names left out unless `names`."""
    if value is None or type(value) in _LEAVES:  # most of a plan's leaves: answered first, cheaply
        return value
    if isinstance(value, ImageRef):
        return {"name": value.name, "sha256": value.sha256} if names else {"sha256": value.sha256}
    if isinstance(value, list | tuple):
        if all(item is None or type(item) in _LEAVES for item in value):  # a keypoint, a size: copied at once
            return list(value)
        return [_plain(item, names=names) for item in value]
    if dataclasses.is_dataclass(value):
        return {name: _plain(getattr(value, name), names=names) for name in _field_names(type(value))}
    return value


_LEAVES = frozenset((str, int, float, bool))


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind))


def _json(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
