"""A walk through every page of the demo shop and its admin, at desktop and phone width, with screenshots
in screenshots/ for a person to look at; each page must load without a JavaScript error or a broken image."""

import pytest
from playwright.sync_api import expect

from tests.tryon.browser.helpers import PASSWORD, log_in, screenshot
from tests.tryon.gallery import finished_job
from tryon.catalog.demo import demo_shop_create
from tryon.catalog.models import CatalogItem, FashionModel, Pose, Scene
from tryon.jobs.gallery import generated_image_approve, generated_image_make_primary
from tryon.jobs.models import GeneratedImage
from tryon.jobs.rendering import tryon_job_render
from tryon.jobs.services import tryon_job_create
from tryon.merchants.models import User

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BROKEN_IMAGES = "[...document.images].filter((image) => image.complete && !image.naturalWidth).map((i) => i.src)"


def visit(page, url: str, name: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(BROKEN_IMAGES) == [], f"broken images on {url}"
    screenshot(page, name)


def demo_shop():
    """The demo shop, with a shopper's try-on and two approved renders, one of them primary."""
    demo = demo_shop_create()
    merchant = demo.merchant
    dress = CatalogItem.objects.get(merchant=merchant, sku="DEMO-DRESS")
    picks = {
        "merchant": merchant,
        "catalog_item": dress,
        "fashion_model": FashionModel.objects.filter(merchant=merchant).first(),
        "scene": Scene.objects.filter(merchant=merchant).first(),
    }
    poses = Pose.objects.filter(merchant=merchant)
    images = [finished_job({**picks, "pose": pose}, seed=None).images.get() for pose in poses[:3]]
    generated_image_approve(image=images[1])
    generated_image_make_primary(image=images[0])
    staff = User.objects.get(username=demo.username)
    staff.set_password(PASSWORD)
    staff.save()
    return merchant, dress, staff, images


def test_every_page_at_desktop_and_phone_width(page):
    merchant, dress, staff, images = demo_shop()

    visit(page, f"/shop/{merchant.slug}/", "shop-catalog")
    visit(page, f"/shop/{merchant.slug}/items/{dress.id}/", "shop-product-gallery")
    page.get_by_role("button", name="Try it on").click()  # those picks are already rendered: at once
    expect(page.get_by_role("status")).to_have_text("Done: you tried these picks before, so here it is at once.")
    screenshot(page, "shop-product-result")
    page.goto(f"/shop/{merchant.slug}/tryons/{images[0].job_id}/")
    expect(page.get_by_role("link", name="Download image")).to_be_visible()
    screenshot(page, "shop-tryon")

    visit(page, "/admin/login/", "admin-login")
    log_in(page, staff)
    visit(page, "/admin/", "admin-index")
    for url, name in [
        ("/admin/catalog/garment/", "admin-garments"),
        (f"/admin/catalog/garment/{dress.garments.first().id}/change/", "admin-garment-cutout"),
        ("/admin/catalog/catalogitem/", "admin-catalog-items"),
        ("/admin/catalog/fashionmodel/", "admin-fashion-models"),
        ("/admin/catalog/pose/", "admin-poses"),
        ("/admin/catalog/scene/", "admin-scenes"),
        ("/admin/jobs/generatedimage/", "admin-generated-images"),
        (f"/admin/jobs/tryonjob/{images[0].job_id}/change/", "admin-job"),
    ]:
        visit(page, url, name)


def test_a_rendered_image_shows_its_fidelity_scores_and_garment_region(page):
    merchant, dress, staff, _images = demo_shop()
    picks = {
        "fashion_model": FashionModel.objects.filter(merchant=merchant).first(),
        "pose": Pose.objects.filter(merchant=merchant).last(),
        "scene": Scene.objects.filter(merchant=merchant).first(),
    }
    job = tryon_job_create(merchant=merchant, catalog_item=dress, **picks, seed=3, enqueue=False)
    tryon_job_render(job_id=job.id)  # in this process, on the tiny preset
    image = GeneratedImage.objects.get(job=job)
    assert image.scores and image.garment_mask

    log_in(page, staff)
    visit(page, f"/admin/jobs/generatedimage/{image.id}/change/", "admin-generated-image-scores")
    expect(page.get_by_text("Tinted: where the garment should be, as scored.")).to_be_visible()
    expect(page.locator(".fidelity-score").first).to_be_visible()
    visit(page, f"/admin/catalog/catalogitem/{dress.id}/change/", "admin-catalog-item-scores")
    expect(page.locator(f'[data-image="{image.id}"] .fidelity')).to_be_visible()
    visit(page, f"/admin/jobs/tryonjob/{job.id}/change/", "admin-job-attempts")
    expect(page.locator(".fidelity-attempts")).to_be_visible()
