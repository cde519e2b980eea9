"""The init images, masks and ControlNet images A1111 clients send are kept only while a render may need them:
the sweeper deletes those older than TRYON_SDAPI_RETENTION_HOURS that no unfinished job's plan names."""

import os
import time

import pytest
from django.core.files.storage import default_storage

from generation.samplers import SAMPLERS
from prompts.plan import GenerationPlan
from tests.factories import MerchantFactory
from tests.tryon.a1111.conftest import photo
from tryon.a1111 import images
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import tryon_job_cancel, tryon_job_create_from_plan
from tryon.jobs.sweeper import tryon_jobs_sweep_exclusive

pytestmark = pytest.mark.django_db(transaction=True)


def sent_image(merchant, colour, *, hours_ago: float):
    pending = {}
    ref = images.image_ref(photo(64, 64, colour), merchant_id=merchant.id, pending=pending)
    images.images_store(pending)
    then = time.time() - hours_ago * 3600
    os.utime(default_storage.path(ref.name), (then, then))
    return ref


def img2img_job(merchant, init) -> TryOnJob:
    plan = GenerationPlan(prompt="a linen shirt", negative_prompt="", width=64, height=64, steps=2, seed=1,
                          guidance_scale=7.0, sampler=next(iter(SAMPLERS)), preset="tiny", mode="refine",
                          init_image=init, strength=0.5)  # fmt: skip
    return tryon_job_create_from_plan(merchant=merchant, plan=plan, enqueue=False)


def test_the_sweeper_deletes_old_a1111_inputs_that_no_waiting_render_needs(settings):
    settings.TRYON_SDAPI_RETENTION_HOURS = 24
    merchant = MerchantFactory(name="Atelier")
    old = sent_image(merchant, (10, 20, 30), hours_ago=25)
    recent = sent_image(merchant, (40, 50, 60), hours_ago=1)
    queued = sent_image(merchant, (70, 80, 90), hours_ago=25)
    job = img2img_job(merchant, queued)

    tryon_jobs_sweep_exclusive(holder="test")

    assert not default_storage.exists(old.name)
    assert default_storage.exists(recent.name) and default_storage.exists(queued.name)

    tryon_job_cancel(job_id=job.id)  # nothing will render from it now
    tryon_jobs_sweep_exclusive(holder="test")
    assert not default_storage.exists(queued.name) and default_storage.exists(recent.name)
