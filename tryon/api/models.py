"""Storefront API state: API keys and idempotent replies (webhooks are their own app: tryon/webhooks)."""

from django.db import models
from django.utils import timezone

from tryon.merchants.models import Merchant


class StorefrontKey(models.Model):
    """One API key per storefront. Only a salted hash of the secret is kept; the key is shown once."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Public part of the key, used to find it")
    secret_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} (tryon_sk_{self.prefix}_…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyRecord(models.Model):
    """The reply to a POST sent with an Idempotency-Key, replayed when the same request comes again."""

    scope = models.CharField(max_length=40, help_text="Whose key: key:<StorefrontKey id> or user:<User id>")
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    # Empty while the first request is still being answered.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique_per_scope")]

    def __str__(self):
        return f"{self.scope} {self.key}"
