"""A merchant uploads garment photos: whatever the camera produced is stored upright, RGB and bounded;
whatever is not a usable photo is refused with a message that names the field, and leaves nothing behind."""

import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image

from tests.factories import MerchantFactory, StaffFactory
from tests.tryon.images import photo_upload, raw_upload
from tryon.catalog.models import Garment
from tryon.catalog.services import garment_create

pytestmark = pytest.mark.django_db


def stored_files():
    root = settings.MEDIA_ROOT
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(merchant, image, **fields):
    return garment_create(merchant=merchant, name="Shirt", category="top", image=image, **fields)


def test_a_sideways_phone_photo_is_stored_upright_as_rgb_jpeg():
    # EXIF orientation 6: the camera was held sideways, the pixels are stored rotated.
    garment = upload(MerchantFactory(), photo_upload(size=(384, 256), exif_orientation=6))

    with Image.open(garment.image.path) as stored:
        assert stored.format == "JPEG"
        assert stored.mode == "RGB"
        assert stored.size == (256, 384)
    assert (garment.image_width, garment.image_height) == (256, 384)
    assert len(garment.image_sha256) == 64


def test_a_cut_out_png_gets_a_white_background_not_a_black_one():
    garment = upload(MerchantFactory(), photo_upload(mode="RGBA", colour=(0, 0, 0, 0), fmt="PNG"))

    with Image.open(garment.image.path) as stored:
        assert stored.getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=2)


def test_a_huge_photo_is_scaled_down_to_the_configured_longest_side(settings):
    settings.TRYON_IMAGE_MAX_SIDE = 100
    garment = upload(MerchantFactory(), photo_upload(size=(800, 400)))

    assert (garment.image_width, garment.image_height) == (100, 50)


@pytest.mark.parametrize(
    ("make_upload", "message"),
    [
        (lambda: raw_upload(b"this is a text file, not a photo"), "not an image we can read"),
        (lambda: raw_upload(b""), "empty"),
        (lambda: photo_upload(fmt="GIF"), "GIF images are not accepted"),
        (lambda: raw_upload(_truncated_jpeg()), "damaged or truncated"),
    ],
    ids=["text-file", "empty", "gif", "truncated"],
)
def test_an_unusable_file_is_refused_on_the_image_field_and_nothing_is_saved(make_upload, message):
    merchant = MerchantFactory()

    with pytest.raises(ValidationError) as refused:
        upload(merchant, make_upload())

    assert message in " ".join(refused.value.message_dict["image"])
    assert not Garment.objects.exists()
    assert stored_files() == []


def test_a_file_over_the_size_limit_is_refused_before_it_is_decoded(settings):
    settings.TRYON_UPLOAD_MAX_BYTES = 2048
    with pytest.raises(ValidationError) as refused:
        upload(MerchantFactory(), photo_upload(size=(800, 800), fmt="PNG", colour="#123456"))

    assert "the limit is 2.0 KB" in refused.value.message_dict["image"][0]


def test_a_decompression_bomb_is_refused_from_its_header(settings):
    settings.TRYON_UPLOAD_MAX_PIXELS = 10_000
    with pytest.raises(ValidationError) as refused:
        upload(MerchantFactory(), photo_upload(size=(300, 300)))

    assert "300x300 pixels" in refused.value.message_dict["image"][0]


def test_a_bad_colour_is_refused_by_name_and_the_photo_is_not_kept():
    with pytest.raises(ValidationError) as refused:
        upload(MerchantFactory(), photo_upload(), colour="blue-ish")

    assert "colour" in refused.value.message_dict
    assert not Garment.objects.exists()
    assert stored_files() == []


def test_the_admin_shows_an_upload_error_next_to_the_field_not_a_500(client):
    staff = StaffFactory()
    client.force_login(staff)

    response = client.post(
        "/admin/catalog/garment/add/",
        {"name": "Shirt", "category": "top", "image": raw_upload(b"not a photo at all")},
    )

    assert response.status_code == 200
    assert "This is not an image we can read" in response.content.decode()
    assert not Garment.objects.exists()


def _truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((256, 256), 64).convert("RGB").save(buffer, format="JPEG")
    return buffer.getvalue()[: buffer.tell() // 2]
