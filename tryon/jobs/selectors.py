from django.shortcuts import get_object_or_404

from tryon.jobs.models import TryOnJob
from tryon.merchants.models import Merchant


def tryon_job_get(*, merchant: Merchant, job_id: int) -> TryOnJob:
    return get_object_or_404(TryOnJob.objects.filter(merchant=merchant).prefetch_related("images"), pk=job_id)


def tryon_job_status(job: TryOnJob) -> dict:
    """What a progress bar needs, as JSON."""
    return {
        "id": job.id,
        "status": job.status,
        "steps_done": job.steps_done,
        "steps_total": job.steps_total,
        "progress": round(job.progress, 3),
        "error": job.error,
        "images": [image.file.url for image in job.images.all()],
    }
