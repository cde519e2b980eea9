"""A merchant selects garments or catalog items, picks fashion models × poses × scenes on one page, and
gets a batch whose renders land in the galleries awaiting approval."""

import pytest

from tests.factories import (
    CatalogItemFactory,
    FashionModelFactory,
    GarmentFactory,
    PoseFactory,
    SceneFactory,
    shop_with_picks,
)
from tryon.catalog.models import CatalogItem
from tryon.jobs.models import TryOnBatch

pytestmark = pytest.mark.django_db


def render_previews(client, changelist, selected, **picks):
    data = {"action": "render_previews", "_selected_action": [obj.id for obj in selected]}
    if picks:
        data |= {
            "render": "1",
            **{name: chosen if name == "samples" else [obj.id for obj in chosen] for name, chosen in picks.items()},
        }
    return client.post(changelist, data)


def test_the_picker_page_offers_only_the_merchants_own_picks(staff_client, shop):
    strangers = shop_with_picks()

    page = render_previews(staff_client, "/admin/catalog/catalogitem/", [shop["catalog_item"]]).content.decode()

    assert "Render previews" in page and shop["catalog_item"].title in page
    assert f'name="fashion_models" value="{shop["fashion_model"].id}"' in page and shop["fashion_model"].name in page
    assert strangers["fashion_model"].name not in page
    assert f"/admin/catalog/pose/{strangers['pose'].id}/skeleton.png" not in page
    assert f"/admin/catalog/pose/{shop['pose'].id}/skeleton.png" in page  # poses are picked by their skeleton


def test_catalog_items_times_models_poses_scenes_become_one_batch(staff_client, shop):
    merchant = shop["merchant"]
    items = [shop["catalog_item"], CatalogItemFactory(merchant=merchant)]
    models = [shop["fashion_model"], FashionModelFactory(merchant=merchant)]

    response = render_previews(
        staff_client,
        "/admin/catalog/catalogitem/",
        items,
        fashion_models=models,
        poses=[shop["pose"]],
        scenes=[shop["scene"]],
    )

    batch = TryOnBatch.objects.get()
    assert response["Location"] == f"/admin/jobs/tryonbatch/{batch.id}/change/"
    assert batch.jobs.count() == 4
    assert {job.catalog_item for job in batch.jobs.all()} == set(items)
    assert {job.samples for job in batch.jobs.all()} == {1}


def test_several_images_per_combination_give_more_to_choose_from(
    staff_client, shop, django_capture_on_commit_callbacks
):
    pick = {"fashion_models": [shop["fashion_model"]], "poses": [shop["pose"]], "scenes": [shop["scene"]]}

    with django_capture_on_commit_callbacks(execute=True):  # the render runs inline in these tests
        render_previews(staff_client, "/admin/catalog/catalogitem/", [shop["catalog_item"]], **pick, samples="3")

    job = TryOnBatch.objects.get().jobs.get()
    assert job.samples == 3 and job.images.count() == 3
    assert sorted(job.images.values_list("seed", flat=True)) == [job.seed, job.seed + 1, job.seed + 2]


def test_garments_render_into_their_own_catalog_items(staff_client, shop):
    merchant = shop["merchant"]
    sold_alone = shop["catalog_item"].garments.get()
    new_garment = GarmentFactory(merchant=merchant, name="Wool scarf")
    CatalogItemFactory(merchant=merchant, garments=[new_garment, sold_alone])  # an outfit is not its own item

    render_previews(
        staff_client,
        "/admin/catalog/garment/",
        [sold_alone, new_garment],
        fashion_models=[shop["fashion_model"]],
        poses=[shop["pose"]],
        scenes=[shop["scene"]],
    )

    made = CatalogItem.objects.get(sku=f"G-{new_garment.id}")
    assert (made.title, list(made.garments.all())) == ("Wool scarf", [new_garment])
    items = {job.catalog_item for job in TryOnBatch.objects.get().jobs.all()}
    assert items == {shop["catalog_item"], made}


def test_missing_picks_are_explained_and_nothing_starts(staff_client, shop):
    page = render_previews(
        staff_client, "/admin/catalog/catalogitem/", [shop["catalog_item"]], fashion_models=[shop["fashion_model"]]
    ).content.decode()

    assert "Pick at least one of the poses." in page and "Pick at least one of the scenes." in page
    assert not TryOnBatch.objects.exists()


def test_an_operator_renders_for_one_merchant_at_a_time(client, django_user_model, shop):
    client.force_login(django_user_model.objects.create_superuser("operator", password="x"))
    other = shop_with_picks()

    mixed = render_previews(client, "/admin/catalog/catalogitem/", [shop["catalog_item"], other["catalog_item"]])
    single = render_previews(
        client,
        "/admin/catalog/catalogitem/",
        [other["catalog_item"]],
        fashion_models=[other["fashion_model"]],
        poses=[PoseFactory(merchant=other["merchant"])],
        scenes=[SceneFactory(merchant=other["merchant"])],
    )

    assert mixed.status_code == 302 and not TryOnBatch.objects.filter(merchant=shop["merchant"]).exists()
    assert single.status_code == 302 and TryOnBatch.objects.get().merchant == other["merchant"]
