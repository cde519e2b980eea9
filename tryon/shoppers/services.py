"""Writes for shopper models: set the attributes, upload or delete the own photo, delete the model, sweep.

A photo belongs to one private fashion model made for it. Replacing or deleting the photo (or the model, or
the sweep once TRYON_SHOPPER_PHOTO_HOURS have passed) retires that fashion model with everything made from it:
the photo, its try-on jobs (the shared-cache entries), their drafts, images and masks, the stage-1 person
renders they made. A render still running is cancelled and its leftovers purged by the next sweep.
"""

import contextlib
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from prompts import GenerationPlan
from tryon.catalog.images import normalise_image_upload
from tryon.catalog.models import FashionModel, KeypointSource, Pose, fashion_model_upload_to
from tryon.catalog.services import NO_PERSON, fashion_model_create
from tryon.jobs.models import PersonRender, TryOnJob
from tryon.jobs.services import JobStateError, tryon_job_cancel
from tryon.media.deletion import stored_files_delete
from tryon.merchants.models import Merchant
from tryon.moderation import image_moderation_check
from tryon.shoppers.consent import CONSENT_VERSION
from tryon.shoppers.models import ShopperLeftover, ShopperModel

logger = logging.getLogger(__name__)

ATTRIBUTES = ("gender_presentation", "age_range", "body_type", "skin_tone", "hair", "height_cm")
REQUIRED = ("gender_presentation", "age_range", "body_type", "skin_tone")
HEIGHT_RANGE = (120, 220)  # centimetres: beyond them a typo, not a shopper
NAME, PHOTO_NAME = "Your model", "Your photo"


# --- Attributes ---


def _attributes(*, given: dict, like: FashionModel | None, current: FashionModel | None, merchant: Merchant) -> dict:
    """What the shopper gave, else what `like` (the closest of the merchant's models) has, else what they had."""
    if like is not None and (like.merchant_id != merchant.id or like.transient):
        raise ValidationError({"like": "Pick one of this shop's fashion models."})
    attributes = {}
    for name in ATTRIBUTES:
        value = given.get(name)
        if value is None and like is not None:
            value = getattr(like, name)
        if value is None and current is not None:
            value = getattr(current, name)
        attributes[name] = value
    attributes["hair"] = attributes["hair"] or ""
    for name in REQUIRED:
        if not attributes[name]:
            raise ValidationError({name: "This field is required (or pick the closest of the shop's models)."})
    height = attributes["height_cm"]
    if height is not None and not (HEIGHT_RANGE[0] <= height <= HEIGHT_RANGE[1]):
        raise ValidationError({"height_cm": f"Give a height between {HEIGHT_RANGE[0]} and {HEIGHT_RANGE[1]} cm."})
    return attributes


def _fashion_model_new(*, merchant: Merchant, attributes: dict, photo=None) -> FashionModel:
    """The transient person a shopper model renders: private when it is made from the shopper's photo."""
    return fashion_model_create(
        merchant=merchant,
        name=PHOTO_NAME if photo is not None else NAME,
        reference_photo=photo,
        transient=True,
        private=photo is not None,
        **attributes,
    )


def _attributes_of(fashion_model: FashionModel) -> dict:
    return {name: getattr(fashion_model, name) for name in ATTRIBUTES}


@transaction.atomic
def shopper_model_set(
    *,
    merchant: Merchant,
    owner: str,
    height_cm: int | None = None,
    body_type: str | None = None,
    skin_tone: str | None = None,
    hair: str | None = None,
    age_range: str | None = None,
    gender_presentation: str | None = None,
    like: FashionModel | None = None,
) -> ShopperModel:
    """The owner's shopper model at this shop, made or changed: attributes given win over `like`'s, which win
    over what the model had. An own photo stays; its renders with the old attributes stay cached for it."""
    if not owner:
        raise ValidationError({"owner": "A shopper model needs an owner."})
    mine = ShopperModel.objects.select_for_update().filter(merchant=merchant, owner=owner)
    existing = mine.first()  # with no row yet it locks nothing: a concurrent first save may insert meanwhile
    given = {
        "height_cm": height_cm,
        "body_type": body_type,
        "skin_tone": skin_tone,
        "hair": hair,
        "age_range": age_range,
        "gender_presentation": gender_presentation,
    }
    if existing is not None:
        return shopper_model_update(shopper_model=existing, like=like, **given)
    attributes = _attributes(given=given, like=like, current=None, merchant=merchant)
    try:
        with transaction.atomic():  # the savepoint takes our new person back with the insert that lost
            fashion_model = _fashion_model_new(merchant=merchant, attributes=attributes)
            return ShopperModel.objects.create(merchant=merchant, owner=owner, fashion_model=fashion_model, like=like)
    except IntegrityError:  # the other request (a retry, a double "Save") made it first: change theirs
        return shopper_model_update(shopper_model=mine.select_related("fashion_model").get(), like=like, **given)


@transaction.atomic
def shopper_model_update(*, shopper_model: ShopperModel, like: FashionModel | None = None, **given) -> ShopperModel:
    """Change some attributes (None: unchanged), or copy them from `like`."""
    unknown = set(given) - set(ATTRIBUTES)
    if unknown:
        raise TypeError(f"ShopperModel has no attributes {sorted(unknown)}")
    fashion_model = shopper_model.fashion_model
    attributes = _attributes(given=given, like=like, current=fashion_model, merchant=shopper_model.merchant)
    for name, value in attributes.items():
        setattr(fashion_model, name, value)
    fashion_model.full_clean(exclude=["merchant", "reference_photo"])
    fashion_model.save(update_fields=list(ATTRIBUTES))
    if like is not None:
        shopper_model.like = like
    shopper_model.save()  # updated_at: in use, not idle
    return shopper_model


def shopper_model_touch(*, fashion_model: FashionModel) -> None:
    """A try-on used the shopper model rendering `fashion_model`: in use, so the idle sweep must not take it."""
    ShopperModel.objects.filter(fashion_model=fashion_model).update(updated_at=timezone.now())


# --- The own photo ---


def _moderate(*, merchant: Merchant, normalised) -> None:
    """The shop's content moderation on the photo before it is stored: a photo that fails it, or that cannot be
    checked because the checker is missing, is refused on the `photo` field (tryon.moderation)."""
    try:
        image_moderation_check(merchant=merchant, image=normalised.file)
    except ValidationError as error:  # ContentBlocked, ModerationUnavailable: plain words for the shopper
        raise ValidationError({"photo": error.messages}) from None
    normalised.file.seek(0)


def shopper_photo_upload(
    *, shopper_model: ShopperModel, photo, consent: bool, pose: Pose | None = None
) -> ShopperModel:
    """Store the shopper's photo (EXIF and location gone: it is re-encoded) on a new private fashion model.

    Refused, with nothing stored, unless the shop allows own photos and the shopper consented. The person's
    keypoints are detected; where no detector is installed, or it finds nobody, the shopper's `pose` (the pose
    they stand in) places the garments. A previous photo goes with everything made from it.
    """
    merchant = shopper_model.merchant
    if not merchant.shopper_photos:
        raise ValidationError({"photo": "This shop does not offer trying garments on your own photo."})
    if consent is not True:
        raise ValidationError({"consent": "Agree to how your photo is stored and used before uploading it."})
    if pose is not None and pose.merchant_id != merchant.id:
        raise ValidationError({"pose": f"{pose} does not belong to {merchant}."})
    normalised = normalise_image_upload(photo, field="photo")  # size caps, bombs, 16-bit PNGs; no storage yet
    _moderate(merchant=merchant, normalised=normalised)
    normalised.file.name = f"shopper-{uuid.uuid4().hex}.jpg"  # the upload's own name may say who it is

    stored = [fashion_model_upload_to(shopper_model, normalised.file.name)]  # removed again if anything fails
    try:
        with transaction.atomic():
            shopper_model = (
                ShopperModel.objects.select_for_update().select_related("fashion_model").get(pk=shopper_model.pk)
            )
            previous = shopper_model.fashion_model
            fashion_model = _fashion_model_new(merchant=merchant, attributes=_attributes_of(previous), photo=normalised)
            _keypoints_or_pose(fashion_model, pose)
            now = timezone.now()
            shopper_model.fashion_model = fashion_model
            shopper_model.consented_at, shopper_model.consent_version = now, CONSENT_VERSION
            shopper_model.photo_uploaded_at = now
            shopper_model.expires_at = now + timedelta(hours=settings.TRYON_SHOPPER_PHOTO_HOURS)
            shopper_model.save()
            _fashion_model_retire(previous)
    except BaseException:
        stored_files_delete(stored)
        raise
    return shopper_model


def _keypoints_or_pose(fashion_model: FashionModel, pose: Pose | None) -> None:
    """Detected keypoints stay; else the pose the shopper says they stand in; else, with no detector, the
    pose picked at each try-on. A photo the detector finds nobody in needs the shopper's pose."""
    if fashion_model.photo_keypoints_source == KeypointSource.DETECTED:
        return
    if pose is not None:
        fashion_model.photo_keypoints = [list(point) for point in pose.keypoints]
        fashion_model.photo_keypoints_source = KeypointSource.EDITED
        fashion_model.photo_keypoints_note = f"The shopper stands as in the pose {pose.name!r}."
        fashion_model.save(update_fields=["photo_keypoints", "photo_keypoints_source", "photo_keypoints_note"])
    elif fashion_model.photo_keypoints_note == NO_PERSON:
        raise ValidationError({"pose": "No person was found in this photo. Pick the pose you stand in."})


@transaction.atomic
def shopper_photo_delete(*, shopper_model: ShopperModel) -> None:
    """ "Delete my photo": the photo and everything made from it go now; the attributes stay."""
    shopper_model = ShopperModel.objects.select_for_update().select_related("fashion_model").get(pk=shopper_model.pk)
    previous = shopper_model.fashion_model
    if previous.private:
        attributes = _attributes_of(previous)
        shopper_model.fashion_model = _fashion_model_new(merchant=shopper_model.merchant, attributes=attributes)
    shopper_model.consented_at, shopper_model.consent_version = None, ""
    shopper_model.photo_uploaded_at = shopper_model.expires_at = None
    shopper_model.save()
    if previous.private:
        _fashion_model_retire(previous)


@transaction.atomic
def shopper_model_delete(*, shopper_model: ShopperModel) -> None:
    """The shopper model, its photo and everything rendered for it."""
    fashion_model = shopper_model.fashion_model
    shopper_model.delete()
    _fashion_model_retire(fashion_model)


# --- Retention ---


def _person_fingerprint(job: TryOnJob) -> str | None:
    try:
        return GenerationPlan.from_dict(job.plan).person_ref
    except Exception:  # a plan from an older format: its person, if any, is found by nothing else either
        return None


def _fashion_model_retire(fashion_model: FashionModel) -> bool:
    """Delete a shopper's fashion model with every row and file made from it; True when nothing is left.

    Renders still running are cancelled, and the model is kept as a leftover for the next sweep to finish.
    Files are deleted once the rows' deletion commits."""
    from tryon.webhooks.models import WebhookDelivery

    files = [fashion_model.reference_photo.name] if fashion_model.reference_photo else []
    if files:  # the photo goes now, whatever still runs: a render that needs it again fails
        fashion_model.reference_photo, fashion_model.reference_photo_sha256 = "", ""
        fashion_model.save(update_fields=["reference_photo", "reference_photo_sha256"])
    jobs = TryOnJob.objects.filter(fashion_model=fashion_model)
    for job_id in jobs.exclude(status__in=TryOnJob.FINISHED).values_list("id", flat=True):
        with contextlib.suppress(JobStateError):  # it finished meanwhile: purged below
            tryon_job_cancel(job_id=job_id)
    finished = list(jobs.filter(status__in=TryOnJob.FINISHED).prefetch_related("images"))
    persons = {fingerprint for job in finished if (fingerprint := _person_fingerprint(job))}
    for job in finished:
        files += [job.draft.name] if job.draft else []
        for image in job.images.all():
            files += [field.name for field in (image.file, image.garment_mask) if field]
    person_renders = PersonRender.objects.filter(merchant_id=fashion_model.merchant_id, fingerprint__in=persons)
    files += [person.file.name for person in person_renders if person.file]
    person_renders.delete()
    WebhookDelivery.objects.filter(job__in=[job.id for job in finished]).delete()
    TryOnJob.objects.filter(pk__in=[job.id for job in finished]).delete()
    gone = not jobs.exists()
    if gone:
        fashion_model.delete()
    else:
        ShopperLeftover.objects.get_or_create(fashion_model=fashion_model)
    transaction.on_commit(lambda: stored_files_delete(files))
    return gone


def shopper_models_sweep(*, now=None) -> int:
    """Run by every sweep (tryon.shoppers.apps): photos past TRYON_SHOPPER_PHOTO_HOURS, leftovers whose renders
    have stopped, and shopper models unused for a session's lifetime. Returns how many photos and models went."""
    now = now or timezone.now()
    swept = 0
    for shopper_model in ShopperModel.objects.filter(expires_at__lte=now)[:500]:
        shopper_photo_delete(shopper_model=shopper_model)
        swept += 1
    for leftover in ShopperLeftover.objects.select_related("fashion_model")[:500]:
        with transaction.atomic():
            _fashion_model_retire(leftover.fashion_model)
    idle_since = now - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    for shopper_model in ShopperModel.objects.filter(updated_at__lt=idle_since, expires_at__isnull=True)[:500]:
        shopper_model_delete(shopper_model=shopper_model)
        swept += 1
    return swept
