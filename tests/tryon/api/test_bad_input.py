"""Hostile bodies on every route that takes one: too large, too deep, or holding text PostgreSQL cannot store.
Each is an error in the API's format, by the field to blame where there is one; never a 500, never a key
that stays stuck, and nothing stored that the database cannot hold.
"""

import json

import pytest
from django.db import DataError

from tests.tryon.api.conftest import error_of
from tryon.api import idempotency
from tryon.api.models import IdempotencyRecord
from tryon.api.schema import EndpointEnumerator, SchemaGenerator
from tryon.json_input import MAX_JSON_DEPTH
from tryon.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def body_routes() -> list[str]:
    """Every route that creates from a body (a path without an id; actions documented bodiless are left out)."""
    endpoints = EndpointEnumerator().get_api_endpoints()
    posts = {path for path, _regex, method, _view in endpoints if method == "POST" and "{" not in path}
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(path for path in posts if "requestBody" in schema["paths"][path]["post"])


ROUTES = body_routes()


def send(client, path, raw: bytes | str, **headers):
    raw = raw.encode() if isinstance(raw, str) else raw
    return client.generic("POST", path, raw, content_type="application/json", **headers)


def test_the_body_routes_are_all_here():
    assert ROUTES == [
        "/api/v1/batches",
        "/api/v1/fashion-models/cast",
        "/api/v1/shopper-models",
        "/api/v1/tryons",
        "/api/v1/webhook-endpoints",
    ]
    assert "/api/v1/webhooks/signing-secret/rotate" not in ROUTES  # a POST that takes no body


@pytest.mark.parametrize("megabytes", [3, 30])
@pytest.mark.parametrize("path", ROUTES)
def test_a_body_over_the_limit_is_413_in_the_apis_format(storefront, settings, path, megabytes):
    body = json.dumps({"description": "x" * (megabytes * 1024 * 1024)})

    response = send(storefront.client, path, body)

    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "payload_too_large"
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes" in error["message"]


@pytest.mark.parametrize("path", ROUTES)
def test_json_nested_100000_deep_is_a_parse_error(storefront, path):
    for deep in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        response = send(storefront.client, path, deep)

        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "parse_error" and f"more than {MAX_JSON_DEPTH} levels" in error["message"]


@pytest.mark.parametrize("path", ROUTES)
def test_nesting_within_the_limit_is_judged_by_the_fields_and_brackets_in_text_do_not_count(storefront, path):
    nested = "[" * (MAX_JSON_DEPTH - 1) + "1" + "]" * (MAX_JSON_DEPTH - 1)
    brackets_in_text = json.dumps({"description": "[" * 10_000})

    within = send(storefront.client, path, '{"preset": ' + nested + "}")
    text = send(storefront.client, path, brackets_in_text)

    assert within.status_code == 400 and error_of(within)["code"] == "validation_error"
    assert text.status_code == 400 and error_of(text)["code"] == "validation_error"  # a missing field, say


UNSTORABLE = {"NUL": "\\u0000", "lone high surrogate": "\\ud800", "lone low surrogate": "\\udfff"}


@pytest.mark.parametrize("character", UNSTORABLE.values(), ids=UNSTORABLE)
@pytest.mark.parametrize("path", ROUTES)
def test_text_the_database_cannot_hold_is_refused_by_the_field_that_holds_it(storefront, path, character):
    for field, value in [
        ("description", f'"hooks{character}"'),
        ("events", f'["tryon.succeeded{character}"]'),
        ("preset", f'"tiny{character}"'),
        ("extra", f'{{"deeper": ["{character}"]}}'),
    ]:
        response = send(storefront.client, path, f'{{"url": "https://shop.example/h", "{field}": {value}}}')

        assert response.status_code == 400, response.content
        error = error_of(response)
        assert (error["code"], error["field"]) == ("validation_error", field)
        assert "NUL characters or unpaired surrogates" in error["message"]


def test_a_key_may_not_smuggle_one_either(storefront):
    response = send(storefront.client, "/api/v1/webhook-endpoints", '{"url\\u0000": "https://shop.example/h"}')

    assert response.status_code == 400 and error_of(response)["field"] == "url\\u0000"


def test_a_nul_in_a_webhooks_events_with_an_idempotency_key_is_400_and_stays_400(storefront):
    body = '{"url": "https://shop.example/hooks", "events": ["tryon.succeeded\\u0000"]}'

    first = send(storefront.client, "/api/v1/webhook-endpoints", body, HTTP_IDEMPOTENCY_KEY="hook-1")
    retried = send(storefront.client, "/api/v1/webhook-endpoints", body, HTTP_IDEMPOTENCY_KEY="hook-1")

    assert first.status_code == retried.status_code == 400
    assert error_of(first)["field"] == error_of(retried)["field"] == "events"
    assert not WebhookEndpoint.objects.exists()
    assert "\\u0000" not in json.dumps([record.response_body for record in IdempotencyRecord.objects.all()])
    fixed = '{"url": "https://shop.example/hooks", "events": ["tryon.succeeded"]}'
    assert send(storefront.client, "/api/v1/webhook-endpoints", fixed, HTTP_IDEMPOTENCY_KEY="hook-2").status_code == 201


def test_a_response_that_cannot_be_stored_leaves_the_key_free_for_the_retry(storefront, monkeypatch):
    finish = idempotency.idempotency_record_finish

    def refused_once(**kwargs):
        monkeypatch.setattr(idempotency, "idempotency_record_finish", finish)
        raise DataError("unsupported Unicode escape sequence")

    monkeypatch.setattr(idempotency, "idempotency_record_finish", refused_once)
    body = '{"url": "https://shop.example/hooks"}'

    failed = send(storefront.client, "/api/v1/webhook-endpoints", body, HTTP_IDEMPOTENCY_KEY="hook-1")
    retried = send(storefront.client, "/api/v1/webhook-endpoints", body, HTTP_IDEMPOTENCY_KEY="hook-1")

    assert failed.status_code == 500 and error_of(failed)["code"] == "server_error"
    assert retried.status_code == 201 and WebhookEndpoint.objects.count() == 1  # the first was rolled back


def test_nan_and_infinity_are_not_json(storefront):
    response = send(storefront.client, "/api/v1/tryons", '{"seed": NaN, "samples": Infinity}')

    assert response.status_code == 400 and error_of(response)["code"] == "parse_error"


def test_a_body_that_is_not_utf8_is_a_parse_error(storefront):
    response = send(storefront.client, "/api/v1/webhook-endpoints", b'{"description": "\xed\xa0\x80"}')

    assert response.status_code == 400 and error_of(response)["code"] == "parse_error"
