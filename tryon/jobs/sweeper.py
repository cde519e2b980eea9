"""The database is the source of truth for jobs; the broker only carries reminders.

Run every minute by Celery beat, the sweeper makes sure no job is lost whatever happens to a
worker or to the broker: a job whose worker went silent is queued again (up to a limit), and a
queued job whose message may have been lost (a broker restart without persistence) is sent again.
Both are safe because a render starts with a conditional claim.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from tryon.jobs.models import TryOnJob
from tryon.jobs.services import announce_finished, tryon_job_enqueue

logger = logging.getLogger(__name__)
Status = TryOnJob.Status


@dataclass(frozen=True)
class SweepResult:
    requeued: list[int]  # running jobs whose worker died, queued again
    resent: list[int]  # queued jobs whose message was sent again
    failed: list[int]  # jobs that lost their worker too often


def tryon_jobs_sweep() -> SweepResult:
    now = timezone.now()
    silent_since = now - timedelta(seconds=settings.TRYON_STALE_AFTER)
    requeued, failed = [], []
    stale = TryOnJob.objects.filter(
        Q(heartbeat_at__lt=silent_since) | Q(heartbeat_at__isnull=True), status=Status.RUNNING
    )
    for job in stale.only("id", "attempts"):
        # Conditional on the heartbeat still being old: a worker that just woke up keeps its job.
        still_stale = TryOnJob.objects.filter(pk=job.id, status=Status.RUNNING).filter(
            Q(heartbeat_at__lt=silent_since) | Q(heartbeat_at__isnull=True)
        )
        if job.attempts >= settings.TRYON_MAX_ATTEMPTS:
            message = f"The worker rendering this try-on stopped responding {job.attempts} times; giving up."
            if still_stale.update(status=Status.FAILED, error=message, finished_at=now):
                failed.append(job.id)
                announce_finished(job_id=job.id)
        elif still_stale.update(status=Status.QUEUED, steps_done=0, heartbeat_at=None):
            requeued.append(job.id)

    unsent_since = now - timedelta(seconds=settings.TRYON_RESEND_AFTER)
    waiting = TryOnJob.objects.filter(status=Status.QUEUED, cancel_requested=False)
    lost = waiting.filter(Q(enqueued_at__lt=unsent_since) | Q(enqueued_at__isnull=True, created_at__lt=unsent_since))
    resent = sorted(set(lost.values_list("id", flat=True)) | set(requeued))
    for job_id in resent:
        tryon_job_enqueue(job_id=job_id)
    if requeued or resent or failed:
        logger.warning("Sweeper: requeued %s, resent %s, failed %s", requeued, resent, failed)
    return SweepResult(requeued=requeued, resent=resent, failed=failed)
