"""The closed vocabularies a pick is made of.

Django models take their choices from here so the database, the API and the prompt builder
can never disagree about what a "curvy" body type or a "dress" is.
"""

GARMENT_CATEGORIES = ("top", "bottom", "dress", "outerwear")

GENDER_PRESENTATIONS = ("feminine", "masculine", "androgynous")

AGE_RANGES = ("18-24", "25-34", "35-44", "45-54", "55+")

BODY_TYPES = ("petite", "slim", "average", "athletic", "curvy", "plus-size")

SKIN_TONES = ("very light", "light", "medium", "olive", "tan", "brown", "dark brown", "deep")

# OpenPose-18 body keypoints, the order ControlNet openpose models were trained on.
# "right" is the person's right.
OPENPOSE_KEYPOINTS = (
    "nose",
    "neck",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "right_eye",
    "left_eye",
    "right_ear",
    "left_ear",
)

# Garment, fashion model and scene attributes. Every one of them may also be "" (not specified): the prompt
# then says nothing about it, and a Django field takes these as choices with blank=True.
PATTERNS = ("solid", "striped", "checked", "floral", "polka-dot", "graphic-print", "animal-print", "abstract")

FITS = ("slim", "regular", "relaxed", "oversized", "tailored")

# Where the hem falls, top to toe. Not every length suits every category: see LENGTHS_BY_CATEGORY.
LENGTHS = ("cropped", "waist", "hip", "mini", "knee", "midi", "ankle", "floor")
LENGTHS_BY_CATEGORY = {
    "top": ("cropped", "waist", "hip", "mini", "knee"),
    "bottom": ("mini", "knee", "midi", "cropped", "ankle", "floor"),  # cropped trousers stop above the ankle
    "dress": ("mini", "knee", "midi", "ankle", "floor"),
    "outerwear": LENGTHS,
}

SLEEVE_LENGTHS = ("sleeveless", "short", "elbow", "three-quarter", "long")

EXPRESSIONS = ("neutral", "soft smile", "confident", "serious", "laughing")

LIGHTINGS = ("softbox", "natural daylight", "window light", "golden hour", "overcast", "neon", "dramatic rim light")

TIMES_OF_DAY = ("morning", "midday", "afternoon", "sunset", "blue hour", "night")

# How the picture is made: a clean e-commerce catalogue shot, a candid lifestyle shot or a magazine editorial.
# Never blank: build_plan defaults to "studio".
STYLES = ("studio", "lifestyle", "editorial")

# What build_plan makes: a new picture, or the garments painted onto a fashion model's photo.
BUILD_MODES = ("generate", "tryon", "warp")
