"""PostgreSQL as this app runs it (tryon.settings.as_run_here): django-prometheus's wrapper, which counts queries
for /metrics, with values bound by the server (server_side_binding) so that psycopg can prepare statements.

A pooled connection (TRYON_DB_POOL_SIZE) is handed out once per request, so what that costs is paid by every request:
- it is checked with one empty query, as psycopg_pool's own check does, but sent straight through libpq; through a
  cursor (this app's binds on the server and counts queries) the check took ~0.2 ms of a submission's CPU, and
  /metrics counted it as a query (django_db_execute_total, its duration, a dead connection's OperationalError):
  it no longer does;
- Django builds a connection's parameters on every checkout and, pooled, throws them away (django-prometheus even
  makes a cursor class in them each time): they are built when the pool is made.
"""

from time import perf_counter

import psycopg
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql.operations import DatabaseOperations
from django_prometheus.db import errors_total, execute_many_total, execute_total, query_duration_seconds
from django_prometheus.db.backends.postgresql.base import DatabaseWrapper as MetricsDatabaseWrapper
from psycopg import pq

# Bound values travel as parameters, and PostgreSQL's protocol counts them in 16 bits. Pasted into the SQL (Django's
# default) there was no limit: Django does not batch a cascade delete's `IN (...)` on PostgreSQL, and a merchant
# with more rows than this would fail to delete. Its batches are cut to fit instead.
MAX_BOUND_VALUES = 65_535


class BoundValuesOperations(DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        return min(len(objs), MAX_BOUND_VALUES // max(len(fields), 1))


def pooled_connection_check(connection: psycopg.Connection) -> None:
    """Raise for a connection that no longer works, so the pool drops it and hands out another."""
    result = connection.pgconn.exec_(b"")  # one round trip, no transaction, nothing for psycopg to keep track of
    if result.status != pq.ExecStatus.EMPTY_QUERY:
        message = connection.pgconn.error_message.decode(errors="replace").strip()
        raise psycopg.OperationalError(message or f"the pool's check got {pq.ExecStatus(result.status).name}")


def counting_cursor(cursor_class: type, alias: str, vendor: str) -> type:
    """django-prometheus's cursor wrapper (the same metrics and labels), its labelled series looked up once, not on
    every query (prometheus_client keeps a series per process even across a fork)."""
    executed, executed_many = execute_total.labels(alias, vendor), execute_many_total.labels(alias, vendor)
    duration = query_duration_seconds.labels(alias, vendor)

    class CountingCursor(cursor_class):
        def execute(self, *args, **kwargs):
            executed.inc()
            return self._timed(super().execute, args, kwargs)

        def executemany(self, query, param_list, *args, **kwargs):
            executed.inc(len(param_list))
            executed_many.inc(len(param_list))
            return self._timed(super().executemany, (query, param_list, *args), kwargs)

        @staticmethod
        def _timed(run, args, kwargs):
            started = perf_counter()
            try:
                return run(*args, **kwargs)
            except BaseException as error:
                errors_total.labels(alias, vendor, type(error).__name__).inc()
                raise
            finally:
                duration.observe(perf_counter() - started)

    return CountingCursor


class DatabaseWrapper(MetricsDatabaseWrapper):
    ops_class = BoundValuesOperations

    def get_connection_params(self):
        if self._pooled() and self.alias in self._connection_pools:  # connect() asks on each checkout; unused
            return {}
        return self._connection_params()

    def _connection_params(self) -> dict:
        params = postgresql.DatabaseWrapper.get_connection_params(self)  # not django-prometheus's: its cursor is ours
        params["cursor_factory"] = counting_cursor(params["cursor_factory"], self.alias, self.vendor)
        return params

    def _pooled(self) -> bool:
        return self.alias != NO_DB_ALIAS and bool(self.settings_dict["OPTIONS"].get("pool"))

    def _persistent(self) -> bool:
        return self.settings_dict.get("CONN_MAX_AGE", 0) != 0

    @property
    def pool(self):
        if self.alias in self._connection_pools or not self._pooled() or self._persistent():
            return super().pool  # the pool made, none wanted, or Django's refusal of persistent pooled connections
        try:
            from psycopg_pool import ConnectionPool
        except ImportError:
            return super().pool  # Django's refusal
        options = self.settings_dict["OPTIONS"]["pool"]
        pool = ConnectionPool(  # as Django makes it, but for the check
            kwargs={**self._connection_params(), "autocommit": True},  # Django sets autocommit as it connects
            open=False,
            configure=self._configure_connection,
            check=pooled_connection_check if self.settings_dict["CONN_HEALTH_CHECKS"] else None,
            **({} if options is True else options),
        )
        return self._connection_pools.setdefault(self.alias, pool)  # a thread that made one first wins, as in Django
