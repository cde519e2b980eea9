"""Try-on jobs: create, claim, render, finish, cancel.

Every state change is a conditional UPDATE whose row count says whether it happened, so a
redelivered task, a second worker or a cancel racing a render can never move a job twice.
"""

import functools
import hashlib
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from prompts import GenerationPlan, PickError, PlanError, build_plan
from tryon.catalog.cutouts import garment_cutout_ensure
from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.catalog.picks import fashion_model_pick, garment_pick, pose_pick, scene_pick
from tryon.jobs.drafts import tryon_draft_get_or_create
from tryon.jobs.models import PersonRender, TryOnJob
from tryon.jobs.outbox import job_event_record
from tryon.merchants.models import Merchant, ModerationLevel
from tryon.rows import PreparedInsert, PreparedRows, known_rows

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

    salt = _moderation_salt(merchant)
    if fashion_model.private:  # a shopper's own photo (tryon.shoppers): rendered for them alone, in no gallery
        catalog_item, salt = None, f":private-{fashion_model.id}{salt}"
    cache_key = _cache_key(plan, catalog_item, salt)
    wanted = [(cache_key, TryOnJob.REUSABLE)]  # what answers this request, best first; one query for all
    if priority == TryOnJob.Priority.SHOPPER and settings.TRYON_SHOPPER_PREVIEW:
        # A shopper waits: the preview path, unless a full-quality render of the same picks (a merchant's batch,
        # a precompute) is already there.
        plan = plan.on_preview_path
        wanted = [(cache_key, (Status.SUCCEEDED,))]
        cache_key = _cache_key(plan, catalog_item, salt)
        wanted.append((cache_key, TryOnJob.REUSABLE))
    elif accept_preview and settings.TRYON_SHOPPER_PREVIEW:  # a caller rendering for shoppers (precompute)
        wanted.append((_cache_key(plan.on_preview_path, catalog_item, salt), TryOnJob.REUSABLE))
    drafted = mode == "warp" and priority == TryOnJob.Priority.SHOPPER  # someone waits at a screen; a batch not
    existing, person = _reusable_job_and_person(merchant, wanted, plan.person if drafted else None)
    if existing:
        return existing
    draft = ""
    if drafted:  # shown at once; the same picks' draft is found by its name, not made again (tryon.jobs.drafts)
        picks = f"{fashion_model.id}|{pose.id}|{scene.id}|{sorted(garment.id for garment in garments)}"
        draft = tryon_draft_get_or_create(merchant_id=merchant.id, picks=picks, plan=plan, person=person, scene=scene)
    # The job (its draft already stored), its garments and its message together. The INSERT comes first in the
    # transaction, so losing the race to an identical request rolls back nothing else, and needs no savepoint of
    # its own (two round trips fewer per submission); the winner's job is the answer.
    try:
        with transaction.atomic():
            job = _NEW_JOB(
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
                draft=draft,
                enqueued_at=timezone.now() if enqueue else None,  # its message goes out as this commits
            )
            _garments_of_new_job(job, garments)
            job.reused = False
            if enqueue:
                transaction.on_commit(lambda: _send(job.id, job.preset, job.priority))
    except IntegrityError:
        if existing := _live_job(merchant, cache_key):
            return existing
        raise
    return job


# Every new try-on writes one: its INSERT compiled once (tryon.rows).
_NEW_JOB = PreparedInsert(TryOnJob)


def _garments_of_new_job(job: TryOnJob, garments: list[Garment]) -> None:
    """A new job's garments in one INSERT, and kept on it, so showing them costs no query."""
    unique = {garment.id: garment for garment in garments}
    with connection.cursor() as cursor:
        cursor.execute(
            _garments_insert_sql(connection.vendor, len(unique)),
            [value for garment_id in unique for value in (job.id, garment_id)],
        )
    job._prefetched_objects_cache = {  # its garments never change; its images do, so they are read when asked
        "garments": known_rows(Garment, sorted(unique.values(), key=lambda garment: (garment.name, garment.id))),
    }


@functools.cache  # per database and count of garments (1 to 4): the same few statements for every new job
def _garments_insert_sql(vendor: str, count: int) -> str:
    """Plain values in a plain INSERT: bulk_create compiles it anew each time and reads back ids nothing uses."""
    through, quote = TryOnJob.garments.through._meta, connection.ops.quote_name
    table, job_column, garment_column = (
        quote(name)
        for name in (through.db_table, through.get_field("tryonjob").column, through.get_field("garment").column)
    )
    return f"INSERT INTO {table} ({job_column}, {garment_column}) VALUES {', '.join(['(%s, %s)'] * count)}"


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
    cache_key = hashlib.sha256(f"{plan.fingerprint}:-{_moderation_salt(merchant)}".encode()).hexdigest()
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
    if fashion_model.identity_seed is not None:  # a cast model: one seed family, the same person in every render
        return fashion_model.identity_seed
    picks = f"{preset}|{sorted(g.id for g in garments)}|{fashion_model.id}|{pose.id}|{scene.id}"
    return int.from_bytes(hashlib.sha256(picks.encode()).digest()[:4], "big")


def _cache_key(plan: GenerationPlan, catalog_item: CatalogItem | None, salt: str = "") -> str:
    """Equal for equal images in the same place, under the same conditions (`salt`): a private model's jobs are
    keyed by it too, so the same photo bytes and picks from another shopper never share a render (the fingerprint
    sees only content); and by the moderation level they were checked at (_moderation_salt)."""
    return hashlib.sha256(f"{plan.fingerprint}:{catalog_item.id if catalog_item else '-'}{salt}".encode()).hexdigest()


def _moderation_salt(merchant: Merchant) -> str:
    """Renders are checked at the shop's moderation level as they finish: one made before the shop switched
    moderation on, or made stricter, must not answer a request now, so the level is part of the key."""
    level = merchant.moderation
    return "" if level == ModerationLevel.OFF else f":moderation-{level}"


def _live_job(merchant: Merchant, cache_key: str) -> TryOnJob | None:
    return _reusable_job(merchant, [(cache_key, TryOnJob.REUSABLE)])


def _reusable_job(merchant: Merchant, wanted: list[tuple[str, Sequence[str]]]) -> TryOnJob | None:
    """The first of `wanted` (cache key, statuses that answer it) that a job of `merchant` matches."""
    return _reusable_job_and_person(merchant, wanted, None)[0]


def _reusable_job_and_person(
    merchant: Merchant, wanted: list[tuple[str, Sequence[str]]], person: GenerationPlan | None
) -> tuple[TryOnJob | None, PersonRender | None]:
    """_reusable_job, and the stage-1 person of `person` (a plan) when it was rendered before, in one query:
    a new warp try-on's draft dresses it (tryon.jobs.drafts)."""
    statuses = tuple(tuple(answering) for _, answering in wanted)
    keys = [cache_key for cache_key, _ in wanted]
    fingerprint = {"fingerprint": person.fingerprint} if person is not None else {}
    found = _REUSABLE(statuses, merchant_id=merchant.id, cache_keys=keys, **fingerprint)
    return _first_wanted(found["jobs"], wanted), next(iter(found.get("person", ())), None)


def _reusable_rows(statuses: tuple[tuple[str, ...], ...], *, merchant_id, cache_keys, fingerprint=None) -> dict:
    matches = Q()
    for cache_key, answering in zip(cache_keys, statuses, strict=True):
        matches |= Q(cache_key=cache_key, status__in=answering)
    wanted = {"jobs": TryOnJob.objects.filter(matches, merchant_id=merchant_id)}
    if fingerprint is not None:
        wanted["person"] = PersonRender.objects.filter(merchant_id=merchant_id, fingerprint=fingerprint)
    return wanted


# Every submission asks it: compiled once per shape (tryon.rows).
_REUSABLE = PreparedRows(_reusable_rows, optional=True)


def _first_wanted(jobs, wanted: list[tuple[str, Sequence[str]]]) -> TryOnJob | None:
    rank = {cache_key: index for index, (cache_key, _) in enumerate(wanted)}
    jobs = sorted(jobs, key=lambda job: rank[job.cache_key])
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

    # The arguments' repr for Celery's logs given, not made by its saferepr: a sixth of the send's CPU.
    render_tryon_job.apply_async(
        (job_id,),
        queue=job_queue(preset),
        priority=QUEUE_PRIORITY[priority],
        argsrepr=f"({job_id},)",
        kwargsrepr="{}",
    )


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


def tryon_job_finish(
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
