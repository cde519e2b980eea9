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
