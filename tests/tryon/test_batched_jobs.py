"""Several shoppers' try-ons rendered in one batch: each is claimed once, ends on its own and gets its own
image; a cancel or a failure of one never costs its batch-mates theirs."""

import numpy as np
import pytest
from django.core.files.storage import FileSystemStorage
from PIL import Image

from tests.factories import shop_with_picks
from tests.tryon.worker import WorkerProcess, env_for_test_database, send_tasks_to_broker, wait_for, worker_queues
from tryon.jobs.batch_render import tryon_jobs_render_batch
from tryon.jobs.claims import tryon_job_claim_batch_mates, tryon_job_claim_next
from tryon.jobs.heartbeats import worker_heartbeat_record
from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.jobs.services import tryon_job_cancel, tryon_job_create

Status = TryOnJob.Status


@pytest.fixture
def batching(settings):
    settings.TRYON_MAX_BATCH = 4
    settings.TRYON_BATCH_WINDOW_MS = 0


def queued_shoppers(shop, seeds) -> list[TryOnJob]:
    return [tryon_job_create(**shop, seed=seed) for seed in seeds]


def claim_a_batch(preset: str = "tiny") -> list[int]:
    head = tryon_job_claim_next(preset=preset)
    return [head, *tryon_job_claim_batch_mates(job_id=head)]


def image_of(job: TryOnJob) -> np.ndarray:
    with GeneratedImage.objects.get(job=job).file.open() as file, Image.open(file) as image:
        return np.asarray(image.convert("RGB")).astype(int)


@pytest.mark.django_db
def test_three_queued_shoppers_are_claimed_together_and_each_gets_its_own_image(batching):
    shop = shop_with_picks()
    jobs = queued_shoppers(shop, [101, 102, 103])

    batch = claim_a_batch()
    tryon_jobs_render_batch(job_ids=batch)

    assert batch == [job.id for job in jobs]  # in claim order: the oldest first
    for job in TryOnJob.objects.filter(pk__in=batch):
        assert (job.status, job.attempts, job.steps_done) == (Status.SUCCEEDED, 1, job.steps_total), job.error
    images = [image_of(job) for job in jobs]
    assert len({image.tobytes() for image in images}) == 3  # three seeds, three images
    seeds = dict(GeneratedImage.objects.filter(job__in=jobs).values_list("job_id", "seed"))
    assert seeds == {job.id: job.seed for job in jobs}


@pytest.mark.django_db
def test_a_shopper_who_cancels_inside_a_batch_ends_cancelled_while_the_others_succeed(batching):
    shop = shop_with_picks()
    first, leaving, last = queued_shoppers(shop, [201, 202, 203])
    batch = claim_a_batch()

    tryon_job_cancel(job_id=leaving.id)  # running: it stops at its next progress write
    tryon_jobs_render_batch(job_ids=batch)

    statuses = dict(TryOnJob.objects.filter(pk__in=batch).values_list("id", "status"))
    assert statuses == {first.id: Status.SUCCEEDED, leaving.id: Status.CANCELLED, last.id: Status.SUCCEEDED}
    assert not GeneratedImage.objects.filter(job=leaving).exists()
    assert GeneratedImage.objects.filter(job__in=[first, last]).count() == 2


@pytest.mark.django_db
def test_a_job_whose_image_cannot_be_stored_fails_alone_and_its_batch_mates_keep_theirs(batching, monkeypatch):
    shop = shop_with_picks()
    first, unlucky, last = queued_shoppers(shop, [301, 302, 303])
    batch = claim_a_batch()
    save = FileSystemStorage._save

    def disk_full_for_one(storage, name, content):
        if f"tryon-{unlucky.id}-" in name:
            raise OSError(28, "No space left on device")
        return save(storage, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", disk_full_for_one)

    tryon_jobs_render_batch(job_ids=batch)

    unlucky.refresh_from_db()
    assert (unlucky.status, unlucky.failure_code) == (Status.FAILED, "internal")
    assert "No space left on device" in unlucky.error
    assert set(TryOnJob.objects.filter(pk__in=[first.id, last.id]).values_list("status", flat=True)) == {"succeeded"}
    assert GeneratedImage.objects.filter(job__in=[first, last]).count() == 2


@pytest.mark.django_db
def test_a_job_this_engine_cannot_render_fails_alone_and_its_batch_mates_render(batching):
    shop = shop_with_picks()
    first, broken, last = queued_shoppers(shop, [401, 402, 403])
    batch = claim_a_batch()
    # A plan stored by an older version, with a weight this engine's prompt parser refuses
    TryOnJob.objects.filter(pk=broken.id).update(plan={**broken.plan, "prompt": "a dress (silk:1.2.3)"})

    tryon_jobs_render_batch(job_ids=batch)

    broken.refresh_from_db()
    assert (broken.status, broken.failure_code) == (Status.FAILED, "invalid_input")
    assert broken.error.startswith("prompt: weight '1.2.3'")
    assert set(TryOnJob.objects.filter(pk__in=[first.id, last.id]).values_list("status", flat=True)) == {"succeeded"}


@pytest.mark.django_db
def test_a_job_edited_out_of_its_batchs_shape_after_the_claim_renders_alone(batching):
    shop = shop_with_picks()
    _first, edited, _last = queued_shoppers(shop, [451, 452, 453])
    batch = claim_a_batch()
    TryOnJob.objects.filter(pk=edited.id).update(plan={**edited.plan, "steps": edited.plan["steps"] + 1})

    tryon_jobs_render_batch(job_ids=batch)

    finished = TryOnJob.objects.filter(pk__in=batch)
    assert set(finished.values_list("status", flat=True)) == {"succeeded"}, [job.error for job in finished]


@pytest.mark.django_db
def test_only_jobs_of_the_same_shape_and_priority_share_a_batch(batching):
    shop = shop_with_picks()
    shopper = tryon_job_create(**shop, seed=501)
    merchants_batch = tryon_job_create(**shop, seed=502, priority=TryOnJob.Priority.BATCH)
    two_samples = tryon_job_create(**shop, seed=503)
    TryOnJob.objects.filter(pk=two_samples.id).update(plan={**two_samples.plan, "samples": 2})  # a batch already

    batch = claim_a_batch()

    assert batch == [shopper.id]  # alone: nothing queued has its shape and priority
    others = TryOnJob.objects.filter(pk__in=[merchants_batch.id, two_samples.id])
    assert set(others.values_list("status", flat=True)) == {"queued"}


@pytest.mark.django_db
def test_one_at_a_time_when_max_batch_is_one(settings):
    settings.TRYON_MAX_BATCH = 1
    queued_shoppers(shop_with_picks(), [601, 602])

    assert len(claim_a_batch()) == 1


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_four_queued_shoppers_in_one_batch(shop, tmp_path):
    send_tasks_to_broker(True)
    try:
        worker_heartbeat_record(hostname="earlier@test", queues=worker_queues().split(","))  # served before
        jobs = queued_shoppers(shop, [701, 702, 703, 704])  # queued while no worker runs
        env = {**env_for_test_database(), "TRYON_MAX_BATCH": "4", "TRYON_BATCH_WINDOW_MS": "200"}
        worker = WorkerProcess(tmp_path, env, worker_queues()).start()
        try:
            wait_for(
                lambda: TryOnJob.objects.filter(pk__in=[j.id for j in jobs], status__in=TryOnJob.FINISHED).count() == 4,
                300,
                "the four try-ons",
                lambda: worker.log[-3000:],
            )
        finally:
            worker.stop()
    finally:
        send_tasks_to_broker(False)

    assert set(TryOnJob.objects.filter(pk__in=[j.id for j in jobs]).values_list("status", "attempts")) == {
        ("succeeded", 1)
    }
    assert GeneratedImage.objects.filter(job__in=jobs).count() == 4
    ids = ", ".join(f"#{job.id}" for job in jobs)
    assert f"Rendered try-ons {ids} in one batch of 4" in worker.log
