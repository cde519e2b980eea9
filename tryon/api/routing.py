"""URL helpers: one API class per operation, even when two operations share a URL."""

from django.http import JsonResponse
from django.urls import register_converter
from django.views.decorators.csrf import csrf_exempt
from rest_framework.views import APIView

from tryon.api.errors import error_body

MAX_ID = 2**63 - 1  # PostgreSQL bigint: a larger id is simply not found, never a database error


class IdConverter:
    """A database id in a path: 1 to 18 digits, so it always fits a bigint."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")


def by_method(**apis: type[APIView]):
    """A view that hands each HTTP method to its own API class: `by_method(GET=ListApi, POST=CreateApi)`.

    `views` lets the OpenAPI generator (tryon.api.schema) and the tests see each API class.
    """
    views = {method.upper(): api.as_view() for method, api in apis.items()}

    @csrf_exempt  # each API class applies its own authentication, CSRF included for sessions
    def view(request, *args, **kwargs):
        method = "GET" if request.method == "HEAD" else request.method
        handler = views.get(method) or (next(iter(views.values())) if method == "OPTIONS" else None)
        if handler is None:
            response = JsonResponse(
                error_body("method_not_allowed", f'Method "{request.method}" not allowed.'), status=405
            )
            response["Allow"] = ", ".join(views)
            return response
        return handler(request, *args, **kwargs)

    view.views = views
    view.cls = APIView  # marks it as an API view for DRF's and drf-spectacular's URL walkers
    view.initkwargs = {}
    return view
