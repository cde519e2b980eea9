from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "tryon.jobs"
    label = "jobs"

    def ready(self):
        from tryon.jobs import worker  # noqa: F401  (connects the worker start-up signal)
