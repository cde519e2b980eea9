"""Bulk renders: every combination of the merchant's picks, one job each, results awaiting approval."""

from itertools import product

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q

from tryon.catalog.models import CatalogItem, FashionModel, Pose, Scene
from tryon.jobs.models import TryOnBatch, TryOnJob
from tryon.jobs.services import tryon_job_create
from tryon.merchants.models import Merchant

MAX_IMAGES_PER_BATCH = 500  # renders × samples: what one batch may ask of the workers


@transaction.atomic
def tryon_batch_create(
    *,
    merchant: Merchant,
    catalog_items: list[CatalogItem],
    fashion_models: list[FashionModel],
    poses: list[Pose],
    scenes: list[Scene],
    preset: str | None = None,
    samples: int = 1,
) -> TryOnBatch:
    picks = {"catalog_items": catalog_items, "fashion_models": fashion_models, "poses": poses, "scenes": scenes}
    for field, chosen in picks.items():
        if not chosen:
            raise ValidationError({field: "Pick at least one."})
    size = len(catalog_items) * len(fashion_models) * len(poses) * len(scenes)
    if size * samples > MAX_IMAGES_PER_BATCH:
        asked = f"{size} renders of {samples} images each" if samples > 1 else f"{size} renders"
        raise ValidationError({"catalog_items": f"{asked} is more than {MAX_IMAGES_PER_BATCH} images in one batch."})

    jobs = [
        tryon_job_create(
            merchant=merchant,
            catalog_item=item,
            fashion_model=fashion_model,
            pose=pose,
            scene=scene,
            preset=preset,
            samples=samples,
            priority=TryOnJob.Priority.BATCH,
        )
        for item, fashion_model, pose, scene in product(catalog_items, fashion_models, poses, scenes)
    ]
    batch = TryOnBatch.objects.create(merchant=merchant, preset=jobs[0].preset)
    batch.jobs.set(jobs)
    return batch


def tryon_batch_progress(*, batch: TryOnBatch) -> dict:
    """Counts per status and overall progress, for a bar and a summary line."""
    counts = batch.jobs.aggregate(
        total=Count("id"),
        **{status: Count("id", filter=Q(status=status)) for status in TryOnJob.Status.values},
    )
    finished = sum(counts[status] for status in TryOnJob.FINISHED)
    # Jobs the quality gate rendered more than once (a batch holds at most a few hundred)
    retried = sum(len(attempts or []) > 1 for attempts in batch.jobs.values_list("quality_attempts", flat=True))
    return {
        **counts,
        "finished": finished,
        "retried": retried,
        "progress": finished / counts["total"] if counts["total"] else 1.0,
    }
