"""A shopper, in a real browser, tries a product on someone like them: sets up "Your model" (height, build,
skin tone, hair, age), tries it on and gets the real worker's image. Where the shop allows own photos, they
read what is kept and for how long, are stopped until they tick the consent box, upload their photo, try on,
and then press "Delete my photo": the photo and the renders made from it are gone."""

import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.factories import shop_with_picks
from tests.tryon.browser.helpers import screenshot
from tryon.jobs.models import TryOnJob
from tryon.shoppers.models import ShopperModel

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def set_up_your_model(page, merchant, item):
    page.goto(f"/shop/{merchant.slug}/items/{item.id}/")
    page.get_by_role("group", name="Model").get_by_role("link", name=re.compile("Someone like you")).click()
    expect(page.get_by_role("heading", name="Your model", exact=True)).to_be_visible()
    page.get_by_label("Gender presentation").select_option("feminine")
    page.get_by_label("Age range").select_option("35-44")
    page.get_by_label("Height (cm)").fill("158")
    page.get_by_label("Size and build").select_option("curvy")
    page.get_by_label("Skin tone").select_option("deep")
    page.get_by_label("Hair length").select_option("long")
    page.get_by_label("Hair texture").select_option("curly")
    page.get_by_label("Hair colour").select_option("black")
    page.get_by_role("button", name="Save my model").click()
    expect(page.get_by_role("heading", name=item.title)).to_be_visible()  # back on the product


def try_on_your_model(page) -> TryOnJob:
    yours = page.get_by_role("group", name="Model").get_by_role("radio", name=re.compile("Your model"))
    expect(yours).to_be_checked()  # first, and picked for them
    page.get_by_role("button", name="Try it on").click()
    expect(page.get_by_role("status")).to_have_text("Done.", timeout=120_000)
    job = TryOnJob.objects.get()
    result = page.get_by_role("img", name="Your try-on")
    result.evaluate("image => image.decode()")  # loaded (a moment after "Done."), or it throws
    assert result.evaluate("image => image.naturalWidth") == job.plan["width"]
    return job


def test_a_shopper_tries_a_product_on_someone_like_them(page, worker):
    shop = shop_with_picks()
    merchant, item = shop["merchant"], shop["catalog_item"]

    set_up_your_model(page, merchant, item)
    expect(page.get_by_text("Your model is saved")).to_be_visible()
    job = try_on_your_model(page)

    yours = ShopperModel.objects.get().fashion_model
    assert (job.status, job.fashion_model_id) == ("succeeded", yours.id), job.error
    assert (yours.body_type, yours.skin_tone, yours.height_cm) == ("curvy", "deep", 158)
    assert yours.hair == "long curly black hair"
    screenshot(page, "shop-your-model-tried-on")


def test_a_shopper_tries_on_their_own_photo_with_consent_and_deletes_it(page, worker, tmp_path, media_root):
    shop = shop_with_picks()
    merchant, item = shop["merchant"], shop["catalog_item"]
    merchant.shopper_photos, merchant.moderation_level = True, "off"  # the checker's stories: test_moderation*
    merchant.save()
    photo = tmp_path / "me.png"
    person = Image.new("RGB", (256, 384), "#e8e4dc")
    ImageDraw.Draw(person).rectangle([96, 60, 160, 360], fill="#6b4f3a")
    person.save(photo)

    set_up_your_model(page, merchant, item)
    page.get_by_role("link", name=re.compile("Change your model")).click()
    expect(page.get_by_text(re.compile("deleted 24 hours after you upload the photo"))).to_be_visible()
    page.get_by_label("Your photo").set_input_files(photo)
    page.get_by_role("button", name="Upload my photo").click()
    expect(page.get_by_role("alert").filter(has_text="Tick the box to agree")).to_be_visible()
    assert not ShopperModel.objects.get().has_photo  # nothing stored without consent
    screenshot(page, "shop-your-photo-consent")

    page.get_by_label(re.compile("I agree")).check()
    page.get_by_label("Your photo").set_input_files(photo)
    page.get_by_role("group", name="The pose closest to yours").get_by_label(shop["pose"].name).check()
    page.get_by_role("button", name="Upload my photo").click()
    expect(page.get_by_text("Your photo is stored")).to_be_visible()
    job = try_on_your_model(page)
    shopper_model = ShopperModel.objects.get()
    assert job.fashion_model == shopper_model.fashion_model and shopper_model.fashion_model.private
    made_from_it = [shopper_model.fashion_model.reference_photo.name, job.images.get().file.name]
    assert all((media_root / name).exists() for name in made_from_it)
    page_url = f"/shop/{merchant.slug}/tryons/{job.id}/"

    page.get_by_role("link", name=re.compile("Change your model")).click()
    expect(page.get_by_role("img", name="Your photo, as stored")).to_be_visible()
    page.get_by_role("button", name="Delete my photo").click()

    expect(page.get_by_role("status")).to_have_text("Your photo and every preview made from it are deleted.")
    expect(page.get_by_role("button", name="Delete my photo")).to_have_count(0)
    assert not TryOnJob.objects.filter(pk=job.id).exists() and not ShopperModel.objects.get().has_photo
    assert not any((media_root / name).exists() for name in made_from_it)
    assert page.request.get(page_url).status == 404
