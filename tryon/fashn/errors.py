"""Errors as FASHN clients read them.

A request that is refused answers an HTTP error with FASHN's API-level body, `{"error": NAME, "message": ...}`:
UnauthorizedAccess (401), NotFound (404), RateLimitExceeded (429), BadRequest (400: not JSON), InternalServerError
(500). Input FASHN would only reject while running (an image that does not load, no person in the photo) is
refused here at once, as a 400 carrying FASHN's runtime name (InputValidationError, ImageLoadError, PoseError,
ContentModerationError), and the message starts with the input to blame, e.g. `inputs.model_image: ...`.
A job that fails later reports the same names in its status's `error` (tryon.fashn.selectors).
"""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


class FashnError(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, name: str, message: str, *, status_code: int = status.HTTP_400_BAD_REQUEST):
        super().__init__(message)
        self.name, self.message, self.status_code = name, message, status_code


def error_body(name: str, message: str) -> dict:
    return {"error": name, "message": message}


def first_error(messages) -> tuple[str, str]:
    """(field path, message) of the first message in a DRF or Django error tree, e.g. ("inputs.seed", "...")."""
    path = []
    while isinstance(messages, dict | list) and messages:
        if isinstance(messages, dict):
            key = next(iter(messages))
            if key not in ("non_field_errors", "__all__"):
                path.append(str(key))
            messages = messages[key]
        else:
            messages = messages[0]
    return ".".join(path), str(messages) if messages else "Invalid input."


def validation_error(detail, *, name: str = "InputValidationError", prefix: str = "") -> FashnError:
    field, message = first_error(detail)
    field = ".".join(filter(None, [prefix, field]))
    return FashnError(name, f"{field}: {message}" if field else message)


BY_CLASS = [
    (exceptions.NotAuthenticated, "UnauthorizedAccess"),
    (exceptions.AuthenticationFailed, "UnauthorizedAccess"),
    (exceptions.PermissionDenied, "UnauthorizedAccess"),
    (exceptions.NotFound, "NotFound"),
    (exceptions.Throttled, "RateLimitExceeded"),
    (exceptions.ParseError, "BadRequest"),
    (exceptions.UnsupportedMediaType, "BadRequest"),
    (exceptions.MethodNotAllowed, "BadRequest"),
]


def exception_handler(exc, context):
    """The views' handler (tryon.fashn.apis): every error in FASHN's shape, a 500 included."""
    if isinstance(exc, DjangoValidationError):  # from a service: the field names are the service's
        exc = validation_error(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, exceptions.ValidationError):
        exc = validation_error(exc.detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    if isinstance(exc, FashnError):
        return Response(error_body(exc.name, exc.message), status=exc.status_code)
    if isinstance(exc, exceptions.APIException):
        name = next((name for cls, name in BY_CLASS if isinstance(exc, cls)), "BadRequest")
        headers = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            headers["Retry-After"] = str(int(exc.wait) + 1)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            headers["WWW-Authenticate"] = 'Bearer realm="fashn"'
            exc.status_code = status.HTTP_401_UNAUTHORIZED
        return Response(error_body(name, str(exc.detail)), status=exc.status_code, headers=headers)
    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
    set_rollback()
    return Response(error_body("InternalServerError", "Something went wrong on our side."), status=500)


@csrf_exempt  # answers every method alike; a CSRF page in HTML would break the format
def not_found(request, *args, **kwargs):
    """Any other /v1/ path, in FASHN's shape."""
    return JsonResponse(error_body("NotFound", f"No route at {request.path}."), status=404)
