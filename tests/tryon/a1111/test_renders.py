"""A1111 scripts render on the workers: the real `webuiapi` client against a live server and a real worker
rendering the tiny preset, through the same queue, jobs and merchant isolation as /api/v1."""

import threading

import numpy as np
import pytest
import requests
import webuiapi
from PIL import Image

from tests.tryon.a1111.conftest import photo, png_parameters, skeleton
from tests.tryon.worker import wait_for
from tryon.a1111.models import A1111Render
from tryon.jobs.models import GeneratedImage, TryOnJob

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NEGATIVE = "blurry, [lowres]"


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def assert_same_image(alone: Image.Image, batched: Image.Image) -> None:
    """Equal but for float summation order in a batch: no pixel off by more than one level, almost all exact."""
    difference = np.abs(pixels(alone) - pixels(batched))
    assert difference.max() <= 1, difference.max()
    assert (difference > 0).mean() < 0.001, (difference > 0).mean()


def openpose_unit(**fields) -> webuiapi.ControlNetUnit:
    return webuiapi.ControlNetUnit(image=skeleton(), module="none", model="controlnet-openpose", **fields)


def test_txt2img_with_an_openpose_unit_answers_images_infotext_and_seeds_as_a1111_does(worker, storefront):
    result = storefront.api.txt2img(
        prompt="(linen shirt:1.2), studio BREAK white background",
        negative_prompt=NEGATIVE,
        seed=1234,
        steps=3,
        cfg_scale=6.0,
        width=128,
        height=192,
        sampler_name="Euler",
        batch_size=2,
        controlnet_units=[openpose_unit(weight=0.8, guidance_end=0.9)],
    )

    assert [image.size for image in result.images] == [(128, 192), (128, 192)]
    assert result.info["all_seeds"] == [1234, 1235]
    assert result.info["sd_model_name"] == "tiny" and result.info["sampler_name"] == "Euler"
    for index, image in enumerate(result.images):
        infotext = result.info["infotexts"][index]
        assert png_parameters(image) == infotext  # the PNG carries what the answer says
        assert f"Seed: {1234 + index}" in infotext
        assert "Steps: 3, Sampler: Euler, CFG scale: 6.0" in infotext
        assert 'ControlNet 0: "Module: openpose, Model: controlnet-openpose, Weight: 0.8' in infotext
        assert infotext.startswith("(linen shirt:1.2), studio BREAK white background\nNegative prompt: " + NEGATIVE)
    assert result.parameters["prompt"] == "(linen shirt:1.2), studio BREAK white background"
    assert result.parameters["alwayson_scripts"]["ControlNet"]["args"][0]["image"] is None  # not echoed back
    job = TryOnJob.objects.get(merchant=storefront.merchant)
    assert job.status == TryOnJob.Status.SUCCEEDED and job.catalog_item is None
    assert GeneratedImage.objects.filter(job=job, merchant=storefront.merchant).count() == 2

    # The second image asked for alone, by its seed: the same pixels, from a render of its own
    again = storefront.api.txt2img(
        prompt="(linen shirt:1.2), studio BREAK white background",
        negative_prompt=NEGATIVE,
        seed=1235,
        steps=3,
        cfg_scale=6.0,
        width=128,
        height=192,
        sampler_name="Euler",
        controlnet_units=[openpose_unit(weight=0.8, guidance_end=0.9)],
    )
    assert TryOnJob.objects.filter(merchant=storefront.merchant).count() == 2
    assert_same_image(again.image, result.images[1])
    assert np.abs(pixels(result.images[0]) - pixels(result.images[1])).mean() > 5  # another seed, another image


def test_n_iter_batches_are_jobs_of_their_own_with_seeds_as_a1111_counts_them(worker, storefront):
    result = storefront.api.txt2img(
        prompt="a denim jacket", seed=40, steps=2, width=128, height=192, batch_size=2, n_iter=2, scheduler="karras",
        sampler_name="DPM++ 2M",
    )  # fmt: skip

    assert result.info["all_seeds"] == [40, 41, 42, 43]
    assert "Sampler: DPM++ 2M Karras" in result.info["infotexts"][0]
    assert len(result.info["job_ids"]) == 2
    assert A1111Render.objects.filter(key=storefront.key_row).count() == 2


def test_img2img_with_a_mask_repaints_only_inside_it(worker, storefront):
    start = photo()
    mask = Image.new("L", start.size, 0)
    mask.paste(255, (0, 0, 64, 192))  # the left half

    result = storefront.api.img2img(
        images=[start], mask_image=mask, mask_blur=2, denoising_strength=0.75, inpainting_fill=1,
        inpaint_full_res=False, prompt="a red silk blouse", seed=7, steps=3, width=128, height=192,
    )  # fmt: skip

    made = pixels(result.image)
    original = pixels(start)
    assert result.image.size == (128, 192)
    assert np.array_equal(made[:, 72:], original[:, 72:])  # right of the mask and its blur: untouched
    assert np.abs(made[:, :56] - original[:, :56]).mean() > 5  # inside: repainted
    assert "Denoising strength: 0.75" in result.info["infotexts"][0]
    assert png_parameters(result.image) == result.info["infotexts"][0]


def test_a_render_is_only_ever_its_merchants(worker, storefront, other_storefront):
    body = {"prompt": "a wool coat", "seed": 5, "steps": 2, "width": 128, "height": 192}

    mine = storefront.api.txt2img(**body)
    theirs = other_storefront.api.txt2img(**body)

    # The same request from another merchant is rendered for them, never served from this merchant's cache
    my_job = TryOnJob.objects.get(merchant=storefront.merchant)
    their_job = TryOnJob.objects.get(merchant=other_storefront.merchant)
    assert mine.info["job_ids"] == [my_job.id] and theirs.info["job_ids"] == [their_job.id]
    # ...and the storefront API of the other merchant does not know this merchant's job
    answer = requests.get(
        f"{other_storefront.base_url}/api/v1/tryons/{my_job.id}",
        headers={"Authorization": f"Bearer {other_storefront.key}"},
        timeout=30,
    )
    assert answer.status_code == 404


def test_progress_and_interrupt_see_only_the_keys_own_renders(worker, storefront, other_storefront):
    answers = []
    slow = threading.Thread(
        target=lambda: answers.append(
            storefront.api.txt2img(prompt="a trench coat", seed=9, steps=150, width=256, height=384)
        )
    )
    slow.start()
    try:
        wait_for(lambda: storefront.api.get_progress()["state"]["sampling_step"] > 0, 60, "the render to start",
                 lambda: worker.log)  # fmt: skip
        progress = storefront.api.get_progress()
        assert progress["state"]["job_count"] == 1 and 0 < progress["progress"] < 1
        assert progress["state"]["sampling_steps"] == 150

        assert other_storefront.api.get_progress()["state"]["job_count"] == 0
        other_storefront.api.interrupt()  # someone else's interrupt stops nothing of ours
        assert not TryOnJob.objects.get(merchant=storefront.merchant).cancel_requested

        storefront.api.interrupt()
    finally:
        slow.join(timeout=60)

    (answer,) = answers
    assert answer.images == [] and answer.info["interrupted"] is True
    assert TryOnJob.objects.get(merchant=storefront.merchant).status == TryOnJob.Status.CANCELLED


def test_a_render_that_outlasts_the_timeout_is_cancelled_and_answered_504(worker, storefront, settings):
    settings.TRYON_SDAPI_TIMEOUT = 1

    with pytest.raises(RuntimeError) as failure:
        storefront.api.txt2img(prompt="a parka", seed=3, steps=150, width=256, height=384)

    status, text = failure.value.args
    assert status == 504 and '"error":"TimeoutError"' in text.replace(" ", "")
    job = TryOnJob.objects.get(merchant=storefront.merchant)
    wait_for(lambda: TryOnJob.objects.get(pk=job.pk).status == TryOnJob.Status.CANCELLED, 60, "the cancel")
