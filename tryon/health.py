"""/healthz: the process answers. /readyz: what a try-on needs is reachable, or 503 naming what is not.

Readiness checks the database, the broker, the storage and the sweeper: workers sweep every
TRYON_WORKER_SWEEP_INTERVAL seconds, so a sweep older than a few intervals means no worker (and no beat)
is recovering stuck jobs. No merchant data is shown, so neither needs a login.
"""

import time

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

SWEEPS_MISSED = 3  # intervals without a sweep before readiness says so
BROKER_TIMEOUT = 2.0  # seconds: a load balancer's probe must not hang on a dead broker


@require_GET
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _broker() -> str:
    from tryon.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)
    return "ok"


def _storage() -> str:
    default_storage.exists("readyz-probe")  # a HEAD on S3; a stat on local files
    return "ok"


def _sweeper() -> str:
    from tryon.jobs.heartbeats import sweeper_last_run

    last_run, by = sweeper_last_run()
    allowed = SWEEPS_MISSED * settings.TRYON_WORKER_SWEEP_INTERVAL
    if last_run is None:
        raise RuntimeError("never ran: start a worker (it sweeps) or `make beat`")
    age = (timezone.now() - last_run).total_seconds()
    if age > allowed:
        raise RuntimeError(f"last ran {age:.0f} s ago (by {by or 'unknown'}); expected at least every {allowed} s")
    return "ok"


CHECKS = {"database": _database, "broker": _broker, "storage": _storage, "sweeper": _sweeper}


@require_GET
@never_cache
def readyz(request):
    results, started = {}, time.perf_counter()
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:  # any failure is "down": the probe reports it, it never raises
            results[name] = f"down: {error}"
    down = sorted(name for name, result in results.items() if result != "ok")
    body = {"status": "ready" if not down else "not ready", "down": down, "checks": results}
    body["seconds"] = round(time.perf_counter() - started, 3)
    return JsonResponse(body, status=503 if down else 200)
