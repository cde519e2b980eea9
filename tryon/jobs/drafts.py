"""The instant draft of a warp try-on: made in the request, shown to the shopper before diffusion starts.

The garments' stored cut-outs are warped onto the person by keypoints (prompts.draft): milliseconds on a
CPU, no GPU queue. The person is the fashion model's photo, else the stage-1 person when it was rendered
before, else a neutral silhouette in the pose on the scene's picture. The render replaces it when done.
"""

import io
import logging
import time
from functools import lru_cache

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from prompts import GenerationPlan
from prompts.letterbox import letterbox
from tryon.jobs.models import TryOnJob
from tryon.jobs.persons import person_render_find

logger = logging.getLogger(__name__)
DRAFT_QUALITY = 92  # JPEG: a draft is replaced in seconds, and encodes ten times faster than PNG


def stored_image(name: str, mode: str) -> Image.Image:
    with default_storage.open(name) as stored, Image.open(stored) as image:
        return image.convert(mode)


@lru_cache(maxsize=64)
def _cutout(name: str, sha256: str) -> Image.Image:
    """A garment's cut-out, decoded once per process: every shopper trying that garment on shares it.

    Keyed by content hash as well as name, so a new cut-out is never served stale; never modified by callers.
    """
    return stored_image(name, "RGBA")


def draft_person(job: TryOnJob, plan: GenerationPlan) -> Image.Image:
    """Who the draft dresses: the photo, the stage-1 person if already rendered, or a silhouette."""
    from prompts.silhouette import silhouette

    if plan.init_image is not None:
        return stored_image(plan.init_image.name, "RGB")
    if (person := person_render_find(merchant_id=job.merchant_id, plan=plan.person)) is not None:
        return person
    scene = job.scene
    background = None
    if scene is not None and scene.picture:
        background = stored_image(scene.picture.name, "RGB")
    return silhouette(plan.person_keypoints, width=plan.width, height=plan.height, background=background)


def tryon_job_draft_create(*, job: TryOnJob, plan: GenerationPlan) -> TryOnJob:
    """Compose and store `job`'s draft. A draft that cannot be made is logged, never fatal: the render goes on."""
    from prompts.draft import DraftLayer, compose_draft

    started = time.perf_counter()
    try:
        person = letterbox(draft_person(job, plan), plan.width, plan.height)
        layers = [
            DraftLayer(
                cutout=_cutout(layer.cutout.name, layer.cutout.sha256),
                category=layer.category,
                sleeves=layer.sleeves,
                length=layer.length,
            )
            for layer in plan.garment_layers
        ]
        draft = compose_draft(person, layers, plan.person_keypoints, width=plan.width, height=plan.height)
        buffer = io.BytesIO()
        draft.image.save(buffer, format="JPEG", quality=DRAFT_QUALITY, subsampling=0)  # 4:4:4 keeps thin stripes
        job.draft.save(f"{job.merchant_id}/draft-{job.id}.jpg", ContentFile(buffer.getvalue()), save=False)
    except (OSError, ValueError) as error:
        logger.warning("No draft for try-on #%s: %s", job.id, error)
        job.draft = None
        return job
    TryOnJob.objects.filter(pk=job.pk).update(draft=job.draft.name)
    logger.info("Draft of try-on #%s made in %.0f ms", job.id, (time.perf_counter() - started) * 1000)
    return job
