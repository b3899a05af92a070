"""Inserting many plain rows fast: COPY on PostgreSQL, one prepared statement elsewhere.

`bulk_create` builds a model instance and compiles parameters per row, which dominates a
100,000-row import; here rows are dicts of field name → value, each value prepared by its
field as Django would, and streamed. No signals, no returned keys: callers read keys back.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

PREPARED_FIELDS = (models.JSONField, models.DecimalField, models.DateTimeField)


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in rows[0]]
    concrete = [f for f in fields if isinstance(f, models.Field)]
    assert len(concrete) == len(fields), "only concrete fields can be inserted"
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: the module-level proxy costs a lookup per use
    quote = db.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in concrete)
    # PostgreSQL's driver takes ints, text, booleans, dates and key ids as they are; preparing
    # them through the field costs more than the COPY itself. JSON, decimals and datetimes
    # (time zones) still go through their fields, and on SQLite everything does.
    plain = {
        i for i, f in enumerate(concrete) if db.vendor == "postgresql" and not isinstance(f, PREPARED_FIELDS)
    }
    prepared = [
        [row[f.name] if i in plain else f.get_db_prep_save(row[f.name], db) for i, f in enumerate(concrete)]
        for row in rows
    ]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in prepared:
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(concrete))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", prepared)
