"""A storefront retries a create after a timeout: with an Idempotency-Key it gets the first answer again."""

from datetime import timedelta

import pytest
from django.db.models import F

from tests.tryon.api.conftest import error_of
from tryon.api.models import IdempotencyRecord
from tryon.jobs.models import TryOnJob
from tryon.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db
HOOK = {"url": "https://shop.example/hooks"}


def post(client, path, body, key):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_body_replay_the_stored_response_and_create_nothing_more(storefront):
    first = post(storefront.client, "/api/v1/webhook-endpoints", HOOK, "retry-1")
    again = post(storefront.client, "/api/v1/webhook-endpoints", HOOK, "retry-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert WebhookEndpoint.objects.count() == 1
    fresh = post(storefront.client, "/api/v1/webhook-endpoints", HOOK, "retry-2")
    assert fresh.status_code == 201 and WebhookEndpoint.objects.count() == 2


def test_a_replayed_try_on_answers_as_it_did_the_first_time(storefront):
    body = storefront.tryon_body(seed=3)
    first = post(storefront.client, "/api/v1/tryons", body, "order-42")
    TryOnJob.objects.update(status="running")

    again = post(storefront.client, "/api/v1/tryons", body, "order-42")

    assert again.status_code == 202 and again.json() == first.json() and again.json()["status"] == "queued"
    assert again["Location"] == first["Location"]
    assert TryOnJob.objects.count() == 1


def test_the_same_key_with_a_different_body_is_refused(storefront):
    post(storefront.client, "/api/v1/tryons", storefront.tryon_body(seed=1), "order-42")

    response = post(storefront.client, "/api/v1/tryons", storefront.tryon_body(seed=2), "order-42")

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "idempotency_key_reused" and error["field"] == "Idempotency-Key"
    assert TryOnJob.objects.count() == 1


def test_keys_belong_to_one_api_key_and_last_a_day(storefront):
    post(storefront.client, "/api/v1/webhook-endpoints", HOOK, "k")

    assert post(storefront.another_key_client(), "/api/v1/webhook-endpoints", HOOK, "k").status_code == 201
    assert WebhookEndpoint.objects.count() == 2

    IdempotencyRecord.objects.update(created_at=F("created_at") - timedelta(hours=25))
    later = post(storefront.client, "/api/v1/webhook-endpoints", HOOK, "k")
    assert later.status_code == 201 and not later.has_header("Idempotent-Replayed")
    assert WebhookEndpoint.objects.count() == 3


def test_a_validation_error_is_replayed_too_but_a_server_error_may_be_retried(storefront, monkeypatch):
    bad = post(storefront.client, "/api/v1/webhook-endpoints", {"url": "nope"}, "bad-1")
    assert post(storefront.client, "/api/v1/webhook-endpoints", {"url": "nope"}, "bad-1").json() == bad.json()

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("tryon.api.apis.webhooks.webhook_endpoint_create", broken)
    failed = post(storefront.client, "/api/v1/webhook-endpoints", HOOK, "after-outage")
    monkeypatch.undo()
    retried = post(storefront.client, "/api/v1/webhook-endpoints", HOOK, "after-outage")

    assert failed.status_code == 500 and error_of(failed)["code"] == "server_error"
    assert "disk full" not in failed.content.decode()
    assert retried.status_code == 201 and not retried.has_header("Idempotent-Replayed")


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve"])
def test_an_unusable_key_is_a_validation_error(storefront, key):
    response = storefront.client.post("/api/v1/webhook-endpoints", HOOK, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400 and error_of(response)["field"] == "Idempotency-Key"


def test_a_retry_while_the_first_request_is_in_flight_is_told_to_wait(storefront):
    post(storefront.client, "/api/v1/webhook-endpoints", HOOK, "slow")
    IdempotencyRecord.objects.update(response_status=None, response_body=None)  # as if still being answered

    waiting = post(storefront.client, "/api/v1/webhook-endpoints", HOOK, "slow")
    IdempotencyRecord.objects.update(created_at=F("created_at") - timedelta(minutes=2))  # that request died
    taken_over = post(storefront.client, "/api/v1/webhook-endpoints", HOOK, "slow")

    assert waiting.status_code == 409 and error_of(waiting)["code"] == "idempotency_request_in_progress"
    assert taken_over.status_code == 201
