"""The database is the source of truth for jobs; the broker only carries reminders.

Run by every worker at start and every minute, one at a time (tryon.jobs.heartbeats), and by Celery
beat where it runs, the sweeper makes sure every job ends whatever happens to a worker or to the
broker: a job whose worker went silent is queued again (up to a limit); a queued job whose message may
have been lost (a broker restart without persistence) is sent again (a bounded number of times, while a
worker serving its preset is alive); a queued job whose preset no worker serves fails after
TRYON_QUEUE_TIMEOUT. Requeues and resends are safe because a render starts with a conditional claim.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from tryon.jobs.events import swept
from tryon.jobs.heartbeats import presets_alive, presets_last_served
from tryon.jobs.models import SweeperState, TryOnJob
from tryon.jobs.outbox import job_events_relay
from tryon.jobs.services import announce_finished, tryon_job_enqueue

logger = logging.getLogger(__name__)
Status = TryOnJob.Status
FailureCode = TryOnJob.FailureCode


@dataclass(frozen=True)
class SweepResult:
    requeued: list[int]  # running jobs whose worker died, queued again
    resent: list[int]  # queued jobs whose message was sent again
    failed: list[int]  # jobs that lost their worker too often
    timed_out: list[int] = field(default_factory=list)  # queued jobs whose preset no worker served in time


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
            lost = TryOnJob.FailureCode.WORKER_LOST
            with transaction.atomic():  # the job's new state and its outbox event commit together
                if still_stale.update(status=Status.FAILED, error=message, failure_code=lost, finished_at=now):
                    failed.append(job.id)
                    announce_finished(job_id=job.id)
        elif still_stale.update(status=Status.QUEUED, steps_done=0, heartbeat_at=None):
            requeued.append(job.id)

    timed_out = _fail_jobs_no_worker_serves(now)
    resent = sorted(set(_resend_lost_messages(now)) | set(requeued))
    for job_id in resent:
        tryon_job_enqueue(job_id=job_id)
    if requeued or resent or failed or timed_out:
        logger.warning(
            "Sweeper: requeued %s, resent %s, failed %s, timed out in the queue %s", requeued, resent, failed, timed_out
        )
    return SweepResult(requeued=requeued, resent=resent, failed=failed, timed_out=timed_out)


def _resend_lost_messages(now) -> list[int]:
    """Queued jobs whose message may be lost, each sent again at most TRYON_MAX_RESENDS times, at most once
    per TRYON_RESEND_AFTER, and only while a worker serving its preset is alive: without one, the message
    still waits in its queue and a second one would only pile up behind it."""
    unsent_since = now - timedelta(seconds=settings.TRYON_RESEND_AFTER)
    waiting = TryOnJob.objects.filter(status=Status.QUEUED, cancel_requested=False)
    lost = waiting.filter(
        Q(enqueued_at__lt=unsent_since) | Q(enqueued_at__isnull=True, created_at__lt=unsent_since),
        resends__lt=settings.TRYON_MAX_RESENDS,
    )
    candidates = list(lost.values_list("id", "preset"))
    served = presets_alive({preset for _, preset in candidates})
    resent = []
    for job_id, preset in candidates:
        # Conditional on the count: two sweepers racing send a job once and count it once.
        if preset in served and lost.filter(pk=job_id).update(resends=F("resends") + 1, enqueued_at=now):
            resent.append(job_id)
    return resent


def _fail_jobs_no_worker_serves(now) -> list[int]:
    """Queued jobs that waited TRYON_QUEUE_TIMEOUT while no worker serving their preset was alive fail
    with that reason. A long queue behind busy workers is not a reason: those jobs keep waiting."""
    cutoff = now - timedelta(seconds=settings.TRYON_QUEUE_TIMEOUT)
    waited = TryOnJob.objects.filter(status=Status.QUEUED, created_at__lt=cutoff)
    minutes = round(settings.TRYON_QUEUE_TIMEOUT / 60, 1)
    timed_out = []
    for preset, last_seen in presets_last_served(set(waited.values_list("preset", flat=True))).items():
        if last_seen is not None and last_seen >= cutoff:
            continue
        if last_seen is None:
            why = f"no worker has ever served the preset {preset!r}"
        else:
            why = f"no worker serving the preset {preset!r} has been seen since {last_seen:%Y-%m-%d %H:%M:%S} UTC"
        message = f"The try-on waited more than {minutes:g} minutes in the queue and was given up: {why}."
        for job_id in waited.filter(preset=preset).values_list("id", flat=True):
            with transaction.atomic():  # the job's new state and its outbox event commit together
                if TryOnJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
                    status=Status.FAILED, error=message, failure_code=FailureCode.UNSERVED_PRESET, finished_at=now
                ):
                    timed_out.append(job_id)
                    announce_finished(job_id=job_id)
    return sorted(timed_out)


# A sweep takes a few queries. A worker killed mid-sweep (SIGKILL, out of memory) keeps the lease until it
# runs out, and nobody recovers jobs meanwhile: so it is short. A sweep that outlasts it only overlaps the
# next one, which is harmless, since every change a sweep makes is a conditional update.
SWEEP_LEASE = timedelta(seconds=30)


def tryon_jobs_sweep_exclusive(*, holder: str) -> SweepResult | None:
    """Sweep unless another process is sweeping now (None then), and record when the sweep finished.

    Every worker calls this on a schedule (tryon.jobs.heartbeats) and so does beat: the lease, a
    conditional UPDATE on one row, lets one of them in at a time on PostgreSQL and SQLite alike.
    """
    now = timezone.now()
    SweeperState.objects.get_or_create(name="jobs")
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    if not SweeperState.objects.filter(free, name="jobs").update(holder=holder, locked_until=now + SWEEP_LEASE):
        return None
    try:
        result = tryon_jobs_sweep()
        job_events_relay()  # finished jobs whose event a crash left unannounced (tryon/jobs/outbox.py)
        # Other apps' housekeeping rides on the sweep (tryon.fashn deletes expired request photos); one that
        # fails is logged and never stops the jobs' own recovery.
        for receiver, outcome in swept.send_robust(sender=SweeperState):
            if isinstance(outcome, Exception):
                logger.error("Sweep listener %s failed: %r", receiver, outcome, exc_info=outcome)
        SweeperState.objects.filter(name="jobs", holder=holder).update(last_run_at=timezone.now(), last_run_by=holder)
        return result
    finally:
        SweeperState.objects.filter(name="jobs", holder=holder).update(locked_until=None)
