from django.apps import AppConfig


class A1111Config(AppConfig):
    name = "tryon.a1111"
    label = "a1111"
    verbose_name = "AUTOMATIC1111-compatible API"

    def ready(self):
        from tryon.a1111 import auth  # noqa: F401  (registers the OpenAPI description of HTTP Basic keys)
        from tryon.jobs.events import swept

        swept.connect(_purge_expired_inputs, dispatch_uid="a1111.retention")


def _purge_expired_inputs(sender, **_kwargs) -> None:
    from tryon.a1111.images import a1111_inputs_purge_expired

    a1111_inputs_purge_expired()
