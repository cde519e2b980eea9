"""A shopper tries garments on their own photo: only with their consent and where the shop allows it, stored
without its location, rendered for them alone, and gone with everything made from it after
TRYON_SHOPPER_PHOTO_HOURS or at once when they press "Delete my photo"."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from tests.tryon.clock import Clock
from tests.tryon.shoppers.conftest import GPS_TAG, MAKE_TAG, selfie, stored_files
from tryon.catalog.models import FashionModel
from tryon.jobs.gallery import review_gallery
from tryon.jobs.models import GeneratedImage, PersonRender, TryOnJob
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import tryon_job_claim, tryon_job_create, tryon_job_finish
from tryon.jobs.sweeper import tryon_jobs_sweep_exclusive
from tryon.shoppers.consent import CONSENT_VERSION
from tryon.shoppers.models import ShopperLeftover, ShopperModel
from tryon.shoppers.services import shopper_model_set, shopper_photo_delete, shopper_photo_upload

pytestmark = pytest.mark.django_db

ATTRIBUTES = {"gender_presentation": "masculine", "age_range": "45-54", "body_type": "average", "skin_tone": "tan"}


def shopper(shop, owner: str) -> ShopperModel:
    return shopper_model_set(merchant=shop["merchant"], owner=owner, **ATTRIBUTES)


def with_photo(shop, owner: str, **selfie_options) -> ShopperModel:
    return shopper_photo_upload(
        shopper_model=shopper(shop, owner), photo=selfie(**selfie_options), consent=True, pose=shop["pose"]
    )


def tryon(shop, shopper_model: ShopperModel, **options) -> TryOnJob:
    picks = {name: shop[name] for name in ("merchant", "catalog_item", "pose", "scene")}
    return tryon_job_create(**picks, fashion_model=shopper_model.fashion_model, enqueue=False, **options)


def rendered(shop, shopper_model: ShopperModel, **options) -> TryOnJob:
    job = tryon(shop, shopper_model, **options)
    tryon_job_render(job_id=job.id)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    return job


@pytest.mark.parametrize("consent", [False, None, "yes"])
def test_without_consent_the_photo_is_refused_and_nothing_is_stored(shop, media_root, consent):
    mine = shopper(shop, "session:me")
    before = stored_files(media_root)

    with pytest.raises(ValidationError) as refused:
        shopper_photo_upload(shopper_model=mine, photo=selfie(), consent=consent)

    assert "consent" in refused.value.message_dict
    assert stored_files(media_root) == before
    assert not FashionModel.objects.filter(private=True).exists()
    mine.refresh_from_db()
    assert mine.consented_at is None and not mine.has_photo


def test_a_shop_that_has_not_switched_own_photos_on_refuses_them_even_with_consent(shop, media_root):
    shop["merchant"].shopper_photos = False
    shop["merchant"].save()
    before = stored_files(media_root)

    with pytest.raises(ValidationError) as refused:
        shopper_photo_upload(shopper_model=shopper(shop, "session:me"), photo=selfie(), consent=True)

    assert "photo" in refused.value.message_dict and stored_files(media_root) == before


def test_a_photo_the_content_checks_block_is_refused_and_nothing_is_stored(shop, media_root, checker):
    checker("blocks")
    before = stored_files(media_root)

    with pytest.raises(ValidationError) as refused:
        shopper_photo_upload(shopper_model=shopper(shop, "session:me"), photo=selfie(), consent=True)

    assert refused.value.message_dict["photo"] == ["The picture did not pass the shop's content checks."]
    assert stored_files(media_root) == before


def test_an_upload_that_is_no_photo_is_refused_like_any_upload(shop, media_root):
    from tests.tryon.images import raw_upload

    with pytest.raises(ValidationError) as refused:
        shopper_photo_upload(shopper_model=shopper(shop, "session:me"), photo=raw_upload(b"not a photo"), consent=True)

    assert "photo" in refused.value.message_dict and not FashionModel.objects.filter(private=True).exists()


def test_with_consent_the_photo_is_kept_without_its_location_or_camera_for_the_retention_time(shop, settings):
    settings.TRYON_SHOPPER_PHOTO_HOURS = 24

    mine = with_photo(shop, "session:me")

    person = mine.fashion_model
    assert person.private and person.transient and person not in FashionModel.objects.filter(transient=False)
    assert "jane" not in person.reference_photo.name  # the upload's name says who it is: not kept
    with person.reference_photo.open("rb") as stored, Image.open(stored) as photo:
        exif = photo.getexif()
    assert GPS_TAG not in exif and MAKE_TAG not in exif and not exif
    assert mine.consent_version == CONSENT_VERSION and mine.consented_at is not None
    assert mine.expires_at - mine.photo_uploaded_at == timedelta(hours=24)
    # no keypoint detector here: the pose the shopper says they stand in places the garments
    assert person.photo_keypoints_source == "edited" and person.photo_keypoints == shop["pose"].keypoints
    assert (person.body_type, person.skin_tone) == ("average", "tan")  # the attributes carried over


def test_with_consent_the_garment_is_rendered_onto_their_photo_and_never_into_the_shops_gallery(shop):
    mine = with_photo(shop, "session:me")

    job = rendered(shop, mine)

    assert job.plan["init_image"]["sha256"] == mine.fashion_model.reference_photo_sha256
    image = job.images.get()
    assert job.catalog_item is None and image.catalog_item is None
    assert image not in review_gallery(catalog_item=shop["catalog_item"])


def test_the_merchants_admin_never_lists_a_shoppers_photo_render(shop, staff_client):
    job = rendered(shop, with_photo(shop, "session:me"))
    image = job.images.get()

    jobs = staff_client.get("/admin/jobs/tryonjob/").content.decode()
    images = staff_client.get("/admin/jobs/generatedimage/").content.decode()

    assert f"/admin/jobs/tryonjob/{job.id}/" not in jobs
    assert image.file.name.rsplit("/", 1)[-1] not in images
    assert staff_client.get(f"/admin/jobs/generatedimage/{image.id}/change/").status_code in (302, 404)


def test_another_shopper_with_the_same_photo_and_picks_never_gets_that_image(shop):
    mine, theirs = with_photo(shop, "session:me"), with_photo(shop, "session:them")
    job = rendered(shop, mine, seed=7)

    their_job = tryon(shop, theirs, seed=7)

    assert their_job.plan_fingerprint == job.plan_fingerprint  # the very same render, by content...
    assert their_job.id != job.id and not their_job.reused  # ...yet never served to them
    assert tryon(shop, mine, seed=7).id == job.id  # while the same shopper's same picks are a cache hit


def files_of(jobs: list[TryOnJob], shopper_model: ShopperModel) -> set[str]:
    names = {shopper_model.fashion_model.reference_photo.name}
    for job in jobs:
        names.add(job.draft.name)
        for image in GeneratedImage.objects.filter(job=job):
            names |= {image.file.name, image.garment_mask.name}
    return {name for name in names if name}


def test_delete_my_photo_removes_it_with_every_file_and_row_made_from_it_and_nothing_else(
    shop, media_root, django_capture_on_commit_callbacks
):
    merchant_files = stored_files(media_root)
    theirs = with_photo(shop, "session:them")
    their_files = files_of([rendered(shop, theirs)], theirs)
    mine = with_photo(shop, "session:me")
    my_jobs = [rendered(shop, mine), rendered(shop, mine, seed=11)]
    queued = tryon(shop, mine, seed=12)  # asked for, not yet rendered: cancelled and deleted too
    my_files = files_of(my_jobs, mine)
    assert len(my_files) >= 5 and my_files <= stored_files(media_root)
    photo_model = mine.fashion_model

    with django_capture_on_commit_callbacks(execute=True):
        shopper_photo_delete(shopper_model=mine)

    left = stored_files(media_root)
    assert not my_files & left
    assert their_files <= left and merchant_files <= left
    assert not TryOnJob.objects.filter(pk__in=[job.id for job in [*my_jobs, queued]]).exists()
    assert not GeneratedImage.objects.filter(job_id__in=[job.id for job in my_jobs]).exists()
    assert not FashionModel.objects.filter(pk=photo_model.pk).exists() and not ShopperLeftover.objects.exists()
    mine.refresh_from_db()
    assert not mine.has_photo and not mine.fashion_model.private and mine.consented_at is None
    assert mine.fashion_model.body_type == "average"  # "someone like me" stays; only the photo went


def test_a_render_still_running_is_cancelled_and_its_leftovers_go_at_the_next_sweep(
    shop, media_root, django_capture_on_commit_callbacks
):
    mine = with_photo(shop, "session:me")
    running = tryon(shop, mine)
    assert tryon_job_claim(job_id=running.id)
    photo = mine.fashion_model.reference_photo.name
    assert running.draft and running.draft.name in stored_files(media_root)

    with django_capture_on_commit_callbacks(execute=True):
        shopper_photo_delete(shopper_model=mine)

    assert photo not in stored_files(media_root)  # the photo goes at once, whatever still runs
    running.refresh_from_db()
    assert running.cancel_requested and ShopperLeftover.objects.count() == 1
    tryon_job_finish(running.id, "cancelled", failure_code="cancelled")  # the worker stops at its next step

    with django_capture_on_commit_callbacks(execute=True):
        tryon_jobs_sweep_exclusive(holder="test")

    assert not TryOnJob.objects.filter(pk=running.pk).exists() and not ShopperLeftover.objects.exists()
    assert running.draft.name not in stored_files(media_root)


def test_after_the_retention_time_the_sweeper_deletes_the_photo_and_everything_made_from_it(
    shop, media_root, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TRYON_SHOPPER_PHOTO_HOURS = 24
    clock = Clock(monkeypatch)
    mine = with_photo(shop, "session:me")
    job = rendered(shop, mine)
    my_files = files_of([job], mine)
    clock.advance(hours=2)
    theirs = with_photo(shop, "session:them")
    their_files = files_of([rendered(shop, theirs)], theirs)

    clock.advance(hours=21, minutes=59)
    with django_capture_on_commit_callbacks(execute=True):
        tryon_jobs_sweep_exclusive(holder="test")
    assert my_files <= stored_files(media_root)  # within its 24 hours: kept

    clock.advance(minutes=2)
    with django_capture_on_commit_callbacks(execute=True):
        tryon_jobs_sweep_exclusive(holder="test")

    left = stored_files(media_root)
    assert not my_files & left and their_files <= left
    assert not TryOnJob.objects.filter(pk=job.pk).exists()
    mine.refresh_from_db()
    assert not mine.has_photo and mine.expires_at is None
    assert ShopperModel.objects.get(owner="session:them").has_photo


def test_an_attribute_render_made_before_the_photo_goes_with_the_photo_too(
    shop, media_root, django_capture_on_commit_callbacks
):
    """Its stage-1 person render (a cache entry keyed by its plan) included: nothing made for that person stays."""
    mine = shopper(shop, "session:me")
    job = rendered(shop, mine)
    persons = list(PersonRender.objects.values_list("file", flat=True))
    assert persons and set(persons) <= stored_files(media_root)

    with django_capture_on_commit_callbacks(execute=True):
        mine = shopper_photo_upload(shopper_model=mine, photo=selfie(), consent=True, pose=shop["pose"])
        shopper_photo_delete(shopper_model=mine)

    assert not TryOnJob.objects.filter(pk=job.pk).exists() and not PersonRender.objects.exists()
    assert not set(persons) & stored_files(media_root)


def test_the_shops_webhooks_never_carry_a_render_of_a_shoppers_photo(shop, django_capture_on_commit_callbacks):
    from tryon.webhooks.services import webhook_endpoint_create, webhooks_notify_job_finished

    webhook_endpoint_create(merchant=shop["merchant"], url="https://shop.example/hooks")
    private = rendered(shop, with_photo(shop, "session:me"))
    described = rendered(shop, shopper(shop, "session:them"))

    with django_capture_on_commit_callbacks():  # what the job_finished event does; sending them is not this story
        assert webhooks_notify_job_finished(job_id=private.id) == []
        assert [delivery.job_id for delivery in webhooks_notify_job_finished(job_id=described.id)] == [described.id]


def test_keypoints_found_in_the_photo_place_the_garments(shop, monkeypatch):
    standing = [[min(1.0, x + 0.05), y, visible] for x, y, visible in shop["pose"].keypoints]
    monkeypatch.setattr("generation.keypoints.detector_available", lambda: True)
    monkeypatch.setattr("generation.keypoints.detect_keypoints", lambda image: tuple(map(tuple, standing)))

    mine = shopper_photo_upload(shopper_model=shopper(shop, "session:me"), photo=selfie(), consent=True)

    assert mine.fashion_model.photo_keypoints_source == "detected"
    assert tryon(shop, mine).plan["person_keypoints"][1][0] == pytest.approx(standing[1][0])


def test_a_photo_with_nobody_found_in_it_needs_the_shoppers_pose_and_is_not_kept_without_it(
    shop, media_root, monkeypatch
):
    monkeypatch.setattr("generation.keypoints.detector_available", lambda: True)
    monkeypatch.setattr("generation.keypoints.detect_keypoints", lambda image: None)
    mine = shopper(shop, "session:me")
    before = stored_files(media_root)

    with pytest.raises(ValidationError) as refused:
        shopper_photo_upload(shopper_model=mine, photo=selfie(), consent=True)

    assert "pose" in refused.value.message_dict and stored_files(media_root) == before
    assert not FashionModel.objects.filter(private=True).exists()
    standing = shopper_photo_upload(shopper_model=mine, photo=selfie(), consent=True, pose=shop["pose"])
    assert standing.fashion_model.photo_keypoints_source == "edited"
