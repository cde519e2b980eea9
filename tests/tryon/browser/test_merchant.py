"""A merchant, in a real browser: signs in to the admin, uploads a garment (a wrong file first, explained
by the field), renders previews of it in bulk, two images per combination, through a real worker, watches
the batch finish, makes one image primary and rejects another, and finds the primary one leading the shop's
product page."""

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.factories import FashionModelFactory, PoseFactory, SceneFactory, StaffFactory
from tests.tryon.browser.helpers import log_in, screenshot
from tests.tryon.links import link_path
from tryon.catalog.models import CatalogItem, Garment
from tryon.jobs.models import GeneratedImage

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def garment_photo() -> dict:
    image = Image.new("RGB", (300, 400), "white")
    ImageDraw.Draw(image).polygon([(90, 40), (210, 40), (270, 360), (30, 360)], fill="#b0242e")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return {"name": "red-dress.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def test_a_merchant_uploads_renders_in_bulk_approves_and_the_shop_shows_it(page, worker):
    staff = StaffFactory()
    merchant = staff.merchant
    FashionModelFactory(merchant=merchant, name="Amara")
    PoseFactory(merchant=merchant)
    PoseFactory(merchant=merchant, name="Walking")
    SceneFactory(merchant=merchant)
    log_in(page, staff)

    page.goto("/admin/catalog/garment/add/")
    page.get_by_label("Name").fill("Red midi dress")
    page.get_by_label("Category").select_option("dress")
    page.get_by_label("Image").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo at all"}
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".field-image .errorlist")).to_have_text(re.compile("This is not an image we can read"))
    screenshot(page, "admin-garment-upload-error")
    page.get_by_label("Image").set_input_files(garment_photo())
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    garment = Garment.objects.get()
    expect(page.locator(".field-preview img")).to_have_js_property("complete", True)
    assert page.locator(".field-preview img").evaluate("image => image.naturalWidth") > 0

    page.get_by_role("checkbox", name="Select this object for an action - Red midi dress").check()
    page.locator("select[name=action]").select_option("render_previews")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Render previews")).to_be_visible()
    page.get_by_role("group", name="Fashion models").get_by_text("Amara").click()
    page.get_by_role("group", name="Poses").get_by_role("button", name="Select all").click()
    page.get_by_role("group", name="Scenes").get_by_text("Studio white").click()
    expect(page.locator(".render-count")).to_have_text("1 × 1 × 2 × 1 = 2 renders")
    page.get_by_label("Images per combination").select_option("2")  # two of each, to pick the better one
    expect(page.locator(".render-count")).to_have_text("1 × 1 × 2 × 1 = 2 renders, 4 images")
    screenshot(page, "admin-render-previews")
    page.get_by_role("button", name="Render previews").click()

    expect(page.get_by_role("heading", name=re.compile(r"Batch #\d+"))).to_be_visible()
    expect(page.locator("#batch-done")).to_be_visible(timeout=180_000)
    expect(page.locator("#batch-line")).to_contain_text("2 of 2 finished (2 succeeded")
    expect(page.locator("#batch tbody img")).to_have_count(4)
    screenshot(page, "admin-batch")

    item = CatalogItem.objects.get(sku=f"G-{garment.id}")  # the garment's own item, made for the previews
    page.locator("#batch-done").get_by_role("link", name="Red midi dress").click()
    cards = page.locator(".tryon-gallery-card")
    expect(cards).to_have_count(4)
    expect(cards.locator(".tryon-state")).to_have_text(["Awaiting review"] * 4)
    chosen, other = (int(cards.nth(i).get_attribute("data-image")) for i in range(2))
    cards.nth(0).get_by_role("button", name="Make primary").click()
    expect(page.locator(".messagelist")).to_contain_text("made primary")
    page.locator(f'[data-image="{other}"]').get_by_role("button", name="Reject").click()
    expect(page.locator(f'[data-image="{chosen}"] .tryon-state')).to_have_text("Primary")
    expect(page.locator(f'[data-image="{other}"] .tryon-state')).to_have_text("Rejected")
    screenshot(page, "admin-catalog-item-gallery")

    page.goto(f"/shop/{merchant.slug}/items/{item.id}/")
    gallery = page.locator(".gallery-list img")
    primary_url = link_path(GeneratedImage.objects.get(pk=chosen).file)
    expect(gallery.first).to_have_attribute("src", re.compile(re.escape(primary_url) + r"\?expires="))
    expect(gallery.first).to_have_js_property("complete", True)
    other_url = link_path(GeneratedImage.objects.get(pk=other).file)
    expect(page.locator(f'.gallery img[src^="{other_url}?"]')).to_have_count(0)
    screenshot(page, "shop-product")
