"""The outfit in words: each garment as a catalogue phrase, the outfit as one sentence, and the
merchant's description and keywords as details that add to the phrase instead of repeating it."""

import functools
import re
from dataclasses import dataclass

from prompts import templates
from prompts.colours import colour_name
from prompts.picks import GarmentPick, PickError
from prompts.sanitise import clean_text

# Caps on untrusted text, in characters, and on keywords, in number.
NAME_LIMIT = 80
MATERIAL_LIMIT = 40
DESCRIPTION_LIMIT = 200
KEYWORD_LIMIT = 30
KEYWORDS_PER_GARMENT = 4

# Layering order within the outfit sentence; outerwear is said last, as worn "over" the rest.
CATEGORY_ORDER = ("dress", "top", "bottom", "outerwear")
_ANY_GARMENT_NOUN = re.compile(
    r"\b(?:" + "|".join(re.escape(noun) for nouns in templates.GARMENT_NOUNS.values() for noun in nouns) + r")s?\b"
)


@dataclass(frozen=True)
class Worn:
    category: str
    phrase: str  # "a relaxed-fit navy silk cropped aurora blouse with long sleeves"
    name: str  # "aurora blouse"
    details: str = ""  # the description, phrased to add to the phrase: "aurora blouse with puff sleeves"
    keywords: tuple[str, ...] = ()
    pattern: str = ""  # the vocabulary value; fillers are "solid"
    merchant_text: str = ""  # everything the merchant wrote, cleaned: the negative must not exclude it


def text(field: str, value, limit: int) -> str:
    if not isinstance(value, str):
        raise PickError(f"{field}: expected text, got {type(value).__name__}")
    return clean_text(value, limit=limit)


def has_word(text: str, word: str) -> bool:
    return _word_pattern(word).search(text) is not None


@functools.lru_cache(maxsize=4096)  # the same template terms are looked for in every prompt of every plan
def _word_pattern(word: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")


def words(text: str) -> set[str]:
    """The words of `text`, roughly stemmed, to tell whether something has been said: "belted" is "belt"."""
    return {_stem(word) for word in re.findall(r"[a-z0-9]+", text)}


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def join_and(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def with_article(phrase: str, noun: str = "") -> str:
    """`phrase` with "a" or "an", unless its noun (by default its last word) is plural."""
    last = (noun or phrase).rsplit(" ", 1)[-1]
    if last.endswith("s") and not last.endswith(("ss", "us", "is")):  # trousers, jeans: no article
        return phrase
    return f"{'an' if phrase[0] in 'aeiou' else 'a'} {phrase}"


def worn(field: str, garment: GarmentPick) -> Worn:
    if not isinstance(garment.colour, str):
        raise PickError(f"{field}.colour: expected text, got {type(garment.colour).__name__}")
    try:
        colour = colour_name(garment.colour)
    except ValueError as error:
        raise PickError(f"{field}.colour: {error}") from None
    material = text(f"{field}.material", garment.material, MATERIAL_LIMIT)
    name = text(f"{field}.name", garment.name, NAME_LIMIT)
    if not _ANY_GARMENT_NOUN.search(name):
        name = f"{name} {templates.DEFAULT_NOUNS[garment.category]}".strip()
    before, after = templates.SLEEVES.get(garment.sleeve_length, ("", ""))
    # "long-sleeve tee" has said it, and a coat with long sleeves is just a coat.
    if re.search(r"\bsleeve", name) or (garment.category == "outerwear" and garment.sleeve_length == "long"):
        before, after = "", ""
    # (words, vocabulary value): a name such as "navy linen shirt" or "slim chinos" has said them already.
    adjectives = [
        (templates.FITS.get(garment.fit, ""), garment.fit),
        (before, garment.sleeve_length),
        (colour, colour),
        (templates.PATTERNS.get(garment.pattern, ""), garment.pattern),
        (material, material),
        # Next to the noun, as a catalogue says it: "black maxi dress", "checked mini skirt".
        (templates.LENGTHS[garment.category].get(garment.length, ""), garment.length),
    ]
    kept: list[str] = []
    for said, value in adjectives:
        if not said or has_word(name, said) or (value and has_word(name, value)):
            continue
        if not words(said) <= words(" ".join(kept)):  # "denim" after "denim blue"
            kept.append(said)
    phrase = " ".join([*kept, name, after]).strip()
    description = text(f"{field}.description", garment.description, DESCRIPTION_LIMIT)
    keywords = tuple(text(f"{field}.keywords", keyword, KEYWORD_LIMIT) for keyword in garment.keywords)
    return Worn(
        category=garment.category,
        phrase=with_article(phrase, name),
        name=name,
        details=_details(name, phrase, description),
        keywords=tuple(k for k in dict.fromkeys(keywords) if k and not words(k) <= words(phrase)),
        pattern=garment.pattern,
        merchant_text=" ".join([phrase, description, *keywords]),
    )


def _details(name: str, phrase: str, description: str) -> str:
    """The description as details of the named garment, without what the phrase has said already.

    "pussy-bow collar, mother-of-pearl buttons" -> "aurora blouse with pussy-bow collar and mother-of-pearl
    buttons"; "navy silk blouse with a bow" (the phrase says navy silk) -> "aurora blouse with a bow";
    "double-breasted trench coat with a belt" for a trench coat -> itself; other text follows a comma.
    """
    said = words(phrase)
    clauses = [clause for clause in dict.fromkeys(description.split(", ")) if clause and not words(clause) <= said]
    if not clauses:
        return ""
    head = _naming(name, clauses[0], said)
    if head:
        clauses = clauses[1:]
    features = []
    while clauses and (clauses[0].startswith("with ") or _is_feature(clauses[0])):
        features.append(clauses.pop(0).removeprefix("with "))
    head = head or name
    if features:
        head += f", {join_and(features)}" if " with " in head else f" with {join_and(features)}"
    return ", ".join([head, *clauses])


def _naming(name: str, clause: str, said: set[str]) -> str:
    """`clause` with the garment's name where it names the garment ("sheer blouse" -> "sheer aurora blouse")."""
    for noun in (name, *reversed(_ANY_GARMENT_NOUN.findall(name))):
        found = re.search(rf"(?<![\w-]){re.escape(noun)}s?(?![\w-])", clause)
        if found:
            before = [word for word in clause[: found.start()].split() if not words(word) <= said]
            return " ".join([*before, name]) + clause[found.end() :]
    return ""


def _is_feature(clause: str) -> bool:
    """A short noun phrase naming a part of a garment: "pussy-bow collar", "patch pockets", "relaxed fit"."""
    said = clause.split()
    last = said[-1]  # a noun, plural or not: "pockets" is a feature, "pleated" describes one
    return (
        len(said) <= 5
        and " with " not in clause
        and (last in templates.FEATURE_NOUNS or last.removesuffix("s") in templates.FEATURE_NOUNS)
    )


def fillers(categories: set[str], shot: str) -> list[Worn]:
    """Plain stand-ins for what the outfit leaves out and the frame shows."""
    found = []
    if not categories & {"top", "dress"}:
        found.append(Worn("top", templates.FILLER_TOP, "", pattern="solid"))
    if not categories & {"bottom", "dress"} and shot in ("full", "knees"):
        found.append(Worn("bottom", templates.FILLER_BOTTOM, "", pattern="solid"))
    return found


def base_clothes(shot: str) -> list[Worn]:
    """What the stage-1 person wears under every garment: plain, fitted, neutral, so any garment covers it."""
    return fillers(set(), shot)


def layered(outfit: list[Worn]) -> list[Worn]:
    # Stable sort: two tops stay in the order the merchant layered them.
    return sorted(outfit, key=lambda worn: CATEGORY_ORDER.index(worn.category))


def outfit_sentence(outfit: list[Worn]) -> str:
    outer = [worn.phrase for worn in outfit if worn.category == "outerwear"]
    inner = [worn.phrase for worn in outfit if worn.category != "outerwear"]
    if outer and inner:
        return f"{join_and(outer)} over {join_and(inner)}"
    return join_and(outer or inner)


def keywords(outfit: list[Worn], said: str) -> list[str]:
    """The merchants' keywords not yet said, a few per garment."""
    found = []
    for worn in outfit:
        fresh = [k for k in worn.keywords if not words(k) <= words(said) and k not in found]
        found += fresh[:KEYWORDS_PER_GARMENT]
    return found
