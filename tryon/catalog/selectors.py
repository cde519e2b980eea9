"""Reads of the catalog, always scoped to one merchant."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from tryon.catalog.models import CatalogItem, FashionModel, Pose, Scene
from tryon.jobs.gallery import approved_gallery
from tryon.merchants.models import Merchant


def catalog_item_list(*, merchant: Merchant) -> QuerySet[CatalogItem]:
    return CatalogItem.objects.filter(merchant=merchant).prefetch_related("garments")


def catalog_item_get(*, merchant: Merchant, item_id: int) -> CatalogItem:
    queryset = catalog_item_list(merchant=merchant).prefetch_related(
        Prefetch("generated_images", queryset=approved_gallery(), to_attr="approved_images")
    )
    return get_object_or_404(queryset, pk=item_id)


def picks_for(*, merchant: Merchant) -> dict[str, QuerySet]:
    """What a shopper can pick from: this merchant's fashion models, poses and scenes."""
    return {
        "fashion_models": FashionModel.objects.filter(merchant=merchant, transient=False),
        "poses": Pose.objects.filter(merchant=merchant, transient=False),
        "scenes": Scene.objects.filter(merchant=merchant, transient=False),
    }


def default_picks(*, merchant: Merchant) -> dict:
    """What a product page preselects (the first of each pick, tryon.shop.forms): a shopper's likeliest try-on."""
    return {name.removesuffix("s"): picks.first() for name, picks in picks_for(merchant=merchant).items()}
