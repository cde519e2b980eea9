"""The words the prompt builder chooses from: one table per thing a prompt says.

Every vocabulary value has an entry here (tests/prompts/test_templates.py checks), so adding a body
type or a category to `vocabulary.py` without wording for it fails a test, not a render.
"""

# gender_presentation -> (noun, possessive)
SUBJECTS = {
    "feminine": ("woman", "her"),
    "masculine": ("man", "his"),
    "androgynous": ("androgynous person", "their"),
}

# age_range -> phrase; "{their}" is the subject's possessive. All ranges are adults.
AGES = {
    "18-24": "in {their} early twenties",
    "25-34": "around thirty",
    "35-44": "around forty",
    "45-54": "around fifty",
    "55+": "in {their} sixties",
}

# body_type -> adjective before the noun
BODIES = {
    "petite": "petite",
    "slim": "slim",
    "average": "medium-build",
    "athletic": "athletic",
    "curvy": "curvy",
    "plus-size": "plus-size",
}

# gender_presentation -> (at most this many cm: "petite", at least this many: "tall"); between them nothing is said
STATURES = {"feminine": (157, 176), "masculine": (168, 188), "androgynous": (162, 182)}

# fashion_model.expression -> words, said after skin and hair
EXPRESSIONS = {
    "neutral": "a calm neutral expression",
    "soft smile": "a soft smile",
    "confident": "a confident expression",
    "serious": "a serious expression",
    "laughing": "a natural laugh",
}

# Hair text that names one of these already says it is hair: "short natural curls", not "... curls hair".
HAIR_WORDS = (
    "hair", "haircut", "bald", "head", "curls", "curl", "braids", "braid", "plaits", "locs", "dreadlocks", "dreads",
    "afro", "bun", "buns", "ponytail", "pigtails", "cornrows", "twists", "ringlets", "bob", "pixie", "buzz cut",
    "crew cut", "undercut", "fade", "mohawk", "updo", "chignon", "topknot", "quiff", "mullet", "hijab", "headscarf",
    "turban",
)  # fmt: skip

SKINS = {
    "very light": "very fair skin",
    "light": "fair skin",
    "medium": "medium skin tone",
    "olive": "olive skin",
    "tan": "tan skin",
    "brown": "brown skin",
    "dark brown": "dark brown skin",
    "deep": "very dark skin",
}

# category -> words that already name a garment of it; a merchant name without one gets DEFAULT_NOUNS
# appended ("aurora" -> "aurora top") so the model always knows what to draw.
GARMENT_NOUNS = {
    "top": (
        "top", "shirt", "t-shirt", "tee", "blouse", "sweater", "jumper", "pullover", "cardigan", "hoodie",
        "sweatshirt", "tank", "camisole", "cami", "polo", "bodysuit", "tunic", "turtleneck", "henley", "knit",
    ),
    "bottom": (
        "trousers", "pants", "jeans", "chinos", "shorts", "skirt", "leggings", "joggers", "culottes", "slacks",
        "sweatpants", "cargos",
    ),
    "dress": ("dress", "gown", "sundress", "jumpsuit", "playsuit", "romper", "kaftan"),
    "outerwear": (
        "jacket", "coat", "blazer", "parka", "trench", "bomber", "anorak", "gilet", "puffer", "windbreaker",
        "overcoat", "raincoat", "cape", "poncho", "shacket",
    ),
}  # fmt: skip
DEFAULT_NOUNS = {"top": "top", "bottom": "trousers", "dress": "dress", "outerwear": "jacket"}

# Garment attributes -> words. Said in catalogue order: fit, colour, pattern, material, length, name, sleeves.
PATTERNS = {
    "solid": "",  # said in the negative instead: no "pattern", no "print"
    "striped": "striped",
    "checked": "checked",
    "floral": "floral",
    "polka-dot": "polka-dot",
    "graphic-print": "graphic-print",
    "animal-print": "animal-print",
    "abstract": "abstract-print",
}
FITS = {
    "slim": "slim-fit",
    "regular": "regular-fit",
    "relaxed": "relaxed-fit",
    "oversized": "oversized",
    "tailored": "tailored",
}
# category -> length -> words: "mini" is a skirt's word, a coat of that length is "thigh-length".
LENGTHS = {
    "top": {
        "cropped": "cropped", "waist": "waist-length", "hip": "hip-length", "mini": "longline", "knee": "knee-length",
    },
    "bottom": {
        "mini": "mini", "knee": "knee-length", "midi": "midi", "cropped": "cropped", "ankle": "full-length",
        "floor": "floor-length",
    },
    "dress": {"mini": "mini", "knee": "knee-length", "midi": "midi", "ankle": "maxi", "floor": "floor-length"},
    "outerwear": {
        "cropped": "cropped", "waist": "waist-length", "hip": "hip-length", "mini": "thigh-length",
        "knee": "knee-length", "midi": "mid-calf", "ankle": "ankle-length", "floor": "floor-length",
    },
}  # fmt: skip
# sleeve_length -> (before the name, after it)
SLEEVES = {
    "sleeveless": ("sleeveless", ""),
    "short": ("", "with short sleeves"),
    "elbow": ("", "with elbow-length sleeves"),
    "three-quarter": ("", "with three-quarter sleeves"),
    "long": ("", "with long sleeves"),
}

# category -> what of it to keep in view, when the frame shows (the whole body, down to the thighs or knees,
# the upper body only). One garment is the product, so the brief says which of its features must show.
CATEGORY_FOCUS = {
    "top": ("neckline, fit and fabric of the {name} clearly visible",) * 3,
    "bottom": (
        "waistband, cut and hem of the {name} clearly visible",
        "waistband and cut of the {name} clearly visible",
        "",
    ),
    "dress": (
        "the whole {name} visible from neckline to hem",
        "neckline, waist and skirt of the {name} clearly visible",
        "neckline and bodice of the {name} clearly visible",
    ),
    "outerwear": ("collar, cut and closure of the {name} clearly visible",) * 3,
}
OUTFIT_FOCUS = ("the complete outfit clearly visible from head to toe", *("the complete outfit clearly visible",) * 2)
FOCUS_SHOTS = {"full": 0, "knees": 1, "waist": 1, "upper": 2, "head": 2}

# Words that end a garment feature: a description clause ending in one is said "with ..." ("with patch
# pockets"). Singular: a plural "s" is dropped before looking.
FEATURE_NOUNS = frozenset(
    {
        "back", "belt", "bow", "button", "closure", "collar", "cuff", "cutout", "detail", "drawstring", "embroidery",
        "epaulette", "fastening", "finish", "fit", "fringe", "hem", "hood", "lapel", "leg", "lining", "neck",
        "neckline", "panel", "placket", "pleat", "pocket", "ruffle", "seam", "sequin", "shoulder", "sleeve", "slit",
        "smocking", "strap", "tie", "toggle", "trim", "waist", "waistband", "yoke", "zip", "zipper",
    }
)  # fmt: skip

# Said in the negative when every picked garment is plain, so the model invents no print.
SOLID_NEGATIVE = ("pattern", "print")

# Neutral stand-ins for what the outfit leaves out, so the render neither invents a loud garment that
# steals attention nor leaves the fashion model bare.
FILLER_TOP = "a plain white t-shirt"
FILLER_BOTTOM = "plain neutral trousers"

# framing -> (adjective that opens the prompt, negative terms). Chosen from which keypoints are visible.
FRAMINGS = {
    "full": ("full-body", ("cropped", "cut off feet", "head out of frame")),
    "knees": ("three-quarter length", ("cut off head",)),
    "waist": ("waist-up", ("cut off head",)),
    "upper": ("upper-body", ()),
    "head": ("head-and-shoulders", ()),
}

VIEWS = {"front": "", "profile": "seen from the side", "back": "seen from behind"}

# The negative prompt is said in this order, most important first, because CLIP weighs the first
# 77-token chunk most: what a try-on must never show, the category's exclusions, the style's
# (prompts/styles.py), NEGATIVE_CORE, the framing's and the scene's terms, then NEGATIVE_TAIL.
# Together CORE and TAIL are the SD community's usual negative prompt, less "logo" (a garment may
# carry one).
NEGATIVE_SAFETY = ("nsfw", "nude", "naked", "child")
NEGATIVE_CORE = (
    "multiple people", "lowres", "worst quality", "low quality", "blurry", "bad anatomy", "bad proportions",
    "deformed", "bad hands", "extra fingers", "missing fingers", "fused fingers", "extra digits", "extra limbs",
    "watermark", "text",
)  # fmt: skip
NEGATIVE_TAIL = (
    "extra arms", "extra legs", "missing limbs", "malformed limbs", "long neck", "cross-eyed", "disfigured",
    "fewer digits", "duplicate", "jpeg artifacts", "signature", "username", "cartoon", "anime", "3d render",
    "illustration", "painting",
)  # fmt: skip

# Never dropped, even when garment text contains them ("nude" alone may be a colour, so it is not here).
PROTECTED_NEGATIVE = frozenset({"nsfw", "naked", "child"})

# category -> (negative term, categories whose presence in the outfit makes the term wrong to exclude)
CATEGORY_NEGATIVE = {
    "top": (("dress", ("dress",)), ("jumpsuit", ("dress",))),
    "bottom": (("dress", ("dress",)), ("jumpsuit", ("dress",)), ("overalls", ())),
    "dress": (
        ("trousers", ("bottom",)),
        ("jeans", ("bottom",)),
        ("shorts", ("bottom",)),
        ("two-piece outfit", ("top", "bottom")),
    ),
    "outerwear": (("shirtless", ()), ("bare chest", ())),
}
