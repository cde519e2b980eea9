from django.apps import AppConfig


class FashnConfig(AppConfig):
    name = "tryon.fashn"
    label = "fashn"
    verbose_name = "FASHN-compatible API"

    def ready(self):
        from tryon.jobs.events import job_finished, swept
        from tryon.moderation import job_level_asked

        fashn_presets_check()
        job_finished.connect(_prediction_finished, dispatch_uid="fashn.webhooks")
        swept.connect(_purge_expired, dispatch_uid="fashn.retention")
        job_level_asked.connect(_moderation_level, dispatch_uid="fashn.moderation")


def fashn_presets_check() -> None:
    """At start-up: each TRYON_FASHN_PRESET_* names a preset that exists, or the server will not start."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from generation.presets import all_presets

    names = all_presets()
    for mode, preset in settings.TRYON_FASHN_PRESETS.items():
        if preset and preset not in names:
            raise ImproperlyConfigured(
                f"TRYON_FASHN_PRESET_{mode.upper()}: {preset!r} is not a preset; expected one of {', '.join(names)}."
            )


def _prediction_finished(sender, *, job_id: int, **_kwargs) -> None:
    """A client that gave `webhook_url` is sent the status object. Queued in the event's own transaction, as
    tryon/webhooks/apps.py does: a crash before it commits leaves the event to the outbox relay, which sends
    it again (tryon/jobs/outbox.py); the render it reports committed before, so nothing here can undo it."""
    from tryon.fashn.services import predictions_notify

    predictions_notify(job_id=job_id)


def _purge_expired(sender, **_kwargs) -> None:
    from tryon.fashn.services import predictions_purge_expired

    predictions_purge_expired()


def _moderation_level(sender, *, job_id: int, **_kwargs) -> str | None:
    """A prediction's render is checked at its `moderation_level` (none: not at all), not only the shop's."""
    from tryon.fashn.moderation import predictions_moderation_level

    return predictions_moderation_level(job_id=job_id)
