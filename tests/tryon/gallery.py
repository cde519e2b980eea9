"""Finished try-ons without a render: jobs in any end state, with small PNGs as their images."""

import io

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.jobs.services import tryon_job_create


def png(colour="#8a5a44", size=(64, 96)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def finish(job: TryOnJob, *, status="succeeded", error="", images=1) -> TryOnJob:
    """The job as a worker would have left it."""
    now = timezone.now()
    TryOnJob.objects.filter(pk=job.id).update(
        status=status, error=error, steps_done=job.steps_total, started_at=now, finished_at=now, render_seconds=1.5
    )
    for index in range(images if status == "succeeded" else 0):
        image = GeneratedImage(
            merchant_id=job.merchant_id,
            job=job,
            index=index,
            catalog_item_id=job.catalog_item_id,
            width=64,
            height=96,
            seed=job.seed + index,
            parameters="tiny",
        )
        image.file.save(f"tryon-{job.id}-{index}.png", ContentFile(png()), save=True)
    job.refresh_from_db()
    return job


def finished_job(shop: dict, *, seed: int | None, **outcome) -> TryOnJob:
    """A job for the shop's picks (seed None: the picks' own), finished as `outcome` says, else with one image."""
    return finish(tryon_job_create(**shop, seed=seed, enqueue=False), **outcome)
