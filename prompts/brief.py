"""The prompt and the negative prompt, as a photographer would brief the shoot.

Most important first, because CLIP weighs the first 77 tokens most: what kind of photograph, of whom,
wearing what, posed how, where and in what light; then what to show of the garment, the merchant's
details and keywords, the style's mood, and the finish.
"""

import re

from prompts import outfit, templates
from prompts.framing import view
from prompts.outfit import Worn
from prompts.picks import FashionModelPick, PosePick, ScenePick
from prompts.styles import LIGHTINGS, STYLES, TIMES_OF_DAY

HAIR_LIMIT = 60
POSE_NAME_LIMIT = 60
SCENE_LIMIT = 300
LOCATION_LIMIT = 120
IDENTITY_LIMIT = 160  # a cast fashion model's fixed words: said in every render of it, so kept short

_HAIR_WORDS = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, templates.HAIR_WORDS)) + r")(?![\w-])")
# Scene text that already says how it is lit: the style's default light would contradict it.
_SAYS_LIGHT = re.compile(r"\b(?:light|lighting|lit|sunlit|sunlight|daylight|softbox|spotlights?|backlit|neon)\b")
_NOT_LIGHT = re.compile(r"\blight (?:grey|gray|blue|pink|green|brown|beige|wood)\b")


def prompt(
    worn: list[Worn], fashion_model: FashionModelPick, pose: PosePick, scene: ScenePick, shot: str, style: str
) -> str:
    chosen = STYLES[style]
    if shot in ("upper", "head") and any(w.name and w.category != "bottom" for w in worn):
        # Legs out of frame: naming trousers would pull the camera back to show them. A bottom that is
        # the only product stays, though: a brief that leaves out the product is worse.
        worn = [w for w in worn if w.category != "bottom"]
    picked = [w for w in worn if w.name]  # the merchant's garments, not the fillers
    opening = [
        f"{templates.FRAMINGS[shot][0]} {chosen.photograph} of {_subject(fashion_model)}",
        outfit.text("fashion_model.identity_prompt", fashion_model.identity_prompt, IDENTITY_LIMIT),
        f"wearing {outfit.outfit_sentence(worn)}",
        outfit.text("pose.name", pose.name, POSE_NAME_LIMIT),
        templates.VIEWS[view(pose.keypoints)],
        *_scene(scene, style),
        _focus(picked, shot),
        # Descriptions follow the scene: a long one must not push the backdrop out of the first chunk.
        *(w.details for w in picked),
    ]
    said = ", ".join(part for part in opening if part)
    return ", ".join(part for part in (said, _keywords(picked, said), chosen.mood, chosen.quality) if part)


def negative_prompt(worn: list[Worn], scene: ScenePick, shot: str, style: str) -> str:
    categories = {w.category for w in worn}
    terms = list(templates.NEGATIVE_SAFETY)
    for category in outfit.CATEGORY_ORDER:
        if category in categories:
            terms += [term for term, unless in templates.CATEGORY_NEGATIVE[category] if not categories & set(unless)]
    if all(w.pattern == "solid" for w in worn):
        terms += templates.SOLID_NEGATIVE
    terms += STYLES[style].negative
    terms += templates.NEGATIVE_CORE
    terms += templates.FRAMINGS[shot][1]
    terms += outfit.text("scene.negative_prompt", scene.negative_prompt, SCENE_LIMIT).split(", ")
    terms += templates.NEGATIVE_TAIL
    # Never exclude what the merchant asked for: a "cropped" top, a "nude" blouse, a "text" print tee, a "neon" scene.
    asked = " ".join([*(w.merchant_text for w in worn), *_scene(scene, style)])
    kept = [t for t in terms if t and (t in templates.PROTECTED_NEGATIVE or not outfit.has_word(asked, t))]
    return ", ".join(dict.fromkeys(kept))


def _subject(fashion_model: FashionModelPick) -> str:
    noun, their = templates.SUBJECTS[fashion_model.gender_presentation]
    age = templates.AGES[fashion_model.age_range].format(their=their)
    hair = outfit.text("fashion_model.hair", fashion_model.hair, HAIR_LIMIT)
    if hair and not _HAIR_WORDS.search(hair):
        hair = f"{hair} hair"
    features = [templates.SKINS[fashion_model.skin_tone], hair, templates.EXPRESSIONS.get(fashion_model.expression)]
    said = outfit.join_and([feature for feature in features if feature])
    build = templates.BODIES[fashion_model.body_type]
    stature = _stature(fashion_model)
    if stature and stature != build:  # "a petite petite woman" says nothing twice
        build = f"{stature} {build}"
    return f"{outfit.with_article(build)} {noun} {age} with {said}"


def _stature(fashion_model: FashionModelPick) -> str:
    """ "petite" or "tall" for a height well off the usual for the presentation, else nothing."""
    if fashion_model.height_cm is None:
        return ""
    short, tall = templates.STATURES[fashion_model.gender_presentation]
    if fashion_model.height_cm <= short:
        return "petite"
    return "tall" if fashion_model.height_cm >= tall else ""


def _scene(scene: ScenePick, style: str) -> list[str]:
    where = [
        outfit.text("scene.location", scene.location, LOCATION_LIMIT),
        outfit.text("scene.prompt", scene.prompt, SCENE_LIMIT),
    ]
    where = [part for part in where if part] or [STYLES[style].backdrop]
    if scene.lighting:
        light = LIGHTINGS[scene.lighting]
    else:
        described = _NOT_LIGHT.sub("", " ".join(where))
        light = "" if _SAYS_LIGHT.search(described) else STYLES[style].lighting
    return [part for part in (*where, TIMES_OF_DAY.get(scene.time_of_day, ""), light) if part]


def _keywords(picked: list[Worn], said: str) -> str:
    """The merchants' keywords as the look they describe: "office and evening style"."""
    found = outfit.keywords(picked, said)
    if not found:
        return ""
    return f"{outfit.join_and(found)} style"


def _focus(picked: list[Worn], shot: str) -> str:
    """What of the product the picture must show: one garment's telling features, or a whole outfit."""
    shown = templates.FOCUS_SHOTS[shot]
    if len(picked) != 1:
        return templates.OUTFIT_FOCUS[shown] if picked else ""
    return templates.CATEGORY_FOCUS[picked[0].category][shown].format(name=picked[0].name)
