"""A shop that lets shoppers try garments on their own photo, a garment it can warp, and the photos shoppers send."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import MerchantFactory, shop_with_picks
from tests.tryon.garment_photos import striped_garment, upload
from tryon.catalog.services import garment_create

GPS_TAG, MAKE_TAG = 0x8825, 0x010F


def selfie_bytes(*, colour=(90, 120, 150), gps=True) -> bytes:
    """A phone photo: a JPEG whose EXIF says the camera and where it was taken."""
    image = Image.new("RGB", (512, 768), colour)
    exif = Image.Exif()
    exif[MAKE_TAG] = "PhoneCam"
    if gps:
        exif[GPS_TAG] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def selfie(**options) -> SimpleUploadedFile:
    return SimpleUploadedFile("jane-doe-at-home.jpg", selfie_bytes(**options), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def checker(monkeypatch):
    """The shop's content checks (on: a shop with own photos is moderated) with a tiny safety checker that passes
    everything; `checker("blocks")` swaps in one that blocks everything."""
    from generation.moderation_tiny import build_tiny_checker

    def use(kind: str) -> None:
        monkeypatch.setenv("TRYON_MODERATION_WEIGHTS", str(build_tiny_checker(blocks=kind == "blocks")))

    use("passes")
    return use


@pytest.fixture
def shop():
    """A shop with own photos switched on, one of each pick, and a striped tee that can be warped."""
    shop = shop_with_picks(MerchantFactory(shopper_photos=True))
    tee = garment_create(merchant=shop["merchant"], name="Breton tee", category="top", image=upload(striped_garment()))
    shop["catalog_item"].garments.set([tee])
    shop["garment"] = tee
    return shop


def stored_files(root) -> set[str]:
    """Every file under MEDIA_ROOT, as storage names."""
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} if root.exists() else set()
