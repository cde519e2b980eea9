"""Trying a failed or cancelled job again: a new job with the same picks, seed and sample count.

The result cache never reuses a failed or cancelled job, so tryon_job_create plans a fresh render
(or answers with an identical live job someone asked for in the meantime).
"""

from django.core.exceptions import ValidationError

from tryon.jobs.models import TryOnJob
from tryon.jobs.services import JobStateError, tryon_job_create

RETRYABLE = (TryOnJob.Status.FAILED, TryOnJob.Status.CANCELLED)


def tryon_job_retry(*, job: TryOnJob) -> TryOnJob:
    if job.status not in RETRYABLE:
        raise JobStateError(f"Try-on #{job.id} is {job.status}; only failed or cancelled try-ons can be retried.")
    gone = [name for name in ("fashion_model", "pose", "scene") if getattr(job, name) is None]
    garments = list(job.garments.all())
    if not garments:
        gone.append("garments")
    if gone:
        names = ", ".join(name.replace("_", " ") for name in gone)
        raise ValidationError(f"Try-on #{job.id} cannot be retried: its {names} no longer exist.")
    return tryon_job_create(
        merchant=job.merchant,
        fashion_model=job.fashion_model,
        pose=job.pose,
        scene=job.scene,
        garments=garments,
        catalog_item=job.catalog_item,
        seed=job.seed,
        samples=job.samples,
        preset=job.preset,
        style=job.style,
        priority=job.priority,
        # Drawn from words by choice stays so; drawn from words for want of a cut-out tries the garment's pixels again
        method="warp" if job.plan.get("mode") == "warp" or job.notice else "text",
    )
