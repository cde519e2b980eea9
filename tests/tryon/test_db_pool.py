"""With TRYON_DB_POOL_SIZE, a web process opens its PostgreSQL connections as it starts (tryon/wsgi.py), in the
background, and its threads share them; a database that is down does not keep it from starting. Without the
setting, each thread keeps its own connection a minute, as before."""

import json
import subprocess
import sys
import time

import pytest
from django.conf import settings

from tests.services import POSTGRES

pytestmark = pytest.mark.services
DATABASE_URL = f"postgres://postgres@{POSTGRES[0]}:{POSTGRES[1]}/postgres"
SHOW = """
import json, sys, tryon.wsgi
from django.conf import settings
from django.db import connection
pool = connection.pool
if pool is not None and sys.argv[1] == "wait":
    pool.wait(timeout=30)  # filled in the background: wait here to see it full
print(json.dumps({
    "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "pool_size": pool.get_stats()["pool_size"] if pool is not None else None,
}))
"""


def web_process_start(*, database_url: str = DATABASE_URL, wait: bool = True, **env) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SHOW, "wait" if wait else "no"],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "tryon.settings", "DATABASE_URL": database_url, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_pooled_web_process_opens_its_connections_as_it_starts():
    assert web_process_start(TRYON_DB_POOL_SIZE="3") == {"conn_max_age": 0, "pool_size": 3}


def test_a_pooled_web_process_starts_while_its_database_is_down():
    started = time.monotonic()

    shown = web_process_start(
        database_url="postgres://postgres@127.0.0.1:1/postgres", wait=False, TRYON_DB_POOL_SIZE="2"
    )

    assert shown["conn_max_age"] == 0 and time.monotonic() - started < 30  # /readyz then says the database is down


def test_without_a_pool_each_thread_keeps_its_own_connection():
    assert web_process_start() == {"conn_max_age": 60, "pool_size": None}
