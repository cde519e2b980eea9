"""The Celery app. Workers render try-ons; see tryon.jobs.tasks and tryon.jobs.worker."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tryon.settings")

app = Celery("tryon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
