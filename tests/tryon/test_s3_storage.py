"""With a bucket configured, uploads and renders live in S3-compatible storage and the app hands out
its URLs. Tested against moto's standalone S3 server on 127.0.0.1."""

import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from PIL import Image

from tests.factories import shop_with_picks
from tests.tryon.images import photo_upload
from tests.tryon.s3 import CREDENTIALS, s3_server, storage_settings, stored_keys  # noqa: F401 (a fixture)
from tryon.catalog.services import garment_create
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import tryon_job_create
from tryon.media.signing import signed_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture
def bucket_storage(settings, s3_server, monkeypatch):  # noqa: F811 (the fixture imported above)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": storage_settings(s3_server)}
    return boto3.client("s3", endpoint_url=s3_server, **CREDENTIALS)


def test_a_garment_and_its_try_on_are_stored_in_the_bucket_and_served_by_signed_url(bucket_storage):
    shop = shop_with_picks()
    garment = garment_create(merchant=shop["merchant"], name="Tee", category="top", image=photo_upload())
    shop["catalog_item"].garments.set([garment])
    job = tryon_job_create(**shop)

    tryon_job_render(job_id=job.id)

    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    image = job.images.get()
    assert {garment.image.name, image.file.name} <= set(stored_keys(bucket_storage))
    url = signed_url(image.file, ttl=120)  # what pages and the API hand out: the bucket's presigned URL
    assert url.startswith(bucket_storage.meta.endpoint_url) and "Signature=" in url
    query = parse_qs(urlsplit(url).query)  # SigV4 says how long it lives, SigV2 until when
    lifetime = int(query["X-Amz-Expires"][0]) if "X-Amz-Expires" in query else int(query["Expires"][0]) - time.time()
    assert 60 < lifetime <= 120
    with urllib.request.urlopen(url) as response, Image.open(response) as png:
        assert png.format == "PNG" and png.info["parameters"] == image.parameters
    unsigned = url.split("?")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned)
    assert refused.value.code == 403  # the bucket is private: only presigned URLs open
