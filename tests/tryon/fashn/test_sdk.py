"""A storefront's code written for the hosted FASHN API, unmodified but for FASHN_BASE_URL: the official
`fashn` SDK runs a try-on, polls it and subscribes to it, against this server and a real worker rendering
the tiny preset; the images decode, seeds decide them, and a webhook gets the status object, signed."""

import base64
import io
import json

import pytest
import requests
from django.conf import settings
from PIL import Image

from tests.tryon.api.receiver import Receiver
from tests.tryon.fashn.conftest import data_uri
from tests.tryon.worker import wait_for
from tryon.catalog.models import FashionModel, Garment
from tryon.fashn.models import Prediction
from tryon.webhooks.services import webhook_signing_secret_get
from tryon.webhooks.signing import SIGNATURE_HEADER, signature_verify

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
POLL = {"poll_interval": 200, "timeout": 180_000}


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_fashn_client_runs_polls_and_subscribes_to_try_ons(fashn, storefront, worker, garment_png, person_png):
    inputs = {"model_image": data_uri(person_png), "garment_image": data_uri(garment_png), "category": "tops"}

    # run, then status until it ends: the SDK's two calls
    started = fashn.predictions.run(model_name="tryon-v1.6", inputs={**inputs, "seed": 7})
    assert started.error is None
    seen = []

    def ended():
        status = fashn.predictions.status(started.id)
        seen.append(status.status)
        return status if status.status not in ("starting", "in_queue", "processing") else None

    first = wait_for(ended, 180, "the prediction to end", lambda: worker.log)
    assert first.status == "completed" and first.error is None, (first, worker.log)
    assert set(seen) <= {"in_queue", "processing", "completed"}
    [url] = first.output
    picture = requests.get(url, timeout=10)
    assert picture.headers["Content-Type"] == "image/png" and decoded(picture.content).format == "PNG"

    # subscribe: run and poll in one call; the same seed is the same image, another seed another one
    again = fashn.predictions.subscribe(model_name="tryon-v1.6", inputs={**inputs, "seed": 7}, **POLL)
    other = fashn.predictions.subscribe(model_name="tryon-v1.6", inputs={**inputs, "seed": 8, "num_samples": 2}, **POLL)
    assert again.status == other.status == "completed", (again, other, worker.log)
    same = requests.get(again.output[0], timeout=10).content
    assert same == picture.content
    others = [requests.get(url, timeout=10).content for url in other.output]
    assert len(others) == 2 and others[0] != picture.content and others[0] != others[1]
    jobs = {prediction.job.seed for prediction in Prediction.objects.select_related("job")}
    assert jobs == {7, 8}

    # the photos were never in the merchant's catalog
    listed = storefront.client.get("/api/v1/garments").json()["results"]
    assert Garment.objects.filter(transient=True).count() == 3 and all(g["name"] != "Garment photo" for g in listed)
    assert not [
        m for m in storefront.client.get("/api/v1/fashion-models").json()["results"] if m["name"] == "Person photo"
    ]
    assert FashionModel.objects.filter(transient=True).count() == 3


def test_jpeg_as_base64_and_product_to_model_with_a_saved_model(fashn, storefront, worker, garment_png, person_png):
    storefront["fashion_model"].name = "Ines"
    storefront["fashion_model"].save()

    jpeg = fashn.predictions.subscribe(
        model_name="tryon-v1.5",
        inputs={
            "model_image": data_uri(person_png),
            "garment_image": data_uri(garment_png),
            "output_format": "jpeg",
            "return_base64": True,
            "mode": "performance",
            "moderation_level": "none",
        },
        **POLL,
    )
    product = fashn.predictions.subscribe(
        model_name="product-to-model",
        inputs={"product_image": data_uri(garment_png), "model_image": "saved:ines", "prompt": "a sunny terrace"},
        **POLL,
    )

    assert jpeg.status == "completed", (jpeg, worker.log)
    [uri] = jpeg.output
    assert uri.startswith("data:image/jpeg;base64,")
    assert decoded(base64.b64decode(uri.split(",", 1)[1])).format == "JPEG"
    assert product.status == "completed", (product, worker.log)
    job = Prediction.objects.get(pk=product.id).job
    assert job.fashion_model == storefront["fashion_model"] and "sunny terrace" in job.plan["prompt"]


def test_a_webhook_url_gets_the_status_object_signed_when_the_prediction_ends(
    fashn, storefront, worker, live_server, garment_png, person_png
):
    with Receiver() as receiver:
        started = fashn.predictions.run(
            model_name="tryon-v1.6",
            inputs={"model_image": data_uri(person_png), "garment_image": data_uri(garment_png)},
            webhook_url=receiver.url,
        )
        wait_for(lambda: receiver.received, 180, "the webhook", lambda: worker.log)

    headers, body = receiver.received[0]
    status = json.loads(body)
    assert status["id"] == started.id and status["status"] == "completed" and status["error"] is None, (
        status,
        worker.log,
    )
    # A webhook has no request to take the host from: its links start with TRYON_PUBLIC_URL (the worker's default)
    path = status["output"][0].removeprefix(settings.TRYON_PUBLIC_URL)
    assert path.startswith("/files/") and requests.get(live_server.url + path, timeout=10).status_code == 200
    secret = webhook_signing_secret_get(merchant=storefront.merchant)
    assert signature_verify(secret, headers[SIGNATURE_HEADER], body)
    polled = fashn.predictions.status(started.id).output[0]
    assert polled.startswith(live_server.url) and polled.removeprefix(live_server.url) == path
