"""A shopper describes someone like them (or picks the closest of the shop's models) and tries garments on that
person: rendered through the same plan builder as any pick, cached for them, and never offered to anyone else."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import FashionModelFactory, MerchantFactory
from tryon.catalog.models import FashionModel
from tryon.catalog.selectors import picks_for
from tryon.jobs.models import PickCount
from tryon.jobs.precompute import pick_count_record
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import tryon_job_create
from tryon.shoppers.models import ShopperModel
from tryon.shoppers.selectors import shopper_model_get
from tryon.shoppers.services import shopper_model_delete, shopper_model_set

pytestmark = pytest.mark.django_db

ME = "session:me"


def like_me(**overrides) -> dict:
    return {
        "gender_presentation": "feminine",
        "age_range": "35-44",
        "body_type": "curvy",
        "skin_tone": "olive",
        "hair": "long wavy auburn hair",
        "height_cm": 168,
        **overrides,
    }


def tryon(shop, fashion_model, **options):
    picks = {name: shop[name] for name in ("merchant", "catalog_item", "pose", "scene")}
    return tryon_job_create(**picks, fashion_model=fashion_model, enqueue=False, **options)


def test_a_shopper_describes_someone_like_them_whom_no_other_shopper_can_pick(shop):
    merchant = shop["merchant"]

    mine = shopper_model_set(merchant=merchant, owner=ME, **like_me())

    person = mine.fashion_model
    assert person.transient and not person.private
    assert (person.body_type, person.skin_tone, person.height_cm, person.hair) == (
        "curvy", "olive", 168, "long wavy auburn hair",
    )  # fmt: skip
    assert person not in picks_for(merchant=merchant)["fashion_models"]
    assert shopper_model_get(merchant=merchant, owner=ME) == mine
    assert shopper_model_get(merchant=merchant, owner="session:someone-else") is None
    assert shopper_model_get(merchant=MerchantFactory(), owner=ME) is None


def test_setting_it_again_changes_only_what_the_shopper_changed(shop):
    mine = shopper_model_set(merchant=shop["merchant"], owner=ME, **like_me())

    again = shopper_model_set(merchant=shop["merchant"], owner=ME, body_type="plus-size", height_cm=171)

    assert again.pk == mine.pk and again.fashion_model_id == mine.fashion_model_id
    person = FashionModel.objects.get(pk=mine.fashion_model_id)
    assert (person.body_type, person.height_cm, person.skin_tone) == ("plus-size", 171, "olive")
    assert ShopperModel.objects.count() == 1


def test_the_closest_of_the_shops_models_is_copied_and_the_shoppers_own_words_win(shop):
    closest = FashionModelFactory(merchant=shop["merchant"], skin_tone="dark brown", body_type="petite", height_cm=158)

    mine = shopper_model_set(merchant=shop["merchant"], owner=ME, like=closest, hair="short grey hair")

    person = mine.fashion_model
    assert (person.skin_tone, person.body_type, person.height_cm) == ("dark brown", "petite", 158)
    assert person.hair == "short grey hair" and mine.like == closest
    assert person.pk != closest.pk  # a copy: the shop's model is never changed by a shopper


def test_another_shops_model_is_no_closest_model(shop):
    elsewhere = FashionModelFactory()

    with pytest.raises(ValidationError) as refused:
        shopper_model_set(merchant=shop["merchant"], owner=ME, like=elsewhere)

    assert "like" in refused.value.message_dict


@pytest.mark.parametrize(
    "given, field",
    [
        ({**like_me(), "age_range": None}, "age_range"),
        (like_me(height_cm=20), "height_cm"),
        (like_me(body_type="giant"), "body_type"),
        (like_me(skin_tone="green"), "skin_tone"),
    ],
)
def test_a_missing_or_impossible_attribute_is_refused_by_name_and_nothing_is_made(shop, given, field):
    with pytest.raises(ValidationError) as refused:
        shopper_model_set(merchant=shop["merchant"], owner=ME, **given)

    assert field in refused.value.message_dict
    assert not ShopperModel.objects.exists() and not FashionModel.objects.filter(transient=True).exists()


def test_a_shopper_model_renders_and_the_same_picks_again_are_a_cache_hit_for_that_shopper(shop):
    mine = shopper_model_set(merchant=shop["merchant"], owner=ME, **like_me(height_cm=180))
    job = tryon(shop, mine.fashion_model)
    assert "tall curvy" in job.plan["prompt"]  # their height and build, in the prompt's words

    tryon_job_render(job_id=job.id)

    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.images.count() == 1
    again = tryon(shop, mine.fashion_model)
    assert again.id == job.id and again.reused and again.is_finished
    theirs = shopper_model_set(merchant=shop["merchant"], owner="session:them", **like_me())
    assert tryon(shop, theirs.fashion_model).id != job.id  # someone like them, not the same person


def test_shoppers_own_models_are_never_counted_for_precompute(shop):
    mine = shopper_model_set(merchant=shop["merchant"], owner=ME, **like_me())

    pick_count_record(
        catalog_item=shop["catalog_item"], fashion_model=mine.fashion_model, pose=shop["pose"], scene=shop["scene"]
    )
    pick_count_record(**{name: shop[name] for name in ("catalog_item", "fashion_model", "pose", "scene")})

    assert list(PickCount.objects.values_list("fashion_model_id", flat=True)) == [shop["fashion_model"].id]


def test_deleting_a_shopper_model_deletes_its_person_and_renders(shop, django_capture_on_commit_callbacks):
    mine = shopper_model_set(merchant=shop["merchant"], owner=ME, **like_me())
    job = tryon(shop, mine.fashion_model)
    tryon_job_render(job_id=job.id)

    with django_capture_on_commit_callbacks(execute=True):
        shopper_model_delete(shopper_model=mine)

    assert not ShopperModel.objects.exists() and not FashionModel.objects.filter(transient=True).exists()
    assert not type(job).objects.filter(pk=job.pk).exists()
    assert FashionModel.objects.filter(pk=shop["fashion_model"].pk).exists()


def test_a_shopper_model_unused_for_a_sessions_lifetime_is_swept_with_its_renders(
    shop, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from tryon.shoppers.services import shopper_models_sweep

    stale = shopper_model_set(merchant=shop["merchant"], owner="session:gone", **like_me())
    job = tryon(shop, stale.fashion_model)
    fresh = shopper_model_set(merchant=shop["merchant"], owner=ME, **like_me())
    ShopperModel.objects.filter(pk=stale.pk).update(
        updated_at=timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    )

    with django_capture_on_commit_callbacks(execute=True):
        swept = shopper_models_sweep()

    assert swept == 1 and list(ShopperModel.objects.all()) == [fresh]
    assert not type(job).objects.filter(pk=job.pk).exists()


@pytest.mark.django_db(transaction=True)  # the other request commits on its own connection
def test_two_first_saves_at_once_make_one_shopper_model_and_the_later_one_changes_it():
    """A plugin's retry with the same client_ref, a double "Save": the other request makes the shopper model
    between this one's look for it and its insert. This one then changes that model: no error, no second person."""
    import threading

    from django.db import connection
    from django.db.models.signals import post_save

    merchant = MerchantFactory()
    raced = []

    def the_other_request():
        try:
            shopper_model_set(merchant=merchant, owner=ME, **like_me())
        finally:
            connection.close()

    def between_look_and_insert(sender, instance, created, **kwargs):
        if created and not raced and threading.current_thread() is threading.main_thread():
            raced.append(True)
            other = threading.Thread(target=the_other_request)
            other.start()
            other.join()

    post_save.connect(between_look_and_insert, sender=FashionModel)
    try:
        mine = shopper_model_set(merchant=merchant, owner=ME, **like_me(body_type="athletic"))
    finally:
        post_save.disconnect(between_look_and_insert, sender=FashionModel)

    assert raced
    assert list(ShopperModel.objects.all()) == [mine]
    assert FashionModel.objects.get(transient=True) == mine.fashion_model  # the loser's person went with it
    assert mine.fashion_model.body_type == "athletic"


def test_a_shop_with_shopper_models_can_be_deleted(shop):
    mine = shopper_model_set(merchant=shop["merchant"], owner=ME, **like_me())
    tryon(shop, mine.fashion_model)

    shop["merchant"].delete()

    assert not ShopperModel.objects.exists() and not FashionModel.objects.exists()
