"""Every job ends: a preset no worker serves is refused or given up with its reason, resends are bounded,
workers rescue each other's jobs with no beat process, and a hung render is stopped at its time limits."""

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from tests.factories import shop_with_picks
from tests.tryon.api.conftest import Storefront, error_of
from tests.tryon.clock import Clock
from tests.tryon.worker import WorkerProcess, env_for_test_database, send_tasks_to_broker, slow_job, wait_for
from tryon.jobs.heartbeats import sweeper_last_run, worker_heartbeat_record
from tryon.jobs.models import SweeperState, TryOnJob, WorkerHeartbeat
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import job_queue, tryon_job_create
from tryon.jobs.sweeper import SWEEP_LEASE, tryon_jobs_sweep, tryon_jobs_sweep_exclusive
from tryon.jobs.watchdog import HARD_LIMIT_EXIT_STATUS, RenderWatchdog

Status = TryOnJob.Status


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def sent(monkeypatch) -> list:
    """The render tasks handed to the broker, by job id."""
    from tryon.jobs.tasks import render_tryon_job

    messages = []
    monkeypatch.setattr(render_tryon_job, "apply_async", lambda args, **_options: messages.append(args[0]))
    return messages


@pytest.fixture
def tasks_to_broker():
    """As in production: tasks go to a broker, so a job waits for a worker of its preset."""
    send_tasks_to_broker(True)
    yield
    send_tasks_to_broker(False)


def tiny_worker_alive(name="gpu0@test") -> None:
    worker_heartbeat_record(hostname=name, queues=["tryon", job_queue("tiny")])


# --- Submission ---


@pytest.mark.django_db
def test_a_try_on_for_a_preset_no_worker_has_ever_served_is_refused_naming_the_preset(tasks_to_broker):
    tiny_worker_alive()
    storefront = Storefront()

    with pytest.raises(ValidationError) as refused:
        tryon_job_create(**storefront.shop, preset="sd15")
    response = storefront.client.post("/api/v1/tryons", storefront.tryon_body(preset="sd15"), format="json")

    assert "No worker serves the preset 'sd15'" in refused.value.message_dict["preset"][0]
    assert response.status_code == 400, response.json()
    error = error_of(response)
    assert error["field"] == "preset" and "'sd15'" in error["message"]
    assert not TryOnJob.objects.exists()
    assert tryon_job_create(**storefront.shop, preset="tiny").status == Status.QUEUED  # a served preset is taken


# --- The sweeper: queue timeout and bounded resends ---


@pytest.mark.django_db
def test_a_queued_job_whose_preset_no_worker_serves_fails_after_the_queue_timeout(clock, sent, settings):
    settings.TRYON_QUEUE_TIMEOUT = 15 * 60
    tiny_worker_alive()
    job = tryon_job_create(**shop_with_picks(), preset="sd15", enqueue=False)  # came in by a path that skips the check

    clock.advance(minutes=14)
    tiny_worker_alive()
    early = tryon_jobs_sweep()
    clock.advance(minutes=1, seconds=1)
    tiny_worker_alive()
    late = tryon_jobs_sweep()

    assert early.timed_out == [] and early.resent == []  # nobody could take it: resending only piles up messages
    assert late.timed_out == [job.id]
    job.refresh_from_db()
    assert job.status == Status.FAILED and job.finished_at == clock.now
    assert job.error == (
        "The try-on waited more than 15 minutes in the queue and was given up: "
        "no worker has ever served the preset 'sd15'."
    )
    assert sent == []


@pytest.mark.django_db
def test_a_job_whose_presets_workers_all_went_away_fails_naming_when_one_was_last_seen(clock, sent, settings):
    settings.TRYON_QUEUE_TIMEOUT = 600
    worker_heartbeat_record(hostname="sd15@gone", queues=[job_queue("sd15")])
    last_seen = clock.now
    job = tryon_job_create(**shop_with_picks(), preset="sd15")

    clock.advance(minutes=9)
    assert tryon_jobs_sweep().timed_out == []  # it may come back
    clock.advance(minutes=1, seconds=1)
    assert tryon_jobs_sweep().timed_out == [job.id]

    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert f"no worker serving the preset 'sd15' has been seen since {last_seen:%Y-%m-%d %H:%M:%S} UTC" in job.error


@pytest.mark.django_db
def test_a_long_queue_behind_live_workers_waits_and_its_resends_are_bounded(clock, sent, settings):
    settings.TRYON_QUEUE_TIMEOUT, settings.TRYON_RESEND_AFTER, settings.TRYON_MAX_RESENDS = 600, 300, 2
    tiny_worker_alive()
    job = tryon_job_create(**shop_with_picks())
    TryOnJob.objects.filter(pk=job.id).update(enqueued_at=clock.now)

    resent_at = []
    for minute in range(1, 61):  # an hour of sweeps, once a minute, while the worker is busy elsewhere
        clock.advance(minutes=1)
        tiny_worker_alive()
        if tryon_jobs_sweep().resent:
            resent_at.append(minute)

    assert resent_at == [6, 12]  # at most one resend per TRYON_RESEND_AFTER, at most TRYON_MAX_RESENDS
    job.refresh_from_db()
    assert job.status == Status.QUEUED and job.resends == 2 and sent == [job.id, job.id]


@pytest.mark.django_db
def test_one_sweeper_at_a_time_and_the_last_run_is_recorded(clock, sent):
    assert sweeper_last_run() == (None, "")
    assert tryon_jobs_sweep_exclusive(holder="gpu0") is not None
    assert sweeper_last_run() == (clock.now, "gpu0")

    SweeperState.objects.filter(name="jobs").update(holder="gpu1", locked_until=clock.now + timedelta(minutes=10))
    assert tryon_jobs_sweep_exclusive(holder="gpu0") is None  # gpu1 is sweeping
    clock.advance(minutes=10, seconds=1)  # gpu1 died while sweeping: its lease runs out
    assert tryon_jobs_sweep_exclusive(holder="gpu0") is not None
    assert sweeper_last_run() == (clock.now, "gpu0")


# --- The solo pool's time limits ---


@pytest.mark.django_db(transaction=True)  # the watchdog's thread has a connection of its own
def test_a_hanging_render_is_stopped_at_the_soft_limit_and_its_process_ended_at_the_hard_limit(sent):
    job = tryon_job_create(**shop_with_picks(), seed=5)
    TryOnJob.objects.filter(pk=job.id).update(plan={**job.plan, "steps": 6}, steps_total=6)
    exits = []
    steps_seen = []

    watchdog = RenderWatchdog(job_id=job.id, thread_id=threading.get_ident(), soft=1, hard=4, exit=exits.append)

    def hangs_after_step_one(step, total):
        steps_seen.append(step)
        if watchdog.thread.ident is None:
            watchdog.start()  # the clock starts with the render itself, not with loading the pipeline
            time.sleep(3)  # the soft limit passes while the render hangs here

    tryon_job_render(job_id=job.id, on_step=hangs_after_step_one)

    job.refresh_from_db()
    assert job.status == Status.FAILED and job.error == "The render took longer than 1 seconds and was stopped."
    assert steps_seen == [1] and job.images.count() == 0  # stopped at the next step's progress write
    watchdog.thread.join(timeout=10)
    assert exits == [HARD_LIMIT_EXIT_STATUS]  # nobody stopped the watchdog: at the hard limit it ends the process


@pytest.mark.django_db(transaction=True)
def test_a_render_that_returns_in_time_is_left_alone(sent):
    job = tryon_job_create(**shop_with_picks(), seed=6)
    exits = []
    watchdog = RenderWatchdog(job_id=job.id, thread_id=threading.get_ident(), soft=30, hard=60, exit=exits.append)
    watchdog.start()
    tryon_job_render(job_id=job.id)
    watchdog.stop()
    watchdog.thread.join(timeout=5)

    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED and exits == [] and not watchdog.thread.is_alive()


# --- Real worker processes ---


@pytest.mark.services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_killed_workers_job_is_recovered_by_another_worker_with_no_beat_running(tmp_path):
    env = {
        **env_for_test_database(),
        "TRYON_STALE_AFTER": "15",  # longer than any step takes on a busy test machine
        "TRYON_WORKER_SWEEP_INTERVAL": "1",
        "TRYON_WORKER_HEARTBEAT": "1",
    }
    queues = f"{env['TRYON_QUEUE']},{job_queue('tiny')}"
    send_tasks_to_broker(True)
    doomed = WorkerProcess(tmp_path, env, queues).start()
    survivor = None
    try:
        job = slow_job(shop_with_picks(), seed=31)
        wait_for(lambda: TryOnJob.objects.get(pk=job.id).steps_done >= 2, 120, "the render", lambda: doomed.log)
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait(timeout=10)

        survivor = WorkerProcess(tmp_path, env, queues).start()  # no beat anywhere; the test never sweeps
        finished = wait_for(
            lambda: (j := TryOnJob.objects.get(pk=job.id)).is_finished and j, 180, "the job", lambda: survivor.log
        )
    finally:
        doomed.stop()
        if survivor:
            survivor.stop()
        send_tasks_to_broker(False)

    assert finished.status == Status.SUCCEEDED and finished.attempts == 2, finished.error
    last_run_at, last_run_by = sweeper_last_run()
    assert last_run_at is not None and last_run_by.startswith("test-")
    assert WorkerHeartbeat.objects.filter(presets=["tiny"]).count() == 2  # both announced the preset they serve


@pytest.mark.services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_solo_worker_fails_a_hung_render_at_the_soft_limit_and_ends_itself_at_the_hard_limit(tmp_path):
    env = {
        **env_for_test_database(),
        "TRYON_SOFT_TIME_LIMIT": "2",
        "TRYON_HARD_TIME_LIMIT": "5",
    }
    queues = f"{env['TRYON_QUEUE']},{job_queue('tiny')}"
    send_tasks_to_broker(True)
    # tests/tryon/hanging_worker.py: a real worker whose renders report one step, then never return.
    worker = WorkerProcess(tmp_path, env, queues, launcher="tests.tryon.hanging_worker").start()
    try:
        job = tryon_job_create(**shop_with_picks(), seed=41)
        failed = wait_for(
            lambda: (j := TryOnJob.objects.get(pk=job.id)).is_finished and j, 60, "the soft limit", lambda: worker.log
        )
        exit_status = wait_for(lambda: worker.process.poll(), 30, "the hard limit", lambda: worker.log)
    finally:
        worker.stop()
        send_tasks_to_broker(False)

    assert failed.status == Status.FAILED and failed.error == "The render took longer than 2 seconds and was stopped."
    assert exit_status == HARD_LIMIT_EXIT_STATUS
    assert "passed the hard time limit of 5 s" in worker.log


@pytest.mark.django_db
def test_a_worker_killed_while_sweeping_blocks_recovery_for_half_a_minute_at_most(clock, sent):
    assert tryon_jobs_sweep_exclusive(holder="gpu0") is not None
    SweeperState.objects.filter(name="jobs").update(holder="gpu1", locked_until=clock.now + SWEEP_LEASE)  # then killed

    assert tryon_jobs_sweep_exclusive(holder="gpu0") is None
    clock.advance(seconds=31)
    assert tryon_jobs_sweep_exclusive(holder="gpu0") is not None
