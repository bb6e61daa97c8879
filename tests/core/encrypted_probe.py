"""A throw-away model with every encrypted field type, created in the test database only.

It lives in tests/ (no test model in product code). The `encrypted_probe_table` fixture
(tests/core/conftest.py) creates its table outside any test transaction once per session, so
it works on SQLite and PostgreSQL alike.
"""

from django.db import connection, models

from core.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedEmailField,
    EncryptedJSONField,
    EncryptedTextField,
    KeyedHashField,
)


class EncryptedProbe(models.Model):
    """Test-only row holding one value of each encrypted field type."""

    label = models.CharField(max_length=20, blank=True)
    secret = EncryptedTextField(blank=True)
    code = EncryptedCharField(max_length=30, blank=True)
    email = EncryptedEmailField(max_length=255, blank=True)
    email_hash = KeyedHashField(source="email", normalizer="email")
    phone = EncryptedCharField(max_length=20, blank=True)
    phone_hash = KeyedHashField(source="phone", normalizer="phone")
    born = EncryptedDateField(null=True, blank=True)
    details = EncryptedJSONField(null=True, blank=True)

    class Meta:
        app_label = "core"
        db_table = "test_encrypted_probe"

    def __str__(self) -> str:
        return self.label


def raw_column(model: type[models.Model], column: str, pk: int) -> str | None:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        sql = f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s"  # noqa: S608 - names from model meta
        cursor.execute(sql, [pk])
        return cursor.fetchone()[0]
