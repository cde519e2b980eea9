from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "tryon.shop"
    label = "shop"
