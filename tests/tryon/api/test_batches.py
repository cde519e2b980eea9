"""A storefront asks for catalog shots in bulk: every combination, queued behind shoppers, with progress."""

import pytest

from tests.factories import CatalogItemFactory, SceneFactory
from tests.tryon.api.conftest import error_of
from tryon.jobs.models import TryOnJob

pytestmark = pytest.mark.django_db


def batch_body(storefront, **overrides) -> dict:
    return {
        "catalog_item_ids": [storefront["catalog_item"].id],
        "fashion_model_ids": [storefront["fashion_model"].id],
        "pose_ids": [storefront["pose"].id],
        "scene_ids": [storefront["scene"].id],
        **overrides,
    }


def test_a_batch_queues_every_combination_and_reports_its_progress(storefront):
    merchant = storefront.merchant
    items = [storefront["catalog_item"].id, CatalogItemFactory(merchant=merchant).id]
    scenes = [storefront["scene"].id, SceneFactory(merchant=merchant, name="Loft", prompt="loft").id]

    accepted = storefront.client.post(
        "/api/v1/batches", batch_body(storefront, catalog_item_ids=items, scene_ids=scenes), format="json"
    )

    assert accepted.status_code == 202, accepted.json()
    batch = accepted.json()
    assert accepted["Location"] == f"http://testserver/api/v1/batches/{batch['id']}"
    assert len(batch["tryon_ids"]) == 4
    assert batch["progress"] == {
        "total": 4, "finished": 0, "retried": 0, "progress": 0.0,
        "queued": 4, "running": 0, "succeeded": 0, "failed": 0, "cancelled": 0,
    }  # fmt: skip
    assert set(TryOnJob.objects.filter(pk__in=batch["tryon_ids"]).values_list("priority", flat=True)) == {"batch"}

    TryOnJob.objects.filter(pk=batch["tryon_ids"][0]).update(status="succeeded")
    polled = storefront.client.get(accepted["Location"]).json()
    assert (polled["progress"]["succeeded"], polled["progress"]["progress"]) == (1, 0.25)
    assert storefront.client.get("/api/v1/batches").json()["results"][0]["id"] == batch["id"]


def test_a_batch_naming_another_merchants_pose_is_not_found_by_field(storefront, other_storefront):
    response = storefront.client.post(
        "/api/v1/batches", batch_body(storefront, pose_ids=[other_storefront["pose"].id]), format="json"
    )

    assert response.status_code == 404
    assert error_of(response)["field"] == "pose_ids"
    assert not TryOnJob.objects.exists()


def test_an_empty_pick_list_is_refused_by_field(storefront):
    response = storefront.client.post("/api/v1/batches", batch_body(storefront, scene_ids=[]), format="json")

    assert response.status_code == 400
    assert error_of(response)["field"] == "scene_ids"
