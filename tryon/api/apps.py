from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tryon.api"
    label = "api"
    verbose_name = "Storefront API"

    def ready(self):
        from tryon.api import auth  # noqa: F401  (registers the OpenAPI description of bearer keys)
