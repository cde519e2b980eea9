"""A request may name its own webhook URL (the FASHN-compatible API's `webhook_url`): that one delivery is
signed like every other, retried with back-off, logged, and made once per job and event."""

import json

import pytest
from django.core.exceptions import ValidationError

from tests.factories import shop_with_picks
from tests.tryon.api.receiver import Receiver
from tryon.jobs.services import tryon_job_create
from tryon.webhooks.models import WebhookDelivery
from tryon.webhooks.services import webhook_delivery_attempt, webhook_send, webhook_signing_secret_get
from tryon.webhooks.signing import signature_verify

pytestmark = pytest.mark.django_db
STATUS = {"id": "123", "status": "completed", "output": ["https://tryon.example/a.png"], "error": None}


@pytest.fixture
def receiver(settings):
    settings.TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # the receiver runs on 127.0.0.1
    with Receiver() as running:
        yield running


def test_a_one_off_delivery_sends_the_payload_as_is_signed_with_the_merchants_signing_secret(
    receiver, django_capture_on_commit_callbacks
):
    merchant = shop_with_picks()["merchant"]
    receiver.answer(503, 200)

    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_send(merchant=merchant, url=receiver.url, event="prediction.completed", payload=STATUS)

    assert len(receiver.received) == 2  # 503, then retried (eager tasks skip the wait)
    secret = webhook_signing_secret_get(merchant=merchant)
    assert secret.startswith("whsec_") and webhook_signing_secret_get(merchant=merchant) == secret  # made once
    for headers, body in receiver.received:
        assert json.loads(body) == STATUS
        assert signature_verify(secret, headers["Tryon-Signature"], body)
        assert headers["Tryon-Event"] == "prediction.completed"
        assert headers["Tryon-Event-Id"] == f"evt_{delivery.event_id.hex}"
    delivery.refresh_from_db()
    assert (delivery.endpoint, delivery.status, delivery.attempts) == (None, "succeeded", 2)


def test_a_one_off_delivery_backs_off_and_has_no_breaker_of_its_own(receiver, settings):
    settings.TRYON_WEBHOOK_MAX_ATTEMPTS, settings.TRYON_WEBHOOK_BREAKER_AFTER = 4, 1
    merchant = shop_with_picks()["merchant"]
    delivery = webhook_send(merchant=merchant, url=receiver.url, event="prediction.failed", payload=STATUS)
    receiver.answer(500, 500, 500, 500)

    waits = [webhook_delivery_attempt(delivery_id=delivery.id) for _ in range(4)]

    assert waits == [10, 20, 40, None] and len(receiver.received) == 4
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_error.startswith("HTTP 500")


def test_the_same_job_event_and_url_make_one_delivery_and_a_given_secret_signs_it(receiver):
    shop = shop_with_picks()
    job = tryon_job_create(**shop, seed=1, enqueue=False)

    first = webhook_send(
        merchant=shop["merchant"],
        url=receiver.url,
        event="prediction.completed",
        payload=STATUS,
        job=job,
        secret="k" * 20,
    )
    again = webhook_send(
        merchant=shop["merchant"], url=receiver.url, event="prediction.completed", payload=STATUS, job=job
    )
    webhook_delivery_attempt(delivery_id=first.id)

    assert again == first and WebhookDelivery.objects.count() == 1
    assert signature_verify("k" * 20, receiver.received[0][0]["Tryon-Signature"], receiver.received[0][1])


@pytest.mark.parametrize(
    ("url", "event", "field"),
    [
        ("ftp://shop.example/h", "prediction.completed", "webhook_url"),
        ("https://shop.example/" + "a" * 2000, "prediction.completed", "webhook_url"),
        ("https://shop.example/h", "", "event"),
    ],
)
def test_a_bad_destination_or_event_is_refused_naming_the_field(url, event, field):
    merchant = shop_with_picks()["merchant"]

    with pytest.raises(ValidationError) as refused:
        webhook_send(merchant=merchant, url=url, event=event, payload=STATUS)

    assert list(refused.value.message_dict) == [field]
    assert not WebhookDelivery.objects.exists()
