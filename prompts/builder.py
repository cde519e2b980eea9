"""build_plan: a fashion model, an outfit, a pose and a scene in; one GenerationPlan out.

Pure and deterministic: the same picks always give the same plan, hence the same fingerprint, so a
repeated request is a cache hit. The words are chosen in prompts/brief.py and prompts/outfit.py; this
module checks the picks and assembles the plan: size, ControlNet units, and for try-on the photo,
the mask and the garment references.
"""

import functools
from collections.abc import Sequence

from prompts import brief, hems, outfit
from prompts.framing import framing, plan_size
from prompts.picks import FashionModelPick, GarmentPick, PickError, PosePick, ScenePick
from prompts.plan import ControlNetUnit, GarmentLayer, GenerationPlan, InpaintMask, PlanError
from prompts.vocabulary import BUILD_MODES, OPENPOSE_KEYPOINTS, STYLES

MAX_GARMENTS = 4
DEFAULT_BASE_SIZE = (512, 768)  # the sd15 preset's size; pass a preset's own as base_size
# A garment photo is not in the pose's geometry: its edges steer softly and only while the layout
# forms, so they lend the garment's construction lines without fighting the skeleton.
CANNY_SCALE = 0.5
CANNY_GUIDANCE_END = 0.6
MASK_DILATION = 0.02
SLEEVED = ("elbow", "three-quarter", "long")
# warp: how far the draft is noised before the refine repaints it. Low enough that a print's lines and a
# logo survive, high enough that folds, shading and the seams at the body blend in (presets set their own).
WARP_STRENGTH = 0.5
# Plans kept per process (build_plan): the picks a shop's shoppers try on are few, and a plan is a few kB.
PLANS_KEPT = 256


def _kept_up_to_the_seed(build):
    """build_plan, keeping its plans per process up to the seed (its docstring says when); `build_plan.kept` is
    the cache, `build_plan.__wrapped__` builds without it."""

    @functools.lru_cache(maxsize=PLANS_KEPT, typed=True)  # typed: 1, 1.0 and True are different arguments
    def kept(**arguments) -> GenerationPlan:
        plan = build(**arguments)
        plan.fingerprint, plan.to_dict()  # walked once, here: every plan replaced() derives from it reuses the walks
        return plan

    @functools.wraps(build)
    def build_plan(**arguments) -> GenerationPlan:
        if isinstance(arguments.get("garments"), list):
            arguments["garments"] = tuple(arguments["garments"])
        try:
            hash(tuple(arguments.values()))
        except TypeError:  # a caller's own mutable value cannot be a key: built, not kept
            return build(**arguments)
        seed, fashion_model = arguments.get("seed"), arguments.get("fashion_model")
        if type(seed) is not int or not 0 <= seed < 2**32 or not isinstance(fashion_model, FashionModelPick):
            return build(**arguments)  # refused, as it always was, with the same error
        person_follows_seed = _person_seed(fashion_model, arguments.get("person_seed"), None) is None
        plan = kept(**{**arguments, "seed": seed if person_follows_seed else 0})
        return plan if plan.seed == seed else plan.replaced(seed=seed)

    build_plan.kept = kept
    return build_plan


@_kept_up_to_the_seed
def build_plan(
    *,
    garments: GarmentPick | Sequence[GarmentPick],
    fashion_model: FashionModelPick,
    pose: PosePick,
    scene: ScenePick,
    preset: str,
    seed: int,
    steps: int,
    guidance_scale: float,
    sampler: str,
    width: int | None = None,
    height: int | None = None,
    base_size: tuple[int, int] = DEFAULT_BASE_SIZE,
    style: str = "studio",
    mode: str = "generate",
    canny: bool = False,
    samples: int = 1,
    strength: float = WARP_STRENGTH,
    garment_references: bool = False,
    person_seed: int | None = None,
    person_preset: str | None = None,
    preview: bool = False,
) -> GenerationPlan:
    """The plan for rendering `fashion_model` wearing `garments` (one GarmentPick or an outfit) in `pose`.

    `width`/`height` None: a size with the framing's aspect at about base_size's pixel count (plan_size).
    `mode` "tryon": paint the garments onto fashion_model.photo instead of generating a new picture.
    `canny`: add a canny ControlNet unit for each garment that has an image.
    `samples`: how many images, seeds `seed`, `seed + 1`, ... (GenerationPlan.sample_seeds).
    `mode` "warp": the garments' cut-outs warped onto the person, then refined at `strength`. The person is
    fashion_model.photo (its photo_keypoints, else the pose's), or else a stage-1 plan of the fashion model in
    plain base clothes (`person_preset`, `person_seed`: the same for every garment, so it is rendered once).
    `garment_references`: warp: give the cut-outs to the preset's IP-Adapter (tryon always gives the photos).
    `preview`: a shopper is waiting: the engine's faster preview path, for the stage-1 person too.
    A cast fashion model (fashion_model.identity) keeps its person: the plan that renders the person (generate,
    or warp's stage 1) carries its portrait as identity_references and its words, and the stage-1 person starts
    from its identity_seed unless `person_seed` is given, the same for every garment, pose and scene.
    Built once per process for the same arguments up to the seed (PLANS_KEPT of them): the words and the geometry
    are most of a submission's work and do not depend on the seed, so another seed is the kept plan with its seed
    replaced (GenerationPlan.replaced), unless the stage-1 person's seed follows it. Arguments equal in Python share
    a plan (keypoints at 0.0 and -0.0 draw the same picture). `seed` reaches the plan's seed and, through
    _person_seed, the stage-1 person's, nothing else: the kept plans rely on it.
    """
    picked = _check_inputs(garments, fashion_model, pose, scene)
    if style not in STYLES:
        raise PickError(f"style: {style!r} is not one of {', '.join(STYLES)}")
    if mode not in BUILD_MODES:
        raise PickError(f"mode: {mode!r} is not one of {', '.join(BUILD_MODES)}")
    shot = framing(pose.keypoints)
    worn = [outfit.worn(field, garment) for field, garment in picked]
    # Try-on keeps whatever else the photo shows, so nothing stands in for what the outfit leaves out.
    if mode == "generate":
        worn += outfit.fillers({w.category for w in worn}, shot)
    worn = outfit.layered(worn)
    garments_in_order = _in_layering_order([garment for _, garment in picked])
    if width is None and height is None:
        width, height = plan_size(shot, *base_size)
    elif width is None or height is None:
        raise PlanError("width: give both width and height, or neither for a size chosen by the framing")
    tryon = _tryon(garments_in_order, fashion_model, pose) if mode == "tryon" else {}
    units = (
        ControlNetUnit(kind="openpose", keypoints=pose.keypoints, scale=1.0),
        *(_canny_units(garments_in_order) if canny else ()),
    )
    if mode == "warp":
        person_plan = None
        if fashion_model.photo is None:
            person_plan = GenerationPlan(
                prompt=brief.prompt(outfit.base_clothes(shot), fashion_model, pose, scene, shot, style),
                negative_prompt=brief.negative_prompt(outfit.base_clothes(shot), scene, shot, style),
                width=width,
                height=height,
                steps=steps,
                guidance_scale=guidance_scale,
                sampler=sampler,
                seed=_person_seed(fashion_model, person_seed, seed),
                preset=person_preset or preset,
                controlnet_units=units[:1],
                preview=preview,
                identity_references=_identity(fashion_model),
            )
        tryon = _warp(garments_in_order, fashion_model, pose, person_plan, strength)
        units = (ControlNetUnit(kind="openpose", keypoints=tryon["person_keypoints"], scale=1.0), *units[1:])
    if mode == "warp" and garment_references:
        tryon["garment_references"] = tuple(dict.fromkeys(layer.cutout for layer in tryon["garment_layers"]))
    return GenerationPlan(
        prompt=brief.prompt(worn, fashion_model, pose, scene, shot, style),
        negative_prompt=brief.negative_prompt(worn, scene, shot, style),
        width=width,
        height=height,
        steps=steps,
        guidance_scale=guidance_scale,
        sampler=sampler,
        seed=seed,
        preset=preset,
        controlnet_units=units,
        mode=mode,
        samples=samples,
        preview=preview,
        # The person is painted here only in generate mode; warp's stage 1 and try-on's photo hold the face.
        identity_references=_identity(fashion_model) if mode == "generate" else (),
        **tryon,
    )


def has_sleeves(garment: GarmentPick) -> bool:
    """Sleeves that cover the arms: said so, or outerwear unless sleeveless (a coat has them unsaid)."""
    return garment.sleeve_length in SLEEVED or (
        garment.category == "outerwear" and garment.sleeve_length != "sleeveless"
    )


def _check_inputs(garments, fashion_model, pose, scene) -> list[tuple[str, GarmentPick]]:
    """Each garment with the field name its errors should carry."""
    if isinstance(garments, GarmentPick):
        picked = [("garment", garments)]
    elif isinstance(garments, Sequence) and not isinstance(garments, str):
        picked = [(f"garments[{i}]", garment) for i, garment in enumerate(garments)]
    else:
        raise PickError(f"garments: expected a GarmentPick or a sequence of them, got {type(garments).__name__}")
    if not 1 <= len(picked) <= MAX_GARMENTS:
        raise PickError(f"garments: an outfit has 1 to {MAX_GARMENTS} garments, got {len(picked)}")
    for field, garment in picked:
        if not isinstance(garment, GarmentPick):
            raise PickError(f"{field}: expected a GarmentPick, got {type(garment).__name__}")
    for category in ("dress", "bottom"):
        count = sum(garment.category == category for _, garment in picked)
        if count > 1:
            raise PickError(f"garments: an outfit has at most one {category}, got {count}")
    for field, value, kind in (
        ("fashion_model", fashion_model, FashionModelPick),
        ("pose", pose, PosePick),
        ("scene", scene, ScenePick),
    ):
        if not isinstance(value, kind):
            raise PickError(f"{field}: expected a {kind.__name__}, got {type(value).__name__}")
    return picked


def _identity(fashion_model: FashionModelPick) -> tuple:
    return (fashion_model.identity,) if fashion_model.identity is not None else ()


def _person_seed(fashion_model: FashionModelPick, person_seed: int | None, seed: int) -> int:
    """The stage-1 person's seed: the caller's, else the cast model's own (its seed family), else the plan's."""
    if person_seed is not None:
        return person_seed
    return fashion_model.identity_seed if fashion_model.identity_seed is not None else seed


def _in_layering_order(garments: list[GarmentPick]) -> list[GarmentPick]:
    # The same outfit picked in another order must give the same plan, images included.
    return sorted(garments, key=lambda garment: outfit.CATEGORY_ORDER.index(garment.category))


def _canny_units(garments: list[GarmentPick]) -> list[ControlNetUnit]:
    images = dict.fromkeys(garment.image for garment in garments if garment.image is not None)
    return [
        ControlNetUnit(kind="canny", image=image, scale=CANNY_SCALE, guidance_end=CANNY_GUIDANCE_END)
        for image in images
    ]


def _tryon(garments: list[GarmentPick], fashion_model: FashionModelPick, pose: PosePick) -> dict:
    """The plan fields that paint `garments` onto the fashion model's photo."""
    if fashion_model.photo is None:
        raise PickError("fashion_model.photo: try-on mode needs a reference photo")
    categories = tuple(dict.fromkeys(garment.category for garment in garments))
    visible = {name for name, point in zip(OPENPOSE_KEYPOINTS, pose.keypoints, strict=True) if point[2]}
    if not visible & set(hems.needed_keypoints(categories)):
        needed = ", ".join(hems.needed_keypoints(categories))
        raise PickError(f"pose: try-on of a {' and '.join(categories)} needs one of {needed} in frame")
    # The mask reaches as far down as the longest garment; "" is its category's usual length.
    longest = max(
        (garment.length or hems.DEFAULT_LENGTHS[garment.category] for garment in garments),
        key=lambda length: hems.hem(categories, length),
    )
    sleeves = any(has_sleeves(garment) for garment in garments)
    return {
        "init_image": fashion_model.photo,
        "inpaint_mask": InpaintMask(
            category=categories, keypoints=pose.keypoints, sleeves=sleeves, dilation=MASK_DILATION, length=longest
        ),
        "garment_references": tuple(dict.fromkeys(g.image for g in garments if g.image is not None)),
    }


def _warp(
    garments: list[GarmentPick],
    fashion_model: FashionModelPick,
    pose: PosePick,
    person: GenerationPlan | None,
    strength,
) -> dict:
    """The plan fields that warp `garments`' cut-outs onto the person and refine them."""
    missing = [garment.name or garment.category for garment in garments if garment.cutout is None]
    if missing:
        raise PickError(f"garments: {', '.join(missing)} has no cut-out to warp; plan it with mode generate")
    keypoints = pose.keypoints
    if fashion_model.photo is not None and fashion_model.photo_keypoints is not None:
        keypoints = fashion_model.photo_keypoints  # the body in the photo, not the pose picked for it
    categories = tuple(dict.fromkeys(garment.category for garment in garments))
    visible = {name for name, point in zip(OPENPOSE_KEYPOINTS, keypoints, strict=True) if point[2]}
    if not visible & set(hems.needed_keypoints(categories)):
        needed = ", ".join(hems.needed_keypoints(categories))
        raise PickError(f"pose: warping a {' and '.join(categories)} needs one of {needed} in frame")
    layers = tuple(
        GarmentLayer(
            cutout=garment.cutout,
            category=garment.category,
            sleeves=has_sleeves(garment),
            length=garment.length,
        )
        for garment in garments
    )
    return {
        "init_image": fashion_model.photo,
        "person": person,
        "person_keypoints": keypoints,
        "garment_layers": layers,
        "strength": strength,
        "mask_dilation": MASK_DILATION,
    }
