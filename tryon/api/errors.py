"""One error format for every answer that is not a success:

    {"error": {"code": "validation_error", "message": "...", "field": "pose_id", "details": {...}}}

`field` is there when one request field is to blame; `details` holds every message by field.
"""

import logging
import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from tryon.jobs.services import JobStateError

logger = logging.getLogger(__name__)

CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "unauthenticated",
    exceptions.NotAuthenticated: "unauthenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}
NON_FIELD = "non_field_errors"


class ApiError(exceptions.APIException):
    """An error with our own code, e.g. ApiError(409, "conflict", "...")."""

    def __init__(self, status_code: int, code: str, message: str, *, field: str | None = None):
        super().__init__(message, code)
        self.status_code, self.error_code, self.field = status_code, code, field


def error_body(code: str, message: str, *, field: str | None = None, details=None) -> dict:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    if details:
        error["details"] = details
    return {"error": error}


def _messages(detail) -> dict | list | str:
    """DRF's ErrorDetail tree as plain strings."""
    if isinstance(detail, dict):
        return {str(key): _messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_messages(item) for item in detail]
    return str(detail)


def _first_message(detail) -> str:
    while isinstance(detail, dict | list) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return str(detail) if detail else "Invalid input."


def _validation_body(detail) -> dict:
    details = _messages(detail if isinstance(detail, dict) else {NON_FIELD: detail})
    fields = [name for name in details if name != NON_FIELD]
    field = fields[0] if len(details) == 1 and fields else None
    message = _first_message(details)
    if len(details) > 1:
        message = f"{len(details)} fields are invalid; {next(iter(details))}: {message}"
    return error_body("validation_error", message, field=field, details=details)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):  # from a service
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, JobStateError):
        exc = ApiError(status.HTTP_409_CONFLICT, "conflict", str(exc))
    elif isinstance(exc, RequestDataTooBig):  # Django refuses to read the body (DATA_UPLOAD_MAX_MEMORY_SIZE)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = ApiError(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            "payload_too_large",
            f"The request body is larger than the limit of {limit} bytes ({limit / 1024 / 1024:.1f} MB).",
        )
    field = getattr(exc, "field", None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        set_rollback()
        return Response(error_body("server_error", "Something went wrong on our side."), status=500)

    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail)
    else:
        code = getattr(exc, "error_code", None) or next(
            (code for cls, code in CODES.items() if isinstance(exc, cls)), exc.default_code
        )
        details = {"retry_after": math.ceil(exc.wait)} if isinstance(exc, exceptions.Throttled) and exc.wait else None
        response.data = error_body(code, str(exc.detail), field=field, details=details)
    return response


@csrf_exempt  # answers every method the same way; a CSRF page in HTML would break the format
def not_found(request, *args, **kwargs):
    """For /api/ paths that match no route: the same format as every other error."""
    return JsonResponse(error_body("not_found", f"No API route at {request.path}."), status=404)
