"""PostgreSQL only: the case number sequence and trigram indexes for GET /cases?search=.

Case numbers come from a sequence (nextval never hands the same value twice, even across
concurrent transactions); SQLite uses the CaseNumberCounter table instead. The trigram GIN
indexes make the `%term%` search over case number, policy number and customer name, email
and phone an index scan instead of a scan of every row. Django's `icontains` compiles to
`UPPER(col::text) LIKE UPPER(%s)`, so the indexes are on that expression. When pg_trgm cannot
be created (no privilege), the indexes are skipped and search still works, only slower.
"""

from django.db import migrations, transaction

TRGM_INDEXES = [
    ("idx_cases_number_trgm", "renewals_renewalcase", "case_number"),
    ("idx_policies_number_trgm", "renewals_policy", "policy_number"),
    ("idx_customers_first_trgm", "renewals_customer", "first_name"),
    ("idx_customers_last_trgm", "renewals_customer", "last_name"),
    ("idx_customers_email_trgm", "renewals_customer", "email"),
    ("idx_customers_phone_trgm", "renewals_customer", "phone"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS renewals_case_number_seq START 1")
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no privilege: search works without the indexes
        return
    for name, table, column in TRGM_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRGM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP SEQUENCE IF EXISTS renewals_case_number_seq")


class Migration(migrations.Migration):
    dependencies = [("renewals", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
