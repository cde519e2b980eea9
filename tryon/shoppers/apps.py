from django.apps import AppConfig


class ShoppersConfig(AppConfig):
    name = "tryon.shoppers"
    label = "shoppers"
    verbose_name = "Shopper models"

    def ready(self):
        from tryon.jobs.events import swept

        swept.connect(_sweep, dispatch_uid="shoppers.retention")


def _sweep(sender, **_kwargs) -> None:
    """Shopper photos past TRYON_SHOPPER_PHOTO_HOURS go with everything made from them (tryon.shoppers.services)."""
    from tryon.shoppers.services import shopper_models_sweep

    shopper_models_sweep()
