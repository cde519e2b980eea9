"""A plan that conditions on photos gets them from storage, exactly as they were when it was planned."""

import dataclasses

import pytest
from PIL import Image

from prompts import GenerationPlan, ImageRef
from tests.factories import GarmentFactory, shop_with_picks
from tryon.jobs.models import TryOnJob
from tryon.jobs.rendering import PlanImageMissing, plan_images, tryon_job_render
from tryon.jobs.services import tryon_job_create

pytestmark = pytest.mark.django_db


def garment_ref(garment) -> ImageRef:
    import hashlib

    garment.image_sha256 = hashlib.sha256(garment.image.read()).hexdigest()
    garment.save()
    return ImageRef(name=garment.image.name, sha256=garment.image_sha256)


def test_the_photos_a_plan_refers_to_come_back_keyed_by_their_content_hash():
    ref = garment_ref(GarmentFactory())
    plan = dataclasses.replace(_plan(), garment_references=(ref, ref))

    images = plan_images(plan)

    assert list(images) == [ref.sha256]
    assert isinstance(images[ref.sha256], Image.Image) and images[ref.sha256].mode == "RGB"


def test_a_photo_changed_since_planning_fails_the_job_with_words_not_a_traceback():
    shop = shop_with_picks()
    ref = garment_ref(shop["catalog_item"].garments.get())
    job = tryon_job_create(**shop)
    stale = ImageRef(name=ref.name, sha256="0" * 64)
    TryOnJob.objects.filter(pk=job.id).update(plan={**job.plan, "garment_references": [dataclasses.asdict(stale)]})

    tryon_job_render(job_id=job.id)

    job.refresh_from_db()
    assert job.status == "failed"
    assert "changed since the try-on was planned" in job.error


def test_a_photo_gone_from_storage_is_named():
    ref = garment_ref(GarmentFactory())
    plan = dataclasses.replace(_plan(), garment_references=(ImageRef(name="garments/gone.jpg", sha256=ref.sha256),))

    with pytest.raises(PlanImageMissing, match=r"garments/gone\.jpg is no longer in storage"):
        plan_images(plan)


def _plan() -> GenerationPlan:
    return GenerationPlan.from_dict(tryon_job_create(**shop_with_picks()).plan)
