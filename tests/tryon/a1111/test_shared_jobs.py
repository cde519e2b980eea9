"""Two A1111 scripts of one merchant send the same render: the cache gives both the same job. One script's
interrupt, or its request running out of time, must not cancel the render the other still waits for."""

import pytest

from generation.samplers import SAMPLERS
from prompts.plan import GenerationPlan
from tests.factories import MerchantFactory
from tryon.a1111 import services
from tryon.a1111.models import A1111Render
from tryon.api.services import storefront_key_create
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import tryon_job_create_from_plan

pytestmark = pytest.mark.django_db


def same_render(merchant) -> TryOnJob:
    plan = GenerationPlan(prompt="a linen shirt", negative_prompt="", width=64, height=64, steps=2,
                          guidance_scale=7.0, sampler=next(iter(SAMPLERS)), seed=5, preset="tiny")  # fmt: skip
    return tryon_job_create_from_plan(merchant=merchant, plan=plan, enqueue=False)


@pytest.fixture
def two_scripts():
    merchant = MerchantFactory(name="Atelier")
    first, _ = storefront_key_create(merchant=merchant, name="lookbook script")
    second, _ = storefront_key_create(merchant=merchant, name="banner script")
    job = same_render(merchant)
    assert same_render(merchant).id == job.id  # the second request is given the first one's job
    return first, second, job


def test_an_interrupt_leaves_a_job_that_another_keys_request_waits_for(two_scripts):
    first, second, job = two_scripts
    A1111Render.objects.create(key=first, job=job)
    A1111Render.objects.create(key=second, job=job)

    assert services.a1111_interrupt(key=first) == 0
    assert not TryOnJob.objects.get(pk=job.pk).cancel_requested

    A1111Render.objects.filter(key=second).delete()  # the banner script got its answer or gave up
    assert services.a1111_interrupt(key=first) == 1


def test_a_timed_out_request_leaves_a_job_another_request_still_waits_for(two_scripts, settings, monkeypatch):
    first, second, job = two_scripts
    settings.TRYON_SDAPI_TIMEOUT = 0
    monkeypatch.setattr(services, "POLL_SECONDS", 0)
    mine = A1111Render.objects.create(key=first, job=job)
    theirs = A1111Render.objects.create(key=second, job=job)

    with pytest.raises(services.A1111Error):
        services._wait([job], renders=[mine.id])
    assert not TryOnJob.objects.get(pk=job.pk).cancel_requested

    with pytest.raises(services.A1111Error):
        services._wait([job], renders=[theirs.id])  # the last one waiting gives up: nobody wants it now
    assert TryOnJob.objects.get(pk=job.pk).status == TryOnJob.Status.CANCELLED
