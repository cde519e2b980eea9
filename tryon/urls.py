from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Try-on merchant admin"
admin.site.site_title = "Try-on"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("tryon.api.urls")),
    path("", include("tryon.shop.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
