"""Every word the vocabulary allows has wording, so a new body type or category fails here, not in a render."""

import itertools
import re

from prompts import POSE_LIBRARY, FashionModelPick, GarmentPick, ScenePick, build_plan, styles, templates
from prompts.vocabulary import (
    AGE_RANGES,
    BODY_TYPES,
    EXPRESSIONS,
    FITS,
    GARMENT_CATEGORIES,
    GENDER_PRESENTATIONS,
    LENGTHS_BY_CATEGORY,
    LIGHTINGS,
    PATTERNS,
    SKIN_TONES,
    SLEEVE_LENGTHS,
    STYLES,
    TIMES_OF_DAY,
)

PROMPT_SYNTAX = re.compile(r"[()\[\]{}<>:|\\]|\bBREAK\b|\bAND\b")


def test_every_vocabulary_value_has_wording():
    assert set(templates.SUBJECTS) == set(GENDER_PRESENTATIONS)
    assert set(templates.AGES) == set(AGE_RANGES)
    assert set(templates.BODIES) == set(BODY_TYPES)
    assert set(templates.SKINS) == set(SKIN_TONES)
    for table in (
        templates.GARMENT_NOUNS,
        templates.DEFAULT_NOUNS,
        templates.CATEGORY_NEGATIVE,
        templates.CATEGORY_FOCUS,
        templates.LENGTHS,
    ):
        assert set(table) == set(GARMENT_CATEGORIES)
    for category, lengths in LENGTHS_BY_CATEGORY.items():
        assert set(templates.LENGTHS[category]) == set(lengths)
    assert set(templates.PATTERNS) == set(PATTERNS)
    assert set(templates.FITS) == set(FITS)
    assert set(templates.SLEEVES) == set(SLEEVE_LENGTHS)
    assert set(templates.EXPRESSIONS) == set(EXPRESSIONS)
    assert set(styles.LIGHTINGS) == set(LIGHTINGS)
    assert set(styles.TIMES_OF_DAY) == set(TIMES_OF_DAY)
    assert set(styles.STYLES) == set(STYLES)


def test_our_own_wording_carries_no_prompt_syntax():
    ours = [
        *templates.NEGATIVE_SAFETY,
        *templates.NEGATIVE_CORE,
        *templates.NEGATIVE_TAIL,
        *(text for style in styles.STYLES.values() for text in (style.photograph, style.backdrop, style.lighting)),
        *(text for style in styles.STYLES.values() for text in (style.mood, style.quality, *style.negative)),
        *styles.LIGHTINGS.values(),
        *styles.TIMES_OF_DAY.values(),
        *templates.EXPRESSIONS.values(),
        *templates.PATTERNS.values(),
        *templates.FITS.values(),
        *(text for lengths in templates.LENGTHS.values() for text in lengths.values()),
        *(text for sleeves in templates.SLEEVES.values() for text in sleeves),
        *(text.format(name="shirt") for focus in templates.CATEGORY_FOCUS.values() for text in focus),
        *templates.OUTFIT_FOCUS,
        *templates.SOLID_NEGATIVE,
        templates.FILLER_TOP,
        templates.FILLER_BOTTOM,
        *templates.VIEWS.values(),
        *(word for adjective, terms in templates.FRAMINGS.values() for word in (adjective, *terms)),
    ]
    assert not [text for text in ours if PROMPT_SYNTAX.search(text)]


def test_every_fashion_model_the_vocabulary_allows_can_be_described():
    for gender, age, body, skin in itertools.product(GENDER_PRESENTATIONS, AGE_RANGES, BODY_TYPES, SKIN_TONES):
        plan = build_plan(
            garments=GarmentPick("dress"),
            fashion_model=FashionModelPick(gender, age, body, skin),
            pose=POSE_LIBRARY["front-standing"],
            scene=ScenePick("Studio"),
            preset="sd15",
            seed=0,
            width=512,
            height=768,
            steps=20,
            guidance_scale=7.0,
            sampler="Euler a",
        )

        noun, _ = templates.SUBJECTS[gender]
        assert f"{templates.BODIES[body]} {noun} " in plan.prompt
        assert templates.SKINS[skin] in plan.prompt
        assert "{" not in plan.prompt  # every placeholder filled
