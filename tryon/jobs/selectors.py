from django.db.models import Case, F, OuterRef, QuerySet, Subquery, Value, When
from django.shortcuts import get_object_or_404

from tryon.jobs.models import TryOnJob
from tryon.media.signing import signed_url
from tryon.merchants.models import Merchant


def tryon_job_get(*, merchant: Merchant, job_id: int) -> TryOnJob:
    return get_object_or_404(TryOnJob.objects.filter(merchant=merchant).prefetch_related("images"), pk=job_id)


def tryon_job_status(job: TryOnJob, *, new: bool = False) -> dict:
    """What a progress bar needs, as JSON. `new`: the job was made by this request, so it has no images yet."""
    return {
        "id": job.id,
        "status": job.status,
        "steps_done": job.steps_done,
        "steps_total": job.steps_total,
        "progress": round(job.progress, 3),
        "error": job.error,
        "failure_code": job.failure_code,
        "notice": job.notice,
        # The garments warped onto the person, shown while the render runs; the images replace it
        "draft": signed_url(job.draft) if job.draft else None,
        "images": [] if new else [signed_url(image.file) for image in job.images.all()],
    }


def tryon_jobs_in_claim_order(*, preset: str) -> QuerySet[TryOnJob]:
    """The preset's claimable jobs, the one a worker should render next first (see tryon.jobs.claims).

    Shoppers before batches; within a priority, merchants take turns: the merchant this preset's workers
    served least recently goes first (never served counts as longest ago); then the oldest job first.
    """
    last_served = (
        TryOnJob.objects.filter(merchant=OuterRef("merchant"), preset=preset, started_at__isnull=False)
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    return (
        TryOnJob.objects.filter(preset=preset, status=TryOnJob.Status.QUEUED, cancel_requested=False)
        .annotate(
            urgency=Case(When(priority=TryOnJob.Priority.SHOPPER, then=Value(0)), default=Value(1)),
            merchant_last_served=Subquery(last_served),
        )
        .order_by("urgency", F("merchant_last_served").asc(nulls_first=True), "created_at", "id")
    )
