"""Bad input gets A1111's own error shape, naming the field, before any job exists; never a 500."""

import base64
import json

import pytest
import webuiapi
from django.core.files.storage import default_storage

from tests.tryon.a1111.conftest import photo, skeleton
from tryon.jobs.models import TryOnJob

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def refusal(call) -> tuple[int, list]:
    """The status and FastAPI-style `detail` list of a call webuiapi turned into its RuntimeError."""
    with pytest.raises(RuntimeError) as failure:
        call()
    status, text = failure.value.args
    return status, json.loads(text)["detail"]


def stored_inputs(storefront) -> list[str]:
    """The A1111 images kept in storage for this merchant (init images, masks, ControlNet images)."""
    try:
        return default_storage.listdir(f"a1111/{storefront.merchant.id}")[1]
    except FileNotFoundError:
        return []


def small(**fields) -> dict:
    return {"prompt": "a linen shirt", "width": 128, "height": 192, "steps": 2, **fields}


@pytest.mark.parametrize(
    ("fields", "location", "words"),
    [
        ({"steps": 10_000}, ["body", "steps"], "less than or equal to 150"),
        ({"width": 9_999}, ["body", "width"], "largest side preset 'tiny' renders"),
        ({"height": 100}, ["body", "height"], "not a multiple of 8"),
        ({"sampler_name": "Euler z"}, ["body", "sampler_name"], "'Euler z' is not one of"),
        ({"scheduler": "cosine"}, ["body", "scheduler"], "'cosine' is not one of"),
        ({"seed": -7}, ["body", "seed"], "greater than or equal to -1"),
        ({"batch_size": 9}, ["body", "batch_size"], "less than or equal to 4"),
        ({"prompt": "a (linen:1.2.3) shirt"}, ["body", "prompt"], "1.2.3"),
        ({"prompt": "a shirt <lora:nowhere:0.8>"}, ["body", "prompt"], "'nowhere' is not in"),
        ({"enable_hr": True}, ["body", "enable_hr"], "not supported"),
        ({"override_settings": {"sd_model_checkpoint": "tiny-tryon"}}, ["body", "override_settings"], "cannot render"),
    ],
)
def test_txt2img_refuses_what_it_cannot_render_naming_the_field(storefront, fields, location, words):
    status, detail = refusal(lambda: storefront.api.txt2img(**small(**fields)))

    assert status == 422
    assert detail[0]["loc"] == location, detail
    assert words in detail[0]["msg"], detail
    assert not TryOnJob.objects.exists()


def test_a_controlnet_unit_without_an_image_is_refused_by_its_index(storefront):
    units = [webuiapi.ControlNetUnit(image=skeleton(), model="controlnet-openpose"), webuiapi.ControlNetUnit()]

    status, detail = refusal(lambda: storefront.api.txt2img(**small(), controlnet_units=units))

    assert status == 422
    assert detail[0]["loc"] == ["body", "alwayson_scripts", "ControlNet", "args", 1, "image"]
    assert detail[0]["msg"] == "A ControlNet unit needs an image."


@pytest.mark.parametrize(
    ("unit", "field", "words"),
    [
        ({"module": "depth_midas"}, "module", "is not one of none, openpose, canny"),
        ({"model": "control_v11f1p_sd15_depth"}, "model", "is not one of controlnet-openpose, controlnet-canny"),
        ({"module": "canny", "model": "controlnet-openpose"}, "module", "does not make conditioning"),
        ({"image": "bm90IGFuIGltYWdl"}, "image", "not an image we can read"),
        ({"guidance_start": 0.8, "guidance_end": 0.2}, "guidance_start", "below guidance_end"),
    ],
)
def test_a_bad_controlnet_unit_is_named_down_to_its_field(storefront, unit, field, words):
    body = {
        **small(),
        "alwayson_scripts": {"ControlNet": {"args": [{"image": "", "model": "controlnet-openpose", **unit}]}},
    }
    body["alwayson_scripts"]["ControlNet"]["args"][0].setdefault("image", "")
    if not body["alwayson_scripts"]["ControlNet"]["args"][0]["image"]:
        body["alwayson_scripts"]["ControlNet"]["args"][0]["image"] = webuiapi.raw_b64_img(skeleton())

    answer = storefront.api.session.post(f"{storefront.api.baseurl}/txt2img", json=body)

    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail[0]["loc"] == ["body", "alwayson_scripts", "ControlNet", "args", 0, field], detail
    assert words in detail[0]["msg"], detail


@pytest.mark.parametrize(
    ("init", "words"),
    [
        ("data:image/png;base64,@@@not base64@@@", "base64 cannot be decoded"),
        (base64.b64encode(b"GIF89a but not really").decode(), "not an image we can read"),
        ("", "Expected a base64 image"),
    ],
)
def test_img2img_says_which_image_it_cannot_read(storefront, init, words):
    body = {**small(), "init_images": [init], "denoising_strength": 0.5}

    answer = storefront.api.session.post(f"{storefront.api.baseurl}/img2img", json=body)

    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail[0]["loc"][:2] == ["body", "init_images"], detail
    assert words in detail[0]["msg"], detail


def test_a_mask_of_another_size_than_the_image_is_refused(storefront):
    status, detail = refusal(
        lambda: storefront.api.img2img(images=[photo()], mask_image=photo(64, 64), **small(), denoising_strength=0.5)
    )

    assert status == 422
    assert detail[0]["loc"] == ["body", "mask"]
    assert stored_inputs(storefront) == []  # the init image, valid on its own, was not kept either


def test_a_50_mb_image_is_refused_with_413_before_it_is_decoded(storefront):
    body = {**small(), "init_images": ["A" * (50 * 1024 * 1024)]}

    answer = storefront.api.session.post(f"{storefront.api.baseurl}/img2img", json=body)

    assert answer.status_code == 413
    assert answer.json()["error"] == "RequestDataTooBig"
    assert not TryOnJob.objects.exists()


def test_a_body_that_is_not_json_is_a_client_error(storefront):
    answer = storefront.api.session.post(
        f"{storefront.api.baseurl}/txt2img", data=b"{prompt", headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body"]
    assert "JSON parse error" in answer.json()["detail"][0]["msg"]
