"""Rows of several querysets in one round trip: what a submission reads, asked for at once.

A try-on submission reads its picks (the fashion model, pose, scene, catalog item and its garments) and then
what already answers it (a reusable job, the stage-1 person its draft dresses). Each read is a small indexed
SELECT whose cost is the round trip and the ORM's work around it, so they go side by side in one FROM.

`PreparedRows` goes further for the reads every submission makes: Django compiles a queryset's SQL anew each
time it runs, which costs more CPU than the indexed lookups themselves, so those are compiled once per process
and shape, and each call only binds its values.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Model, QuerySet, signals
from django.db.models.sql import InsertQuery


@dataclass(frozen=True)
class _Layout:
    name: str
    model: type[Model]
    attnames: list[str]
    converters: list[list]
    primary: int  # the primary key's column among `attnames`


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: list
    layouts: list[_Layout]
    optional: bool


def rows_at_once(querysets: dict[str, QuerySet], *, optional: bool = False) -> dict[str, list] | None:
    """Each queryset's rows, for all of them in one query.

    Their SELECTs side by side in one FROM: a cross join of one-row results (and the rows of at most one that
    has several), each row turned into its model as the ORM would (the database's converters applied). Rows of
    a many-row queryset come back in its model's ordering. Without `optional`, None when any has no row; with
    it, each is LEFT JOINed to a one-row anchor and one with no row gives [].
    """
    statement = _compile(querysets, optional=optional)
    return _run(statement, statement.params)


class PreparedRows:
    """rows_at_once of the querysets `build(*shape, **values)` makes, compiled once per process and shape.

    `shape` (hashable) changes the SQL: which querysets, how many alternatives, constants such as statuses.
    `values` (ints, strings, or lists of them) are only bound: the first call of a shape builds its querysets
    with stand-in values, compiles them, and notes where each stand-in lands among the SQL's parameters; later
    calls put their own values there. A build whose values do not reach the SQL unchanged (one transformed on
    the way, as `__icontains` does) is refused at that first compile, never answered wrongly.
    """

    def __init__(self, build: Callable[..., dict[str, QuerySet]], *, optional: bool = False):
        self.build = build
        self.optional = optional
        self._compiled: dict[tuple, tuple[_Statement, list]] = {}

    def __call__(self, *shape, **values) -> dict[str, list] | None:
        connection = connections["default"]
        kinds = tuple((name, _kind(name, value)) for name, value in sorted(values.items()))
        key = (connection.vendor, _typed(shape), kinds)
        if (compiled := self._compiled.get(key)) is None:
            compiled = self._compiled[key] = self._compile(shape, kinds)
        statement, slots = compiled
        params = [
            constant if name is None else values[name] if index is None else values[name][index]
            for name, index, constant in slots
        ]
        return _run(statement, params)

    def _compile(self, shape: tuple, kinds: tuple) -> tuple[_Statement, list]:
        numbers = itertools.count(1)
        stand_ins, where = {}, {}  # where: a stand-in's value -> (its name, its index in a list or None)
        for name, (kind, length) in kinds:
            if length is None:
                stand_ins[name] = _stand_in(kind, name, next(numbers))
                where[stand_ins[name]] = (name, None)
            else:
                stand_ins[name] = [_stand_in(kind, name, next(numbers)) for _ in range(length)]
                where.update({value: (name, index) for index, value in enumerate(stand_ins[name])})
        statement = _compile(self.build(*shape, **stand_ins), optional=self.optional)
        # Each parameter: a value's place (name, index, -), or a constant of the shape (None, None, the value).
        slots = [(*where[param], None) if _hashable(param) and param in where else (None, None, param)
                 for param in statement.params]  # fmt: skip
        missing = set(where.values()) - {(name, index) for name, index, _ in slots}
        if missing or any(_is_stand_in(constant) for name, _, constant in slots if name is None):
            names = sorted({name for name, _ in missing} or set(stand_ins))
            raise ValueError(f"{names}: every use of a value must reach the SQL as a parameter, unchanged")
        return statement, slots


def _typed(shape):
    """`shape` with each constant's type beside it: 1, 1.0 and True are equal keys, but not equal SQL."""
    if isinstance(shape, tuple | list):
        return tuple(_typed(item) for item in shape)
    return (type(shape), shape)


def _is_stand_in(value) -> bool:
    if isinstance(value, str):
        return STAND_IN_TEXT in value
    return type(value) is int and value < STAND_IN_INTS_BELOW


def _hashable(value) -> bool:
    return isinstance(value, (int, str))


def _kind(name: str, value) -> tuple[type, int | None]:
    if isinstance(value, (list, tuple)):
        kinds = {type(item) for item in value}
        if not value or len(kinds) != 1 or not kinds <= {int, str}:
            raise TypeError(f"{name}: a prepared list is non-empty ints or strings, not {value!r}")
        return kinds.pop(), len(value)
    if type(value) not in (int, str):
        raise TypeError(f"{name}: a prepared value is an int or a string, not {type(value).__name__}")
    return type(value), None


# Stand-ins: values no real row or constant holds, so each is found again among the compiled parameters.
STAND_IN_INTS_BELOW = -(10**17)
STAND_IN_TEXT = "\x00prepared:"


def _stand_in(kind: type, name: str, number: int):
    return STAND_IN_INTS_BELOW - number if kind is int else f"{STAND_IN_TEXT}{name}:{number}\x00"


def _compile(querysets: dict[str, QuerySet], *, optional: bool) -> _Statement:
    connection = connections["default"]
    parts, params, layouts = [], [], []
    for position, (name, queryset) in enumerate(querysets.items()):
        model, fields = queryset.model, queryset.model._meta.concrete_fields
        # Its default columns (every concrete field, in this order) and no ORDER BY: rows are put back in the
        # model's order below, and a SELECT compiled without either costs a fraction of the CPU.
        sql, values = queryset.order_by().query.sql_with_params()
        parts.append(f"({sql}) {connection.ops.quote_name(f'pick{position}')}")
        params.extend(values)
        attnames = [field.attname for field in fields]
        converters = [_converters(connection, model, field) for field in fields]
        layouts.append(_Layout(name, model, attnames, converters, attnames.index(model._meta.pk.attname)))
    if optional:  # "ON 1 = 1": a LEFT JOIN needs a condition; the anchor's one row keeps the empty ones as NULLs
        source = "(SELECT 1 AS anchor) anchor" + "".join(f" LEFT JOIN {part} ON 1 = 1" for part in parts)
    else:
        source = ", ".join(parts)
    return _Statement(f"SELECT * FROM {source}", params, layouts, optional)


def _run(statement: _Statement, params: list) -> dict[str, list] | None:
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    found, start = {}, 1 if statement.optional else 0
    for layout in statement.layouts:
        instances = {}
        end = start + len(layout.attnames)
        for row in rows:
            columns = row[start:end]
            if columns[layout.primary] is None:  # an optional queryset with no row
                continue
            values = [
                _converted(value, field_converters, connection) if field_converters else value
                for value, field_converters in zip(columns, layout.converters, strict=True)
            ]
            instance = layout.model.from_db(connection.alias, layout.attnames, values)
            instances.setdefault(instance.pk, instance)
        found[layout.name] = _in_model_order(layout.model, list(instances.values()))
        start = end
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


class PreparedInsert:
    """`model.objects.create(**values)` for a hot path: its INSERT compiled once per process and database.

    Django compiles an INSERT anew for every row, which for a wide row (a try-on job has some forty columns) costs
    more CPU than sending it. The first insert is compiled by Django's own compiler; later ones only prepare their
    values as that compiler does (each field's pre_save and get_db_prep_save) and bind them. Where that would not
    be what create() does, create() runs instead: a save signal someone listens to, a value that is an expression,
    a database that cannot return the new primary key from its INSERT. A model with its own save() is refused.
    """

    def __init__(self, model: type[Model]):
        meta = model._meta
        plain = model.save is Model.save and not meta.parents and meta.db_returning_fields == [meta.pk]
        if not plain or any(field.has_db_default() for field in meta.fields):
            raise ValueError(f"{model.__name__}: a prepared insert is for a plain model that returns only its key")
        self.model = model
        self.fields = [field for field in meta.local_concrete_fields if field is not meta.auto_field]
        self._sql: dict[str, str] = {}

    def __call__(self, **values) -> Model:
        connection = connections[router.db_for_write(self.model)]
        if (
            not connection.features.can_return_columns_from_insert
            or signals.pre_save.has_listeners(self.model)
            or signals.post_save.has_listeners(self.model)
            or any(hasattr(value, "resolve_expression") for value in values.values())
        ):
            return self.model.objects.create(**values)
        instance = self.model(**values)
        instance._prepare_related_fields_for_save(operation_name="save")  # an unsaved related row: refused alike
        sql = self._sql.get(connection.vendor) or self._compile(instance, connection)
        params = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in self.fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            (instance.pk,) = cursor.fetchone()
        instance._state.adding, instance._state.db = False, connection.alias
        return instance

    def _compile(self, instance: Model, connection) -> str:
        query = InsertQuery(self.model)
        query.insert_values(self.fields, [instance])
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = [self.model._meta.pk]
        [(sql, params)] = compiler.as_sql()
        if len(params) != len(self.fields) or compiler.returning_params:
            raise ValueError(f"{self.model.__name__}: its INSERT does not take one parameter per field")
        self._sql[connection.vendor] = sql
        return sql
