"""Customer PII encrypted at rest (issue 13): email, phone, date of birth, address, KYC documents.

1. PostgreSQL: drop the trigram indexes on email and phone (ciphertext cannot be searched by
   substring; email and phone become exact-match through their keyed hashes).
2. Add `email_hash` / `phone_hash` (HMAC-SHA256 of the normalized value, indexed).
3. Turn the five columns into encrypted text columns (`ALTER ... TYPE text USING col::text`:
   dates become ISO text, jsonb its JSON text).
4. Encrypt what is there and fill the hashes, in pk-ordered batches of 1000 rows (one read and
   one bulk UPDATE per batch; core.key_rotation.encrypt_existing_values).

Not reversible: going back would need the plaintext written over the tokens first.
"""

from django.db import migrations

import core.fields
from core.key_rotation import encrypt_existing_values

DROPPED_TRGM_INDEXES = ["idx_customers_email_trgm", "idx_customers_phone_trgm"]
ENCRYPTED = ["email", "phone", "date_of_birth", "address", "kyc_documents"]


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in DROPPED_TRGM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def encrypt_customers(apps, schema_editor):
    customer = apps.get_model("renewals", "Customer")
    encrypt_existing_values(model=customer, field_names=ENCRYPTED)


class Migration(migrations.Migration):
    dependencies = [("renewals", "0004_payment_reference_per_source")]

    operations = [
        migrations.RunPython(drop_trigram_indexes),
        migrations.AddField(
            model_name="customer",
            name="email_hash",
            field=core.fields.KeyedHashField(
                blank=True,
                db_index=True,
                editable=False,
                max_length=64,
                normalizer="email",
                source="email",
            ),
        ),
        migrations.AddField(
            model_name="customer",
            name="phone_hash",
            field=core.fields.KeyedHashField(
                blank=True,
                db_index=True,
                editable=False,
                max_length=64,
                normalizer="phone",
                source="phone",
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="address",
            field=core.fields.EncryptedJSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="customer",
            name="date_of_birth",
            field=core.fields.EncryptedDateField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="customer",
            name="email",
            field=core.fields.EncryptedEmailField(blank=True, max_length=255),
        ),
        migrations.AlterField(
            model_name="customer",
            name="kyc_documents",
            field=core.fields.EncryptedJSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="customer",
            name="phone",
            field=core.fields.EncryptedCharField(blank=True, max_length=20),
        ),
        migrations.RunPython(encrypt_customers),
    ]
