"""A shop's content moderation: with it on, every render passes the safety checker before it is stored, and a
blocked one fails its job with the content-moderation code and plain words, leaving nothing in storage;
shopper photos are checked as they arrive. Off, nothing is checked and no weights are needed."""

from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from generation.moderation_tiny import build_tiny_checker
from tests.factories import MerchantFactory, shop_with_picks
from tryon.jobs.batch_render import tryon_jobs_render_batch
from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import tryon_job_claim, tryon_job_create
from tryon.moderation import (
    BLOCKED_MESSAGE,
    ContentBlocked,
    ModerationUnavailable,
    image_moderation_check,
    job_level_asked,
    job_moderation_level,
)

pytestmark = pytest.mark.django_db
Status, Code = TryOnJob.Status, TryOnJob.FailureCode


@pytest.fixture
def checker(monkeypatch, tmp_path):
    """Which safety checker this machine has: "blocks" (every image), "passes" (none) or "missing"."""

    def use(kind: str) -> None:
        folder = tmp_path / "no-checker" if kind == "missing" else build_tiny_checker(blocks=kind == "blocks")
        monkeypatch.setenv("TRYON_MODERATION_WEIGHTS", str(folder))

    return use


def rendered(level: str, *, samples: int = 1) -> TryOnJob:
    merchant = MerchantFactory(moderation_level=level)
    job = tryon_job_create(**shop_with_picks(merchant), samples=samples, enqueue=False)
    before = stored()
    tryon_job_render(job_id=job.id)
    job.refresh_from_db()
    job.stored = sorted(stored() - before)  # what the render put in storage
    return job


def stored() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_with_moderation_off_renders_are_stored_without_any_checker_on_the_machine(checker):
    checker("missing")

    job = rendered("off")

    assert job.status == Status.SUCCEEDED, job.error
    assert job.stored == [image.file.name for image in job.images.all()] != []


def test_a_render_the_checker_blocks_fails_the_job_and_nothing_of_it_is_stored(checker):
    checker("blocks")

    job = rendered("conservative", samples=2)

    assert (job.status, job.failure_code, job.error) == (Status.FAILED, Code.CONTENT_MODERATION, BLOCKED_MESSAGE)
    assert not GeneratedImage.objects.filter(job=job).exists()
    assert job.stored == []


def test_a_render_the_checker_passes_is_stored_at_either_level(checker):
    checker("passes")

    for level in ("permissive", "conservative"):
        job = rendered(level)
        assert job.status == Status.SUCCEEDED, job.error
        assert job.images.count() == 1


def test_a_shop_with_shopper_photos_and_no_choice_is_moderated_permissively(checker):
    checker("blocks")
    merchant = MerchantFactory(shopper_photos=True)
    job = tryon_job_create(**shop_with_picks(merchant), enqueue=False)

    tryon_job_render(job_id=job.id)

    job.refresh_from_db()
    assert (job_moderation_level(job=job), job.failure_code) == ("permissive", Code.CONTENT_MODERATION)


def test_a_render_made_before_the_shop_switched_moderation_on_no_longer_answers_the_same_picks(checker):
    checker("blocks")
    merchant = MerchantFactory(moderation_level="off")
    picks = shop_with_picks(merchant)
    unchecked = tryon_job_create(**picks, enqueue=False)
    tryon_job_render(job_id=unchecked.id)
    assert tryon_job_create(**picks, enqueue=False).id == unchecked.id  # the same picks: the cache answers

    merchant.moderation_level = "conservative"
    merchant.save()
    asked_again = tryon_job_create(**picks, enqueue=False)
    tryon_job_render(job_id=asked_again.id)

    asked_again.refresh_from_db()
    assert asked_again.id != unchecked.id and not asked_again.reused
    assert (asked_again.status, asked_again.failure_code) == (Status.FAILED, Code.CONTENT_MODERATION)


def test_moderation_on_without_the_checkers_weights_fails_the_job_saying_how_to_get_them(checker):
    checker("missing")

    job = rendered("permissive")

    assert (job.status, job.failure_code) == (Status.FAILED, Code.WEIGHTS_MISSING)
    assert "tryon_models pull moderation" in job.error and job.stored == []


def test_renders_of_a_batch_are_checked_each_as_its_own(checker):
    checker("blocks")
    moderated, open_shop = MerchantFactory(moderation_level="conservative"), MerchantFactory(moderation_level="off")
    jobs = [tryon_job_create(**shop_with_picks(merchant), enqueue=False) for merchant in (moderated, open_shop)]
    for job in jobs:
        assert tryon_job_claim(job_id=job.id)

    tryon_jobs_render_batch(job_ids=[job.id for job in jobs])

    for job in jobs:
        job.refresh_from_db()
    assert [(job.status, job.failure_code) for job in jobs] == [
        (Status.FAILED, Code.CONTENT_MODERATION),
        (Status.SUCCEEDED, ""),
    ]
    assert not GeneratedImage.objects.filter(job=jobs[0]).exists()
    assert [path for path in stored() if f"tryon-{jobs[0].id}-" in path] == []


def test_a_request_may_ask_for_stricter_checks_than_its_shop_never_for_laxer_ones(checker):
    checker("blocks")
    strict = tryon_job_create(**shop_with_picks(MerchantFactory(moderation_level="conservative")), enqueue=False)
    lax = tryon_job_create(**shop_with_picks(MerchantFactory(moderation_level="off")), enqueue=False)
    asked = {strict.id: "off", lax.id: "permissive"}

    def asks(sender, *, job_id, **kwargs):
        return asked.get(job_id)

    job_level_asked.connect(asks, dispatch_uid="test.asks")
    try:
        levels = [job_moderation_level(job=job) for job in (strict, lax)]
        tryon_job_render(job_id=strict.id)
    finally:
        job_level_asked.disconnect(dispatch_uid="test.asks")

    assert levels == ["conservative", "permissive"]
    strict.refresh_from_db()
    assert (strict.status, strict.failure_code) == (Status.FAILED, Code.CONTENT_MODERATION)


# --- Uploads (shopper photos) ---


def photo() -> Image.Image:
    return Image.new("RGB", (256, 384), (180, 150, 130))


def test_an_upload_is_refused_with_plain_words_when_the_checker_blocks_it(checker):
    checker("blocks")

    with pytest.raises(ContentBlocked) as refused:
        image_moderation_check(merchant=MerchantFactory(shopper_photos=True), image=photo())

    assert refused.value.message == BLOCKED_MESSAGE and refused.value.code == "content_moderation"


def test_an_upload_passes_when_the_checker_passes_it_and_the_file_is_left_ready_to_store(checker, tmp_path):
    checker("passes")
    path = tmp_path / "me.png"
    photo().save(path)

    with open(path, "rb") as upload:
        image_moderation_check(merchant=MerchantFactory(moderation_level="conservative"), image=upload)
        assert upload.tell() == 0


def test_an_upload_is_not_checked_when_moderation_is_off_and_refused_when_the_checker_is_missing(checker):
    checker("missing")

    image_moderation_check(merchant=MerchantFactory(moderation_level="off"), image=photo())
    with pytest.raises(ModerationUnavailable) as refused:
        image_moderation_check(merchant=MerchantFactory(moderation_level="permissive"), image=photo())

    assert refused.value.code == "weights_missing" and "not available" in refused.value.message


def test_the_jobs_app_may_use_moderation_for_it_imports_none_of_the_apps_that_listen_to_jobs():
    import tryon.moderation
    from tests.tryon.test_app_layers import LISTENERS, imported_modules

    modules = imported_modules(Path(tryon.moderation.__file__))

    assert "generation.moderation" in modules
    assert not [module for module in modules if module.startswith(LISTENERS)], modules
