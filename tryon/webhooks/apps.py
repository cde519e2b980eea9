from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "tryon.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from tryon.jobs.events import job_finished

        job_finished.connect(_job_finished, dispatch_uid="webhooks.job_finished")


def _job_finished(sender, *, job_id: int, **_kwargs) -> None:
    """A finished job goes out to the merchant's endpoints. Called once per outbox event, and again by the
    relay after a crash: each endpoint gets each job's event once whatever the count (tryon/jobs/outbox.py)."""
    from tryon.webhooks.services import webhooks_notify_job_finished

    webhooks_notify_job_finished(job_id=job_id)
