"""The Try-on Django project: settings, URLs, the Celery app and the apps."""

from tryon.celery import app as celery_app

__all__ = ["celery_app"]
