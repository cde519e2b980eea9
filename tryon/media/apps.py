from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "tryon.media"
    label = "tryon_media"
    verbose_name = "Signed media links"
