"""A storefront plugin casts through the API: POST /api/v1/fashion-models/cast answers 202 with the casting, the
casting is polled until its candidates are ready, and POST /api/v1/fashion-models/{candidate id}/keep keeps one."""

import pytest

from tests.tryon.api.conftest import error_of
from tests.tryon.casting.stories import BRIEF, cast_ready, render_casting
from tryon.casting.models import Casting
from tryon.catalog.models import FashionModel

pytestmark = pytest.mark.django_db


def test_cast_poll_and_keep_through_the_api(storefront, django_capture_on_commit_callbacks):
    sent = storefront.client.post("/api/v1/fashion-models/cast", {**BRIEF, "count": 2}, format="json")

    assert sent.status_code == 202, sent.json()
    body = sent.json()
    casting = Casting.objects.get(pk=body["id"], merchant=storefront.merchant)
    assert sent["Location"].endswith(f"/api/v1/fashion-models/castings/{casting.id}")
    assert body["status"] == "queued" and body["count"] == 2 and body["attributes"]["height_cm"] == 178
    assert [(c["status"], c["portrait_url"], c["full_body_url"]) for c in body["candidates"]] == [
        ("portrait", None, None)
    ] * 2

    render_casting(casting, django_capture_on_commit_callbacks)
    polled = storefront.client.get(sent["Location"]).json()

    assert polled["status"] == "succeeded" and polled["progress"] == 1.0
    first, _second = polled["candidates"]
    assert first["status"] == "ready" and first["kept_fashion_model"] is None
    assert "/casting/" in first["portrait_url"] and "/casting/" in first["full_body_url"]
    assert storefront.client.get(first["portrait_url"]).status_code == 200  # a signed link that works

    kept = storefront.client.post(f"/api/v1/fashion-models/{first['id']}/keep", {"name": "Amara"}, format="json")

    assert kept.status_code == 201, kept.json()
    amara = FashionModel.objects.get(pk=kept.json()["id"], merchant=storefront.merchant)
    assert kept.json()["name"] == "Amara" and kept["Location"].endswith(f"/api/v1/fashion-models/{amara.id}")
    assert amara.identity_portrait and amara.identity_full_body and amara.identity_seed == first["seed"]
    after = storefront.client.get(sent["Location"]).json()["candidates"]
    assert [(c["status"], c["kept_fashion_model"]) for c in after] == [("kept", amara.id), ("ready", None)]

    again = storefront.client.post(f"/api/v1/fashion-models/{first['id']}/keep", {"name": "Again"}, format="json")
    assert again.status_code == 409 and error_of(again)["code"] == "conflict"
    assert "already kept" in error_of(again)["message"] and not FashionModel.objects.filter(name="Again").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gender_presentation": "robot"}, "gender_presentation"),
        ({"height_cm": 300}, "height_cm"),
        ({"hair_style": "mohawk"}, "hair_style"),
        ({"count": 9}, "count"),
        ({"count": 0}, "count"),
        ({"preset": "no-such-preset"}, "preset"),
        ({"note": "n" * 301}, "note"),
    ],
)
def test_a_bad_brief_is_400_naming_the_field_and_casts_nothing(storefront, change, field):
    response = storefront.client.post("/api/v1/fashion-models/cast", {**BRIEF, "count": 2, **change}, format="json")

    assert response.status_code == 400, response.json()
    assert error_of(response)["field"] == field
    assert not Casting.objects.exists()


def test_keep_needs_a_name_and_a_ready_candidate(storefront):
    casting = cast_ready(storefront.merchant)
    candidate = casting.candidates.get()

    nameless = storefront.client.post(f"/api/v1/fashion-models/{candidate.id}/keep", {"name": " "}, format="json")
    assert nameless.status_code == 400 and error_of(nameless)["field"] == "name"

    waiting = storefront.client.post("/api/v1/fashion-models/cast", {**BRIEF, "count": 1}, format="json").json()
    too_soon = storefront.client.post(
        f"/api/v1/fashion-models/{waiting['candidates'][0]['id']}/keep", {"name": "Soon"}, format="json"
    )
    assert too_soon.status_code == 409 and "no portrait yet" in error_of(too_soon)["message"]
    assert not FashionModel.objects.filter(name__in=[" ", "Soon"]).exists()


def test_another_merchant_can_neither_see_nor_keep_a_casting(storefront, other_storefront):
    theirs = cast_ready(other_storefront.merchant)
    candidate = theirs.candidates.get()

    seen = storefront.client.get(f"/api/v1/fashion-models/castings/{theirs.id}")
    kept = storefront.client.post(f"/api/v1/fashion-models/{candidate.id}/keep", {"name": "Mine"}, format="json")

    assert seen.status_code == kept.status_code == 404
    assert error_of(kept)["code"] == "not_found" and not FashionModel.objects.filter(name="Mine").exists()
    assert other_storefront.client.get(f"/api/v1/fashion-models/castings/{theirs.id}").status_code == 200


def test_the_casting_routes_are_documented_in_openapi(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]

    cast = paths["/api/v1/fashion-models/cast"]["post"]
    assert "202" in cast["responses"] and "Idempotency-Key" in [p["name"] for p in cast["parameters"]]
    assert "get" in paths["/api/v1/fashion-models/castings/{id}"]
    keep = paths["/api/v1/fashion-models/{id}/keep"]["post"]
    assert "candidate's id" in keep["description"] and {"201", "404", "409"} <= set(keep["responses"])
    assert keep["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CastingKeepInputRequest"
    }


def test_a_retried_cast_with_the_same_idempotency_key_casts_once(storefront):
    body = {**BRIEF, "count": 2}

    first = storefront.client.post("/api/v1/fashion-models/cast", body, format="json", HTTP_IDEMPOTENCY_KEY="cast-1")
    again = storefront.client.post("/api/v1/fashion-models/cast", body, format="json", HTTP_IDEMPOTENCY_KEY="cast-1")

    assert first.status_code == again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and Casting.objects.count() == 1
