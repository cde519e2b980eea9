from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "tryon.catalog"
    label = "catalog"
