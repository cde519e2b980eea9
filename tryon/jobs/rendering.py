"""Rendering a claimed try-on: its plan and photos, the quality gate's attempts, storing the images, its end.

The state changes themselves (claim, finish) are tryon.jobs.services'; this module does the work between.
"""

import hashlib
import io
import logging
import sys
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from prompts import GenerationPlan, PlanError
from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.jobs.persons import person_render_get_or_create
from tryon.jobs.services import JobStateError, tryon_job_claim, tryon_job_finish

logger = logging.getLogger(__name__)
Status = TryOnJob.Status
FailureCode = TryOnJob.FailureCode


def job_plan_with_person(job: TryOnJob, progress) -> tuple[GenerationPlan, dict, object]:
    """A claimed job's plan and the images it needs, its stage-1 person rendered (or taken from the cache) first.

    Returns the progress callback the plan's own render reports to: one bar runs over both stages.
    """
    plan = GenerationPlan.from_dict(job.plan)
    images = plan_images(plan)
    if plan.person is not None:
        stages = _PersonThenRefine(progress, refine_steps=max(1, int(plan.steps * plan.strength)))
        images[plan.person_ref] = person_render_get_or_create(
            merchant_id=job.merchant_id, plan=plan.person, on_step=stages, check=_moderation_of(job)
        )
        progress = stages.refine
    return plan, images, progress


def _moderation_of(job: TryOnJob):
    """The check a new stage-1 person passes before it is stored: later drafts show it to shoppers."""
    from tryon.moderation import job_renders_check

    return lambda images: job_renders_check(job=job, images=images)


class ProgressWriter:
    """Writes step k of n at most every TRYON_PROGRESS_INTERVAL seconds, and learns of a cancel then."""

    def __init__(self, job_id: int, also=None):
        self.job_id = job_id
        self.also = also
        self.last_write = float("-inf")

    def __call__(self, step: int, total: int) -> None:
        from generation import RenderCancelled

        now = time.monotonic()
        if step == total or now - self.last_write >= settings.TRYON_PROGRESS_INTERVAL:
            self.last_write = now
            written = TryOnJob.objects.filter(pk=self.job_id, status=Status.RUNNING, cancel_requested=False).update(
                steps_done=step, steps_total=total, heartbeat_at=timezone.now()
            )
            if not written:
                raise RenderCancelled(f"Try-on #{self.job_id} was cancelled after step {step - 1} of {total}.")
        if self.also is not None:
            self.also(step, total)


class _PersonThenRefine:
    """The stage-1 person and the refine as one bar: step k of the person's steps plus the refine's."""

    def __init__(self, writer, *, refine_steps: int):
        self.writer, self.refine_steps, self.person_steps = writer, refine_steps, 0

    def __call__(self, step: int, total: int) -> None:  # the person's steps; the refine's are an estimate so far
        self.person_steps = total
        self.writer(step, total + self.refine_steps)

    def refine(self, step: int, total: int) -> None:
        self.writer(self.person_steps + step, self.person_steps + total)


class PlanImageMissing(Exception):
    """A photo the plan refers to is gone or changed since the job was planned."""


def plan_images(plan: GenerationPlan) -> dict:
    """The photos a plan conditions on, from storage, keyed by content hash as render() expects them."""
    from PIL import Image

    refs = list(plan.image_refs)
    cutouts = {layer.cutout.sha256 for layer in plan.garment_layers}  # their transparency says where the garment is
    images = {}
    for ref in filter(None, refs):
        if ref.sha256 in images:
            continue
        try:
            with default_storage.open(ref.name) as file:
                data = file.read()
        except OSError:
            raise PlanImageMissing(f"The photo {ref.name} is no longer in storage; plan the try-on again.") from None
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise PlanImageMissing(f"The photo {ref.name} changed since the try-on was planned; plan it again.")
        with Image.open(io.BytesIO(data)) as image:
            images[ref.sha256] = image.convert("RGBA" if ref.sha256 in cutouts else "RGB")
    return images


def _describe_failure(error: BaseException) -> tuple[str, str]:
    """Why a render failed: its failure code, and the message for the merchant."""
    from generation import EngineError

    if isinstance(error, EngineError):
        return error.code, str(error)
    if isinstance(error, PlanImageMissing | PlanError):
        return FailureCode.INVALID_INPUT, str(error)
    if isinstance(error, SoftTimeLimitExceeded):
        seconds = settings.CELERY_TASK_SOFT_TIME_LIMIT
        return FailureCode.TIMED_OUT, f"The render took longer than {seconds:g} seconds and was stopped."
    if _out_of_memory(error):
        return (
            FailureCode.OUT_OF_MEMORY,
            "The worker ran out of memory while rendering. Try a smaller size or fewer samples.",
        )
    return FailureCode.INTERNAL, f"Rendering failed unexpectedly ({type(error).__name__}: {error})."


def _out_of_memory(error: BaseException) -> bool:
    """Out of memory outside the engine's own step loop (loading, scoring): Python's or torch's, by type."""
    if isinstance(error, MemoryError):
        return True
    torch = sys.modules.get("torch")  # never imported for this: a worker that rendered has it already
    return torch is not None and isinstance(error, torch.OutOfMemoryError)


def tryon_job_render(*, job_id: int, on_step=None, claimed: bool = False) -> None:
    """The worker's whole job: claim, render, store the images, finish. Safe to run twice.

    `claimed=True`: the caller has claimed the job already (the worker's task, tryon.jobs.claims).

    `on_step(step, total)` is called at every step as well, for a caller's own progress display.
    """

    # 1. Claim: only one worker renders a job; a redelivered or cancelled job is left alone. A worker's
    #    task has claimed the most urgent job of its preset before (tryon.jobs.claims) and says so.
    if not claimed and not tryon_job_claim(job_id=job_id):
        logger.info("Try-on #%s is not queued any more; nothing to do", job_id)
        return
    job = TryOnJob.objects.get(pk=job_id)

    # 2. Render: the stage-1 person first where the plan needs one (rendered once, shared by every garment),
    #    then the plan, scored, and tried again with the next seeds while the quality gate fails.
    try:
        plan, images, progress = job_plan_with_person(job, ProgressWriter(job_id, also=on_step))
        kept, seconds = render_until_faithful(job, plan, images, progress)
    except Exception as error:
        tryon_job_end_with(job_id=job_id, error=error)
        return

    # 3. Store the kept images and finish, together.
    store_result(job, kept, seconds)


def tryon_job_end_with(*, job_id: int, error: Exception) -> None:
    """A running job's render ended with `error`: cancelled if that was a cancel, else failed with its code."""
    import generation

    if isinstance(error, generation.RenderCancelled):
        tryon_job_finish(job_id, Status.CANCELLED, failure_code=FailureCode.CANCELLED)
        logger.info("Try-on #%s cancelled", job_id)
        return
    if not isinstance(error, generation.EngineError | PlanError | PlanImageMissing):
        logger.error("Try-on #%s failed", job_id, exc_info=error)
    code, message = _describe_failure(error)
    tryon_job_finish(job_id, Status.FAILED, error=message, failure_code=code)


def render_until_faithful(
    job: TryOnJob, plan: GenerationPlan, images: dict, progress, *, first=None
) -> tuple[list, float]:
    """Each sample's best image by fidelity score over the attempts the quality gate allows, and the seconds spent.

    Attempt k renders seeds seed + k * samples onwards, so no attempt repeats another's image. `first`: attempt
    0's RenderResult, rendered already in a batch (tryon.jobs.batch_render); retries render alone.
    """
    import dataclasses

    import generation
    from generation.infotext import with_fields
    from tryon.jobs import quality  # scoring's image libraries: a worker's, never a web request's

    preset = generation.get_preset(plan.preset)
    thresholds = quality.thresholds_for(job.merchant, plan.preset)
    # Strength 0 is the draft itself: another seed would give the same pixels
    retries = quality.gate_retries(preset) if plan.mode != "warp" or plan.strength > 0 else 0
    gate_face = quality.retries_rerender_face(plan)  # a warp's cached stage-1 face: scored, never gated
    kept: list = [None] * plan.samples
    attempts, seconds, expected = [], 0.0, None
    for attempt in range(retries + 1):
        seed = (plan.seed + attempt * plan.samples) % 2**32
        attempt_plan = plan if attempt == 0 else dataclasses.replace(plan, seed=seed)
        try:
            if attempt == 0 and first is not None:
                result = first
            else:
                result = generation.render(attempt_plan, on_step=progress, **({"images": images} if images else {}))
        except generation.RenderCancelled:
            raise
        except Exception as error:
            if attempt == 0:
                raise
            # A retry that fails (out of memory, out of time) keeps what the earlier attempts made
            logger.warning("Try-on #%s: quality retry %s failed (%s); keeping the best so far", job.id, attempt, error)
            break
        seconds += result.seconds
        scored = []
        for index, image in enumerate(result.images):
            if expected is None:  # the same garments in the same place on every attempt
                expected = quality.expected_garment_or_none(job, plan, images, result)
            scores, note = quality.score_image(image, expected)
            infotext = with_fields(result.infotexts[index], _score_fields(scores, attempt))
            one = quality.ScoredImage(image, infotext, attempt_plan.sample_seeds[index], attempt, scores, note=note)
            scored.append(quality.judge(one, thresholds, gate=retries > 0, gate_face=gate_face))
            if kept[index] is None or scored[-1].rank > kept[index].rank:
                kept[index] = scored[-1]
        attempts.append(quality.attempt_record(attempt, seed, scored))
        TryOnJob.objects.filter(pk=job.id).update(quality_attempts=attempts)
        if all(image.passes for image in kept):
            break
        logger.info("Try-on #%s attempt %s failed the quality gate; trying the next seed", job.id, attempt + 1)
    for image in kept:
        image.garment_mask = expected.garment.getchannel("A") if expected and expected.garment else None
    return kept, seconds


def _score_fields(scores, attempt: int) -> dict:
    fields = {}
    if scores is not None:
        fields["Fidelity"] = scores.infotext().removeprefix("Fidelity: ")
    if attempt:
        fields["Quality attempt"] = attempt + 1
    return fields


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def store_result(job: TryOnJob, kept: list, seconds: float) -> None:
    from generation import png_with_parameters
    from tryon.moderation import job_renders_check

    # Content moderation first, where the job's level is on: a blocked image is never stored or served,
    # and its job fails with the content_moderation code (missing checker weights: weights_missing).
    try:
        job_renders_check(job=job, images=[scored.image for scored in kept])
    except Exception as error:
        tryon_job_end_with(job_id=job.id, error=error)
        return

    written: list = []
    try:
        with transaction.atomic():
            for index, scored in enumerate(kept):
                generated, _created = GeneratedImage.objects.get_or_create(
                    job=job,
                    index=index,
                    defaults={
                        "merchant_id": job.merchant_id,
                        "catalog_item_id": job.catalog_item_id,
                        "width": scored.image.width,
                        "height": scored.image.height,
                        "seed": scored.seed,
                        "parameters": scored.infotext,
                        "scores": scored.scores.to_dict() if scored.scores else None,
                        "quality_failures": scored.failures,
                        "attempt": scored.attempt,
                    },
                )
                if not generated.file:
                    png = png_with_parameters(scored.image, scored.infotext)
                    generated.file.save(f"tryon-{job.id}-{index}.png", ContentFile(png), save=True)
                    written.append(generated.file)
                if scored.garment_mask is not None and not generated.garment_mask:
                    mask = ContentFile(_png(scored.garment_mask))
                    generated.garment_mask.save(f"tryon-{job.id}-{index}-mask.png", mask, save=True)
                    written.append(generated.garment_mask)
            if not tryon_job_finish(job.id, Status.SUCCEEDED, render_seconds=seconds):
                raise JobStateError(f"Try-on #{job.id} was cancelled before its images were stored.")
    except Exception as error:
        for file in written:
            file.storage.delete(file.name)
        if isinstance(error, JobStateError):
            logger.info("%s", error)
            return
        logger.exception("Storing the images of try-on #%s failed", job.id)
        message = f"The images could not be stored ({type(error).__name__}: {error})."
        tryon_job_finish(job.id, Status.FAILED, error=message, failure_code=FailureCode.INTERNAL)
