"""Stage 1 of a warp try-on: the person, rendered once per fashion model × pose × scene and shared.

A catalog of 200 garments on 4 models in 3 poses and 2 scenes needs 24 person renders, not 4,800:
each is stored under its plan's fingerprint (PersonRender) and every garment's render reuses it.
"""

import hashlib
import logging
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from PIL import Image

from prompts import GenerationPlan
from tryon.jobs.models import PersonRender

logger = logging.getLogger(__name__)


def person_render_find(*, merchant_id: int, plan: GenerationPlan) -> Image.Image | None:
    """The stored stage-1 person of `plan` (a warp plan's `person`), or None when it was never rendered."""
    found = PersonRender.objects.filter(merchant_id=merchant_id, fingerprint=plan.fingerprint).first()
    if found is None:
        return None
    try:
        with default_storage.open(found.file.name) as stored, Image.open(stored) as image:
            return image.convert("RGB")
    except OSError:  # the file went missing: render it again rather than fail the try-on
        logger.warning("Person render %s is missing its file; rendering it again", found.fingerprint[:8])
        found.delete()
        return None


def person_render_get_or_create(*, merchant_id: int, plan: GenerationPlan, on_step=None, check=None) -> Image.Image:
    """The stage-1 person of `plan`: stored already, or rendered now and stored for every later garment.

    `check([image])` runs before a new person is stored and raises to refuse it (content moderation)."""
    import generation
    from tryon.jobs.rendering import plan_images  # late: rendering imports this module

    if (image := person_render_find(merchant_id=merchant_id, plan=plan)) is not None:
        return image
    # A cast fashion model's portrait conditions the person (identity_references): its pixels from storage
    result = generation.render(plan, on_step=on_step, images=plan_images(plan))
    image = result.images[0]
    if check is not None:
        check([image])
    png = generation.png_with_parameters(image, result.parameters)
    sha256 = hashlib.sha256(png).hexdigest()
    # A name of its own: two workers rendering the same person at once must never overwrite or delete each other's
    name = default_storage.save(
        f"persons/{merchant_id}/{plan.fingerprint[:32]}-{uuid.uuid4().hex[:8]}.png", ContentFile(png)
    )
    try:
        with transaction.atomic():
            PersonRender.objects.create(
                merchant_id=merchant_id,
                fingerprint=plan.fingerprint,
                file=name,
                sha256=sha256,
                preset=plan.preset,
                render_seconds=result.seconds,
            )
    except IntegrityError:  # another worker stored the same person meanwhile: the same pixels, keep theirs
        default_storage.delete(name)  # ours alone, by its name
    return image
