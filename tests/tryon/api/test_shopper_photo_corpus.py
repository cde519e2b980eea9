"""A shopper's own photo meets the same hostile files as the merchant's uploads (tests/tryon/test_upload_corpus.py):
a bomb, a photo too small or too long, a text-chunk bomb is refused by the photo field on the shop's page and
through the API, with nothing stored and never a 500."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.tryon.test_upload_corpus import CORPUS, corpus_file
from tryon.shoppers.models import ShopperModel

pytestmark = pytest.mark.django_db
REFUSED = [name for name, photo in CORPUS.items() if photo.expected is None]
JSON = {"HTTP_ACCEPT": "application/json"}
ME = {"gender_presentation": "feminine", "age_range": "35-44", "body_type": "curvy", "skin_tone": "deep"}


def stored(media_root) -> list:
    return sorted(path for path in media_root.rglob("*") if path.is_file())


def hostile(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.png", corpus_file(name), content_type="application/octet-stream")


@pytest.fixture
def photos_allowed(storefront):
    cache.clear()  # the shop's per-session budgets
    storefront.merchant.shopper_photos = True
    storefront.merchant.moderation_level = "off"  # refused for what the file is, before any content check
    storefront.merchant.save()
    return storefront


@pytest.mark.parametrize("name", REFUSED)
def test_a_hostile_file_is_refused_by_the_photo_field_on_the_shops_page(client, photos_allowed, media_root, name):
    page = f"/shop/{photos_allowed.merchant.slug}/your-model/"
    client.post(page, {**ME, "hair_length": "long", "hair_texture": "curly", "hair_colour": "black"})
    before = stored(media_root)

    answer = client.post(f"{page}photo", {"consent": "on", "photo": hostile(name)}, **JSON)

    assert answer.status_code == 400 and list(answer.json()["errors"]) == ["photo"]
    assert CORPUS[name].refused in " ".join(answer.json()["errors"]["photo"])
    assert stored(media_root) == before and not ShopperModel.objects.get().has_photo


@pytest.mark.parametrize("name", REFUSED)
def test_a_hostile_file_is_refused_by_the_photo_field_through_the_api(photos_allowed, media_root, name):
    made = photos_allowed.client.post("/api/v1/shopper-models", ME, format="json").json()
    before = stored(media_root)

    answer = photos_allowed.client.post(
        f"/api/v1/shopper-models/{made['id']}/photo", {"photo": hostile(name), "consent": "true"}, format="multipart"
    )

    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["details"].keys() == {"photo"}
    assert CORPUS[name].refused in " ".join(answer.json()["error"]["details"]["photo"])
    assert stored(media_root) == before and not ShopperModel.objects.get().has_photo
