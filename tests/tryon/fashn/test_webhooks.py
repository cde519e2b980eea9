"""A FASHN client that gives `webhook_url` is sent its prediction's status object once it ends: whether its
render was shared with another prediction or was already finished when it asked, and even when the server
stops between the end of a render and the webhook. The webhook's record goes when the prediction does."""

import json
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import DataError, transaction
from django.utils import timezone

from tests.tryon.fashn.conftest import data_uri, queued_prediction
from tests.tryon.fashn.test_retention import fashn_client
from tryon.fashn.inputs import TryOnInputs
from tryon.fashn.models import Prediction
from tryon.fashn.services import prediction_create
from tryon.jobs.events import job_finished
from tryon.jobs.models import TryOnJob
from tryon.jobs.sweeper import tryon_jobs_sweep_exclusive
from tryon.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

# A storefront's webhook receiver. Its deliveries are refused (loopback) and retried later: these stories are
# about what is queued; sending is tests/tryon/webhooks' and test_sdk's.
HOOK = "http://127.0.0.1:9/hooks/fashn"


def finish(prediction_id: str, status=TryOnJob.Status.FAILED) -> TryOnJob:
    """The render ends, and the jobs app announces it as its outbox does (tryon/jobs/outbox.py)."""
    job = Prediction.objects.get(pk=prediction_id).job
    TryOnJob.objects.filter(pk=job.pk).update(status=status, error="The worker stopped.")
    job_finished.send(sender=None, job_id=job.pk, event_id=1)
    return job


def sent(url: str) -> list[dict]:
    """The bodies queued for `url`, as the outbox holds them (the delivery tests send them: tests/tryon/webhooks)."""
    return [json.loads(delivery.body) for delivery in WebhookDelivery.objects.filter(url=url).order_by("id")]


def sent_ids(url: str) -> list[str]:
    return sorted(body["id"] for body in sent(url))


def test_a_prediction_reusing_a_finished_render_still_gets_its_webhook_with_links_not_base64(
    storefront, garment_png, person_png
):
    client = fashn_client(storefront)
    inputs = {"model_image": data_uri(person_png), "garment_image": data_uri(garment_png), "seed": 42}
    first = client.post("/v1/run", {"model_name": "tryon-v1.6", "inputs": inputs}, format="json").json()
    assert client.get(f"/v1/status/{first['id']}").json()["status"] == "completed"  # rendered inline here

    again = {**inputs, "return_base64": True}
    second = client.post(
        f"/v1/run?webhook_url={HOOK}", {"model_name": "tryon-v1.6", "inputs": again}, format="json"
    ).json()

    assert Prediction.objects.get(pk=second["id"]).job == Prediction.objects.get(pk=first["id"]).job
    [status] = sent(HOOK)
    assert status["id"] == second["id"] and status["status"] == "completed", status
    # The log keeps the body: links that die with the prediction, never the shopper's image itself.
    assert status["output"] and not any(link.startswith("data:") for link in status["output"])
    assert "base64" not in WebhookDelivery.objects.get(url=HOOK).body


def test_predictions_sharing_a_render_and_a_webhook_url_each_get_their_own_webhook(storefront):
    first = queued_prediction(storefront, webhook_url=HOOK)
    second = queued_prediction(storefront, webhook_url=HOOK)
    assert Prediction.objects.get(pk=first).job_id == Prediction.objects.get(pk=second).job_id

    finish(first)
    finish(first)  # the outbox relay announcing it again after a crash: nothing goes out twice

    assert sent_ids(HOOK) == sorted([first, second])
    assert {body["status"] for body in sent(HOOK)} == {"failed"}


def test_the_webhook_is_queued_in_the_events_transaction_so_a_crash_there_leaves_it_to_the_relay(storefront):
    prediction_id = queued_prediction(storefront, webhook_url=HOOK)
    with pytest.raises(RuntimeError), transaction.atomic():
        finish(prediction_id)
        assert WebhookDelivery.objects.filter(url=HOOK).count() == 1  # in the outbox, with the event
        raise RuntimeError("the server stops before the event is marked done")
    assert not WebhookDelivery.objects.exists()

    finish(prediction_id)  # the relay sends the event again

    assert sent_ids(HOOK) == [prediction_id]


def test_the_sweeper_deletes_an_expired_predictions_webhook_record(storefront):
    gone = queued_prediction(storefront, webhook_url=HOOK)
    other = queued_prediction(storefront, webhook_url=HOOK)
    finish(gone)
    assert WebhookDelivery.objects.filter(url=HOOK).count() == 2

    Prediction.objects.filter(pk=gone).update(expires_at=timezone.now() - timedelta(seconds=1))
    tryon_jobs_sweep_exclusive(holder="test")

    assert not Prediction.objects.filter(pk=gone).exists()
    [kept] = WebhookDelivery.objects.filter(url=HOOK)
    assert json.loads(kept.body)["id"] == other


def test_an_expired_prediction_leaves_a_render_another_prediction_still_waits_for(storefront):
    waiting = queued_prediction(storefront)
    expired = queued_prediction(storefront, expires_at=timezone.now() - timedelta(minutes=1))

    tryon_jobs_sweep_exclusive(holder="test")

    job = Prediction.objects.get(pk=waiting).job
    assert job.status == TryOnJob.Status.QUEUED
    assert Prediction.objects.filter(pk=expired).exists()  # deleted once the render ends

    TryOnJob.objects.filter(pk=job.pk).update(status=TryOnJob.Status.SUCCEEDED)
    tryon_jobs_sweep_exclusive(holder="test")
    assert not Prediction.objects.filter(pk=expired).exists() and Prediction.objects.filter(pk=waiting).exists()


def test_a_prediction_that_cannot_be_saved_leaves_no_draft_behind(storefront, garment_png, person_png):
    shape = TryOnInputs(data={"model_image": data_uri(person_png), "garment_image": data_uri(garment_png), "seed": 7})
    shape.is_valid(raise_exception=True)
    folder = f"drafts/{storefront.merchant.id}"
    drafts = set(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else set()

    with pytest.raises(DataError):  # a URL longer than the column: the row is refused after the job was planned
        prediction_create(
            merchant=storefront.merchant,
            model_name="tryon-v1.6",
            inputs=shape.validated_data,
            webhook_url="https://hooks.example.com/" + "a" * 2100,
        )

    assert not TryOnJob.objects.exists()
    assert set(default_storage.listdir(folder)[1]) == drafts
