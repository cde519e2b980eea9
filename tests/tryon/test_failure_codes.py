"""Every way a try-on can end badly leaves a failure code beside its message, and whoever reads the job
(shop, admin, API) acts on the code: nobody parses the message."""

import threading
import time
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone

from prompts import GenerationPlan
from tests.factories import shop_with_picks
from tests.tryon.engine_faults import gpu_out_of_memory  # noqa: F401 (a fixture)
from tests.tryon.garment_photos import striped_garment, upload
from tryon.catalog.services import garment_create
from tryon.jobs.models import TryOnJob
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import tryon_job_cancel, tryon_job_claim, tryon_job_create
from tryon.jobs.sweeper import tryon_jobs_sweep
from tryon.jobs.watchdog import RenderWatchdog

pytestmark = pytest.mark.django_db
Status, Code = TryOnJob.Status, TryOnJob.FailureCode


@pytest.fixture
def sent(monkeypatch) -> list:
    """The render tasks handed to the broker, by job id: the sweeper's resends land here."""
    from tryon.jobs.tasks import render_tryon_job

    messages = []
    monkeypatch.setattr(render_tryon_job, "apply_async", lambda args, **_options: messages.append(args[0]))
    return messages


def new_job(**overrides) -> TryOnJob:
    return tryon_job_create(**{**shop_with_picks(), **overrides}, enqueue=False)


def ended(job: TryOnJob) -> TryOnJob:
    job.refresh_from_db()
    return job


@pytest.mark.usefixtures("gpu_out_of_memory")
def test_a_render_that_runs_out_of_gpu_memory_fails_as_out_of_memory():
    job = new_job()

    tryon_job_render(job_id=job.id)

    job = ended(job)
    assert (job.status, job.failure_code) == (Status.FAILED, Code.OUT_OF_MEMORY)
    assert "ran out of GPU memory" in job.error and not job.images.exists()


def test_a_preset_whose_weights_are_missing_fails_as_weights_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("TRYON_SD15_BASE", str(tmp_path / "no-such-folder"))
    job = new_job(preset="sd15")

    tryon_job_render(job_id=job.id)

    assert (ended(job).status, ended(job).failure_code) == (Status.FAILED, Code.WEIGHTS_MISSING)


def test_a_render_past_the_soft_time_limit_fails_as_timed_out():
    job = new_job()

    def soft_limit_passes(step, total):  # what Celery's prefork pool raises in the task at the soft limit
        raise SoftTimeLimitExceeded()

    tryon_job_render(job_id=job.id, on_step=soft_limit_passes)

    job = ended(job)
    assert (job.status, job.failure_code) == (Status.FAILED, Code.TIMED_OUT)
    assert "took longer than" in job.error


@pytest.mark.django_db(transaction=True)  # the watchdog's thread has a connection of its own
def test_a_hung_render_stopped_by_the_watchdog_fails_as_timed_out_not_cancelled():
    job = new_job(seed=7)
    watchdog = RenderWatchdog(job_id=job.id, thread_id=threading.get_ident(), soft=0.5, hard=60, exit=lambda _: None)

    def hangs(step, total):
        if watchdog.thread.ident is None:
            watchdog.start()
            time.sleep(2)

    tryon_job_render(job_id=job.id, on_step=hangs)
    watchdog.stop()

    job = ended(job)
    # The render then stopped at its next step as a cancel does, but the job keeps the reason it ended for.
    assert (job.status, job.failure_code) == (Status.FAILED, Code.TIMED_OUT)


def test_a_job_whose_worker_keeps_dying_fails_as_worker_lost(sent, settings):
    job = new_job()
    tryon_job_claim(job_id=job.id)
    silent = timezone.now() - timedelta(seconds=settings.TRYON_STALE_AFTER + 1)
    TryOnJob.objects.filter(pk=job.id).update(attempts=settings.TRYON_MAX_ATTEMPTS, heartbeat_at=silent)

    assert tryon_jobs_sweep().failed == [job.id]

    assert (ended(job).status, ended(job).failure_code) == (Status.FAILED, Code.WORKER_LOST)


def test_a_job_no_worker_ever_takes_fails_as_unserved_preset(sent, settings):
    settings.TRYON_QUEUE_TIMEOUT = 60
    job = new_job(preset="sd15")
    TryOnJob.objects.filter(pk=job.id).update(created_at=timezone.now() - timedelta(minutes=2))

    assert tryon_jobs_sweep().timed_out == [job.id]

    assert (ended(job).status, ended(job).failure_code) == (Status.FAILED, Code.UNSERVED_PRESET)


def test_a_queued_and_a_running_job_cancelled_say_cancelled():
    queued, running = new_job(seed=1), new_job(seed=2)

    tryon_job_cancel(job_id=queued.id)
    tryon_job_render(job_id=running.id, on_step=lambda step, total: tryon_job_cancel(job_id=running.id))

    assert (ended(queued).status, ended(queued).failure_code) == (Status.CANCELLED, Code.CANCELLED)
    assert (ended(running).status, ended(running).failure_code) == (Status.CANCELLED, Code.CANCELLED)


def test_a_job_whose_photos_are_gone_by_render_time_fails_as_invalid_input():
    shop = shop_with_picks()
    breton = garment_create(merchant=shop["merchant"], name="Breton", category="top", image=upload(striped_garment()))
    job = tryon_job_create(**shop, garments=[breton], enqueue=False)
    refs = [ref for ref in GenerationPlan.from_dict(job.plan).image_refs if ref]
    assert refs  # the warp plan conditions on the garment's cut-out
    for ref in refs:
        default_storage.delete(ref.name)

    tryon_job_render(job_id=job.id)

    job = ended(job)
    assert (job.status, job.failure_code) == (Status.FAILED, Code.INVALID_INPUT)
    assert "no longer in storage" in job.error


def test_a_plan_this_engine_cannot_read_fails_as_invalid_input():
    job = new_job()
    TryOnJob.objects.filter(pk=job.id).update(plan={**job.plan, "steps": 0})

    tryon_job_render(job_id=job.id)

    assert (ended(job).status, ended(job).failure_code) == (Status.FAILED, Code.INVALID_INPUT)


def test_images_that_cannot_be_stored_fail_as_internal(monkeypatch):
    job = new_job()

    def disk_full(self, name, content):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", disk_full)
    tryon_job_render(job_id=job.id)

    job = ended(job)
    assert (job.status, job.failure_code) == (Status.FAILED, Code.INTERNAL)
    assert "could not be stored" in job.error


def test_a_job_that_succeeds_has_no_failure_code():
    job = new_job()

    tryon_job_render(job_id=job.id)

    assert (ended(job).status, ended(job).failure_code) == (Status.SUCCEEDED, "")
