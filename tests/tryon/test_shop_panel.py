"""The product page's try-on panel, as its script talks to the server: picks as radio groups and never a
prompt, a job as JSON, picks already rendered answered at once, a budget of new renders per shopper, and
failures in words a shopper understands."""

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile

from tests.factories import PoseFactory, SceneFactory, shop_with_picks
from tests.tryon.engine_faults import gpu_out_of_memory  # noqa: F401 (a fixture)
from tests.tryon.images import photo_upload
from tests.tryon.links import link_path
from tryon.jobs.models import TryOnJob
from tryon.jobs.rendering import tryon_job_render

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def fresh_budgets():
    cache.clear()
    yield
    cache.clear()


def product_url(shop):
    return f"/shop/{shop['merchant'].slug}/items/{shop['catalog_item'].id}/"


def picks(shop, **changes):
    return {name: obj.id for name, obj in {**shop, **changes}.items() if name in ("fashion_model", "pose", "scene")}


def test_shoppers_pick_from_radio_groups_and_never_type_a_prompt(client, shop):
    page = client.get(product_url(shop)).content.decode()

    assert page.count('type="radio"') == 3 and page.count("<fieldset") == 3
    assert "<textarea" not in page and 'type="text"' not in page
    assert f"/shop/{shop['merchant'].slug}/poses/{shop['pose'].id}/skeleton.png?v=" in page
    assert "checked" in page  # one press tries the first picks on


def test_a_scene_with_a_picture_shows_it_and_one_without_shows_a_card_of_its_light(client, shop):
    shop["scene"].picture.save("beach.jpg", ContentFile(photo_upload().read()), save=True)
    SceneFactory(merchant=shop["merchant"], name="Golden street", lighting="golden hour")

    page = client.get(product_url(shop)).content.decode()

    assert f'<img class="pick-scene-photo" src="{link_path(shop["scene"].picture)}?expires=' in page
    assert "pick-card tone-golden-hour" in page and page.count("pick-scene-photo") == 1


def test_the_panel_gets_the_job_as_json_and_finished_picks_at_once(client, shop):
    created = client.post(product_url(shop), picks(shop), **JSON)

    job = TryOnJob.objects.get()
    assert created.status_code == 201
    assert (created.json()["id"], created.json()["status"], created.json()["reused"]) == (job.id, "queued", False)
    assert created.json()["status_url"] == f"/shop/{shop['merchant'].slug}/tryons/{job.id}/status"

    TryOnJob.objects.filter(pk=job.id).update(status="succeeded")
    again = client.post(product_url(shop), picks(shop), **JSON).json()
    assert (again["id"], again["status"], again["reused"], again["progress"]) == (job.id, "succeeded", True, 1.0)


def test_new_renders_are_limited_per_shopper_but_rendered_picks_still_answer(client, shop, settings):
    settings.TRYON_SHOP_RENDERS_PER_WINDOW = 1
    other_pose = PoseFactory(merchant=shop["merchant"], name="Walking")

    first = client.post(product_url(shop), picks(shop), **JSON)
    limited = client.post(product_url(shop), picks(shop, pose=other_pose), **JSON)
    repeated = client.post(product_url(shop), picks(shop), **JSON)
    without_script = client.post(product_url(shop), picks(shop, pose=other_pose))

    assert first.status_code == 201
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "Please wait about" in limited.json()["error"]
    assert repeated.status_code == 200 and repeated.json()["reused"]
    assert without_script.status_code == 429 and "Please wait about" in without_script.content.decode()
    assert TryOnJob.objects.count() == 1  # the refused renders left nothing behind


def test_the_limit_counts_per_address_across_sessions(client, shop, settings):
    settings.TRYON_SHOP_RENDERS_PER_WINDOW = 1
    client.post(product_url(shop), picks(shop), **JSON)
    client.cookies.clear()  # a new session, same address

    refused = client.post(product_url(shop), picks(shop, scene=SceneFactory(merchant=shop["merchant"])), **JSON)

    assert refused.status_code == 429


@pytest.mark.usefixtures("gpu_out_of_memory")
def test_a_failed_try_on_is_explained_in_plain_words(client, shop):
    client.post(product_url(shop), picks(shop), **JSON)
    job = TryOnJob.objects.get()
    tryon_job_render(job_id=job.id)  # the GPU runs out of memory: the engine's message, not the shop's words

    page = client.get(f"/shop/{shop['merchant'].slug}/tryons/{job.id}/").content.decode()
    status = client.get(f"/shop/{shop['merchant'].slug}/tryons/{job.id}/status").json()

    assert "Sorry, we could not make this picture. Our renderer was too busy to finish it." in page
    assert status["failure_code"] == "out_of_memory"  # what the page's script explains by, while polling
    assert "smaller size" not in page  # the worker's advice is for the merchant, in the admin


def test_invalid_picks_are_a_message_not_a_job(client, shop):
    strangers = shop_with_picks()

    refused = client.post(product_url(shop), picks(shop, pose=strangers["pose"]), **JSON)

    assert refused.status_code == 400 and refused.json()["error"].startswith("Pose: Select a valid choice")
    assert not TryOnJob.objects.exists()
