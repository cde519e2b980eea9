from django.contrib import admin
from django.urls import include, path

from tryon import health

admin.site.site_header = "Try-on merchant admin"
admin.site.site_title = "Try-on"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include("tryon.api.urls")),
    # Signed links only (tryon/media/signing.py); nothing is served at MEDIA_URL, in DEBUG neither.
    path("files/", include("tryon.media.urls")),
    path("", include("tryon.shop.urls")),
]
