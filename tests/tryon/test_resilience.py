"""Jobs survive what production throws at them: a worker killed mid-render, a broker restarted
with work queued. Real worker processes, real Redis, real PostgreSQL; the sweeper does the rescue."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from tests.factories import shop_with_picks
from tests.tryon.worker import (
    WorkerProcess,
    env_for_test_database,
    send_tasks_to_broker,
    slow_job,
    wait_for,
    worker_queues,
)
from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.jobs.sweeper import tryon_jobs_sweep

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PRIVATE_REDIS_PORT = 6391


def media_files() -> list:
    return sorted(p for p in (settings.MEDIA_ROOT / "generated").rglob("*.png"))


def test_a_job_whose_worker_is_killed_mid_render_completes_on_another_worker(tmp_path, settings):
    settings.TRYON_STALE_AFTER = 2
    send_tasks_to_broker(True)
    env, queue = env_for_test_database(), worker_queues()
    doomed = WorkerProcess(tmp_path, env, queue).start()
    survivor = None
    try:
        job = slow_job(shop_with_picks(), seed=21)
        wait_for(
            lambda: TryOnJob.objects.get(pk=job.id).steps_done >= 2, 120, "the render to start", lambda: doomed.log
        )

        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait(timeout=10)
        assert TryOnJob.objects.get(pk=job.id).status == "running"  # the dead worker cannot say otherwise

        survivor = WorkerProcess(tmp_path, env, queue).start()
        # As beat would: sweep again and again until the silent job is noticed and queued again.
        requeued = wait_for(
            lambda: tryon_jobs_sweep().requeued, 60, "the sweeper to requeue the job", lambda: doomed.log
        )
        assert requeued == [job.id]
        finished = wait_for(
            lambda: (j := TryOnJob.objects.get(pk=job.id)).is_finished and j, 180, "the job", lambda: survivor.log
        )
    finally:
        doomed.stop()
        if survivor:
            survivor.stop()
        send_tasks_to_broker(False)

    assert finished.status == "succeeded", finished.error
    assert finished.attempts == 2
    assert GeneratedImage.objects.filter(job=job).count() == 1
    assert len(media_files()) == 1


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of this test's own, with no persistence, that it may restart at will."""
    command = [
        "redis-server",
        "--port",
        str(PRIVATE_REDIS_PORT),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]

    def start():
        process = subprocess.Popen([*command, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
        wait_for(lambda: _ping(), 10, "redis to start")
        return process

    server = {"process": start()}
    server["restart"] = lambda: (
        server["process"].terminate(),
        server["process"].wait(),
        server.update(process=start()),
    )
    yield server
    server["process"].terminate()
    server["process"].wait()


def _ping() -> bool:
    done = subprocess.run(["redis-cli", "-p", str(PRIVATE_REDIS_PORT), "ping"], capture_output=True, text=True)
    return done.stdout.strip() == "PONG"


def manage(env, *args) -> str:
    command = [sys.executable, "manage.py", *args]
    done = subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_jobs_queued_when_redis_restarts_are_not_lost(tmp_path, private_redis, settings):
    env = {
        **env_for_test_database(),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0",
        "TRYON_RESEND_AFTER": "1",
    }
    shop = shop_with_picks()
    worker = WorkerProcess(tmp_path, env, worker_queues()).start()
    try:
        # Jobs are created by a web process of their own, publishing to the private Redis.
        create = (
            "from tryon.jobs.services import tryon_job_create; from tryon.catalog.models import *; "
            f"shop = dict(catalog_item=CatalogItem.objects.get(pk={shop['catalog_item'].id}), "
            f"fashion_model=FashionModel.objects.get(pk={shop['fashion_model'].id}), "
            f"pose=Pose.objects.get(pk={shop['pose'].id}), scene=Scene.objects.get(pk={shop['scene'].id})); "
            "print(*[tryon_job_create(merchant=shop['catalog_item'].merchant, **shop, seed=s).id for s in (1, 2, 3)])"
        )
        job_ids = [int(i) for i in manage(env, "shell", "--no-imports", "-c", create).split()]
        wait_for(lambda: TryOnJob.objects.filter(status="running").exists(), 60, "a job to start", lambda: worker.log)

        private_redis["restart"]()  # whatever was queued in Redis is gone now
        time.sleep(1.5)
        manage(
            env, "shell", "--no-imports", "-c", "from tryon.jobs.sweeper import tryon_jobs_sweep; tryon_jobs_sweep()"
        )

        wait_for(
            lambda: all(job.is_finished for job in TryOnJob.objects.filter(pk__in=job_ids)),
            180,
            "every job to finish",
            lambda: worker.log,
        )
    finally:
        worker.stop()

    jobs = TryOnJob.objects.filter(pk__in=job_ids)
    assert [job.status for job in jobs] == ["succeeded"] * 3, [job.error for job in jobs]
    assert GeneratedImage.objects.filter(job__in=job_ids).count() == 3
