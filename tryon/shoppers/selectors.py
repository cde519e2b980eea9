"""Reads of shopper models: only ever the owner's own, at one shop."""

from django.db.models import QuerySet

from tryon.merchants.models import Merchant
from tryon.shoppers.models import ShopperModel


def shopper_model_get(*, merchant: Merchant, owner: str) -> ShopperModel | None:
    """The owner's shopper model at this shop, or None."""
    return ShopperModel.objects.select_related("fashion_model").filter(merchant=merchant, owner=owner).first()


def shopper_model_list(*, merchant: Merchant, owner_prefix: str) -> QuerySet[ShopperModel]:
    """The shopper models whose owner starts with `owner_prefix` (a storefront key's: "key:<id>:")."""
    return ShopperModel.objects.select_related("fashion_model").filter(
        merchant=merchant, owner__startswith=owner_prefix
    )


def shopper_model_get_by_id(*, merchant: Merchant, owner_prefix: str, shopper_model_id: int) -> ShopperModel | None:
    """One of them by id; None for another owner's or another shop's, exactly as for an id that never was."""
    return shopper_model_list(merchant=merchant, owner_prefix=owner_prefix).filter(pk=shopper_model_id).first()
