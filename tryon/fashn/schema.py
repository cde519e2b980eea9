"""The FASHN-compatible API's own OpenAPI document, at /v1/openapi.json: its errors and auth differ from
/api/v1's, so it is a document of its own (the /api/schema/ one lists /api/ paths only)."""

from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView


def _patterns():
    from tryon.fashn import apis

    return [
        path("v1/", include([path("run", apis.RunApi.as_view()), path("status/<str:id>", apis.StatusApi.as_view())]))
    ]


class FashnSchemaView(SpectacularAPIView):
    generator_class = SchemaGenerator  # drf-spectacular's own: the /api/ one keeps to /api/ paths
    custom_settings = {
        "TITLE": "Try-on: FASHN-compatible API",
        "DESCRIPTION": (
            "The FASHN API's `/v1/run` and `/v1/status/{id}`, so the official `fashn` SDK works unmodified: "
            "`Fashn(api_key=<storefront key>, base_url=<this server>)`.\n\n"
            "**Auth**: `Authorization: Bearer tryon_sk_<prefix>_<secret>` (a storefront key).\n\n"
            '**Errors**: `{"error": "<name>", "message": "..."}`; see the README for the names and for how '
            "`mode`, `category` and the other inputs are rendered here."
        ),
        "SCHEMA_PATH_PREFIX": "/v1",
        "VERSION": "1.0.0",
    }
    authentication_classes = []
    permission_classes = []
    renderer_classes = [OpenApiJsonRenderer]  # it is openapi.json

    @property
    def patterns(self):
        return _patterns()


schema_view = FashnSchemaView.as_view()
