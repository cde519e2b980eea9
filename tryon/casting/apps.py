from django.apps import AppConfig


class CastingConfig(AppConfig):
    name = "tryon.casting"
    label = "casting"
    verbose_name = "Casting"

    def ready(self):
        from tryon.jobs.events import job_finished, swept

        job_finished.connect(_job_finished, dispatch_uid="casting.job_finished")
        swept.connect(_purge_expired, dispatch_uid="casting.retention")


def _job_finished(sender, *, job_id: int, **_kwargs) -> None:
    """A candidate's portrait or full body rendered. Run in the event's own transaction, as the webhooks app's
    listener is: a crash before it commits leaves the event to the outbox relay (tryon/jobs/outbox.py)."""
    from tryon.casting.services import casting_job_finished

    casting_job_finished(job_id=job_id)


def _purge_expired(sender, **_kwargs) -> None:
    from tryon.casting.services import castings_purge_expired

    castings_purge_expired()
