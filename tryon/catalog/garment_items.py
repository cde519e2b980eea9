"""Previews are rendered for catalog items: a garment gets the item that sells it alone, made if missing."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count

from tryon.catalog.models import CatalogItem, Garment
from tryon.catalog.services import catalog_item_create
from tryon.merchants.models import Merchant


def garment_sku(garment: Garment) -> str:
    return f"G-{garment.id}"


@transaction.atomic
def catalog_items_for_garments(*, merchant: Merchant, garments: Iterable[Garment]) -> list[CatalogItem]:
    """For each garment, an item holding exactly that garment: an existing one, else a new one (SKU G-<id>)."""
    items = []
    for garment in garments:
        alone = (
            CatalogItem.objects.filter(merchant=merchant)
            .annotate(garment_count=Count("garments"))  # counted before the filter below: all garments
            .filter(garment_count=1, garments=garment)
            .order_by("id")
            .first()
        )
        items.append(
            alone
            or catalog_item_create(merchant=merchant, sku=garment_sku(garment), title=garment.name, garments=[garment])
        )
    return items
