"""Two merchants share one admin: signed in, a merchant's staff see their own garments, jobs, batches and
images and nothing of the other's, whether they browse the lists or type the other's addresses."""

import pytest
from playwright.sync_api import expect

from tests.factories import GarmentFactory, StaffFactory, shop_with_picks
from tests.tryon.browser.helpers import log_in, screenshot
from tests.tryon.gallery import finished_job
from tests.tryon.links import link_path
from tryon.jobs.models import TryOnBatch

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
OUT_OF_MEMORY = "The worker ran out of memory while rendering. Try a smaller size or fewer samples."


def batch_of(*jobs) -> TryOnBatch:
    batch = TryOnBatch.objects.create(merchant=jobs[0].merchant, preset=jobs[0].preset)
    batch.jobs.set(jobs)
    return batch


def test_a_merchant_cannot_see_another_merchants_garments_or_jobs(page):
    mine, theirs = shop_with_picks(), shop_with_picks()
    GarmentFactory(merchant=mine["merchant"], name="Our linen shirt")
    their_garment = GarmentFactory(merchant=theirs["merchant"], name="Their silk scarf")
    my_jobs = [finished_job(mine, seed=1), finished_job(mine, seed=2, status="failed", error=OUT_OF_MEMORY)]
    their_job = finished_job(theirs, seed=3, status="failed", error="Their secret failure")
    their_batch = batch_of(their_job)
    their_image = finished_job(theirs, seed=4).images.get()
    log_in(page, StaffFactory(merchant=mine["merchant"]))

    page.goto("/admin/catalog/garment/")
    expect(page.get_by_role("link", name="Our linen shirt")).to_be_visible()
    expect(page.get_by_text("Their silk scarf")).to_have_count(0)
    page.goto(f"/admin/catalog/garment/{their_garment.id}/change/")
    expect(page.locator(".messagelist")).to_contain_text("doesn’t exist")
    expect(page.get_by_text("Their silk scarf")).to_have_count(0)

    page.goto("/admin/jobs/tryonjob/")
    for job in my_jobs:
        expect(page.get_by_role("link", name=f"#{job.id}", exact=True)).to_be_visible()
    expect(page.get_by_text("ran out of memory")).to_be_visible()
    expect(page.get_by_role("link", name=f"#{their_job.id}", exact=True)).to_have_count(0)
    expect(page.get_by_text("Their secret failure")).to_have_count(0)
    screenshot(page, "admin-jobs")
    page.goto(f"/admin/jobs/tryonjob/{their_job.id}/change/")
    expect(page.get_by_text("Their secret failure")).to_have_count(0)

    assert page.goto(f"/admin/jobs/tryonbatch/{their_batch.id}/change/").status == 404
    assert page.goto(f"/admin/jobs/tryonbatch/{their_batch.id}/progress.json").status == 404
    assert page.goto(f"/admin/catalog/pose/{theirs['pose'].id}/skeleton.png").status == 404
    page.goto("/admin/jobs/generatedimage/")
    expect(page.locator(f'img[src^="{link_path(their_image.file)}?"]')).to_have_count(0)
    expect(page.locator("#result_list img")).to_have_count(1)
