"""The try-on panel in a real browser, with the job's state set by the test instead of a worker: step k of
n on the bar, a failure in plain words with a retry that works, and the friendly limit on new renders."""

import re
import time
from functools import partial

import pytest
from playwright.sync_api import expect

from tests.factories import PoseFactory, shop_with_picks
from tests.tryon.browser.helpers import screenshot
from tests.tryon.gallery import finish
from tests.tryon.links import SignedLinkPattern
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import tryon_job_create
from tryon.shop import views

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
OUT_OF_MEMORY = "The worker ran out of memory while rendering. Try a smaller size or fewer samples."


@pytest.fixture(autouse=True)
def no_renders(monkeypatch):
    """Jobs stay queued until the test moves them: the live server runs in this process."""
    monkeypatch.setattr(views, "tryon_job_create", partial(tryon_job_create, enqueue=False))


def newest_job(after_id=0, timeout=10) -> TryOnJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if job := TryOnJob.objects.filter(id__gt=after_id).order_by("-id").first():
            return job
        time.sleep(0.1)
    pytest.fail("the page asked for no try-on")


def test_progress_then_a_failure_in_words_then_a_retry_that_succeeds(page):
    shop = shop_with_picks()
    page.goto(f"/shop/{shop['merchant'].slug}/items/{shop['catalog_item'].id}/")
    status, bar = page.get_by_role("status"), page.locator("[data-bar]")

    page.get_by_role("button", name="Try it on").click()
    expect(status).to_have_text("Waiting for a free renderer…")
    assert bar.evaluate("bar => bar.hasAttribute('value')") is False  # indeterminate while queued
    job = newest_job()

    TryOnJob.objects.filter(pk=job.id).update(status="running", steps_done=3, steps_total=8)
    expect(status).to_have_text("Rendering: step 3 of 8")
    assert bar.evaluate("bar => bar.value") == pytest.approx(3 / 8)
    screenshot(page, "shop-product-rendering")

    TryOnJob.objects.filter(pk=job.id).update(status="failed", error=OUT_OF_MEMORY, failure_code="out_of_memory")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Sorry, we could not make this picture. Our renderer was too busy to finish it.")
    expect(bar).to_be_hidden()
    screenshot(page, "shop-product-failed")

    page.get_by_role("button", name="Try again").click()
    retry = newest_job(after_id=job.id)  # a failed job is never reused: a new one, same picks
    assert (retry.fashion_model, retry.pose, retry.scene) == (job.fashion_model, job.pose, job.scene)
    finish(retry)
    expect(status).to_have_text("Done.")
    expect(alert).to_be_hidden()
    retried = SignedLinkPattern(retry.images.get().file)
    expect(page.get_by_role("img", name="Your try-on")).to_have_attribute("src", retried)


def test_a_shopper_over_the_limit_is_told_to_wait_kindly(page, settings):
    settings.TRYON_SHOP_RENDERS_PER_WINDOW = 1
    shop = shop_with_picks()
    PoseFactory(merchant=shop["merchant"], name="Walking")
    page.goto(f"/shop/{shop['merchant'].slug}/items/{shop['catalog_item'].id}/")
    page.get_by_role("button", name="Try it on").click()
    expect(page.get_by_role("status")).to_have_text("Waiting for a free renderer…")

    page.get_by_role("radio", name=re.compile("Walking")).check()
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Try it on").click()

    assert answer.value.status == 429
    expect(page.get_by_role("alert")).to_contain_text("Please wait about")
    expect(page.get_by_role("button", name="Try again")).to_be_hidden()
    assert TryOnJob.objects.count() == 1


def test_the_picks_work_by_keyboard_alone(page):
    shop = shop_with_picks()
    PoseFactory(merchant=shop["merchant"], name="Walking")
    page.goto(f"/shop/{shop['merchant'].slug}/items/{shop['catalog_item'].id}/")

    page.get_by_role("radio", name=re.compile(shop["fashion_model"].name)).focus()
    page.keyboard.press("Tab")  # to the pose group, onto its checked radio
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name=re.compile("Walking"))).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile("Walking"))).to_be_focused()
    page.keyboard.press("Tab")  # the scene group
    page.keyboard.press("Tab")  # the button
    expect(page.get_by_role("button", name="Try it on")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("Waiting for a free renderer…")
    assert newest_job().pose.name == "Walking"
