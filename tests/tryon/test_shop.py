"""A shopper browses the catalog, opens a product, tries it on and watches the result arrive;
a shopper never sees someone else's try-on, and merchant staff never see another merchant's rows."""

import pytest

from tests.factories import GarmentFactory, StaffFactory, shop_with_picks
from tests.tryon.links import SignedLink, link_path
from tryon.jobs.models import TryOnJob

pytestmark = pytest.mark.django_db


def test_a_shopper_tries_a_product_on_and_sees_the_result(client, django_capture_on_commit_callbacks):
    shop = shop_with_picks()
    merchant, item = shop["merchant"], shop["catalog_item"]

    catalog = client.get("/", follow=True)
    assert item.title in catalog.content.decode()
    product = client.get(f"/shop/{merchant.slug}/items/{item.id}/")
    assert shop["fashion_model"].name in product.content.decode()

    picks = {"fashion_model": shop["fashion_model"].id, "pose": shop["pose"].id, "scene": shop["scene"].id}
    with django_capture_on_commit_callbacks(execute=True):  # the render is sent once the job is committed
        pressed = client.post(f"/shop/{merchant.slug}/items/{item.id}/", picks)

    job = TryOnJob.objects.get()  # rendered inline: test settings run tasks eagerly
    assert pressed["Location"] == f"/shop/{merchant.slug}/tryons/{job.id}/"
    assert job.status == "succeeded", job.error
    result_page = client.get(pressed["Location"])
    image_url = link_path(job.images.get().file)
    assert image_url in result_page.content.decode()
    status = client.get(f"/shop/{merchant.slug}/tryons/{job.id}/status").json()
    assert status == {
        "id": job.id,
        "status": "succeeded",
        "steps_done": job.steps_total,
        "steps_total": job.steps_total,
        "progress": 1.0,
        "error": "",
        "failure_code": "",
        "notice": job.notice,  # the factory's photo is one flat colour: nothing to cut out, drawn from words
        "draft": None,
        "images": [SignedLink(job.images.get().file)],
    }


def test_picks_from_another_shop_are_refused_on_the_form(client):
    shop, other = shop_with_picks(), shop_with_picks()
    merchant, item = shop["merchant"], shop["catalog_item"]

    response = client.post(
        f"/shop/{merchant.slug}/items/{item.id}/",
        {"fashion_model": other["fashion_model"].id, "pose": shop["pose"].id, "scene": shop["scene"].id},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not TryOnJob.objects.exists()


def test_a_shopper_cannot_open_someone_elses_try_on(client, django_user_model):
    from tryon.jobs.services import tryon_job_create

    shop = shop_with_picks()
    job = tryon_job_create(**shop)

    assert client.get(f"/shop/{shop['merchant'].slug}/tryons/{job.id}/").status_code == 404
    assert client.get(f"/shop/{shop['merchant'].slug}/tryons/{job.id}/status").status_code == 404


def test_merchant_staff_see_only_their_own_garments_in_the_admin(client):
    staff = StaffFactory()
    own = GarmentFactory(merchant=staff.merchant, name="Our linen shirt")
    theirs = GarmentFactory(name="Their silk scarf")
    client.force_login(staff)

    listing = client.get("/admin/catalog/garment/").content.decode()

    assert own.name in listing and theirs.name not in listing
    assert client.get(f"/admin/catalog/garment/{theirs.id}/change/").status_code in (302, 404)
    assert client.get(f"/admin/catalog/garment/{own.id}/change/").status_code == 200
