"""Casting: queue the candidates' portraits, their full-body references once each portrait exists, keep the
ones the merchant likes as fashion models, and delete the rest after TRYON_CASTING_RETENTION_DAYS.

Every image is an ordinary try-on job (tryon.jobs.services.tryon_job_create_from_plan), at batch priority;
the jobs app announces each finished job (job_finished, tryon/jobs/events.py) and this app listens
(tryon/casting/apps.py): jobs never import casting.
"""

import contextlib
import hashlib
import logging
import secrets
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from prompts import PickError, PlanError
from prompts.casting import MAX_CANDIDATES, Candidate, CastingAttributes, cast, full_body_plan, portrait_plan
from prompts.image_ref import ImageRef
from tryon.casting.models import Casting, CastingCandidate
from tryon.catalog.models import FashionModel
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import JobStateError, tryon_job_cancel, tryon_job_create_from_plan
from tryon.media.deletion import stored_files_delete
from tryon.merchants.models import Merchant

logger = logging.getLogger(__name__)
NAME_LIMIT = FashionModel._meta.get_field("name").max_length


class CastingStateError(Exception):
    """The candidate is not in a state that allows what was asked (kept already, not ready yet)."""


def _field_error(error: Exception) -> ValidationError:
    """A PickError or PlanError ("field: message") as a ValidationError on that field."""
    field, _, message = str(error).partition(": ")
    return ValidationError({field.split(".")[0]: message or str(error)})


def casting_attributes(data: dict) -> CastingAttributes:
    try:
        return CastingAttributes.from_dict(data)
    except PickError as error:
        raise _field_error(error) from None


def _generate_preset(name: str | None):
    """The preset to cast with: a stack that generates from noise (an inpainting-only one names its sibling)."""
    from generation import EngineError, get_preset

    try:
        preset = get_preset(name or settings.TRYON_PRESET)
        if "generate" not in preset.modes and preset.person_preset:
            preset = get_preset(preset.person_preset)
    except EngineError as error:
        raise ValidationError({"preset": str(error)}) from None
    if "generate" not in preset.modes:
        raise ValidationError({"preset": f"{preset.name!r} cannot generate a new picture, so it cannot cast."})
    return preset


def _plan_options(preset) -> dict:
    return {
        "preset": preset.name,
        "steps": preset.steps,
        "guidance_scale": preset.guidance_scale,
        "sampler": preset.sampler,
        "base_size": (preset.width, preset.height),
    }


def casting_create(
    *, merchant: Merchant, attributes: dict, count: int, preset: str | None = None, seed: int | None = None
) -> Casting:
    """Queue `count` candidates' portraits; each one's full-body reference follows when its portrait is done."""
    wanted = casting_attributes(attributes)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_CANDIDATES:
        raise ValidationError({"count": f"{count!r} is not a whole number from 1 to {MAX_CANDIDATES}."})
    chosen = _generate_preset(preset)
    seed = secrets.randbelow(2**32) if seed is None else seed  # a new casting, new faces
    try:
        candidates = cast(wanted, count=count, seed=seed)
        plans = [portrait_plan(wanted, candidate, **_plan_options(chosen)) for candidate in candidates]
    except (PickError, PlanError) as error:
        raise _field_error(error) from None
    with transaction.atomic():  # the jobs are enqueued as this commits
        casting = Casting.objects.create(
            merchant=merchant, attributes=wanted.to_dict(), count=count, preset=chosen.name, seed=seed
        )
        for candidate, plan in zip(candidates, plans, strict=True):
            job = tryon_job_create_from_plan(merchant=merchant, plan=plan, priority=TryOnJob.Priority.BATCH)
            CastingCandidate.objects.create(
                casting=casting,
                index=candidate.index,
                seed=candidate.seed,
                hair=candidate.hair,
                identity_prompt=candidate.identity_prompt,
                portrait_job=job,
            )
            if job.reused and job.is_finished:  # the same portrait rendered before: no event will come
                transaction.on_commit(partial(casting_job_finished, job_id=job.id), robust=True)
    return casting


def casting_job_finished(*, job_id: int) -> None:
    """A job ended: the candidate whose portrait it rendered gets the image and its full-body job queued; the one
    whose full body it rendered gets that image. Idempotent: the event comes at least once (tryon/jobs/outbox.py)."""
    job = TryOnJob.objects.filter(pk=job_id).first()
    if job is None or job.status != TryOnJob.Status.SUCCEEDED:
        return  # a failed or cancelled job: the candidate reads as failed from it
    image = job.images.order_by("index").first()
    if image is None:
        return
    written: list[str] = []
    try:
        with transaction.atomic():
            waiting = CastingCandidate.objects.select_for_update(of=("self",)).select_related("casting")
            for candidate in waiting.filter(Q(portrait_job_id=job_id) | Q(full_body_job_id=job_id)):
                _candidate_image_store(candidate, job_id, image, written)
    except Exception:
        stored_files_delete(written)  # the rows that would name them were rolled back
        raise


def _candidate_image_store(candidate: CastingCandidate, job_id: int, image, written: list) -> None:
    number = candidate.index + 1
    if candidate.portrait_job_id == job_id and not candidate.portrait:
        _copy_into(candidate.portrait, image.file, f"candidate-{number}-portrait.png", written)
        candidate.portrait_sha256 = _sha256(candidate.portrait)
        candidate.save(update_fields=["portrait", "portrait_sha256"])
    if candidate.portrait_job_id == job_id and candidate.full_body_job_id is None:
        _full_body_queue(candidate)
    if candidate.full_body_job_id == job_id and not candidate.full_body:
        _copy_into(candidate.full_body, image.file, f"candidate-{number}-full-body.png", written)
        candidate.full_body_sha256 = _sha256(candidate.full_body)
        candidate.save(update_fields=["full_body", "full_body_sha256"])


def _full_body_queue(candidate: CastingCandidate) -> None:
    casting = candidate.casting
    try:
        preset = _generate_preset(casting.preset)
        plan = full_body_plan(
            CastingAttributes.from_dict(casting.attributes),
            Candidate(candidate.index, candidate.seed, candidate.hair, candidate.identity_prompt),
            portrait=ImageRef(candidate.portrait.name, candidate.portrait_sha256),
            **_plan_options(preset),
        )
        job = tryon_job_create_from_plan(merchant=casting.merchant, plan=plan, priority=TryOnJob.Priority.BATCH)
    except (ValidationError, PickError, PlanError) as error:  # e.g. no worker serves the preset any more
        message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        candidate.error = f"The full-body reference could not be queued: {message}"
        candidate.save(update_fields=["error"])
        return
    candidate.full_body_job = job
    candidate.save(update_fields=["full_body_job"])
    if job.reused and job.is_finished:
        transaction.on_commit(partial(casting_job_finished, job_id=job.id), robust=True)


def _sha256(field_file) -> str:
    with field_file.storage.open(field_file.name) as file:
        return hashlib.sha256(file.read()).hexdigest()


def _copy_into(field_file, source, name: str, written: list) -> None:
    """`source`'s bytes stored as `field_file` (its row is saved by the caller); the name noted in `written`."""
    with source.storage.open(source.name) as file:
        field_file.save(name, ContentFile(file.read()), save=False)
    written.append(field_file.name)


@transaction.atomic
def casting_candidate_keep(*, candidate: CastingCandidate, name: str) -> FashionModel:
    """The candidate as a FashionModel of the merchant's, with its portrait, full body, seed and words."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "Give the fashion model a name."})
    name = name.strip()
    if len(name) > NAME_LIMIT:
        raise ValidationError({"name": f"At most {NAME_LIMIT} characters (it has {len(name)})."})
    candidate = CastingCandidate.objects.select_for_update(of=("self",)).select_related("casting").get(pk=candidate.pk)
    if candidate.kept_as_id is not None:
        kept = FashionModel.objects.filter(pk=candidate.kept_as_id).values_list("name", flat=True).first()
        raise CastingStateError(f"Candidate {candidate.index + 1} is already kept, as the fashion model {kept!r}.")
    if not (candidate.portrait and candidate.full_body):
        raise CastingStateError(
            f"Candidate {candidate.index + 1} has no {'portrait' if not candidate.portrait else 'full-body reference'}"
            " yet; keep it once both images are there."
        )
    attributes = CastingAttributes.from_dict(candidate.casting.attributes)
    fashion_model = FashionModel.objects.create(
        merchant_id=candidate.casting.merchant_id,
        name=name,
        gender_presentation=attributes.gender_presentation,
        age_range=attributes.age_range,
        body_type=attributes.body_type,
        skin_tone=attributes.skin_tone,
        hair=candidate.hair,
        height_cm=attributes.height_cm,
        identity_seed=candidate.seed,
        identity_prompt=candidate.identity_prompt,
        identity_portrait_sha256=candidate.portrait_sha256,
        identity_full_body_sha256=candidate.full_body_sha256,
    )
    written = []
    try:
        stem = f"identity-{candidate.casting_id}-{candidate.index + 1}"
        for target, source, suffix in (
            (fashion_model.identity_portrait, candidate.portrait, "portrait"),
            (fashion_model.identity_full_body, candidate.full_body, "full-body"),
        ):
            with source.storage.open(source.name) as file:
                target.save(f"{stem}-{suffix}.png", ContentFile(file.read()), save=False)
            written.append(target.name)
        fashion_model.save(update_fields=["identity_portrait", "identity_full_body"])
    except Exception:
        for stored in written:
            default_storage.delete(stored)
        raise
    CastingCandidate.objects.filter(pk=candidate.pk).update(kept_as=fashion_model, kept_at=timezone.now())
    return fashion_model


# --- Retention ---


def _retention() -> timedelta:
    return timedelta(days=settings.TRYON_CASTING_RETENTION_DAYS)


def casting_purge(*, casting: Casting, everything: bool = False) -> bool:
    """Delete a casting's jobs (with their images), its unkept candidates (with theirs), and the casting once no
    kept candidate remains. A job still rendering is cancelled first and the casting purged at a later sweep.

    `everything` (the merchant deletes the casting): kept candidates too (their fashion models keep their own
    copies), at once; a job still rendering is cancelled and left to end on its own."""
    candidates = list(CastingCandidate.objects.filter(casting=casting))  # not a prefetched, stale list
    job_ids = {job_id for c in candidates for job_id in (c.portrait_job_id, c.full_body_job_id) if job_id}
    jobs = list(TryOnJob.objects.filter(pk__in=job_ids).prefetch_related("images"))
    unfinished = {job.id for job in jobs if not job.is_finished}
    for job_id in unfinished:
        with contextlib.suppress(JobStateError):  # it finished meanwhile
            tryon_job_cancel(job_id=job_id)
    if unfinished and not everything:
        return False
    files = []
    with transaction.atomic():
        # A job another casting shares (the same plan renders once) is left to it
        shared = CastingCandidate.objects.exclude(casting=casting).filter(
            Q(portrait_job_id__in=job_ids) | Q(full_body_job_id__in=job_ids)
        )
        shared_ids = {job_id for pair in shared.values_list("portrait_job_id", "full_body_job_id") for job_id in pair}
        for job in jobs:
            if job.id in shared_ids or job.id in unfinished:
                continue
            files += [field.name for image in job.images.all() for field in (image.file, image.garment_mask) if field]
            files += [job.draft.name] if job.draft else []
            job.delete()
        for candidate in candidates:
            if everything or candidate.kept_as_id is None:
                files += [field.name for field in (candidate.portrait, candidate.full_body) if field]
                candidate.delete()
        if not CastingCandidate.objects.filter(casting=casting).exists():
            casting.delete()
    transaction.on_commit(lambda: stored_files_delete(files))
    return True


def castings_purge_expired() -> int:
    """Run by every sweep (tryon.casting.apps): castings older than the retention. Returns how many were purged."""
    expired = Casting.objects.filter(created_at__lte=timezone.now() - _retention()).order_by("created_at")
    # Castings purged before with kept candidates stay as rows; only those with something left to delete are done
    expired = expired.filter(Q(candidates__kept_as__isnull=True) | Q(candidates__portrait_job__isnull=False)).distinct()
    return sum(casting_purge(casting=casting) for casting in expired[:200])
