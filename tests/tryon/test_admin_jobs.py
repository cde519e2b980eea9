"""A merchant follows try-on jobs in the admin: what state each is in, what went wrong in words, how long
it took; failed and cancelled ones can be tried again with the same picks and seed, live ones cancelled."""

import pytest

from tests.factories import shop_with_picks
from tests.tryon.gallery import finish, finished_job
from tryon.jobs.batches import tryon_batch_create
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import tryon_job_create

pytestmark = pytest.mark.django_db
Status = TryOnJob.Status
OUT_OF_MEMORY = "The worker ran out of memory while rendering. Try a smaller size or fewer samples."


def act(client, action, jobs):
    return client.post(
        "/admin/jobs/tryonjob/", {"action": action, "_selected_action": [job.id for job in jobs]}, follow=True
    )


def test_the_job_list_says_what_happened_and_how_long_it_took(staff_client, shop):
    failed = finished_job(shop, seed=1, status=Status.FAILED, error=OUT_OF_MEMORY)
    running = tryon_job_create(**shop, seed=2, enqueue=False)
    TryOnJob.objects.filter(pk=running.id).update(status=Status.RUNNING, steps_done=3, steps_total=8)
    strangers = finished_job(shop_with_picks(), seed=3)

    listing = staff_client.get("/admin/jobs/tryonjob/").content.decode()

    assert f">#{failed.id}<" in listing and f">#{running.id}<" in listing and f">#{strangers.id}<" not in listing
    assert "ran out of memory" in listing and "rendered in 1.5 s" in listing
    assert "step 3 of 8" in listing and 'class="job-status is-running"' in listing
    assert staff_client.get(f"/admin/jobs/tryonjob/{failed.id}/change/").status_code == 200
    assert staff_client.get(f"/admin/jobs/tryonjob/{strangers.id}/change/").status_code in (302, 404)


def test_a_failed_job_is_retried_with_the_same_picks_and_seed(staff_client, shop, django_capture_on_commit_callbacks):
    failed = finished_job(shop, seed=41, status=Status.FAILED, error=OUT_OF_MEMORY)

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = act(staff_client, "retry_jobs", [failed])

    again = TryOnJob.objects.exclude(pk=failed.id).get()
    assert f"Try-on #{failed.id} queued again as #{again.id}." in response.content.decode()
    assert (again.status, again.seed, again.plan_fingerprint) == (Status.QUEUED, 41, failed.plan_fingerprint)
    assert (again.fashion_model, again.pose, again.scene, again.catalog_item) == (
        failed.fashion_model,
        failed.pose,
        failed.scene,
        failed.catalog_item,
    )
    assert len(enqueued) == 1
    failed.refresh_from_db()
    assert failed.status == Status.FAILED  # the record of what went wrong stays


def test_a_retried_job_renders_as_many_samples_as_the_failed_one(staff_client, shop):
    failed = finish(tryon_job_create(**shop, seed=5, samples=3, enqueue=False), status=Status.FAILED, error="lost")

    act(staff_client, "retry_jobs", [failed])

    again = TryOnJob.objects.exclude(pk=failed.id).get()
    assert again.samples == 3 and again.plan_fingerprint == failed.plan_fingerprint


def test_only_failed_or_cancelled_jobs_are_retried_and_only_live_ones_cancelled(staff_client, shop):
    done = finished_job(shop, seed=1)
    queued = tryon_job_create(**shop, seed=2, enqueue=False)

    retried = act(staff_client, "retry_jobs", [done]).content.decode()
    cancelled = act(staff_client, "cancel_jobs", [queued, done]).content.decode()

    assert "only failed or cancelled try-ons can be retried" in retried
    assert f"Try-on #{queued.id} cancelled." in cancelled
    assert "has already succeeded; there is nothing to cancel" in cancelled
    assert TryOnJob.objects.get(pk=queued.id).status == Status.CANCELLED

    act(staff_client, "retry_jobs", [queued])  # a cancelled job can be asked for again
    assert TryOnJob.objects.filter(status=Status.QUEUED, seed=2).count() == 1


def test_a_batch_page_and_its_progress_belong_to_its_merchant(staff_client, shop):
    batch = tryon_batch_create(
        merchant=shop["merchant"],
        catalog_items=[shop["catalog_item"]],
        fashion_models=[shop["fashion_model"]],
        poses=[shop["pose"]],
        scenes=[shop["scene"]],
    )
    other = shop_with_picks()
    strangers = tryon_batch_create(
        merchant=other["merchant"],
        catalog_items=[other["catalog_item"]],
        fashion_models=[other["fashion_model"]],
        poses=[other["pose"]],
        scenes=[other["scene"]],
    )

    page = staff_client.get(f"/admin/jobs/tryonbatch/{batch.id}/change/").content.decode()
    progress = staff_client.get(f"/admin/jobs/tryonbatch/{batch.id}/progress.json").json()

    assert "0 of 1</strong> finished" in page
    assert (progress["total"], progress["queued"], progress["progress"]) == (1, 1, 0.0)
    assert [job["status"] for job in progress["jobs"]] == ["queued"]
    assert staff_client.get(f"/admin/jobs/tryonbatch/{strangers.id}/change/").status_code == 404
    assert staff_client.get(f"/admin/jobs/tryonbatch/{strangers.id}/progress.json").status_code == 404


def test_merchant_staff_never_see_merchants_or_logins(staff_client):
    index = staff_client.get("/admin/").content.decode()

    assert 'href="/admin/merchants/merchant/"' not in index and "/admin/merchants/user/" not in index
    assert 'href="/admin/merchants/merchant/shop-settings/"' in index  # their own shop's settings, nothing more
    assert staff_client.get("/admin/merchants/merchant/").status_code == 403
    assert staff_client.get("/admin/merchants/user/").status_code == 403
