"""PostgreSQL as this app runs it (tryon.settings.as_run_here): django-prometheus's wrapper, which counts queries
for /metrics, with values bound by the server (server_side_binding) so that psycopg can prepare statements."""

from django.db.backends.postgresql.operations import DatabaseOperations
from django_prometheus.db.backends.postgresql.base import DatabaseWrapper as MetricsDatabaseWrapper

# Bound values travel as parameters, and PostgreSQL's protocol counts them in 16 bits. Pasted into the SQL (Django's
# default) there was no limit: Django does not batch a cascade delete's `IN (...)` on PostgreSQL, and a merchant
# with more rows than this would fail to delete. Its batches are cut to fit instead.
MAX_BOUND_VALUES = 65_535


class BoundValuesOperations(DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        return min(len(objs), MAX_BOUND_VALUES // max(len(fields), 1))


class DatabaseWrapper(MetricsDatabaseWrapper):
    ops_class = BoundValuesOperations
