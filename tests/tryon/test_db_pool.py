"""With TRYON_DB_POOL_SIZE, a web process opens its PostgreSQL connections as it starts (tryon/wsgi.py), in the
background, and its threads share them; a database that is down does not keep it from starting. Without the
setting, each thread keeps its own connection a minute, as before."""

import json
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import ProgrammingError

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


@pytest.fixture
def pooled_database():
    """The test database as a pooled web process reaches it (tryon.db.postgresql), one connection in its pool."""
    from django.db import connection

    from tryon.db.postgresql.base import DatabaseWrapper

    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's")
    pool = {"min_size": 1, "max_size": 1, "timeout": 5}
    pooled = DatabaseWrapper(
        {
            **connection.settings_dict,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {**connection.settings_dict["OPTIONS"], "pool": pool},
        },
        alias="pooled-test",
    )
    try:
        yield pooled
    finally:
        try:
            pooled.close()
        finally:
            pooled.close_pool()


def backend_of(database) -> int:
    with database.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_pooled_connection_whose_server_process_died_is_replaced_before_a_request_gets_it(pooled_database):
    from django.db import connection

    first = backend_of(pooled_database)
    pooled_database.close()  # the request ends: its connection goes back to the pool
    with connection.cursor() as cursor:  # PostgreSQL restarts, or an admin ends the idle session
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [first])  # returns once it has ended

    second = backend_of(pooled_database)  # the next request: the pool's check found it dead and opened another

    assert second != first


@pytest.mark.django_db
def test_the_pools_check_is_not_counted_as_a_query_and_queries_are_counted_as_django_prometheus_counts_them(
    pooled_database,
):
    from django_prometheus.db import errors_total, execute_many_total, execute_total, query_duration_seconds

    def counted() -> dict:
        labels = ("pooled-test", "postgresql")
        return {
            "executed": execute_total.labels(*labels)._value.get(),
            "in bulk": execute_many_total.labels(*labels)._value.get(),
            "timed": query_duration_seconds.labels(*labels)._sum.get(),
            "failed": errors_total.labels(*labels, "UndefinedColumn")._value.get(),  # psycopg's class, as before
        }

    backend_of(pooled_database)  # the pool opens its connection (setting its time zone may be a query)
    pooled_database.close()
    before = counted()
    for _ in range(3):  # three requests, each handed the pooled connection, checked
        backend_of(pooled_database)
        pooled_database.close()
    with pooled_database.cursor() as cursor:
        cursor.executemany("SELECT %s", [(1,), (2,)])
    with pytest.raises(ProgrammingError), pooled_database.cursor() as cursor:
        cursor.execute("SELECT no_such_column")
    after = counted()

    assert after["executed"] - before["executed"] == 3 + 2 + 1
    assert after["in bulk"] - before["in bulk"] == 2
    assert after["failed"] - before["failed"] == 1
    assert after["timed"] > before["timed"]


@pytest.mark.django_db
def test_a_pooled_process_reaches_the_server_without_a_database_as_django_does_to_create_test_databases(
    pooled_database,
):
    backend_of(pooled_database)  # the pool exists

    with pooled_database._nodb_cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        assert cursor.fetchone() == ("postgres", "postgres")
