"""A FASHN client that sends something wrong gets FASHN's error shape from the SDK, naming the input to fix:
never a 500, nothing stored, and nobody else's predictions."""

import os

import fashn
import pytest
import requests
from PIL import Image

from tests.tryon.fashn.conftest import data_uri, png, queued_prediction
from tryon.catalog.models import FashionModel, Garment
from tryon.fashn.models import Prediction


def refused(call) -> tuple[int, dict]:
    with pytest.raises(fashn.APIStatusError) as caught:
        call()
    return caught.value.status_code, caught.value.body


def run(client, **inputs):
    return lambda: client.predictions.run(model_name="tryon-v1.6", inputs=inputs)


def assert_nothing_stored():
    assert not Prediction.objects.exists()
    assert not Garment.objects.filter(transient=True).exists()
    assert not FashionModel.objects.filter(transient=True).exists()


def test_an_unknown_model_name_is_an_input_validation_error(fashn, garment_png, person_png):
    inputs = {"model_image": data_uri(person_png), "garment_image": data_uri(garment_png)}

    status, body = refused(lambda: fashn.predictions.run(model_name="tryon-v9", inputs=inputs))

    assert status == 400 and body["error"] == "InputValidationError"
    assert body["message"].startswith("model_name: ") and "tryon-v9" in body["message"]


def test_a_missing_image_names_the_input(fashn, person_png):
    status, body = refused(run(fashn, model_image=data_uri(person_png)))

    assert (status, body) == (
        400,
        {"error": "InputValidationError", "message": "inputs.garment_image: This field is required."},
    )
    assert_nothing_stored()


@pytest.mark.parametrize(
    "garment, says",
    [
        ("data:image/png;base64,!!not base64!!", "base64 cannot be decoded"),
        (data_uri(b"just some text, no picture"), "not an image we can read"),
        ("ftp://example.com/tee.png", "Expected an https:// URL or a data URI"),
    ],
)
def test_an_image_that_does_not_load_is_an_image_load_error(fashn, person_png, garment, says):
    status, body = refused(run(fashn, model_image=data_uri(person_png), garment_image=garment))

    assert status == 400 and body["error"] == "ImageLoadError"
    assert body["message"].startswith("inputs.garment_image: ") and says in body["message"]
    assert_nothing_stored()


def test_a_thumbnail_is_refused_by_the_upload_rules(fashn, garment_png):
    tiny = png(Image.new("RGB", (64, 64), "white"))

    status, body = refused(run(fashn, model_image=data_uri(tiny), garment_image=data_uri(garment_png)))

    assert status == 400 and body["error"] == "ImageLoadError"
    assert body["message"].startswith("inputs.model_image: The image is 64x64 pixels")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:{port}/me.png", "http://10.20.30.40/me.png", "http://[::1]:{port}/me.png"]
)
def test_urls_into_our_own_network_are_not_fetched(fashn, photo_server, person_png, garment_png, url):
    served = photo_server.serve("/me.png", person_png)  # it is there: only the rule keeps it out
    url = url.format(port=served.rsplit(":", 1)[1].split("/")[0])

    status, body = refused(run(fashn, model_image=url, garment_image=data_uri(garment_png)))

    assert status == 400 and body["error"] == "ImageLoadError"
    assert body["message"].startswith("inputs.model_image: ") and "not a public address" in body["message"]
    assert_nothing_stored()


def test_a_redirect_into_our_network_is_checked_at_the_hop(fashn, photo_server, settings, person_png, garment_png):
    settings.TRYON_REMOTE_IMAGE_ALLOW = ["127.0.0.1/32"]
    url = photo_server.serve("/moved.png", b"", status=302, Location="http://10.0.0.1/secret.png")

    status, body = refused(run(fashn, model_image=url, garment_image=data_uri(garment_png)))

    assert status == 400 and "10.0.0.1, a private address" in body["message"]


@pytest.mark.parametrize(
    "path, content_type, body, says",
    [
        ("/page.html", "text/html", b"<html>not a photo</html>", "text/html, not an image"),
        ("/huge.png", "image/png", b"\x89PNG" + b"\0" * (50 * 1024 * 1024), "the limit is 20.0 MB"),
        ("/gone.png", "image/png", b"", "answered HTTP 404"),
    ],
)
def test_an_allowed_url_must_answer_a_bounded_image(
    fashn, photo_server, settings, garment_png, path, content_type, body, says
):
    settings.TRYON_REMOTE_IMAGE_ALLOW = ["127.0.0.1/32"]
    url = photo_server.serve(path, body, content_type, status=404 if "gone" in path else 200)

    status, answer = refused(run(fashn, model_image=url, garment_image=data_uri(garment_png)))

    assert status == 400 and answer["error"] == "ImageLoadError"
    assert answer["message"].startswith("inputs.model_image: ") and says in answer["message"]


def test_a_50_mb_photo_in_the_body_is_refused_before_it_is_read(fashn, garment_png):
    fifty_mb = data_uri(b"\x89PNG" + b"\0" * (50 * 1024 * 1024))

    status, body = refused(run(fashn, model_image=fifty_mb, garment_image=data_uri(garment_png)))

    assert status == 413 and body["error"] == "BadRequest" and "32.0 MB" in body["message"]


@pytest.mark.parametrize(
    "inputs, says",
    [
        ({"num_samples": 5}, "inputs.num_samples: "),
        ({"mode": "turbo"}, "inputs.mode: "),
        ({"output_format": "gif"}, "inputs.output_format: "),
        ({"seed": -1}, "inputs.seed: "),
        ({"category": "hats"}, "inputs.category: "),
    ],
)
def test_options_outside_fashns_values_name_themselves(fashn, garment_png, person_png, inputs, says):
    photos = {"model_image": data_uri(person_png), "garment_image": data_uri(garment_png)}

    status, body = refused(run(fashn, **photos, **inputs))

    assert status == 400 and body["error"] == "InputValidationError" and body["message"].startswith(says)


def test_a_saved_model_that_does_not_exist_is_named(fashn, garment_png):
    status, body = refused(run(fashn, model_image="saved:nobody", garment_image=data_uri(garment_png)))

    assert status == 400 and body["error"] == "InputValidationError"
    assert "No saved fashion model is called 'nobody'" in body["message"]


def test_without_a_key_or_with_a_wrong_one_it_is_unauthorized_access(live_server):
    client = fashn.Fashn(api_key="tryon_sk_nope_nope", base_url=live_server.url, max_retries=0)

    status, body = refused(lambda: client.predictions.status("c0ffee00-0000-4000-8000-000000000000"))

    assert status == 401 and body["error"] == "UnauthorizedAccess"


def test_another_merchants_prediction_and_a_made_up_id_are_not_found(fashn, other_storefront):
    theirs = fashn.with_options(api_key=other_storefront.key)
    prediction_id = queued_prediction(other_storefront)

    for asked in (prediction_id, "not-a-uuid", "c0ffee00-0000-4000-8000-000000000000"):
        status, body = refused(lambda asked=asked: fashn.predictions.status(asked))
        assert status == 404 and body["error"] == "NotFound"
    assert theirs.predictions.status(prediction_id).status == "starting"  # queued, not yet sent


def test_a_body_that_is_not_json_is_a_bad_request(live_server, storefront):
    response = requests.post(
        f"{live_server.url}/v1/run",
        data=b"{not json",
        headers={"Authorization": f"Bearer {storefront.key}", "Content-Type": "application/json"},
    )

    assert response.status_code == 400 and response.json()["error"] == "BadRequest"


def test_an_unknown_v1_path_is_not_found_in_fashns_shape(live_server, storefront):
    response = requests.get(f"{live_server.url}/v1/predictions", headers={"Authorization": f"Bearer {storefront.key}"})

    assert response.status_code == 404 and response.json()["error"] == "NotFound"


def test_the_fashn_api_documents_itself_apart_from_api_v1(client):
    schema = client.get("/v1/openapi.json").json()
    main = client.get("/api/schema/?format=json").json()

    assert set(schema["paths"]) == {"/v1/run", "/v1/status/{id}"}
    run = schema["paths"]["/v1/run"]["post"]
    assert {"200", "400", "401", "413", "429"} <= set(run["responses"])
    assert "webhook_url" in [parameter["name"] for parameter in run["parameters"]]
    assert {"TryOnInputsRequest", "ProductToModelInputsRequest", "StatusOutput"} <= set(schema["components"]["schemas"])
    assert not [path for path in main["paths"] if not path.startswith("/api/")]


def test_a_photo_larger_than_djangos_form_limit_is_read_whole(fashn, settings):
    noise = Image.frombytes("RGB", (1200, 1200), os.urandom(1200 * 1200 * 3))  # a 4 MB PNG: noise does not compress
    garment = data_uri(png(noise))
    assert len(garment) > 2 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    status, body = refused(run(fashn, model_image="saved:nobody", garment_image=garment))

    assert status == 400 and "No saved fashion model is called 'nobody'" in body["message"]  # read, then judged
