"""The Celery app. Workers render try-ons; see tryon.jobs.tasks and tryon.jobs.worker.

Queues: renders go to one queue per preset (`<TRYON_QUEUE>.<preset>`, tryon.jobs.services.job_queue),
webhook deliveries (tryon.webhooks.tasks) to `<TRYON_QUEUE>.webhooks`, consumed by a worker of their own (a
threads pool), so a slow storefront never keeps a GPU worker waiting; the sweeper task goes to the default queue.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tryon.settings")

app = Celery("tryon")
app.config_from_object("django.conf:settings", namespace="CELERY")
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
