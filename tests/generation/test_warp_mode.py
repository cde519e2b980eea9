"""Warp mode on the tiny stacks: the garment's own cut-out warped onto the person, then refined inside it."""

import dataclasses

import numpy as np
import pytest
from PIL import Image

from generation import EngineError, render
from generation.drafts import plan_draft
from prompts.cutout import garment_cutout
from prompts.draft import refine_mask
from prompts.plan import GarmentLayer, GenerationPlan

from .conftest import IMAGES, PHOTO, RED_DRESS, STANDING, picture, reference

RED_CUTOUT = reference("red-dress-cutout.png")
WARP_IMAGES = {**IMAGES, RED_CUTOUT.sha256: garment_cutout(IMAGES[RED_DRESS.sha256])}


@pytest.fixture
def warp_plan(make_plan):
    """A tiny plan that warps the red dress's cut-out onto PHOTO and refines it at half strength."""

    def make(**changes) -> GenerationPlan:
        plan = make_plan(
            mode="warp",
            init_image=PHOTO,
            person_keypoints=STANDING,
            garment_layers=(GarmentLayer(cutout=RED_CUTOUT, category="dress"),),
            strength=0.5,
        )
        return dataclasses.replace(plan, **changes)

    return make


def test_at_strength_0_the_render_is_the_draft_pixel_for_pixel(warp_plan):
    plan = warp_plan(strength=0.0)

    result = render(plan, images=WARP_IMAGES)

    draft = plan_draft(plan, WARP_IMAGES)
    assert np.array_equal(np.asarray(result.images[0]), np.asarray(draft.image))
    inside = np.asarray(draft.garment_mask) > 0
    assert inside.mean() > 0.05  # the dress is there to compare
    assert 'Try-on: "warp, person: photo, garments: 1"' in result.parameters
    assert "Denoising strength: 0.0" in result.parameters


def test_refine_repaints_inside_the_warped_garment_and_keeps_the_person_outside(warp_plan):
    plan = warp_plan()

    made = np.asarray(render(plan, images=WARP_IMAGES).images[0]).astype(int)

    draft = plan_draft(plan, WARP_IMAGES)
    region = np.asarray(refine_mask(draft.garment_mask, dilation=plan.mask_dilation))
    person = np.asarray(draft.image).astype(int)
    assert np.array_equal(made[region == 0], person[region == 0])  # the photo, exactly
    assert np.abs(made[region == 255] - person[region == 255]).mean() > 1  # repainted by the UNet


def test_the_same_warp_plan_renders_the_same_pixels(warp_plan):
    first, second = (render(warp_plan(), images=WARP_IMAGES).images[0] for _ in range(2))

    assert first.tobytes() == second.tobytes()


def test_a_stage_1_person_is_taken_from_the_images_by_its_plan_fingerprint(warp_plan, make_plan):
    person = make_plan()
    plan = warp_plan(init_image=None, person=person)
    images = {**WARP_IMAGES, person.fingerprint: picture(7, size=(64, 96))}

    result = render(plan, images=images)

    assert result.images[0].size == (64, 96)
    with pytest.raises(EngineError, match=r"^person: image of the stage-1 person .* was not supplied$"):
        render(plan, images=WARP_IMAGES)


@pytest.mark.parametrize("preset", ["tiny-tryon", "tiny-sdxl", "tiny-fast"])
def test_every_preset_family_renders_warp(warp_plan, preset):
    references = (RED_CUTOUT,) if preset == "tiny-tryon" else ()  # the try-on stack's IP-Adapter reads the cut-out
    plan = warp_plan(preset=preset, garment_references=references)
    if preset == "tiny-fast":
        plan = dataclasses.replace(plan, sampler="LCM", guidance_scale=1.0)

    result = render(plan, images=WARP_IMAGES)

    assert result.images[0].size == (plan.width, plan.height)


def test_a_missing_cutout_is_refused_naming_the_layer(warp_plan):
    with pytest.raises(EngineError, match=r"^garment_layers\[0\]\.cutout: image .* was not supplied$"):
        render(warp_plan(), images=IMAGES)


def test_a_cutout_without_any_garment_is_refused_naming_the_layers(warp_plan):
    empty = Image.new("RGBA", (96, 128), (0, 0, 0, 0))

    with pytest.raises(EngineError, match=r"^garment_layers: the draft could not be made"):
        render(warp_plan(), images={**WARP_IMAGES, RED_CUTOUT.sha256: empty})
