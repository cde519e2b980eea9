"""Rows of several querysets in one round trip: what a submission reads, asked for at once.

A try-on submission reads its picks (the fashion model, pose, scene, catalog item and its garments) and then
what already answers it (a reusable job, the stage-1 person its draft dresses). Each read is a small indexed
SELECT whose cost is the round trip and the ORM's work around it, so they go side by side in one FROM.
"""

from django.db import connections
from django.db.models import QuerySet


def rows_at_once(querysets: dict[str, QuerySet], *, optional: bool = False) -> dict[str, list] | None:
    """Each queryset's rows, for all of them in one query.

    Their SELECTs side by side in one FROM: a cross join of one-row results (and the rows of at most one that
    has several), each row turned into its model as the ORM would (the database's converters applied). Rows of
    a many-row queryset come back in its model's ordering. Without `optional`, None when any has no row; with
    it, each is LEFT JOINed to a one-row anchor and one with no row gives [].
    """
    connection = connections["default"]
    parts, params, layouts = [], [], []
    for position, (name, queryset) in enumerate(querysets.items()):
        fields = queryset.model._meta.concrete_fields
        # Its default columns (every concrete field, in this order) and no ORDER BY: rows are put back in the
        # model's order below, and a SELECT compiled without either costs a fraction of the CPU.
        sql, values = queryset.order_by().query.sql_with_params()
        parts.append(f"({sql}) {connection.ops.quote_name(f'pick{position}')}")
        params.extend(values)
        layouts.append((name, queryset.model, fields))
    if optional:  # "ON 1 = 1": a LEFT JOIN needs a condition; the anchor's one row keeps the empty ones as NULLs
        source = "(SELECT 1 AS anchor) anchor" + "".join(f" LEFT JOIN {part} ON 1 = 1" for part in parts)
    else:
        source = ", ".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {source}", params)
        rows = cursor.fetchall()
    if not rows:
        return None
    found, start = {}, 1 if optional else 0
    for name, model, fields in layouts:
        converters = [_converters(connection, model, field) for field in fields]
        primary = [field.attname for field in fields].index(model._meta.pk.attname)
        instances = {}
        for row in rows:
            columns = row[start : start + len(fields)]
            if columns[primary] is None:  # an optional queryset with no row
                continue
            values = [
                _converted(value, field_converters, connection)
                for value, field_converters in zip(columns, converters, strict=True)
            ]
            instance = model.from_db(connection.alias, [field.attname for field in fields], values)
            instances.setdefault(instance.pk, instance)
        found[name] = _in_model_order(model, list(instances.values()))
        start += len(fields)
    return found


def _converters(connection, model, field) -> list:
    column = field.get_col(model._meta.db_table)
    return [
        (converter, column)
        for converter in connection.ops.get_db_converters(column) + column.get_db_converters(connection)
    ]


def _converted(value, converters: list, connection):
    for converter, column in converters:
        value = converter(value, column, connection)
    return value


def _in_model_order(model, rows: list) -> list:
    ordering = [name for name in model._meta.ordering if not name.startswith("-")]
    if len(ordering) != len(model._meta.ordering) or len(rows) < 2:
        return rows
    return sorted(rows, key=lambda row: tuple(getattr(row, "pk" if name == "id" else name) for name in ordering))


def known_rows(model, rows: list) -> QuerySet:
    """A queryset whose rows are already known: what prefetch_related would have fetched, without the query."""
    known = model.objects.none()
    known._result_cache, known._prefetch_done = list(rows), True
    return known
