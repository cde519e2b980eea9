"""FASHN-compatible predictions: made from a request's photos, answered in the format asked, sent to a
webhook when they end, and deleted with everything made from them once the retention period is over."""

import base64
import io
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image

from prompts.poses import POSE_LIBRARY
from tryon.catalog.models import FashionModel, Garment, KeypointSource, Pose, Scene
from tryon.catalog.services import NO_PERSON, fashion_model_create, garment_create, pose_create, scene_create
from tryon.fashn.errors import FashnError, first_error, validation_error
from tryon.fashn.models import Prediction
from tryon.fashn.moderation import prediction_moderation_level, prediction_photos_check, prediction_reused_result_check
from tryon.jobs.models import TryOnJob
from tryon.jobs.services import tryon_job_cancel, tryon_job_create
from tryon.media.deletion import stored_files_delete
from tryon.merchants.models import Merchant
from tryon.remote_images import ImageInputError, image_bytes_from_input

logger = logging.getLogger(__name__)

CATEGORIES = {"tops": "top", "bottoms": "bottom", "one-pieces": "dress", "auto": "top"}
GENERATION_MODES = {"fast": "performance", "balanced": "balanced", "quality": "quality"}
# A person known only by a photo: words that describe nobody in particular, since the photo shows who it is.
PHOTO_PERSON = {
    "gender_presentation": "androgynous",
    "age_range": "25-34",
    "body_type": "average",
    "skin_tone": "medium",
}
AS_IN_THE_PHOTO = "As in the photo"
SAVED = "saved:"


# --- Create ---


def prediction_create(*, merchant: Merchant, model_name: str, inputs: dict, webhook_url: str = "") -> Prediction:
    """Store the request's photos (transient, never in the catalog), queue the try-on, and return the prediction.

    `inputs` are validated shapes (tryon.fashn.inputs). Every refusal is a FashnError naming the input.
    """
    tryon = model_name != Prediction.ModelName.PRODUCT_TO_MODEL
    garment_field = "garment_image" if tryon else "product_image"
    mode = inputs["mode"] if tryon else GENERATION_MODES[inputs["generation_mode"]]
    person_input = inputs.get("model_image", "")
    # 1. The photos, fetched or decoded before anything is stored or a transaction held open.
    photos = {garment_field: _photo(inputs[garment_field], garment_field)}
    if person_input and not person_input.startswith(SAVED):
        photos["model_image"] = _photo(person_input, "model_image")
    # Content checks at the request's `moderation_level` (else the shop's): a refused photo is never stored.
    moderation = prediction_moderation_level(merchant=merchant, options=inputs)
    prediction_photos_check(level=moderation, photos=photos)

    # 2. Rows, then the job; files written for rows a failure rolls back are removed again.
    made: list = []
    try:
        with transaction.atomic():
            garment = _garment(merchant, photos[garment_field], inputs.get("category", "auto"), garment_field)
            made.append(garment)
            person = None
            if "model_image" in photos:
                person = _person(merchant, photos["model_image"])
                made.append(person)
            fashion_model = person or _saved_fashion_model(merchant, person_input)
            scene = _prompt_scene(merchant, inputs["prompt"]) if inputs.get("prompt") else None
            if scene is not None:
                made.append(scene)
            picks = {
                "pose": _saved_or_default(merchant, Pose, inputs.get("pose"), "pose", person is not None),
                "scene": scene or _saved_or_default(merchant, Scene, inputs.get("scene"), "scene", person is not None),
            }
            job = _job(merchant, fashion_model, garment, picks, inputs, mode)
            if job.reused:  # rendered for another request, perhaps at a lower level: checked at this one's
                prediction_reused_result_check(level=moderation, job=job)
            if not job.reused:  # a job made here goes with a rollback; its draft file goes with `made`
                made.append(job)
            prediction = Prediction.objects.create(
                merchant=merchant,
                job=job,
                model_name=model_name,
                options={k: v for k, v in inputs.items() if k not in (garment_field, "model_image") and v is not None},
                output_format=inputs["output_format"],
                return_base64=inputs["return_base64"],
                webhook_url=webhook_url,
                garment=garment,
                person=person,
                scene=scene,
                expires_at=timezone.now() + timedelta(hours=settings.TRYON_FASHN_RETENTION_HOURS),
            )
            if job.is_finished:  # a reused job that already ended: no job_finished event will come for this one
                prediction_notify(prediction=prediction)
            return prediction
    except BaseException:
        stored_files_delete([name for row in made for name in _row_files(row)])
        raise


def _photo(value: str, field: str) -> ContentFile:
    try:
        return ContentFile(image_bytes_from_input(value, field=field), name=field)
    except ImageInputError as error:
        raise FashnError("ImageLoadError", f"inputs.{field}: {error.reason}") from None


def _upload_refused(error: ValidationError, field: str) -> FashnError:
    """The upload rules' message (too small, not an image, ...) on the input the client named."""
    messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
    return FashnError("ImageLoadError", f"inputs.{field}: {next(iter(messages.values()))[0]}")


def _garment(merchant: Merchant, photo: ContentFile, category: str, field: str) -> Garment:
    try:
        return garment_create(
            merchant=merchant, name="Garment photo", category=CATEGORIES[category], image=photo, transient=True
        )
    except ValidationError as error:
        raise _upload_refused(error, field) from None


def _person(merchant: Merchant, photo: ContentFile) -> FashionModel:
    try:
        person = fashion_model_create(
            merchant=merchant, name="Person photo", reference_photo=photo, transient=True, **PHOTO_PERSON
        )
    except ValidationError as error:
        raise _upload_refused(error, "model_image") from None
    if person.photo_keypoints_source == KeypointSource.NONE and person.photo_keypoints_note == NO_PERSON:
        stored_files_delete(_row_files(person))  # the row goes with the rolled-back transaction; its file goes here
        raise FashnError("PoseError", "inputs.model_image: No person was detected in this photo.")
    return person


def _named(queryset, value: str):
    """The row whose name is `value` (after `saved:`), by name or by its slug."""
    wanted = value.removeprefix(SAVED).strip()
    for row in queryset:
        if row.name.casefold() == wanted.casefold() or slugify(row.name) == slugify(wanted):
            return row
    return None


def _saved_fashion_model(merchant: Merchant, value: str) -> FashionModel:
    saved = FashionModel.objects.filter(merchant=merchant, transient=False)
    found = _named(saved, value) if value else saved.first()
    if found is None:
        names = ", ".join(f"saved:{slugify(row.name)}" for row in saved[:10]) or "none yet"
        what = f"No saved fashion model is called {value.removeprefix(SAVED)!r}" if value else "No fashion model saved"
        raise FashnError("InputValidationError", f"inputs.model_image: {what}; saved: {names}.")
    return found


def _saved_or_default(merchant: Merchant, model, value: str | None, field: str, photo: bool):
    """The saved pose or scene named by `value`; else, for a person photo, the hidden "as in the photo" one;
    else the merchant's first, or the hidden one when there is none."""
    saved = model.objects.filter(merchant=merchant, transient=False)
    if value:
        if (found := _named(saved, value)) is None:
            raise FashnError("InputValidationError", f"inputs.{field}: No saved {field} is called {value!r}.")
        return found
    return (None if photo else saved.first()) or _as_in_the_photo(merchant, model)


def _as_in_the_photo(merchant: Merchant, model):
    """One hidden pose and scene per merchant for person photos: a front standing pose, the photo's own setting."""
    hidden = model.objects.filter(merchant=merchant, transient=True, name=AS_IN_THE_PHOTO).first()
    if hidden is not None:
        return hidden
    if model is Pose:
        keypoints = [list(point) for point in next(iter(POSE_LIBRARY.values())).keypoints]
        hidden = pose_create(merchant=merchant, name=AS_IN_THE_PHOTO, keypoints=keypoints)
    else:
        hidden = scene_create(merchant=merchant, name=AS_IN_THE_PHOTO, prompt="the photo's own setting and light")
    model.objects.filter(pk=hidden.pk).update(transient=True)
    hidden.transient = True
    return hidden


def _prompt_scene(merchant: Merchant, prompt: str) -> Scene:
    scene = scene_create(merchant=merchant, name="Described scene", prompt=prompt)
    Scene.objects.filter(pk=scene.pk).update(transient=True)
    scene.transient = True
    return scene


SERVICE_FIELDS = {  # tryon_job_create's fields, as the inputs that decide them
    "preset": ("InputValidationError", "inputs.mode"),
    "pose": ("PoseError", "inputs.model_image"),
    "garments": ("InputValidationError", "inputs.category"),
    "samples": ("InputValidationError", "inputs.num_samples"),
}


# FASHN's `mode` as a share of the preset's steps: fewer is faster, more is finer.
MODE_STEPS = {"performance": 0.5, "balanced": 1.0, "quality": 1.5}
# Distilled samplers: their LoRA is trained for its preset's step count, which no mode changes.
FIXED_STEP_SAMPLERS = {"LCM", "TCD"}


def mode_steps(*, preset: str, mode: str) -> int | None:
    """The steps `mode` renders `preset` with; None leaves the preset's own (or an unknown preset to the jobs app,
    whose refusal names it)."""
    from generation.presets import get_preset

    try:
        chosen = get_preset(preset)
    except Exception:  # EngineError, a broken presets file: tryon_job_create refuses it with the reason
        return None
    if chosen.sampler in FIXED_STEP_SAMPLERS:
        return None
    return max(2, round(chosen.steps * MODE_STEPS[mode]))


def _job(merchant: Merchant, fashion_model, garment: Garment, picks: dict, inputs: dict, mode: str) -> TryOnJob:
    preset = settings.TRYON_FASHN_PRESETS[mode] or settings.TRYON_PRESET
    try:
        return tryon_job_create(
            merchant=merchant,
            fashion_model=fashion_model,
            garments=[garment],
            **picks,
            seed=inputs.get("seed"),
            samples=inputs.get("num_samples", 1),
            preset=preset,
            steps=mode_steps(preset=preset, mode=mode),
        )
    except ValidationError as error:
        field, message = first_error(error.message_dict if hasattr(error, "error_dict") else error.messages)
        name, path = SERVICE_FIELDS.get(field, ("InputValidationError", ""))
        raise validation_error({path: [message]} if path else [message], name=name) from None


# --- Answer ---


def prediction_outputs_get(*, prediction: Prediction) -> list[str]:
    """The storage names of the prediction's images in its format: the job's PNGs, or JPEG copies made once."""
    if prediction.outputs:
        return prediction.outputs
    pngs = [image.file.name for image in prediction.job.images.order_by("index")]
    if prediction.output_format == Prediction.OutputFormat.PNG or not pngs:
        return pngs
    names = []
    for index, png in enumerate(pngs):
        with default_storage.open(png) as file, Image.open(file) as image:
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=95)
        names.append(default_storage.save(f"fashn/{prediction.merchant_id}/{prediction.id}-{index}.jpg", buffer))
    # Conditional: of two requests converting at once, one's copies are kept and the other's removed.
    if Prediction.objects.filter(pk=prediction.pk, outputs=[]).update(outputs=names):
        prediction.outputs = names
        return names
    stored_files_delete(names)
    prediction.refresh_from_db(fields=["outputs"])
    return prediction.outputs


def output_data_uri(name: str) -> str:
    kind = "jpeg" if name.lower().endswith((".jpg", ".jpeg")) else "png"
    with default_storage.open(name) as file:
        return f"data:image/{kind};base64,{base64.b64encode(file.read()).decode()}"


# --- Webhooks ---


def prediction_webhook_event(prediction: Prediction, status: str) -> str:
    """The delivery's event: one per prediction, so predictions sharing a job and a URL each get theirs."""
    return f"prediction.{status}:{prediction.id}"


def prediction_notify(*, prediction: Prediction) -> bool:
    """Queue the status object of a finished prediction to its `webhook_url`, in this transaction (the
    webhooks outbox sends it once it commits, once however often this runs). Returns whether one is queued.

    The body links the images (signed URLs) even with `return_base64`: FASHN's webhook carries the status
    object, a URL is a valid `output`, and a body kept in the delivery log holds no shopper photo."""
    from tryon.fashn.selectors import prediction_status
    from tryon.webhooks.services import webhook_send

    if not prediction.webhook_url or not prediction.job.is_finished:
        return False
    payload = prediction_status(prediction, inline_images=False)
    try:
        webhook_send(
            merchant=prediction.merchant,
            url=prediction.webhook_url,
            event=prediction_webhook_event(prediction, payload["status"]),
            payload=payload,
            job=prediction.job,
        )
    except ValidationError as error:  # a URL the webhooks app refuses: the prediction itself is fine
        logger.warning("Prediction %s: webhook not sent: %s", prediction.id, error)
        return False
    return True


def predictions_notify(*, job_id: int) -> int:
    """Each prediction of a finished job that asked for a webhook, queued (prediction_notify). Returns how many."""
    predictions = Prediction.objects.filter(job_id=job_id).exclude(webhook_url="").select_related("job", "merchant")
    return sum(prediction_notify(prediction=prediction) for prediction in predictions)


# --- Retention ---


def _row_files(row) -> list[str]:
    fields = {
        Garment: ("image", "cutout"),
        FashionModel: ("reference_photo",),
        Scene: ("picture",),
        TryOnJob: ("draft",),
    }.get(type(row), ())
    return [getattr(row, name).name for name in fields if getattr(row, name)]


def prediction_purge(*, prediction: Prediction) -> bool:
    """Delete a prediction, its transient photos and the files made from them; its job too once no other
    prediction shares it. A job still rendering is cancelled first and purged at a later sweep (False)."""
    from tryon.webhooks.models import WebhookDelivery

    job = prediction.job
    if not job.is_finished:
        # Another prediction still within its retention may be waiting for this render: leave it running.
        others = Prediction.objects.filter(job=job, expires_at__gt=timezone.now()).exclude(pk=prediction.pk)
        if not others.exists():
            tryon_job_cancel(job_id=job.id)
        return False
    files = [name for name in prediction.outputs if name.startswith("fashn/")]
    with transaction.atomic():
        # Its webhook's body (the status object, links to the images) is the prediction's too.
        WebhookDelivery.objects.filter(
            merchant_id=prediction.merchant_id, endpoint=None, event__endswith=f":{prediction.id}"
        ).delete()
        prediction.delete()
        if not Prediction.objects.filter(job=job).exists():
            for image in job.images.all():
                files += [field.name for field in (image.file, image.garment_mask) if field]
            files += _row_files(job)
            job.delete()
        for row in (prediction.garment, prediction.person, prediction.scene):
            if row is not None and row.transient:
                files += _row_files(row)
                row.delete()
    transaction.on_commit(lambda: stored_files_delete(files))
    return True


def predictions_purge_expired() -> int:
    """Run by every sweep (tryon.fashn.apps): the predictions past TRYON_FASHN_RETENTION_HOURS. Returns how many."""
    expired = Prediction.objects.filter(expires_at__lte=timezone.now()).select_related(
        "job", "garment", "person", "scene"
    )
    return sum(prediction_purge(prediction=prediction) for prediction in expired[:500])
