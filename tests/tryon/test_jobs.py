"""The life of a try-on job: planned, queued on commit, claimed once, rendered, stored, finished;
or cancelled, or failed with words a merchant can act on."""

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from tests.factories import CatalogItemFactory, PoseFactory, shop_with_picks
from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import JobStateError, tryon_job_cancel, tryon_job_claim, tryon_job_create

pytestmark = pytest.mark.django_db
Status = TryOnJob.Status


def create_job(shop, **overrides):
    return tryon_job_create(**{**shop, **overrides})


def test_a_new_job_is_planned_and_queued_only_once_its_transaction_commits(django_capture_on_commit_callbacks):
    shop = shop_with_picks()

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        job = create_job(shop, seed=42)

    assert job.status == Status.QUEUED
    assert len(enqueued) == 1  # the render is sent after commit, never for a rolled-back job
    assert job.plan["seed"] == job.seed == 42
    assert job.plan["preset"] == job.preset == "tiny"
    assert job.steps_total == job.plan["steps"]
    assert len(job.plan_fingerprint) == 64
    assert list(job.garments.all()) == list(shop["catalog_item"].garments.all())


def test_the_same_picks_are_one_job_and_a_new_seed_is_another():
    shop = shop_with_picks()
    first, again = create_job(shop, seed=7), create_job(shop, seed=7)
    other_seed = create_job(shop, seed=8)

    assert (first.reused, again.reused, other_seed.reused) == (False, True, False)
    assert again.id == first.id  # one render serves both requests
    assert other_seed.plan_fingerprint != first.plan_fingerprint


def test_without_a_seed_the_same_picks_plan_the_same_image():
    shop = shop_with_picks()
    same_garments = CatalogItemFactory(merchant=shop["merchant"], garments=list(shop["catalog_item"].garments.all()))

    assert create_job(shop).id == create_job(shop).id
    assert create_job(shop).seed == create_job(shop, catalog_item=same_garments).seed


def test_a_pick_from_another_merchant_is_refused_by_field_name():
    shop = shop_with_picks()
    strangers_pose = PoseFactory()

    with pytest.raises(ValidationError) as refused:
        create_job(shop, pose=strangers_pose)

    assert "does not belong to" in refused.value.message_dict["pose"][0]
    assert not TryOnJob.objects.exists()


def test_an_unknown_preset_is_refused_by_field_name():
    with pytest.raises(ValidationError) as refused:
        create_job(shop_with_picks(), preset="sd99")

    assert "sd99" in refused.value.message_dict["preset"][0]


def test_a_job_is_claimed_by_exactly_one_worker():
    job = create_job(shop_with_picks())

    assert tryon_job_claim(job_id=job.id) is True
    assert tryon_job_claim(job_id=job.id) is False
    job.refresh_from_db()
    assert job.status == Status.RUNNING and job.started_at is not None


def test_a_worker_renders_the_job_and_attaches_a_png_with_its_parameters_to_the_catalog_item():
    shop = shop_with_picks()
    job = create_job(shop, seed=1234)
    steps_seen = []

    tryon_job_render(job_id=job.id, on_step=lambda step, total: steps_seen.append((step, total)))

    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error
    assert job.progress == 1.0 and job.render_seconds > 0 and job.finished_at >= job.started_at
    assert steps_seen == [(step, job.steps_total) for step in range(1, job.steps_total + 1)]
    image = job.images.get()
    assert image.catalog_item == shop["catalog_item"]
    assert not image.approved  # waits for the merchant
    with Image.open(image.file.path) as png:
        assert png.format == "PNG"
        assert png.size == (job.plan["width"], job.plan["height"]) == (image.width, image.height)
        assert png.info["parameters"] == image.parameters
    assert "Seed: 1234" in image.parameters and f"Steps: {job.plan['steps']}" in image.parameters
    assert image.parameters.startswith(job.plan["prompt"])


def test_the_same_plan_renders_the_same_pixels():
    shop = shop_with_picks()
    # Two catalog items with the same garment: two jobs, one plan.
    twin_item = CatalogItemFactory(merchant=shop["merchant"], garments=list(shop["catalog_item"].garments.all()))
    first, second = create_job(shop, seed=5), create_job(shop, seed=5, catalog_item=twin_item)
    assert first.id != second.id and first.plan_fingerprint == second.plan_fingerprint
    for job in (first, second):
        tryon_job_render(job_id=job.id)

    def pixels(job):
        with Image.open(job.images.get().file.path) as png:
            return png.tobytes()

    assert pixels(first) == pixels(second)


def test_a_redelivered_job_renders_nothing_twice():
    job = create_job(shop_with_picks())
    tryon_job_render(job_id=job.id)

    tryon_job_render(job_id=job.id)  # the broker delivers the same message again

    assert GeneratedImage.objects.filter(job=job).count() == 1


def test_a_queued_job_is_cancelled_at_once_and_never_rendered():
    job = create_job(shop_with_picks())

    tryon_job_cancel(job_id=job.id)
    tryon_job_render(job_id=job.id)

    job.refresh_from_db()
    assert job.status == Status.CANCELLED and job.finished_at is not None
    assert not job.images.exists()


def test_a_running_job_stops_at_its_next_step_when_cancelled():
    job = create_job(shop_with_picks())

    def cancel_after_first_step(step, total):
        if step == 1:
            tryon_job_cancel(job_id=job.id)

    tryon_job_render(job_id=job.id, on_step=cancel_after_first_step)

    job.refresh_from_db()
    assert job.status == Status.CANCELLED
    assert job.steps_done == 1 < job.steps_total
    assert not job.images.exists()


def test_a_finished_job_cannot_be_cancelled():
    job = create_job(shop_with_picks())
    tryon_job_render(job_id=job.id)

    with pytest.raises(JobStateError, match="already succeeded"):
        tryon_job_cancel(job_id=job.id)


def test_missing_real_weights_fail_the_job_at_once_with_instructions(monkeypatch, tmp_path):
    monkeypatch.setenv("TRYON_SD15_BASE", str(tmp_path / "no-such-folder"))
    job = create_job(shop_with_picks(), preset="sd15")

    tryon_job_render(job_id=job.id)

    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert "sd15" in job.error and "TRYON_SD15_BASE" in job.error
    assert not job.images.exists()


def test_a_png_a1111_can_read_back():
    job = create_job(shop_with_picks(), seed=99)
    tryon_job_render(job_id=job.id)
    image = job.images.get()

    with Image.open(io.BytesIO(image.file.read())) as png:
        lines = png.text["parameters"].split("\n")

    assert lines[1].startswith("Negative prompt: ")
    assert lines[2].startswith("Steps: ") and "Sampler: " in lines[2] and "Size: " in lines[2]
