"""A storefront whose webhook server hangs costs nobody else anything: deliveries have their own queue and
worker, give up quickly, and an endpoint that keeps failing is paused while the outbox keeps its events."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from tests.factories import shop_with_picks
from tests.tryon.api.receiver import HangingReceiver, Receiver
from tests.tryon.worker import WorkerProcess, env_for_test_database, send_tasks_to_broker, wait_for, worker_queues
from tryon.celery import app as celery_app
from tryon.celery import webhook_queue
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import job_queue, tryon_job_create
from tryon.webhooks.models import WebhookDelivery, WebhookEndpoint
from tryon.webhooks.services import webhook_delivery_attempt, webhook_endpoint_create, webhooks_notify_job_finished

Pending = WebhookDelivery.Status.PENDING


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    settings.TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # receivers run on 127.0.0.1


def finished_job(shop, seed: int) -> TryOnJob:
    job = tryon_job_create(**shop, seed=seed, enqueue=False)
    TryOnJob.objects.filter(pk=job.pk).update(status="succeeded", finished_at=timezone.now())
    return job


@pytest.mark.django_db  # the API's conftest clears the cache, a database table
def test_deliveries_go_to_their_own_queue_and_renders_to_their_presets():
    route = celery_app.amqp.router.route

    assert route({}, "tryon.webhooks.tasks.deliver_webhook", (1,), {})["queue"].name == webhook_queue()
    assert webhook_queue() not in (job_queue("tiny"), celery_app.conf.task_default_queue)


@pytest.mark.django_db
def test_an_endpoint_that_keeps_failing_is_paused_its_deliveries_wait_and_one_probe_reopens_it(settings):
    settings.TRYON_WEBHOOK_TIMEOUT, settings.TRYON_WEBHOOK_CONNECT_TIMEOUT = 1, 1
    settings.TRYON_WEBHOOK_BREAKER_AFTER, settings.TRYON_WEBHOOK_BREAKER_PAUSE = 3, 600
    shop = shop_with_picks()
    with HangingReceiver() as hanging:
        endpoint = webhook_endpoint_create(merchant=shop["merchant"], url=hanging.url)
        deliveries = [webhooks_notify_job_finished(job_id=finished_job(shop, seed).id)[0] for seed in range(4)]

        waits = [webhook_delivery_attempt(delivery_id=d.id) for d in deliveries[:3]]  # each gives up after 1 s
        endpoint.refresh_from_db()
        sent_before = len(hanging.connections)
        paused_wait = webhook_delivery_attempt(delivery_id=deliveries[3].id)

    assert sent_before == 3 and len(hanging.connections) == 3  # paused: the fourth was not even sent
    assert endpoint.failures_in_a_row == 3
    assert 599 < (endpoint.paused_until - timezone.now()).total_seconds() <= 600
    assert waits[:2] == [10, 10] and 599 < waits[2] <= 600  # the third failure pauses it: its retry waits too
    assert 590 < paused_wait <= 600
    for delivery in deliveries:
        delivery.refresh_from_db()
    assert [d.status for d in deliveries] == [Pending] * 4  # the outbox keeps them all
    assert [d.attempts for d in deliveries] == [1, 1, 1, 0] and deliveries[3].next_retry_at is not None
    assert "ReadTimeout" in deliveries[0].last_error

    # The storefront is back and the pause over: one delivery probes, the others wait for its outcome.
    with Receiver() as back:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            url=back.url, paused_until=timezone.now() - timedelta(seconds=1)
        )
        probe = webhook_delivery_attempt(delivery_id=deliveries[3].id)
        endpoint.refresh_from_db()
        after_probe = [webhook_delivery_attempt(delivery_id=d.id) for d in deliveries[:3]]

        assert probe is None and (endpoint.failures_in_a_row, endpoint.paused_until) == (0, None)
        assert after_probe == [None] * 3 and len(back.received) == 4
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}


@pytest.mark.django_db
def test_while_one_delivery_probes_a_reopening_endpoint_the_others_wait(settings):
    settings.TRYON_WEBHOOK_BREAKER_AFTER = 2
    shop = shop_with_picks()
    endpoint = webhook_endpoint_create(merchant=shop["merchant"], url="http://127.0.0.1:9/hooks")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failures_in_a_row=2, paused_until=timezone.now() - timedelta(seconds=1)
    )
    from tryon.webhooks.services import _endpoint_wait

    endpoint.refresh_from_db()
    assert _endpoint_wait(endpoint) is None  # this one probes
    endpoint.refresh_from_db()
    assert _endpoint_wait(endpoint) > 0  # this one waits


@pytest.mark.services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_five_renders_finish_on_time_while_a_storefronts_webhook_server_hangs(tmp_path):
    env = {**env_for_test_database(), "TRYON_WEBHOOK_TIMEOUT": "30"}  # a delivery holds its thread 30 s
    hung_shop, other_shop = shop_with_picks(), shop_with_picks()
    send_tasks_to_broker(True)
    hanging = HangingReceiver().__enter__()
    webhook_endpoint_create(merchant=hung_shop["merchant"], url=hanging.url)
    renders = WorkerProcess(tmp_path, env, worker_queues(webhooks=False)).start()
    webhooks = WorkerProcess(tmp_path, env, webhook_queue(), pool="threads").start()
    try:
        jobs = [tryon_job_create(**(hung_shop, other_shop)[n % 2], seed=100 + n) for n in range(5)]
        wait_for(
            lambda: all(j.is_finished for j in TryOnJob.objects.filter(pk__in=[j.id for j in jobs])),
            120,
            "the five renders",
            lambda: renders.log,
        )
        wait_for(lambda: hanging.connections, 30, "a delivery to reach the hanging server", lambda: webhooks.log)
    finally:
        hanging.__exit__()  # drops the connections it holds: deliveries in flight fail now, not in 30 s
        renders.stop()
        webhooks.stop()
        send_tasks_to_broker(False)

    finished = sorted(TryOnJob.objects.filter(pk__in=[j.id for j in jobs]), key=lambda j: j.started_at)
    assert [j.status for j in finished] == ["succeeded"] * 5, [j.error for j in finished]
    gaps = [(later.started_at - earlier.finished_at).total_seconds() for earlier, later in pairwise(finished)]
    assert max(gaps) < 8, gaps  # the render worker never waited behind a 30 s delivery
    assert WebhookDelivery.objects.filter(endpoint__merchant=hung_shop["merchant"]).count() == 3
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Pending}  # kept, to try again
