"""One-time set-up of a worker process: load the pipeline before the first job, not during it."""

import logging

from celery.signals import worker_process_init
from django.conf import settings

logger = logging.getLogger(__name__)


@worker_process_init.connect
def load_pipeline_once(**_kwargs) -> None:
    import generation

    try:
        generation.load_pipeline(settings.TRYON_PRESET)
    except generation.EngineError as error:
        # Keep the worker up: each job then fails at once with this message instead of hanging.
        logger.error("Could not load preset %r: %s", settings.TRYON_PRESET, error)
        return
    warm_up_compiled(settings.TRYON_PRESET)


def warm_up_compiled(preset: str) -> None:
    """TRYON_COMPILE=1: compile now, at batch 1 and the largest batch, so no shopper's render pays for it."""
    from generation.loading import env_flag
    from generation.warmup import warm_up

    if not env_flag("TRYON_COMPILE"):
        return
    try:
        warm_up(preset, batch_sizes=(1, settings.TRYON_MAX_BATCH), previews=settings.TRYON_SHOPPER_PREVIEW)
    except Exception:  # a failed warm-up costs speed, not jobs: the first render compiles instead
        logger.exception("Warm-up of preset %r failed; the first jobs will compile", preset)
