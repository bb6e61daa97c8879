"""Re-encrypt every encrypted column under the newest key (behind `manage.py rotate_keys`).

Columns are discovered by type (every concrete `core.fields.EncryptedFieldMixin` field of every
installed model, history tables included), never from a hand-kept list, so a new encrypted
column is rotated without anyone remembering to add it.

Work goes model by model in primary-key order, one transaction per batch: the batch's rows are
locked (`SELECT ... FOR UPDATE`), their raw tokens read, the stale ones decrypted and written
back through the field (which encrypts under the newest key). The lock keeps a concurrent edit
from being overwritten with the value read a moment earlier. A token already made under the
newest key is skipped without a write, so stopping the command at any point and running it
again is safe and resumes cheaply: finished rows cost one read and one HMAC check each.

Writing the encrypted columns of other apps' tables from core is deliberate: the field type
owns its storage format (like a migration's AlterField), and the rows are addressed through
each model's own metadata and base manager, not hard-coded SQL.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models.functions import Cast

from core.fields import (
    KeyedHashField,
    decrypt_str,
    encrypted_fields,
    is_current_token,
    is_token,
)
from core.services import audit_log

# Rows per transaction: keeps each batch's row locks to tens of milliseconds and memory flat;
# large enough that the per-batch round trips stay small next to the crypto work.
ROTATION_BATCH_SIZE = 1000


@dataclass
class RotationResult:
    """What one model's pass found (dry run) or changed (commit)."""

    model: str
    fields: list[str]
    rows_scanned: int = 0
    rows_rotated: int = 0
    values_rotated: int = 0
    last_pk: object = None


def encrypted_models() -> list[tuple[type[models.Model], list[models.Field]]]:
    """Every installed model with at least one encrypted column, in a stable order."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if opts.proxy or not opts.managed or opts.swapped:
            continue
        fields = encrypted_fields(model)
        if fields:
            found.append((model, fields))
    return sorted(found, key=lambda pair: pair[0]._meta.label)


def write_values(
    *, model: type[models.Model], objs: list[models.Model], fields: list[models.Field]
) -> None:
    """Write `fields` of `objs` (instances carrying a pk and plaintext values) in one statement.

    Values go through each field's get_db_prep_save, so encrypted columns are encrypted under
    the newest key. PostgreSQL: one `UPDATE ... FROM unnest(<an array per column>)` joined on
    the pk (Django's bulk_update builds a CASE with one branch per row, which PostgreSQL
    evaluates branch by branch: quadratic in the batch size). Elsewhere: bulk_update.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._base_manager.bulk_update(objs, [f.name for f in fields])
        return
    qn = connection.ops.quote_name
    pk = model._meta.pk
    columns = [qn(pk.column), *(qn(f.column) for f in fields)]
    arrays = [[obj.pk for obj in objs]] + [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objs] for f in fields
    ]
    types = [f"{pk.db_type(connection)}[]"] + ["text[]"] * len(fields)
    assignments = ", ".join(f"{c} = v.{c}" for c in columns[1:])
    unnest = ", ".join(f"%s::{t}" for t in types)
    sql = (
        f"UPDATE {qn(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608 - quoted names
        f"FROM unnest({unnest}) AS v({', '.join(columns)}) WHERE t.{columns[0]} = v.{columns[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)


def _rotate_batch(
    *,
    model: type[models.Model],
    fields: list[models.Field],
    commit: bool,
    batch_size: int,
    watermark: object,
    result: RotationResult,
) -> int:
    """One transaction: lock the next batch after `watermark`, rewrite its stale tokens."""
    raw = {f"_raw_{f.attname}": Cast(f.attname, output_field=models.TextField()) for f in fields}
    with transaction.atomic():
        qs = model._base_manager.order_by("pk")
        if watermark is not None:
            qs = qs.filter(pk__gt=watermark)
        # Cast to plain text: the raw token, not the decrypted value (no converter runs).
        rows = list(
            qs.select_for_update().annotate(**raw).values_list("pk", *raw.keys())[:batch_size]
        )
        stale_rows = []
        for pk, *tokens in rows:
            stale = sum(1 for t in tokens if t not in (None, "") and not is_current_token(t))
            if stale:
                stale_rows.append((pk, tokens))
                result.values_rotated += stale
        if commit and stale_rows:
            objs = []
            for pk, tokens in stale_rows:
                obj = model(pk=pk)
                for field, token in zip(fields, tokens, strict=True):
                    # Decrypt (any key); the write re-encrypts through the field (newest key).
                    setattr(obj, field.attname, field.from_db_value(token, None, connection))
                objs.append(obj)
            write_values(model=model, objs=objs, fields=fields)
    if rows:
        result.rows_scanned += len(rows)
        result.rows_rotated += len(stale_rows)
        result.last_pk = rows[-1][0]
    return len(rows)


def rotate_model_keys(
    *,
    model: type[models.Model],
    fields: list[models.Field],
    commit: bool,
    batch_size: int = ROTATION_BATCH_SIZE,
    after_pk: object = None,
    progress: Callable[[int], None] | None = None,
) -> RotationResult:
    """Re-encrypt one model's encrypted columns under the newest key (or count, if not commit).

    Precondition: FIELD_ENCRYPTION_KEYS lists the new key first and every key still in use
    after it; a token no key decrypts stops the run with EncryptionKeyError (that batch is
    rolled back, earlier batches stay committed, and a rerun resumes).
    """
    result = RotationResult(model=model._meta.label, fields=[f.name for f in fields])
    watermark = after_pk
    while True:
        done = _rotate_batch(
            model=model,
            fields=fields,
            commit=commit,
            batch_size=batch_size,
            watermark=watermark,
            result=result,
        )
        if not done:
            break
        watermark = result.last_pk
        if progress is not None:
            progress(done)
    if commit and result.values_rotated:
        audit_log(
            action="encryption.keys_rotated",
            object_type=model._meta.label_lower,
            changes={
                "fields": result.fields,
                "rows": result.rows_rotated,
                "values": result.values_rotated,
            },
        )
    return result


def _plaintext_to_python(field: models.Field, raw: str) -> object:
    """A pre-encryption column value (as text) in the field's Python form."""
    if raw is None or raw == "":
        return raw
    if isinstance(field, models.JSONField):
        return json.loads(raw)
    if isinstance(field, models.DateField):
        return datetime.date.fromisoformat(raw[:10])
    return raw


def encrypt_existing_values(
    *,
    model: type[models.Model],
    field_names: list[str],
    batch_size: int = ROTATION_BATCH_SIZE,
) -> int:
    """Encrypt plaintext left in columns that just became encrypted (for data migrations).

    Run after the AlterField that turned the columns into encrypted ones (their content is
    then the old value as text: `date::text`, `jsonb::text`). Fills every KeyedHashField whose
    source is among them. Values that already decrypt are left alone, so a rerun is harmless.
    One read and one bulk UPDATE per batch, in pk order. Returns the number of rows written.
    """
    fields = [model._meta.get_field(name) for name in field_names]
    hashes = [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, KeyedHashField) and f.source in field_names
    ]
    raw = {f"_raw_{f.attname}": Cast(f.attname, output_field=models.TextField()) for f in fields}
    written = 0
    watermark = None
    while True:
        with transaction.atomic():
            qs = model._base_manager.order_by("pk")
            if watermark is not None:
                qs = qs.filter(pk__gt=watermark)
            rows = list(
                qs.select_for_update().annotate(**raw).values_list("pk", *raw.keys())[:batch_size]
            )
            if not rows:
                return written
            objs = []
            for pk, *values in rows:
                obj = model(pk=pk)
                for field, value in zip(fields, values, strict=True):
                    if value not in (None, "") and is_token(value):
                        value = decrypt_str(value)  # already encrypted (a rerun): keep it
                    setattr(obj, field.attname, _plaintext_to_python(field, value))
                for hash_field in hashes:
                    source = getattr(obj, model._meta.get_field(hash_field.source).attname)
                    setattr(obj, hash_field.attname, hash_field.hash_of(source))
                objs.append(obj)
            write_values(model=model, objs=objs, fields=[*fields, *hashes])
            written += len(objs)
            watermark = rows[-1][0]


__all__ = [
    "ROTATION_BATCH_SIZE",
    "RotationResult",
    "encrypt_existing_values",
    "encrypted_models",
    "rotate_model_keys",
    "write_values",
]
