"""Photos a FASHN client sends are kept only as long as TRYON_FASHN_RETENTION_HOURS says: then the sweeper
deletes them, the try-on made from them and every file, and the prediction is gone. The merchant's own
catalog is untouched throughout, and never lists them."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework.test import APIClient

from tests.tryon.fashn.conftest import data_uri, queued_prediction
from tryon.catalog.models import FashionModel, Garment, Pose, Scene
from tryon.fashn.models import Prediction
from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.jobs.sweeper import tryon_jobs_sweep_exclusive

pytestmark = pytest.mark.django_db(transaction=True)


def fashn_client(storefront) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {storefront.key}")
    return client


def files_of(prediction: Prediction) -> list[str]:
    job = prediction.job
    names = [job.draft.name, prediction.garment.image.name, prediction.person.reference_photo.name]
    names += [name for image in job.images.all() for name in (image.file.name, image.garment_mask.name) if name]
    names += prediction.outputs
    return [name for name in names if name]


def test_the_sweeper_deletes_an_expired_prediction_with_its_photos_job_and_files(
    storefront, settings, garment_png, person_png
):
    settings.TRYON_FASHN_RETENTION_HOURS = 24
    client = fashn_client(storefront)
    inputs = {"model_image": data_uri(person_png), "garment_image": data_uri(garment_png), "output_format": "jpeg"}
    answer = client.post("/v1/run", {"model_name": "tryon-v1.6", "inputs": inputs}, format="json")
    assert answer.status_code == 200, answer.json()
    prediction_id = answer.json()["id"]
    status = client.get(f"/v1/status/{prediction_id}").json()  # rendered inline: tasks run eagerly here
    assert status["status"] == "completed" and status["output"][0].split("?")[0].endswith(".jpg"), status
    prediction = Prediction.objects.select_related("job", "garment", "person").get(pk=prediction_id)
    files = files_of(prediction)
    assert len(files) >= 5 and all(default_storage.exists(name) for name in files)
    expires = prediction.expires_at - prediction.created_at
    assert timedelta(hours=23, minutes=59) < expires <= timedelta(hours=24)

    tryon_jobs_sweep_exclusive(holder="test")  # not yet expired: kept
    assert Prediction.objects.filter(pk=prediction_id).exists()

    Prediction.objects.filter(pk=prediction_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    tryon_jobs_sweep_exclusive(holder="test")

    assert not Prediction.objects.filter(pk=prediction_id).exists()
    assert not TryOnJob.objects.filter(pk=prediction.job_id).exists()
    assert not GeneratedImage.objects.filter(job_id=prediction.job_id).exists()
    assert (
        not Garment.objects.filter(transient=True).exists() and not FashionModel.objects.filter(transient=True).exists()
    )
    assert [name for name in files if default_storage.exists(name)] == []
    assert client.get(f"/v1/status/{prediction_id}").json()["error"] == "NotFound"
    # the merchant's own picks, and the hidden "as in the photo" pose and scene kept for the next photo
    assert Garment.objects.filter(merchant=storefront.merchant, transient=False).count() == 1
    assert Pose.objects.filter(transient=True).count() == Scene.objects.filter(transient=True).count() == 1


def test_a_prediction_still_queued_is_cancelled_first_and_deleted_at_the_next_sweep(storefront):
    prediction_id = queued_prediction(storefront, expires_at=timezone.now() - timedelta(minutes=1))

    tryon_jobs_sweep_exclusive(holder="test")
    job = Prediction.objects.get(pk=prediction_id).job
    assert job.status == TryOnJob.Status.CANCELLED

    tryon_jobs_sweep_exclusive(holder="test")
    assert not Prediction.objects.filter(pk=prediction_id).exists() and not TryOnJob.objects.filter(pk=job.pk).exists()


def test_shared_renders_stay_while_another_prediction_still_needs_them(storefront):
    kept = queued_prediction(storefront)
    expired = queued_prediction(storefront, expires_at=timezone.now() - timedelta(minutes=1))
    job = Prediction.objects.get(pk=kept).job
    TryOnJob.objects.filter(pk=job.pk).update(status=TryOnJob.Status.FAILED)

    tryon_jobs_sweep_exclusive(holder="test")

    assert not Prediction.objects.filter(pk=expired).exists()
    assert TryOnJob.objects.filter(pk=job.pk).exists() and Prediction.objects.filter(pk=kept).exists()
