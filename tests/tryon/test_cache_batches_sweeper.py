"""What keeps the GPU for new work and no job lost: finished renders answer again at once,
batches fan out over every combination, and the sweeper rescues jobs from dead workers and lost messages."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import CatalogItemFactory, FashionModelFactory, PoseFactory, SceneFactory, shop_with_picks
from tryon.jobs.batches import tryon_batch_create, tryon_batch_progress
from tryon.jobs.heartbeats import worker_heartbeat_record
from tryon.jobs.models import TryOnJob
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import QUEUE_PRIORITY, job_queue, tryon_job_claim, tryon_job_create
from tryon.jobs.sweeper import tryon_jobs_sweep

pytestmark = pytest.mark.django_db
Status = TryOnJob.Status


@pytest.fixture
def sent(monkeypatch):
    """The render tasks handed to the broker: (job id, queue, priority)."""
    from tryon.jobs.tasks import render_tryon_job

    messages = []
    monkeypatch.setattr(
        render_tryon_job,
        "apply_async",
        lambda args, queue, priority, **_logged_as: messages.append((args[0], queue, priority)),
    )
    return messages


def test_a_finished_try_on_answers_the_same_picks_at_once_without_rendering(sent, django_capture_on_commit_callbacks):
    shop = shop_with_picks()
    with django_capture_on_commit_callbacks(execute=True):
        first = tryon_job_create(**shop)
    tryon_job_render(job_id=first.id)

    with django_capture_on_commit_callbacks(execute=True):
        again = tryon_job_create(**shop)

    assert again.reused and again.id == first.id and again.status == Status.SUCCEEDED
    assert again.images.count() == 1
    assert [job_id for job_id, _, _ in sent] == [first.id]  # one render task, ever


def test_a_failed_try_on_is_not_reused(sent, django_capture_on_commit_callbacks, monkeypatch, tmp_path):
    monkeypatch.setenv("TRYON_SD15_BASE", str(tmp_path / "missing"))
    shop = shop_with_picks()
    failed = tryon_job_create(**shop, preset="sd15")
    tryon_job_render(job_id=failed.id)

    retry = tryon_job_create(**shop, preset="sd15")

    assert not retry.reused and retry.id != failed.id


def test_shoppers_go_before_batches_on_the_queue_of_their_preset(sent, django_capture_on_commit_callbacks):
    shop = shop_with_picks()
    with django_capture_on_commit_callbacks(execute=True):
        shopper = tryon_job_create(**shop)
        batch = tryon_job_create(**shop, seed=1, priority=TryOnJob.Priority.BATCH)

    assert sent == [
        (shopper.id, job_queue("tiny"), QUEUE_PRIORITY["shopper"]),
        (batch.id, job_queue("tiny"), QUEUE_PRIORITY["batch"]),
    ]
    assert QUEUE_PRIORITY["shopper"] < QUEUE_PRIORITY["batch"]  # Redis serves the lowest number first
    assert job_queue("tiny").endswith(".tiny")


def test_a_batch_renders_every_combination_into_the_catalog_items_awaiting_approval(sent):
    shop = shop_with_picks()
    merchant = shop["merchant"]
    items = [shop["catalog_item"], CatalogItemFactory(merchant=merchant)]
    models = [shop["fashion_model"], FashionModelFactory(merchant=merchant)]
    scenes = [shop["scene"], SceneFactory(merchant=merchant, name="Loft", prompt="industrial loft")]

    batch = tryon_batch_create(
        merchant=merchant, catalog_items=items, fashion_models=models, poses=[shop["pose"]], scenes=scenes
    )

    jobs = list(batch.jobs.all())
    assert len(jobs) == 2 * 2 * 1 * 2
    assert {job.priority for job in jobs} == {"batch"}
    assert tryon_batch_progress(batch=batch)["progress"] == 0.0
    for job in jobs[:3]:
        tryon_job_render(job_id=job.id)
    progress = tryon_batch_progress(batch=batch)
    assert (progress["succeeded"], progress["queued"], progress["progress"]) == (3, 5, 3 / 8)
    rendered = [job.images.get() for job in jobs[:3]]
    assert all(image.catalog_item in items and not image.approved for image in rendered)


def test_a_batch_is_capped_by_the_images_it_asks_for_and_a_refused_one_leaves_nothing(monkeypatch):
    monkeypatch.setattr("tryon.jobs.batches.MAX_IMAGES_PER_BATCH", 3)
    shop = shop_with_picks()
    picks = {
        "merchant": shop["merchant"],
        "catalog_items": [shop["catalog_item"]],
        "fashion_models": [shop["fashion_model"]],
        "poses": [shop["pose"], PoseFactory(merchant=shop["merchant"])],
        "scenes": [shop["scene"]],
    }

    with pytest.raises(ValidationError) as refused:
        tryon_batch_create(**picks, samples=2)

    assert refused.value.message_dict == {
        "catalog_items": ["2 renders of 2 images each is more than 3 images in one batch."]
    }
    assert not TryOnJob.objects.exists()
    assert tryon_batch_create(**picks, samples=1).jobs.count() == 2


def test_a_batch_needs_something_in_every_pick():
    shop = shop_with_picks()
    with pytest.raises(ValidationError) as refused:
        tryon_batch_create(
            merchant=shop["merchant"], catalog_items=[shop["catalog_item"]], fashion_models=[], poses=[], scenes=[]
        )
    assert set(refused.value.message_dict) == {"fashion_models"}


def test_the_sweeper_requeues_a_job_whose_worker_went_silent(sent, settings):
    job = tryon_job_create(**shop_with_picks())
    tryon_job_claim(job_id=job.id)
    TryOnJob.objects.filter(pk=job.id).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.TRYON_STALE_AFTER + 1)
    )

    result = tryon_jobs_sweep()

    job.refresh_from_db()
    assert result.requeued == [job.id] and job.status == Status.QUEUED
    assert [job_id for job_id, _, _ in sent] == [job.id]
    tryon_job_render(job_id=job.id)  # another worker picks it up
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED and job.attempts == 2 and job.images.count() == 1


def test_the_sweeper_leaves_a_busy_worker_alone(sent):
    job = tryon_job_create(**shop_with_picks())
    tryon_job_claim(job_id=job.id)  # heartbeat now

    assert tryon_jobs_sweep().requeued == []
    assert TryOnJob.objects.get(pk=job.id).status == Status.RUNNING


def test_the_sweeper_gives_up_on_a_job_that_keeps_killing_workers(sent, settings):
    job = tryon_job_create(**shop_with_picks())
    tryon_job_claim(job_id=job.id)
    stale = timezone.now() - timedelta(seconds=settings.TRYON_STALE_AFTER + 1)
    TryOnJob.objects.filter(pk=job.id).update(attempts=settings.TRYON_MAX_ATTEMPTS, heartbeat_at=stale)

    assert tryon_jobs_sweep().failed == [job.id]
    job.refresh_from_db()
    assert job.status == Status.FAILED and "stopped responding" in job.error


def test_the_sweeper_resends_a_queued_job_whose_message_was_lost(sent, settings):
    worker_heartbeat_record(hostname="gpu0@test", queues=[job_queue("tiny")])  # a worker that could take it
    job = tryon_job_create(**shop_with_picks())
    long_ago = timezone.now() - timedelta(seconds=settings.TRYON_RESEND_AFTER + 1)
    TryOnJob.objects.filter(pk=job.id).update(enqueued_at=long_ago)
    fresh = tryon_job_create(**shop_with_picks())
    TryOnJob.objects.filter(pk=fresh.id).update(enqueued_at=timezone.now())

    assert tryon_jobs_sweep().resent == [job.id]
    assert [job_id for job_id, _, _ in sent] == [job.id]
