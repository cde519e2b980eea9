"""FASHN's `moderation_level` as the shop's content moderation (tryon.moderation): none -> off, permissive,
conservative; absent, the shop's own level (Merchant.moderation). A request may ask for stricter checks than the
shop's, never for laxer ones: what it renders (stage-1 persons, results) is cached and may reach the shop's shoppers.

The request's photos are checked at that level at once (a refused one answers 400 ContentModerationError naming
the input); its renders are checked in the worker at the level its predictions ask (`job_level_asked`, answered
by tryon.fashn.apps), so a blocked render fails the job and the prediction reports ContentModerationError.
"""

import logging

from django.core.files.storage import default_storage
from rest_framework import status

from tryon.fashn.errors import FashnError
from tryon.fashn.models import Prediction
from tryon.jobs.models import TryOnJob
from tryon.merchants.models import Merchant, ModerationLevel
from tryon.moderation import ContentBlocked, images_moderation_check, strictest

logger = logging.getLogger(__name__)

LEVELS = {
    "none": ModerationLevel.OFF,
    "permissive": ModerationLevel.PERMISSIVE,
    "conservative": ModerationLevel.CONSERVATIVE,
}


def prediction_moderation_level(*, merchant: Merchant, options: dict) -> str:
    """The level a prediction's photos and renders are checked at: the stricter of its `moderation_level` and the
    shop's."""
    asked = options.get("moderation_level")
    return strictest([merchant.moderation, LEVELS[asked]]) if asked else merchant.moderation


def predictions_moderation_level(*, job_id: int) -> str | None:
    """The strictest level the job's predictions ask for; None when no prediction shares the job."""
    predictions = Prediction.objects.filter(job_id=job_id).select_related("merchant")
    levels = [prediction_moderation_level(merchant=p.merchant, options=p.options) for p in predictions]
    return strictest(levels) if levels else None


def prediction_images_check(*, level: str, images: list, field: str) -> None:
    """`images` (files or PIL images) at `level`, refused as FASHN names it: ContentModerationError on `field`."""
    from generation.errors import WeightsMissing

    try:
        images_moderation_check(level=level, images=images)
    except ContentBlocked as blocked:
        raise FashnError("ContentModerationError", f"{field}: {blocked.message}") from None
    except WeightsMissing as error:  # refused, never let through unchecked; the operator's log says how to fix it
        logger.error("Content moderation for a prediction: %s", error)
        raise FashnError(
            "InternalServerError",
            f"{field}: the shop's content checks are not available right now; try again later.",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        ) from None


def prediction_photos_check(*, level: str, photos: dict) -> None:
    """The request's photos (field -> ContentFile of its bytes) before anything is stored. A photo that does not
    decode is left to the upload rules, which refuse it with their own words next."""
    from PIL import Image, UnidentifiedImageError

    if level == ModerationLevel.OFF:
        return
    for field, photo in photos.items():
        try:
            photo.seek(0)
            with Image.open(photo) as opened:
                opened.load()
                image = opened.convert("RGB")
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            continue
        finally:
            photo.seek(0)
        prediction_images_check(level=level, images=[image], field=f"inputs.{field}")


def prediction_reused_result_check(*, level: str, job: TryOnJob) -> None:
    """A finished render another prediction made (at its own level) is checked at this one's before it is served."""
    if level == ModerationLevel.OFF or job.status != TryOnJob.Status.SUCCEEDED:
        return  # a job still to render is checked at the strictest level asked, this one's included
    files = [default_storage.open(image.file.name) for image in job.images.order_by("index")]
    try:
        if files:
            prediction_images_check(level=level, images=files, field="output")
    finally:
        for file in files:
            file.close()
