"""A shopper's "Your model" in the shop: someone like them (or the closest of the shop's models), kept in
their session and tried on like any pick; where the shop allows it, their own photo, only with their consent,
deleted at once on "Delete my photo". Bad input is a message on the form, never a 500."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import FashionModelFactory, StaffFactory
from tests.tryon.images import photo_upload, raw_upload
from tryon.catalog.models import FashionModel
from tryon.jobs.models import TryOnJob
from tryon.jobs.rendering import tryon_job_render
from tryon.shoppers.models import ShopperModel

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}
LIKE_ME = {"gender_presentation": "feminine", "age_range": "35-44", "height_cm": "158", "body_type": "curvy",
           "skin_tone": "deep", "hair_length": "long", "hair_texture": "curly", "hair_colour": "black"}  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_budgets():
    cache.clear()


def your_model_url(shop):
    return f"/shop/{shop['merchant'].slug}/your-model/"


def product_url(shop):
    return f"/shop/{shop['merchant'].slug}/items/{shop['catalog_item'].id}/"


def picks(shop, fashion_model):
    return {"fashion_model": fashion_model.id, "pose": shop["pose"].id, "scene": shop["scene"].id}


def stored_files(media_root) -> list[str]:
    return sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file())


def photos_on(shop):
    shop["merchant"].shopper_photos = True
    shop["merchant"].moderation_level = "off"  # the safety checker's own stories are tests/tryon/test_moderation*
    shop["merchant"].save()


def test_a_shopper_describes_someone_like_them_and_tries_the_product_on_them(client, shop):
    product = client.get(product_url(shop)).content.decode()
    assert f'href="{your_model_url(shop)}?next={product_url(shop)}"' in product
    assert "Someone like you" in product and product.count('type="radio"') == 3

    saved = client.post(your_model_url(shop), {**LIKE_ME, "next": product_url(shop)}, follow=True)

    assert saved.redirect_chain[-1][0] == product_url(shop)
    yours = ShopperModel.objects.get().fashion_model
    assert (yours.body_type, yours.skin_tone, yours.age_range, yours.height_cm) == ("curvy", "deep", "35-44", 158)
    assert yours.hair == "long curly black hair" and yours.transient
    page = saved.content.decode()
    assert "Your model is saved" in page and page.count('type="radio"') == 4
    assert f'value="{yours.id}" id="id_fashion_model_0" required checked' in page  # first, picked already
    assert "Change your model" in page
    form = client.get(your_model_url(shop)).content.decode()  # the choices shown again, to change one
    assert '<option value="curly" selected>' in form and '<option value="deep" selected>' in form

    created = client.post(product_url(shop), picks(shop, yours), **JSON)

    job = TryOnJob.objects.get()
    assert created.status_code == 201 and job.fashion_model == yours
    TryOnJob.objects.filter(pk=job.id).update(status="succeeded")
    again = client.post(product_url(shop), picks(shop, yours), **JSON)
    assert again.status_code == 200 and again.json()["reused"] and again.json()["id"] == job.id


def test_a_shopper_starts_from_the_closest_of_the_shops_models_and_changes_one_thing(client, shop):
    amara = FashionModelFactory(merchant=shop["merchant"], name="Amara", body_type="athletic", skin_tone="brown")

    client.post(your_model_url(shop), {"like": amara.id})
    client.post(your_model_url(shop), {"like": amara.id, "height_cm": "181"})

    yours = ShopperModel.objects.get().fashion_model
    assert (yours.body_type, yours.skin_tone, yours.age_range, yours.height_cm) == (
        "athletic", "brown", amara.age_range, 181,
    )  # fmt: skip
    page = client.get(your_model_url(shop)).content.decode()
    assert f'<option value="{amara.id}" selected>Amara</option>' in page


def test_another_shopper_never_sees_or_picks_someone_elses_model(client, shop):
    client.post(your_model_url(shop), LIKE_ME)
    yours = ShopperModel.objects.get().fashion_model
    stranger = Client()

    page = stranger.get(product_url(shop)).content.decode()
    refused = stranger.post(product_url(shop), picks(shop, yours), **JSON)

    assert f'value="{yours.id}"' not in page and "Your model" not in page
    assert refused.status_code == 400 and refused.json()["error"].startswith("Model: Select a valid choice")
    assert not TryOnJob.objects.exists()


def test_shop_models_other_shoppers_models_stay_out_of_the_model_picker(client, shop):
    client.post(your_model_url(shop), LIKE_ME)
    Client().post(your_model_url(shop), {**LIKE_ME, "body_type": "slim"})

    page = client.get(product_url(shop)).content.decode()

    assert page.count('type="radio"') == 4  # the shop's model, yours, a pose, a scene
    assert FashionModel.objects.filter(transient=True).count() == 2


def test_a_model_missing_its_words_is_a_message_on_the_form(client, shop):
    page = client.post(your_model_url(shop), {"height_cm": "abc", "body_type": "giant"})
    answer = client.post(your_model_url(shop), {"age_range": "35-44"}, **JSON)

    assert page.status_code == 400
    text = page.content.decode()
    assert "Enter a whole number." in text and "Select a valid choice. giant is not one of" in text
    assert "Pick a skin tone, or start from one of our models." in text
    assert answer.status_code == 400 and set(answer.json()["errors"]) == {
        "gender_presentation", "body_type", "skin_tone",
    }  # fmt: skip
    assert not ShopperModel.objects.exists()


def test_a_shop_without_own_photos_offers_no_upload_and_refuses_one(client, shop, media_root):
    client.post(your_model_url(shop), LIKE_ME)

    page = client.get(your_model_url(shop)).content.decode()
    refused = client.post(f"{your_model_url(shop)}photo", {"consent": "on", "photo": photo_upload()})

    assert 'type="file"' not in page and "Your own photo" not in page
    assert refused.status_code == 404
    assert not ShopperModel.objects.get().has_photo and not (media_root / "fashion-models").exists()


def test_the_consent_step_says_what_is_kept_for_how_long_and_nothing_is_stored_without_it(
    client, shop, media_root, settings
):
    settings.TRYON_SHOPPER_PHOTO_HOURS = 6
    photos_on(shop)
    client.post(your_model_url(shop), LIKE_ME)
    before = stored_files(media_root)

    page = client.get(your_model_url(shop)).content.decode()
    refused = client.post(f"{your_model_url(shop)}photo", {"photo": photo_upload()})
    refused_json = client.post(f"{your_model_url(shop)}photo", {"photo": photo_upload()}, **JSON)

    assert "They are deleted 6 hours after you upload the photo" in page
    assert "never added to the shop&#x27;s gallery" in page and 'name="consent"' in page and 'type="file"' in page
    assert refused.status_code == 400 and "Tick the box to agree" in refused.content.decode()
    assert refused_json.status_code == 400 and "consent" in refused_json.json()["errors"]
    assert stored_files(media_root) == before and not ShopperModel.objects.get().has_photo


def test_a_file_that_is_no_image_is_a_message_on_the_photo_field(client, shop, media_root):
    photos_on(shop)
    client.post(your_model_url(shop), LIKE_ME)

    page = client.post(f"{your_model_url(shop)}photo", {"consent": "on", "photo": raw_upload(b"not a photo")})
    answer = client.post(f"{your_model_url(shop)}photo", {"consent": "on", "photo": raw_upload(b"x")}, **JSON)

    assert page.status_code == 400 and '<p class="error" role="alert">' in page.content.decode()
    assert answer.status_code == 400 and list(answer.json()["errors"]) == ["photo"]
    assert not ShopperModel.objects.get().has_photo


def test_a_photo_needs_a_model_first(client, shop):
    photos_on(shop)

    page = client.post(f"{your_model_url(shop)}photo", {"consent": "on", "photo": photo_upload()})

    assert page.status_code == 400 and "Save your model first" in page.content.decode()


def test_a_shopper_uploads_their_photo_tries_on_and_deletes_it_with_everything_made_from_it(
    client, shop, media_root, django_capture_on_commit_callbacks
):
    photos_on(shop)
    client.post(your_model_url(shop), LIKE_ME)
    uploaded = client.post(
        f"{your_model_url(shop)}photo",
        {"consent": "on", "photo": photo_upload(size=(256, 384)), "pose": shop["pose"].id, "next": product_url(shop)},
        follow=True,
    )
    shopper_model = ShopperModel.objects.get()
    yours = shopper_model.fashion_model
    assert uploaded.redirect_chain[-1][0] == product_url(shop)
    assert yours.private and yours.reference_photo and shopper_model.consented_at
    assert "Your photo is stored" in uploaded.content.decode()

    tried = client.post(product_url(shop), picks(shop, yours), **JSON).json()
    tryon_job_render(job_id=tried["id"])  # the tiny preset, here
    job = TryOnJob.objects.get(pk=tried["id"])
    assert job.status == "succeeded", job.error
    assert client.get(tried["status_url"]).json()["images"]
    assert client.get(tried["page_url"]).status_code == 200
    assert Client().get(tried["page_url"]).status_code == 404  # only this session sees it
    staff = Client()
    staff.force_login(StaffFactory(merchant=shop["merchant"]))
    assert staff.get(tried["page_url"]).status_code == 404  # not even the shop's staff
    page = client.get(your_model_url(shop)).content.decode()
    assert "Delete my photo" in page and 'alt="Your photo, as stored"' in page
    made_from_it = [name for name in stored_files(media_root) if not name.startswith("garments/")]
    assert yours.reference_photo.name in made_from_it and job.images.get().file.name in made_from_it

    with django_capture_on_commit_callbacks(execute=True):  # files go once the rows' deletion commits
        deleted = client.post(f"{your_model_url(shop)}photo", {"delete": "1"}, follow=True)

    assert "Your photo and every preview made from it are deleted." in deleted.content.decode()
    assert not set(made_from_it) & set(stored_files(media_root))
    assert not TryOnJob.objects.filter(pk=job.id).exists()
    assert not FashionModel.objects.filter(pk=yours.pk).exists()
    assert client.get(tried["page_url"]).status_code == 404
    assert "Delete my photo" not in deleted.content.decode() and 'type="file"' in deleted.content.decode()
    assert not ShopperModel.objects.get().fashion_model.private  # the attributes stay


def test_without_a_model_here_the_try_on_post_never_looks_for_one(client, shop):
    client.post(product_url(shop), picks(shop, shop["fashion_model"]), **JSON)  # the session exists

    with CaptureQueriesContext(connection) as queries:
        client.post(product_url(shop), picks(shop, shop["fashion_model"]), **JSON)

    assert not [query for query in queries.captured_queries if "shoppers_shoppermodel" in query["sql"]]


def test_the_page_script_saves_a_model_as_json(client, shop):
    saved = client.post(your_model_url(shop), {"like": shop["fashion_model"].id}, **JSON)

    yours = ShopperModel.objects.get().fashion_model
    assert saved.status_code == 200
    assert (saved.json()["fashion_model"], saved.json()["body_type"], saved.json()["photo"]) == (
        yours.id, shop["fashion_model"].body_type, None,
    )  # fmt: skip


def test_a_shop_whose_content_checks_cannot_run_refuses_the_photo_in_plain_words(client, shop, media_root):
    shop["merchant"].shopper_photos = True  # moderation left to the default: permissive, with no weights here
    shop["merchant"].save()
    client.post(your_model_url(shop), LIKE_ME)
    before = stored_files(media_root)

    page = client.post(f"{your_model_url(shop)}photo", {"consent": "on", "photo": photo_upload()})

    assert page.status_code == 400
    assert "The shop&#x27;s content checks are not available right now" in page.content.decode()
    assert stored_files(media_root) == before and not ShopperModel.objects.get().has_photo


def test_after_saving_a_shopper_is_only_ever_sent_back_within_the_shop(client, shop):
    away = client.post(your_model_url(shop), {**LIKE_ME, "next": "https://elsewhere.example/"})
    back = client.post(your_model_url(shop), {**LIKE_ME, "next": product_url(shop)})

    assert away["Location"] == your_model_url(shop)
    assert back["Location"] == product_url(shop)


def test_a_model_the_shopper_keeps_trying_on_is_never_swept_as_idle(client, shop, settings, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from tryon.shoppers.services import shopper_models_sweep

    now = [timezone.now()]  # a frozen clock, moved by hand
    monkeypatch.setattr(timezone, "now", lambda: now[0])
    almost_a_session = timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    client.post(your_model_url(shop), LIKE_ME)
    yours = ShopperModel.objects.get().fashion_model

    now[0] += almost_a_session
    tried = client.post(product_url(shop), picks(shop, yours), **JSON)  # the try-on renews the session too
    now[0] += almost_a_session
    shopper_models_sweep()

    assert tried.status_code == 201
    assert ShopperModel.objects.filter(fashion_model=yours).exists()
