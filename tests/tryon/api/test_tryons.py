"""A storefront asks for a try-on, polls it to the finished image, lists and cancels try-ons."""

import pytest
from django.utils import timezone
from PIL import Image

from tests.factories import GarmentFactory
from tests.tryon.api.conftest import error_of
from tests.tryon.engine_faults import gpu_out_of_memory  # noqa: F401 (a fixture)
from tests.tryon.links import SignedLink
from tryon.jobs.models import TryOnJob
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import tryon_job_create

pytestmark = pytest.mark.django_db


def finished(job: TryOnJob, status: str) -> TryOnJob:
    """Where a worker would have left the job; only the first story pays for a real render."""
    TryOnJob.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def test_a_try_on_is_accepted_then_rendered_and_polled_to_its_images(storefront, django_capture_on_commit_callbacks):
    # On commit the render is sent; tasks run eagerly here, with the tiny preset.
    with django_capture_on_commit_callbacks() as enqueued:
        accepted = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=7), format="json")
    with django_capture_on_commit_callbacks(execute=True):  # what the render commits (its job event) runs too
        for send in enqueued:
            send()

    assert accepted.status_code == 202, accepted.json()
    job = accepted.json()
    assert job["status"] == "queued" and job["progress"] == 0 and job["images"] == [] and job["seed"] == 7
    assert job["links"]["self"] == accepted["Location"] == f"http://testserver/api/v1/tryons/{job['id']}"
    assert job["links"]["cancel"] == f"http://testserver/api/v1/tryons/{job['id']}/cancel"
    assert len(enqueued) == 1  # the request sends it once, and only after the job was committed

    polled = storefront.client.get(f"/api/v1/tryons/{job['id']}").json()
    assert polled["status"] == "succeeded", polled["error"]
    assert polled["progress"] == 1.0 and polled["steps"]["done"] == polled["steps"]["total"] > 0
    row = TryOnJob.objects.get(pk=job["id"]).images.get()
    assert polled["samples"] == 1
    assert polled["images"] == [
        {
            "index": 0,
            "url": SignedLink(row.file, host="http://testserver"),
            "width": row.width,
            "height": row.height,
            "seed": 7,
            "parameters": row.parameters,
            "scores": row.scores,
            "quality_failures": [],
            "attempt": 0,
        }
    ]
    assert polled["parameters"] == row.parameters and "Seed: 7" in polled["parameters"]
    assert polled["timings"]["render_seconds"] > 0 and polled["timings"]["finished_at"] is not None
    with Image.open(row.file.path) as png:
        assert png.size == (row.width, row.height)

    again = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=7), format="json")
    assert again.status_code == 200 and again.json()["id"] == job["id"]  # same picks: the finished render


def test_four_samples_come_back_as_four_images_each_with_its_own_seed_and_infotext(
    storefront, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        accepted = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=40, samples=4), format="json")

    assert accepted.status_code == 202, accepted.json()
    polled = storefront.client.get(f"/api/v1/tryons/{accepted.json()['id']}").json()
    assert polled["status"] == "succeeded", polled["error"]
    assert polled["samples"] == 4
    assert [image["seed"] for image in polled["images"]] == [40, 41, 42, 43]
    assert [image["index"] for image in polled["images"]] == [0, 1, 2, 3]
    for image in polled["images"]:
        assert f"Seed: {image['seed']}," in image["parameters"]
    assert len({image["url"] for image in polled["images"]}) == 4
    one = storefront.client.post("/api/v1/tryons", storefront.tryon_body(seed=40), format="json")
    assert one.json()["id"] != polled["id"]  # one sample is another render, not the first of four


def test_garments_may_be_picked_one_by_one_instead_of_a_catalog_item(storefront):
    garments = [
        storefront["catalog_item"].garments.get(),
        GarmentFactory(
            merchant=storefront.merchant, category="bottom", name="Wide trousers"
        ),  # after "Garment <n>" by name
    ]
    body = storefront.tryon_body(catalog_item_id=None, garment_ids=[g.id for g in garments], samples=2, preset="tiny")
    del body["catalog_item_id"]

    response = storefront.client.post("/api/v1/tryons", body, format="json")

    assert response.status_code == 202, response.json()
    assert response.json()["garment_ids"] == [g.id for g in garments]
    assert response.json()["catalog_item_id"] is None and response.json()["preset"] == "tiny"


@pytest.mark.parametrize("field", ["fashion_model_id", "pose_id", "scene_id", "catalog_item_id", "garment_ids"])
def test_a_pick_of_another_merchant_is_not_found_and_names_the_field(storefront, other_storefront, field):
    theirs = {
        "fashion_model_id": other_storefront["fashion_model"].id,
        "pose_id": other_storefront["pose"].id,
        "scene_id": other_storefront["scene"].id,
        "catalog_item_id": other_storefront["catalog_item"].id,
        "garment_ids": [other_storefront["catalog_item"].garments.get().id],
    }[field]

    response = storefront.client.post("/api/v1/tryons", storefront.tryon_body(**{field: theirs}), format="json")

    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "not_found" and error["field"] == field
    assert not TryOnJob.objects.exists()
    # Exactly what an id that exists nowhere gets: the answer says nothing about other merchants.
    missing = 10**12 if field != "garment_ids" else [10**12]
    nowhere = storefront.client.post("/api/v1/tryons", storefront.tryon_body(**{field: missing}), format="json")
    assert error_of(nowhere)["message"] == error["message"].replace(str(theirs).strip("[]"), str(10**12))


def test_what_the_job_service_refuses_comes_back_as_a_validation_error_on_the_api_field(storefront):
    unknown_preset = storefront.client.post("/api/v1/tryons", storefront.tryon_body(preset="sd99"), format="json")
    item = storefront["catalog_item"]
    item.garments.clear()
    no_garments = storefront.client.post("/api/v1/tryons", storefront.tryon_body(), format="json")

    assert unknown_preset.status_code == no_garments.status_code == 400
    assert error_of(unknown_preset)["field"] == "preset" and "sd99" in error_of(unknown_preset)["message"]
    assert error_of(no_garments)["field"] == "garment_ids"
    assert error_of(no_garments)["code"] == "validation_error"


def test_try_ons_are_listed_newest_first_and_filtered(storefront):
    shop = storefront.shop
    older = finished(tryon_job_create(**shop, seed=1, enqueue=False), "succeeded")
    newer = tryon_job_create(**shop, seed=2, enqueue=False)

    def ids(**params):
        response = storefront.client.get("/api/v1/tryons", params)
        assert response.status_code == 200, response.json()
        return [job["id"] for job in response.json()["results"]]

    assert ids() == [newer.id, older.id]
    assert ids(status="succeeded") == [older.id]
    assert ids(status="queued") == [newer.id]
    assert ids(catalog_item=shop["catalog_item"].id) == [newer.id, older.id]
    assert ids(catalog_item=10**12) == []
    assert ids(created_after=older.created_at.isoformat()) == [newer.id]


def test_a_queued_try_on_is_cancelled_and_a_finished_one_cannot_be(storefront):
    queued = tryon_job_create(**storefront.shop, seed=1, enqueue=False)
    failed = finished(tryon_job_create(**storefront.shop, seed=2, enqueue=False), "failed")

    cancelled = storefront.client.post(f"/api/v1/tryons/{queued.id}/cancel")
    refused = storefront.client.post(f"/api/v1/tryons/{failed.id}/cancel")

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert storefront.client.post(f"/api/v1/tryons/{queued.id}/cancel").status_code == 200  # cancelling twice is fine
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "conflict" and "already failed" in error_of(refused)["message"]


@pytest.mark.parametrize("method", ["bogus", 7, None, ["warp"]])
def test_an_unknown_method_is_refused_naming_the_field(storefront, method):
    response = storefront.client.post("/api/v1/tryons", storefront.tryon_body(method=method), format="json")

    assert response.status_code == 400
    assert error_of(response)["field"] == "method"
    assert not TryOnJob.objects.exists()


@pytest.mark.usefixtures("gpu_out_of_memory")
def test_a_failed_try_on_says_why_in_a_code_the_storefront_can_act_on(storefront):
    failed = tryon_job_create(**storefront.shop, seed=3, enqueue=False)
    tryon_job_render(job_id=failed.id)  # the GPU runs out of memory
    queued = tryon_job_create(**storefront.shop, seed=4, enqueue=False)
    storefront.client.post(f"/api/v1/tryons/{queued.id}/cancel")

    polled = storefront.client.get(f"/api/v1/tryons/{failed.id}").json()
    cancelled = storefront.client.get(f"/api/v1/tryons/{queued.id}").json()
    schema = storefront.client.get("/api/schema/?format=json").json()

    assert (polled["status"], polled["failure_code"]) == ("failed", "out_of_memory")
    assert "ran out of GPU memory" in polled["error"]  # the words are for people; the code is for code
    assert (cancelled["status"], cancelled["failure_code"]) == ("cancelled", "cancelled")
    output = schema["components"]["schemas"]["TryOnOutput"]["properties"]["failure_code"]
    codes = schema["components"]["schemas"]["TryOnFailureCodeEnum"]["enum"]
    assert {"out_of_memory", "timed_out", "worker_lost", "internal"} <= set(codes) and "nullable" in str(output)


def test_a_try_on_that_did_not_fail_has_no_failure_code(storefront):
    job = finished(tryon_job_create(**storefront.shop, seed=5, enqueue=False), "succeeded")

    assert storefront.client.get(f"/api/v1/tryons/{job.id}").json()["failure_code"] is None
