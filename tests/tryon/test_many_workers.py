"""Many machines, on this one: a render worker per preset and a third that dies mid-render, sharing PostgreSQL,
Redis and an S3 bucket as separate machines would (README "Many machines"). Every job ends exactly once, on a
worker of its own preset, with one set of images, and they land in the bucket."""

import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from tests.factories import shop_with_picks
from tests.tryon.s3 import BUCKET, CREDENTIALS, s3_server, storage_settings, stored_keys  # noqa: F401 (a fixture)
from tests.tryon.worker import WorkerProcess, env_for_test_database, send_tasks_to_broker, wait_for
from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.jobs.services import job_queue, tryon_job_create

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
STALE_AFTER = 25  # seconds without a progress write before the sweeper calls a running job's worker dead: well
# above a tiny render step even on a busy machine, or the sweeper would also requeue live jobs (as it should)


@pytest.fixture
def bucket(settings, s3_server, monkeypatch):  # noqa: F811 (the fixture imported above)
    """This process and every worker keep their files in one bucket, as on many machines."""
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": storage_settings(s3_server)}
    return boto3.client("s3", endpoint_url=s3_server, **CREDENTIALS)


@pytest.fixture
def machine_env(bucket, settings):
    """What each machine's tryon.env would say: the shared database, broker and bucket; quick sweeps."""
    return {
        **env_for_test_database(),
        "TRYON_S3_BUCKET": BUCKET,
        "TRYON_S3_ENDPOINT_URL": bucket.meta.endpoint_url,
        "TRYON_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TRYON_STALE_AFTER": str(STALE_AFTER),
        "TRYON_WORKER_SWEEP_INTERVAL": "1",
        "TRYON_WORKER_HEARTBEAT": "1",
        # One job per pipeline call: a batch's jobs stay silent until a step over all of them is done, which on
        # a busy 2-core machine can outlast STALE_AFTER (batches have tests of their own).
        "TRYON_MAX_BATCH": "1",
        # Three workers share this machine's cores: one thread each, rather than each fighting for them all.
        "OMP_NUM_THREADS": "1",
    }


def render_worker(tmp_path, env: dict, preset: str, **options) -> WorkerProcess:
    """`make worker TRYON_PRESET=<preset>`: its preset's queue and the default queue, where the sweeper runs."""
    from django.conf import settings

    queues = f"{settings.CELERY_TASK_DEFAULT_QUEUE},{job_queue(preset)}"
    return WorkerProcess(tmp_path, {**env, "TRYON_PRESET": preset}, queues, **options)


def start_together(*workers: WorkerProcess) -> None:
    with ThreadPoolExecutor(len(workers)) as pool:
        list(pool.map(WorkerProcess.start, workers))


def test_two_presets_workers_and_a_killed_one_end_every_job_once_with_its_images_in_the_bucket(
    tmp_path, bucket, machine_env
):
    shop = shop_with_picks()
    tiny, fast = render_worker(tmp_path, machine_env, "tiny"), render_worker(tmp_path, machine_env, "tiny-fast")
    # The third machine: a tiny worker whose render never returns after its first step, like a GPU that hung.
    # It sweeps only at start, so the rescue below is the other machines' doing.
    doomed = render_worker(
        tmp_path, {**machine_env, "TRYON_WORKER_SWEEP_INTERVAL": "3600"}, "tiny", launcher="tests.tryon.hanging_worker"
    )
    logs = lambda: "\n".join(w.log for w in (doomed, fast, tiny) if w.process)  # noqa: E731
    send_tasks_to_broker(True)
    try:
        start_together(tiny, fast, doomed)
        jobs = [tryon_job_create(**shop, seed=seed) for seed in range(1, 7)]  # both tiny workers take some
        jobs += [tryon_job_create(**shop, seed=seed, preset="tiny-fast") for seed in range(7, 13)]
        hung = wait_for(lambda: re.search(r"Hanging in the render of seed (\d+)", doomed.log), 120, "a hang", logs)
        victim = TryOnJob.objects.get(pk__in=[job.id for job in jobs], seed=int(hung.group(1)))

        os.kill(doomed.process.pid, signal.SIGKILL)  # mid-render: no warm shutdown, no goodbye
        doomed.process.wait(timeout=10)
        assert TryOnJob.objects.get(pk=victim.id).status == "running"  # the dead cannot say otherwise

        unfinished = TryOnJob.objects.filter(pk__in=[job.id for job in jobs]).exclude(status__in=TryOnJob.FINISHED)
        wait_for(lambda: not unfinished.exists(), 240, "every job to finish", logs)
    finally:
        for worker in (doomed, fast, tiny):
            worker.stop()
        send_tasks_to_broker(False)

    finished = {job.id: job for job in TryOnJob.objects.filter(pk__in=[job.id for job in jobs])}
    assert [job.status for job in finished.values()] == ["succeeded"] * 12, [job.error for job in finished.values()]
    assert finished[victim.id].attempts >= 2  # claimed by the dead worker, and again once the sweeper requeued it
    assert sorted(job.preset for job in finished.values()) == ["tiny"] * 6 + ["tiny-fast"] * 6

    images = GeneratedImage.objects.filter(job__in=jobs)
    assert sorted(images.values_list("job", flat=True)) == sorted(finished)  # one image per job, none twice
    for image in images.select_related("job"):
        assert f"Model: {image.job.preset}," in image.parameters  # rendered by a worker of its own preset
    assert [key for key in stored_keys(bucket) if key.startswith("generated/")] == sorted(i.file.name for i in images)
