from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "tryon.jobs"
    label = "jobs"

    def ready(self):
        # Connect the worker signals: pipeline loading, heartbeats and sweeps, time limits for the solo pool.
        from tryon import metrics  # noqa: F401  (a worker's own metrics port)
        from tryon.jobs import heartbeats, watchdog, worker  # noqa: F401
