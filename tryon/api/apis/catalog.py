"""Read-only catalog: what a storefront shows and what a shopper can pick."""

from tryon.api import selectors
from tryon.api.apis.base import ScopedDetailApi, ScopedListApi
from tryon.api.serializers import CatalogItemOutput, FashionModelOutput, GarmentOutput, PoseOutput, SceneOutput


class CatalogItemListApi(ScopedListApi):
    selector, serializer_class = selectors.catalog_item_list_with_gallery, CatalogItemOutput


class CatalogItemDetailApi(ScopedDetailApi):
    selector, serializer_class = selectors.catalog_item_list_with_gallery, CatalogItemOutput


class GarmentListApi(ScopedListApi):
    selector, serializer_class = selectors.garment_list, GarmentOutput


class GarmentDetailApi(ScopedDetailApi):
    selector, serializer_class = selectors.garment_list, GarmentOutput


class FashionModelListApi(ScopedListApi):
    selector, serializer_class = selectors.fashion_model_list, FashionModelOutput


class FashionModelDetailApi(ScopedDetailApi):
    selector, serializer_class = selectors.fashion_model_list, FashionModelOutput


class PoseListApi(ScopedListApi):
    selector, serializer_class = selectors.pose_list, PoseOutput


class PoseDetailApi(ScopedDetailApi):
    selector, serializer_class = selectors.pose_list, PoseOutput


class SceneListApi(ScopedListApi):
    selector, serializer_class = selectors.scene_list, SceneOutput


class SceneDetailApi(ScopedDetailApi):
    selector, serializer_class = selectors.scene_list, SceneOutput
