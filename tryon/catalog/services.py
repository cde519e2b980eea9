"""Writes to the catalog. Keyword-only, validated, all-or-nothing.

The one path for every writer (the merchant admin, demo data, commands): a photo is normalised before
anything is written, the row is saved, and only then is the file stored, so a refused upload leaves
nothing behind. A replaced photo's old file stays in storage: a planned try-on may still refer to it.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from prompts import PickError, PosePick
from prompts.vocabulary import OPENPOSE_KEYPOINTS
from tryon.catalog.cutouts import garment_cutout_ensure
from tryon.catalog.images import NormalisedImage, normalise_image_upload
from tryon.catalog.models import CatalogItem, FashionModel, Garment, KeypointSource, Pose, Scene
from tryon.merchants.models import Merchant


def _store_after_row(field_file, content) -> None:
    """Write the file once its row exists; if recording it fails, take the file away again."""
    field_file.save(content.name, content, save=False)
    try:
        field_file.instance.save(update_fields=[field_file.field.attname])
    except Exception:
        field_file.storage.delete(field_file.name)
        raise


def _normalised(upload, field: str) -> NormalisedImage:
    """An upload, normalised here; or one a form has normalised already to check it (the admin's)."""
    return upload if isinstance(upload, NormalisedImage) else normalise_image_upload(upload, field=field)


def _assign(instance, allowed: tuple[str, ...], fields: dict) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"{type(instance).__name__} has no updatable fields {sorted(unknown)}")
    for name, value in fields.items():
        setattr(instance, name, value)


@transaction.atomic
def garment_create(
    *,
    merchant: Merchant,
    name: str,
    category: str,
    image,
    colour: str = "",
    material: str = "",
    description: str = "",
    **attributes,
) -> Garment:
    """`attributes`: pattern, fit, length, sleeve_length, keywords (see Garment)."""
    normalised = _normalised(image, "image")
    garment = Garment(
        merchant=merchant,
        name=name,
        category=category,
        colour=colour,
        material=material,
        description=description,
        image_sha256=normalised.sha256,
        image_width=normalised.width,
        image_height=normalised.height,
        **attributes,
    )
    garment.full_clean(exclude=["image", "merchant"])
    garment.save()
    _store_after_row(garment.image, normalised.file)
    return garment_cutout_ensure(garment=garment)


GARMENT_FIELDS = (
    "name", "category", "colour", "material", "description", "pattern", "fit", "length", "sleeve_length", "keywords",
)  # fmt: skip


@transaction.atomic
def garment_update(*, garment: Garment, image=None, **fields) -> Garment:
    """Change what garment_create set; a new `image` replaces the photo and is cut out again."""
    normalised = _normalised(image, "image") if image is not None else None
    _assign(garment, GARMENT_FIELDS, fields)
    if normalised is not None:
        garment.image_sha256 = normalised.sha256
        garment.image_width, garment.image_height = normalised.width, normalised.height
    garment.full_clean(exclude=["image", "merchant"])
    garment.save()
    if normalised is not None:
        _store_after_row(garment.image, normalised.file)
    return garment_cutout_ensure(garment=garment)


@transaction.atomic
def catalog_item_create(*, merchant: Merchant, sku: str, title: str, garments: Iterable[Garment]) -> CatalogItem:
    garments = list(garments)
    if not garments:
        raise ValidationError({"garments": "A catalog item needs at least one garment."})
    if any(garment.merchant_id != merchant.id for garment in garments):
        raise ValidationError({"garments": "Every garment must belong to the same merchant as the item."})
    if CatalogItem.objects.filter(merchant=merchant, sku=sku).exists():
        raise ValidationError({"sku": f"SKU {sku!r} is already used by another item."})
    item = CatalogItem(merchant=merchant, sku=sku, title=title)
    item.full_clean(exclude=["merchant"])
    item.save()
    item.garments.set(garments)
    return item


@transaction.atomic
def fashion_model_create(*, merchant: Merchant, name: str, reference_photo=None, **attributes) -> FashionModel:
    normalised = _normalised(reference_photo, "reference_photo") if reference_photo is not None else None
    fashion_model = FashionModel(merchant=merchant, name=name, **attributes)
    fashion_model.full_clean(exclude=["merchant", "reference_photo"])
    fashion_model.save()
    if normalised is not None:
        _fashion_model_photo_store(fashion_model, normalised)
    return fashion_model


FASHION_MODEL_FIELDS = ("name", "gender_presentation", "age_range", "body_type", "skin_tone", "hair", "expression")


@transaction.atomic
def fashion_model_update(
    *, fashion_model: FashionModel, reference_photo=None, remove_reference_photo: bool = False, **fields
) -> FashionModel:
    """Change what fashion_model_create set. A new `reference_photo` replaces the photo, and its keypoints
    are looked for; `remove_reference_photo` leaves the model without one (and without keypoints)."""
    if reference_photo is not None and remove_reference_photo:
        raise ValidationError({"reference_photo": "Upload a new photo or remove the photo, not both."})
    normalised = _normalised(reference_photo, "reference_photo") if reference_photo is not None else None
    _assign(fashion_model, FASHION_MODEL_FIELDS, fields)
    fashion_model.full_clean(exclude=["merchant", "reference_photo"])
    fashion_model.save()
    if normalised is not None:
        _fashion_model_photo_store(fashion_model, normalised)
    elif remove_reference_photo and fashion_model.reference_photo:
        fashion_model.reference_photo, fashion_model.reference_photo_sha256 = "", ""
        fashion_model.save(update_fields=["reference_photo", "reference_photo_sha256"])
        fashion_model_detect_keypoints(fashion_model=fashion_model)
    return fashion_model


def _fashion_model_photo_store(fashion_model: FashionModel, normalised: NormalisedImage) -> None:
    fashion_model.reference_photo_sha256 = normalised.sha256
    fashion_model.save(update_fields=["reference_photo_sha256"])
    _store_after_row(fashion_model.reference_photo, normalised.file)
    fashion_model_detect_keypoints(fashion_model=fashion_model)


NO_DETECTOR = (
    "No keypoint detector weights are installed: renders use the picked pose. "
    "Run python manage.py tryon_models pull annotators."
)
NO_PERSON = "No person was detected in this photo: renders use the picked pose. Place the joints by hand below."
KEYPOINT_FIELDS = ["photo_keypoints", "photo_keypoints_source", "photo_keypoints_note"]


def _set_keypoints(fashion_model: FashionModel, keypoints, source: str, note: str = "") -> FashionModel:
    fashion_model.photo_keypoints = keypoints
    fashion_model.photo_keypoints_source = source
    fashion_model.photo_keypoints_note = note
    fashion_model.save(update_fields=KEYPOINT_FIELDS)
    return fashion_model


def fashion_model_detect_keypoints(*, fashion_model: FashionModel) -> FashionModel:
    """Find the person's keypoints in the reference photo, replacing any stored ones; the note says why not."""
    from PIL import Image, UnidentifiedImageError

    from generation import EngineError
    from generation.keypoints import detect_keypoints, detector_available

    if not fashion_model.reference_photo:
        return _set_keypoints(fashion_model, None, KeypointSource.NONE)
    if not detector_available():
        return _set_keypoints(fashion_model, None, KeypointSource.POSE, NO_DETECTOR)
    try:
        with fashion_model.reference_photo.open("rb") as photo, Image.open(photo) as image:
            keypoints = detect_keypoints(image)
    except EngineError as error:  # the licence refused, or the weights unreadable: the picked pose is used
        return _set_keypoints(fashion_model, None, KeypointSource.POSE, f"Renders use the picked pose. {error}"[:300])
    except (OSError, UnidentifiedImageError) as error:
        return _set_keypoints(fashion_model, None, KeypointSource.NONE, f"The photo could not be read: {error}"[:300])
    if keypoints is None:
        return _set_keypoints(fashion_model, None, KeypointSource.NONE, NO_PERSON)
    return _set_keypoints(fashion_model, [list(point) for point in keypoints], KeypointSource.DETECTED)


def fashion_model_edit_keypoints(*, fashion_model: FashionModel, keypoints) -> FashionModel:
    """The merchant's correction of the photo's keypoints; None (cleared) detects them again."""
    if keypoints is None:
        return fashion_model_detect_keypoints(fashion_model=fashion_model)
    if not fashion_model.reference_photo:
        raise ValidationError(
            {"photo_keypoints": "Upload a reference photo first: these keypoints mark the person in it."}
        )
    return _set_keypoints(fashion_model, validate_photo_keypoints(keypoints), KeypointSource.EDITED)


def validate_photo_keypoints(keypoints) -> list[list]:
    """Strictly 18 [x, y, visible]: x and y numbers within 0..1, visible true or false."""

    def refuse(message: str):
        raise ValidationError({"photo_keypoints": message})

    if not isinstance(keypoints, list | tuple) or len(keypoints) != len(OPENPOSE_KEYPOINTS):
        count = f", got {len(keypoints)}" if isinstance(keypoints, list | tuple) else ""
        refuse(f"Expected a list of {len(OPENPOSE_KEYPOINTS)} points, each [x, y, visible]{count}.")
    points = []
    for name, point in zip(OPENPOSE_KEYPOINTS, keypoints, strict=True):
        label = name.replace("_", " ")
        if not isinstance(point, list | tuple) or len(point) != 3:
            refuse(f"The {label} is {point!r}; expected [x, y, visible].")
        x, y, visible = point
        if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in (x, y)):
            refuse(f"The {label}'s x and y must be numbers, got {x!r} and {y!r}.")
        if not (0 <= x <= 1 and 0 <= y <= 1):
            refuse(f"The {label} is at ({x}, {y}); x and y must be within 0..1.")
        if not isinstance(visible, bool):
            refuse(f"The {label}'s visible must be true or false, got {visible!r}.")
        points.append([float(x), float(y), visible])
    return points


def validate_keypoints(keypoints) -> list[list]:
    """18 OpenPose keypoints as [[x, y, visible], ...]; returns them in their stored form."""
    try:
        points = tuple((float(x), float(y), bool(visible)) for x, y, visible in keypoints)
        PosePick(name="pose", keypoints=points)
    except (TypeError, ValueError) as error:
        message = str(error).removeprefix("pose.keypoints") if isinstance(error, PickError) else None
        raise ValidationError(
            {"keypoints": f"Keypoints{message}" if message else "Expected 18 points, each [x, y, visible]."}
        ) from None
    return [list(point) for point in points]


@transaction.atomic
def pose_create(*, merchant: Merchant, name: str, keypoints) -> Pose:
    pose = Pose(merchant=merchant, name=name, keypoints=validate_keypoints(keypoints))
    pose.full_clean(exclude=["merchant"])
    pose.save()
    return pose


@transaction.atomic
def pose_update(*, pose: Pose, **fields) -> Pose:
    """`fields`: name, keypoints."""
    if "keypoints" in fields:
        fields["keypoints"] = validate_keypoints(fields["keypoints"])
    _assign(pose, ("name", "keypoints"), fields)
    pose.full_clean(exclude=["merchant"])
    pose.save()
    return pose


@transaction.atomic
def scene_create(
    *, merchant: Merchant, name: str, prompt: str, negative_prompt: str = "", picture=None, **attributes
) -> Scene:
    """`attributes`: location, lighting, time_of_day (see Scene). `picture`: shown on the shop's scene picker."""
    normalised = _normalised(picture, "picture") if picture is not None else None
    scene = Scene(merchant=merchant, name=name, prompt=prompt, negative_prompt=negative_prompt, **attributes)
    scene.full_clean(exclude=["merchant", "picture"])
    scene.save()
    if normalised is not None:
        _store_after_row(scene.picture, normalised.file)
    return scene


SCENE_FIELDS = ("name", "prompt", "negative_prompt", "location", "lighting", "time_of_day")


@transaction.atomic
def scene_update(*, scene: Scene, picture=None, remove_picture: bool = False, **fields) -> Scene:
    """Change what scene_create set; a new `picture` replaces the old one, `remove_picture` drops it."""
    if picture is not None and remove_picture:
        raise ValidationError({"picture": "Upload a new picture or remove the picture, not both."})
    normalised = _normalised(picture, "picture") if picture is not None else None
    _assign(scene, SCENE_FIELDS, fields)
    if remove_picture:
        scene.picture = ""
    scene.full_clean(exclude=["merchant", "picture"])
    scene.save()
    if normalised is not None:
        _store_after_row(scene.picture, normalised.file)
    return scene
