"""Storefront API state: API keys, idempotent replies, webhook endpoints and their delivery log."""

import uuid

from django.db import models
from django.utils import timezone

from tryon.jobs.models import TryOnJob
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


class WebhookEvent(models.TextChoices):
    TRYON_SUCCEEDED = "tryon.succeeded", "Try-on succeeded"
    TRYON_FAILED = "tryon.failed", "Try-on failed"
    TRYON_CANCELLED = "tryon.cancelled", "Try-on cancelled"


class WebhookEndpoint(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=500)
    # Kept in clear: signing needs it. It is shown in full only when the endpoint is created.
    secret = models.CharField(max_length=200)
    events = models.JSONField(default=list, help_text="Event types sent to this endpoint")
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The circuit breaker (tryon.api.services): after TRYON_WEBHOOK_BREAKER_AFTER failures in a row the
    # endpoint is paused; its deliveries stay pending and wait, then one probe decides whether it is back.
    failures_in_a_row = models.PositiveIntegerField(default=0)
    paused_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event sent to one endpoint, with every attempt's outcome: the log a merchant reads."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    job = models.ForeignKey(TryOnJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    event_id = models.UUIDField(default=uuid.uuid4, help_text="Same for every endpoint that gets this event")
    body = models.TextField(help_text="The exact JSON sent, so every attempt signs the same bytes")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            # The job service may report a finished job more than once; the event goes out once.
            models.UniqueConstraint(fields=["endpoint", "job", "event"], name="webhook_delivery_once_per_job_event")
        ]

    def __str__(self):
        return f"{self.event} to {self.endpoint_id} ({self.status})"
