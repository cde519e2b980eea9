"""Content moderation of a merchant's images: shopper photos when they are uploaded, renders before they are stored.

The level is the merchant's (Merchant.moderation: off | permissive | conservative); a request that may choose its
own (FASHN's `moderation_level`) answers `job_level_asked` for its job. "off" needs nothing: no weights, no torch.
The checker itself is the engine's (generation.moderation), loaded in a process on its first check (about 1.2 GB
on the CPU), so a web process that never sees a shopper photo with moderation on never loads it.

Drafts (tryon.jobs.drafts) are not checked: they are made only of the merchant's own uploads and of a shopper's
photo that was checked when it was uploaded, and a draft is never stored as a result.
"""

import logging

from django.core.exceptions import ValidationError
from django.dispatch import Signal

from tryon.merchants.models import ModerationLevel

logger = logging.getLogger(__name__)

BLOCKED_MESSAGE = "The picture did not pass the shop's content checks."
UNAVAILABLE_MESSAGE = "The shop's content checks are not available right now; please try again later."
OFF = ModerationLevel.OFF
STRICTNESS = [ModerationLevel.OFF, ModerationLevel.PERMISSIVE, ModerationLevel.CONSERVATIVE]

# Sent with job_id=...; a receiver answers the level a request asked for that job, or None. Several answers
# (predictions sharing one render): the strictest. No answer: the merchant's level.
job_level_asked = Signal()


class ContentBlocked(ValidationError):
    """An image did not pass the checks; `message` is for the person who sent it, `verdicts` for logs."""

    def __init__(self, message: str = BLOCKED_MESSAGE, *, verdicts: tuple = ()):
        super().__init__(message, code="content_moderation")
        self.verdicts = verdicts


class ModerationUnavailable(ValidationError):
    """Moderation is on but its checker cannot load here (weights missing): the image is refused, not let through."""

    def __init__(self, message: str = UNAVAILABLE_MESSAGE):
        super().__init__(message, code="weights_missing")


def strictest(levels) -> str:
    return max(levels, key=STRICTNESS.index, default=OFF)


def job_moderation_level(*, job) -> str:
    """The level `job`'s renders are checked at: the strictest its requests asked for, never laxer than its
    merchant's (a render is cached and may be served on any of the merchant's paths)."""
    asked = [level for _receiver, level in job_level_asked.send(sender=None, job_id=job.id) if level]
    return strictest([job.merchant.moderation, *asked])


def _open(image):
    from PIL import Image

    if isinstance(image, Image.Image):
        return image
    if hasattr(image, "seek"):
        image.seek(0)
    opened = Image.open(image)
    opened.load()
    if hasattr(image, "seek"):
        image.seek(0)  # the caller stores the same file next
    return opened


def images_moderation_check(*, level: str, images: list) -> None:
    """Raise ContentBlocked if any image fails at `level`; no-op when it is off. Missing weights raise the
    engine's ModerationWeightsMissing (an EngineError with the weights_missing code)."""
    if level == OFF:
        return
    from generation.moderation import check_images

    verdicts = check_images([_open(image) for image in images], level=level)
    blocked = tuple(verdict for verdict in verdicts if verdict.blocked)
    if blocked:
        logger.info(
            "Content moderation (%s) blocked %s of %s images: %s",
            level,
            len(blocked),
            len(verdicts),
            [verdict.to_dict() for verdict in blocked],
        )
        raise ContentBlocked(verdicts=blocked)


def image_moderation_check(*, merchant, image) -> None:
    """An upload (a shopper's photo) at the merchant's level: ContentBlocked when it fails, ModerationUnavailable
    when the checker cannot load (the upload is refused, never let through unchecked); no-op when off.

    `image`: a PIL image or an image file (an upload; it is rewound for the caller to store)."""
    from generation.errors import WeightsMissing

    try:
        images_moderation_check(level=merchant.moderation, images=[image])
    except WeightsMissing as error:
        logger.error("Content moderation for %s: %s", merchant.slug, error)
        raise ModerationUnavailable() from None


def job_renders_check(*, job, images: list) -> None:
    """A render's images before they are stored: the engine's ImageBlocked (code content_moderation, the message
    for the shopper) when one fails, so the job fails with that code and nothing of it is stored."""
    from generation.moderation import ImageBlocked

    level = job_moderation_level(job=job)
    try:
        images_moderation_check(level=level, images=images)
    except ContentBlocked as blocked:
        logger.info("Try-on #%s: blocked by content moderation (%s)", job.id, level)
        raise ImageBlocked(BLOCKED_MESSAGE) from blocked
