"""Tenant isolation, generated from the URLconf: every API route and method, called by one merchant
with another merchant's ids, answers 404 and shows nothing of theirs.

A new route or method joins the matrix by itself; it fails here until it is scoped, and until this
file knows how to make the other merchant's row for it (FOREIGN_ROWS) or body (FOREIGN_BODIES).
"""

import re

import pytest
from django.urls import URLResolver, get_resolver

from tests.tryon.api.conftest import Storefront
from tests.tryon.casting.stories import BRIEF, cast_ready
from tryon.api.schema import EndpointEnumerator
from tryon.casting.models import Casting
from tryon.jobs.batches import tryon_batch_create
from tryon.jobs.services import tryon_job_create
from tryon.shoppers.services import shopper_model_set
from tryon.webhooks.models import WebhookEndpoint, WebhookSigningSecret
from tryon.webhooks.services import webhook_endpoint_create, webhook_signing_secret_get

pytestmark = pytest.mark.django_db


def api_operations() -> list[tuple[str, str]]:
    endpoints = EndpointEnumerator().get_api_endpoints()
    return sorted({(method, path) for path, _regex, method, _view in endpoints if path.startswith("/api/v1/")})


OPERATIONS = api_operations()

# The other merchant's row behind `{id}`, by the path segment before it.
FOREIGN_ROWS = {
    "catalog-items": lambda other: other["catalog_item"],
    "garments": lambda other: other["catalog_item"].garments.first(),
    "fashion-models": lambda other: other["fashion_model"],
    "poses": lambda other: other["pose"],
    "scenes": lambda other: other["scene"],
    "tryons": lambda other: tryon_job_create(**other.shop, enqueue=False),
    "webhook-endpoints": lambda other: webhook_endpoint_create(merchant=other.merchant, url="https://them.example/h"),
    "webhooks": lambda other: WebhookSigningSecret.objects.get(
        secret=webhook_signing_secret_get(merchant=other.merchant)
    ),
    "shopper-models": lambda other: shopper_model_set(
        merchant=other.merchant, owner=f"key:{other.key_row.pk}:theirs", like=other["fashion_model"]
    ),
    "batches": lambda other: tryon_batch_create(
        merchant=other.merchant,
        catalog_items=[other["catalog_item"]],
        fashion_models=[other["fashion_model"]],
        poses=[other["pose"]],
        scenes=[other["scene"]],
    ),
}
# Where the row behind `{id}` is not the segment's: a casting, and a cast candidate (kept through fashion-models/)
FOREIGN_ROWS_BY_PATH = {
    "/api/v1/fashion-models/castings/{id}": lambda other: cast_ready(other.merchant),
    "/api/v1/fashion-models/{id}/keep": lambda other: cast_ready(other.merchant).candidates.get(),
}
# A body for each POST route; for a route whose body names no rows, None.
FOREIGN_BODIES = {
    "/api/v1/tryons": lambda other: other.tryon_body(),
    "/api/v1/tryons/{id}/cancel": lambda other: None,
    "/api/v1/webhook-endpoints": lambda other: {"url": "https://mine.example/hooks"},
    "/api/v1/webhooks/signing-secret/rotate": lambda other: None,
    "/api/v1/shopper-models": lambda other: {"like": other["fashion_model"].id},
    "/api/v1/shopper-models/{id}/photo": lambda other: {"photo": "data:image/png;base64,iVBORw0K", "consent": True},
    "/api/v1/fashion-models/cast": lambda other: {**BRIEF, "count": 1},
    "/api/v1/fashion-models/{id}/keep": lambda other: {"name": "Stolen"},
    "/api/v1/batches": lambda other: {
        "catalog_item_ids": [other["catalog_item"].id],
        "fashion_model_ids": [other["fashion_model"].id],
        "pose_ids": [other["pose"].id],
        "scene_ids": [other["scene"].id],
    },
}


def url_patterns_under(prefix: str, patterns=None, seen=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = seen + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from url_patterns_under(prefix, pattern.url_patterns, route)
        elif route.startswith(prefix):
            yield route, pattern.callback


def test_the_matrix_covers_every_api_route():
    routes = dict(url_patterns_under("api/v1/"))
    assert len(routes) == len({path for _method, path in OPERATIONS}) >= 16, "a route the matrix cannot see"
    assert all(hasattr(view, "cls") for view in routes.values())  # plain Django views would escape the matrix
    assert {path.split("/")[3] for _method, path in OPERATIONS} == set(FOREIGN_ROWS)


def request(client, method, path, body):
    return getattr(client, method.lower())(path, body, format="json") if body else getattr(client, method.lower())(path)


@pytest.mark.parametrize("as_staff", [False, True], ids=["key", "staff"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_another_merchants_rows_are_never_seen_or_touched(method, path, as_staff):
    mine, theirs = Storefront(), Storefront()
    client = mine.staff_client() if as_staff else mine.client
    resource = path.split("/")[3]
    theirs_row = FOREIGN_ROWS_BY_PATH.get(path, FOREIGN_ROWS[resource])(theirs)
    params = re.findall(r"{(\w+)}", path)
    assert params in ([], ["id"]), f"{path}: teach this test the path parameters {params}"
    url = path.replace("{id}", str(theirs_row.pk))
    body = FOREIGN_BODIES[path](theirs) if method == "POST" else None

    response = request(client, method, url, body)

    if resource == "webhooks":  # the merchant's own signing secret: read or replaced, never theirs
        assert response.status_code == 200 and response.json()["secret"] != theirs_row.secret
        assert WebhookSigningSecret.objects.get(pk=theirs_row.pk).secret == theirs_row.secret
    elif params or (
        method == "POST" and body and resource in ("tryons", "batches", "shopper-models")
    ):  # creates naming their rows
        assert response.status_code == 404, (response.status_code, response.content[:300])
        assert response.json()["error"]["code"] == "not_found"
    elif method == "GET":  # a list: ours only
        assert response.status_code == 200
        assert theirs_row.pk not in {row["id"] for row in response.json()["results"]}
    elif path == "/api/v1/fashion-models/cast":  # a casting names no rows: it lands in our merchant only
        assert response.status_code == 202, response.json()
        assert Casting.objects.get(pk=response.json()["id"]).merchant == mine.merchant
    else:  # a create that names no rows: it lands in our merchant only
        assert response.status_code == 201, response.json()
        assert WebhookEndpoint.objects.get(pk=response.json()["id"]).merchant == mine.merchant
    assert type(theirs_row).objects.filter(pk=theirs_row.pk).exists()  # nothing of theirs was deleted
