"""Whatever a storefront sends, the answer is an error it can read, in one format, and never a 500."""

import pytest

from tests.tryon.api.conftest import error_of

pytestmark = pytest.mark.django_db


def test_missing_fields_are_all_named_in_details(storefront):
    response = storefront.client.post("/api/v1/tryons", {}, format="json")

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error" and "field" not in error
    assert set(error["details"]) == {"fashion_model_id", "pose_id", "scene_id"}
    assert error["details"]["pose_id"] == ["This field is required."]


def test_one_bad_field_is_named_as_the_field(storefront):
    response = storefront.client.post("/api/v1/tryons", storefront.tryon_body(samples=5), format="json")

    error = error_of(response)
    assert response.status_code == 400 and error["field"] == "samples"
    assert error["message"] == "Ensure this value is less than or equal to 4."


@pytest.mark.parametrize(
    "body",
    [
        {"pose_id": 10**30},
        {"pose_id": "seven"},
        {"pose_id": None},
        {"garment_ids": "1,2"},
        {"garment_ids": [1] * 100},
        {"seed": -1},
        {"seed": 2**40},
        {"preset": "x" * 500},
    ],
)
def test_out_of_range_and_wrongly_typed_values_are_validation_errors(storefront, body):
    response = storefront.client.post("/api/v1/tryons", storefront.tryon_body(**body), format="json")

    assert response.status_code == 400 and error_of(response)["field"] == next(iter(body))


def test_a_body_that_is_not_json_is_a_parse_error_and_a_form_is_unsupported(storefront):
    broken = storefront.client.post("/api/v1/tryons", "{not json", content_type="application/json")
    form = storefront.client.post("/api/v1/tryons", {"pose_id": 1}, format="multipart")

    assert broken.status_code == 400 and error_of(broken)["code"] == "parse_error"
    assert form.status_code == 415 and error_of(form)["code"] == "unsupported_media_type"


def test_unknown_routes_ids_and_methods_answer_in_the_same_format(storefront):
    assert error_of(storefront.client.get("/api/v1/nothing-here"))["code"] == "not_found"
    assert error_of(storefront.client.get("/api/v1/poses/abc"))["code"] == "not_found"
    assert storefront.client.get(f"/api/v1/poses/{10**30}").status_code == 404  # too long for an id
    assert storefront.client.get(f"/api/v1/poses/{2**63 - 1}").status_code == 404  # the largest bigint
    assert storefront.client.get("/api/v1/poses", {"page": 99}).status_code == 404

    deleted = storefront.client.delete("/api/v1/tryons")
    put = storefront.client.put(f"/api/v1/tryons/{10**6}", {})
    assert deleted.status_code == put.status_code == 405
    assert error_of(deleted)["code"] == error_of(put)["code"] == "method_not_allowed"
    assert deleted["Allow"] == "GET, POST"


@pytest.mark.parametrize(
    "query", [{"status": "exploded"}, {"created_after": "yesterday"}, {"catalog_item": "x"}, {"catalog_item": 10**30}]
)
def test_bad_filters_are_validation_errors_on_the_filter(storefront, query):
    response = storefront.client.get("/api/v1/tryons", query)

    assert response.status_code == 400 and error_of(response)["field"] == next(iter(query))
