"""Nothing to wait for: the shop counts what shoppers pick, and every night (and when the merchant approves an
item) the most-picked and default combinations are rendered ahead of time, at batch priority, within a daily
cap, so the first shopper of the day gets a finished image."""

from datetime import timedelta

import pytest

from tests.factories import (
    CatalogItemFactory,
    FashionModelFactory,
    MerchantFactory,
    PoseFactory,
    SceneFactory,
    StaffFactory,
)
from tests.tryon.gallery import finish, finished_job
from tryon.jobs.models import PickCount, TryOnBatch, TryOnJob
from tryon.jobs.precompute import pick_count_record, tryon_precompute
from tryon.jobs.services import tryon_job_create
from tryon.jobs.tasks import precompute_popular_picks

pytestmark = pytest.mark.django_db
PRECOMPUTE = TryOnBatch.Source.PRECOMPUTE


@pytest.fixture
def boutique(settings):
    """Two items; the product page preselects Ada, A-pose, Studio (the first of each by name)."""
    settings.TRYON_PRECOMPUTE_TOP_PICKS = 2
    settings.TRYON_PRECOMPUTE_PER_DAY = 50
    merchant = MerchantFactory()
    return {
        "merchant": merchant,
        "dress": CatalogItemFactory(merchant=merchant, title="Dress"),
        "coat": CatalogItemFactory(merchant=merchant, title="Coat"),
        **{name: FashionModelFactory(merchant=merchant, name=name) for name in ("Bea", "Ada")},
        **{name: PoseFactory(merchant=merchant, name=name) for name in ("Walking", "Back", "A-pose")},
        "Studio": SceneFactory(merchant=merchant, name="Studio"),
    }


def pick(boutique, item, model, pose, times=1):
    for _ in range(times):
        pick_count_record(
            catalog_item=boutique[item], fashion_model=boutique[model], pose=boutique[pose], scene=boutique["Studio"]
        )


def shoppers_have_picked(boutique):
    pick(boutique, "dress", "Bea", "Walking", times=5)
    pick(boutique, "dress", "Ada", "Back", times=3)
    pick(boutique, "dress", "Bea", "Back", times=1)  # third for the dress: beyond the top two
    pick(boutique, "coat", "Bea", "Back", times=2)


def combination(job: TryOnJob) -> tuple:
    return (job.catalog_item.title, job.fashion_model.name, job.pose.name, job.scene.name)


def precomputed(batch: TryOnBatch) -> list[tuple]:
    return [combination(job) for job in batch.jobs.order_by("id")]


def shopper_job(boutique, item, model, pose) -> TryOnJob:
    """What pressing "Try it on" with these picks creates (tryon.shop.views)."""
    b = boutique
    return tryon_job_create(
        merchant=b["merchant"], catalog_item=b[item], fashion_model=b[model], pose=b[pose], scene=b["Studio"]
    )


def test_each_shopper_try_on_counts_its_combination_and_nothing_about_the_shopper(client, boutique):
    merchant, dress = boutique["merchant"], boutique["dress"]
    url = f"/shop/{merchant.slug}/items/{dress.id}/"
    walking = {"fashion_model": boutique["Bea"].id, "pose": boutique["Walking"].id, "scene": boutique["Studio"].id}

    assert client.post(url, walking).status_code == 302
    assert client.post(url, walking).status_code == 302  # the same picks again: the same job, one more pick
    assert client.post(url, {**walking, "pose": boutique["Back"].id}).status_code == 302
    assert client.post(url, {**walking, "pose": 0}).status_code == 200  # refused by the form: not a pick

    counts = {
        (row.catalog_item_id, row.fashion_model_id, row.pose_id, row.scene_id): row.count
        for row in PickCount.objects.all()
    }
    bea, studio = boutique["Bea"].id, boutique["Studio"].id
    assert counts == {
        (dress.id, bea, boutique["Walking"].id, studio): 2,
        (dress.id, bea, boutique["Back"].id, studio): 1,
    }
    fields = {f.name for f in PickCount._meta.get_fields()}
    assert fields == {"id", "merchant", "catalog_item", "fashion_model", "pose", "scene", "count"}


def test_nightly_the_most_picked_and_default_combinations_are_queued_as_a_batch_behind_shoppers(boutique):
    shoppers_have_picked(boutique)

    precompute_popular_picks()  # what beat runs at TRYON_PRECOMPUTE_HOUR

    batch = TryOnBatch.objects.get()
    assert (batch.merchant, batch.source) == (boutique["merchant"], PRECOMPUTE)
    assert precomputed(batch) == [
        ("Dress", "Bea", "Walking", "Studio"),  # most picked first
        ("Dress", "Ada", "Back", "Studio"),
        ("Coat", "Bea", "Back", "Studio"),
        ("Coat", "Ada", "A-pose", "Studio"),  # then each item's default, newest item first
        ("Dress", "Ada", "A-pose", "Studio"),
    ]
    assert set(batch.jobs.values_list("priority", "status")) == {(TryOnJob.Priority.BATCH, TryOnJob.Status.QUEUED)}

    # The first shopper of the day asks for exactly what was rendered overnight.
    finish(batch.jobs.get(pose=boutique["Walking"]))
    morning = shopper_job(boutique, "dress", "Bea", "Walking")
    assert morning.reused and morning.status == "succeeded" and morning.images.count() == 1


def test_combinations_already_rendered_or_queued_are_skipped(boutique):
    shoppers_have_picked(boutique)
    rendered = finish(shopper_job(boutique, "dress", "Bea", "Walking"))
    waiting = shopper_job(boutique, "coat", "Bea", "Back")

    result = tryon_precompute(merchant=boutique["merchant"])

    assert result.cached == 2
    assert precomputed(result.batch) == [
        ("Dress", "Ada", "Back", "Studio"),
        ("Coat", "Ada", "A-pose", "Studio"),
        ("Dress", "Ada", "A-pose", "Studio"),
    ]
    assert TryOnJob.objects.count() == 5 and {rendered, waiting}.isdisjoint(result.batch.jobs.all())
    assert tryon_precompute(merchant=boutique["merchant"]).batch is None  # run twice: nothing new


def test_new_renders_are_capped_per_merchant_per_day_most_picked_first(boutique, settings):
    settings.TRYON_PRECOMPUTE_PER_DAY = 3
    shoppers_have_picked(boutique)
    other = MerchantFactory()  # another merchant's cap is its own
    CatalogItemFactory(merchant=other), FashionModelFactory(merchant=other), PoseFactory(merchant=other)
    SceneFactory(merchant=other)

    first = tryon_precompute(merchant=boutique["merchant"])
    assert len(first.queued) == 3 and first.over_cap == 2
    assert precomputed(first.batch) == [
        ("Dress", "Bea", "Walking", "Studio"),
        ("Dress", "Ada", "Back", "Studio"),
        ("Coat", "Bea", "Back", "Studio"),
    ]
    again = tryon_precompute(merchant=boutique["merchant"])
    assert again.batch is None and again.queued == []  # the day's budget is spent
    assert len(tryon_precompute(merchant=other).queued) == 1

    TryOnBatch.objects.filter(pk=first.batch.pk).update(created_at=first.batch.created_at - timedelta(days=1))
    next_day = tryon_precompute(merchant=boutique["merchant"])
    assert precomputed(next_day.batch) == [("Coat", "Ada", "A-pose", "Studio"), ("Dress", "Ada", "A-pose", "Studio")]


def test_a_cap_of_zero_precomputes_nothing(boutique, settings):
    settings.TRYON_PRECOMPUTE_PER_DAY = 0
    shoppers_have_picked(boutique)

    assert tryon_precompute(merchant=boutique["merchant"]).batch is None
    assert not TryOnJob.objects.exists()


def test_approving_an_items_image_precomputes_that_item(client, boutique, django_capture_on_commit_callbacks):
    shoppers_have_picked(boutique)
    client.force_login(StaffFactory(merchant=boutique["merchant"]))
    image = finished_job(_picks(boutique, "coat", "Bea", "Walking"), seed=7).images.get()
    approve = f"/admin/catalog/catalogitem/{image.catalog_item_id}/gallery/{image.id}/approve/"

    with django_capture_on_commit_callbacks() as sent:
        assert client.post(approve).status_code == 302
    assert len(sent) == 1
    sent[0]()  # the precompute task, run here as a worker would run it

    batch = TryOnBatch.objects.get(source=PRECOMPUTE)
    assert precomputed(batch) == [("Coat", "Bea", "Back", "Studio"), ("Coat", "Ada", "A-pose", "Studio")]
    batches = client.get("/admin/jobs/tryonbatch/?source=precompute").content.decode()
    assert f"#{batch.id}" in batches and "Precomputed picks" in batches  # the merchant sees it as a batch

    with django_capture_on_commit_callbacks() as sent_again:
        client.post(approve)  # approved already: nothing new to announce
    assert sent_again == []


def _picks(boutique, item, model, pose) -> dict:
    b = boutique
    return {
        "merchant": b["merchant"],
        "catalog_item": b[item],
        "fashion_model": b[model],
        "pose": b[pose],
        "scene": b["Studio"],
    }
