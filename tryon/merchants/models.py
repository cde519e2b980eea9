from django.contrib.auth.models import AbstractUser
from django.db import models


class ModerationLevel(models.TextChoices):
    OFF = "off", "Off"
    PERMISSIVE = "permissive", "Permissive"
    CONSERVATIVE = "conservative", "Conservative"


class Merchant(models.Model):
    """A shop. Everything a merchant uploads or renders belongs to exactly one merchant."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    public_catalog_images = models.BooleanField(
        default=False,
        help_text="Approved catalog images get long-lived links that storefronts may cache and share; "
        "everything else (renders awaiting review, model photos) always gets short-lived signed links.",
    )
    # Quality gate overrides (generation.quality_gate.QualityThresholds fields), for all presets under "*"
    # and per preset under its name: {"*": {"max_delta_e_median": 6}, "sd15": {...}}
    quality_thresholds = models.JSONField(default=dict, blank=True)
    # "Someone like me" (tryon.shoppers): shoppers may upload their own photo to try garments on. Off by default.
    shopper_photos = models.BooleanField(
        default=False,
        help_text="Shoppers may try garments on their own photo, with their consent; deleted after "
        "TRYON_SHOPPER_PHOTO_HOURS.",
    )
    moderation_level = models.CharField(
        max_length=20,
        blank=True,
        choices=ModerationLevel.choices,
        help_text="Safety checks on renders and shopper photos. Blank: permissive when shopper photos are on, "
        "else off.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def moderation(self) -> str:
        """The moderation level in force: the merchant's choice, else permissive for shops with shopper photos."""
        if self.moderation_level:
            return self.moderation_level
        return ModerationLevel.PERMISSIVE if self.shopper_photos else ModerationLevel.OFF


class User(AbstractUser):
    """A person who signs in. Merchant staff belong to one merchant; operators (superusers) to none."""

    merchant = models.ForeignKey(Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
