"""A try-on as the API and webhooks show it is built field by field for speed (tryon.jobs.public_data); the
documented shape is TryOnOutput's. Every kind of job a storefront can meet must look the same through both."""

import pytest
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from tests.tryon.gallery import finish
from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.jobs.public_data import TryOnOutput, job_public_data
from tryon.jobs.services import tryon_job_create

pytestmark = pytest.mark.django_db

SCORES = {
    "colour_delta_e_median": 2.5,
    "colour_delta_e_p90": 6,  # an int as stored by an older scorer: shown as a float, as DRF writes it
    "pattern_ssim": 0.61,
    "edge_agreement": 0.9,
    "coverage": 1,
    "leakage": 0.02,
    "pose_error": None,
    "pose_note": "no keypoint detector",
}  # no identity scores: stored before casting existed


def documented(job: TryOnJob, request) -> str:
    """As TryOnOutput writes it, in JSON: 6 and 6.0 are equal in Python but not to a storefront's parser."""
    job = TryOnJob.objects.prefetch_related("images", "garments").get(pk=job.pk)
    return JSONRenderer().render(TryOnOutput(job, context={"request": request}).data).decode()


def shown(job: TryOnJob, **how) -> str:
    return JSONRenderer().render(job_public_data(job, **how)).decode()


def fresh(job: TryOnJob) -> TryOnJob:
    return TryOnJob.objects.get(pk=job.pk)


@pytest.fixture
def api_request():
    return APIRequestFactory().get("/api/v1/tryons/1", HTTP_HOST="testserver")


def test_a_new_try_on_reads_the_same_as_documented(shop, api_request):
    job = tryon_job_create(**shop, seed=7, enqueue=False)

    assert shown(job, request=api_request, new=True) == documented(job, api_request)


@pytest.mark.parametrize("status", ["queued", "running", "failed", "cancelled"])
def test_an_unfinished_or_failed_try_on_reads_the_same(shop, api_request, status):
    job = tryon_job_create(**shop, seed=8, enqueue=False)
    if status == "running":
        TryOnJob.objects.filter(pk=job.pk).update(status="running", steps_done=2, started_at=timezone.now())
    elif status != "queued":
        finish(job, status=status, error="It broke.")
        TryOnJob.objects.filter(pk=job.pk).update(failure_code="cancelled" if status == "cancelled" else "engine")

    assert shown(fresh(job), request=api_request) == documented(job, api_request)


def test_a_succeeded_try_on_with_scored_images_and_a_quality_retry_reads_the_same(shop, api_request):
    job = finish(tryon_job_create(**shop, seed=9, samples=2, enqueue=False), images=2)
    GeneratedImage.objects.filter(job=job, index=0).update(scores=SCORES, quality_failures=["coverage"], attempt=1)
    GeneratedImage.objects.filter(job=job, index=1).update(
        scores={**SCORES, "identity_similarity": 0.83, "identity_note": ""}
    )
    TryOnJob.objects.filter(pk=job.pk).update(quality_attempts=[{"attempt": 0}, {"attempt": 1}], draft="drafts/d.jpg")

    answer = shown(fresh(job), request=api_request)

    assert answer == documented(job, api_request)
    assert '"colour_delta_e_p90":6.0' in answer and '"quality_retries":1' in answer
    assert '"self":"http://testserver/api/v1/tryons/' in answer


def test_a_webhook_body_without_a_request_reads_the_same(shop, settings):  # links from TRYON_PUBLIC_URL
    settings.TRYON_PUBLIC_URL = "https://tryon.example.test/"
    job = finish(tryon_job_create(**shop, seed=10, enqueue=False))

    assert shown(fresh(job)) == documented(job, None)
    assert job_public_data(fresh(job))["images"][0]["url"].startswith("https://tryon.example.test/")


@pytest.mark.parametrize("script_prefix", ["/", "/tryon/"])  # the app mounted under a path (SCRIPT_NAME) too
def test_a_jobs_links_are_the_routes_reverse_gives(shop, api_request, script_prefix):
    job = tryon_job_create(**shop, seed=11, enqueue=False)
    try:
        set_script_prefix(script_prefix)
        links = job_public_data(job, request=api_request, new=True)["links"]
        expected = {
            name: api_request.build_absolute_uri(reverse(f"api:tryon-{route}", kwargs={"id": job.id}))
            for name, route in (("self", "detail"), ("cancel", "cancel"))
        }
    finally:
        set_script_prefix("/")

    assert links == expected
    assert links["cancel"] == f"http://testserver{script_prefix}api/v1/tryons/{job.id}/cancel"
