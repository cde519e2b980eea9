"""A storefront reads its merchant's catalog and picks: lists, details, absolute URLs, pages."""

import itertools

import pytest
from django.core.files.base import ContentFile

from tests.factories import CatalogItemFactory, GarmentFactory
from tests.tryon.links import SignedLink
from tryon.jobs.models import GeneratedImage
from tryon.jobs.services import tryon_job_create

pytestmark = pytest.mark.django_db
seeds = itertools.count(1)  # identical requests share one job: each image gets a job of its own


def gallery_image(shop, *, approved: bool) -> GeneratedImage:
    job = tryon_job_create(**shop.shop, seed=next(seeds), enqueue=False)
    image = GeneratedImage(
        merchant=shop.merchant, job=job, catalog_item=shop["catalog_item"], width=8, height=12, seed=1, parameters="p"
    )
    image.file.save("image.png", ContentFile(b"not really a png"), save=False)
    image.approved = approved
    image.save()
    return image


def test_a_catalog_item_shows_its_garments_and_only_its_approved_gallery_images(storefront):
    item = storefront["catalog_item"]
    approved = gallery_image(storefront, approved=True)
    gallery_image(storefront, approved=False)

    listed = storefront.client.get("/api/v1/catalog-items").json()
    detail = storefront.client.get(f"/api/v1/catalog-items/{item.id}").json()

    assert listed["count"] == 1 and listed["results"] == [detail]
    assert detail["sku"] == item.sku and detail["title"] == item.title
    assert detail["garment_ids"] == [garment.id for garment in item.garments.all()]
    assert [image["id"] for image in detail["gallery"]] == [approved.id]
    assert detail["gallery"][0]["url"] == SignedLink(approved.file, host="http://testserver")


@pytest.mark.parametrize(
    ("route", "pick", "fields"),
    [
        ("garments", None, {"name", "category", "colour", "image_url", "image_width", "image_height"}),
        ("fashion-models", "fashion_model", {"name", "gender_presentation", "skin_tone", "reference_photo_url"}),
        ("poses", "pose", {"name", "keypoints"}),
        ("scenes", "scene", {"name", "prompt", "negative_prompt", "lighting", "picture_url"}),
    ],
)
def test_every_pick_can_be_listed_and_read_one_by_one(storefront, route, pick, fields):
    row = storefront[pick] if pick else storefront["catalog_item"].garments.get()

    listed = storefront.client.get(f"/api/v1/{route}")
    detail = storefront.client.get(f"/api/v1/{route}/{row.id}")

    assert listed.status_code == detail.status_code == 200
    assert listed.json()["results"] == [detail.json()]
    assert detail.json()["id"] == row.id and fields <= set(detail.json())


def test_a_garment_image_is_an_absolute_url_and_a_pose_has_18_keypoints(storefront):
    garment = storefront["catalog_item"].garments.get()

    image_url = storefront.client.get(f"/api/v1/garments/{garment.id}").json()["image_url"]
    keypoints = storefront.client.get(f"/api/v1/poses/{storefront['pose'].id}").json()["keypoints"]

    assert image_url == SignedLink(garment.image, host="http://testserver")
    assert len(keypoints) == 18 and all(len(point) == 3 for point in keypoints)


def test_long_lists_come_in_pages(storefront):
    CatalogItemFactory.create_batch(
        4, merchant=storefront.merchant, garments=[GarmentFactory(merchant=storefront.merchant)]
    )

    first = storefront.client.get("/api/v1/catalog-items", {"page_size": 2}).json()
    last = storefront.client.get(first["next"]).json()
    third = storefront.client.get(last["next"]).json()

    assert first["count"] == 5 and len(first["results"]) == len(last["results"]) == 2
    assert third["next"] is None and len(third["results"]) == 1
    ids = [item["id"] for page in (first, last, third) for item in page["results"]]
    assert len(set(ids)) == 5
