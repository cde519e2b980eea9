"""Try-on jobs: create, claim, render, finish, cancel.

Every state change is a conditional UPDATE whose row count says whether it happened, so a
redelivered task, a second worker or a cancel racing a render can never move a job twice.
"""

import dataclasses
import hashlib
import io
import logging
import sys
import time
from collections.abc import Sequence

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from prompts import GenerationPlan, PickError, PlanError, build_plan
from tryon.catalog.cutouts import garment_cutout_ensure
from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.catalog.picks import fashion_model_pick, garment_pick, pose_pick, scene_pick
from tryon.jobs.drafts import tryon_job_draft_create
from tryon.jobs.models import GeneratedImage, TryOnJob
from tryon.jobs.outbox import job_event_record
from tryon.jobs.persons import person_render_get_or_create
from tryon.logs import job_logging
from tryon.merchants.models import Merchant

logger = logging.getLogger(__name__)
Status = TryOnJob.Status
FailureCode = TryOnJob.FailureCode


class JobStateError(Exception):
    """The job is not in a state that allows what was asked."""


def _owned(merchant: Merchant, field: str, obj) -> None:
    if obj is None:
        raise ValidationError({field: "This field is required."})
    if obj.merchant_id != merchant.id:
        raise ValidationError({field: f"{obj} does not belong to {merchant}."})


def tryon_job_create(
    *,
    merchant: Merchant,
    fashion_model: FashionModel,
    pose: Pose,
    scene: Scene,
    garments: Sequence[Garment] | None = None,
    catalog_item: CatalogItem | None = None,
    seed: int | None = None,
    samples: int = 1,
    preset: str | None = None,
    style: str = "studio",
    priority: str = TryOnJob.Priority.SHOPPER,
    method: str = "warp",
    enqueue: bool = True,
    steps: int | None = None,
    accept_preview: bool = False,
) -> TryOnJob:
    """Plan a try-on and queue it; the render is enqueued only once this transaction commits.

    A request that would render what a live or finished job already renders gets that job back
    (`job.reused` is True): no second render, and a finished one answers at once. Without a seed the
    seed follows from the picks, so the same picks later are the same image, already made.
    `method` "warp" (the default) puts each garment's own cut-out on the person, shows it at once as the
    job's draft and refines it; "text" draws the garments from their descriptions. A garment without a
    cut-out is drawn from its description, and `job.notice` says so.
    `enqueue=False` leaves a new job queued for a caller that renders it in-process (tryon_render).
    Shopper try-ons render on the preview path (TRYON_SHOPPER_PREVIEW); `accept_preview` lets a batch caller
    that renders for shoppers (tryon.jobs.precompute) take a shopper's preview of the same picks as its answer.
    """
    from generation.presets import get_preset  # light: no torch
    from tryon.jobs.heartbeats import preset_check_served

    for field, obj in (("fashion_model", fashion_model), ("pose", pose), ("scene", scene)):
        _owned(merchant, field, obj)
    if catalog_item is not None:
        _owned(merchant, "catalog_item", catalog_item)
    garments = list(garments) if garments else list(catalog_item.garments.all()) if catalog_item else []
    if not garments:
        raise ValidationError({"garments": "Pick at least one garment or a catalog item that has garments."})
    for garment in garments:
        _owned(merchant, "garments", garment)

    try:
        chosen = get_preset(preset or settings.TRYON_PRESET)
    except Exception as error:
        raise ValidationError({"preset": str(error)}) from None
    if enqueue:  # a job no worker could ever take is refused now, not left queued (tryon.jobs.heartbeats)
        preset_check_served(chosen.name)
    if seed is None:
        seed = _seed_for_picks(chosen.name, garments, fashion_model, pose, scene)
    if method not in METHODS:
        raise ValidationError({"method": f"{method!r} is not one of {', '.join(METHODS)}."})
    mode, notice = _render_mode(method, chosen, garments, fashion_model)
    warp = {}
    if mode == "warp":
        warp = {
            "strength": chosen.refine_strength,
            "garment_references": bool(chosen.ip_adapter),
            "person_preset": chosen.person_preset or chosen.name,
            "person_seed": _seed_for_picks(chosen.name, [], fashion_model, pose, scene),  # one person per picks
        }
    try:
        plan = build_plan(
            garments=[garment_pick(garment) for garment in garments],
            fashion_model=fashion_model_pick(fashion_model),
            pose=pose_pick(pose),
            scene=scene_pick(scene),
            preset=chosen.name,
            seed=seed,
            base_size=(chosen.width, chosen.height),  # the pose's framing picks the aspect at this pixel count
            style=style,
            mode=mode,
            steps=steps or chosen.steps,  # a caller's own count (tryon.fashn's `mode`), else the preset's
            guidance_scale=chosen.guidance_scale,
            sampler=chosen.sampler,
            samples=samples,
            **warp,
        )
    except (PickError, PlanError) as error:
        field, _, message = str(error).partition(": ")
        raise ValidationError({field.split(".")[0]: message or str(error)}) from None

    cache_key = _cache_key(plan, catalog_item)
    wanted = [(cache_key, TryOnJob.REUSABLE)]  # what answers this request, best first; one query for all
    if priority == TryOnJob.Priority.SHOPPER and settings.TRYON_SHOPPER_PREVIEW:
        # A shopper waits: the preview path, unless a full-quality render of the same picks (a merchant's batch,
        # a precompute) is already there.
        plan = _preview_of(plan)
        wanted = [(cache_key, (Status.SUCCEEDED,))]
        cache_key = _cache_key(plan, catalog_item)
        wanted.append((cache_key, TryOnJob.REUSABLE))
    elif accept_preview and settings.TRYON_SHOPPER_PREVIEW:  # a caller rendering for shoppers (precompute)
        wanted.append((_cache_key(_preview_of(plan), catalog_item), TryOnJob.REUSABLE))
    if existing := _reusable_job(merchant, wanted):
        return existing
    # The job, its garments, its draft and its message together. The INSERT comes first in the transaction, so
    # losing the race to an identical request rolls back nothing else, and needs no savepoint of its own
    # (two round trips fewer per submission); the winner's job is the answer.
    try:
        with transaction.atomic():
            job = TryOnJob.objects.create(
                merchant=merchant,
                catalog_item=catalog_item,
                fashion_model=fashion_model,
                pose=pose,
                scene=scene,
                plan=plan.to_dict(),
                plan_fingerprint=plan.fingerprint,
                cache_key=cache_key,
                preset=plan.preset,
                style=style,
                seed=plan.seed,
                steps_total=plan.steps,
                priority=priority,
                notice=notice,
                enqueued_at=timezone.now() if enqueue else None,  # its message goes out as this commits
            )
            _garments_of_new_job(job, garments)
            job.reused = False
            if mode == "warp" and priority == TryOnJob.Priority.SHOPPER:  # someone waits at a screen; a batch not
                with job_logging(job_id=job.id, merchant=merchant.slug):
                    tryon_job_draft_create(job=job, plan=plan)
            if enqueue:
                transaction.on_commit(lambda: _send(job.id, job.preset, job.priority))
    except IntegrityError:
        if existing := _live_job(merchant, cache_key):
            return existing
        raise
    return job


def _garments_of_new_job(job: TryOnJob, garments: list[Garment]) -> None:
    """A new job's garments in one INSERT, and kept on it, so showing them costs no query."""
    through, unique = TryOnJob.garments.through, {garment.id: garment for garment in garments}
    through.objects.bulk_create([through(tryonjob_id=job.id, garment_id=garment_id) for garment_id in unique])
    job._prefetched_objects_cache = {  # its garments never change; its images do, so they are read when asked
        "garments": _known_rows(Garment, sorted(unique.values(), key=lambda garment: (garment.name, garment.id))),
    }


def _known_rows(model, rows: list):
    """A queryset whose rows are already known: what prefetch_related would have fetched, without the query."""
    known = model.objects.none()
    known._result_cache, known._prefetch_done = list(rows), True
    return known


@transaction.atomic
def tryon_job_create_from_plan(
    *,
    merchant: Merchant,
    plan: GenerationPlan,
    priority: str = TryOnJob.Priority.SHOPPER,
    enqueue: bool = True,
) -> TryOnJob:
    """Queue a render of a plan made elsewhere (the A1111-compatible API): no picks, no catalog item.

    Its images are stored on the job alone. As with tryon_job_create, the same plan live or finished
    for this merchant is that job again (`job.reused`), and the render is enqueued once this transaction commits.
    The plan's images must be in storage under the names its ImageRefs give.
    """
    from tryon.jobs.heartbeats import preset_check_served

    if enqueue:
        preset_check_served(plan.preset)
    cache_key = hashlib.sha256(f"{plan.fingerprint}:-".encode()).hexdigest()
    if existing := _live_job(merchant, cache_key):
        return existing
    try:
        with transaction.atomic():
            job = TryOnJob.objects.create(
                merchant=merchant,
                plan=plan.to_dict(),
                plan_fingerprint=plan.fingerprint,
                cache_key=cache_key,
                preset=plan.preset,
                seed=plan.seed,
                steps_total=plan.steps,
                priority=priority,
            )
    except IntegrityError:
        if existing := _live_job(merchant, cache_key):
            return existing
        raise
    job.reused = False
    if enqueue:
        transaction.on_commit(lambda: tryon_job_enqueue(job_id=job.id))
    return job


METHODS = ("warp", "text")


def _render_mode(method: str, preset, garments: list[Garment], fashion_model: FashionModel) -> tuple[str, str]:
    """The plan mode for `method`, and a notice when the garments cannot be warped and are drawn from words."""
    from generation import EngineError, get_preset

    words = "tryon" if preset.inpainting_base else "generate"  # an inpainting stack paints words onto a photo
    if method == "text":
        return words, ""
    unable = "" if "warp" in preset.modes else f"preset {preset.name!r} does not render warp"
    if not unable and not fashion_model.reference_photo:
        try:
            person = get_preset(preset.person_preset or preset.name)
        except EngineError as error:
            person, unable = None, str(error)
        if person is not None and "generate" not in person.modes:
            unable = f"preset {person.name!r} cannot render the fashion model without a photo (set person_preset)"
    if unable:
        return words, f"Drawn from the description, not the photo, because {unable}."
    for garment in garments:
        try:
            garment_cutout_ensure(garment=garment)  # once per photo; uploads make it already
        except OSError as error:  # the photo is gone from storage: the render says so, the request does not fail
            logger.warning("Garment %s could not be cut out: %s", garment.pk, error)
    missing = [garment for garment in garments if not garment.cutout_sha256]
    if not missing:
        return "warp", ""
    reasons = "; ".join(f"{g.name}: {g.cutout_error or 'it has no photo'}" for g in missing)
    return words, (
        f"Drawn from the description, not the photo, because a garment could not be cut out of its photo ({reasons}). "
        "A photo on a plain, contrasting background fixes it."
    )


def _seed_for_picks(preset: str, garments, fashion_model, pose, scene) -> int:
    picks = f"{preset}|{sorted(g.id for g in garments)}|{fashion_model.id}|{pose.id}|{scene.id}"
    return int.from_bytes(hashlib.sha256(picks.encode()).digest()[:4], "big")


def _cache_key(plan: GenerationPlan, catalog_item: CatalogItem | None) -> str:
    return hashlib.sha256(f"{plan.fingerprint}:{catalog_item.id if catalog_item else '-'}".encode()).hexdigest()


def _preview_of(plan: GenerationPlan) -> GenerationPlan:
    """The same picks on the engine's preview path (generation.preview), its stage-1 person too."""
    person = dataclasses.replace(plan.person, preview=True) if plan.person is not None else None
    return dataclasses.replace(plan, preview=True, person=person)


def _live_job(merchant: Merchant, cache_key: str) -> TryOnJob | None:
    return _reusable_job(merchant, [(cache_key, TryOnJob.REUSABLE)])


def _reusable_job(merchant: Merchant, wanted: list[tuple[str, Sequence[str]]]) -> TryOnJob | None:
    """The first of `wanted` (cache key, statuses that answer it) that a job of `merchant` matches."""
    matches = Q()
    for cache_key, statuses in wanted:
        matches |= Q(cache_key=cache_key, status__in=statuses)
    rank = {cache_key: index for index, (cache_key, _) in enumerate(wanted)}
    jobs = sorted(TryOnJob.objects.filter(matches, merchant=merchant), key=lambda job: rank[job.cache_key])
    if jobs:
        jobs[0].reused = True
    return jobs[0] if jobs else None


def job_queue(preset: str) -> str:
    """One queue per preset: a worker consumes the queue of the preset it has loaded."""
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}.{preset}"


# Redis serves priority 0 first; shoppers are waiting at a screen, batches are not.
QUEUE_PRIORITY = {TryOnJob.Priority.SHOPPER: 0, TryOnJob.Priority.BATCH: 9}


def tryon_job_enqueue(*, job_id: int) -> None:
    """Send the render task for a queued job. Safe to repeat: only one worker can claim it."""
    job = TryOnJob.objects.filter(pk=job_id, status=Status.QUEUED).only("preset", "priority").first()
    if job is None:
        return
    TryOnJob.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    _send(job_id, job.preset, job.priority)


def _send(job_id: int, preset: str, priority: str) -> None:
    """The render message; a new job's is sent as its transaction commits, with enqueued_at set in its INSERT."""
    from tryon.jobs.tasks import render_tryon_job

    render_tryon_job.apply_async((job_id,), queue=job_queue(preset), priority=QUEUE_PRIORITY[priority])


def tryon_job_claim(*, job_id: int) -> bool:
    """queued -> running, for exactly one caller."""
    now = timezone.now()
    claimed = TryOnJob.objects.filter(pk=job_id, status=Status.QUEUED, cancel_requested=False).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, steps_done=0, attempts=F("attempts") + 1
    )
    return claimed == 1


def tryon_job_cancel(*, job_id: int) -> TryOnJob:
    """A queued job is cancelled at once; a running one stops at its next progress write."""
    now = timezone.now()
    with transaction.atomic():  # the job's new state and its outbox event commit together
        if TryOnJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
            status=Status.CANCELLED, cancel_requested=True, finished_at=now, failure_code=FailureCode.CANCELLED
        ):
            announce_finished(job_id=job_id)
    TryOnJob.objects.filter(pk=job_id, status=Status.RUNNING).update(cancel_requested=True)
    job = TryOnJob.objects.get(pk=job_id)
    if job.status in (Status.SUCCEEDED, Status.FAILED):
        raise JobStateError(f"Try-on #{job_id} has already {job.status}; there is nothing to cancel.")
    return job


def _finish(
    job_id: int, status: str, *, error: str = "", failure_code: str = "", render_seconds: float | None = None
) -> bool:
    """running -> a finished state, announced as job_finished. A failed or cancelled job says why in `failure_code`."""
    if status != Status.SUCCEEDED and failure_code not in FailureCode.values:
        raise ValueError(f"failure_code: {failure_code!r} is not one of {', '.join(FailureCode.values)}")
    with transaction.atomic():  # the job's new state and its outbox event commit together
        finished = TryOnJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
            status=status,
            error=error,
            failure_code=failure_code,
            finished_at=timezone.now(),
            render_seconds=render_seconds,
        )
        if finished:
            announce_finished(job_id=job_id)
    return finished == 1


def announce_finished(*, job_id: int) -> None:
    """Write job_finished to the outbox, announced to whoever listens once the caller's transaction commits
    (tryon/jobs/outbox.py). Call it in the transaction.atomic() whose UPDATE finished the job."""
    job_event_record(job_id=job_id)


def job_plan_with_person(job: TryOnJob, progress) -> tuple[GenerationPlan, dict, object]:
    """A claimed job's plan and the images it needs, its stage-1 person rendered (or taken from the cache) first.

    Returns the progress callback the plan's own render reports to: one bar runs over both stages.
    """
    plan = GenerationPlan.from_dict(job.plan)
    images = plan_images(plan)
    if plan.person is not None:
        stages = _PersonThenRefine(progress, refine_steps=max(1, int(plan.steps * plan.strength)))
        images[plan.person_ref] = person_render_get_or_create(
            merchant_id=job.merchant_id, plan=plan.person, on_step=stages
        )
        progress = stages.refine
    return plan, images, progress


class _ProgressWriter:
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
        plan, images, progress = job_plan_with_person(job, _ProgressWriter(job_id, also=on_step))
        kept, seconds = _render_until_faithful(job, plan, images, progress)
    except Exception as error:
        tryon_job_end_with(job_id=job_id, error=error)
        return

    # 3. Store the kept images and finish, together.
    _store_result(job, kept, seconds)


def tryon_job_end_with(*, job_id: int, error: Exception) -> None:
    """A running job's render ended with `error`: cancelled if that was a cancel, else failed with its code."""
    import generation

    if isinstance(error, generation.RenderCancelled):
        _finish(job_id, Status.CANCELLED, failure_code=FailureCode.CANCELLED)
        logger.info("Try-on #%s cancelled", job_id)
        return
    if not isinstance(error, generation.EngineError | PlanError | PlanImageMissing):
        logger.error("Try-on #%s failed", job_id, exc_info=error)
    code, message = _describe_failure(error)
    _finish(job_id, Status.FAILED, error=message, failure_code=code)


def _render_until_faithful(
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
            scored.append(quality.judge(one, thresholds, gate=retries > 0))
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


def _store_result(job: TryOnJob, kept: list, seconds: float) -> None:
    from generation import png_with_parameters

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
            if not _finish(job.id, Status.SUCCEEDED, render_seconds=seconds):
                raise JobStateError(f"Try-on #{job.id} was cancelled before its images were stored.")
    except Exception as error:
        for file in written:
            file.storage.delete(file.name)
        if isinstance(error, JobStateError):
            logger.info("%s", error)
            return
        logger.exception("Storing the images of try-on #%s failed", job.id)
        message = f"The images could not be stored ({type(error).__name__}: {error})."
        _finish(job.id, Status.FAILED, error=message, failure_code=FailureCode.INTERNAL)
