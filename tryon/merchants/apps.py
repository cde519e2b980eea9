from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "tryon.merchants"
    label = "merchants"
