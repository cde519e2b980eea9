"""A real Celery worker process, started the way `make run` and production start one."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from tryon.celery import app as celery_app
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import tryon_job_create

READY_TIMEOUT = 180
# See DESIGN.md: workers keep freed pages instead of handing them back between steps.
ALLOCATOR_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(512 * 1024 * 1024)}


def env_for_test_database() -> dict:
    """The production settings, pointed at this test run's PostgreSQL database, Redis queue and media."""
    database = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tryon.settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "TRYON_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "TRYON_PRESET": settings.TRYON_PRESET,
        "TRYON_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TRYON_PROGRESS_INTERVAL": "0",
        "TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1",  # the test's storefront listens on 127.0.0.1
    }


def worker_queues(*, webhooks: bool = True) -> str:
    """What a worker of the test preset consumes: its preset's queue and the default queue (the sweeper),
    and, unless a test starts a webhook worker of its own, the webhook queue (one worker does it all)."""
    from tryon.celery import webhook_queue
    from tryon.jobs.services import job_queue

    queues = [settings.CELERY_TASK_DEFAULT_QUEUE, job_queue(settings.TRYON_PRESET)]
    return ",".join(queues + [webhook_queue()] * webhooks)


class WorkerProcess:
    def __init__(self, log_dir: Path, env: dict, queue: str, *, pool: str = "solo", launcher: str = "celery"):
        """`launcher`: the module run as `python -m`; a test may name one that patches the worker first."""
        self.log_path = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.env = {**env, **ALLOCATOR_ENV}
        self.queue = queue
        self.pool, self.launcher = pool, launcher
        self.process = None

    def start(self) -> "WorkerProcess":
        command = [
            sys.executable, "-m", self.launcher, "-A", "tryon", "worker",
            f"--pool={self.pool}", "--loglevel=INFO", f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
            f"--queues={self.queue}",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while b" ready." not in self.log_path.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Celery worker did not start:\n{self.log}")
            time.sleep(0.2)
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def send_tasks_to_broker(enabled: bool) -> None:
    celery_app.conf.task_always_eager = not enabled


def slow_job(shop, seed: int, steps: int = 24) -> TryOnJob:
    """A try-on that renders for several seconds on tiny: time to break things, or to keep a worker busy."""
    with transaction.atomic():  # it is enqueued when this block commits, with the slower plan
        job = tryon_job_create(**shop, seed=seed)
        plan = {**job.plan, "steps": steps, "width": 256, "height": 384}
        TryOnJob.objects.filter(pk=job.id).update(plan=plan, steps_total=steps)
    return job


def wait_for(condition, timeout: float, what: str, log=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}\n{log()}")
