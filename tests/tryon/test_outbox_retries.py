"""A job event whose listener keeps failing is tried again later and later, behind newer events, and parked
after a few tries: it cannot starve the events that come after it."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import shop_with_picks
from tryon.jobs import outbox
from tryon.jobs.events import job_finished
from tryon.jobs.models import JobEvent
from tryon.jobs.services import tryon_job_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener():
    """Told of every job event; fails for the jobs in `broken`."""
    told, broken = [], set()

    def receive(sender, job_id, event_id, **kwargs):
        if job_id in broken:
            raise RuntimeError(f"listener cannot handle job {job_id}")
        told.append(job_id)

    job_finished.connect(receive, weak=False, dispatch_uid="test-outbox-listener")
    yield told, broken
    job_finished.disconnect(dispatch_uid="test-outbox-listener")


def stranded_event(shop, seed: int) -> JobEvent:
    job = tryon_job_create(**shop, seed=seed, enqueue=False)
    return JobEvent.objects.create(kind="job_finished", job=job, created_at=timezone.now() - timedelta(minutes=1))


def test_a_failing_event_backs_off_and_a_newer_one_is_announced(listener, monkeypatch):
    told, broken = listener
    monkeypatch.setattr(outbox, "RELAY_BATCH", 1)  # one event per sweep: the failing one must not take every turn
    shop = shop_with_picks()
    bad, good = stranded_event(shop, 1), stranded_event(shop, 2)
    broken.add(bad.job_id)

    assert outbox.job_events_relay() == []
    assert outbox.job_events_relay() == [good.id]

    assert told == [good.job_id]
    bad.refresh_from_db()
    assert bad.dispatched_at is None and bad.attempts == 1 and "listener cannot handle" in bad.last_error
    assert bad.retry_at > timezone.now() + timedelta(seconds=15)  # backing off


def test_an_event_that_keeps_failing_is_parked_and_logged(listener, caplog):
    told, broken = listener
    bad = stranded_event(shop_with_picks(), 1)
    broken.add(bad.job_id)

    for _ in range(outbox.RELAY_MAX_ATTEMPTS + 3):
        JobEvent.objects.update(retry_at=None)  # as if each back-off had passed
        outbox.job_events_relay()

    bad.refresh_from_db()
    assert bad.attempts == outbox.RELAY_MAX_ATTEMPTS and bad.dispatched_at is None
    parked = [r for r in caplog.records if r.levelno == logging.ERROR and "parked" in r.getMessage()]
    assert len(parked) == 1

    broken.clear()  # even once the listener is fixed, a parked event waits for a person
    JobEvent.objects.update(retry_at=None)
    assert outbox.job_events_relay() == [] and told == []
