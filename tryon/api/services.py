"""Storefront API writes: keys, idempotent replies, webhook endpoints and webhook deliveries."""

import ipaddress
import json
import logging
import secrets
import socket
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from tryon.api.keys import key_generate, key_parse, secret_hash
from tryon.api.models import IdempotencyRecord, StorefrontKey, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tryon.api.signing import SIGNATURE_HEADER, signature_header
from tryon.jobs.models import TryOnJob
from tryon.merchants.models import Merchant

logger = logging.getLogger(__name__)

KEY_TOUCH_INTERVAL = timedelta(minutes=1)  # last_used_at is a hint, not an audit log: spare the writes
IDEMPOTENCY_TTL = timedelta(hours=24)
IDEMPOTENCY_ABANDONED_AFTER = timedelta(minutes=1)  # a claim this old belongs to a request that died
WEBHOOK_ENDPOINTS_MAX = 20
EVENT_FOR_STATUS = {
    TryOnJob.Status.SUCCEEDED: WebhookEvent.TRYON_SUCCEEDED,
    TryOnJob.Status.FAILED: WebhookEvent.TRYON_FAILED,
    TryOnJob.Status.CANCELLED: WebhookEvent.TRYON_CANCELLED,
}


# --- Storefront keys ---


def storefront_key_create(*, merchant: Merchant, name: str) -> tuple[StorefrontKey, str]:
    """A new key for one storefront, and the key itself: the only time it exists in clear."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the storefront this key is for."})
    key, prefix = key_generate()
    row = StorefrontKey.objects.create(
        merchant=merchant, name=name[:100], prefix=prefix, secret_hash=secret_hash(key_parse(key).secret)
    )
    return row, key


def storefront_key_revoke(*, key: StorefrontKey) -> StorefrontKey:
    """Revoking twice keeps the first time."""
    StorefrontKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def storefront_key_mark_used(*, key: StorefrontKey) -> None:
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < KEY_TOUCH_INTERVAL:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - KEY_TOUCH_INTERVAL)
    StorefrontKey.objects.filter(stale, pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


# --- Idempotency keys ---


class IdempotencyKeyReused(Exception):
    """The key was used before with a different request."""


class IdempotencyRequestInProgress(Exception):
    """The first request with this key has not been answered yet."""


def idempotency_record_begin(*, scope: str, key: str, fingerprint: str) -> IdempotencyRecord:
    """Claim `key` for this request. A record that already has a response is returned for replay."""
    now = timezone.now()
    IdempotencyRecord.objects.filter(scope=scope, created_at__lt=now - IDEMPOTENCY_TTL).delete()
    try:
        with transaction.atomic():
            record, created = IdempotencyRecord.objects.get_or_create(
                scope=scope, key=key, defaults={"request_fingerprint": fingerprint, "created_at": now}
            )
    except IntegrityError:  # a concurrent request claimed it between our read and our insert
        raise IdempotencyRequestInProgress() from None
    if record.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if not created and record.response_status is None:
        reclaimed = IdempotencyRecord.objects.filter(
            pk=record.pk, response_status__isnull=True, created_at__lt=now - IDEMPOTENCY_ABANDONED_AFTER
        ).update(created_at=now)
        if not reclaimed:
            raise IdempotencyRequestInProgress()
    return record


def idempotency_record_finish(*, record: IdempotencyRecord, status: int, body, headers: dict[str, str]) -> None:
    record.response_status, record.response_body, record.response_headers = status, body, headers
    record.save(update_fields=["response_status", "response_body", "response_headers"])


def idempotency_record_discard(*, record: IdempotencyRecord) -> None:
    """After a server error: the client may retry with the same key."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


def idempotency_records_purge() -> int:
    """For a periodic task: expired records are otherwise only dropped when their scope is used."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - IDEMPOTENCY_TTL).delete()
    return deleted


# --- Webhook endpoints ---


def webhook_endpoint_create(
    *,
    merchant: Merchant,
    url: str,
    events: list[str] | None = None,
    secret: str | None = None,
    description: str = "",
) -> WebhookEndpoint:
    """Register where to send events. Without a secret one is generated; either way it signs deliveries."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": "Enter an http:// or https:// URL."}) from None
    events = list(dict.fromkeys(events or WebhookEvent.values))
    if unknown := [event for event in events if event not in WebhookEvent.values]:
        raise ValidationError({"events": f"Unknown events: {', '.join(unknown)}."})
    if WebhookEndpoint.objects.filter(merchant=merchant).count() >= WEBHOOK_ENDPOINTS_MAX:
        raise ValidationError({"url": f"A merchant may have at most {WEBHOOK_ENDPOINTS_MAX} webhook endpoints."})
    return WebhookEndpoint.objects.create(
        merchant=merchant,
        url=url,
        events=events,
        secret=secret or f"whsec_{secrets.token_urlsafe(32)}",
        description=description,
    )


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


# --- Webhook deliveries ---


def webhooks_notify_job_finished(*, job_id: int) -> list[WebhookDelivery]:
    """Queue the event for a finished job to every endpoint that wants it; sent once this transaction commits.

    Safe to call more than once for the same job: each endpoint gets each job's event once.
    """
    from tryon.api.serializers import tryon_job_data
    from tryon.api.tasks import deliver_webhook

    job = TryOnJob.objects.prefetch_related("images", "garments").get(pk=job_id)
    event = EVENT_FOR_STATUS.get(job.status)
    if event is None:
        return []
    endpoints = [
        endpoint for endpoint in WebhookEndpoint.objects.filter(merchant_id=job.merchant_id) if event in endpoint.events
    ]
    if not endpoints:
        return []
    event_id = uuid.uuid4()
    body = json.dumps(
        {
            "id": f"evt_{event_id.hex}",
            "type": event,
            "created": timezone.now().isoformat(),
            "data": {"tryon": tryon_job_data(job)},
        },
        separators=(",", ":"),
    )
    deliveries = []
    for endpoint in endpoints:
        delivery, created = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            job=job,
            event=event,
            defaults={"merchant_id": job.merchant_id, "event_id": event_id, "body": body},
        )
        if created:
            deliver_webhook.delay_on_commit(delivery.id)
            deliveries.append(delivery)
    return deliveries


class _Refused(Exception):
    """The endpoint may not be called at all: retrying will not help."""


def _check_destination(url: str) -> None:
    """Refuse loopback and private addresses unless allowed: a merchant must not reach our own network.

    The name is resolved again by the HTTP client, so DNS rebinding is not covered; a proxy is.
    """
    if settings.TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for *_, sockaddr in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP):
        if not ipaddress.ip_address(sockaddr[0]).is_global:
            raise _Refused(f"{parts.hostname} resolves to {sockaddr[0]}, which is not a public address.")


def _send(delivery: WebhookDelivery) -> requests.Response:
    body = delivery.body.encode()
    _check_destination(delivery.endpoint.url)
    return requests.post(
        delivery.endpoint.url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Tryon-Webhooks/1",
            SIGNATURE_HEADER: signature_header(delivery.endpoint.secret, body),
            "Tryon-Event": delivery.event,
            "Tryon-Delivery": str(delivery.pk),
        },
        # Short and bounded: connecting, then each wait for the answer's bytes (tryon.settings).
        timeout=(settings.TRYON_WEBHOOK_CONNECT_TIMEOUT, settings.TRYON_WEBHOOK_TIMEOUT),
        allow_redirects=False,  # a redirect could point anywhere, including back inside
    )


def _endpoint_wait_seconds(endpoint_id: int) -> float:
    """How long the endpoint stays paused from now; 0 when it is not."""
    paused_until = WebhookEndpoint.objects.filter(pk=endpoint_id).values_list("paused_until", flat=True).first()
    return max(0.0, (paused_until - timezone.now()).total_seconds()) if paused_until else 0.0


def _retry_delay(attempt: int) -> float:
    return min(settings.TRYON_WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1), settings.TRYON_WEBHOOK_RETRY_MAX_SECONDS)


def _endpoint_wait(endpoint: WebhookEndpoint) -> float | None:
    """Seconds a delivery to `endpoint` must wait because the endpoint is paused; None: send now.

    Once a pause ends, one delivery probes: it wins a conditional UPDATE that pauses the endpoint for as
    long as the attempt may take, and the endpoint's other deliveries wait for its outcome.
    """
    now = timezone.now()
    if endpoint.paused_until and endpoint.paused_until > now:
        return (endpoint.paused_until - now).total_seconds()
    if endpoint.failures_in_a_row < settings.TRYON_WEBHOOK_BREAKER_AFTER:
        return None
    probe = settings.TRYON_WEBHOOK_CONNECT_TIMEOUT + settings.TRYON_WEBHOOK_TIMEOUT + 5
    free = Q(paused_until__isnull=True) | Q(paused_until__lte=now)
    won = WebhookEndpoint.objects.filter(free, pk=endpoint.pk).update(paused_until=now + timedelta(seconds=probe))
    return None if won else float(probe)


def _endpoint_record(endpoint: WebhookEndpoint, *, answered: bool) -> None:
    """An answer of any kind closes the breaker; a network error, 5xx, 408 or 429 counts towards opening it."""
    if answered:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).exclude(failures_in_a_row=0, paused_until=None).update(
            failures_in_a_row=0, paused_until=None
        )
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failures_in_a_row=F("failures_in_a_row") + 1)
    pause_until = timezone.now() + timedelta(seconds=settings.TRYON_WEBHOOK_BREAKER_PAUSE)
    too_many = settings.TRYON_WEBHOOK_BREAKER_AFTER
    if WebhookEndpoint.objects.filter(pk=endpoint.pk, failures_in_a_row__gte=too_many).update(paused_until=pause_until):
        logger.warning(
            "Webhook endpoint #%s (%s) failed %s times in a row: paused until %s; its deliveries wait",
            endpoint.pk,
            endpoint.url,
            settings.TRYON_WEBHOOK_BREAKER_AFTER,
            pause_until,
        )


def webhook_delivery_attempt(*, delivery_id: int) -> float | None:
    """Send a pending delivery once. Returns seconds to wait before the next attempt, or None when done.

    Network errors, 5xx, 408 and 429 are retried with exponential back-off; other answers are final.
    An endpoint that failed TRYON_WEBHOOK_BREAKER_AFTER times in a row is paused: its deliveries are not
    sent (nor counted as attempts) until the pause ends; the outbox keeps them pending meanwhile.
    """
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None  # delivered, given up, or its endpoint was deleted
    if (paused := _endpoint_wait(delivery.endpoint)) is not None:
        WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
            next_retry_at=timezone.now() + timedelta(seconds=paused)
        )
        return paused
    attempt = delivery.attempts + 1
    status_code, error, retryable = None, "", False
    try:
        response = _send(delivery)
        status_code = response.status_code
        retryable = status_code >= 500 or status_code in (408, 429)
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}: {response.text[:200]}"
    except _Refused as refused:
        error = f"Refused: {refused}"
    except (requests.RequestException, OSError) as failure:
        error, retryable = f"{type(failure).__name__}: {failure}"[:500], True
    if not error.startswith("Refused"):
        _endpoint_record(delivery.endpoint, answered=status_code is not None and not retryable)

    now = timezone.now()
    update = {"attempts": attempt, "response_status": status_code, "last_error": error, "next_retry_at": None}
    retry_in = None
    if not error:
        update |= {"status": WebhookDelivery.Status.SUCCEEDED, "delivered_at": now}
    elif retryable and attempt < settings.TRYON_WEBHOOK_MAX_ATTEMPTS:
        retry_in = max(_retry_delay(attempt), _endpoint_wait_seconds(delivery.endpoint.pk))
        update["next_retry_at"] = now + timedelta(seconds=retry_in)
    else:
        update["status"] = WebhookDelivery.Status.FAILED
    # Conditional on the attempt count, so a redelivered task cannot log the same attempt twice.
    if not WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**update):
        return None
    if error:
        logger.info("Webhook delivery #%s attempt %s failed: %s", delivery.pk, attempt, error)
    return retry_in
