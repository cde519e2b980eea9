"""The whole slice with real parts: a shopper asks for a try-on on the shop page, the job goes through
real Redis to a real Celery worker process, which renders it with the tiny preset against PostgreSQL,
attaches the image to the catalog item and tells the storefront by a signed webhook."""

import json
import time

import pytest
from PIL import Image

from tests.factories import shop_with_picks
from tests.tryon.api.receiver import Receiver
from tests.tryon.links import SignedLink
from tests.tryon.worker import WorkerProcess
from tryon.jobs.models import TryOnJob
from tryon.webhooks.services import webhook_endpoint_create
from tryon.webhooks.signing import signature_verify

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_until_finished(job_id: int, worker: WorkerProcess, timeout: float = 120) -> TryOnJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = TryOnJob.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.2)
    pytest.fail(f"try-on #{job_id} still {job.status} after {timeout} s; worker log:\n{worker.log}")


@pytest.fixture
def storefront():
    """The merchant's storefront, listening for webhooks on 127.0.0.1."""
    with Receiver() as receiver:
        yield receiver


def test_a_shoppers_try_on_is_rendered_by_a_real_worker_and_lands_on_the_catalog_item(
    client, worker, settings, storefront
):
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    shop = shop_with_picks()
    merchant, item = shop["merchant"], shop["catalog_item"]
    endpoint = webhook_endpoint_create(merchant=merchant, url=storefront.url)

    response = client.post(
        f"/shop/{merchant.slug}/items/{item.id}/",
        {"fashion_model": shop["fashion_model"].id, "pose": shop["pose"].id, "scene": shop["scene"].id},
    )
    assert response.status_code == 302
    job = TryOnJob.objects.get()
    assert response["Location"] == f"/shop/{merchant.slug}/tryons/{job.id}/"

    job = wait_until_finished(job.id, worker)

    assert job.status == TryOnJob.Status.SUCCEEDED, f"{job.error}\n{worker.log}"
    image = job.images.get()
    assert image.catalog_item == item
    with Image.open(image.file.path) as png:
        assert png.format == "PNG"
        assert png.size == (job.plan["width"], job.plan["height"])
        assert png.info["parameters"] == image.parameters
        assert f"Seed: {job.seed}" in png.info["parameters"]
    status = client.get(f"/shop/{merchant.slug}/tryons/{job.id}/status").json()
    assert status["status"] == "succeeded" and status["progress"] == 1.0
    assert status["images"] == [SignedLink(image.file)]

    deadline = time.monotonic() + 60
    while not storefront.received and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(storefront.received) == 1, worker.log
    headers, body = storefront.received[0]
    assert signature_verify(endpoint.secret, headers["Tryon-Signature"], body)
    event = json.loads(body)
    assert (event["type"], event["data"]["tryon"]["id"]) == ("tryon.succeeded", job.id)


def test_a_worker_loads_its_pipeline_once_and_renders_job_after_job(worker):
    from tryon.jobs.services import tryon_job_create

    shop = shop_with_picks()
    jobs = [tryon_job_create(**shop, seed=seed) for seed in (1, 2, 3)]

    finished = [wait_until_finished(job.id, worker) for job in jobs]

    assert [job.status for job in finished] == ["succeeded"] * 3, worker.log
    assert worker.log.count("Pipeline for preset 'tiny' loaded") == 1
