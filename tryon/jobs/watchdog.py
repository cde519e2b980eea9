"""Time limits for the pools that ignore them: a hung render must not hold its GPU forever.

Celery enforces CELERY_TASK_SOFT_TIME_LIMIT and CELERY_TASK_TIME_LIMIT only in the prefork pool; GPU
workers run `--pool=solo` (one pipeline per process), where a render that hangs would hang for good.
So in any other pool a watchdog thread follows each render task:

1. at the soft limit it fails the job the task is rendering, "took longer than N seconds", and sets
   cancel_requested: the render's next progress write finds the job no longer running and stops
   (RenderCancelled), exactly as a merchant's cancel does, and its images are never stored;
2. at the hard limit, if the task still has not returned (a step that never ends), it ends the whole
   process with os._exit: the worker's supervisor starts a fresh one, and a job the soft limit could
   not fail (the database was unreachable) is still `running`, so the sweeper requeues it.

Which job? The render task claims the most urgent job of a preset, not necessarily the one its message
names (tryon.jobs.claims), so the watchdog reads the job id from the running `tryon_job_render` call
in the task's own thread stack, and falls back on the message's job id before the render has begun.
"""

import logging
import os
import sys
import threading

from celery.signals import celeryd_after_setup, task_postrun, task_prerun
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from tryon.jobs.models import TryOnJob

logger = logging.getLogger(__name__)
Status = TryOnJob.Status

RENDER_TASK = "tryon.jobs.tasks.render_tryon_job"
HARD_LIMIT_EXIT_STATUS = 70  # EX_SOFTWARE: the process ended itself, on purpose
_enforce = {"on": False}  # set when this worker's pool does not enforce time limits itself


def tryon_job_time_out(*, job_id: int, seconds: float) -> bool:
    """running -> failed because the render passed its time limit; the render stops at its next step."""
    from tryon.jobs.services import announce_finished

    message = f"The render took longer than {seconds:g} seconds and was stopped."
    with transaction.atomic():  # the job's new state and its outbox event commit together
        timed_out = TryOnJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
            status=Status.FAILED,
            cancel_requested=True,
            error=message,
            failure_code=TryOnJob.FailureCode.TIMED_OUT,
            finished_at=timezone.now(),
        )
        if timed_out:
            announce_finished(job_id=job_id)
    return timed_out == 1


def rendering_job_id(thread_id: int) -> int | None:
    """The job id of the `tryon_job_render` call running in thread `thread_id`, if one is."""
    frame = sys._current_frames().get(thread_id)
    while frame is not None:
        if frame.f_code.co_name == "tryon_job_render" and "job_id" in frame.f_locals:
            return frame.f_locals["job_id"]
        frame = frame.f_back
    return None


class RenderWatchdog:
    """Watches one render task running in thread `thread_id`; `stop()` when the task returns."""

    def __init__(self, *, job_id: int | None, thread_id: int, soft: float, hard: float, exit=os._exit):
        self.message_job_id, self.thread_id = job_id, thread_id
        self.soft, self.hard, self.exit = soft, hard, exit
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="tryon-watchdog", daemon=True)

    def start(self) -> "RenderWatchdog":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.done.set()

    def _watch(self) -> None:
        try:
            self._soft_then_hard()
        finally:
            connection.close()  # this thread's own connection

    def _soft_then_hard(self) -> None:
        if self.done.wait(self.soft):
            return
        job_id = rendering_job_id(self.thread_id) or self.message_job_id
        logger.error("Try-on #%s passed the soft time limit of %g s: stopping its render", job_id, self.soft)
        try:
            if job_id is not None:
                tryon_job_time_out(job_id=job_id, seconds=self.soft)
        except Exception:
            logger.exception("Could not fail try-on #%s at the soft time limit", job_id)
        finally:
            close_old_connections()
        if self.done.wait(max(0.0, self.hard - self.soft)):
            return
        logger.critical(
            "Try-on #%s passed the hard time limit of %g s and its render does not stop: ending worker process %s",
            job_id,
            self.hard,
            os.getpid(),
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        self.exit(HARD_LIMIT_EXIT_STATUS)


_watching: dict[str, RenderWatchdog] = {}


@celeryd_after_setup.connect
def _note_pool(instance, **_kwargs) -> None:
    from celery.concurrency.prefork import TaskPool as PreforkPool

    pool = instance.pool_cls
    _enforce["on"] = not (isinstance(pool, type) and issubclass(pool, PreforkPool))
    if _enforce["on"]:
        logger.info(
            "Pool %s ignores time limits: renders are stopped at %s s and the process ended at %s s by a watchdog",
            getattr(pool, "__module__", pool),
            settings.CELERY_TASK_SOFT_TIME_LIMIT,
            settings.CELERY_TASK_TIME_LIMIT,
        )


@task_prerun.connect
def _watch_render(task_id, task, args=(), kwargs=None, **_kwargs) -> None:
    if not _enforce["on"] or task.name != RENDER_TASK or task.request.is_eager:
        return
    job_id = (kwargs or {}).get("job_id", args[0] if args else None)
    _watching[task_id] = RenderWatchdog(
        job_id=job_id,
        thread_id=threading.get_ident(),
        soft=settings.CELERY_TASK_SOFT_TIME_LIMIT,
        hard=settings.CELERY_TASK_TIME_LIMIT,
    ).start()


@task_postrun.connect
def _unwatch_render(task_id, **_kwargs) -> None:
    if watchdog := _watching.pop(task_id, None):
        watchdog.stop()
