"""FASHN's `moderation_level` is the shop's content moderation for that prediction: none skips the checks of a shop
without moderation (and never lowers a shop's own level),
permissive and conservative check the photos at once and the result before it is stored; whatever is blocked
is reported as FASHN's ContentModerationError, and nothing blocked is stored or served."""

import fashn as fashn_sdk
import pytest

from generation.moderation_tiny import build_tiny_checker
from tests.tryon.fashn.conftest import data_uri
from tests.tryon.fashn.test_retention import fashn_client
from tryon.catalog.models import FashionModel, Garment
from tryon.fashn.errors import FashnError
from tryon.fashn.models import Prediction
from tryon.fashn.moderation import prediction_reused_result_check
from tryon.jobs.models import GeneratedImage
from tryon.jobs.rendering import tryon_job_render
from tryon.moderation import BLOCKED_MESSAGE

pytestmark = pytest.mark.django_db(transaction=True)
POLL = {"poll_interval": 200, "timeout": 180_000}


@pytest.fixture
def checker(monkeypatch):
    def use(kind: str) -> None:
        monkeypatch.setenv("TRYON_MODERATION_WEIGHTS", str(build_tiny_checker(blocks=kind == "blocks")))

    return use


@pytest.fixture
def conservative_shop(storefront):
    storefront.merchant.moderation_level = "conservative"
    storefront.merchant.save()
    return storefront


def photos(garment_png, person_png, **more) -> dict:
    return {"model_image": data_uri(person_png), "garment_image": data_uri(garment_png), "seed": 3, **more}


def test_moderation_level_none_skips_the_checks_of_a_shop_without_moderation(
    fashn, storefront, checker, garment_png, person_png
):
    checker("blocks")  # would block every photo and every render

    done = fashn.predictions.subscribe(
        model_name="tryon-v1.6", inputs=photos(garment_png, person_png, moderation_level="none"), **POLL
    )

    assert done.status == "completed" and len(done.output) == 1, done


def test_moderation_level_none_cannot_lower_a_conservative_shops_checks(
    fashn, conservative_shop, checker, garment_png, person_png
):
    checker("blocks")  # its renders are cached: they may reach the shop's own shoppers, so the shop's level holds

    with pytest.raises(fashn_sdk.APIStatusError) as refused:
        fashn.predictions.run(model_name="tryon-v1.6", inputs=photos(garment_png, person_png, moderation_level="none"))

    assert "ContentModerationError" in str(refused.value.body)


def test_a_photo_the_checker_blocks_is_refused_at_once_and_nothing_is_stored(
    fashn, conservative_shop, checker, garment_png, person_png
):
    checker("blocks")

    with pytest.raises(fashn_sdk.APIStatusError) as refused:
        fashn.predictions.run(model_name="tryon-v1.6", inputs=photos(garment_png, person_png))

    assert refused.value.status_code == 400
    assert refused.value.body == {
        "error": "ContentModerationError",
        "message": f"inputs.garment_image: {BLOCKED_MESSAGE}",
    }
    assert not Prediction.objects.exists() and not Garment.objects.filter(transient=True).exists()
    assert not FashionModel.objects.filter(transient=True).exists()


def test_a_render_the_checker_blocks_is_a_failed_prediction_with_content_moderation_error(
    fashn, storefront, checker, garment_png, person_png, monkeypatch
):
    from tryon.jobs.tasks import render_tryon_job

    checker("passes")  # the photos pass; the render, checked when it is done, does not
    monkeypatch.setattr(render_tryon_job, "apply_async", lambda *args, **kwargs: None)  # a worker renders it later
    answer = fashn_client(storefront).post(
        "/v1/run",
        {"model_name": "tryon-v1.6", "inputs": photos(garment_png, person_png, moderation_level="permissive")},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    prediction = Prediction.objects.get(pk=answer.json()["id"])
    checker("blocks")

    tryon_job_render(job_id=prediction.job_id)

    status = fashn.predictions.status(str(prediction.id))
    assert status.status == "failed" and status.output is None
    assert (status.error.name, status.error.message) == ("ContentModerationError", BLOCKED_MESSAGE)
    assert not GeneratedImage.objects.filter(job_id=prediction.job_id).exists()


def test_a_result_rendered_without_checks_is_checked_before_a_stricter_request_is_given_it(
    fashn, storefront, checker, garment_png, person_png
):
    checker("blocks")
    unchecked = fashn.predictions.subscribe(
        model_name="tryon-v1.6", inputs=photos(garment_png, person_png, moderation_level="none"), **POLL
    )
    assert unchecked.status == "completed", unchecked
    job = Prediction.objects.get(pk=unchecked.id).job

    prediction_reused_result_check(level="off", job=job)  # the same request again: served as it is
    with pytest.raises(FashnError) as refused:
        prediction_reused_result_check(level="conservative", job=job)

    assert (refused.value.name, refused.value.message) == ("ContentModerationError", f"output: {BLOCKED_MESSAGE}")
