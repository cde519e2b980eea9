"""Webhook writes: endpoints, the deliveries a finished job or a one-off send makes, and each attempt.

A delivery is a row first and a task second: the row is the outbox. Tasks only wake it up
(tryon.webhooks.tasks), so a lost task costs a delay, never an event (webhook_deliveries_resend).
"""

import ipaddress
import json
import logging
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from tryon.jobs.models import TryOnJob
from tryon.jobs.public_data import job_public_data
from tryon.merchants.models import Merchant
from tryon.remote_images import AddressRefused, pinned_request, public_address
from tryon.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookSigningSecret
from tryon.webhooks.signing import SIGNATURE_HEADER, signature_header

logger = logging.getLogger(__name__)

WEBHOOK_ENDPOINTS_MAX = 20
EVENT_FOR_STATUS = {
    TryOnJob.Status.SUCCEEDED: WebhookEvent.TRYON_SUCCEEDED,
    TryOnJob.Status.FAILED: WebhookEvent.TRYON_FAILED,
    TryOnJob.Status.CANCELLED: WebhookEvent.TRYON_CANCELLED,
}
# A pending delivery whose attempt is this overdue lost its task (a crash before the broker had it, a
# broker restart): it is sent again. Long enough that a task merely waiting in a busy queue is left alone.
RESEND_AFTER = timedelta(minutes=5)


def _check_url(url: str, field: str, *, max_length: int) -> None:
    if len(url) > max_length:
        raise ValidationError({field: f"Enter a URL of at most {max_length} characters."})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({field: "Enter an http:// or https:// URL."}) from None


# --- Endpoints ---


def webhook_endpoint_create(
    *,
    merchant: Merchant,
    url: str,
    events: list[str] | None = None,
    secret: str | None = None,
    description: str = "",
) -> WebhookEndpoint:
    """Register where to send events. Without a secret one is generated; either way it signs deliveries."""
    _check_url(url, "url", max_length=500)
    events = list(dict.fromkeys(events or WebhookEvent.values))
    if unknown := [event for event in events if event not in WebhookEvent.values]:
        raise ValidationError({"events": f"Unknown events: {', '.join(unknown)}."})
    if WebhookEndpoint.objects.filter(merchant=merchant).count() >= WEBHOOK_ENDPOINTS_MAX:
        raise ValidationError({"url": f"A merchant may have at most {WEBHOOK_ENDPOINTS_MAX} webhook endpoints."})
    return WebhookEndpoint.objects.create(
        merchant=merchant,
        url=url,
        events=events,
        secret=secret or _new_secret(),
        description=description,
    )


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def _new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def webhook_signing_secret_get(*, merchant: Merchant) -> str:
    """The secret that signs the merchant's one-off deliveries, made on first use."""
    try:
        with transaction.atomic():
            row, _ = WebhookSigningSecret.objects.get_or_create(merchant=merchant, defaults={"secret": _new_secret()})
    except IntegrityError:  # a concurrent first use made it between our read and our insert
        row = WebhookSigningSecret.objects.get(merchant=merchant)
    return row.secret


def webhook_signing_secret_rotate(*, merchant: Merchant) -> str:
    """A new signing secret for the merchant's one-off deliveries; deliveries not yet sent keep the old one."""
    secret = _new_secret()
    WebhookSigningSecret.objects.update_or_create(merchant=merchant, defaults={"secret": secret})
    return secret


# --- Deliveries: made ---


def _event_body(event_id: uuid.UUID, event: str, data: dict) -> str:
    body = {"id": f"evt_{event_id.hex}", "type": event, "created": timezone.now().isoformat(), "data": data}
    return json.dumps(body, separators=(",", ":"))


def webhooks_notify_job_finished(*, job_id: int) -> list[WebhookDelivery]:
    """Queue the event for a finished job to every endpoint that wants it; sent once this transaction commits.

    Safe to call more than once for the same job: each endpoint gets each job's event once.
    """
    job = TryOnJob.objects.select_related("fashion_model").prefetch_related("images", "garments").get(pk=job_id)
    event = EVENT_FOR_STATUS.get(job.status)
    if event is None or (job.fashion_model is not None and job.fashion_model.private):
        return []  # a shopper's own photo (tryon.shoppers): its renders go to nobody but that shopper, who polls
    endpoints = [
        endpoint for endpoint in WebhookEndpoint.objects.filter(merchant_id=job.merchant_id) if event in endpoint.events
    ]
    if not endpoints:
        return []
    event_id = uuid.uuid4()
    # The job as the storefront API shows it: one shape for a storefront to parse.
    body = _event_body(event_id, event, {"tryon": job_public_data(job)})
    deliveries = []
    for endpoint in endpoints:
        delivery, created = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            job=job,
            event=event,
            defaults={"merchant_id": job.merchant_id, "event_id": event_id, "body": body},
        )
        if created:
            _enqueue_on_commit(delivery.id)
            deliveries.append(delivery)
    return deliveries


def webhook_send(
    *,
    merchant: Merchant,
    url: str,
    event: str,
    payload: dict,
    job: TryOnJob | None = None,
    secret: str | None = None,
) -> WebhookDelivery:
    """Send `payload` as the JSON body to a URL given with a request rather than a registered endpoint.

    Signed like every delivery (tryon.webhooks.signing), with `secret` or else the merchant's signing secret
    (webhook_signing_secret_get), and retried with back-off; sent once this transaction commits. With a `job`,
    the same merchant, URL, job and event make one delivery however often this is called.
    """
    _check_url(url, "webhook_url", max_length=2000)
    if not event or len(event) > 60:
        raise ValidationError({"event": "Name the event in 1 to 60 characters."})
    body = json.dumps(payload, separators=(",", ":"))
    fields = {"secret": secret or webhook_signing_secret_get(merchant=merchant), "body": body}
    if job is None:
        delivery, created = WebhookDelivery.objects.create(merchant=merchant, url=url, event=event, **fields), True
    else:
        try:
            with transaction.atomic():
                delivery, created = WebhookDelivery.objects.get_or_create(
                    merchant=merchant, endpoint=None, url=url, job=job, event=event, defaults=fields
                )
        except IntegrityError:  # a concurrent call made it between our read and our insert
            delivery, created = WebhookDelivery.objects.get(merchant=merchant, url=url, job=job, event=event), False
    if created:
        _enqueue_on_commit(delivery.id)
    return delivery


def _enqueue_on_commit(delivery_id: int) -> None:
    from tryon.webhooks.tasks import deliver_webhook

    deliver_webhook.delay_on_commit(delivery_id)


def webhook_deliveries_resend(*, now=None) -> list[int]:
    """Wake up pending deliveries whose task was lost: those whose attempt is RESEND_AFTER overdue.

    Each is sent again at most once per RESEND_AFTER (a conditional UPDATE moves its due time), so two
    relays racing send it once. A task that was only late makes a second attempt: receivers already
    de-duplicate on the event id, as retries need them to.
    """
    from tryon.webhooks.tasks import deliver_webhook

    now = now or timezone.now()
    overdue = WebhookDelivery.objects.annotate(due=Coalesce("next_retry_at", "created_at")).filter(
        status=WebhookDelivery.Status.PENDING, due__lt=now - RESEND_AFTER
    )
    resent = []
    for delivery_id, retry_at in overdue.values_list("id", "next_retry_at"):
        unchanged = Q(next_retry_at=retry_at) if retry_at else Q(next_retry_at__isnull=True)
        still_lost = WebhookDelivery.objects.filter(unchanged, pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        if still_lost.update(next_retry_at=now):
            deliver_webhook.delay(delivery_id)
            resent.append(delivery_id)
    if resent:
        logger.warning("Webhook deliveries whose task was lost, sent again: %s", resent)
    return resent


# --- Deliveries: attempted ---


class _Refused(Exception):
    """The endpoint may not be called at all: retrying will not help."""


# With TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS every address may be called (a receiver on 127.0.0.1 in tests).
_ANYWHERE = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def _check_destination(url: str) -> str:
    """The checked address to send to: loopback and private ones are refused unless allowed, since a merchant
    must not reach our own network. The name is resolved once and the request goes to that address, so DNS
    rebinding gains nothing (the same rule and the same pinning as image URLs, tryon.remote_images)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allowed = _ANYWHERE if settings.TRYON_WEBHOOK_ALLOW_PRIVATE_NETWORKS else ()
    try:
        return public_address(parts.hostname, port, allowed=allowed, timeout=settings.TRYON_WEBHOOK_CONNECT_TIMEOUT)
    except AddressRefused as refused:
        raise _Refused(str(refused)) from None


def _send(delivery: WebhookDelivery) -> requests.Response:
    # An endpoint's deliveries go where it points now; a one-off delivery keeps its own URL and secret.
    target = delivery.endpoint or delivery
    url, secret = target.url, target.secret
    body = delivery.body.encode()
    return pinned_request(
        "POST",
        url,
        address=_check_destination(url),
        data=body,
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Tryon-Webhooks/1",
            SIGNATURE_HEADER: signature_header(secret, body),
            "Tryon-Event": delivery.event,
            "Tryon-Event-Id": f"evt_{delivery.event_id.hex}",
            "Tryon-Delivery": str(delivery.pk),
        },
        # Short and bounded: connecting, then each wait for the answer's bytes (tryon.settings).
        timeout=(settings.TRYON_WEBHOOK_CONNECT_TIMEOUT, settings.TRYON_WEBHOOK_TIMEOUT),
        allow_redirects=False,  # a redirect could point anywhere, including back inside
    )


def _endpoint_wait_seconds(endpoint_id: int | None) -> float:
    """How long the endpoint stays paused from now; 0 when it is not (or there is no endpoint)."""
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
    One-off deliveries have no endpoint, and so no breaker: only their own back-off.
    """
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None  # delivered, given up, or its endpoint was deleted
    endpoint = delivery.endpoint
    if endpoint is not None and (paused := _endpoint_wait(endpoint)) is not None:
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
            # Status and reason only: the body may hold the receiver's internals, and the delivery log shows this.
            error = f"HTTP {status_code} {response.reason or ''}".strip()[:500]
    except _Refused as refused:
        error = f"Refused: {refused}"
    except (requests.RequestException, OSError) as failure:
        error, retryable = f"{type(failure).__name__}: {failure}"[:500], True
    if endpoint is not None and not error.startswith("Refused"):
        _endpoint_record(endpoint, answered=status_code is not None and not retryable)

    now = timezone.now()
    update = {"attempts": attempt, "response_status": status_code, "last_error": error, "next_retry_at": None}
    retry_in = None
    if not error:
        update |= {"status": WebhookDelivery.Status.SUCCEEDED, "delivered_at": now}
    elif retryable and attempt < settings.TRYON_WEBHOOK_MAX_ATTEMPTS:
        retry_in = max(_retry_delay(attempt), _endpoint_wait_seconds(delivery.endpoint_id))
        update["next_retry_at"] = now + timedelta(seconds=retry_in)
    else:
        update["status"] = WebhookDelivery.Status.FAILED
    # Conditional on the attempt count, so a redelivered task cannot log the same attempt twice.
    if not WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**update):
        return None
    if error:
        logger.info("Webhook delivery #%s attempt %s failed: %s", delivery.pk, attempt, error)
    return retry_in
