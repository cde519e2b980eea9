from django.contrib import admin
from django.urls import include, path

from tryon import health, metrics

admin.site.site_header = "Try-on merchant admin"
admin.site.site_title = "Try-on"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/", include("tryon.api.urls")),
    path("v1/", include("tryon.fashn.urls")),  # the FASHN-compatible API, where the fashn SDK looks
    path("", include("tryon.a1111.urls")),  # /sdapi/v1/ and /controlnet/, where A1111 clients look
    # Signed links only (tryon/media/signing.py); nothing is served at MEDIA_URL, in DEBUG neither.
    path("files/", include("tryon.media.urls")),
    path("", include("tryon.shop.urls")),
]
