from celery import shared_task
from django.db import InterfaceError, OperationalError

from tryon.jobs.claims import tryon_job_claim_for_message
from tryon.jobs.services import tryon_job_render
from tryon.jobs.sweeper import tryon_jobs_sweep_exclusive


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
    if (claimed := tryon_job_claim_for_message(job_id=job_id)) is not None:
        tryon_job_render(job_id=claimed, claimed=True)


@shared_task(ignore_result=True)
def sweep_tryon_jobs() -> None:
    # Workers sweep too (tryon.jobs.heartbeats): whoever comes second while a sweep runs skips this one.
    tryon_jobs_sweep_exclusive(holder=f"task@{sweep_tryon_jobs.request.hostname}")
