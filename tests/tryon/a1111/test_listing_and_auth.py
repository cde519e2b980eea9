"""A storefront developer points an A1111 script at this server: it lists and picks, and without a key gets nothing."""

import base64
import json
import urllib.error
import urllib.request

import pytest
import webuiapi

from generation.samplers import SAMPLERS
from tryon.a1111.models import A1111Options

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def get(url: str, headers: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_the_listing_calls_answer_in_a1111s_shapes(storefront, settings):
    api = storefront.api

    assert "tiny" in api.util_get_model_names()
    assert api.util_get_sampler_names() == sorted(SAMPLERS)
    assert api.util_get_scheduler_names() == ["automatic", "karras"]
    assert api.util_get_current_model() == settings.TRYON_PRESET
    assert "controlnet" in api.get_scripts()["txt2img"]
    assert api.controlnet_module_list() == ["none", "openpose", "canny"]
    assert api.controlnet_model_list() == ["controlnet-openpose", "controlnet-canny"]  # tiny's, by folder name
    assert api.controlnet_version() == 2
    progress = api.get_progress()
    assert progress["progress"] == 0 and progress["state"]["job_count"] == 0 and progress["current_image"] is None


def test_picking_a_checkpoint_is_kept_per_key(storefront, other_storefront):
    storefront.api.util_set_model("tiny-fast")

    assert storefront.api.util_get_current_model() == "tiny-fast"
    assert other_storefront.api.util_get_current_model() == "tiny"  # another key keeps the server's
    assert A1111Options.objects.get(key=storefront.key_row).checkpoint == "tiny-fast"


def test_an_unknown_checkpoint_is_refused_naming_the_option(storefront):
    answer = storefront.api.session.post(f"{storefront.api.baseurl}/options", json={"sd_model_checkpoint": "sd99"})

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "sd_model_checkpoint"]
    assert "'sd99' is not one of" in answer.json()["detail"][0]["msg"]


def test_without_a_key_nothing_answers_and_the_client_is_asked_for_basic_auth(storefront):
    status, headers, body = get(f"{storefront.base_url}/sdapi/v1/sd-models")

    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic")
    assert body["error"] == "HTTPException" and body["detail"]


def test_a_wrong_password_is_refused_and_a_bearer_key_is_accepted(storefront):
    wrong = base64.b64encode(f"{storefront.key_row.prefix}:tryon_sk_nope_nope".encode()).decode()
    status, _headers, body = get(f"{storefront.base_url}/sdapi/v1/options", {"Authorization": f"Basic {wrong}"})
    assert status == 401
    assert body["detail"] == "Incorrect username or password"

    bearer = {"Authorization": f"Bearer {storefront.key}"}
    status, _headers, body = get(f"{storefront.base_url}/sdapi/v1/options", bearer)
    assert status == 200 and body["sd_model_checkpoint"] == "tiny"


def test_webuiapi_surfaces_an_auth_failure_as_its_runtime_error(storefront):
    api = webuiapi.WebUIApi(baseurl=f"{storefront.base_url}/sdapi/v1")
    api.set_auth("anyone", "not a key")

    with pytest.raises(RuntimeError) as failure:
        api.txt2img(prompt="a linen shirt", width=128, height=192, steps=2)

    assert failure.value.args[0] == 401
