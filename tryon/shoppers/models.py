"""A shopper's "someone like me": their own model (attributes, and optionally their own photo), never the catalog's.

What renders is a transient FashionModel of the merchant's (`fashion_model`): never listed, never offered to
other shoppers, rendered through the same plan builder as any pick. With the shopper's photo it is also
private: its renders never enter the shared result cache, never reach a gallery, and go with the photo.
"""

from django.db import models

from tryon.catalog.models import FashionModel
from tryon.merchants.models import Merchant


class ShopperModel(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    # Who may see and use it: "session:<session key>" in the shop, "key:<storefront key id>:<client ref>" in the API.
    owner = models.CharField(max_length=200)
    # The person that renders: attributes (and the photo) live there, in the catalog's own words.
    fashion_model = models.OneToOneField(FashionModel, on_delete=models.CASCADE, related_name="shopper_model")
    # The merchant's model the shopper picked as "closest to me", if any (its attributes were copied).
    like = models.ForeignKey(FashionModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The own photo's consent and retention: what the shopper agreed to, when, and when it all goes.
    consented_at = models.DateTimeField(null=True, blank=True)
    consent_version = models.CharField(max_length=20, blank=True)
    photo_uploaded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="When the photo is deleted")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["merchant", "owner"], name="shopper_model_one_per_owner")]

    def __str__(self):
        return f"Shopper model #{self.pk}"

    @property
    def has_photo(self) -> bool:
        return bool(self.fashion_model.reference_photo)


class ShopperLeftover(models.Model):
    """A shopper's former fashion model (photo deleted, shopper model deleted) whose renders were still running
    when it was let go: cancelled then, and purged with every file by the next sweep once they have stopped."""

    fashion_model = models.OneToOneField(FashionModel, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Leftover of fashion model #{self.fashion_model_id}"
