"""`Idempotency-Key` on POST creates: a retried request gets the first response, never a second job.

Keys are scoped to the API key (or staff member) and kept 24 hours. The same key with a different
request answers 422; while the first request is still being answered, 409.
"""

import functools
import hashlib
import json

from django.db import transaction
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from tryon.api.errors import ApiError
from tryon.api.models import StorefrontKey
from tryon.api.schema import IDEMPOTENCY_HEADER
from tryon.api.services import (
    IdempotencyKeyReused,
    IdempotencyRequestInProgress,
    idempotency_record_begin,
    idempotency_record_discard,
    idempotency_record_finish,
)

REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location",)


class _NotStored(Exception):
    def __init__(self, response):
        self.response = response


def _scope(request) -> str:
    return f"key:{request.auth.pk}" if isinstance(request.auth, StorefrontKey) else f"user:{request.user.pk}"


def _fingerprint(request) -> str:
    canonical = json.dumps([request.method, request.path, request.data], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(post):
    """Decorates an API class's `post`; the mark tells the OpenAPI schema to document the header."""

    @functools.wraps(post)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return post(view, request, *args, **kwargs)
        if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: ["Use 1 to 255 printable ASCII characters."]})
        try:
            record = idempotency_record_begin(scope=_scope(request), key=key, fingerprint=_fingerprint(request))
        except IdempotencyKeyReused:
            raise ApiError(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request; use a new key.",
                field=IDEMPOTENCY_HEADER,
            ) from None
        except IdempotencyRequestInProgress:
            raise ApiError(
                status.HTTP_409_CONFLICT,
                "idempotency_request_in_progress",
                "A request with this Idempotency-Key is still being answered; retry in a moment.",
                field=IDEMPOTENCY_HEADER,
            ) from None
        if record.response_status is not None:
            replay = Response(record.response_body, status=record.response_status, headers=record.response_headers)
            replay[REPLAYED_HEADER] = "true"
            return replay

        try:
            # The work and its stored response commit together, or neither does.
            with transaction.atomic():
                try:
                    response = post(view, request, *args, **kwargs)
                except Exception as error:
                    response = view.handle_exception(error)
                if response.status_code >= 500:
                    raise _NotStored(response)
                idempotency_record_finish(
                    record=record,
                    status=response.status_code,
                    body=json.loads(JSONRenderer().render(response.data) or b"null"),
                    headers={name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
                )
        except _NotStored as not_stored:
            idempotency_record_discard(record=record)  # a server error: let the client try again
            return not_stored.response
        except Exception:
            idempotency_record_discard(record=record)  # the response could not be stored: the key stays free
            raise
        return response

    wrapper.idempotent = True
    return wrapper
