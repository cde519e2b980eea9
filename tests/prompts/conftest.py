"""Picks a merchant and a shopper might make, and a `make_plan` that fills in what a test does not vary."""

import pytest

from prompts import POSE_LIBRARY, FashionModelPick, GarmentPick, ScenePick, build_plan


@pytest.fixture
def fashion_model():
    return FashionModelPick("feminine", "25-34", "curvy", "medium", hair="long wavy black")


@pytest.fixture
def blouse():
    return GarmentPick("top", name="Aurora Blouse", colour="#1B2A4A", material="Silk", description="Relaxed fit.")


@pytest.fixture
def trousers():
    return GarmentPick("bottom", name="Wide-leg trousers", colour="#6B6B2A", material="linen")


@pytest.fixture
def studio():
    return ScenePick("Studio", prompt="minimalist white studio, softbox lighting", negative_prompt="harsh shadows")


@pytest.fixture
def make_plan(fashion_model, blouse, studio):
    picks = {
        "garments": blouse,
        "fashion_model": fashion_model,
        "pose": POSE_LIBRARY["front-standing"],
        "scene": studio,
        "preset": "sd15",
        "seed": 1234,
        "width": 512,
        "height": 768,
        "steps": 30,
        "guidance_scale": 7.0,
        "sampler": "DPM++ 2M Karras",
    }

    def make(**overrides):
        return build_plan(**{**picks, **overrides})

    make.defaults = picks
    return make


@pytest.fixture(autouse=True)
def media_root():
    """Overrides tests/conftest.py's: prompts/ never stores files, so its tests need no Django settings."""
    return None
