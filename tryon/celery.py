"""The Celery app. Workers render try-ons; see tryon.jobs.tasks and tryon.jobs.worker.

Queues: renders go to one queue per preset (`<TRYON_QUEUE>.<preset>`, tryon.jobs.services.job_queue),
webhook deliveries (tryon.webhooks.tasks) to `<TRYON_QUEUE>.webhooks`, consumed by a worker of their own (a
threads pool), so a slow storefront never keeps a GPU worker waiting; the sweeper task goes to the default queue.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tryon.settings")

app = Celery("tryon")


@app.on_configure.connect
def read_django_settings(sender, **_kw):
    """Celery's settings: Django's CELERY_* ones, copied as Celery first reads its settings (Django's are loaded by
    then). Celery looks a setting up on every send; looked up in Django's settings object, each one Django leaves
    unset raised and caught an AttributeError, a fifth of a try-on's send. Tests change app.conf itself."""
    from django.conf import settings

    sender.on_configure.disconnect(read_django_settings)  # once: a later configuration is the caller's own
    try:
        source = {name: getattr(settings, name) for name in dir(settings) if name.startswith("CELERY_")}
    except Exception:  # Celery's signal would swallow it: Celery reads Django's settings itself, and fails there
        source = "django.conf:settings"
    sender.config_from_object(source, namespace="CELERY")


app.autodiscover_tasks()

WEBHOOK_TASKS = {"tryon.webhooks.tasks.deliver_webhook", "tryon.webhooks.tasks.resend_webhook_deliveries"}


def webhook_queue() -> str:
    from django.conf import settings

    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}.webhooks"


def route_task(name, args, kwargs, options, task=None, **_kw):
    """A router, read when a task is sent (the default queue's name is a setting tests change)."""
    if name in WEBHOOK_TASKS:
        return {"queue": webhook_queue()}
    return None


app.conf.task_routes = (route_task,)
