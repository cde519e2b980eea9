"""Errors in the shapes A1111 clients already handle.

A field that fails validation answers 422 as FastAPI does: `{"detail": [{"loc": ["body", "steps"], "msg": ...,
"type": "value_error"}]}`. Anything else answers as A1111's own handler: `{"error": "HTTPException", "detail": ...,
"body": "", "errors": "401: ..."}`. `webuiapi` raises RuntimeError(status, body text) for any of them.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


class A1111Error(exceptions.APIException):
    """A non-field error with A1111's `error` name, e.g. A1111Error(504, "TimeoutError", "...")."""

    def __init__(self, status_code: int, name: str, message: str):
        super().__init__(message)
        self.status_code, self.name = status_code, name


def error_body(status_code: int, name: str, message: str) -> dict:
    return {"error": name, "detail": message, "body": "", "errors": f"{status_code}: {message}"}


def _locations(detail, path: tuple) -> list[dict]:
    """DRF's error tree as FastAPI's flat list, each message with the path of its field."""
    if isinstance(detail, dict):
        return [item for key, value in detail.items() for item in _locations(value, (*path, *_key(key)))]
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [{"loc": list(path), "msg": str(item), "type": "value_error"} for item in detail]
        return [item for index, value in enumerate(detail) if value for item in _locations(value, (*path, index))]
    return [{"loc": list(path), "msg": str(detail), "type": "value_error"}]


def _key(key) -> tuple:
    """A field's path: services name nested fields with dots (alwayson_scripts.ControlNet.args.0.image)."""
    if key == "non_field_errors":
        return ("__root__",)
    return tuple(int(part) if part.isdigit() else part for part in str(key).split("."))


def validation_body(detail) -> dict:
    return {"detail": _locations(detail if isinstance(detail, dict) else {"non_field_errors": detail}, ("body",))}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):  # from a service
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.TRYON_SDAPI_MAX_BODY_BYTES
        exc = A1111Error(413, "RequestDataTooBig", f"The request body is over {limit} bytes.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not Found")

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        set_rollback()
        return Response(error_body(500, type(exc).__name__, "Something went wrong on our side."), status=500)
    if isinstance(exc, exceptions.ValidationError):
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        response.data = validation_body(exc.detail)
    elif isinstance(exc, exceptions.ParseError):  # FastAPI answers a body it cannot decode as a validation error
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        response.data = {"detail": [{"loc": ["body"], "msg": str(exc.detail), "type": "value_error.jsondecode"}]}
    else:
        name = getattr(exc, "name", "HTTPException")
        response.data = error_body(response.status_code, name, str(exc.detail))
    return response
