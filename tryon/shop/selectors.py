"""Reads for the shop pages: the catalog with each item's cover picture."""

from django.db.models import Prefetch, QuerySet

from tryon.catalog.models import CatalogItem, FashionModel, Garment, Pose, Scene
from tryon.catalog.selectors import catalog_item_list
from tryon.jobs.gallery import approved_gallery
from tryon.merchants.models import Merchant
from tryon.rows import PreparedRows, known_rows

PICKS = {"fashion_model": FashionModel, "pose": Pose, "scene": Scene}


def shop_catalog(*, merchant: Merchant) -> QuerySet[CatalogItem]:
    gallery = Prefetch("generated_images", queryset=approved_gallery(), to_attr="approved_images")
    return catalog_item_list(merchant=merchant).prefetch_related(gallery)


def _shop_tryon_querysets(*, merchant_slug, item_id, **pick_ids) -> dict[str, QuerySet]:
    wanted = {
        "merchant": Merchant.objects.filter(slug=merchant_slug),
        "item": CatalogItem.objects.filter(merchant__slug=merchant_slug, pk=item_id),
        "garments": Garment.objects.filter(catalog_items=item_id),
    }
    for name, model in PICKS.items():  # the shop's own picks, as tryon.catalog.selectors.picks_for offers them
        if (pk := pick_ids.get(f"{name}_id")) is not None:
            wanted[name] = model.objects.filter(merchant__slug=merchant_slug, transient=False, pk=pk)
    return wanted


# Every try-on press asks it: compiled once per set of picks (tryon.rows).
_SHOP_TRYON_ROWS = PreparedRows(_shop_tryon_querysets, optional=True)


def cover(item: CatalogItem):
    """The picture a listing shows: the primary (or newest) approved render, else the first garment's photo."""
    if item.approved_images:
        return item.approved_images[0].file
    garment = next(iter(item.garments.all()), None)
    return garment.image if garment else None


def shop_tryon_rows(*, merchant_slug: str, item_id: int, picks: dict[str, int | None]) -> dict | None:
    """What a try-on press names, in one query: the shop, the item (its garments read with it) and, for each of
    `picks` (form field: id), the shop's row with that id, or None where it has none (the form refuses it).
    None when there is no such shop or item."""
    named = {f"{name}_id": picks[name] for name in PICKS if picks.get(name) is not None}
    found = _SHOP_TRYON_ROWS(merchant_slug=merchant_slug, item_id=item_id, **named)
    if not found["merchant"] or not found["item"]:
        return None
    item = found["item"][0]
    item._prefetched_objects_cache = {"garments": known_rows(Garment, found["garments"])}  # as catalog_item_list
    rows = {name: next(iter(found.get(name, ())), None) for name in PICKS}
    return {"merchant": found["merchant"][0], "item": item, **rows}
