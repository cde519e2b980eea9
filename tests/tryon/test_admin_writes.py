"""The merchant admin writes through the catalog services: a photo uploaded in the admin ends up exactly as
one sent by any other path (the API, demo data, commands), cut-out and all; a replaced photo is cut out
again, and a refused change stores nothing."""

import hashlib

import pytest
from django.conf import settings

from tests.factories import MerchantFactory, StaffFactory
from tests.tryon.garment_photos import NAVY, RED, TROUSERS, striped_garment, upload
from tests.tryon.images import photo_upload, raw_upload
from tryon.catalog.models import FashionModel, Garment, Scene
from tryon.catalog.services import garment_create

pytestmark = pytest.mark.django_db

GARMENT = {"name": "Breton tee", "category": "top", "colour": "#1f3a5f"}
MODEL = {"name": "Amara", "gender_presentation": "feminine", "age_range": "25-34", "body_type": "athletic"}


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def stored(field_file) -> bytes:
    with field_file.open("rb") as file:
        return file.read()


def stored_files() -> set:
    root = settings.MEDIA_ROOT
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def test_an_admin_upload_and_a_service_upload_of_the_same_photo_are_the_same_garment(client, staff):
    photo = striped_garment()

    assert client.post("/admin/catalog/garment/add/", {**GARMENT, "image": upload(photo)}).status_code == 302
    by_admin = Garment.objects.get(merchant=staff.merchant)
    by_api = garment_create(merchant=MerchantFactory(), **GARMENT, image=upload(photo))

    assert stored(by_admin.image) == stored(by_api.image)  # the same normalised JPEG, byte for byte
    assert by_admin.image_sha256 == by_api.image_sha256 == hashlib.sha256(stored(by_api.image)).hexdigest()
    assert (by_admin.image_width, by_admin.image_height) == (by_api.image_width, by_api.image_height)
    assert by_admin.cutout_sha256 and by_admin.cutout_sha256 == by_api.cutout_sha256  # the same cut-out
    assert stored(by_admin.cutout) == stored(by_api.cutout) and by_admin.cutout_of == by_admin.image_sha256


def test_a_photo_replaced_in_the_admin_is_cut_out_again(client, staff):
    client.post("/admin/catalog/garment/add/", {**GARMENT, "image": upload(striped_garment())})
    garment = Garment.objects.get()
    first_photo, first_cutout = garment.image_sha256, garment.cutout_sha256

    trousers = striped_garment(TROUSERS, colours=(RED, NAVY))
    changed = client.post(
        f"/admin/catalog/garment/{garment.id}/change/", {**GARMENT, "category": "bottom", "image": upload(trousers)}
    )

    assert changed.status_code == 302
    garment.refresh_from_db()
    assert garment.category == "bottom" and garment.image_sha256 != first_photo
    assert garment.cutout_of == garment.image_sha256 and garment.cutout_sha256 not in ("", first_cutout)


def test_a_change_without_a_new_photo_keeps_the_photo_and_its_cut_out(client, staff):
    client.post("/admin/catalog/garment/add/", {**GARMENT, "image": upload(striped_garment())})
    garment = Garment.objects.get()
    files = stored_files()

    # The stored photo is kept when the form sends no file (Django's admin requires one only on add).
    client.post(f"/admin/catalog/garment/{garment.id}/change/", {**GARMENT, "name": "Striped tee"})

    after = Garment.objects.get()
    assert after.name == "Striped tee"
    assert (after.image.name, after.cutout_sha256) == (garment.image.name, garment.cutout_sha256)
    assert stored_files() == files


def test_a_refused_photo_on_change_stores_nothing_and_changes_nothing(client, staff):
    client.post("/admin/catalog/garment/add/", {**GARMENT, "image": upload(striped_garment())})
    garment = Garment.objects.get()
    files = stored_files()

    refused = client.post(
        f"/admin/catalog/garment/{garment.id}/change/",
        {**GARMENT, "name": "Renamed", "image": raw_upload(b"not a photo", name="tee.jpg")},
    )

    assert refused.status_code == 200 and "not an image we can read" in refused.content.decode()
    assert Garment.objects.get().name == GARMENT["name"] and stored_files() == files


def test_a_fashion_model_photo_cleared_in_the_admin_takes_its_keypoints_with_it(client, staff):
    client.post("/admin/catalog/fashionmodel/add/", {**MODEL, "skin_tone": "tan", "reference_photo": photo_upload()})
    model = FashionModel.objects.get()
    assert model.reference_photo and model.reference_photo_sha256

    client.post(
        f"/admin/catalog/fashionmodel/{model.id}/change/", {**MODEL, "skin_tone": "deep", "reference_photo-clear": "on"}
    )

    model.refresh_from_db()
    assert model.skin_tone == "deep"
    assert (model.reference_photo.name, model.reference_photo_sha256, model.photo_keypoints) == ("", "", None)


def test_a_superuser_cannot_move_a_garment_to_another_merchants_catalog(client):
    operator = StaffFactory(is_superuser=True, merchant=None)
    client.force_login(operator)
    owner, other = MerchantFactory(), MerchantFactory()
    garment = garment_create(merchant=owner, **GARMENT, image=upload(striped_garment()))

    client.post(f"/admin/catalog/garment/{garment.id}/change/", {**GARMENT, "merchant": other.id, "name": "Moved"})

    garment.refresh_from_db()
    assert (garment.merchant, garment.name) == (owner, "Moved")


def test_a_scene_picture_replaced_and_removed_in_the_admin(client, staff):
    client.post("/admin/catalog/scene/add/", {"name": "Beach", "prompt": "sandy beach", "picture": photo_upload()})
    scene = Scene.objects.get()
    first = scene.picture.name

    client.post(f"/admin/catalog/scene/{scene.id}/change/", {"name": "Beach", "prompt": "sandy beach",
                                                              "picture": photo_upload(size=(400, 300))})  # fmt: skip
    scene.refresh_from_db()
    assert scene.picture.name not in ("", first)

    client.post(f"/admin/catalog/scene/{scene.id}/change/", {"name": "Beach", "prompt": "dunes", "picture-clear": "on"})
    scene.refresh_from_db()
    assert (scene.prompt, scene.picture.name) == ("dunes", "")
