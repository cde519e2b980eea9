"""A rush of shoppers: 50 try-ons submitted at once through the REST API while the only worker is busy
with a long render. Every request is accepted at once as its own job, and every job completes, each
with exactly one image. Real worker process, Redis and PostgreSQL. How fast the answers come is
measured by `python -m tryon.bench.submissions`, not asserted here."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from rest_framework.test import APIClient

from tests.tryon.worker import slow_job, wait_for
from tryon.api.services import storefront_key_create
from tryon.jobs.models import GeneratedImage, TryOnJob

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SHOPPERS = 50


def test_fifty_try_ons_submitted_at_once_while_the_worker_is_busy_all_complete(shop, worker, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"read": "100000/min", "write": "100000/min"},  # the rush, not the limit
    }
    _row, key = storefront_key_create(merchant=shop["merchant"], name="Busy storefront")
    body = {f"{name}_id": shop[name].id for name in ("catalog_item", "fashion_model", "pose", "scene")}
    busy = slow_job(shop, seed=99_999)
    wait_for(lambda: TryOnJob.objects.get(pk=busy.id).status == "running", 120, "the worker to get busy")

    start_together = threading.Barrier(SHOPPERS)

    def shopper(seed: int):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        try:
            start_together.wait(timeout=60)
            response = client.post("/api/v1/tryons", {**body, "seed": seed}, format="json")
            return response.status_code, response.json()
        finally:
            connections.close_all()  # this thread's connection, or the test database cannot be dropped

    with ThreadPoolExecutor(max_workers=SHOPPERS) as pool:
        answers = list(pool.map(shopper, range(SHOPPERS)))

    assert [status for status, _job in answers] == [202] * SHOPPERS, answers
    job_ids = {job["id"] for _status, job in answers}
    assert len(job_ids) == SHOPPERS  # fifty seeds, fifty jobs: nothing merged, nothing dropped
    everything = job_ids | {busy.id}
    wait_for(
        lambda: TryOnJob.objects.filter(pk__in=everything, status__in=TryOnJob.FINISHED).count() == len(everything),
        600,
        "every try-on to finish",
        lambda: worker.log[-3000:],
    )

    jobs = TryOnJob.objects.filter(pk__in=everything)
    assert set(jobs.values_list("status", flat=True)) == {"succeeded"}, [
        (job.id, job.status, job.error) for job in jobs.exclude(status="succeeded")
    ]
    assert GeneratedImage.objects.filter(job__in=jobs).count() == len(everything)
    assert all(job.attempts == 1 for job in jobs)  # nothing ran twice
