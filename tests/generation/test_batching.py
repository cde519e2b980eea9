"""Several plans in one pipeline call: each image is what its plan renders alone, and a cancel or a failure
of one plan ends only that plan. Tiny stacks on CPU.

The tolerance, and why: each plan's noise is its own generator's, bit for bit, but a convolution or matmul
over a batch of 8 sums its products in another order than over a batch of 1 (oneDNN blocks them by batch),
so the floats differ in their last bits and, after the VAE, a pixel here and there rounds one level the
other way: at most 1 of 255, on well under 0.1 % of the pixels (measured: 0-2 pixels of 6,144 per image).
"""

import dataclasses

import numpy as np
import pytest

from generation import EngineError, RenderCancelled, RenderResult, preview, render
from generation.batching import BatchItem, batch_key, render_batch
from generation.deepcache import DeepCache
from prompts.plan import ControlNetUnit, GarmentLayer

from .conftest import ARMS_UP, IMAGES, PHOTO, RED_DRESS, STANDING, reference
from .test_warp_mode import RED_CUTOUT, WARP_IMAGES


def pixels(result: RenderResult) -> np.ndarray:
    return np.asarray(result.images[0])


def assert_same_image(alone: RenderResult, batched: RenderResult) -> None:
    """Equal but for float summation order: no pixel off by more than one level, almost all exactly equal."""
    difference = np.abs(pixels(alone).astype(int) - pixels(batched).astype(int))
    assert difference.max() <= 1, difference.max()
    assert (difference > 0).mean() < 0.001, (difference > 0).mean()


def spy(function, calls: list):
    def recording(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    return recording


def models_called_with(monkeypatch) -> list[int]:
    """The batch size of every UNet call, to see that the plans really shared their calls."""
    from diffusers import UNet2DConditionModel

    sizes, forward = [], UNet2DConditionModel.forward

    def counting(self, sample, *args, **kwargs):
        sizes.append(sample.shape[0])
        return forward(self, sample, *args, **kwargs)

    monkeypatch.setattr(UNet2DConditionModel, "forward", counting)
    return sizes


def test_four_shoppers_rendered_together_get_the_pixels_each_would_get_alone(make_plan, monkeypatch):
    plans = [
        make_plan(seed=11),
        make_plan(seed=12, prompt="full body photo of a man in a blue suit"),
        make_plan(seed=13, controlnet_units=(ControlNetUnit(kind="openpose", keypoints=ARMS_UP),)),
        make_plan(seed=14, negative_prompt="cartoon"),
    ]
    alone = [render(plan) for plan in plans]
    unet_batches = models_called_with(monkeypatch)

    together = render_batch([BatchItem(plan) for plan in plans])

    assert unet_batches == [8, 8]  # two steps, each one call: 4 plans x (prompt + negative prompt)
    for one, batched in zip(alone, together, strict=True):
        assert_same_image(one, batched)
        assert batched.infotexts == one.infotexts
    assert len({pixels(result).tobytes() for result in together}) == 4


def test_warp_refines_batch_too_and_keep_each_persons_photo_outside_the_garment(make_plan):
    blue_cutout = reference("blue-dress-cutout.png")
    from prompts.cutout import garment_cutout

    images = {**WARP_IMAGES, blue_cutout.sha256: garment_cutout(IMAGES[RED_DRESS.sha256].rotate(10))}
    warp = dict(mode="warp", init_image=PHOTO, person_keypoints=STANDING, strength=0.5)
    plans = [
        make_plan(seed=21, **warp, garment_layers=(GarmentLayer(cutout=RED_CUTOUT, category="dress"),)),
        make_plan(seed=22, **warp, garment_layers=(GarmentLayer(cutout=blue_cutout, category="dress"),)),
    ]

    together = render_batch([BatchItem(plan, images=images) for plan in plans])

    for plan, batched in zip(plans, together, strict=True):
        one = render(plan, images=images)
        assert_same_image(one, batched)
        assert batched.garment is not None


def test_a_shopper_who_cancels_mid_batch_ends_cancelled_and_the_others_finish(make_plan):
    seen = {0: [], 1: [], 2: []}

    def progress(index):
        def on_step(done, total):
            seen[index].append(done)
            if index == 1 and done == 1:
                raise RenderCancelled("shopper 1 left the page")

        return on_step

    plans = [make_plan(seed=31 + index, steps=3) for index in range(3)]

    results = render_batch([BatchItem(plan, on_step=progress(index)) for index, plan in enumerate(plans)])

    assert isinstance(results[1], RenderCancelled)
    assert seen == {0: [1, 2, 3], 1: [1], 2: [1, 2, 3]}  # the others' progress goes on to the end
    for index in (0, 2):
        assert_same_image(results[index], render(plans[index]))


def test_when_every_plan_cancels_the_batch_stops_at_once(make_plan, monkeypatch):
    def cancel(done, total):
        raise RenderCancelled("gone")

    unet_batches = models_called_with(monkeypatch)

    results = render_batch([BatchItem(make_plan(seed=seed, steps=4), on_step=cancel) for seed in (1, 2)])

    assert all(isinstance(result, RenderCancelled) for result in results)
    assert len(unet_batches) == 1  # stopped after the first step, not rendered alone again


def test_a_plan_missing_its_image_fails_alone_and_its_batch_mates_render(make_plan):
    refine = [make_plan(seed=seed, mode="refine", init_image=PHOTO, strength=0.6) for seed in (42, 43, 44)]
    images = [IMAGES, {}, IMAGES]  # the second one's photo is gone

    results = render_batch([BatchItem(plan, images=given) for plan, given in zip(refine, images, strict=True)])

    assert isinstance(results[1], EngineError) and "init_image: image" in str(results[1])
    for index in (0, 2):
        assert_same_image(results[index], render(refine[index], images=IMAGES))
    assert batch_key(make_plan()) != batch_key(refine[0])  # generate and refine never share a call


def test_a_failure_inside_the_batched_call_falls_back_to_each_plan_alone(make_plan, monkeypatch):
    import generation.batching

    def broken(*args, **kwargs):
        raise RuntimeError("a kernel fell over on the stacked batch")

    plans = [make_plan(seed=51), make_plan(seed=52)]
    monkeypatch.setattr(generation.batching, "_denoise_together", broken)

    results = render_batch([BatchItem(plan) for plan in plans])

    for plan, result in zip(plans, results, strict=True):
        assert_same_image(result, render(plan))


def test_prompts_of_different_lengths_share_the_batch_but_not_the_call(make_plan, monkeypatch):
    long_prompt = ", ".join(["a red linen dress with white buttons"] * 14)  # past 75 tokens: two chunks
    plans = [make_plan(seed=61), make_plan(seed=62, prompt=long_prompt), make_plan(seed=63)]
    alone = [render(plan) for plan in plans]
    unet_batches = models_called_with(monkeypatch)

    together = render_batch([BatchItem(plan) for plan in plans])

    assert sorted(unet_batches) == [2, 2, 4, 4]  # the long prompt alone, the two short ones together
    for one, batched in zip(alone, together, strict=True):
        assert_same_image(one, batched)


def test_shoppers_previews_rendered_together_take_the_preview_path_each_would_take_alone(make_plan, monkeypatch):
    monkeypatch.setattr(preview, "native_bf16", lambda: False)  # the same pixels on every CPU
    shopper = dict(preset="tiny-fast", steps=4, guidance_scale=1.0, sampler="LCM", preview=True)
    plans = [make_plan(seed=seed, **shopper) for seed in (31, 32, 33)]
    alone = [render(plan) for plan in plans]
    unet_batches = models_called_with(monkeypatch)

    together = render_batch([BatchItem(plan) for plan in plans])

    assert unet_batches == [3, 3, 3, 3]  # guidance off: one row per shopper, every step one call
    for one, batched in zip(alone, together, strict=True):
        assert_same_image(one, batched)
        assert batched.infotexts == one.infotexts
        assert "TAESD, 4 steps, ControlNet until 0.5, DeepCache every 2" in batched.parameters


def test_what_cannot_share_a_call_has_no_batch_key(make_plan):
    plan = make_plan()

    assert batch_key(dataclasses.replace(plan, preview=True)) != batch_key(plan)  # a shopper's preview path

    assert batch_key(plan) == batch_key(dataclasses.replace(plan, seed=99, prompt="another prompt"))
    assert batch_key(dataclasses.replace(plan, width=96, height=64)) != batch_key(plan)
    assert batch_key(dataclasses.replace(plan, steps=3)) != batch_key(plan)
    assert batch_key(dataclasses.replace(plan, samples=2)) is None  # a batch of its own already
    assert batch_key(dataclasses.replace(plan, prompt="a dress <lora:silk:0.8>")) is None  # LoRAs change the weights
    assert batch_key(dataclasses.replace(plan, garment_references=(RED_DRESS,))) is None  # IP-Adapter renders alone


def test_plans_of_different_shapes_are_refused_together(make_plan):
    with pytest.raises(EngineError, match=r"^plans: a batch takes one-sample plans of one batch_key"):
        render_batch([BatchItem(make_plan()), BatchItem(make_plan(steps=3))])


def test_a_worker_warm_up_renders_catalog_and_preview_plans_at_batch_one_and_at_its_largest_batch(monkeypatch):
    from generation.warmup import warm_up

    unet_batches = models_called_with(monkeypatch)
    previews = []
    monkeypatch.setattr(DeepCache, "applied", spy(DeepCache.applied, previews))  # the preview path's own lever

    assert warm_up("tiny", batch_sizes=(1, 4)) > 0

    # tiny: 4 steps with guidance, so each UNet call takes the prompt and the negative prompt; catalog, then preview
    assert unet_batches == [2] * 4 + [8] * 4 + [2] * 4 + [8] * 4
    assert len(previews) == 2  # the preview path taken alone and as a batch
    unet_batches.clear()

    assert warm_up("tiny", batch_sizes=(1, 4), previews=False) > 0  # a shop that renders no previews

    assert unet_batches == [2] * 4 + [8] * 4 and len(previews) == 2
