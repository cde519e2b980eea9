"""The OpenAPI schema describes the bearer keys and the error format, the docs load nothing from a
CDN, and the API keeps every promise the schema makes (schemathesis, in-process over WSGI)."""

import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.tryon.casting.stories import cast_ready
from tryon.jobs.batches import tryon_batch_create
from tryon.jobs.services import tryon_job_create
from tryon.shoppers.services import shopper_model_set
from tryon.webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/schema/?format=json"
api = schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application())
api.config.generation.update(max_examples=10)


def test_the_schema_describes_bearer_keys_and_every_operation_answers_errors_in_one_format():
    schema = APIClient().get(SCHEMA_URL).json()

    assert schema["components"]["securitySchemes"]["storefrontKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "tryon_sk_<prefix>_<secret>",
        "description": schema["components"]["securitySchemes"]["storefrontKey"]["description"],
    }
    error = schema["components"]["schemas"]["ErrorDetail"]
    assert set(error["properties"]) == {"code", "message", "field", "details"} and error["required"] == [
        "code",
        "message",
    ]
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 19
    for operation in operations:
        assert {"storefrontKey": []} in operation["security"]
        for status in ("401", "404", "429"):
            assert operation["responses"][status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
    creates = schema["paths"]["/api/v1/tryons"]["post"]
    assert "Idempotency-Key" in [parameter["name"] for parameter in creates["parameters"]]


def test_the_docs_page_loads_swagger_ui_from_our_own_static_files():
    page = APIClient().get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in asset for asset in assets)
    assert all(asset.startswith("/static/drf_spectacular_sidecar/") for asset in assets), assets
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()


@pytest.fixture
def same_database_connection():
    """Django's own test client does this: a request must not close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def generous_limits(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"read": "100000/min", "write": "100000/min"},
    }


@pytest.fixture
def real_ids(storefront) -> dict:
    """One row of every kind, so cases can name rows that exist; by path where the segment does not say which."""
    casting = cast_ready(storefront.merchant)
    return {
        "/api/v1/fashion-models/castings/{id}": casting.id,
        "/api/v1/fashion-models/{id}/keep": casting.candidates.get().id,
        "catalog-items": storefront["catalog_item"].id,
        "garments": storefront["catalog_item"].garments.get().id,
        "fashion-models": storefront["fashion_model"].id,
        "poses": storefront["pose"].id,
        "scenes": storefront["scene"].id,
        "tryons": tryon_job_create(**storefront.shop, enqueue=False).id,
        "webhook-endpoints": webhook_endpoint_create(merchant=storefront.merchant, url="https://shop.example/h").id,
        "shopper-models": shopper_model_set(
            merchant=storefront.merchant, owner=f"key:{storefront.key_row.pk}:mine", like=storefront["fashion_model"]
        ).id,
        "batches": tryon_batch_create(
            merchant=storefront.merchant,
            catalog_items=[storefront["catalog_item"]],
            fashion_models=[storefront["fashion_model"]],
            poses=[storefront["pose"]],
            scenes=[storefront["scene"]],
        ).id,
    }


def name_real_rows(case, storefront, real_ids) -> None:
    """Random ids almost never exist; for even ones, take real rows, so success answers are checked too."""
    path_id = (case.path_parameters or {}).get("id")
    if isinstance(path_id, int) and path_id % 2 == 0:
        case.path_parameters["id"] = real_ids.get(case.path) or real_ids[case.path.split("/")[3]]
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("pose_id"), int) and body["pose_id"] % 2 == 0:
        body |= storefront.tryon_body()
        body.pop("garment_ids", None)
        body.pop("preset", None)


@api.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_the_promises_of_its_schema(
    case, storefront, real_ids, same_database_connection, generous_limits
):
    name_real_rows(case, storefront, real_ids)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {storefront.key}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )
