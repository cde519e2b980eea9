import gc
import os

from django.core.wsgi import get_wsgi_application
from django.db import connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tryon.settings")
application = get_wsgi_application()

# What the first warp try-on would otherwise import inside a request (the instant draft's OpenCV and numpy):
# imported once per process, at start-up, not in a shopper's wait.
import prompts.draft  # noqa: E402, F401

# The pooled PostgreSQL connections (TRYON_DB_POOL_SIZE), opened now, in the background, rather than by the first
# burst of requests; not waited for, so a database that is down does not keep the process from starting (/readyz
# says so). Here, in each gunicorn worker, never before the fork (no --preload): a process must not share sockets.
if getattr(connection, "pool", None) is not None:
    connection.pool.open(wait=False)

# Everything loaded so far lives as long as the process: out of the collector's sight, so that its full
# collections, which every few hundred requests would walk all of Django and OpenCV, walk only what requests make.
gc.freeze()
