"""Writes to the catalog. Keyword-only, validated, all-or-nothing."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from prompts import PickError, PosePick
from tryon.catalog.images import normalise_image_upload
from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.merchants.models import Merchant


def _store_after_row(field_file, content) -> None:
    """Write the file once its row exists; if recording it fails, take the file away again."""
    field_file.save(content.name, content, save=False)
    try:
        field_file.instance.save(update_fields=[field_file.field.attname])
    except Exception:
        field_file.storage.delete(field_file.name)
        raise


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
    normalised = normalise_image_upload(image, field="image")
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
    return garment


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
    fashion_model = FashionModel(merchant=merchant, name=name, **attributes)
    fashion_model.full_clean(exclude=["merchant", "reference_photo"])
    fashion_model.save()
    if reference_photo is not None:
        normalised = normalise_image_upload(reference_photo, field="reference_photo")
        fashion_model.reference_photo_sha256 = normalised.sha256
        fashion_model.save(update_fields=["reference_photo_sha256"])
        _store_after_row(fashion_model.reference_photo, normalised.file)
    return fashion_model


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
def scene_create(*, merchant: Merchant, name: str, prompt: str, negative_prompt: str = "", **attributes) -> Scene:
    """`attributes`: location, lighting, time_of_day (see Scene)."""
    scene = Scene(merchant=merchant, name=name, prompt=prompt, negative_prompt=negative_prompt, **attributes)
    scene.full_clean(exclude=["merchant"])
    scene.save()
    return scene
