"""A catalog item's gallery: rendered images await review; approved ones reach shoppers, the primary first."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from tryon.catalog.models import CatalogItem
from tryon.jobs.models import GeneratedImage

GALLERY_ORDER = ("-primary", "-job_id", "index")


def approved_gallery() -> QuerySet[GeneratedImage]:
    """What shoppers and storefronts see: approved images, the primary one first, then the newest."""
    return GeneratedImage.objects.filter(approved=True).order_by(*GALLERY_ORDER)


def review_gallery(*, catalog_item: CatalogItem) -> list[GeneratedImage]:
    """Every image of the item for the merchant: primary, approved, awaiting review, then rejected."""
    images = GeneratedImage.objects.filter(catalog_item=catalog_item).order_by(*GALLERY_ORDER)
    images = images.select_related("job__fashion_model", "job__pose", "job__scene")
    return sorted(images, key=lambda image: (not image.primary, not image.approved, image.rejected))


def review_state(image: GeneratedImage) -> str:
    if image.primary:
        return "primary"
    if image.approved:
        return "approved"
    return "rejected" if image.rejected else "awaiting review"


@transaction.atomic
def generated_image_approve(*, image: GeneratedImage) -> GeneratedImage:
    if GeneratedImage.objects.filter(pk=image.pk, approved=False).update(approved=True, rejected=False):
        _precompute_item(image)
    image.refresh_from_db()
    return image


def _precompute_item(image: GeneratedImage) -> None:
    """An approved image puts its item before shoppers: render what they will pick for it (tryon.jobs.precompute)."""
    from tryon.jobs.tasks import precompute_catalog_item  # tasks -> precompute -> catalog -> this module

    if image.catalog_item_id is not None:
        precompute_catalog_item.delay_on_commit(image.catalog_item_id)


@transaction.atomic
def generated_image_reject(*, image: GeneratedImage) -> GeneratedImage:
    """Out of the gallery (and no longer primary); the file stays, so a change of mind costs nothing."""
    GeneratedImage.objects.filter(pk=image.pk).update(approved=False, rejected=True, primary=False)
    image.refresh_from_db()
    return image


@transaction.atomic
def generated_image_make_primary(*, image: GeneratedImage) -> GeneratedImage:
    """Approve the image and put it first in its item's gallery, in place of the previous primary."""
    if image.catalog_item_id is None:
        raise ValidationError({"primary": "This image belongs to no catalog item, so it has no gallery to lead."})
    CatalogItem.objects.select_for_update().filter(pk=image.catalog_item_id).first()  # one change at a time
    GeneratedImage.objects.filter(catalog_item_id=image.catalog_item_id, primary=True).update(primary=False)
    if not GeneratedImage.objects.filter(pk=image.pk, approved=True).exists():
        _precompute_item(image)
    GeneratedImage.objects.filter(pk=image.pk).update(approved=True, rejected=False, primary=True)
    image.refresh_from_db()
    return image
