"""A storefront registers a webhook and hears about finished try-ons: signed, retried, logged."""

import json
import socket
import time

import pytest
from django.utils import timezone

from tests.tryon.api.conftest import error_of
from tests.tryon.api.receiver import Receiver
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import tryon_job_create
from tryon.webhooks.models import WebhookDelivery
from tryon.webhooks.services import webhook_delivery_attempt, webhook_endpoint_create, webhooks_notify_job_finished
from tryon.webhooks.signing import signature_header, signature_verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    settings.TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # the receiver runs on 127.0.0.1
    settings.TRYON_PUBLIC_URL = "https://tryon.example"


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def finished_job(storefront, status="succeeded", seed=1) -> TryOnJob:
    job = tryon_job_create(**storefront.shop, seed=seed, enqueue=False)
    TryOnJob.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now())
    return job


def test_an_endpoint_is_registered_listed_and_deleted_and_its_secret_shown_only_once(storefront):
    created = storefront.client.post(
        "/api/v1/webhook-endpoints", {"url": "https://shop.example/hooks", "events": ["tryon.succeeded"]}
    )

    assert created.status_code == 201, created.json()
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["events"] == ["tryon.succeeded"]
    listed = storefront.client.get("/api/v1/webhook-endpoints").json()["results"]
    detail = storefront.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}").json()
    assert listed == [detail] and "secret" not in detail
    assert detail == {key: value for key, value in endpoint.items() if key != "secret"}

    assert storefront.client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}").status_code == 204
    assert storefront.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://shop.example/hooks"}, "url"),
        ({"url": "https://shop.example/hooks", "events": ["tryon.exploded"]}, "events"),
        ({"url": "https://shop.example/hooks", "secret": "short"}, "secret"),
    ],
)
def test_a_bad_endpoint_is_refused_by_field(storefront, body, field):
    response = storefront.client.post("/api/v1/webhook-endpoints", body)

    assert response.status_code == 400 and error_of(response)["field"] == field


def test_a_finished_try_on_is_delivered_signed_after_a_failed_first_attempt(
    storefront, receiver, django_capture_on_commit_callbacks
):
    endpoint = webhook_endpoint_create(merchant=storefront.merchant, url=receiver.url, secret="s" * 32)
    job = finished_job(storefront)
    receiver.answer(500, 200)

    with django_capture_on_commit_callbacks(execute=True):
        webhooks_notify_job_finished(job_id=job.id)

    assert len(receiver.received) == 2  # 500, retried (at once: eager tasks skip the back-off wait), 200
    for headers, body in receiver.received:
        assert signature_verify(endpoint.secret, headers["Tryon-Signature"], body)
        assert not signature_verify("another secret" * 3, headers["Tryon-Signature"], body)
        assert headers["Tryon-Event"] == "tryon.succeeded" and headers["Content-Type"] == "application/json"
    first, second = (json.loads(body) for _, body in receiver.received)
    assert first == second and first["type"] == "tryon.succeeded" and first["id"].startswith("evt_")
    assert first["data"]["tryon"]["id"] == job.id and first["data"]["tryon"]["status"] == "succeeded"
    assert first["data"]["tryon"]["links"]["self"] == f"https://tryon.example/api/v1/tryons/{job.id}"

    log = storefront.client.get(f"/api/v1/webhook-endpoints/{endpoint.id}/deliveries").json()["results"]
    assert len(log) == 1
    assert log[0] | {"created_at": None, "delivered_at": None} == {
        "id": log[0]["id"],
        "event": "tryon.succeeded",
        "event_id": first["id"],
        "job_id": job.id,
        "status": "succeeded",
        "attempts": 2,
        "response_status": 200,
        "last_error": "",
        "next_retry_at": None,
        "created_at": None,
        "delivered_at": None,
    }


def test_failed_attempts_back_off_exponentially_and_give_up_after_the_last(storefront, receiver, settings):
    settings.TRYON_WEBHOOK_MAX_ATTEMPTS = 4
    webhook_endpoint_create(merchant=storefront.merchant, url=receiver.url)
    delivery = webhooks_notify_job_finished(job_id=finished_job(storefront, "failed").id)[0]
    receiver.answer(503, 502, 500, 500)

    waits = [webhook_delivery_attempt(delivery_id=delivery.id) for _ in range(5)]

    assert waits == [10, 20, 40, None, None]  # the fifth call finds nothing left to do
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 4 and len(receiver.received) == 4
    assert delivery.response_status == 500 and delivery.last_error.startswith("HTTP 500")


def test_a_retry_is_logged_with_when_it_will_happen(storefront, receiver):
    webhook_endpoint_create(merchant=storefront.merchant, url=receiver.url)
    delivery = webhooks_notify_job_finished(job_id=finished_job(storefront, "cancelled").id)[0]
    receiver.answer(500)

    wait = webhook_delivery_attempt(delivery_id=delivery.id)

    delivery.refresh_from_db()
    assert delivery.event == "tryon.cancelled" and delivery.status == "pending" and delivery.attempts == 1
    assert abs((delivery.next_retry_at - timezone.now()).total_seconds() - wait) < 5


def test_a_client_error_is_final_and_a_network_error_is_retried(storefront, receiver):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nobody_listens = f"http://127.0.0.1:{closed.getsockname()[1]}/hooks"
    webhook_endpoint_create(merchant=storefront.merchant, url=receiver.url)
    webhook_endpoint_create(merchant=storefront.merchant, url=nobody_listens)
    gone, unreachable = sorted(
        webhooks_notify_job_finished(job_id=finished_job(storefront).id), key=lambda d: d.endpoint.url != receiver.url
    )
    receiver.answer(410)

    assert webhook_delivery_attempt(delivery_id=gone.id) is None
    assert webhook_delivery_attempt(delivery_id=unreachable.id) == 10

    gone.refresh_from_db(), unreachable.refresh_from_db()
    assert gone.status == "failed" and gone.response_status == 410
    assert unreachable.status == "pending" and "ConnectionError" in unreachable.last_error


def test_private_addresses_are_refused_unless_the_operator_allows_them(storefront, receiver, settings):
    settings.TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    webhook_endpoint_create(merchant=storefront.merchant, url=receiver.url)
    delivery = webhooks_notify_job_finished(job_id=finished_job(storefront).id)[0]

    assert webhook_delivery_attempt(delivery_id=delivery.id) is None

    delivery.refresh_from_db()
    assert delivery.status == "failed" and "not a public address" in delivery.last_error
    assert receiver.received == []


def test_each_endpoint_hears_each_job_once_and_only_the_events_it_asked_for(storefront, other_storefront):
    wants_all = webhook_endpoint_create(merchant=storefront.merchant, url="https://a.example/hook")
    webhook_endpoint_create(merchant=storefront.merchant, url="https://b.example/hook", events=["tryon.failed"])
    webhook_endpoint_create(merchant=other_storefront.merchant, url="https://c.example/hook")
    job = finished_job(storefront)

    first = webhooks_notify_job_finished(job_id=job.id)
    again = webhooks_notify_job_finished(job_id=job.id)

    assert [delivery.endpoint for delivery in first] == [wants_all] and again == []
    assert WebhookDelivery.objects.count() == 1
    queued = tryon_job_create(**storefront.shop, seed=99, enqueue=False)
    assert webhooks_notify_job_finished(job_id=queued.id) == []  # not finished: nothing to say


def test_a_signature_is_refused_when_the_body_the_secret_or_the_time_is_wrong():
    body, secret = b'{"id":"evt_1"}', "whsec_test"
    header = signature_header(secret, body)

    assert signature_verify(secret, header, body)
    assert not signature_verify(secret, header, body + b" ")
    assert not signature_verify("whsec_other", header, body)
    assert not signature_verify(secret, signature_header(secret, body, timestamp=int(time.time()) - 600), body)
    assert not signature_verify(secret, "v1=abc", body) and not signature_verify(secret, "garbage", body)


def test_a_storefront_reads_its_signing_secret_verifies_a_one_off_delivery_and_rotates_it(storefront, receiver):
    from tryon.webhooks.services import webhook_send

    secret = storefront.client.get("/api/v1/webhooks/signing-secret").json()["secret"]
    delivery = webhook_send(merchant=storefront.merchant, url=receiver.url, event="prediction.completed", payload={})
    webhook_delivery_attempt(delivery_id=delivery.id)
    headers, body = receiver.received[0]
    assert signature_verify(secret, headers["Tryon-Signature"], body)

    rotated = storefront.client.post("/api/v1/webhooks/signing-secret/rotate")

    assert rotated.status_code == 200 and rotated.json()["secret"] not in ("", secret)
    assert storefront.client.get("/api/v1/webhooks/signing-secret").json() == rotated.json()
    schema = storefront.client.get("/api/schema/?format=json").json()
    assert {"/api/v1/webhooks/signing-secret", "/api/v1/webhooks/signing-secret/rotate"} <= set(schema["paths"])
