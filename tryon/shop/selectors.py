"""Reads for the shop pages: the catalog with each item's cover picture."""

from django.db.models import Prefetch, QuerySet

from tryon.catalog.models import CatalogItem
from tryon.catalog.selectors import catalog_item_list
from tryon.jobs.gallery import approved_gallery
from tryon.merchants.models import Merchant


def shop_catalog(*, merchant: Merchant) -> QuerySet[CatalogItem]:
    gallery = Prefetch("generated_images", queryset=approved_gallery(), to_attr="approved_images")
    return catalog_item_list(merchant=merchant).prefetch_related(gallery)


def cover(item: CatalogItem):
    """The picture a listing shows: the primary (or newest) approved render, else the first garment's photo."""
    if item.approved_images:
        return item.approved_images[0].file
    garment = next(iter(item.garments.all()), None)
    return garment.image if garment else None
