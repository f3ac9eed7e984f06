"""Plain-row inserts for the statistics' large writes: COPY on PostgreSQL, executemany on SQLite.

``bulk_create`` prepares every value of every row through the field API (a few
microseconds each); for the tens of thousands of rows of the demo history and of a
year's rollup that dominated the run. Here each column's conversion is chosen once
per call and rows are plain dicts (attname -> value); a column a row leaves out takes
the model's default, so fields added later need no change in the callers.
"""

import datetime
import json
from collections.abc import Iterable

from django.db import connection, models


def column_writer(field, vendor: str):
    """How a column's Python value (never None) becomes a parameter, as the ORM would store it; None = as is."""
    if vendor == "postgresql":
        if isinstance(field, models.JSONField):
            from psycopg.types.json import Jsonb

            return Jsonb
        return None
    if isinstance(field, models.JSONField):
        return lambda v: json.dumps(v, cls=field.encoder)
    if isinstance(field, models.DateTimeField):
        # Naive UTC text, as Django's SQLite backend stores aware datetimes.
        return lambda v: str(v.astimezone(datetime.UTC).replace(tzinfo=None))
    if isinstance(field, models.DateField):
        return datetime.date.isoformat
    if isinstance(field, models.UUIDField):
        return lambda v: v.hex
    if isinstance(field, models.CharField | models.TextField):
        return str  # TextChoices members become their plain value
    return None


def insert_rows(model, rows: Iterable[dict], *, first_id: int | None = None) -> int:
    """Insert ``rows`` into ``model``'s table; returns how many.

    ``first_id``: the rows get ids first_id, first_id + 1, ... (the caller knows them
    without reading back; on PostgreSQL the id sequence is moved past them). Runs in
    the caller's transaction. SQLite and PostgreSQL only.
    """
    vendor = connection.vendor
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    with_id = first_id is not None
    offset = 1 if with_id else 0
    position = {f.attname: i + offset for i, f in enumerate(fields)}
    converters = ([None] if with_id else []) + [column_writer(f, vendor) for f in fields]
    template = [None] if with_id else []  # each column's default, converted once
    per_row = []  # unique columns with a callable default: computed per row
    for i, f in enumerate(fields, start=offset):
        if f.unique and f.has_default() and callable(f.default):
            per_row.append((i, f.attname, f.get_default))
            template.append(None)
        else:
            default = f.get_default()
            template.append(converters[i](default) if converters[i] and default is not None else default)

    def values(i, row):
        out = template.copy()
        if with_id:
            out[0] = first_id + i
        for index, name, factory in per_row:
            if name not in row:
                out[index] = factory()
                if converters[index] is not None:
                    out[index] = converters[index](out[index])
        for name, value in row.items():
            index = position[name]
            convert = converters[index]
            out[index] = convert(value) if convert is not None and value is not None else value
        return out

    table = model._meta.db_table
    quote = connection.ops.quote_name
    pk = model._meta.pk.column
    names = ", ".join(([quote(pk)] if with_id else []) + [quote(f.column) for f in fields])
    count = 0
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for i, row in enumerate(rows):
                    copy.write_row(values(i, row))
                    count += 1
            if with_id and count:
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, pk, first_id + count - 1])
        else:
            params = [values(i, row) for i, row in enumerate(rows)]
            count = len(params)
            if params:
                marks = ", ".join(["%s"] * len(params[0]))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", params)  # noqa: S608
    return count


def next_id(model) -> int:
    """One past the largest id in ``model``'s table (ids for ``insert_rows(first_id=...)``)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX({model._meta.pk.column}), 0) FROM {model._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0] + 1
