"""With a bucket for storage, a shopper's photo and everything made from it leave the bucket as they leave a
folder: at "Delete my photo" and after TRYON_SHOPPER_PHOTO_HOURS, while everyone else's files stay."""

from datetime import timedelta

import boto3
import pytest
from django.utils import timezone

from tests.tryon.s3 import CREDENTIALS, s3_server, storage_settings, stored_keys  # noqa: F401 (a fixture)
from tests.tryon.shoppers.conftest import selfie
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import tryon_job_create
from tryon.jobs.sweeper import tryon_jobs_sweep_exclusive
from tryon.shoppers.services import shopper_model_set, shopper_photo_delete, shopper_photo_upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture
def bucket(settings, s3_server, monkeypatch):  # noqa: F811 (the fixture imported above)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": storage_settings(s3_server)}
    s3 = boto3.client("s3", endpoint_url=s3_server, **CREDENTIALS)
    for key in stored_keys(s3):  # the server lives for the module: each story starts from an empty bucket
        s3.delete_object(Bucket="tryon-media", Key=key)
    return s3


@pytest.fixture
def shop_in_bucket(bucket):
    from tests.factories import MerchantFactory, shop_with_picks
    from tests.tryon.garment_photos import striped_garment, upload
    from tryon.catalog.services import garment_create

    shop = shop_with_picks(MerchantFactory(shopper_photos=True))
    tee = garment_create(merchant=shop["merchant"], name="Breton tee", category="top", image=upload(striped_garment()))
    shop["catalog_item"].garments.set([tee])
    return shop


def photographed_and_tried_on(shop, owner: str):
    mine = shopper_model_set(
        merchant=shop["merchant"], owner=owner, gender_presentation="feminine", age_range="18-24",
        body_type="petite", skin_tone="light",
    )  # fmt: skip
    mine = shopper_photo_upload(shopper_model=mine, photo=selfie(), consent=True, pose=shop["pose"])
    picks = {name: shop[name] for name in ("merchant", "catalog_item", "pose", "scene")}
    job = tryon_job_create(**picks, fashion_model=mine.fashion_model, enqueue=False)
    tryon_job_render(job_id=job.id)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    image = job.images.get()
    files = {mine.fashion_model.reference_photo.name, job.draft.name, image.file.name, image.garment_mask.name}
    return mine, files - {""}


def test_delete_my_photo_empties_the_bucket_of_it_and_leaves_the_rest(
    bucket, shop_in_bucket, django_capture_on_commit_callbacks
):
    merchant_keys = set(stored_keys(bucket))
    _theirs, their_keys = photographed_and_tried_on(shop_in_bucket, "session:them")
    mine, my_keys = photographed_and_tried_on(shop_in_bucket, "session:me")
    assert len(my_keys) >= 3 and my_keys <= set(stored_keys(bucket))

    with django_capture_on_commit_callbacks(execute=True):
        shopper_photo_delete(shopper_model=mine)

    left = set(stored_keys(bucket))
    assert not my_keys & left and their_keys <= left and merchant_keys <= left


def test_the_sweeper_empties_the_bucket_of_an_expired_photo(
    bucket, shop_in_bucket, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TRYON_SHOPPER_PHOTO_HOURS = 24
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    _mine, my_keys = photographed_and_tried_on(shop_in_bucket, "session:me")
    later = now + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    with django_capture_on_commit_callbacks(execute=True):
        tryon_jobs_sweep_exclusive(holder="test")

    assert not my_keys & set(stored_keys(bucket))
    assert any(key.startswith("garments/") for key in stored_keys(bucket))  # the shop's own stay
