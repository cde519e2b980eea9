"""A merchant reviews a catalog item's renders on its admin page: approved images reach the shop, the
primary one first; rejected and unreviewed ones never do."""

import pytest
from django.db import IntegrityError

from tests.factories import shop_with_picks
from tests.tryon.gallery import finished_job
from tests.tryon.links import link_path
from tryon.catalog.selectors import catalog_item_get
from tryon.jobs.models import GeneratedImage

pytestmark = pytest.mark.django_db


def review(client, image, action):
    return client.post(f"/admin/catalog/catalogitem/{image.catalog_item_id}/gallery/{image.id}/{action}/")


def test_the_item_page_shows_its_renders_awaiting_review_with_the_buttons(staff_client, shop):
    image = finished_job(shop, seed=1).images.get()

    page = staff_client.get(f"/admin/catalog/catalogitem/{shop['catalog_item'].id}/change/").content.decode()

    assert link_path(image.file) in page and "Awaiting review" in page
    for action in ("approve", "primary", "reject"):
        assert f"/gallery/{image.id}/{action}/" in page


def test_approved_images_reach_the_shop_primary_first_and_rejected_ones_leave(staff_client, client, shop):
    older, newer, third = (finished_job(shop, seed=seed).images.get() for seed in (1, 2, 3))

    assert review(staff_client, older, "approve").status_code == 302
    review(staff_client, newer, "approve")
    review(staff_client, third, "reject")
    item = catalog_item_get(merchant=shop["merchant"], item_id=shop["catalog_item"].id)
    assert item.approved_images == [newer, older]  # newest first while none leads

    followed = review(staff_client, older, "primary")
    assert followed["Location"].endswith(f"/catalogitem/{shop['catalog_item'].id}/change/#gallery")
    item = catalog_item_get(merchant=shop["merchant"], item_id=shop["catalog_item"].id)
    assert item.approved_images == [older, newer]

    review(staff_client, newer, "primary")  # one primary per item: the old one steps down
    assert list(GeneratedImage.objects.filter(primary=True)) == [newer]
    review(staff_client, newer, "reject")
    newer.refresh_from_db()
    assert (newer.approved, newer.rejected, newer.primary) == (False, True, False)

    product = client.get(f"/shop/{shop['merchant'].slug}/items/{shop['catalog_item'].id}/").content.decode()
    assert link_path(older.file) in product
    assert link_path(newer.file) not in product and link_path(third.file) not in product


def test_gallery_buttons_only_post_and_only_reach_the_merchants_own_images(staff_client, shop):
    mine = finished_job(shop, seed=1).images.get()
    theirs = finished_job(shop_with_picks(), seed=1).images.get()

    assert (
        staff_client.get(f"/admin/catalog/catalogitem/{mine.catalog_item_id}/gallery/{mine.id}/approve/").status_code
        == 405
    )
    assert review(staff_client, theirs, "approve").status_code == 404
    mixed = f"/admin/catalog/catalogitem/{mine.catalog_item_id}/gallery/{theirs.id}/approve/"
    assert staff_client.post(mixed).status_code == 404
    assert review(staff_client, mine, "delete").status_code == 404
    theirs.refresh_from_db()
    assert not theirs.approved


def test_the_database_refuses_contradictory_reviews(shop):
    image = finished_job(shop, seed=1).images.get()

    with pytest.raises(IntegrityError):
        GeneratedImage.objects.filter(pk=image.pk).update(approved=True, rejected=True)


def test_bulk_review_from_the_generated_images_list(staff_client, shop):
    images = [finished_job(shop, seed=seed).images.get() for seed in (1, 2)]

    staff_client.post(
        "/admin/jobs/generatedimage/", {"action": "approve", "_selected_action": [image.id for image in images]}
    )

    assert GeneratedImage.objects.filter(approved=True).count() == 2
    waiting = staff_client.get("/admin/jobs/generatedimage/?review=waiting").content.decode()
    assert link_path(images[0].file) not in waiting
