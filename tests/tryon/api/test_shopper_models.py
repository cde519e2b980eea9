"""A storefront plugin keeps its shoppers' "someone like me" models through the API: described, photographed with
their consent, tried on, and deleted; each belongs to the key that made it, and no other key ever sees it."""

import base64

import pytest

from tests.tryon.api.conftest import error_of
from tests.tryon.shoppers.conftest import checker, selfie, selfie_bytes, stored_files  # noqa: F401 (a fixture)
from tryon.catalog.models import FashionModel
from tryon.jobs.models import TryOnJob
from tryon.shoppers.models import ShopperModel

pytestmark = pytest.mark.django_db

ME = {"gender_presentation": "feminine", "age_range": "25-34", "body_type": "slim", "skin_tone": "deep"}


@pytest.fixture
def shop(storefront):
    storefront.merchant.shopper_photos = True
    storefront.merchant.save()
    return storefront


def created(shop, **body) -> dict:
    response = shop.client.post("/api/v1/shopper-models", {**ME, **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_plugin_describes_a_shopper_and_reads_it_back(shop):
    response = shop.client.post("/api/v1/shopper-models", {**ME, "height_cm": 160}, format="json")

    assert response.status_code == 201, response.json()
    made = response.json()
    assert response["Location"] == f"http://testserver/api/v1/shopper-models/{made['id']}"
    assert made["body_type"] == "slim" and made["height_cm"] == 160 and made["has_photo"] is False
    assert shop.client.get(f"/api/v1/shopper-models/{made['id']}").json() == made
    person = ShopperModel.objects.get(pk=made["id"]).fashion_model_id
    assert person not in [row["id"] for row in shop.client.get("/api/v1/fashion-models").json()["results"]]
    assert FashionModel.objects.filter(transient=False).count() == 1  # the shop's own only


def test_the_closest_of_the_shops_models_is_copied(shop):
    closest = shop["fashion_model"]

    response = shop.client.post("/api/v1/shopper-models", {"like": closest.id, "hair": "a shaved head"}, format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["skin_tone"], response.json()["hair"], response.json()["like"]) == (
        closest.skin_tone, "a shaved head", closest.id,
    )  # fmt: skip


def test_the_same_client_ref_is_the_same_shopper_model_changed(shop):
    first = shop.client.post("/api/v1/shopper-models", {**ME, "client_ref": "cust-42"}, format="json")
    again = shop.client.post(
        "/api/v1/shopper-models", {"client_ref": "cust-42", "body_type": "athletic"}, format="json"
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["body_type"] == "athletic"
    assert again.json()["client_ref"] == "cust-42" and ShopperModel.objects.count() == 1


@pytest.mark.parametrize("method", ["put", "patch"])
def test_attributes_change_and_those_left_out_stay(shop, method):
    made = created(shop)

    response = getattr(shop.client, method)(f"/api/v1/shopper-models/{made['id']}", {"height_cm": 181}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["height_cm"], response.json()["skin_tone"]) == (181, "deep")


@pytest.mark.parametrize(
    "body, field",
    [
        ({**ME, "body_type": "giant"}, "body_type"),
        ({**ME, "height_cm": 20}, "height_cm"),
        ({"body_type": "slim"}, "gender_presentation"),
        ({**ME, "client_ref": "has spaces"}, "client_ref"),
        ({**ME, "like": 999999}, "like"),
    ],
)
def test_a_bad_attribute_is_refused_by_its_name_and_nothing_is_made(shop, body, field):
    response = shop.client.post("/api/v1/shopper-models", body, format="json")

    assert response.status_code in (400, 404) and error_of(response)["field"] == field, response.json()
    assert not ShopperModel.objects.exists()


def test_another_shops_model_is_not_found_as_closest(shop, other_storefront):
    response = shop.client.post("/api/v1/shopper-models", {"like": other_storefront["fashion_model"].id}, format="json")

    assert response.status_code == 404 and error_of(response)["field"] == "like"


def test_a_photo_without_consent_is_400_and_nothing_is_stored(shop, media_root):
    made = created(shop)
    before = stored_files(media_root)

    response = shop.client.post(
        f"/api/v1/shopper-models/{made['id']}/photo", {"photo": selfie(), "consent": "false"}, format="multipart"
    )

    assert response.status_code == 400 and error_of(response)["field"] == "consent"
    assert stored_files(media_root) == before


def test_a_shop_without_own_photos_refuses_them(storefront, media_root):
    made = created(storefront)

    response = storefront.client.post(
        f"/api/v1/shopper-models/{made['id']}/photo", {"photo": selfie(), "consent": "true"}, format="multipart"
    )

    assert response.status_code == 400 and error_of(response)["field"] == "photo"
    assert not FashionModel.objects.filter(private=True).exists()


def test_a_consented_photo_as_a_file_or_a_data_uri_is_tried_on_and_deleted_on_request(
    shop, media_root, django_capture_on_commit_callbacks
):
    made = created(shop)
    url = f"/api/v1/shopper-models/{made['id']}/photo"
    as_file = shop.client.post(url, {"photo": selfie(), "consent": "true"}, format="multipart")
    assert as_file.status_code == 200, as_file.json()
    data_uri = f"data:image/jpeg;base64,{base64.b64encode(selfie_bytes()).decode()}"
    with django_capture_on_commit_callbacks(execute=True):  # the first photo goes as the second replaces it
        as_uri = shop.client.post(url, {"photo": data_uri, "consent": True, "pose_id": shop["pose"].id}, format="json")
    assert as_uri.status_code == 200, as_uri.json()
    assert as_uri.json()["has_photo"] and as_uri.json()["consent_version"] and as_uri.json()["photo_expires_at"]
    assert FashionModel.objects.filter(private=True).count() == 1  # the first photo went with the second

    body = {key: value for key, value in shop.tryon_body().items() if key != "fashion_model_id"}
    with django_capture_on_commit_callbacks(execute=True):
        tryon = shop.client.post("/api/v1/tryons", {**body, "shopper_model_id": made["id"]}, format="json")
    assert tryon.status_code in (200, 202), tryon.json()
    job = TryOnJob.objects.get(pk=tryon.json()["id"])
    assert job.fashion_model.private and job.catalog_item is None
    assert shop.client.get(f"/api/v1/tryons/{job.id}").status_code == 200
    photo = job.fashion_model.reference_photo.name
    made_from_it = {photo, job.draft.name, *(i.file.name for i in job.images.all())} - {""}
    assert made_from_it <= stored_files(media_root)

    with django_capture_on_commit_callbacks(execute=True):
        deleted = shop.client.delete(url)

    assert deleted.status_code == 204
    assert shop.client.get(f"/api/v1/shopper-models/{made['id']}").json()["has_photo"] is False
    assert not TryOnJob.objects.filter(pk=job.id).exists() and not FashionModel.objects.filter(private=True).exists()
    assert shop.client.get(f"/api/v1/tryons/{job.id}").status_code == 404
    assert not made_from_it & stored_files(media_root)


def test_a_try_on_names_a_fashion_model_or_a_shopper_model_not_both(shop):
    made = created(shop)

    both = shop.client.post("/api/v1/tryons", shop.tryon_body(shopper_model_id=made["id"]), format="json")
    neither = shop.client.post(
        "/api/v1/tryons", {"pose_id": shop["pose"].id, "scene_id": shop["scene"].id}, format="json"
    )

    assert both.status_code == 400 and error_of(both)["field"] == "shopper_model_id"
    assert neither.status_code == 400 and error_of(neither)["field"] == "fashion_model_id"


def test_another_key_of_the_same_shop_never_sees_a_shoppers_model_photo_or_renders(
    shop, django_capture_on_commit_callbacks
):
    made = created(shop)
    photo = shop.client.post(
        f"/api/v1/shopper-models/{made['id']}/photo", {"photo": selfie(), "consent": "true"}, format="multipart"
    )
    assert photo.status_code == 200, photo.json()
    body = {key: value for key, value in shop.tryon_body().items() if key != "fashion_model_id"}
    with django_capture_on_commit_callbacks(execute=True):
        job_id = shop.client.post("/api/v1/tryons", {**body, "shopper_model_id": made["id"]}, format="json").json()[
            "id"
        ]
    other = shop.another_key_client()
    path = f"/api/v1/shopper-models/{made['id']}"

    assert other.get(path).status_code == 404
    assert other.patch(path, {"height_cm": 170}, format="json").status_code == 404
    assert other.post(f"{path}/photo", {"photo": selfie(), "consent": "true"}, format="multipart").status_code == 404
    assert other.delete(f"{path}/photo").status_code == 404 and other.delete(path).status_code == 404
    tried = other.post("/api/v1/tryons", {**body, "shopper_model_id": made["id"]}, format="json")
    assert tried.status_code == 404 and error_of(tried)["field"] == "shopper_model_id"
    assert other.get(f"/api/v1/tryons/{job_id}").status_code == 404
    assert other.post(f"/api/v1/tryons/{job_id}/cancel").status_code == 404
    assert job_id not in [row["id"] for row in other.get("/api/v1/tryons").json()["results"]]
    assert job_id in [row["id"] for row in shop.client.get("/api/v1/tryons").json()["results"]]
    assert ShopperModel.objects.get(pk=made["id"]).has_photo  # nothing of it was touched


def test_deleting_a_shopper_model_deletes_it_with_its_renders(shop, django_capture_on_commit_callbacks):
    made = created(shop)

    with django_capture_on_commit_callbacks(execute=True):
        response = shop.client.delete(f"/api/v1/shopper-models/{made['id']}")

    assert response.status_code == 204
    assert shop.client.get(f"/api/v1/shopper-models/{made['id']}").status_code == 404
    assert not FashionModel.objects.filter(transient=True).exists()


def test_a_shopper_model_a_plugin_keeps_trying_on_is_never_swept_as_idle(shop, settings, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from tryon.shoppers.services import shopper_models_sweep

    now = [timezone.now()]  # a frozen clock, moved by hand
    monkeypatch.setattr(timezone, "now", lambda: now[0])
    almost_a_session = timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    made = created(shop)
    body = {key: value for key, value in shop.tryon_body().items() if key != "fashion_model_id"}

    now[0] += almost_a_session
    tried = shop.client.post("/api/v1/tryons", {**body, "shopper_model_id": made["id"]}, format="json")
    now[0] += almost_a_session
    shopper_models_sweep()

    assert tried.status_code == 202, tried.json()
    assert shop.client.get(f"/api/v1/shopper-models/{made['id']}").status_code == 200
