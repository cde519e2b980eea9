"""Webhook endpoints a merchant registers, and the delivery log: every event sent, with each attempt's outcome."""

import uuid

from django.db import models
from django.db.models import Q

from tryon.jobs.models import TryOnJob
from tryon.merchants.models import Merchant


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
    # The circuit breaker (tryon.webhooks.services): after TRYON_WEBHOOK_BREAKER_AFTER failures in a row the
    # endpoint is paused; its deliveries stay pending and wait, then one probe decides whether it is back.
    failures_in_a_row = models.PositiveIntegerField(default=0)
    paused_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.url


class WebhookSigningSecret(models.Model):
    """The secret that signs a merchant's one-off deliveries (a `webhook_url` given with a request), which
    have no endpoint, and so no secret, of their own. Made on first use."""

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, related_name="+")
    secret = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Signing secret of {self.merchant}"


class WebhookDelivery(models.Model):
    """One event sent to one destination, with every attempt's outcome: the log a merchant reads.

    The destination is a registered endpoint (its current URL and secret), or, for a one-off delivery
    (tryon.webhooks.services.webhook_send), the `url` and `secret` kept on the row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    url = models.URLField(max_length=2000, blank=True, help_text="A one-off delivery's destination")
    secret = models.CharField(max_length=200, blank=True, help_text="A one-off delivery's signing secret")
    job = models.ForeignKey(TryOnJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # An endpoint's events are WebhookEvent values; a one-off delivery's are its caller's (FASHN's, say).
    event = models.CharField(max_length=60)
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
            # A finished job may be announced more than once (the outbox relay after a crash); it goes out once.
            models.UniqueConstraint(fields=["endpoint", "job", "event"], name="webhook_delivery_once_per_job_event"),
            models.UniqueConstraint(
                fields=["merchant", "url", "job", "event"],
                condition=Q(endpoint__isnull=True, job__isnull=False),
                name="webhook_send_once_per_job_event",
            ),
            models.CheckConstraint(
                condition=Q(endpoint__isnull=False) | ~Q(url=""), name="webhook_delivery_has_a_destination"
            ),
        ]

    def __str__(self):
        return f"{self.event} to {self.endpoint_id or self.url} ({self.status})"
