"""Several claimed try-ons denoised in one pipeline call (generation.batching), each finished on its own.

The worker's task claims the most urgent job, then up to TRYON_MAX_BATCH - 1 batch-mates of its shape
(tryon.jobs.claims). Per job, exactly as tryon_job_render does it alone: its plan and photos, its stage-1
person (rendered once and shared, before the batch), its progress and cancel, its scores and quality
retries (alone, after the batch), its images stored and its end recorded. A job that is cancelled, or
fails (a photo gone, its scoring or storing failing), ends so alone; its batch-mates are not touched.
"""

import logging
import time

from tryon.jobs.models import TryOnJob
from tryon.jobs.rendering import (
    ProgressWriter,
    job_plan_with_person,
    render_until_faithful,
    store_result,
    tryon_job_end_with,
)
from tryon.logs import job_logging

logger = logging.getLogger(__name__)


def tryon_jobs_render_batch(*, job_ids: list[int]) -> None:
    """Render claimed (running) jobs of one batch key together; each ends succeeded, failed or cancelled."""
    from generation.batching import BatchItem, batch_key, render_batch

    # 1. Each job's plan, photos and stage-1 person, one job at a time (the person is cached and shared)
    jobs, items = [], []
    for job in TryOnJob.objects.filter(pk__in=job_ids).select_related("merchant").order_by():
        progress = ProgressWriter(job.id)
        with _logging_of(job):
            try:
                plan, images, progress = job_plan_with_person(job, progress)
            except Exception as error:
                tryon_job_end_with(job_id=job.id, error=error)
                continue
        jobs.append(job)
        items.append(BatchItem(plan, images=images, on_step=progress))
    jobs_in_order = sorted(zip(jobs, items, strict=True), key=lambda pair: job_ids.index(pair[0].id))
    if not jobs_in_order:
        return

    # 2. One pipeline call for all of them (or one per prompt length); a failed call renders each alone.
    #    A plan edited since its claim (no longer of the batch's key) gets a call of its own.
    started = time.perf_counter()
    groups: dict = {}
    for position, (_job, item) in enumerate(jobs_in_order):
        groups.setdefault(batch_key(item.plan) or ("alone", position), []).append(position)
    results: list = [None] * len(jobs_in_order)
    for positions in groups.values():
        for position, result in zip(positions, render_batch([jobs_in_order[p][1] for p in positions]), strict=True):
            results[position] = result
    logger.info(
        "Rendered try-ons %s in one batch of %s in %.2f s",
        ", ".join(f"#{job.id}" for job, _item in jobs_in_order),
        len(jobs_in_order),
        time.perf_counter() - started,
    )

    # 3. Each job's scores (and quality retries, alone), images and end: one job's trouble is its own
    for (job, item), result in zip(jobs_in_order, results, strict=True):
        with _logging_of(job):
            if isinstance(result, Exception):
                tryon_job_end_with(job_id=job.id, error=result)
                continue
            try:
                kept, seconds = render_until_faithful(job, item.plan, dict(item.images), item.on_step, first=result)
            except Exception as error:
                tryon_job_end_with(job_id=job.id, error=error)
                continue
            store_result(job, kept, seconds)


def _logging_of(job: TryOnJob):
    """Its own steps' lines name the job and its merchant (tryon.logs), as a job rendered alone does."""
    return job_logging(job_id=job.id, merchant=job.merchant.slug)
