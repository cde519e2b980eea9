"""A waiting shopper never queues behind a merchant's bulk render, whatever the broker: the embedded
SQLite broker serves messages in the order they were sent and Redis by their priority, but the worker
claims by the database's order (tryon.jobs.claims). Everything is queued while no worker runs; then one
worker starts. Real worker processes; the order is read from the jobs' finished_at."""

import sqlite3

import pytest

from tests.tryon.queue_order import (
    finishing_order,
    queue_a_batch_then_a_shopper,
    queue_a_burst_then_another_merchants_shopper,
)
from tests.tryon.test_embedded_mode import embedded_env, manage  # noqa: F401 (a fixture)
from tests.tryon.worker import WorkerProcess, env_for_test_database, send_tasks_to_broker, wait_for, worker_queues
from tryon.jobs.batches import tryon_batch_progress
from tryon.jobs.models import TryOnBatch, TryOnJob

pytestmark = pytest.mark.slow
ALL_RENDERED = 600  # seconds for ~50 one-step renders on tiny, with room for a crowded machine
# The order is under test, not speed: one thread per render keeps a busy machine's renders from crawling.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

QUEUE_ON_THE_EMBEDDED_BROKER = """
from tests.tryon.queue_order import queue_a_batch_then_a_shopper
batch, shopper = queue_a_batch_then_a_shopper()
print(shopper)
"""


def place(job_id: int, order: list[int]) -> int:
    return order.index(job_id) + 1


def test_on_the_embedded_broker_the_shopper_goes_before_the_batch_queued_first(embedded_env, tmp_path):  # noqa: F811
    manage(embedded_env, "migrate", "--noinput")
    shopper = int(manage(embedded_env, "shell", "--no-imports", "-c", QUEUE_ON_THE_EMBEDDED_BROKER).strip())
    database = sqlite3.connect(tmp_path / "var" / "db.sqlite3")

    def count(where: str) -> int:
        return database.execute(f"SELECT count(*) FROM jobs_tryonjob WHERE {where}").fetchone()[0]

    assert count("status = 'queued'") == 49

    worker = WorkerProcess(tmp_path, {**embedded_env, **ONE_THREAD}, queue="tryon,tryon.tiny").start()
    try:
        wait_for(lambda: count("finished_at IS NOT NULL") == 49, ALL_RENDERED, "every render", lambda: worker.log)
    finally:
        worker.stop()

    rows = database.execute("SELECT id, status, attempts FROM jobs_tryonjob ORDER BY finished_at, id").fetchall()
    order = [job_id for job_id, _, _ in rows]
    print(f"sqla+sqlite: the shopper finished {place(shopper, order)} of {len(order)}")
    assert place(shopper, order) <= 2
    assert {(status, attempts) for _, status, attempts in rows} == {("succeeded", 1)}  # each rendered once


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_on_redis_the_shopper_goes_before_the_batch_queued_first(tmp_path):
    send_tasks_to_broker(True)
    try:
        batch, shopper = queue_a_batch_then_a_shopper()
        assert TryOnJob.objects.filter(status="queued").count() == 49
        worker = WorkerProcess(tmp_path, {**env_for_test_database(), **ONE_THREAD}, worker_queues()).start()
        try:
            wait_for(
                lambda: TryOnJob.objects.filter(finished_at__isnull=False).count() == 49,
                ALL_RENDERED,
                "every render",
                lambda: worker.log,
            )
        finally:
            worker.stop()
    finally:
        send_tasks_to_broker(False)

    order = finishing_order([*batch, shopper])
    print(f"redis: the shopper finished {place(shopper, order)} of {len(order)}")
    assert place(shopper, order) <= 2
    jobs = TryOnJob.objects.all()
    assert {(job.status, job.attempts) for job in jobs} == {("succeeded", 1)}, [job.error for job in jobs]
    assert tryon_batch_progress(batch=TryOnBatch.objects.get())["progress"] == 1.0


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_one_merchants_burst_of_fifty_does_not_starve_another_merchants_shopper(tmp_path):
    send_tasks_to_broker(True)
    try:
        burst, single = queue_a_burst_then_another_merchants_shopper(burst=50)
        worker = WorkerProcess(tmp_path, {**env_for_test_database(), **ONE_THREAD}, worker_queues()).start()
        try:
            wait_for(
                lambda: TryOnJob.objects.filter(finished_at__isnull=False).count() == 51,
                ALL_RENDERED,
                "every render",
                lambda: worker.log,
            )
        finally:
            worker.stop()
    finally:
        send_tasks_to_broker(False)

    order = finishing_order([*burst, single])
    print(f"fairness on redis: the other merchant's shopper finished {place(single, order)} of {len(order)}")
    assert place(single, order) <= 2  # merchants take turns: at most one of the burst goes first
    assert set(TryOnJob.objects.values_list("status", "attempts")) == {("succeeded", 1)}
