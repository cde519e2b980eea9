from django.contrib.auth.models import AbstractUser
from django.db import models


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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person who signs in. Merchant staff belong to one merchant; operators (superusers) to none."""

    merchant = models.ForeignKey(Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
