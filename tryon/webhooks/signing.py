"""Webhook signatures, pure. How a receiver verifies a delivery:

    Tryon-Signature: t=1767225600,v1=5257a869e7ec...

1. Split the header on `,` into `t` (unix seconds when this attempt was sent) and one or more `v1`.
2. Compute HMAC-SHA256 with the endpoint's secret as key over `f"{t}.".encode() + raw_body`,
   the request body exactly as received (before any JSON parsing), as lowercase hex.
3. Accept when it equals a `v1` value (compare in constant time) and `t` is within five minutes of
   now; reject otherwise. Retries carry a fresh `t`; the event id (`id` in an event's body, and the
   `Tryon-Event-Id` header on every delivery) stays the same, so receivers de-duplicate on it.

`signature_verify` below is that recipe, in Python.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Tryon-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def signature_compute(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature_compute(secret, timestamp, body)}"


def signature_verify(
    secret: str, header: str, body: bytes, *, tolerance: int = DEFAULT_TOLERANCE_SECONDS, now: float | None = None
) -> bool:
    parts = [part.partition("=") for part in header.split(",")]
    timestamps = [value for name, _, value in parts if name.strip() == "t"]
    signatures = [value.strip() for name, _, value in parts if name.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not signatures:
        return False
    timestamp = int(timestamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature_compute(secret, timestamp, body)
    return any(hmac.compare_digest(expected, signature) for signature in signatures)
