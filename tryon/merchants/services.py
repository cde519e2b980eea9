"""Writes to a merchant's own settings."""

from django.db import transaction

from tryon.merchants.models import Merchant

SHOP_SETTINGS = ("shopper_photos", "moderation_level")


@transaction.atomic
def merchant_shop_settings_update(*, merchant: Merchant, shopper_photos: bool, moderation_level: str) -> Merchant:
    """What a merchant's staff may change of their shop: own photos for shoppers, and the moderation level
    ("" leaves it to the default, which follows the photos switch: Merchant.moderation)."""
    merchant.shopper_photos = shopper_photos
    merchant.moderation_level = moderation_level
    merchant.full_clean(validate_unique=False, validate_constraints=False)
    merchant.save(update_fields=list(SHOP_SETTINGS))
    return merchant
