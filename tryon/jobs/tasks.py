from celery import shared_task
from django.db import InterfaceError, OperationalError

from tryon.jobs.services import tryon_job_render
from tryon.jobs.sweeper import tryon_jobs_sweep


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
    tryon_job_render(job_id=job_id)


@shared_task(ignore_result=True)
def sweep_tryon_jobs() -> None:
    tryon_jobs_sweep()
