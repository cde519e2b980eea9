"""A finished job's webhook survives a crash: the event is written with the job's new state, and a process
killed after the commit, before anything was sent, leaves it for the relay, which sends it exactly once."""

import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import shop_with_picks
from tests.tryon.api.receiver import Receiver
from tests.tryon.worker import env_for_test_database
from tryon.jobs.models import JobEvent, TryOnJob
from tryon.jobs.services import tryon_job_cancel, tryon_job_create
from tryon.jobs.sweeper import tryon_jobs_sweep_exclusive
from tryon.webhooks.models import WebhookDelivery
from tryon.webhooks.services import webhook_deliveries_resend, webhook_endpoint_create, webhooks_notify_job_finished
from tryon.webhooks.signing import signature_verify

# Cancels the job, then dies by SIGKILL the moment the transaction commits: its own dispatch, registered
# after this hook, never runs. Nothing in the process is patched: it is killed, as a worker would be.
CANCEL_THEN_DIE = """
import os, signal
import django
django.setup()
from django.db import transaction
from tryon.jobs.services import tryon_job_cancel
with transaction.atomic():
    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
    tryon_job_cancel(job_id={job_id})
print("still alive")
"""


@pytest.fixture
def storefront(settings):
    settings.TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # the receiver runs on 127.0.0.1
    with Receiver() as receiver:
        yield receiver


def queued_job(shop, seed=1) -> TryOnJob:
    return tryon_job_create(**shop, seed=seed, enqueue=False)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_crash_between_commit_and_delivery_loses_nothing_and_the_relay_sends_the_event_once(storefront):
    shop = shop_with_picks()
    endpoint = webhook_endpoint_create(merchant=shop["merchant"], url=storefront.url, secret="s" * 32)
    job = queued_job(shop)

    crashed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CANCEL_THEN_DIE.format(job_id=job.id))],
        env=env_for_test_database(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert crashed.returncode == -9 and "still alive" not in crashed.stdout, crashed.stderr
    job.refresh_from_db()
    assert job.status == "cancelled"  # committed...
    event = JobEvent.objects.get(job=job)
    assert event.kind == "job_finished" and event.dispatched_at is None  # ...with its event, never announced
    assert not WebhookDelivery.objects.exists() and storefront.received == []

    # A few seconds on, the next sweep (any worker's, or beat's) relays it.
    JobEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(seconds=30))
    tryon_jobs_sweep_exclusive(holder="test-sweeper")

    assert len(storefront.received) == 1
    headers, body = storefront.received[0]
    assert signature_verify(endpoint.secret, headers["Tryon-Signature"], body)
    assert headers["Tryon-Event"] == "tryon.cancelled" and b'"status":"cancelled"' in body
    event.refresh_from_db()
    assert event.dispatched_at is not None

    # Relaying again, or the event somehow announced again, sends nothing more.
    JobEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    tryon_jobs_sweep_exclusive(holder="test-sweeper")
    tryon_jobs_sweep_exclusive(holder="test-sweeper")

    assert len(storefront.received) == 1
    assert WebhookDelivery.objects.get().status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_without_a_crash_the_event_is_sent_at_commit_and_the_relay_finds_nothing_to_do(storefront):
    shop = shop_with_picks()
    webhook_endpoint_create(merchant=shop["merchant"], url=storefront.url)
    job = queued_job(shop)

    tryon_job_cancel(job_id=job.id)

    assert len(storefront.received) == 1
    assert JobEvent.objects.get(job=job).dispatched_at is not None
    JobEvent.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    tryon_jobs_sweep_exclusive(holder="test-sweeper")
    assert len(storefront.received) == 1


@pytest.mark.django_db(transaction=True)
def test_a_young_undispatched_event_is_left_to_the_process_that_wrote_it(storefront):
    """The relay waits a few seconds: the writer announces its own event right after its commit."""
    shop = shop_with_picks()
    webhook_endpoint_create(merchant=shop["merchant"], url=storefront.url)
    job = queued_job(shop)
    TryOnJob.objects.filter(pk=job.pk).update(status="failed", failure_code="internal", finished_at=timezone.now())
    JobEvent.objects.create(kind="job_finished", job=job)  # as if its writer were about to announce it

    tryon_jobs_sweep_exclusive(holder="test-sweeper")
    assert storefront.received == []

    JobEvent.objects.update(created_at=timezone.now() - timedelta(seconds=11))
    tryon_jobs_sweep_exclusive(holder="test-sweeper")
    assert len(storefront.received) == 1 and storefront.received[0][0]["Tryon-Event"] == "tryon.failed"


def finished_job(shop, seed: int) -> TryOnJob:
    job = queued_job(shop, seed=seed)
    TryOnJob.objects.filter(pk=job.pk).update(status="succeeded", finished_at=timezone.now())
    return job


@pytest.mark.django_db
def test_a_delivery_whose_task_was_lost_is_sent_again_from_its_row_once(storefront):
    """The delivery row was committed but its task never reached the broker (a crash, a broker restart)."""
    shop = shop_with_picks()
    webhook_endpoint_create(merchant=shop["merchant"], url=storefront.url)
    # Outside a commit-capturing block their tasks are never sent: the test transaction never commits.
    [lost] = webhooks_notify_job_finished(job_id=finished_job(shop, seed=1).id)
    [young] = webhooks_notify_job_finished(job_id=finished_job(shop, seed=2).id)
    WebhookDelivery.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=6))

    assert webhook_deliveries_resend() == [lost.id]  # the young one's task may just be waiting in its queue
    assert webhook_deliveries_resend() == []  # delivered now; and none is resent twice in an interval

    assert len(storefront.received) == 1
    lost.refresh_from_db(), young.refresh_from_db()
    assert lost.status == "succeeded" and (young.status, young.attempts) == ("pending", 0)
