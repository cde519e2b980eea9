"""Mounted at /api/: the v1 routes, the OpenAPI schema and its Swagger UI."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from tryon.api.apis import batches, casting, catalog, shopper_models, tryons, webhooks
from tryon.api.errors import not_found
from tryon.api.routing import by_method

app_name = "api"

v1 = [
    path("catalog-items", catalog.CatalogItemListApi.as_view(), name="catalog-item-list"),
    path("catalog-items/<id:id>", catalog.CatalogItemDetailApi.as_view(), name="catalog-item-detail"),
    path("garments", catalog.GarmentListApi.as_view(), name="garment-list"),
    path("garments/<id:id>", catalog.GarmentDetailApi.as_view(), name="garment-detail"),
    path("fashion-models", catalog.FashionModelListApi.as_view(), name="fashion-model-list"),
    path("fashion-models/<id:id>", catalog.FashionModelDetailApi.as_view(), name="fashion-model-detail"),
    path("fashion-models/cast", casting.CastingCreateApi.as_view(), name="casting-create"),
    path("fashion-models/castings/<id:id>", casting.CastingDetailApi.as_view(), name="casting-detail"),
    path("fashion-models/<id:id>/keep", casting.CastingCandidateKeepApi.as_view(), name="casting-candidate-keep"),
    path("poses", catalog.PoseListApi.as_view(), name="pose-list"),
    path("poses/<id:id>", catalog.PoseDetailApi.as_view(), name="pose-detail"),
    path("scenes", catalog.SceneListApi.as_view(), name="scene-list"),
    path("scenes/<id:id>", catalog.SceneDetailApi.as_view(), name="scene-detail"),
    path("tryons", by_method(GET=tryons.TryOnListApi, POST=tryons.TryOnCreateApi), name="tryon-list"),
    path("tryons/<id:id>", tryons.TryOnDetailApi.as_view(), name="tryon-detail"),
    path("tryons/<id:id>/cancel", tryons.TryOnCancelApi.as_view(), name="tryon-cancel"),
    path("shopper-models", shopper_models.ShopperModelCreateApi.as_view(), name="shopper-model-list"),
    path(
        "shopper-models/<id:id>",
        by_method(
            GET=shopper_models.ShopperModelDetailApi,
            PUT=shopper_models.ShopperModelUpdateApi,
            PATCH=shopper_models.ShopperModelUpdateApi,
            DELETE=shopper_models.ShopperModelDeleteApi,
        ),
        name="shopper-model-detail",
    ),
    path(
        "shopper-models/<id:id>/photo",
        by_method(POST=shopper_models.ShopperPhotoUploadApi, DELETE=shopper_models.ShopperPhotoDeleteApi),
        name="shopper-model-photo",
    ),
    path("batches", by_method(GET=batches.BatchListApi, POST=batches.BatchCreateApi), name="batch-list"),
    path("batches/<id:id>", batches.BatchDetailApi.as_view(), name="batch-detail"),
    path(
        "webhook-endpoints",
        by_method(GET=webhooks.WebhookEndpointListApi, POST=webhooks.WebhookEndpointCreateApi),
        name="webhook-endpoint-list",
    ),
    path(
        "webhook-endpoints/<id:id>",
        by_method(GET=webhooks.WebhookEndpointDetailApi, DELETE=webhooks.WebhookEndpointDeleteApi),
        name="webhook-endpoint-detail",
    ),
    path(
        "webhook-endpoints/<id:id>/deliveries", webhooks.WebhookDeliveryListApi.as_view(), name="webhook-delivery-list"
    ),
    path("webhooks/signing-secret", webhooks.WebhookSigningSecretApi.as_view(), name="webhook-signing-secret"),
    path(
        "webhooks/signing-secret/rotate",
        webhooks.WebhookSigningSecretRotateApi.as_view(),
        name="webhook-signing-secret-rotate",
    ),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", not_found),  # any other /api/ path: a JSON 404 like every other error
]
