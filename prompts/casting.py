"""Casting: attributes in, candidate fashion models out, each a person who can be rendered again and again.

A merchant without photo shoots asks for "a tall curvy woman around thirty with auburn hair" and gets a
few candidates to choose from. Each candidate is fixed by a seed family and a short, fixed description of
its face (a few distinctive, seed-chosen traits, so candidates differ); its portrait is rendered first
(head and shoulders, facing the camera), then a neutral full-body reference conditioned on that portrait.
A kept candidate becomes a FashionModel whose later renders say the same words, start from the same seed
and condition on the same portrait (prompts.builder), so the same person appears in every picture.

Pure: no Django, no torch. Errors name the field, as the form and the API call it.
"""

import hashlib
import random
from dataclasses import asdict, dataclass

from prompts import brief, outfit
from prompts.builder import DEFAULT_BASE_SIZE
from prompts.errors import PickError
from prompts.framing import framing, plan_size
from prompts.image_ref import ImageRef
from prompts.picks import FashionModelPick, PosePick, ScenePick
from prompts.plan import ControlNetUnit, GenerationPlan
from prompts.poses import FRONT_STANDING, HIDDEN, REFERENCE_HEIGHT, REFERENCE_WIDTH
from prompts.sanitise import clean_text
from prompts.vocabulary import AGE_RANGES, BODY_TYPES, GENDER_PRESENTATIONS, OPENPOSE_KEYPOINTS, SKIN_TONES

MAX_CANDIDATES = 8
MIN_HEIGHT_CM, MAX_HEIGHT_CM = 140, 210  # adults, as a casting brief gives them
NOTE_INPUT_LIMIT = 300  # what the merchant may type; the prompt takes a cleaned, shorter part of it
NOTE_LIMIT = 50
IDENTITY_LIMIT = getattr(brief, "IDENTITY_LIMIT", 160)  # the builder says at most this much of identity_prompt

HAIR_COLOURS = (
    "black", "dark brown", "brown", "light brown", "auburn", "red", "copper", "strawberry blonde", "blonde",
    "platinum blonde", "grey", "silver", "white",
)  # fmt: skip
# hair style -> words, "{colour}" the colour's; each says it is hair (prompts.templates.HAIR_WORDS)
HAIR_STYLES = {
    "short straight": "short straight {colour} hair",
    "short curly": "short curly {colour} hair",
    "pixie cut": "{colour} pixie cut",
    "bob": "{colour} bob",
    "shoulder-length straight": "shoulder-length straight {colour} hair",
    "shoulder-length wavy": "shoulder-length wavy {colour} hair",
    "long straight": "long straight {colour} hair",
    "long wavy": "long wavy {colour} hair",
    "long curly": "long curly {colour} hair",
    "afro": "{colour} afro",
    "braids": "{colour} braids",
    "locs": "{colour} locs",
    "ponytail": "{colour} hair in a ponytail",
    "bun": "{colour} hair in a bun",
    "buzz cut": "{colour} buzz cut",
    "shaved head": "a shaved head",
}

# The distinctive facial traits a candidate is told apart by: one of each, chosen by its seed.
FACE_SHAPES = (
    "oval face", "heart-shaped face", "square jawline", "round face", "high cheekbones", "long narrow face",
    "soft rounded jaw", "strong chin",
)  # fmt: skip
EYES = (
    "almond-shaped eyes", "deep-set eyes", "hooded eyes", "wide-set eyes", "large round eyes", "narrow eyes",
    "upturned eyes", "downturned eyes",
)  # fmt: skip
BROWS = ("thick straight eyebrows", "arched eyebrows", "soft thin eyebrows", "bushy eyebrows", "angled eyebrows")
NOSES = ("straight nose", "small upturned nose", "broad nose", "aquiline nose", "button nose", "long nose")
MARKS = (
    "light dusting of freckles", "small beauty mark on the cheek", "dimples", "full lips", "thin lips",
    "cleft chin", "faint laugh lines",
)  # fmt: skip

# Head and shoulders, facing the camera, in pixels on the pose canvas: the face fills the frame and the elbows
# are out of it (framing "head"); the keypoints not named are hidden.
_PORTRAIT_PIXELS = {
    "nose": (256, 330),
    "neck": (256, 560),
    "right_shoulder": (80, 600),
    "left_shoulder": (432, 600),
    "right_eye": (214, 270),
    "left_eye": (298, 270),
    "right_ear": (156, 300),
    "left_ear": (356, 300),
}
PORTRAIT_POSE = PosePick(
    name="portrait, facing the camera, looking into the lens",
    keypoints=tuple(
        (_PORTRAIT_PIXELS[name][0] / REFERENCE_WIDTH, _PORTRAIT_PIXELS[name][1] / REFERENCE_HEIGHT, True)
        if name in _PORTRAIT_PIXELS
        else HIDDEN
        for name in OPENPOSE_KEYPOINTS
    ),
)
FULL_BODY_POSE = PosePick(name="neutral standing pose, arms relaxed, facing camera", keypoints=FRONT_STANDING.keypoints)
# A plain studio: the style's seamless backdrop, even light.
STUDIO = ScenePick(name="casting studio", lighting="softbox")
STYLE = "studio"
EXPRESSION = "neutral"  # a reference face is calm; the merchant sets an expression per model later
# What would hide or distort the face a reference is for
REFERENCE_NEGATIVE = ("sunglasses", "hat", "face covered", "hands on face", "heavy makeup")


def _choice(field: str, value, choices, *, blank: bool = False) -> None:
    if (blank and value == "") or value in choices:
        return
    allowed = ", ".join(choices) + (', or "" to let each candidate differ' if blank else "")
    raise PickError(f"{field}: {value!r} is not one of {allowed}")


@dataclass(frozen=True)
class CastingAttributes:
    """What the merchant asks for. Blank hair colour or style: each candidate's seed picks one."""

    gender_presentation: str
    age_range: str
    body_type: str
    skin_tone: str
    height_cm: int | None = None
    hair_colour: str = ""
    hair_style: str = ""
    note: str = ""  # merchant text, untrusted: cleaned and capped where it enters a prompt

    def __post_init__(self):
        _choice("gender_presentation", self.gender_presentation, GENDER_PRESENTATIONS)
        _choice("age_range", self.age_range, AGE_RANGES)
        _choice("body_type", self.body_type, BODY_TYPES)
        _choice("skin_tone", self.skin_tone, SKIN_TONES)
        _choice("hair_colour", self.hair_colour, HAIR_COLOURS, blank=True)
        _choice("hair_style", self.hair_style, tuple(HAIR_STYLES), blank=True)
        height = self.height_cm
        if height is not None and (
            isinstance(height, bool) or not isinstance(height, int) or not MIN_HEIGHT_CM <= height <= MAX_HEIGHT_CM
        ):
            limits = f"{MIN_HEIGHT_CM} to {MAX_HEIGHT_CM}"
            raise PickError(f"height_cm: {height!r} must be a whole number of centimetres from {limits}")
        if not isinstance(self.note, str):
            raise PickError(f"note: expected text, got {type(self.note).__name__}")
        if len(self.note) > NOTE_INPUT_LIMIT:
            raise PickError(f"note: at most {NOTE_INPUT_LIMIT} characters, got {len(self.note)}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "CastingAttributes":
        if not isinstance(data, dict):
            raise PickError(f"attributes: expected an object, got {type(data).__name__}")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise PickError(f"{unknown[0]}: not a casting attribute")
        try:
            return cls(**data)
        except TypeError as error:
            raise PickError(f"attributes: {error}") from None


@dataclass(frozen=True)
class Candidate:
    """One person of a casting: what stays the same in every render of them."""

    index: int
    seed: int  # the seed family: portrait, full body and every later render of this person start from it
    hair: str
    identity_prompt: str

    def fashion_model(self, attributes: CastingAttributes, identity: ImageRef | None = None) -> FashionModelPick:
        return FashionModelPick(
            gender_presentation=attributes.gender_presentation,
            age_range=attributes.age_range,
            body_type=attributes.body_type,
            skin_tone=attributes.skin_tone,
            hair=self.hair,
            expression=EXPRESSION,
            identity=identity,
            identity_prompt=self.identity_prompt,
            identity_seed=self.seed,
            height_cm=attributes.height_cm,
        )


def candidate_seed(casting_seed: int, index: int) -> int:
    """Candidate `index`'s seed family, spread over 32 bits so no two candidates' seed ranges meet."""
    return int.from_bytes(hashlib.sha256(f"casting:{casting_seed}:{index}".encode()).digest()[:4], "big")


def cast(attributes: CastingAttributes, *, count: int, seed: int) -> tuple[Candidate, ...]:
    """`count` candidates, the same for the same attributes and seed, no two with the same face."""
    if not isinstance(attributes, CastingAttributes):
        raise PickError(f"attributes: expected CastingAttributes, got {type(attributes).__name__}")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_CANDIDATES:
        raise PickError(f"count: {count!r} must be a whole number from 1 to {MAX_CANDIDATES}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise PickError(f"seed: {seed!r} must be an integer from 0 to 2**32-1")
    note = clean_text(attributes.note, limit=NOTE_LIMIT)
    faces: set[tuple[str, ...]] = set()
    candidates = []
    for index in range(count):
        family = candidate_seed(seed, index)
        rng = random.Random(family)
        face = _face(rng)
        while face in faces:  # the product of the trait lists is in the thousands: this ends at once
            face = _face(rng)
        faces.add(face)
        words = clean_text(", ".join([*face, note] if note else face), limit=IDENTITY_LIMIT)
        candidates.append(Candidate(index=index, seed=family, hair=_hair(attributes, rng), identity_prompt=words))
    return tuple(candidates)


def _face(rng: random.Random) -> tuple[str, ...]:
    return tuple(rng.choice(traits) for traits in (FACE_SHAPES, EYES, BROWS, NOSES, MARKS))


def _hair(attributes: CastingAttributes, rng: random.Random) -> str:
    colour = attributes.hair_colour or rng.choice(HAIR_COLOURS[:9])  # grey, silver, white only when asked for
    style = attributes.hair_style or rng.choice([s for s in HAIR_STYLES if s != "shaved head"])
    return HAIR_STYLES[style].format(colour=colour)


def portrait_plan(
    attributes: CastingAttributes,
    candidate: Candidate,
    *,
    preset: str,
    steps: int,
    guidance_scale: float,
    sampler: str,
    base_size: tuple[int, int] = DEFAULT_BASE_SIZE,
) -> GenerationPlan:
    """The candidate's portrait: head and shoulders, facing the camera, plain top, plain studio."""
    return _plan(attributes, candidate, PORTRAIT_POSE, None, preset, steps, guidance_scale, sampler, base_size)


def full_body_plan(
    attributes: CastingAttributes,
    candidate: Candidate,
    *,
    portrait: ImageRef,
    preset: str,
    steps: int,
    guidance_scale: float,
    sampler: str,
    base_size: tuple[int, int] = DEFAULT_BASE_SIZE,
) -> GenerationPlan:
    """The candidate's neutral full-body reference, standing, in plain clothes, conditioned on its portrait."""
    if not isinstance(portrait, ImageRef):
        raise PickError(f"portrait: expected an ImageRef, got {type(portrait).__name__}")
    return _plan(attributes, candidate, FULL_BODY_POSE, portrait, preset, steps, guidance_scale, sampler, base_size)


def _plan(attributes, candidate, pose, portrait, preset, steps, guidance_scale, sampler, base_size) -> GenerationPlan:
    shot = framing(pose.keypoints)
    fashion_model = candidate.fashion_model(attributes, identity=portrait)
    worn = outfit.base_clothes(shot)  # plain and fitted: the reference shows the person, not clothes
    negative = brief.negative_prompt(worn, STUDIO, shot, STYLE)
    width, height = plan_size(shot, *base_size)
    return GenerationPlan(
        prompt=brief.prompt(worn, fashion_model, pose, STUDIO, shot, STYLE),
        negative_prompt=", ".join(dict.fromkeys([*REFERENCE_NEGATIVE, *negative.split(", ")])),
        width=width,
        height=height,
        steps=steps,
        guidance_scale=guidance_scale,
        sampler=sampler,
        seed=candidate.seed,
        preset=preset,
        controlnet_units=(ControlNetUnit(kind="openpose", keypoints=pose.keypoints, scale=1.0),),
        identity_references=(portrait,) if portrait is not None else (),
    )
