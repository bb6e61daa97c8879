"""Set-based writes of renewals' batch import: many rows in one statement, never a query
per row. Only renewals.services.imports calls these (renewals writes its own tables).

PostgreSQL: one `INSERT ... SELECT FROM unnest(<an array per column>) ... ON CONFLICT ...
RETURNING` per call, parameters bound server-side in binary; appends use COPY. Other
databases (SQLite, the embedded default) get the same semantics through Django's
`bulk_create` with `update_conflicts` / `ignore_conflicts` plus one read-back query.

Encrypted columns (core.fields) are encrypted per value before they travel, and keyed-hash
lookup columns are derived from their source values, as the ORM would.

Why raw SQL on PostgreSQL: measured 2026-12-04 with bench/uploads_batch.py (10k-row CSV,
3 interleaved rounds, 8 agents sharing 2 cores), the whole import took 4.2 / 6.5 / 7.6 s
with these statements and 10.4 / 11.8 / 10.3 s with Django's `bulk_create(update_conflicts=
True, unique_fields=..., update_fields=...)` / `bulk_create(ignore_conflicts=True)` doing
the same writes (the pure-SQL floor A1 took 1.1-2.8 s in both): ~1.7x slower end to end.
Django binds a chunk's 2,000 x 10 parameters into the SQL text client-side and builds a
model instance per row; here each column travels as one binary array.
"""

import json
from collections.abc import Callable
from typing import Any

import psycopg
from django.db import connection, models
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from core.fields import EncryptedFieldMixin, KeyedHashField
from intelipro.models import TimeStampedModel


def _writable_fields(
    model: type[models.Model], provided: dict[str, Any] | None = None
) -> list[models.Field]:
    """Columns an INSERT writes: not the key, not generated columns, and not columns with a
    database default that the rows leave out (the database fills those)."""
    fields = []
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue
        has_db_default = getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED
        if has_db_default and provided is not None and field.attname not in provided:
            continue
        fields.append(field)
    return fields


def _field_default(field: models.Field, now: Any) -> Any:
    if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
        return now
    return field.get_default()  # "" for non-null text fields, None for nullable ones


def _getter(field: models.Field, now: Any) -> Callable[[dict[str, Any]], Any]:
    """How one row dict becomes this column's database value.

    Encrypted columns are encrypted here (the raw SQL below bypasses the ORM); a keyed-hash
    lookup column is derived from its source value in the same row, as its pre_save does.
    """
    default = _field_default(field, now)
    if isinstance(field, KeyedHashField):
        source = field.model._meta.get_field(field.source).attname
        return lambda row: field.hash_of(row.get(source))
    if isinstance(field, EncryptedFieldMixin):
        return lambda row: field.get_db_prep_save(row.get(field.attname, default), connection)
    if isinstance(field, models.JSONField):
        return lambda row: _json_or_none(row.get(field.attname, default))
    return lambda row: row.get(field.attname, default)


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _is_jsonb(field: models.Field) -> bool:
    return isinstance(field, models.JSONField) and not isinstance(field, EncryptedFieldMixin)


def _with_derived(model: type[models.Model], update_fields: list[str]) -> list[str]:
    """Update fields plus the keyed-hash columns derived from any of them."""
    extra = [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, KeyedHashField)
        and f.source in update_fields
        and f.name not in update_fields
    ]
    return [*update_fields, *extra]


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _pg_array_type(field: models.Field) -> str:
    """The SQL array type a column's values travel as (jsonb as text, cast in the SELECT)."""
    if _is_jsonb(field):
        return "text[]"
    return f"{field.db_type(connection)}[]"


def _pg_insert(
    *,
    model: type[models.Model],
    rows: list[dict[str, Any]],
    key: str,
    update_fields: list[str] | None,
) -> list[tuple[int, Any]]:
    """One INSERT ... SELECT FROM unnest(<one array per column>) ... ON CONFLICT; returns
    (id, key) of the rows written.

    Each column travels as ONE array parameter, bound server-side in binary: no staging
    table (creating and dropping one per chunk churned the catalog), no per-row SQL.
    """
    now = timezone.now()
    fields = _writable_fields(model, rows[0])
    table = _qn(model._meta.db_table)
    names = [_qn(field.column) for field in fields]
    columns = ", ".join(names)
    getters = [_getter(field, now) for field in fields]
    arrays = [[get(row) for row in rows] for get in getters]
    unnest = ", ".join(f"%s::{_pg_array_type(field)}" for field in fields)
    selects = ", ".join(
        f"s.{name}::jsonb" if _is_jsonb(field) else f"s.{name}"
        for field, name in zip(fields, names, strict=True)
    )
    sql_key = _qn(model._meta.get_field(key).column)
    if update_fields is None:
        conflict = "ON CONFLICT DO NOTHING"
    else:
        update_fields = _with_derived(model, update_fields)
        targets = [model._meta.get_field(name).column for name in update_fields]
        stamp = f", {_qn('updated_at')} = EXCLUDED.{_qn('updated_at')}"
        if not issubclass(model, TimeStampedModel):
            stamp = ""
        assignments = ", ".join(f"{_qn(c)} = EXCLUDED.{_qn(c)}" for c in targets)
        current = ", ".join(f"{table}.{_qn(c)}" for c in targets)
        incoming = ", ".join(f"EXCLUDED.{_qn(c)}" for c in targets)
        conflict = (
            f"ON CONFLICT ({sql_key}) DO UPDATE SET {assignments}{stamp} "
            f"WHERE ({current}) IS DISTINCT FROM ({incoming})"
        )
    # Rows go in key order so concurrent batches lock shared keys in the same order.
    sql = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608 - identifiers quoted
        f"SELECT {selects} FROM unnest({unnest}) AS s({columns}) ORDER BY s.{sql_key} "
        f"{conflict} RETURNING {_qn(model._meta.pk.column)}, {sql_key}"
    )
    connection.ensure_connection()
    # Django's cursors bind parameters client-side (values spliced into the SQL text); a
    # plain psycopg cursor on the same connection and transaction binds them server-side.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, arrays, binary=True)
        return cursor.fetchall()


def rows_upsert(
    *,
    model: type[models.Model],
    rows: list[dict[str, Any]],
    key: str,
    update_fields: list[str],
) -> dict[Any, int]:
    """Insert rows (dicts of attname -> value) or update the row with the same `key`.

    Callers pass only new and changed rows; a row whose values turn out unchanged is not
    rewritten on PostgreSQL. Returns {key value: id} for every row passed in. The caller
    holds the transaction.
    """
    if not rows:
        return {}
    if connection.vendor == "postgresql":
        written = {
            value: pk
            for pk, value in _pg_insert(
                model=model, rows=rows, key=key, update_fields=update_fields
            )
        }
    else:
        fields = _with_derived(model, update_fields)
        if issubclass(model, TimeStampedModel):
            fields.append("updated_at")
        model.objects.bulk_create(
            [model(**row) for row in rows],
            update_conflicts=True,
            unique_fields=[key],
            update_fields=fields,
        )
        written = {}
    missing = [row[key] for row in rows if row[key] not in written]
    if missing:
        # Rows another transaction wrote with the same values in the meantime (PostgreSQL),
        # or every row on databases whose bulk upsert does not report ids.
        written.update(model.objects.filter(**{f"{key}__in": missing}).values_list(key, "id"))
    return written


def rows_insert_new(
    *, model: type[models.Model], rows: list[dict[str, Any]], key: str
) -> dict[Any, int]:
    """Insert rows, skipping any that conflict with a unique constraint; {key: id} inserted."""
    if not rows:
        return {}
    if connection.vendor == "postgresql":
        return {
            value: pk
            for pk, value in _pg_insert(model=model, rows=rows, key=key, update_fields=None)
        }
    model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=True)
    keys = [row[key] for row in rows]
    return dict(model.objects.filter(**{f"{key}__in": keys}).values_list(key, "id"))


def rows_copy(*, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Append rows that cannot conflict (e.g. timeline events of new cases): COPY straight
    into the table on PostgreSQL, one bulk INSERT elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=1000)
        return
    now = timezone.now()
    fields = _writable_fields(model, rows[0])
    columns = ", ".join(_qn(field.column) for field in fields)
    getters = [_getter(field, now) for field in fields]
    with connection.cursor() as cursor:
        copy_sql = f"COPY {_qn(model._meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row([get(row) for get in getters])
