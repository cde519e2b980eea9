"""The three modes on tiny stacks: generate (OpenPose, canny, both), try-on (inpaint + IP-Adapter), refine."""

import dataclasses

import numpy as np
import pytest

from generation import EngineError, render
from prompts.letterbox import letterbox
from prompts.plan import ControlNetUnit, InpaintMask

from .conftest import ARMS_UP, BLUE_DRESS, IMAGES, PHOTO, RED_DRESS, STANDING


def pixels(result) -> bytes:
    return result.images[0].tobytes()


def canny(**changes) -> ControlNetUnit:
    return ControlNetUnit(kind="canny", image=RED_DRESS, **changes)


# generate


def test_openpose_and_canny_together_steer_the_image_through_two_controlnets(make_plan):
    pose_only = render(make_plan())
    plan = make_plan(controlnet_units=(*make_plan().controlnet_units, canny(scale=0.5)))

    both = render(plan, images=IMAGES)

    assert pixels(both) != pixels(pose_only)
    assert 'ControlNet 1: "Module: canny, Model: controlnet-canny, Weight: 0.5' in both.parameters
    assert pixels(render(plan, images=IMAGES)) == pixels(both)


def test_the_canny_image_steers_a_canny_only_plan(make_plan):
    red = render(make_plan(controlnet_units=(canny(),)), images=IMAGES)

    blue = render(make_plan(controlnet_units=(ControlNetUnit(kind="canny", image=BLUE_DRESS),)), images=IMAGES)

    assert pixels(red) != pixels(blue)


def test_a_canny_image_not_supplied_is_refused_naming_the_unit(make_plan):
    plan = make_plan(controlnet_units=(*make_plan().controlnet_units, canny()))

    with pytest.raises(EngineError, match=rf"^controlnet_units\[1\]\.image: image {RED_DRESS.sha256[:8]}… "):
        render(plan, images={})


# try-on


def test_tryon_repaints_inside_the_mask_and_keeps_the_photo_outside(tryon_plan):
    plan = tryon_plan()

    result = render(plan, images=IMAGES)

    made = np.asarray(result.images[0])
    photo = np.asarray(letterbox(IMAGES[PHOTO.sha256], plan.width, plan.height))
    inside = np.asarray(plan.inpaint_mask.mask_image(plan.width, plan.height)) > 0
    assert made.shape == (96, 64, 3)
    assert (made[~inside] == photo[~inside]).all()
    assert (made[inside] != photo[inside]).any()
    assert "Denoising strength: 1.0" in result.parameters


def test_tryon_is_steered_by_the_garment_photo_the_pose_and_the_mask(tryon_plan):
    red = pixels(render(tryon_plan(), images=IMAGES))

    blue = render(tryon_plan(garment_references=(BLUE_DRESS,)), images=IMAGES)
    posed = render(tryon_plan(controlnet_units=(ControlNetUnit(kind="openpose", keypoints=ARMS_UP),)), images=IMAGES)
    top = render(tryon_plan(inpaint_mask=InpaintMask(category="top", keypoints=STANDING)), images=IMAGES)

    assert len({red, pixels(blue), pixels(posed), pixels(top)}) == 4


def test_tryon_with_two_garments_and_the_same_plan_gives_the_same_pixels(tryon_plan):
    plan = tryon_plan(garment_references=(RED_DRESS, BLUE_DRESS))

    first = render(plan, images=IMAGES)

    assert pixels(render(plan, images=IMAGES)) == pixels(first)
    assert pixels(render(tryon_plan(), images=IMAGES)) != pixels(first)


def test_tryon_reports_progress_and_can_be_cancelled(tryon_plan):
    from generation import RenderCancelled

    reports = []

    def cancel(done, total):
        reports.append((done, total))
        raise RenderCancelled("left")

    with pytest.raises(RenderCancelled):
        render(tryon_plan(steps=3), images=IMAGES, on_step=cancel)

    assert reports == [(1, 3)]


def test_the_photo_not_supplied_is_refused_naming_the_field(tryon_plan):
    with pytest.raises(EngineError, match=rf"^init_image: image {PHOTO.sha256[:8]}… \(photo\.png\) was not supplied$"):
        render(tryon_plan(), images={RED_DRESS.sha256: IMAGES[RED_DRESS.sha256]})

    with pytest.raises(EngineError, match=r"^garment_references\[0\]: expected a PIL image"):
        render(tryon_plan(), images={**IMAGES, RED_DRESS.sha256: b"png bytes"})


def test_a_tryon_plan_without_garment_photos_or_on_a_preset_without_ip_adapter_is_refused(tryon_plan):
    with pytest.raises(EngineError, match=r"^garment_references: preset 'tiny-tryon' paints garments from their"):
        render(tryon_plan(garment_references=()), images=IMAGES)

    with pytest.raises(EngineError, match=r"^mode: 'tryon' is not rendered by preset 'tiny' \(it renders generate, "):
        render(tryon_plan(preset="tiny"), images=IMAGES)


def test_garment_photos_on_a_preset_without_ip_adapter_are_refused(make_plan):
    with pytest.raises(EngineError, match=r"^garment_references: preset 'tiny' has no IP-Adapter"):
        render(make_plan(garment_references=(RED_DRESS,)), images=IMAGES)


# refine


def refine(make_plan, **changes):
    return make_plan(**{"mode": "refine", "init_image": PHOTO, "strength": 0.5, "steps": 4, **changes})


def test_refine_starts_from_the_image_and_runs_the_strengths_share_of_the_steps(make_plan):
    reports = []

    result = render(refine(make_plan), images=IMAGES, on_step=lambda done, total: reports.append((done, total)))

    assert result.images[0].size == (64, 96)
    assert reports == [(1, 2), (2, 2)]  # 4 steps at strength 0.5
    assert "Denoising strength: 0.5" in result.parameters
    assert pixels(render(refine(make_plan), images=IMAGES)) == pixels(result)


def test_refine_is_steered_by_the_image_and_the_strength(make_plan):
    first = pixels(render(refine(make_plan), images=IMAGES))

    other_image = render(refine(make_plan, init_image=RED_DRESS), images=IMAGES)
    other_strength = render(dataclasses.replace(refine(make_plan), strength=0.75), images=IMAGES)

    assert len({first, pixels(other_image), pixels(other_strength)}) == 3


def test_refine_without_controlnet_units_uses_plain_img2img(make_plan):
    result = render(refine(make_plan, controlnet_units=()), images=IMAGES)

    assert result.images[0].size == (64, 96) and "ControlNet" not in result.parameters


def test_refine_with_a_drawn_mask_repaints_only_inside_it(make_plan):
    from PIL import Image

    from prompts.plan import ImageRef

    mask = Image.new("L", (64, 96), 0)
    mask.paste(255, (0, 0, 32, 96))  # the left half
    ref = ImageRef(name="mask.png", sha256="d" * 64)
    images = {**IMAGES, ref.sha256: mask}

    result = render(refine(make_plan, mask=ref, strength=0.75), images=images)

    made = np.asarray(result.images[0], dtype=int)
    photo = np.asarray(letterbox(IMAGES[PHOTO.sha256].convert("RGB"), 64, 96), dtype=int)
    assert np.array_equal(made[:, 32:], photo[:, 32:])  # outside: the photo as it was
    assert np.abs(made[:, :32] - photo[:, :32]).mean() > 5  # inside: repainted


def test_a_ready_made_openpose_image_steers_as_the_skeleton_drawn_from_keypoints_does(make_plan):
    from prompts.conditioning import render_pose
    from prompts.plan import ImageRef

    drawn = render_pose(STANDING, width=64, height=96)
    ref = ImageRef(name="skeleton.png", sha256="e" * 64)
    from_keypoints = render(make_plan())

    from_image = render(
        make_plan(controlnet_units=(ControlNetUnit(kind="openpose", image=ref, preprocessed=True),)),
        images={ref.sha256: drawn},
    )

    assert pixels(from_image) == pixels(from_keypoints)
