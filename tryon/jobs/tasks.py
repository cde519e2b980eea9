import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from tryon.catalog.models import CatalogItem
from tryon.jobs.batch_render import tryon_jobs_render_batch
from tryon.jobs.claims import tryon_job_claim_batch_mates, tryon_job_claim_for_message
from tryon.jobs.models import TryOnJob
from tryon.jobs.precompute import tryon_precompute
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.sweeper import tryon_jobs_sweep_exclusive
from tryon.logs import job_logging
from tryon.merchants.models import Merchant

logger = logging.getLogger(__name__)


# The message is a wake-up: the worker renders the most urgent queued job of the named job's preset,
# which may be another one (tryon.jobs.claims), so the order is the database's whatever the broker.
# Late acks are safe: rendering starts with a conditional claim and images are unique per
# (job, sample), so a redelivered message can neither render twice nor store twice. Only a lost
# database connection is worth a retry; a render error is final and recorded on the job.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def render_tryon_job(job_id: int) -> None:
    with _logging_for(job_id):
        claimed = tryon_job_claim_for_message(job_id=job_id)
    if claimed is None:
        return
    with _logging_for(claimed):  # the claimed job may be another than the message's: its lines name it
        if claimed != job_id:
            logger.info("Claimed try-on #%s, the most urgent of its preset, for the message of #%s", claimed, job_id)
        # Queued jobs of the same shape go into the same pipeline call (tryon.jobs.batch_render)
        mates = tryon_job_claim_batch_mates(job_id=claimed)
        if not mates:
            tryon_job_render(job_id=claimed, claimed=True)
            _log_outcome(claimed)
            return
    tryon_jobs_render_batch(job_ids=[claimed, *mates])  # it logs each job's steps under that job
    for mate in (claimed, *mates):
        with _logging_for(mate):
            _log_outcome(mate)


def _logging_for(job_id: int):
    """Log lines name the job and its merchant (tryon.logs), whichever module writes them."""
    merchant = TryOnJob.objects.filter(pk=job_id).values_list("merchant__slug", flat=True).first()
    return job_logging(job_id=job_id, merchant=merchant)


def _log_outcome(job_id: int) -> None:
    """One line per rendered job, so that a job's lines end with how it ended."""
    job = TryOnJob.objects.filter(pk=job_id).values("status", "failure_code", "render_seconds").first()
    if job is not None:
        code = f" ({job['failure_code']})" if job["failure_code"] else ""
        took = f" after {job['render_seconds']:.1f} s of rendering" if job["render_seconds"] is not None else ""
        logger.info("Try-on #%s %s%s%s", job_id, job["status"], code, took)


@shared_task(ignore_result=True)
def sweep_tryon_jobs() -> None:
    # Workers sweep too (tryon.jobs.heartbeats): whoever comes second while a sweep runs skips this one.
    tryon_jobs_sweep_exclusive(holder=f"task@{sweep_tryon_jobs.request.hostname}")


@shared_task(ignore_result=True)
def precompute_popular_picks() -> None:
    """Nightly (beat): every merchant's most-picked and default combinations (tryon.jobs.precompute)."""
    for merchant in Merchant.objects.order_by("id"):
        try:
            tryon_precompute(merchant=merchant)
        except Exception:  # one merchant's trouble must not cost the others their night
            logger.exception("Precompute for merchant %s failed", merchant.id)


@shared_task(ignore_result=True)
def precompute_catalog_item(catalog_item_id: int) -> None:
    """An item the merchant just approved: its most-picked and default combinations."""
    item = CatalogItem.objects.select_related("merchant").filter(pk=catalog_item_id).first()
    if item is not None:  # deleted since: nothing to render
        tryon_precompute(merchant=item.merchant, catalog_item=item)
