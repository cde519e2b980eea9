"""A shopper, in a real browser: opens a product, picks a model, a pose and a scene (by mouse and by
keyboard), presses "Try it on", watches the progress bar finish and gets the image a real worker made."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import FashionModelFactory, SceneFactory, shop_with_picks
from tests.tryon.links import SignedLinkPattern
from tryon.jobs.models import TryOnJob

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Every text the panel's status line shows, in order, recorded in the page as it changes.
RECORD_STATES = """() => {
  window.states = [];
  const line = document.querySelector("[data-state]");
  const options = {childList: true, subtree: true, characterData: true};
  new MutationObserver(() => window.states.push(line.textContent)).observe(line, options);
}"""


def test_a_shopper_tries_a_product_on_and_watches_it_arrive(page, worker):
    shop = shop_with_picks()
    merchant, item = shop["merchant"], shop["catalog_item"]
    FashionModelFactory(merchant=merchant, name="Zoe", gender_presentation="masculine")
    SceneFactory(merchant=merchant, name="City street", prompt="city street at golden hour", lighting="golden hour")

    page.goto(f"/shop/{merchant.slug}/")
    page.get_by_role("link", name=re.compile(item.title)).click()
    expect(page.get_by_role("heading", name=item.title)).to_be_visible()

    model_group = page.get_by_role("group", name="Model")
    model_group.get_by_role("radio").first.focus()
    page.keyboard.press("ArrowRight")  # a radio group: arrows move the pick
    expect(model_group.get_by_role("radio", name=re.compile("Zoe"))).to_be_checked()
    page.get_by_role("group", name="Scene").get_by_text("City street").click()
    expect(page.get_by_role("radio", name=re.compile("City street"))).to_be_checked()
    page.evaluate(RECORD_STATES)

    page.get_by_role("button", name="Try it on").click()

    expect(page.get_by_role("status")).to_have_text("Done.", timeout=120_000)
    job = TryOnJob.objects.get()
    assert (job.status, job.fashion_model.name, job.scene.name) == ("succeeded", "Zoe", "City street"), job.error
    result = page.get_by_role("img", name="Your try-on")
    expect(result).to_have_attribute("src", SignedLinkPattern(job.images.get().file))
    image_url = result.get_attribute("src")
    assert result.evaluate("image => image.complete && image.naturalWidth") == job.plan["width"]
    expect(page.get_by_role("link", name="Download image")).to_have_attribute("href", image_url)
    assert page.locator("[data-bar]").evaluate("bar => bar.value") == 1
    states = page.evaluate("window.states")
    assert states[-1] == "Done." and any(re.match(r"Waiting|Rendering: step \d+ of \d+", s) for s in states), states
    assert page.request.get(image_url).headers["content-type"] == "image/png"

    # The same picks again, after a reload: answered at once, no second job.
    page.reload()
    page.get_by_role("radio", name=re.compile("Zoe")).check()
    page.get_by_role("radio", name=re.compile("City street")).check()
    page.get_by_role("button", name="Try it on").click()
    expect(page.get_by_role("status")).to_have_text(re.compile("you tried these picks before"))
    expect(page.get_by_role("img", name="Your try-on")).to_have_attribute("src", image_url)
    assert TryOnJob.objects.count() == 1
