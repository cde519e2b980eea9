"""Storefront API writes: keys and idempotent replies (webhooks: tryon.webhooks.services)."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tryon.api.keys import key_generate, key_parse, secret_hash
from tryon.api.models import IdempotencyRecord, StorefrontKey
from tryon.merchants.models import Merchant

KEY_TOUCH_INTERVAL = timedelta(minutes=1)  # last_used_at is a hint, not an audit log: spare the writes
IDEMPOTENCY_TTL = timedelta(hours=24)
IDEMPOTENCY_ABANDONED_AFTER = timedelta(minutes=1)  # a claim this old belongs to a request that died


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
