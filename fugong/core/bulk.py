"""Inserting and updating many plain rows fast: COPY on PostgreSQL, one prepared statement elsewhere.

`bulk_create` builds a model instance and compiles parameters per row, which dominates a
100,000-row import; `bulk_update` is worse: one CASE WHEN branch per row and field, compiled as
Django expressions (≈1.8 s for 340 rows of 15 fields) and evaluated by PostgreSQL branch by
branch for every row. Here rows are dicts of field name → value, each value prepared by its
field as Django would, and streamed. No signals, no returned keys: callers read keys back.

`AnyOf` is the reading side's counterpart: a filter on a thousand keys as one array parameter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=models.Model)
PREPARED_FIELDS = (models.JSONField, models.DecimalField, models.DateTimeField)


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: the module-level proxy costs a lookup per use
    fields = concrete_fields(model, rows[0])
    quote = db.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    prepared = prepare(db, fields, rows)
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            copy_in(cursor, table, columns, prepared)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", prepared)


def update_rows(model: type[models.Model], rows: list[dict[str, Any]], key: str = "id") -> int:
    """Sets each row's fields on the stored row whose `key` field equals the row's; returns the
    number of rows updated. On PostgreSQL the rows are copied into a temporary table and applied
    by one UPDATE … FROM joined on the key; elsewhere one UPDATE per row, as a prepared statement."""
    if not rows:
        return 0
    db = connections[DEFAULT_DB_ALIAS]
    fields = concrete_fields(model, rows[0])
    key_at = [f.name for f in fields].index(key)  # each row needs its key
    key_field = fields[key_at]
    quote = db.ops.quote_name
    table = quote(model._meta.db_table)
    changed = [f for f in fields if f is not key_field]
    prepared = prepare(db, fields, rows)
    with transaction.atomic(), db.cursor() as cursor:  # the temporary table lives until the drop below
        if db.vendor != "postgresql":
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in changed)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {quote(key_field.column)} = %s",
                [[v for i, v in enumerate(values) if i != key_at] + [values[key_at]] for values in prepared],
            )
            return len(rows) if cursor.rowcount < 0 else cursor.rowcount
        source = quote(f"bulk_update_{model._meta.db_table}")
        columns = ", ".join(quote(f.column) for f in fields)
        # the table's own column types, so the copied values are read exactly as an INSERT would
        cursor.execute(f"CREATE TEMPORARY TABLE {source} AS SELECT {columns} FROM {table} WITH NO DATA")
        copy_in(cursor, source, columns, prepared)
        assignments = ", ".join(f"{quote(f.column)} = s.{quote(f.column)}" for f in changed)
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {source} AS s "
            f"WHERE t.{quote(key_field.column)} = s.{quote(key_field.column)}"
        )
        updated = cursor.rowcount
        cursor.execute(f"DROP TABLE {source}")
        return updated


def instances(queryset: models.QuerySet[M], fields: Sequence[str] | None = None) -> list[M]:
    """The queryset's objects with only `fields` loaded (all with None), as `.only(*fields)`
    gives them, built from plain rows. Django's constructor walks every field of the model and sends the init
    signals per object, which for a chunk of a thousand enterprises costs more than reading
    them; no receiver of those signals exists here (a test holds that), and a field not loaded
    still loads on first use, as a deferred field does."""
    model = queryset.model
    if fields is None:
        attnames = [f.attname for f in model._meta.concrete_fields]
    else:
        attnames = [model._meta.pk.attname, *(f.attname for f in concrete_fields(model, dict.fromkeys(fields)))]
    found = []
    for values in queryset.values_list(*attnames):
        obj = model.__new__(model)
        obj.__dict__.update(zip(attnames, values, strict=True))
        obj._state = models.base.ModelState()
        obj._state.adding, obj._state.db = False, queryset.db
        found.append(obj)
    return found


class AnyOf(models.Lookup):  # type: ignore[type-arg]
    """`field = ANY(array)`, the values sent as one array parameter: `AnyOf(F("pk"), keys)`.

    The rows and the plan are those of `field__in=keys` (PostgreSQL reads an IN list as this very
    array), but an IN list has a placeholder per value, which Django compiles and psycopg parses
    again for every query: ≈6 ms per thousand values, a few times per chunk of an import.
    Elsewhere it is the IN list."""

    lookup_name = "any_of"
    prepare_rhs = False  # the values are prepared one by one in as_sql, not as one value

    def __init__(self, lhs: Any, values: Iterable[Any]) -> None:
        super().__init__(lhs, list(values))

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        if not self.rhs:
            raise EmptyResultSet  # what `__in=[]` raises: no query, no rows
        lhs, params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection) for v in self.rhs]
        if connection.vendor != "postgresql":
            return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*params, *values]
        # the column's type without its length: varchar(100)[] would cut a longer value to match
        element = field.db_type(connection).split("(")[0]
        return f"{lhs} = ANY(%s::{element}[])", [*params, values]


def concrete_fields(model: type[models.Model], row: dict[str, Any]) -> list[models.Field[Any, Any]]:
    fields = [model._meta.get_field(name) for name in row]
    concrete = [f for f in fields if isinstance(f, models.Field)]
    assert len(concrete) == len(fields), "only concrete fields can be written"
    return concrete


def prepare(
    db: BaseDatabaseWrapper, fields: Sequence[models.Field[Any, Any]], rows: list[dict[str, Any]]
) -> list[list[Any]]:
    steps = [(f.name, preparer(db, f)) for f in fields]
    return [[row[name] if step is None else step(row[name]) for name, step in steps] for row in rows]


def preparer(db: BaseDatabaseWrapper, field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a field's values go to the database; None when they go as they are.

    PostgreSQL's driver takes ints, text, booleans, dates and key ids as they are; preparing them
    through the field costs more than the COPY itself. JSON goes as the text json.dumps makes of
    it (what the field's adapter would send, without a wrapper and a dumper per value). Decimals
    and datetimes (time zones) still go through their fields, and on SQLite everything does."""
    if db.vendor != "postgresql":
        return partial(field.get_db_prep_save, connection=db)
    if isinstance(field, models.JSONField) and field.encoder is None:
        return json_text
    if isinstance(field, models.DateTimeField):
        return reusing_last(partial(field.get_db_prep_save, connection=db))  # one `now` on every row
    if isinstance(field, PREPARED_FIELDS):
        return partial(field.get_db_prep_save, connection=db)
    return None


def reusing_last(prepare: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`prepare`, answering again for the very object it prepared last without calling it."""
    last: list[Any] = [object(), None]  # the object, its prepared value

    def prepared(value: Any) -> Any:
        if value is not last[0]:
            last[:] = [value, prepare(value)]
        return last[1]

    return prepared


def json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value)  # None is SQL NULL, as the field saves it


def copy_in(cursor: Any, table: str, columns: str, prepared: list[list[Any]]) -> None:
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for values in prepared:
            copy.write_row(values)
