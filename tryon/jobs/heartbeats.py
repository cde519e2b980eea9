"""Worker presence: every worker says which presets it serves, and every worker also sweeps.

A worker writes its heartbeat (a WorkerHeartbeat row: its presets, read from the queues it consumes)
when it starts, before it reports ready, then every TRYON_WORKER_HEARTBEAT seconds from a thread of its
main process. The same thread runs the sweeper (tryon.jobs.sweeper) at start and every
TRYON_WORKER_SWEEP_INTERVAL seconds, one process at a time (a lease row), so a job whose worker died is
rescued even where no beat process runs.

What the heartbeats answer:
- submission: has any worker ever served this preset? If not, a try-on for it is refused at once.
- the sweeper: is a worker serving this preset alive (resend its jobs), or gone too long (fail them)?
"""

import logging
import os
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from celery.signals import celeryd_after_setup, worker_ready, worker_shutdown
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.utils import timezone

from tryon.jobs.models import SweeperState, WorkerHeartbeat

logger = logging.getLogger(__name__)


# --- Writes ---


def worker_presets(queues: Iterable[str]) -> list[str]:
    """The presets a worker serves: those whose queue (tryon.jobs.services.job_queue) it consumes."""
    from generation.presets import all_presets

    prefix = f"{settings.CELERY_TASK_DEFAULT_QUEUE}."
    known = all_presets()
    return sorted({queue[len(prefix) :] for queue in queues if queue.startswith(prefix)} & set(known))


def worker_heartbeat_record(*, hostname: str, queues: Iterable[str], started_at: datetime | None = None) -> None:
    """This worker is alive now and serves the presets of `queues`."""
    queues = sorted(queues)
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname,
        defaults={"presets": worker_presets(queues), "queues": queues, "pid": os.getpid(), "seen_at": now},
        create_defaults={
            "presets": worker_presets(queues),
            "queues": queues,
            "pid": os.getpid(),
            "seen_at": now,
            "started_at": started_at or now,
        },
    )


# --- Reads ---


def presets_last_served(presets: Iterable[str]) -> dict[str, datetime | None]:
    """When a worker serving each preset was last alive; None: never. Few rows (one per worker ever)."""
    wanted = set(presets)
    last: dict[str, datetime | None] = dict.fromkeys(wanted)
    for served, seen_at in WorkerHeartbeat.objects.values_list("presets", "seen_at"):
        for preset in wanted.intersection(served):
            last[preset] = max(filter(None, (last[preset], seen_at)))
    return last


def presets_alive(presets: Iterable[str]) -> set[str]:
    """The presets a worker serves now: one wrote its heartbeat within three heartbeat intervals."""
    since = timezone.now() - timedelta(seconds=3 * settings.TRYON_WORKER_HEARTBEAT)
    return {preset for preset, seen in presets_last_served(presets).items() if seen and seen >= since}


def sweeper_last_run() -> tuple[datetime | None, str]:
    """When a sweep last finished, and which process ran it (for readiness checks)."""
    state = SweeperState.objects.filter(name="jobs").values_list("last_run_at", "last_run_by").first()
    return state or (None, "")


_SERVED: set[str] = set()  # presets this process has seen served (submissions ask on every request)


def preset_check_served(preset: str) -> None:
    """Refuse a try-on no worker could ever render: no worker has ever served its preset.

    A worker that once served it may come back, so those jobs are queued; the sweeper fails them if none
    does within TRYON_QUEUE_TIMEOUT. Where tasks run eagerly (in this process) every preset is served.
    """
    from tryon.celery import app

    if app.conf.task_always_eager or preset in _SERVED:
        return
    if presets_last_served([preset])[preset] is not None:
        _SERVED.add(preset)  # heartbeat rows are kept: once served, always "ever served", so never asked again
        return
    raise ValidationError(
        {
            "preset": f"No worker serves the preset {preset!r}, so a try-on with it would never start. "
            f"Pick another preset, or start a worker for it (TRYON_PRESET={preset} make worker)."
        }
    )


# --- The worker's presence thread ---


class WorkerPresence(threading.Thread):
    """Heartbeat and sweep on a schedule, in a worker's main process, until the worker shuts down."""

    def __init__(self, hostname: str, queues: Iterable[str], started_at: datetime):
        super().__init__(name="tryon-presence", daemon=True)
        self.hostname, self.queues, self.started_at = hostname, sorted(queues), started_at
        self.stopping = threading.Event()

    def run(self) -> None:
        from tryon.jobs.sweeper import tryon_jobs_sweep_exclusive

        holder = f"{self.hostname}:{os.getpid()}"
        next_beat = next_sweep = time.monotonic()  # sweep at start: a crash before this one left jobs behind
        while not self.stopping.is_set():
            now = time.monotonic()
            try:
                if now >= next_beat:
                    next_beat = now + settings.TRYON_WORKER_HEARTBEAT
                    worker_heartbeat_record(hostname=self.hostname, queues=self.queues, started_at=self.started_at)
                if now >= next_sweep:
                    next_sweep = now + settings.TRYON_WORKER_SWEEP_INTERVAL
                    tryon_jobs_sweep_exclusive(holder=holder)
            except Exception:  # a database blip must not end the thread: try again next time
                logger.exception("Worker heartbeat or sweep failed; trying again")
            finally:
                close_old_connections()
            self.stopping.wait(max(0.0, min(next_beat, next_sweep) - time.monotonic()))
        connection.close()


_presence: dict = {}


@celeryd_after_setup.connect
def _announce_worker(sender, instance, **_kwargs) -> None:
    """Before the worker reports ready: from now on, the presets of its queues count as served."""
    queues = list(instance.app.amqp.queues.consume_from or instance.app.amqp.queues)
    _presence.update(hostname=sender, queues=queues, started_at=timezone.now())
    worker_heartbeat_record(hostname=sender, queues=queues, started_at=_presence["started_at"])
    close_old_connections()


@worker_ready.connect
def _start_presence(**_kwargs) -> None:
    if not _presence or "thread" in _presence:
        return
    _presence["thread"] = WorkerPresence(_presence["hostname"], _presence["queues"], _presence["started_at"])
    _presence["thread"].start()


@worker_shutdown.connect
def _stop_presence(**_kwargs) -> None:
    if thread := _presence.pop("thread", None):
        thread.stopping.set()
        thread.join(timeout=10)
