from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tryon.api"
    label = "api"
    verbose_name = "Storefront API"

    def ready(self):
        from tryon.api import auth  # noqa: F401  (registers the OpenAPI description of bearer keys)
        from tryon.jobs.events import job_finished

        job_finished.connect(_deliver_webhooks, dispatch_uid="api.webhooks")


def _deliver_webhooks(sender, *, job_id: int, **_kwargs) -> None:
    """A finished job goes out to the merchant's storefronts, once the transaction that finished it commits."""
    from tryon.api.services import webhooks_notify_job_finished

    webhooks_notify_job_finished(job_id=job_id)
