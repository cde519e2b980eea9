"""The outbox of job events: a finished job's event is a row written with the job's new state, in one
transaction, then announced (tryon.jobs.events) once it commits, so a crash in between loses nothing.

A process killed after the commit and before (or while) the listeners ran leaves the row undispatched;
the relay, run by every sweep (tryon.jobs.sweeper), announces it again. Announcing is at least once:
listeners are idempotent (the webhooks app makes each job's deliveries once, by a unique constraint).
An event whose listeners fail is tried again later and later, behind events that failed less, and parked
(left undispatched, logged as an error) after RELAY_MAX_ATTEMPTS, so one bad event cannot starve the rest.
"""

import logging
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tryon.jobs.events import job_finished
from tryon.jobs.models import JobEvent, TryOnJob

logger = logging.getLogger(__name__)

# Younger undispatched events belong to the process that wrote them, which announces them at its commit.
RELAY_AFTER = timedelta(seconds=10)
KEEP_DISPATCHED = timedelta(days=7)
RELAY_BATCH = 500
RELAY_MAX_ATTEMPTS = 10
RELAY_BACKOFF_MAX = timedelta(hours=1)
SIGNALS = {JobEvent.Kind.JOB_FINISHED: job_finished}


def job_event_record(*, job_id: int, kind: str = JobEvent.Kind.JOB_FINISHED) -> JobEvent:
    """Write the event in the caller's transaction, which must be the one that changed the job; announce it
    once that commits."""
    event = JobEvent.objects.create(kind=kind, job_id=job_id)
    transaction.on_commit(partial(job_event_dispatch, event_id=event.id), robust=True)
    return event


def job_event_dispatch(*, event_id: int) -> bool:
    """Announce an undispatched event and mark it dispatched, in one transaction: listeners that write (the
    webhooks app's deliveries) commit with the mark or not at all. False: nothing to do, or it failed and
    the relay will try again."""
    try:
        with transaction.atomic():
            # Locked, so the writer's own dispatch and a relay never announce the same event at once.
            event = JobEvent.objects.select_for_update(skip_locked=True).filter(pk=event_id, dispatched_at=None).first()
            if event is None:
                return False
            SIGNALS[event.kind].send(sender=TryOnJob, job_id=event.job_id, event_id=event.id)
            JobEvent.objects.filter(pk=event.id).update(dispatched_at=timezone.now())
    except Exception as error:
        _failure_record(event_id=event_id, error=error)
        return False
    return True


def _failure_record(*, event_id: int, error: Exception) -> None:
    JobEvent.objects.filter(pk=event_id).update(attempts=F("attempts") + 1, last_error=repr(error)[:1000])
    attempts = JobEvent.objects.filter(pk=event_id).values_list("attempts", flat=True).first() or 0
    if attempts >= RELAY_MAX_ATTEMPTS:
        logger.error("Job event #%s failed %s times and is parked (not relayed again): %r", event_id, attempts, error)
        return
    wait = min(RELAY_AFTER * 2**attempts, RELAY_BACKOFF_MAX)
    JobEvent.objects.filter(pk=event_id).update(retry_at=timezone.now() + wait)
    logger.exception("Job event #%s could not be announced; the relay will try again in %s", event_id, wait)


def job_events_relay(*, older_than: timedelta = RELAY_AFTER) -> list[int]:
    """Announce the events a crash left undispatched, those that failed least first, then oldest first; skip
    those backing off or parked; forget dispatched ones after a week."""
    now = timezone.now()
    stranded = (
        JobEvent.objects.filter(dispatched_at=None, created_at__lt=now - older_than, attempts__lt=RELAY_MAX_ATTEMPTS)
        .exclude(retry_at__gt=now)
        .order_by("attempts", "id")
    )
    dispatched = [
        event_id
        for event_id in stranded.values_list("id", flat=True)[:RELAY_BATCH]
        if job_event_dispatch(event_id=event_id)
    ]
    JobEvent.objects.filter(dispatched_at__lt=now - KEEP_DISPATCHED).delete()
    if dispatched:
        logger.warning("Job events left undispatched (a crash after their commit), announced now: %s", dispatched)
    return dispatched
