"""The A1111-compatible API's own OpenAPI document, at /sdapi/schema/ with its Swagger UI at /sdapi/docs/.

Its errors and auth are A1111's, not the storefront API's, so it is documented apart, as A1111 serves its
own /docs; the storefront API's schema keeps to /api/ (tryon.api.schema).
"""

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


class A1111AutoSchema(AutoSchema):
    """drf-spectacular's own: the errors each operation lists are A1111's, declared per operation."""


class A1111SchemaView(SpectacularAPIView):
    urlconf = "tryon.a1111.urls"
    generator_class = SchemaGenerator  # drf-spectacular's own: the storefront API's keeps to /api/
    custom_settings = {
        "TITLE": "Try-on: AUTOMATIC1111-compatible API",
        "DESCRIPTION": (
            "The subset of AUTOMATIC1111's `/sdapi/v1` and ControlNet's `/controlnet` that A1111 clients use "
            "(the `webuiapi` package, scripts that post txt2img with ControlNet units), rendered on this "
            "server's workers.\n\n"
            "**Auth**: HTTP Basic with any user name and a storefront key as the password "
            "(`api.set_auth(prefix, key)`), or `Authorization: Bearer <key>`.\n\n"
            '**Errors** as A1111 answers them: a bad field 422 `{"detail": [{"loc": ["body", "steps"], "msg": ...}]}`, '
            'anything else `{"error": ..., "detail": ..., "body": ..., "errors": ...}`.'
        ),
        "SCHEMA_PATH_PREFIX": "/sdapi/v1",
    }


class A1111DocsView(SpectacularSwaggerView):
    url_name = "a1111:schema"
